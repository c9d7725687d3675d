/*
 * Ddr3Ctrl: the cycle-accurate core of one DDR3 channel controller, free of the simulation
 * kernel. Its owner calls ddr3_ctrl_enqueue() for each 64 B burst and ddr3_ctrl_tick() at the
 * cycles it asks for; the core sends at most one command per cycle, keeps the read and write
 * queues, the write-drain mode and the refresh schedule, and reports through two callbacks:
 *
 *   done(ctx, cookie, write, cycle)   a burst's data will have fully crossed the data bus at
 *                                     `cycle` (RD + CL + BL/2, WR + CWL + BL/2), or a read was
 *                                     served from the write queue (forwarded).
 *   cmd(ctx, record)                  every command as it is sent (for the checker, traces).
 *
 * Sleeping: tick() returns a cycle before which nothing can happen unless a new burst is
 * enqueued (enqueue lowers it). Ticking earlier is harmless: it changes nothing and returns the
 * same cycle. So the owner never scans idle cycles, and with empty queues the core sleeps until
 * the next refresh falls due.
 *
 * Write drain: the core serves the read queue, except that it serves writes when no read waits,
 * or from the moment the write queue reaches `write_high` until it falls to `write_low`.
 *
 * Refresh: rank r falls due at (k + 1) tREFI + r tREFI / ranks for k = 0, 1, ... (ranks
 * staggered). From that cycle the rank gets no new command but PREA (if a bank is open) and
 * then REF, as early as the timing allows; requests of other ranks go on.
 */
#ifndef MEMBOX_DRAM_DDR3_CTRL_H
#define MEMBOX_DRAM_DDR3_CTRL_H

#include "dram_addr.h"
#include "ddr3_sched.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DDR3_MAX_QUEUE 256

typedef struct Ddr3CtrlConfig {
    Ddr3TimingParams timing;
    DramGeometry geometry;
    DramMapping mapping;
    DramBankHash hash;
    uint32_t read_queue; /* bursts */
    uint32_t write_queue;
    uint32_t write_high; /* start draining writes at this many */
    uint32_t write_low;  /* stop draining at this many */
    DramSchedKind sched;
    DramPagePolicy page;
    uint32_t row_hit_cap;
    bool refresh;
    uint32_t frontend; /* cycles from enqueue to the earliest first command (>= 0) */
} Ddr3CtrlConfig;

/* The default: DDR3-1600K, 4 GiB of 8 x8 devices, 1 rank, FR-FCFS, open page. */
void ddr3_ctrl_config_default(Ddr3CtrlConfig *cfg);

typedef void (*Ddr3DoneFn)(void *ctx, uint64_t cookie, bool write, SimCycle done);
typedef void (*Ddr3CmdFn)(void *ctx, const Ddr3CmdRecord *rec);

typedef struct Ddr3CtrlStats {
    uint64_t cmds[DRAM_CMD_MAX]; /* commands sent, by kind */
    uint64_t reads;              /* read bursts served by the DRAM */
    uint64_t writes;             /* write bursts written to the DRAM */
    uint64_t read_forwards;      /* reads served from the write queue */
    uint64_t row_hits;           /* bursts whose first command was their column command */
    uint64_t row_misses;         /* ... was an ACT (bank closed) */
    uint64_t row_conflicts;      /* ... was a PRE (another row open) */
    uint64_t write_drains;       /* switches into write-drain mode */
    SimCycle last_data;          /* end of the last data burst (cycle) */
} Ddr3CtrlStats;

typedef struct Ddr3Ctrl Ddr3Ctrl;

/* NULL with *why set (static text) if the configuration is inconsistent, or to
 * ddr3_ctrl_out_of_memory when memory ran out. */
Ddr3Ctrl *ddr3_ctrl_new(const Ddr3CtrlConfig *cfg, const char **why);
extern const char ddr3_ctrl_out_of_memory[];
void ddr3_ctrl_free(Ddr3Ctrl *c);

void ddr3_ctrl_set_callbacks(Ddr3Ctrl *c, Ddr3DoneFn done, Ddr3CmdFn cmd, void *ctx);

/* Free slots of the read or write queue. */
uint32_t ddr3_ctrl_space(const Ddr3Ctrl *c, bool write);

/*
 * Queue a burst at cycle now (the address is wrapped to the capacity and aligned down to the
 * burst). Requires space. A read that finds a write to the same burst in the write queue is
 * served from it: done() is called at once with cycle now + frontend.
 */
void ddr3_ctrl_enqueue(Ddr3Ctrl *c, SimCycle now, uint64_t addr, bool write, uint64_t cookie);

/* Send at most one command at cycle now; return the next cycle worth ticking (> now), or
 * SIM_CYCLE_NEVER when the queues are empty and refresh is off. */
SimCycle ddr3_ctrl_tick(Ddr3Ctrl *c, SimCycle now);

/* The cycle tick() would return now, without ticking (for owners that merge wake-ups). */
SimCycle ddr3_ctrl_wake(const Ddr3Ctrl *c);

/* Bursts queued (not yet sent to the DRAM). */
uint32_t ddr3_ctrl_queued(const Ddr3Ctrl *c, bool write);

const Ddr3CtrlStats *ddr3_ctrl_stats(const Ddr3Ctrl *c);
const DramAddrMap *ddr3_ctrl_map(const Ddr3Ctrl *c);
const Ddr3Channel *ddr3_ctrl_channel(const Ddr3Ctrl *c);

/* The constraint tables the scheduler works from. Tests may break them (ddr3_timing_override)
 * to show that the independent checker notices. */
Ddr3Timing *ddr3_ctrl_timing(Ddr3Ctrl *c);

#ifdef __cplusplus
}
#endif

#endif
