/*
 * What the link models share: the lane-group component that both protocol processors use (the
 * formatter, the retry controller, the packet analyser, flow control), the link-layer parameters
 * of their tables, and the bookkeeping of the clock-crossing buffers.
 *
 * One MPP or SPP instance NAME is built as two components and four internal ports:
 *
 *      (Avalon side, 250 or 200 MHz)                  (lane side, 156.25 MHz)
 *
 *                      NAME:rq  -- data, sync --> NAME.lanes:rq      RHB/RPB/RPLB (MPP)
 *   NAME (core)  <-- NAME.lanes:rq_free, sync --                     or CPB/CLB (SPP)
 *                <-- NAME.lanes:cpl, sync --                         CPB/CLB (MPP)
 *                      NAME:cpl_free -- sync -->                     or RHB/RPB/RPLB (SPP)
 *                                                    NAME.lanes:tx --> (cable) --> far rx
 *
 * Each buffer written in one clock and read in the other is a dual-clock FIFO: the data port
 * carries the write pointer through its synchroniser to the reader; the *_free port carries the
 * read pointer back through another synchroniser (one token per tick in which entries were read)
 * so the writer learns of free space `sync_depth` of its own cycles after the read, as in
 * hardware. The writer owns the buffer's occupancy: it takes space when it writes and gives it
 * back when a token arrives, so occupancy statistics depend only on those events.
 */
#ifndef MEMBOX_MODELS_LINK_INTERNAL_H
#define MEMBOX_MODELS_LINK_INTERNAL_H

#include <stddef.h>

#include "link.h"
#include "models/proto/link.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum LinkRole {
    LINK_ROLE_MPP = 0, /* sends MWP and MRD, receives MRRP */
    LINK_ROLE_SPP,     /* sends MRRP, receives MWP and MRD */
    LINK_ROLE_MAX
} LinkRole;

typedef enum LinkRetryMode {
    LINK_RETRY_GO_BACK_N = 0,
    LINK_RETRY_SELECTIVE,
    LINK_RETRY_MAX
} LinkRetryMode;

/* The link-layer parameters an MPP and an SPP both have (same keys, same meaning). */
typedef struct LinkLaneParams {
    SimDomain *lane_domain;
    uint64_t lanes;
    double lane_rate;
    int header_placement;
    uint64_t ipg_cycles;
    uint64_t phy_tx_cycles;
    uint64_t phy_rx_cycles;
    uint64_t sync_depth;
    int retry_mode;
    SimTime replay_timeout;
    uint64_t retry_limit;
    uint64_t ack_every;
    SimTime ack_delay;
    uint64_t fc_hdr_threshold;
    uint64_t fc_data_threshold; /* bytes */
    SimTime fc_refresh;
    uint64_t rthb_depth;
    uint64_t rtlb_depth;
    uint64_t rtab_depth;
    uint64_t rtpb_size; /* bytes per lane */
    bool cut_through;   /* receive: hand data packets on after their header (repeater ports) */
} LinkLaneParams;

extern const char *const link_placement_names[];
extern const char *const link_retry_names[];

