/*
 * The MemBox optical link models (docs/models/link.md):
 *
 *   link.mpp     master protocol processor, the adapter side: Avalon-MM requests (models/proto/
 *                mem.h) in from the PCIe side at 250 MHz, link packets out on 4 lanes
 *   link.spp     slave protocol processor, the MemBox side: link packets in, Avalon-MM requests
 *                out to the DRAM arbiter or controller at 200 MHz
 *   link.cable   the 40G optical cable between them, both directions: length, bit errors, drops
 *   link.tester  an Avalon-MM requester that writes real bytes and checks what it reads back
 *   link.memory  an ideal fixed-latency memory with a functional store
 *
 * Packet formats are in models/proto/link.h. An MPP and an SPP are building blocks: a repeater
 * is an SPP towards its adapters and an MPP towards the MemBox.
 */
#ifndef MEMBOX_MODELS_LINK_H
#define MEMBOX_MODELS_LINK_H

#include "sim/config/model.h"

#ifdef __cplusplus
extern "C" {
#endif

extern const SimModelType link_mpp_type;
extern const SimModelType link_spp_type;
extern const SimModelType link_cable_type;
extern const SimModelType link_tester_type;
extern const SimModelType link_memory_type;

#ifdef __cplusplus
}
#endif

#endif
