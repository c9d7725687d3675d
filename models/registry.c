#include "registry.h"

#include "dram/dram.h"
#include "generic/generic.h"

const SimModelType *const membox_model_types[] = {
    &generic_source_type,
    &generic_sink_type,
    &generic_delay_type,
    &dram_ctrl_type,
    &dram_arbiter_type,
    &dram_trace_type,
    &dram_gen_type,
};

const size_t membox_model_type_count =
    sizeof(membox_model_types) / sizeof(membox_model_types[0]);
