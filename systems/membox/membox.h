/*
 * The MemBox fabric system: the `fabric:` section of a topology file (docs/config.md, "Fabric
 * section"), expanded into MemBoxes, repeaters, compute nodes and optical links.
 */
#ifndef MEMBOX_SYSTEMS_MEMBOX_H
#define MEMBOX_SYSTEMS_MEMBOX_H

#include "sim/config/system.h"

#ifdef __cplusplus
extern "C" {
#endif

extern const SimSystemType membox_fabric_system;

#ifdef __cplusplus
}
#endif

#endif