/* The rows of LinkLaneParams for a parameter table whose struct T has it as member `lane`. */
/* clang-format off */
#define LINK_LANE_PARAM_ROWS(T)                                                                   \
    {"lane_domain", SIM_PARAM_DOMAIN, offsetof(T, lane.lane_domain), "lane", NULL, NULL, NULL,   \
     "clock domain of the lanes (10GBase-R recovered clock, 156.25 MHz)"},                       \
    {"lanes", SIM_PARAM_UINT, offsetof(T, lane.lanes), "4", "1", "8", NULL,                      \
     "lanes moving in lock step: 1, 2, 4 or 8 (each carries 64 / lanes bytes of a beat)"},       \
    {"lane_rate", SIM_PARAM_BITRATE, offsetof(T, lane.lane_rate), "10.3125Gbps", "1Gbps",        \
     "1000Gbps", NULL,                                                                           \
     "serial line rate of one lane; x 64/66 must equal 64 bits x the lane clock"},               \
    {"header_placement", SIM_PARAM_ENUM, offsetof(T, lane.header_placement), "reference", NULL,  \
     NULL, link_placement_names,                                                                 \
     "reference: header words on lane 0 (paper); striped: header word i on lane i mod lanes"},   \
    {"ipg_cycles", SIM_PARAM_UINT, offsetof(T, lane.ipg_cycles), "0", "0", "64", NULL,           \
     "idle lane cycles after every packet (inter-packet gap)"},                                  \
    {"phy_tx_cycles", SIM_PARAM_UINT, offsetof(T, lane.phy_tx_cycles), "4", "0", "1000", NULL,   \
     "lane cycles from the last word handed to the transceiver to its leaving (PCS + PMA)"},     \
    {"phy_rx_cycles", SIM_PARAM_UINT, offsetof(T, lane.phy_rx_cycles), "6", "0", "1000", NULL,   \
     "lane cycles from the last word received to its CRC checked (PMA + PCS + analyser)"},       \
    {"sync_depth", SIM_PARAM_UINT, offsetof(T, lane.sync_depth), "2", "0", "16", NULL,           \
     "synchroniser cycles of the dual-clock FIFOs between the Avalon and lane clocks"},          \
    {"retry", SIM_PARAM_ENUM, offsetof(T, lane.retry_mode), "go_back_n", NULL, NULL,            \
     link_retry_names,                                                                           \
     "on a Nak: go_back_n resends every unacknowledged packet, selective only the missing one"}, \
    {"replay_timeout", SIM_PARAM_TIME, offsetof(T, lane.replay_timeout), "3us", "10ns", "1s",    \
     NULL, "resend when neither Ack nor Nak progressed for this long (rounded up to cycles)"},   \
    {"retry_limit", SIM_PARAM_UINT, offsetof(T, lane.retry_limit), "64", "0", "1000000", NULL,  \
     "resends in a row of the oldest unacknowledged packet before a link failure (run error); " \
     "0: none"},                                                                                 \
    {"ack_every", SIM_PARAM_UINT, offsetof(T, lane.ack_every), "8", "1", "4096", NULL,           \
     "coalescing: an Ack after this many packets received in order"},                            \
    {"ack_delay", SIM_PARAM_TIME, offsetof(T, lane.ack_delay), "102.4ns", "0", "1ms", NULL,      \
     "coalescing: an Ack at most this long after the first unacknowledged packet"},              \
    {"fc_hdr_threshold", SIM_PARAM_UINT, offsetof(T, lane.fc_hdr_threshold), "8", "1", "4096",   \
     NULL, "flow-control update once this many header or length entries were freed"},           \
    {"fc_data_threshold", SIM_PARAM_BYTES, offsetof(T, lane.fc_data_threshold), "2KiB", "64B",   \
     "1MiB", NULL, "flow-control update once this many payload bytes were freed"},              \
    {"fc_refresh", SIM_PARAM_TIME, offsetof(T, lane.fc_refresh), "30us", "100ns", "1s", NULL,    \
     "resend the credits when neither an update was sent nor a data packet received this long"}, \
    {"rthb_depth", SIM_PARAM_UINT, offsetof(T, lane.rthb_depth), "64", "1", "4096", NULL,        \
     "retry header buffer entries: packets sent and not yet acknowledged"},                     \
    {"rtlb_depth", SIM_PARAM_UINT, offsetof(T, lane.rtlb_depth), "64", "1", "4096", NULL,        \
     "retry length buffer entries: unacknowledged packets with payload"},                       \
    {"rtab_depth", SIM_PARAM_UINT, offsetof(T, lane.rtab_depth), "64", "1", "4096", NULL,        \
     "retry payload address buffer entries: unacknowledged packets with payload"},              \
    {"rtpb_size", SIM_PARAM_BYTES, offsetof(T, lane.rtpb_size), "8KiB", "8B", "128KiB", NULL,    \
     "retry payload buffer per lane, bytes"},                                                   \
    {"cut_through", SIM_PARAM_BOOL, offsetof(T, lane.cut_through), "false", NULL, NULL, NULL,    \
     "hand received data packets on after their header, before the CRC at their tail "           \
     "(repeater ports; docs/models/repeater.md)"}
/* clang-format on */

/* Cross-parameter checks of the link layer; rx_* are the instance's own receive buffers. NULL
 * when fine, else the key to blame with the reason in msg. */
const char *link_lane_params_check(const LinkLaneParams *p, uint64_t rx_hdr, uint64_t rx_bytes,
                                   char *msg, size_t size);

/* Bytes per lane of a buffer -> 64-byte beats it holds. */
static inline uint64_t link_lane_bytes_to_beats(uint64_t bytes, uint64_t lanes)
{
    return bytes * lanes / LINK_BEAT_BYTES;
}

