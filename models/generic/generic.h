/*
 * Generic test models: a traffic source, a sink and a delay/FIFO stage. They exercise the kernel
 * without any MemBox hardware: configs/generic-*.yaml, the kernel benchmark (a two-domain ring of
 * delay stages) and the kernel's own tests are built from them. docs/models/generic.md derives
 * their timing.
 */
#ifndef MEMBOX_MODELS_GENERIC_H
#define MEMBOX_MODELS_GENERIC_H

#include "sim/config/model.h"

#ifdef __cplusplus
extern "C" {
#endif

extern const SimModelType generic_source_type;
extern const SimModelType generic_sink_type;
extern const SimModelType generic_delay_type;

/* Packet type the generic models use; MemBox protocol types live in models/proto. */
#define GENERIC_PACKET_TYPE 0x4701u

#ifdef __cplusplus
}
#endif

#endif
