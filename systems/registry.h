/*
 * The simulator's registry: every model type (models/) and every system expander
 * (systems/), for the configuration layer, `membox-sim describe` and the tests.
 */
#ifndef MEMBOX_SYSTEMS_REGISTRY_H
#define MEMBOX_SYSTEMS_REGISTRY_H

#include "sim/config/config.h"

#ifdef __cplusplus
extern "C" {
#endif

extern const SimRegistry membox_registry;

#ifdef __cplusplus
}
#endif

#endif