/* Per-lane buffer size that holds whole beats and one largest packet; NULL or the reason. */
const char *link_lane_buffer_check(uint64_t bytes, uint64_t lanes, char *msg, size_t size,
                                   const char *what);

/* ---- clock-crossing buffer bookkeeping (the writer's side) ---- */

typedef struct LinkBudget {
    uint64_t cap[LINK_CR_MAX];
    uint64_t used[LINK_CR_MAX];
    SimTimeAvg occ[LINK_CR_MAX];
} LinkBudget;

void link_budget_init(LinkBudget *b, uint64_t hdr, uint64_t beats, uint64_t lens);

/* These three run once or more per packet at every clock crossing: inline. */
static inline bool link_budget_fits(const LinkBudget *b, const uint64_t need[LINK_CR_MAX])
{
    for (int i = 0; i < LINK_CR_MAX; i++) {
        if (b->used[i] + need[i] > b->cap[i]) {
            return false;
        }
    }
    return true;
}

static inline void link_budget_take(LinkBudget *b, SimTime now, const uint64_t need[LINK_CR_MAX])
{
    for (int i = 0; i < LINK_CR_MAX; i++) {
        b->used[i] += need[i];
        sim_timeavg_set(&b->occ[i], now, b->used[i]);
    }
}

static inline void link_budget_give(LinkBudget *b, SimTime now, const uint64_t amount[LINK_CR_MAX])
{
    for (int i = 0; i < LINK_CR_MAX; i++) {
        b->used[i] -= amount[i];
        sim_timeavg_set(&b->occ[i], now, b->used[i]);
    }
}

/*
 * The packets a token port carries belong to its writer, not to the run's pool: as many as the
 * port has slots, used in turn. A port of n slots holds at most n - 1 tokens when one more is
 * pushed, the latest n - 1 sent, so the one sent n tokens ago has been popped, and its reader
 * took the amounts out when it popped it. Each send still takes the next packet id, so the ids
 * of all other packets are those of a run that drew tokens from the pool.
 */
typedef struct LinkTokens {
    SimPacket *pkt;
    uint32_t n;
    uint32_t next;
} LinkTokens;

/* link_connect() of a token port whose writer keeps its packets in tk; NULL as link_connect(). */
SimPort *link_connect_tokens(Sim *sim, SimComponent *from, const char *from_name,
                             SimPort **from_slot, LinkTokens *tk, SimComponent *to,
                             const char *to_name, SimPort **to_slot, const char *port,
                             uint32_t depth, uint32_t sync, SimError *err);
void link_tokens_destroy(LinkTokens *tk);

/* A token returning read space across a crossing; false if the run failed. The port must have
 * room: a token port is as deep as the buffer has entries. */
bool link_token_send(Sim *sim, SimPort *p, LinkTokens *tk, const uint64_t amount[LINK_CR_MAX]);
void link_token_read(const SimPacket *t, uint64_t amount[LINK_CR_MAX]);
/* Take every visible token from p and add to acc (the packets stay the writer's); returns how
 * many. Most ticks find none: that test is inline, the loop is not. */
uint32_t link_token_drain_some(SimPort *p, uint64_t acc[LINK_CR_MAX]);
static inline uint32_t link_token_drain(SimPort *p, uint64_t acc[LINK_CR_MAX])
{
    return sim_port_peek(p) != NULL ? link_token_drain_some(p, acc) : 0;
}

/* ---- the lane group ---- */

typedef struct LinkLanes LinkLanes;

/* Why a ready data packet waits for the lanes. */
enum {
    LINK_STALL_NONE = 0,
    LINK_STALL_CREDIT,
    LINK_STALL_RETRY,
    LINK_STALL_MAX
};

/* Packet types the lane group counts, LINK_MWP .. LINK_FC, and their statistics labels. */
#define LINK_NTYPES (LINK_FC - LINK_MWP + 1)
extern const char *const link_type_keys[LINK_NTYPES];

