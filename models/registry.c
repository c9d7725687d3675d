#include "registry.h"

#include "generic/generic.h"

const SimModelType *const membox_model_types[] = {
    &generic_source_type,
    &generic_sink_type,
    &generic_delay_type,
};

const size_t membox_model_type_count =
    sizeof(membox_model_types) / sizeof(membox_model_types[0]);
