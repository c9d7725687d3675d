#include "registry.h"

#include "dram/dram.h"
#include "generic/generic.h"
#include "host/host.h"
#include "link/link.h"
#include "pcie/pcie.h"
#include "repeater/repeater.h"

const SimModelType *const membox_model_types[] = {
    &generic_source_type,
    &generic_sink_type,
    &generic_delay_type,
    &dram_ctrl_type,
    &dram_arbiter_type,
    &dram_trace_type,
    &dram_gen_type,
    &link_mpp_type,
    &link_spp_type,
    &link_cable_type,
    &link_tester_type,
    &link_memory_type,
    &pcie_link_type,
    &pcie_rc_type,
    &pcie_adapter_type,
    &host_memtrace_type,
    &mem_ideal_type,
    &host_ps_type,
    &ps_barrier_type,
    &repeater_switch_type,
};

const size_t membox_model_type_count =
    N_OF(membox_model_types);