/* The lane group's statistics (its part of the MPP's and SPP's tables, below). */
typedef struct LinkLanesStats {
    uint64_t tx_pkts[LINK_NTYPES];
    uint64_t tx_bytes[LINK_NTYPES]; /* wire bytes (64-bit words x 8, all lanes) */
    uint64_t rx_pkts[LINK_NTYPES];
    uint64_t tx_payload_bytes;
    uint64_t rx_payload_bytes;
    uint64_t tx_wire_bytes;
    uint64_t retransmits;
    uint64_t replays;
    uint64_t timeouts;
    uint64_t crc_errors;
    uint64_t duplicates;
    uint64_t out_of_order;
    uint64_t stall_cycles[LINK_STALL_MAX];
    uint64_t delivered;
    uint64_t cut_throughs;
    uint64_t stomped_tx;
    uint64_t stomped_rx;
    uint64_t discarded;
    uint64_t stretch_cycles;
    uint64_t lane_busy[LINK_MAX_LANES];
    double lane_util[LINK_MAX_LANES];
    double wire_util;
    SimTimeAvg rthb_occ;
    SimTimeAvg rtlb_occ;
    SimTimeAvg rtab_occ;
    SimTimeAvg rtpb_occ;
    SimTimeAvg reorder_occ;
    SimHist one_way;    /* first transmission start -> delivered in order, ps */
    SimHist retry_time; /* first transmission start -> acknowledged, ps */
} LinkLanesStats;

/*
 * The statistics tables of link.mpp and link.spp: each is its lane group's rows, its receive
 * buffers (kept by the lane group), the lane group's reorder buffer, its transmit buffers and its
 * own rows, in that order. These are the blocks and groups they share; link_stats_binding()
 * fills the binding of both.
 */
enum {
    LINK_SB_SELF = 0, /* the MPP's or SPP's own struct */
    LINK_SB_LANES,    /* LinkLanesStats of its lane group */
    LINK_SB_RXBUF,    /* LinkBudget of its receive buffers (in the lane group) */
    LINK_SB_REORDER,  /* LinkLanesStats again with retry: selective; else absent */
    LINK_SB_TXBUF,    /* LinkBudget of its transmit buffers */
    LINK_SB_MAX
};
enum {
    LINK_SG_TYPE = 1,
    LINK_SG_LANE
};

/* clang-format off */
#define LINK_STAT_GROUPS                                                                          \
    {"<type>", "packet type: mwp, mrd, mrrp, ack, nak, fc", link_type_keys},                     \
    {"<n>", "lane: 0 .. lanes - 1", NULL}

#define LINK_LANES_STAT_ROW(name_, kind_, field_, unit_, scale_, doc_)                             \
    SIM_STAT_ROW_IN(LINK_SB_LANES, name_, kind_, LinkLanesStats, field_, unit_, scale_, doc_)

