/*
 * The InfiniBand link layer of one port (docs/models/ib.md sections 1-3), shared by every
 * model of models/ib that owns a port (ib.tester, and the switch and HCA to come): the
 * transmitter (per-VL queues, VL arbitration, credit check, serialisation to the symbol,
 * flow-control packets, skip ordered sets, the PHY pipeline) and the receiver (the PHY
 * pipeline, per-VL buffers counted in 64-byte credits, ABR and FCCL).
 *
 * The owner is a component in the link's symbol clock (`domain`); one symbol time per cycle.
 * Its tick calls, in this order:
 *
 *   ib_link_receive(l, now)     FC packets update credits; data packets enter the VL buffers
 *   ... the owner pops received packets (ib_link_rx_pop) and queues new ones (ib_link_tx_put)
 *   ib_link_transmit(l, now)    starts at most one packet (or skip), pushes what leaves the PHY
 *
 * and asks for its next tick no later than ib_link_wake(l, now).
 *
 *   owner --tx_put--> [VL queues] --arbiter, credits--> serialiser --PHY tx--> tx port
 *   owner <--rx_pop-- [VL buffers, credits] <--PHY rx-- rx port        (FC packets both ways)
 */
#ifndef MEMBOX_MODELS_IB_LINK_H
#define MEMBOX_MODELS_IB_LINK_H

#include <stddef.h>

#include "models/proto/ib.h"
#include "sim/config/model.h"
#include "sim/core/kernel.h"
#include "sim/core/ring.h"
#include "sim/core/stats.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum IbEncoding {
    IB_ENC_8B10B = 0, /* SDR, DDR, QDR: 10 line bits per byte, one byte per lane per symbol */
    IB_ENC_64B66B,    /* FDR, EDR: 66 line bits per 8 bytes, one block per lane per symbol */
    IB_ENC_MAX
} IbEncoding;

extern const char *const ib_encoding_names[];

/* The parameters every port has (same keys, same meaning, in every type that owns a port). */
typedef struct IbLinkParams {
    SimDomain *domain;
    uint64_t width;
    double lane_rate;
    int encoding;
    uint64_t mtu;
    uint64_t vls;
    uint64_t vl_buffer; /* bytes per VL */
    uint64_t tx_queue;  /* packets per VL */
    uint64_t fc_threshold;
    uint64_t fc_period; /* symbol times */
    uint64_t skip_interval;
    uint64_t skip_symbols;
    uint64_t phy_tx_cycles;
    uint64_t phy_rx_cycles;
} IbLinkParams;

