/*
 * Command schedulers: given one request queue (oldest first) and the channel state, choose the
 * command to send at cycle `now`, or say when the first one could go. They are plain functions
 * of their inputs, swappable through a table and tested on their own.
 *
 * Each request needs, depending on its bank:
 *   bank holds its row    -> its column command (RD/WR, or RDA/WRA under the closed-page policy)
 *   bank holds other row  -> PRE
 *   bank closed           -> ACT
 *
 * FR-FCFS (Rixner et al., ISCA 2000) with a row-hit cap (Mutlu and Moscibroda, MICRO 2007):
 *   1. the oldest ready column command of a row hit;
 *   2. otherwise the oldest ready command of any request.
 *   Once a bank has served `cap` hits since its ACT, hits younger than a request waiting for
 *   another row of that bank are not eligible at all, so that request's PRE goes next.
 *   A PRE that would close a row some queued request still hits is held back until the bank's
 *   streak reaches the cap, so an older conflicting request cannot destroy a row that younger
 *   hits are about to use, and cannot be starved by them for longer than `cap` bursts either.
 * FCFS: requests of one bank are served strictly in arrival order (only the oldest request of
 *   each bank may send a command); across banks the oldest ready command goes first, so bank
 *   parallelism remains but row hits get no preference.
 *
 * Both never look at requests of ranks masked in `blocked` (a refresh is due there).
 */
#ifndef MEMBOX_DRAM_DDR3_SCHED_H
#define MEMBOX_DRAM_DDR3_SCHED_H

#include "ddr3_bank.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum DramSchedKind {
    DRAM_SCHED_FRFCFS = 0,
    DRAM_SCHED_FCFS,
    DRAM_SCHED_MAX
} DramSchedKind;

typedef enum DramPagePolicy {
    DRAM_PAGE_OPEN = 0,   /* rows stay open until a conflict or a refresh */
    DRAM_PAGE_CLOSED,     /* every column command auto-precharges */
    DRAM_PAGE_MAX
} DramPagePolicy;

extern const char *const dram_sched_names[DRAM_SCHED_MAX + 1];
extern const char *const dram_page_names[DRAM_PAGE_MAX + 1];

/* One 64 B burst waiting in a read or write queue. */
typedef struct Ddr3Req {
    uint64_t cookie;  /* the owner's handle, returned on completion */
    uint64_t addr;    /* burst-aligned physical address */
    SimCycle arrive;  /* cycle it entered the queue */
    SimCycle ready;   /* earliest cycle of its first command (arrive + front-end delay) */
    uint32_t row;
    uint16_t col;
    uint8_t rank;
    uint8_t bank;
    uint8_t first;    /* DramCmd of its first command, DRAM_CMD_MAX until one was sent */
    bool write;
} Ddr3Req;

typedef struct Ddr3SchedIn {
    const Ddr3Channel *ch;
    const Ddr3Req *q;   /* oldest first */
    uint32_t n;
    SimCycle now;
    DramPagePolicy page;
    uint32_t row_hit_cap;
    uint32_t blocked;   /* bit per rank: leave these ranks alone */
} Ddr3SchedIn;

typedef struct Ddr3Pick {
    int32_t index;      /* request to serve now, -1 if none */
    DramCmd cmd;        /* its command */
    SimCycle next;      /* if none: earliest cycle a command of q could go, SIM_CYCLE_NEVER */
} Ddr3Pick;

typedef void (*Ddr3SchedFn)(const Ddr3SchedIn *in, Ddr3Pick *out);

void ddr3_sched_frfcfs(const Ddr3SchedIn *in, Ddr3Pick *out);
void ddr3_sched_fcfs(const Ddr3SchedIn *in, Ddr3Pick *out);

extern const Ddr3SchedFn ddr3_sched_table[DRAM_SCHED_MAX];

/* The next command request r needs in the channel's present state. */
static inline DramCmd ddr3_sched_next_cmd(const Ddr3Channel *ch, const Ddr3Req *r,
                                          DramPagePolicy page)
{
    const Ddr3Bank *b = ddr3_channel_bank_c(ch, r->rank, r->bank);
    if (!b->open) {
        return DRAM_CMD_ACT;
    }
    if (b->row != r->row) {
        return DRAM_CMD_PRE;
    }
    if (page == DRAM_PAGE_CLOSED) {
        return r->write ? DRAM_CMD_WRA : DRAM_CMD_RDA;
    }
    return r->write ? DRAM_CMD_WR : DRAM_CMD_RD;
}

#ifdef __cplusplus
}
#endif

#endif
