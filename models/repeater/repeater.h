/*
 * models/repeater: the switching stage of a MemBox repeater (docs/models/repeater.md). A whole
 * repeater is composed in the topology from link.spp (down ports), link.mpp (up port), a
 * pcie.adapter (its own host) and repeater.switch.
 */
#ifndef MEMBOX_MODELS_REPEATER_H
#define MEMBOX_MODELS_REPEATER_H

#include "sim/config/model.h"

#ifdef __cplusplus
extern "C" {
#endif

extern const SimModelType repeater_switch_type;

#ifdef __cplusplus
}
#endif

#endif