/* The rows of IbLinkParams for a parameter table whose struct T has it as member `link`. */
/* clang-format off */
#define IB_LINK_PARAM_ROWS(T)                                                                     \
    {"domain", SIM_PARAM_DOMAIN, offsetof(T, link.domain), NULL, NULL, NULL, NULL,               \
     "the link's symbol clock: one symbol time (8b/10b) or 66-bit block time (64b/66b) per "      \
     "cycle; FDR 213.068182MHz, QDR 1GHz"},                                                       \
    {"width", SIM_PARAM_UINT, offsetof(T, link.width), "4", "1", "12", NULL,                     \
     "lanes: 1, 4, 8 or 12 (1x, 4x, 8x, 12x)"},                                                   \
    {"lane_rate", SIM_PARAM_BITRATE, offsetof(T, link.lane_rate), "14.0625Gbps", "1Gbps",         \
     "1000Gbps", NULL, "signalling rate of one lane (FDR 14.0625Gbps, QDR 10Gbps)"},              \
    {"encoding", SIM_PARAM_ENUM, offsetof(T, link.encoding), "64b66b", NULL, NULL,               \
     ib_encoding_names, "line code: 8b10b (SDR, DDR, QDR) or 64b66b (FDR, EDR)"},                 \
    {"mtu", SIM_PARAM_BYTES, offsetof(T, link.mtu), "2KiB", "256B", "4KiB", NULL,                \
     "largest payload of a packet: 256, 512, 1024, 2048 or 4096 bytes"},                          \
    {"vls", SIM_PARAM_UINT, offsetof(T, link.vls), "1", "1", "15", NULL,                         \
     "data virtual lanes (VL0 ..), each with its own buffer and credits"},                        \
    {"vl_buffer", SIM_PARAM_BYTES, offsetof(T, link.vl_buffer), "16KiB", "64B", "128KiB", NULL,  \
     "receive buffer per virtual lane, in 64-byte credits; at least one MTU packet"},             \
    {"tx_queue", SIM_PARAM_UINT, offsetof(T, link.tx_queue), "8", "1", "4096", NULL,             \
     "packets the transmitter queues per virtual lane"},                                          \
    {"fc_threshold", SIM_PARAM_UINT, offsetof(T, link.fc_threshold), "1", "1", "2048", NULL,     \
     "credits (64-byte blocks) freed before a flow-control packet is sent"},                      \
    {"fc_period", SIM_PARAM_UINT, offsetof(T, link.fc_period), "65536", "16", "1000000000",      \
     NULL, "symbol times after which a VL's flow-control packet is repeated (IBA: 65536 at most)"},\
    {"skip_interval", SIM_PARAM_UINT, offsetof(T, link.skip_interval), "0", "0", "1000000",      \
     NULL, "symbol times from one skip ordered set to the next due one; 0: none"},                \
    {"skip_symbols", SIM_PARAM_UINT, offsetof(T, link.skip_symbols), "4", "1", "64", NULL,       \
     "symbol times one skip ordered set lasts"},                                                  \
    {"phy_tx_cycles", SIM_PARAM_UINT, offsetof(T, link.phy_tx_cycles), "0", "0", "1000", NULL,   \
     "symbol times from a packet's last symbol serialised to its leaving the port"},              \
    {"phy_rx_cycles", SIM_PARAM_UINT, offsetof(T, link.phy_rx_cycles), "0", "0", "1000", NULL,   \
     "symbol times from a packet's last symbol arriving to its being in the VL buffer"}
/* clang-format on */

/* Per-VL statistics (a group of the owner's statistics table). */
typedef struct IbVlStats {
    uint64_t tx_packets;
    uint64_t tx_blocks;
    uint64_t rx_packets;
    uint64_t rx_blocks;
    uint64_t fc_sent;
    uint64_t credit_stall_cycles;
    uint64_t rx_max_blocks; /* most credits the buffer held at once */
} IbVlStats;

typedef struct IbLinkStats {
    uint64_t tx_packets; /* data packets */
    uint64_t tx_bytes;   /* LRH .. VCRC of the data packets */
    uint64_t tx_payload_bytes;
    uint64_t fc_sent;
    uint64_t fc_received;
    uint64_t skips;
    uint64_t busy_cycles; /* symbol times of data packets, FC packets and skips */
    uint64_t rx_packets;
    uint64_t rx_bytes;
    uint64_t rx_payload_bytes;
    double tx_util; /* busy_cycles / cycles of the run */
    IbVlStats vl[IB_MAX_VLS];
} IbLinkStats;

typedef struct IbVlTx {
    SimPacket **q; /* queued packets */
    SimRing r;
    uint32_t sent;  /* FCTBS: blocks sent, mod 4096 */
    uint32_t limit; /* FCCL last received */
    bool have_limit;
    SimCycle stall_since; /* SIM_CYCLE_NEVER unless its head waits for credits */
} IbVlTx;

typedef struct IbVlRx {
    SimPacket **q; /* received, not yet taken by the owner */
    SimRing r;
    uint32_t cap;        /* credits of the buffer */
    uint32_t used;       /* credits held */
    uint32_t abr;        /* adjusted blocks received, mod 4096 */
    uint32_t advertised; /* FCCL of the last FC packet sent */
    uint32_t freed;      /* credits freed since that packet */
    bool due;            /* an FC packet is owed */
    SimCycle last_fc;    /* start of the last FC packet sent for this VL */
} IbVlRx;

