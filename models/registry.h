/*
 * The model registry: every model type the simulator knows, for sim/config (parse, check,
 * build) and `membox-sim describe`. A new model adds its type here.
 */
#ifndef MEMBOX_MODELS_REGISTRY_H
#define MEMBOX_MODELS_REGISTRY_H

#include "sim/config/model.h"

#ifdef __cplusplus
extern "C" {
#endif

extern const SimModelType *const membox_model_types[];
extern const size_t membox_model_type_count;

#ifdef __cplusplus
}
#endif

#endif
