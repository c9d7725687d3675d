/*
 * Every model type and system expander the simulator knows. A new model adds its type to
 * `types`, a new system its expander to `systems`.
 */
#include "registry.h"

#include "membox/membox.h"
#include "ps/ps.h"
#include "models/dram/dram.h"
#include "models/expether/expether.h"
#include "models/generic/generic.h"
#include "models/host/host.h"
#include "models/ib/ib.h"
#include "models/link/link.h"
#include "models/pcie/pcie.h"
#include "models/repeater/repeater.h"
#include "models/tlm/tlm.h"

#include "sim/core/util.h"

static const SimModelType *const types[] = {
    &generic_source_type, &generic_sink_type,    &generic_delay_type, &dram_ctrl_type,
    &dram_arbiter_type,   &dram_trace_type,      &dram_gen_type,      &link_mpp_type,
    &link_spp_type,       &link_cable_type,      &link_tester_type,   &link_memory_type,
    &pcie_link_type,      &pcie_rc_type,         &pcie_adapter_type,  &host_memory_type,
    &host_memtrace_type,  &mem_ideal_type,       &host_ps_type,       &ps_barrier_type,
    &ps_server_type,      &repeater_switch_type, &ib_cable_type,      &ib_tester_type,
    &ib_switch_type,      &ib_hca_type,          &ib_perftest_type,   &host_tlm_type,
    &tlm_memory_type,     &expether_link_type,
};

static const SimSystemType *const systems[] = {
    &membox_fabric_system,
    &ps_cluster_system,
};

const SimRegistry membox_registry = {
    .types = types,
    .n_types = N_OF(types),
    .systems = systems,
    .n_systems = N_OF(systems),
};