typedef struct IbLink {
    SimComponent *owner;
    const char *name; /* the owner's, for messages */
    IbLinkParams p;
    SimPort *tx;
    SimPort *rx;
    uint32_t vls;
    uint32_t symbol_bytes; /* bytes per symbol time over all lanes */
    uint32_t max_blocks;   /* credits the largest packet of the MTU takes */
    uint32_t hdr_symbols;  /* symbol times of the start delimiter and the LRH */
    bool cut;              /* the tx port's consumer takes tails: data goes at its header */
    IbVlTx txv[IB_MAX_VLS];
    IbVlRx rxv[IB_MAX_VLS];
    uint32_t rr;       /* VL the arbiter looks at first */
    SimCycle tx_free;  /* first cycle the serialiser is free */
    SimCycle skip_due; /* when the next skip ordered set is due (skip_interval > 0) */
    SimTimedFifo phy_out;
    SimTimedFifo phy_in;
    uint32_t phy_data; /* data packets in the two PHY pipelines (flow control is not work) */
    bool started;
    IbLinkStats st;
} IbLink;

/*
 * Checks the parameters against the clock (a cycle must be one symbol time) and against each
 * other; false with err filled (kind SIM_ERR_INPUT) otherwise. Then allocates the queues.
 * The owner binds the ports itself (sim_build_port(b, "tx", c, &l->tx), "rx" likewise).
 */
bool ib_link_init(IbLink *l, SimComponent *owner, const char *name, const IbLinkParams *p,
                  SimError *err);
void ib_link_destroy(IbLink *l);

/* The load-time checks of IbLinkParams for a type's check op: returns the key to blame, or
 * NULL. (The clock is checked at build, when the domain is known: ib_link_init.) */
const char *ib_link_check(const IbLinkParams *p, char *msg, size_t msg_size);

/* Symbol times a packet occupies the lanes (with its delimiters). */
uint32_t ib_link_symbols(const IbLink *l, const SimPacket *pkt);

/* Picoseconds of one symbol time by the line rate and code (not rounded). */
double ib_link_symbol_ps(const IbLinkParams *p);

void ib_link_receive(IbLink *l, SimCycle now);
void ib_link_transmit(IbLink *l, SimCycle now);
SimCycle ib_link_wake(const IbLink *l, SimCycle now);

static inline bool ib_link_tx_can_put(const IbLink *l, uint32_t vl)
{
    return !sim_ring_full(&l->txv[vl].r);
}
/* Queues a data packet on its VL (ib_vl(pkt) < vls, payload <= mtu); requires room. */
void ib_link_tx_put(IbLink *l, SimPacket *pkt, SimCycle now);
/* The oldest received packet of a VL, NULL if none. */
static inline SimPacket *ib_link_rx_peek(const IbLink *l, uint32_t vl)
{
    const IbVlRx *v = &l->rxv[vl];
    return sim_ring_empty(&v->r) ? NULL : v->q[sim_ring_head(&v->r)];
}
/* Takes it, freeing its credits. */
SimPacket *ib_link_rx_pop(IbLink *l, uint32_t vl);

/*
 * For owners that move packets from one port to another themselves (the switch): whether a
 * data packet of `blocks` credits on `vl` can start at `now` (serialiser free, no flow-control
 * packet owed, no skip ordered set due, credits: settles due skips), and starting it.
 */
bool ib_link_tx_can_start(IbLink *l, uint32_t vl, uint32_t blocks, SimCycle now);
void ib_link_tx_start(IbLink *l, SimPacket *pkt, SimCycle now);
bool ib_link_tx_has_credits(const IbLink *l, uint32_t vl, uint32_t blocks);
/* Pushes what leaves the PHY at `now` (ib_link_transmit does it too). */
void ib_link_push(IbLink *l, SimCycle now);
/*
 * Takes the oldest received packet of a VL but keeps its credits until ib_link_rx_release.
 * A received packet carries in user[0] the cycle its tail is in the buffer and in user[1] the
 * cycle its header was (the same for a packet pushed whole).
 */
SimPacket *ib_link_rx_take(IbLink *l, uint32_t vl);
void ib_link_rx_release(IbLink *l, uint32_t vl, uint32_t blocks);

/* Holds data packets (queued, in the PHY or unread): the run must not end. Flow-control
 * packets are not work: a link that only refreshes its credits lets a run end. */
bool ib_link_busy(const IbLink *l);
void ib_link_finish(IbLink *l, SimTime end);
void ib_link_dump(const IbLink *l, SimError *report);

