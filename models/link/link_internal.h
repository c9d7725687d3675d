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
bool link_budget_fits(const LinkBudget *b, const uint64_t need[LINK_CR_MAX]);
void link_budget_take(LinkBudget *b, SimTime now, const uint64_t need[LINK_CR_MAX]);
void link_budget_give(LinkBudget *b, SimTime now, const uint64_t amount[LINK_CR_MAX]);
/* Register occupancy statistics under prefix.<names[i]> (NULL names are skipped); the data
 * buffer in bytes per lane. */
bool link_budget_stats(LinkBudget *b, SimStats *s, const char *prefix,
                       const char *const names[LINK_CR_MAX], uint64_t lanes);

/* A token returning read space across a crossing; false if the packet pool ran dry (the run
 * failed). The port must have room: a token port is as deep as the buffer has entries. */
bool link_token_send(Sim *sim, SimPort *p, const uint64_t amount[LINK_CR_MAX]);
void link_token_read(const SimPacket *t, uint64_t amount[LINK_CR_MAX]);
/* Take every visible token from p, add to acc, free the packets; returns how many. */
uint32_t link_token_drain(Sim *sim, SimPort *p, uint64_t acc[LINK_CR_MAX]);

/* ---- the lane group ---- */

typedef struct LinkLanes LinkLanes;

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