#define LINK_LANES_STAT_ROWS                                                                      \
    SIM_STAT_GROUP_ROW(LINK_SB_LANES, LINK_SG_TYPE, "tx_<type>", SIM_STAT_COUNTER,               \
                       LinkLanesStats, tx_pkts[0], sizeof(uint64_t), "packets", 1,               \
                       "packets of this type sent, retransmissions included"),                   \
    SIM_STAT_GROUP_ROW(LINK_SB_LANES, LINK_SG_TYPE, "tx_<type>_bytes", SIM_STAT_COUNTER,         \
                       LinkLanesStats, tx_bytes[0], sizeof(uint64_t), "B", 1,                    \
                       "bytes of words of this type sent on all lanes, framing included"),       \
    SIM_STAT_GROUP_ROW(LINK_SB_LANES, LINK_SG_TYPE, "rx_<type>", SIM_STAT_COUNTER,               \
                       LinkLanesStats, rx_pkts[0], sizeof(uint64_t), "packets", 1,               \
                       "packets of this type received with a good CRC"),                         \
    SIM_STAT_GROUP_ROW(LINK_SB_LANES, LINK_SG_LANE, "lane<n>_busy_cycles", SIM_STAT_COUNTER,     \
                       LinkLanesStats, lane_busy[0], sizeof(uint64_t), "cycles", 1,              \
                       "lane cycles carrying a word of a packet (framing included)"),            \
    SIM_STAT_GROUP_ROW(LINK_SB_LANES, LINK_SG_LANE, "lane<n>_util", SIM_STAT_REAL,               \
                       LinkLanesStats, lane_util[0], sizeof(double), NULL, 1,                    \
                       "busy cycles / lane cycles of the run"),                                  \
    LINK_LANES_STAT_ROW("wire_util", SIM_STAT_REAL, wire_util, NULL, 1,                          \
                        "words sent / (lanes x lane cycles of the run)"),                        \
    LINK_LANES_STAT_ROW("tx_payload_bytes", SIM_STAT_COUNTER, tx_payload_bytes, "B", 1,          \
                        "payload bytes sent, retransmissions included"),                         \
    LINK_LANES_STAT_ROW("rx_payload_bytes", SIM_STAT_COUNTER, rx_payload_bytes, "B", 1,          \
                        "payload bytes received with a good CRC, duplicates included"),          \
    LINK_LANES_STAT_ROW("tx_wire_bytes", SIM_STAT_COUNTER, tx_wire_bytes, "B", 1,                \
                        "bytes of 64-bit words sent on all lanes (header, data, framing)"),      \
    LINK_LANES_STAT_ROW("delivered", SIM_STAT_COUNTER, delivered, "packets", 1,                  \
                        "data packets received in order and passed on"),                         \
    LINK_LANES_STAT_ROW("retransmits", SIM_STAT_COUNTER, retransmits, "packets", 1,              \
                        "data packets sent again"),                                              \
    LINK_LANES_STAT_ROW("cut_throughs", SIM_STAT_COUNTER, cut_throughs, "packets", 1,            \
                        "data packets handed on at their header, before their CRC "              \
                        "(cut_through)"),                                                        \
    LINK_LANES_STAT_ROW("stomped_tx", SIM_STAT_COUNTER, stomped_tx, "packets", 1,                \
                        "cut-through packets found bad at their tail, sent with a stomped CRC"), \
    LINK_LANES_STAT_ROW("stomped_rx", SIM_STAT_COUNTER, stomped_rx, "packets", 1,                \
                        "packets received with a stomped CRC (dropped silently, no Nak)"),       \
    LINK_LANES_STAT_ROW("discarded", SIM_STAT_COUNTER, discarded, "packets", 1,                  \
                        "cut-through packets whose tail showed them bad before they could "      \
                        "start (dropped)"),                                                      \
    LINK_LANES_STAT_ROW("tail_wait_cycles", SIM_STAT_COUNTER, stretch_cycles, "cycles", 1,       \
                        "lane cycles trailers waited for a cut-through packet's tail to "        \
                        "arrive"),                                                               \
    LINK_LANES_STAT_ROW("replays", SIM_STAT_COUNTER, replays, NULL, 1,                           \
                        "resends started (by a Nak or a timeout)"),                              \
    LINK_LANES_STAT_ROW("timeouts", SIM_STAT_COUNTER, timeouts, NULL, 1,                         \
                        "replay timer expiries"),                                                \
    LINK_LANES_STAT_ROW("naks_sent", SIM_STAT_COUNTER, tx_pkts[LINK_NAK - LINK_MWP], "packets",  \
                        1, "Naks sent"),                                                         \
    LINK_LANES_STAT_ROW("crc_errors", SIM_STAT_COUNTER, crc_errors, "packets", 1,                \
                        "packets received with a bad CRC (dropped)"),                            \
    LINK_LANES_STAT_ROW("duplicates", SIM_STAT_COUNTER, duplicates, "packets", 1,                \
                        "data packets received again (dropped)"),                                \
    LINK_LANES_STAT_ROW("out_of_order", SIM_STAT_COUNTER, out_of_order, "packets", 1,            \
                        "data packets received after a gap (dropped, or held when selective)"),  \
    LINK_LANES_STAT_ROW("credit_stall_cycles", SIM_STAT_COUNTER,                                 \
                        stall_cycles[LINK_STALL_CREDIT], "cycles", 1,                            \
                        "idle lane cycles with a packet ready but no credits from the far "      \
                        "side"),                                                                 \
    LINK_LANES_STAT_ROW("retry_stall_cycles", SIM_STAT_COUNTER, stall_cycles[LINK_STALL_RETRY],  \
                        "cycles", 1,                                                             \
                        "idle lane cycles with a packet ready but full retry buffers"),          \
    LINK_LANES_STAT_ROW("rthb", SIM_STAT_TIMEAVG, rthb_occ, "entries", 1,                        \
                        "retry header buffer entries held, time-weighted"),                      \
    LINK_LANES_STAT_ROW("rtlb", SIM_STAT_TIMEAVG, rtlb_occ, "entries", 1,                        \
                        "retry length buffer entries held, time-weighted"),                      \
    LINK_LANES_STAT_ROW("rtab", SIM_STAT_TIMEAVG, rtab_occ, "entries", 1,                        \
                        "retry payload address buffer entries held, time-weighted"),             \
    {.name = "rtpb", .kind = SIM_STAT_TIMEAVG, .offset = offsetof(LinkLanesStats, rtpb_occ),     \
     .unit = "B per lane", .doc = "retry payload buffer bytes per lane held, time-weighted",     \
     .block = LINK_SB_LANES, .scale_arg = true},                                                 \
    LINK_LANES_STAT_ROW("link_latency_ns", SIM_STAT_HIST, one_way, "ns", 1000,                   \
                        "received data packets: first transmission start to delivery in "        \
                        "order"),                                                                \
    LINK_LANES_STAT_ROW("retry_residency_ns", SIM_STAT_HIST, retry_time, "ns", 1000,             \
                        "sent data packets: first transmission start to acknowledgement")