/* The statistics rows of an IbLink held in block `blk` of the owner's table, VL rows in group
 * `grp`: use IB_LINK_STAT_ROWS(blk, grp) in the table, bind .block[blk] = &l->st and
 * .count[grp - 1] = vls. */
/* clang-format off */
#define IB_LINK_VL_ROW(blk, grp, name_, field_, unit_, doc_)                                      \
    SIM_STAT_GROUP_ROW(blk, grp, name_, SIM_STAT_COUNTER, IbLinkStats, vl[0].field_,              \
                       sizeof(IbVlStats), unit_, 1, doc_)
#define IB_LINK_STAT_ROWS(blk, grp)                                                               \
    SIM_STAT_ROW_IN(blk, "tx_packets", SIM_STAT_COUNTER, IbLinkStats, tx_packets, "packets", 1,   \
                    "data packets sent"),                                                         \
    SIM_STAT_ROW_IN(blk, "tx_bytes", SIM_STAT_COUNTER, IbLinkStats, tx_bytes, "B", 1,             \
                    "bytes of the data packets sent, LRH to VCRC"),                               \
    SIM_STAT_ROW_IN(blk, "tx_payload_bytes", SIM_STAT_COUNTER, IbLinkStats, tx_payload_bytes,     \
                    "B", 1, "payload bytes of the data packets sent"),                            \
    SIM_STAT_ROW_IN(blk, "fc_sent", SIM_STAT_COUNTER, IbLinkStats, fc_sent, "packets", 1,         \
                    "flow-control packets sent"),                                                 \
    SIM_STAT_ROW_IN(blk, "fc_received", SIM_STAT_COUNTER, IbLinkStats, fc_received, "packets", 1, \
                    "flow-control packets received"),                                             \
    SIM_STAT_ROW_IN(blk, "skips", SIM_STAT_COUNTER, IbLinkStats, skips, "sets", 1,                \
                    "skip ordered sets sent (those of an idle stretch counted at its end)"),      \
    SIM_STAT_ROW_IN(blk, "busy_cycles", SIM_STAT_COUNTER, IbLinkStats, busy_cycles, "cycles", 1,  \
                    "symbol times the transmitter sent packets, flow control or skips"),          \
    SIM_STAT_ROW_IN(blk, "tx_util", SIM_STAT_REAL, IbLinkStats, tx_util, NULL, 1,                 \
                    "busy_cycles / symbol times of the run"),                                     \
    SIM_STAT_ROW_IN(blk, "rx_packets", SIM_STAT_COUNTER, IbLinkStats, rx_packets, "packets", 1,   \
                    "data packets received"),                                                     \
    SIM_STAT_ROW_IN(blk, "rx_bytes", SIM_STAT_COUNTER, IbLinkStats, rx_bytes, "B", 1,             \
                    "bytes of the data packets received, LRH to VCRC"),                           \
    SIM_STAT_ROW_IN(blk, "rx_payload_bytes", SIM_STAT_COUNTER, IbLinkStats, rx_payload_bytes,     \
                    "B", 1, "payload bytes of the data packets received"),                        \
    IB_LINK_VL_ROW(blk, grp, "vl<n>_tx_packets", tx_packets, "packets", "data packets sent on the VL"), \
    IB_LINK_VL_ROW(blk, grp, "vl<n>_tx_blocks", tx_blocks, "credits", "credits those took"),      \
    IB_LINK_VL_ROW(blk, grp, "vl<n>_rx_packets", rx_packets, "packets",                           \
                   "data packets received on the VL"),                                            \
    IB_LINK_VL_ROW(blk, grp, "vl<n>_rx_blocks", rx_blocks, "credits", "credits those took"),      \
    IB_LINK_VL_ROW(blk, grp, "vl<n>_fc_sent", fc_sent, "packets", "flow-control packets sent for the VL"), \
    IB_LINK_VL_ROW(blk, grp, "vl<n>_credit_stall_cycles", credit_stall_cycles, "cycles",          \
                   "symbol times the VL's head packet waited for credits"),                       \
    IB_LINK_VL_ROW(blk, grp, "vl<n>_rx_max_blocks", rx_max_blocks, "credits",                     \
                   "most credits the VL's receive buffer held at once")
/* clang-format on */

#ifdef __cplusplus
}
#endif

#endif
