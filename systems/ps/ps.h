/*
 * The parameter-server cluster system: the `ps_cluster:` section of a topology file
 * (docs/config.md, "Parameter-server cluster section"), expanded into workers, a server, their
 * HCAs, cables and one InfiniBand switch.
 */
#ifndef MEMBOX_SYSTEMS_PS_H
#define MEMBOX_SYSTEMS_PS_H

#include "sim/config/system.h"

#ifdef __cplusplus
extern "C" {
#endif

extern const SimSystemType ps_cluster_system;

#ifdef __cplusplus
}
#endif

#endif