/* The reorder buffer's row: present with retry: selective (block LINK_SB_REORDER). */
#define LINK_REORDER_STAT_ROW                                                                     \
    SIM_STAT_ROW_IN(LINK_SB_REORDER, "reorder", SIM_STAT_TIMEAVG, LinkLanesStats, reorder_occ,   \
                    "packets", 1, "out-of-order packets held (retry: selective), time-weighted")

/* The rows of a buffer set (LinkBudget) in block blk, under the names the owner gives them;
 * payload is counted in beats and written in bytes per lane (the binding's scale). */
#define LINK_BUDGET_HDR_STAT_ROW(blk_, name_)                                                      \
    SIM_STAT_ROW_IN(blk_, name_, SIM_STAT_TIMEAVG, LinkBudget, occ[LINK_CR_HDR], "entries", 1,     \
                    "header entries held, time-weighted (writer's view)")
#define LINK_BUDGET_DATA_STAT_ROW(blk_, name_)                                                     \
    {.name = (name_), .kind = SIM_STAT_TIMEAVG,                                                   \
     .offset = offsetof(LinkBudget, occ[LINK_CR_DATA]),                                           \
     .unit = "B per lane", .doc = "payload bytes per lane held, time-weighted (writer's view)",  \
     .block = (blk_), .scale_arg = true}
#define LINK_BUDGET_LEN_STAT_ROW(blk_, name_)                                                      \
    SIM_STAT_ROW_IN(blk_, name_, SIM_STAT_TIMEAVG, LinkBudget, occ[LINK_CR_LEN], "entries", 1,     \
                    "length entries held, time-weighted (writer's view)")
/* clang-format on */

typedef struct LinkLanesConfig {
    LinkRole role;
    const LinkLaneParams *p;
    uint64_t rx_cap[LINK_CR_MAX];      /* own receive buffers (credits the far side gets) */
    const char *rx_names[LINK_CR_MAX]; /* statistics names of those buffers */
    uint32_t done_depth;               /* MPP with write_ack: link -> depth of `done` */
} LinkLanesConfig;

/*
 * Make the lane-group component NAME.lanes in p->lane_domain. Its ports are filled by the
 * owner: src/src_free (data packets to send and the tokens back), dst/dst_free (packets
 * received in order and the tokens from their reader), tx/rx (the wire) and done (optional).
 */
LinkLanes *link_lanes_new(Sim *sim, const char *name, const LinkLanesConfig *cfg, SimError *err);
SimComponent *link_lanes_component(LinkLanes *l);
SimPort **link_lanes_port(LinkLanes *l, const char *which);
/* The packets of its src_free port (link_connect_tokens() of that port). */
LinkTokens *link_lanes_tokens(LinkLanes *l);

/* The statistics binding of an MPP or SPP (self, its lane group, its transmit buffers). */
SimStatBinding link_stats_binding(const void *self, const LinkLanes *l, const LinkBudget *txbuf);

/* Internal ports of an instance: name "a:x -> b:x", latency 0, the instance's synchroniser. */
SimPort *link_connect(Sim *sim, SimComponent *from, const char *from_name, SimPort **from_slot,
                      SimComponent *to, const char *to_name, SimPort **to_slot, const char *port,
                      uint32_t depth, uint32_t sync, SimError *err);

/* Copy of pkt (fields, payload reference, stamps) from the pool; NULL if it ran dry. */
SimPacket *link_packet_clone(Sim *sim, const SimPacket *pkt);

#ifdef __cplusplus
}
#endif

#endif
