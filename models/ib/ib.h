/*
 * models/ib: InfiniBand (docs/models/ib.md): the link layer of a port (ib_link.h), the cable,
 * and a test end port. The parameter-server baseline's HCA and switch build on them.
 */
#ifndef MEMBOX_MODELS_IB_H
#define MEMBOX_MODELS_IB_H

#include "sim/config/model.h"

#ifdef __cplusplus
extern "C" {
#endif

extern const SimModelType ib_cable_type;
extern const SimModelType ib_tester_type;
extern const SimModelType ib_switch_type;
extern const SimModelType ib_hca_type;

#ifdef __cplusplus
}
#endif

#endif
