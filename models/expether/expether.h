/*
 * ExpEther: PCI Express over Ethernet (docs/models/expether.md).
 *
 *   expether.link  a bridge pair and the Ethernet path between them, both directions: the
 *                  host-side bridge is an endpoint on the node's pcie.link, the device-side
 *                  bridge the root of the device's pcie.link; each TLP crosses in one Ethernet
 *                  frame with the ExpEther encapsulation, through cut-through switches.
 *
 * TLPs are the SimPackets of models/proto/pcie.h.
 */
#ifndef MEMBOX_MODELS_EXPETHER_H
#define MEMBOX_MODELS_EXPETHER_H

#include <stdint.h>

#include "sim/config/model.h"

#ifdef __cplusplus
extern "C" {
#endif

extern const SimModelType expether_link_type;

/* IEEE 802.3 framing, in bytes: preamble and start-of-frame delimiter, the MAC header
 * (destination, source, EtherType), the frame check sequence, the minimum frame (MAC header to
 * FCS) and the inter-frame gap (an average of 12 at 40 Gb/s with the deficit idle count). */
#define EXPETHER_PREAMBLE   8u
#define EXPETHER_MAC_HEADER 14u
#define EXPETHER_FCS        4u
#define EXPETHER_MIN_FRAME  64u
#define EXPETHER_IFG        12u

/* Bytes a frame carrying a TLP of tlp_bytes (header and payload) occupies on the wire from the
 * preamble to the end of its FCS (the inter-frame gap follows): preamble + max(64, MAC header +
 * encap + tlp_bytes + FCS). */
uint32_t expether_frame_bytes(uint32_t encap, uint32_t tlp_bytes);

#ifdef __cplusplus
}
#endif

#endif
