/*
 * dram.ctrl: the DDR3 controller as a component of the kernel. One component ticking in the
 * DRAM clock domain (`domain`, default "ddr", 800 MHz) wraps the Ddr3Ctrl core; its request
 * port comes from the Avalon-MM side (the arbiter or a traffic source in "mem", 200 MHz), so
 * the port's synchroniser is the clock crossing, and responses cross back the same way.
 *
 * Per tick, in this order (docs/models/dram.md has the cycle diagram):
 *   1. the core sends at most one command (bursts whose data end is known report it);
 *   2. the request at the head of `req` is taken if a queue has room for at least one of its
 *      bursts (one request per cycle); its bursts enter the read or write queue as room allows;
 *      the functional store is read or written at this moment;
 *   3. every response whose last data beat has ended by now is sent on `resp`.
 * It then sleeps until the earliest of: the core's next possible command or refresh, the next
 * data end, or (when a request waits and could be taken) the next cycle. A delivery on `req` or
 * a slot freed on `resp` wakes it too.
 */
#include "dram.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddr3_checker.h"
#include "ddr3_ctrl.h"
#include "dram_store.h"
#include "models/proto/mem.h"

enum {
    WRITE_ACK_ACCEPT = 0,
    WRITE_ACK_COMPLETE,
    WRITE_ACK_MAX
};

static const char *const write_ack_names[] = {"accept", "complete", NULL};

typedef struct DramCtrlParams {
    SimDomain *domain;
    SimTime tck;
    uint64_t cl, cwl, trcd, trp, tras, trc, twr, twtr, trtp, tccd, trrd, tfaw, trfc, trefi, trtrs;
    uint64_t bl;
    uint64_t ranks, banks, rows, columns, device_width, bus_width;
    uint64_t read_queue, write_queue, write_high, write_low;
    int scheduler;
    int page_policy;
    uint64_t row_hit_cap;
    int mapping;
    int bank_hash;
    bool refresh;
    uint64_t frontend;
    bool functional;
    uint64_t store_lines;
    bool check;
    int write_ack;
} DramCtrlParams;

#define NO_PARENT UINT32_MAX

/* A request (one Avalon transaction) while the controller holds it. */
typedef struct DramParent {
    SimPacket *pkt;
    SimCycle accept; /* cycle it was taken from the port */
    SimCycle done;   /* latest data end of its bursts so far */
    uint32_t left;   /* bursts whose data end is not known yet */
    uint32_t next;   /* free list */
    bool write;
} DramParent;

typedef struct DramCtrl {
    SimComponent c;
    SimPort *in;
    SimPort *out;
    DramCtrlParams p;
    Ddr3Ctrl *core;
    Ddr3Checker *checker;
    DramStore *store;
    uint64_t capacity;
    DramParent *parents;
    uint32_t n_parents;
    uint32_t free_head;
    uint32_t live;   /* parents in use */
    uint32_t *ready; /* complete parents, by data end then completion order */
    uint32_t n_ready;
    /* the request being split into bursts */
    uint32_t cur;      /* parent, NO_PARENT if none */
    uint64_t cur_addr; /* next burst address */
    uint32_t cur_left; /* bursts still to queue */
    /* statistics */
    uint64_t cycles;
    uint64_t reads;
    uint64_t writes;
    uint64_t read_requests;
    uint64_t write_requests;
    uint64_t precharges;
    uint64_t checker_violations;
    uint64_t read_lat_sum;
    uint64_t read_lat_n;
    double row_hit_rate;
    double bandwidth_gbps;
    double read_latency_avg_cycles;
    double read_latency_avg_ns;
    SimHist read_latency;  /* ps */
    SimHist write_latency; /* ps */
    SimTimeAvg rq_occ;
    SimTimeAvg wq_occ;
} DramCtrl;

/* ---- parents and the ready list ---- */

static uint32_t parent_alloc(DramCtrl *d)
{
    uint32_t i = d->free_head;
    if (i != NO_PARENT) {
        d->free_head = d->parents[i].next;
        d->live++;
    }
    return i;
}

static void parent_free(DramCtrl *d, uint32_t i)
{
    d->parents[i].pkt = NULL;
    d->parents[i].next = d->free_head;
    d->free_head = i;
    d->live--;
}

static void ready_insert(DramCtrl *d, uint32_t i)
{
    /* Stable insertion by data end: equal ends keep their completion order. */
    SimCycle done = d->parents[i].done;
    uint32_t pos = d->n_ready;
    while (pos > 0 && d->parents[d->ready[pos - 1]].done > done) {
        d->ready[pos] = d->ready[pos - 1];
        pos--;
    }
    d->ready[pos] = i;
    d->n_ready++;
}

/* ---- core callbacks ---- */

static void on_done(void *ctx, uint64_t cookie, bool write, SimCycle done)
{
    DramCtrl *d = ctx;
    (void)write;
    if (cookie == NO_PARENT) {
        return; /* a posted write already acknowledged */
    }
    DramParent *pp = &d->parents[cookie];
    if (done > pp->done) {
        pp->done = done;
    }
    if (--pp->left == 0) {
        ready_insert(d, (uint32_t)cookie);
    }
}

/* Names of the commands on the timeline (static: the track keeps no copy). */
static const char *const cmd_slice_name[DRAM_CMD_MAX] = {
    [DRAM_CMD_ACT] = "ACT",       [DRAM_CMD_PRE] = "PRE",       [DRAM_CMD_PREA] = "PREA",
    [DRAM_CMD_RD] = "RD burst",   [DRAM_CMD_RDA] = "RDA burst", [DRAM_CMD_WR] = "WR burst",
    [DRAM_CMD_WRA] = "WRA burst", [DRAM_CMD_REF] = "REF",
};

/* The timeline: a column command is a slice from the command to the end of its data burst
 * (read_done or write_done cycles, docs/models/dram.md), a REF one of tRFC, others instants. */
static void cmd_to_track(DramCtrl *d, const Ddr3CmdRecord *rec)
{
    const SimDomain *dom = d->c.domain;
    const Ddr3Timing *t = ddr3_ctrl_timing(d->core);
    SimTime at = sim_domain_time(dom, rec->cycle);
    uint64_t where = (uint64_t)rec->bank << 32 | rec->row;
    if (dram_cmd_is_column(rec->cmd) || rec->cmd == DRAM_CMD_REF) {
        uint32_t len = dram_cmd_is_read(rec->cmd)    ? t->read_done
                       : dram_cmd_is_write(rec->cmd) ? t->write_done
                                                     : t->p.trfc;
        sim_track_async(d->c.track, cmd_slice_name[rec->cmd], rec->cycle, at,
                        sim_domain_time(dom, rec->cycle + len), where);
    } else {
        sim_track_instant(d->c.track, cmd_slice_name[rec->cmd], at, where);
    }
}

/* Signals (sim/core/observe.h): each bank's state, from the controller's channel. */
static const SimSignalDesc ctrl_signal_rows[] = {
    {.name = "bank<n>_open",
     .kind = SIM_SIG_BOOL,
     .offset = offsetof(Ddr3Channel, bank[0].open),
     .group = true,
     .stride = sizeof(Ddr3Bank),
     .doc = "bank n (rank x banks + bank) holds a row open"},
    {.name = "bank<n>_row",
     .kind = SIM_SIG_U32,
     .width = 32,
     .offset = offsetof(Ddr3Channel, bank[0].row),
     .group = true,
     .stride = sizeof(Ddr3Bank),
     .doc = "the row bank n holds (valid while open)"},
    {.name = "open_banks",
     .kind = SIM_SIG_U32,
     .width = 8,
     .offset = offsetof(Ddr3Channel, rank[0].open_banks),
     .doc = "banks of rank 0 open"},
};
static const SimSignalTable ctrl_signals = {ctrl_signal_rows, N_OF(ctrl_signal_rows)};

static void on_cmd(void *ctx, const Ddr3CmdRecord *rec)
{
    DramCtrl *d = ctx;
    if (d->c.track) {
        cmd_to_track(d, rec);
    }
    if (d->checker != NULL && !ddr3_checker_command(d->checker, rec) &&
        ddr3_checker_violations(d->checker) == 1) {
        sim_fail(d->c.sim, "instance '%s': DDR3 timing checker: %s", d->c.name,
                 ddr3_checker_first_error(d->checker));
    }
}

/* ---- the functional store, wrapping at the capacity ---- */

static bool store_access(DramCtrl *d, uint64_t addr, uint8_t *rd, const uint8_t *wr, bool pattern,
                         uint32_t len)
{
    while (len > 0) {
        addr &= d->capacity - 1;
        uint64_t room = d->capacity - addr;
        uint32_t n = room < len ? (uint32_t)room : len;
        if (rd != NULL) {
            dram_store_read(d->store, addr, rd, n);
            rd += n;
        } else if (pattern) {
            if (!dram_store_write_pattern(d->store, addr, n)) {
                return false;
            }
        } else {
            if (!dram_store_write(d->store, addr, wr, n)) {
                return false;
            }
            wr += n;
        }
        addr += n;
        len -= n;
    }
    return true;
}

/* ---- tick ---- */

/* Take the head request if possible; false if the run failed. */
static bool take_request(DramCtrl *d, SimCycle now)
{
    Sim *sim = d->c.sim;
    SimPacket *pkt = sim_port_peek(d->in);
    if (pkt == NULL || d->free_head == NO_PARENT) {
        return true;
    }
    bool write = pkt->type == MEM_WRITE;
    if (!write && pkt->type != MEM_READ) {
        sim_fail(sim, "instance '%s': packet %llu of type 0x%x is not a memory request", d->c.name,
                 (unsigned long long)pkt->id, pkt->type);
        return false;
    }
    if (pkt->len == 0 || pkt->len > MEM_MAX_LEN) {
        sim_fail(sim, "instance '%s': request %llu of %u bytes (1..%u allowed)", d->c.name,
                 (unsigned long long)pkt->id, pkt->len, MEM_MAX_LEN);
        return false;
    }
    if (ddr3_ctrl_space(d->core, write) == 0) {
        return true; /* back-pressure: the request waits in the port */
    }
    if (d->store != NULL) {
        if (write) {
            if (pkt->payload != NULL && pkt->payload->size < pkt->len) {
                sim_fail(sim, "instance '%s': write %llu carries %u of its %u bytes", d->c.name,
                         (unsigned long long)pkt->id, pkt->payload->size, pkt->len);
                return false;
            }
            bool ok =
                store_access(d, pkt->addr, NULL, pkt->payload != NULL ? pkt->payload->data : NULL,
                             pkt->payload == NULL, pkt->len);
            if (!ok) {
                sim_fail(sim,
                         "instance '%s': the functional store is full (%llu distinct 64 B lines "
                         "written); raise store_lines, or set functional: false",
                         d->c.name, (unsigned long long)dram_store_max_lines(d->store));
                return false;
            }
        } else {
            if (sim->pool.payload_block_size < pkt->len) {
                sim_fail(sim,
                         "instance '%s': a read of %u bytes needs payload blocks of that "
                         "size; raise sim.payload_block_size",
                         d->c.name, pkt->len);
                return false;
            }
            SimPayload *pl = sim_payload_pool_get(&sim->pool);
            if (pl == NULL) {
                sim_fail(sim,
                         "instance '%s': payload pool exhausted; raise "
                         "sim.payload_blocks",
                         d->c.name);
                return false;
            }
            store_access(d, pkt->addr, pl->data, NULL, false, pkt->len);
            pl->size = pkt->len;
            if (pkt->payload != NULL) {
                sim_payload_unref(&sim->pool, pkt->payload);
            }
            pkt->payload = pl;
        }
    }
    if (write && pkt->payload != NULL) {
        /* The data are in the store; the acknowledgement carries none. */
        sim_payload_unref(&sim->pool, pkt->payload);
        pkt->payload = NULL;
    }
    sim_port_pop(d->in);
    uint32_t i = parent_alloc(d);
    DramParent *pp = &d->parents[i];
    uint32_t bursts = mem_beats(pkt->addr, pkt->len);
    pp->pkt = pkt;
    pp->accept = now;
    pp->done = now;
    pp->write = write;
    pp->left = write && d->p.write_ack == WRITE_ACK_ACCEPT ? 1 : bursts;
    if (write) {
        d->write_requests++;
    } else {
        d->read_requests++;
    }
    d->cur = i;
    d->cur_addr = (pkt->addr & (d->capacity - 1)) & ~(uint64_t)(MEM_BEAT_BYTES - 1);
    d->cur_left = bursts;
    return true;
}

static void queue_bursts(DramCtrl *d, SimCycle now)
{
    DramParent *pp = &d->parents[d->cur];
    bool posted = pp->write && d->p.write_ack == WRITE_ACK_ACCEPT;
    uint64_t cookie = posted ? NO_PARENT : d->cur;
    while (d->cur_left > 0 && ddr3_ctrl_space(d->core, pp->write) > 0) {
        ddr3_ctrl_enqueue(d->core, now, d->cur_addr, pp->write, cookie);
        d->cur_addr = (d->cur_addr + MEM_BEAT_BYTES) & (d->capacity - 1);
        d->cur_left--;
    }
    if (d->cur_left == 0) {
        if (posted) {
            /* Posted write: acknowledged once every burst sits in the write queue. */
            pp->done = now;
            pp->left = 0;
            ready_insert(d, d->cur);
        }
        d->cur = NO_PARENT;
    }
}

static void send_responses(DramCtrl *d, SimCycle now)
{
    const SimTime period = d->c.domain->period;
    uint32_t sent = 0;
    while (sent < d->n_ready) {
        uint32_t i = d->ready[sent];
        DramParent *pp = &d->parents[i];
        if (pp->done > now || !sim_port_can_push(d->out)) {
            break;
        }
        SimPacket *pkt = pp->pkt;
        SimCycle lat = now - pp->accept;
        pkt->dst = pkt->src;
        if (pp->write) {
            pkt->type = MEM_WRITE_ACK;
            sim_hist_record(&d->write_latency, lat * period);
        } else {
            pkt->type = MEM_READ_RESP;
            sim_hist_record(&d->read_latency, lat * period);
            d->read_lat_sum += lat;
            d->read_lat_n++;
        }
        sim_port_push(d->out, pkt);
        sim_work_done(d->c.sim);
        if (now > d->cycles) {
            d->cycles = now;
        }
        parent_free(d, i);
        sent++;
    }
    if (sent > 0) {
        memmove(d->ready, d->ready + sent, (size_t)(d->n_ready - sent) * sizeof(*d->ready));
        d->n_ready -= sent;
    }
}

static bool ctrl_busy(const SimComponent *c);

static SimCycle ctrl_tick(SimComponent *c, SimCycle now)
{
    DramCtrl *d = (DramCtrl *)c;
    Sim *sim = c->sim;
    ddr3_ctrl_tick(d->core, now);
    if (d->cur == NO_PARENT && !take_request(d, now)) {
        return SIM_SLEEP;
    }
    if (d->cur != NO_PARENT) {
        queue_bursts(d, now);
    }
    send_responses(d, now);
    sim_timeavg_set(&d->rq_occ, sim->now, ddr3_ctrl_queued(d->core, false));
    sim_timeavg_set(&d->wq_occ, sim->now, ddr3_ctrl_queued(d->core, true));

    if (!ctrl_busy(c)) {
        sim_note_idle(sim); /* the last posted write may just have reached the DRAM */
    }
    SimCycle wake = ddr3_ctrl_wake(d->core);
    if (d->n_ready > 0) {
        SimCycle due = d->parents[d->ready[0]].done;
        /* A response due but blocked by a full port waits for the slot-freed wake-up. */
        if (due > now && due < wake) {
            wake = due;
        }
    }
    if (d->cur == NO_PARENT && d->free_head != NO_PARENT && now + 1 < wake) {
        SimPacket *head = sim_port_peek(d->in);
        if (head != NULL && ddr3_ctrl_space(d->core, head->type == MEM_WRITE) > 0) {
            wake = now + 1;
        }
    }
    return wake;
}

static bool ctrl_busy(const SimComponent *c)
{
    const DramCtrl *d = (const DramCtrl *)c;
    /* Posted writes already acknowledged still have to reach the DRAM. */
    return d->live > 0 || ddr3_ctrl_queued(d->core, false) > 0 ||
           ddr3_ctrl_queued(d->core, true) > 0;
}

static void ctrl_dump(const SimComponent *c, SimError *report)
{
    const DramCtrl *d = (const DramCtrl *)c;
    sim_error_append(report,
                     " (%u requests held, %u read and %u write bursts queued, "
                     "%u responses ready)",
                     d->live, ddr3_ctrl_queued(d->core, false), ddr3_ctrl_queued(d->core, true),
                     d->n_ready);
}

static void ctrl_finish(SimComponent *c, SimTime end)
{
    DramCtrl *d = (DramCtrl *)c;
    const Ddr3CtrlStats *st = ddr3_ctrl_stats(d->core);
    const double tck_ns = (double)c->domain->period / 1000.0;
    /* Posted writes can reach the DRAM after the last response: the span covers both. */
    if (st->last_data > d->cycles) {
        d->cycles = st->last_data;
    }
    d->reads = st->reads + st->read_forwards;
    d->writes = st->writes;
    d->precharges = st->cmds[DRAM_CMD_PRE] + st->cmds[DRAM_CMD_PREA];
    uint64_t firsts = st->row_hits + st->row_misses + st->row_conflicts;
    d->row_hit_rate = firsts ? (double)st->row_hits / (double)firsts : 0.0;
    /* Bytes over the DRAM data bus per ns = GB/s. */
    d->bandwidth_gbps = d->cycles ? (double)((st->reads + st->writes) * MEM_BEAT_BYTES) /
                                        ((double)d->cycles * tck_ns)
                                  : 0.0;
    d->read_latency_avg_cycles =
        d->read_lat_n ? (double)d->read_lat_sum / (double)d->read_lat_n : 0.0;
    d->read_latency_avg_ns = d->read_latency_avg_cycles * tck_ns;
    if (d->checker != NULL) {
        SimCycle end_cycle = sim_domain_cycle_at_or_after(c->domain, end);
        ddr3_checker_finish(d->checker, end_cycle);
        d->checker_violations = ddr3_checker_violations(d->checker);
    }
}

static void ctrl_destroy(SimComponent *c)
{
    DramCtrl *d = (DramCtrl *)c;
    /* Packets still held belong to the run's pool, which sim_free() releases whole. */
    ddr3_ctrl_free(d->core);
    ddr3_checker_free(d->checker);
    dram_store_free(d->store);
    free(d->parents);
    free(d->ready);
    sim_hist_destroy(&d->read_latency);
    sim_hist_destroy(&d->write_latency);
}

static const SimComponentOps ctrl_ops = {
    .tick = ctrl_tick,
    .finish = ctrl_finish,
    .busy = ctrl_busy,
    .dump = ctrl_dump,
    .destroy = ctrl_destroy,
};

/* ---- parameters ---- */

#define P(field) offsetof(DramCtrlParams, field)

/* Defaults: DDR3-1600K (11-11-11) 4Gb x8, JESD79-3F; a 4 GiB module of 8 devices, 1 rank. */
static const SimParamDesc ctrl_params[] = {
    {"domain", SIM_PARAM_DOMAIN, P(domain), "ddr", NULL, NULL, NULL,
     "DRAM command clock domain; its period must equal tCK"},
    {"tCK", SIM_PARAM_TIME, P(tck), "1.25ns", "0.5ns", "3.3ns", NULL,
     "DRAM clock period (DDR3-1600: 1.25 ns)"},
    {"CL", SIM_PARAM_UINT, P(cl), "11", "5", "24", NULL, "CAS latency: RD to first data, tCK"},
    {"CWL", SIM_PARAM_UINT, P(cwl), "8", "5", "16", NULL,
     "CAS write latency: WR to first data, tCK"},
    {"tRCD", SIM_PARAM_UINT, P(trcd), "11", "1", "64", NULL, "ACT to RD/WR, tCK"},
    {"tRP", SIM_PARAM_UINT, P(trp), "11", "1", "64", NULL, "PRE to ACT, tCK"},
    {"tRAS", SIM_PARAM_UINT, P(tras), "28", "1", "128", NULL, "ACT to PRE, tCK"},
    {"tRC", SIM_PARAM_UINT, P(trc), "39", "2", "192", NULL, "ACT to ACT of one bank, tCK"},
    {"tWR", SIM_PARAM_UINT, P(twr), "12", "1", "64", NULL, "write recovery: data end to PRE, tCK"},
    {"tWTR", SIM_PARAM_UINT, P(twtr), "6", "1", "32", NULL, "data end of WR to RD, tCK"},
    {"tRTP", SIM_PARAM_UINT, P(trtp), "6", "4", "32", NULL, "RD to PRE, tCK"},
    {"tCCD", SIM_PARAM_UINT, P(tccd), "4", "4", "16", NULL,
     "column command to column command, tCK"},
    {"tRRD", SIM_PARAM_UINT, P(trrd), "5", "1", "32", NULL, "ACT to ACT of different banks, tCK"},
    {"tFAW", SIM_PARAM_UINT, P(tfaw), "24", "1", "128", NULL, "four-activate window per rank, tCK"},
    {"tRFC", SIM_PARAM_UINT, P(trfc), "208", "1", "2048", NULL,
     "refresh cycle time: REF to ACT, tCK (4Gb: 260 ns)"},
    {"tREFI", SIM_PARAM_UINT, P(trefi), "6240", "100", "1000000", NULL,
     "average refresh interval, tCK (7.8 us)"},
    {"tRTRS", SIM_PARAM_UINT, P(trtrs), "2", "0", "16", NULL,
     "idle data-bus cycles between bursts of different ranks"},
    {"BL", SIM_PARAM_UINT, P(bl), "8", "8", "8", NULL,
     "burst length (BL8 only: one burst is one 64 B Avalon beat)"},
    {"ranks", SIM_PARAM_UINT, P(ranks), "1", "1", "4", NULL, "ranks (power of two)"},
    {"banks", SIM_PARAM_UINT, P(banks), "8", "1", "16", NULL, "banks per rank (power of two)"},
    {"rows", SIM_PARAM_UINT, P(rows), "65536", "1", "1048576", NULL,
     "rows per bank (power of two)"},
    {"columns", SIM_PARAM_UINT, P(columns), "1024", "8", "16384", NULL,
     "device columns per row (power of two)"},
    {"device_width", SIM_PARAM_UINT, P(device_width), "8", "4", "16", NULL,
     "data bits per device: 4, 8 or 16 (x8: 8 devices per 64-bit rank)"},
    {"bus_width", SIM_PARAM_UINT, P(bus_width), "64", "64", "64", NULL,
     "data bus bits of the channel (64: a BL8 burst is 64 B)"},
    {"read_queue", SIM_PARAM_UINT, P(read_queue), "32", "1", "256", NULL,
     "read queue entries (64 B bursts)"},
    {"write_queue", SIM_PARAM_UINT, P(write_queue), "32", "1", "256", NULL,
     "write queue entries (64 B bursts)"},
    {"write_high", SIM_PARAM_UINT, P(write_high), "24", "1", "256", NULL,
     "write-drain high watermark: drain writes from this many queued"},
    {"write_low", SIM_PARAM_UINT, P(write_low), "8", "0", "255", NULL,
     "write-drain low watermark: stop draining at this many"},
    {"scheduler", SIM_PARAM_ENUM, P(scheduler), "frfcfs", NULL, NULL, dram_sched_names,
     "command scheduler: frfcfs (row hits first, capped) or fcfs"},
    {"page_policy", SIM_PARAM_ENUM, P(page_policy), "open", NULL, NULL, dram_page_names,
     "open: rows stay open; closed: every burst auto-precharges"},
    {"row_hit_cap", SIM_PARAM_UINT, P(row_hit_cap), "16", "1", "4096", NULL,
     "FR-FCFS: consecutive row hits before an older conflicting request is served"},
    {"mapping", SIM_PARAM_ENUM, P(mapping), "RoBaRaCoCh", NULL, NULL, dram_mapping_names,
     "address mapping, most significant field first"},
    {"bank_hash", SIM_PARAM_ENUM, P(bank_hash), "none", NULL, NULL, dram_bank_hash_names,
     "none, or xor: bank XOR low row bits (permutation interleaving)"},
    {"refresh", SIM_PARAM_BOOL, P(refresh), "true", NULL, NULL, NULL,
     "all-bank refresh every tREFI"},
    {"frontend_cycles", SIM_PARAM_UINT, P(frontend), "1", "1", "64", NULL,
     "DRAM cycles from taking a request to its first possible command"},
    {"functional", SIM_PARAM_BOOL, P(functional), "true", NULL, NULL, NULL,
     "keep the memory contents: reads return the bytes written"},
    {"store_lines", SIM_PARAM_UINT, P(store_lines), "4194304", "1", "1073741824", NULL,
     "distinct 64 B lines the functional store can hold (reserved at build, touched lazily)"},
    {"check", SIM_PARAM_BOOL, P(check), "false", NULL, NULL, NULL,
     "run the independent JEDEC timing checker on every command; fail the run on a violation"},
    {"write_ack", SIM_PARAM_ENUM, P(write_ack), "accept", NULL, NULL, write_ack_names,
     "when a write is acknowledged: accept (posted, in the write queue) or complete (data "
     "written to the DRAM)"},
};

#undef P

static const SimPortDesc ctrl_ports[] = {
    {"req", SIM_PORT_IN, false, "memory requests (MEM_READ, MEM_WRITE) from the Avalon-MM side"},
    {"resp", SIM_PORT_OUT, false, "responses (MEM_READ_RESP, MEM_WRITE_ACK)"},
};

static void params_to_config(const DramCtrlParams *p, Ddr3CtrlConfig *cfg)
{
    ddr3_ctrl_config_default(cfg);
    cfg->timing = (Ddr3TimingParams){
        .cl = (uint32_t)p->cl,
        .cwl = (uint32_t)p->cwl,
        .trcd = (uint32_t)p->trcd,
        .trp = (uint32_t)p->trp,
        .tras = (uint32_t)p->tras,
        .trc = (uint32_t)p->trc,
        .twr = (uint32_t)p->twr,
        .twtr = (uint32_t)p->twtr,
        .trtp = (uint32_t)p->trtp,
        .tccd = (uint32_t)p->tccd,
        .trrd = (uint32_t)p->trrd,
        .tfaw = (uint32_t)p->tfaw,
        .trfc = (uint32_t)p->trfc,
        .trefi = (uint32_t)p->trefi,
        .trtrs = (uint32_t)p->trtrs,
        .bl = (uint32_t)p->bl,
        .ranks = (uint32_t)p->ranks,
        .banks = (uint32_t)p->banks,
    };
    cfg->geometry = (DramGeometry){
        .channels = 1,
        .ranks = (uint32_t)p->ranks,
        .banks = (uint32_t)p->banks,
        .rows = (uint32_t)p->rows,
        .columns = (uint32_t)p->columns,
        .bus_bytes = (uint32_t)(p->bus_width / 8),
        .burst_len = (uint32_t)p->bl,
    };
    cfg->mapping = (DramMapping)p->mapping;
    cfg->hash = (DramBankHash)p->bank_hash;
    cfg->read_queue = (uint32_t)p->read_queue;
    cfg->write_queue = (uint32_t)p->write_queue;
    cfg->write_high = (uint32_t)p->write_high;
    cfg->write_low = (uint32_t)p->write_low;
    cfg->sched = (DramSchedKind)p->scheduler;
    cfg->page = (DramPagePolicy)p->page_policy;
    cfg->row_hit_cap = (uint32_t)p->row_hit_cap;
    cfg->refresh = p->refresh;
    cfg->frontend = (uint32_t)p->frontend;
}

static const char *ctrl_check(const void *params, char *msg, size_t size)
{
    const DramCtrlParams *p = params;
#define BAD(key, ...)                                                                              \
    do {                                                                                           \
        snprintf(msg, size, __VA_ARGS__);                                                          \
        return key;                                                                                \
    } while (0)
    if (p->trc < p->tras + p->trp) {
        BAD("tRC", "tRC (%llu) must be at least tRAS + tRP (%llu)", (unsigned long long)p->trc,
            (unsigned long long)(p->tras + p->trp));
    }
    if (p->tras < p->trcd) {
        BAD("tRAS", "tRAS (%llu) must be at least tRCD (%llu)", (unsigned long long)p->tras,
            (unsigned long long)p->trcd);
    }
    if (p->cwl > p->cl) {
        BAD("CWL", "CWL (%llu) must not exceed CL (%llu)", (unsigned long long)p->cwl,
            (unsigned long long)p->cl);
    }
    if (p->tfaw < p->trrd) {
        BAD("tFAW", "tFAW (%llu) must be at least tRRD (%llu)", (unsigned long long)p->tfaw,
            (unsigned long long)p->trrd);
    }
    if (p->tccd < p->bl / 2) {
        BAD("tCCD", "tCCD must be at least BL/2");
    }
    if (p->trefi <= p->trfc + p->trp) {
        BAD("tREFI", "tREFI (%llu) must exceed tRFC + tRP (%llu)", (unsigned long long)p->trefi,
            (unsigned long long)(p->trfc + p->trp));
    }
    if (!is_pow2(p->ranks)) {
        BAD("ranks", "ranks must be a power of two");
    }
    if (!is_pow2(p->banks)) {
        BAD("banks", "banks must be a power of two");
    }
    if (!is_pow2(p->rows)) {
        BAD("rows", "rows must be a power of two");
    }
    if (!is_pow2(p->columns) || p->columns < p->bl) {
        BAD("columns", "columns must be a power of two and at least BL");
    }
    if (p->device_width != 4 && p->device_width != 8 && p->device_width != 16) {
        BAD("device_width", "device_width must be 4, 8 or 16");
    }
    if (p->bank_hash == DRAM_HASH_XOR && p->rows < p->banks) {
        BAD("bank_hash", "the xor bank hash needs at least as many rows as banks");
    }
    if (p->write_high > p->write_queue) {
        BAD("write_high", "write_high (%llu) must not exceed write_queue (%llu)",
            (unsigned long long)p->write_high, (unsigned long long)p->write_queue);
    }
    if (p->write_low >= p->write_high) {
        BAD("write_low", "write_low (%llu) must be below write_high (%llu)",
            (unsigned long long)p->write_low, (unsigned long long)p->write_high);
    }
#undef BAD
    return NULL;
}

/* The blocks of the statistics table: the model, its controller core's counters, and the model
 * again for what exists only with the timing checker on. */
enum {
    CTRL_SB_SELF = 0,
    CTRL_SB_CORE,
    CTRL_SB_CHECK
};

#define SELF_ROW(name_, kind_, field_, unit_, scale_, doc_)                                        \
    SIM_STAT_ROW(name_, kind_, DramCtrl, field_, unit_, scale_, doc_)
#define CORE_ROW(name_, field_, unit_, doc_)                                                       \
    SIM_STAT_ROW_IN(CTRL_SB_CORE, name_, SIM_STAT_COUNTER, Ddr3CtrlStats, field_, unit_, 1, doc_)

static const SimStatDesc ctrl_stat_rows[] = {
    SELF_ROW("cycles", SIM_STAT_COUNTER, cycles, "cycles", 1,
             "DRAM cycles from 0 to the last response or data burst"),
    SELF_ROW("reads", SIM_STAT_COUNTER, reads, "bursts", 1,
             "64 B read bursts served (from the DRAM or the write queue)"),
    SELF_ROW("writes", SIM_STAT_COUNTER, writes, "bursts", 1,
             "64 B write bursts written to the DRAM"),
    SELF_ROW("read_requests", SIM_STAT_COUNTER, read_requests, "requests", 1,
             "read requests taken"),
    SELF_ROW("write_requests", SIM_STAT_COUNTER, write_requests, "requests", 1,
             "write requests taken"),
    CORE_ROW("read_forwards", read_forwards, "bursts", "read bursts served from the write queue"),
    CORE_ROW("refreshes", cmds[DRAM_CMD_REF], "commands", "REF commands"),
    CORE_ROW("activates", cmds[DRAM_CMD_ACT], "commands", "ACT commands"),
    SELF_ROW("precharges", SIM_STAT_COUNTER, precharges, "commands", 1, "PRE and PREA commands"),
    CORE_ROW("row_hits", row_hits, "bursts", "bursts whose first command was their RD/WR"),
    CORE_ROW("row_misses", row_misses, "bursts", "bursts that found their bank closed"),
    CORE_ROW("row_conflicts", row_conflicts, "bursts", "bursts that found another row open"),
    SELF_ROW("row_hit_rate", SIM_STAT_REAL, row_hit_rate, NULL, 1,
             "row hits / bursts served by the DRAM"),
    CORE_ROW("write_drains", write_drains, NULL, "times the write queue reached write_high"),
    SELF_ROW("bandwidth_gbps", SIM_STAT_REAL, bandwidth_gbps, "GB/s", 1,
             "DRAM data-bus bytes per second over `cycles`"),
    SELF_ROW("read_latency_avg_cycles", SIM_STAT_REAL, read_latency_avg_cycles, "cycles", 1,
             "read request taken to response sent, DRAM cycles"),
    SELF_ROW("read_latency_avg_ns", SIM_STAT_REAL, read_latency_avg_ns, "ns", 1,
             "read request taken to response sent, ns"),
    SELF_ROW("read_latency_ns", SIM_STAT_HIST, read_latency, "ns", 1000,
             "read request taken to response sent"),
    SELF_ROW("write_latency_ns", SIM_STAT_HIST, write_latency, "ns", 1000,
             "write request taken to acknowledgement sent"),
    SELF_ROW("read_queue", SIM_STAT_TIMEAVG, rq_occ, "bursts", 1, "read bursts queued"),
    SELF_ROW("write_queue", SIM_STAT_TIMEAVG, wq_occ, "bursts", 1, "write bursts queued"),
    SIM_STAT_ROW_IN(CTRL_SB_CHECK, "checker_violations", SIM_STAT_COUNTER, DramCtrl,
                    checker_violations, NULL, 1,
                    "JEDEC rules the command stream broke (must be 0; with check on)"),
};

#undef SELF_ROW
#undef CORE_ROW

/* The statistics of the run summary (docs/stats.md, "Summary"). */
static const SimStatRoleRow ctrl_stat_roles[] = {
    {"bandwidth_gbps", SIM_STAT_ROLE_UTILISATION},
    {"read_latency_ns", SIM_STAT_ROLE_LATENCY},
};
static const SimStatTable ctrl_stats = {ctrl_stat_rows,  N_OF(ctrl_stat_rows), NULL, 0,
                                        ctrl_stat_roles, N_OF(ctrl_stat_roles)};

static bool ctrl_build(Sim *sim, const char *name, const void *params, SimBuild *bld, SimError *err)
{
    const DramCtrlParams *p = params;
    const char *why = NULL;
    Ddr3CtrlConfig cfg;
    params_to_config(p, &cfg);
    if (p->domain->period + 1 < p->tck || p->domain->period > p->tck + 1) {
        return sim_error_set(err, SIM_ERR_INPUT,
                             "instance '%s': tCK %llu ps does not match the period %llu ps of "
                             "domain '%s'; give the domain the DRAM clock frequency",
                             name, (unsigned long long)p->tck,
                             (unsigned long long)p->domain->period, p->domain->name);
    }
    DramCtrl *d = calloc(1, sizeof(*d));
    if (d == NULL) {
        return sim_error_oom(err, name);
    }
    d->p = *p;
    d->cur = NO_PARENT;
    d->core = ddr3_ctrl_new(&cfg, &why);
    if (d->core == NULL) {
        if (why == ddr3_ctrl_out_of_memory) {
            sim_error_oom(err, name);
        } else {
            sim_error_set(err, SIM_ERR_INPUT, "instance '%s': %s", name, why);
        }
        goto fail_core;
    }
    ddr3_ctrl_set_callbacks(d->core, on_done, on_cmd, d);
    d->capacity = ddr3_ctrl_map(d->core)->capacity;
    d->n_parents = (uint32_t)(p->read_queue + p->write_queue + 8);
    d->parents = calloc(d->n_parents, sizeof(*d->parents));
    d->ready = calloc(d->n_parents, sizeof(*d->ready));
    if (!sim_hist_init(&d->read_latency) || !sim_hist_init(&d->write_latency) ||
        d->parents == NULL || d->ready == NULL) {
        sim_error_oom(err, name);
        goto fail_parts;
    }
    for (uint32_t i = 0; i < d->n_parents; i++) {
        d->parents[i].next = i + 1 < d->n_parents ? i + 1 : NO_PARENT;
    }
    d->free_head = 0;
    if (p->functional && (d->store = dram_store_new(p->store_lines)) == NULL) {
        sim_error_oom(err, name);
        goto fail_parts;
    }
    if (p->check && (d->checker = ddr3_checker_new(&cfg.timing, p->refresh)) == NULL) {
        sim_error_oom(err, name);
        goto fail_parts;
    }
    sim_timeavg_init(&d->rq_occ, 0, 0);
    sim_timeavg_init(&d->wq_occ, 0, 0);
    if (!sim_add_component(sim, &d->c, name, p->domain, &ctrl_ops, err)) {
        goto fail_parts;
    }
    /* The refresh timer alone must not keep a run alive; busy() reports held requests. */
    d->c.daemon = true;
    sim_build_port(bld, "req", &d->c, &d->in);
    sim_build_port(bld, "resp", &d->c, &d->out);
    const Ddr3Channel *ch = ddr3_ctrl_channel(d->core);
    if (!sim_add_signals(sim, name, &ctrl_signals,
                         &(SimSignalBinding){.block = {ch}, .count = ch->ranks * ch->banks}, err)) {
        return false; /* the kernel owns the component */
    }

    sim_build_stats(bld, &(SimStatBinding){.block = {[CTRL_SB_SELF] = d,
                                                     [CTRL_SB_CORE] = ddr3_ctrl_stats(d->core),
                                                     [CTRL_SB_CHECK] = p->check ? d : NULL}});
    return true;

fail_parts:
    ctrl_destroy(&d->c);
fail_core:
    free(d);
    return false;
}

/* Requests end here (fabric checks). */
static const SimPortFlow ctrl_flows[] = {
    {"req", SIM_FLOW_REQUEST, NULL},
};

const SimModelType dram_ctrl_type = {
    .name = "dram.ctrl",
    .doc = "DDR3 memory controller (default DDR3-1600K 4Gb x8, 4 GiB): read/write queues with "
           "write drain, FR-FCFS or FCFS, open or closed page, all-bank refresh, address "
           "mappings, a functional store and an optional independent JEDEC timing checker.",
    .params = ctrl_params,
    .n_params = N_OF(ctrl_params),
    .params_size = sizeof(DramCtrlParams),
    .ports = ctrl_ports,
    .n_ports = N_OF(ctrl_ports),
    .check = ctrl_check,
    .build = ctrl_build,
    .role = SIM_ROLE_MEMORY,
    .flows = ctrl_flows,
    .n_flows = N_OF(ctrl_flows),
    .stats = &ctrl_stats,
};

bool dram_ctrl_debug_read(const SimComponent *c, uint64_t addr, uint8_t *dst, uint32_t len)
{
    if (c == NULL || c->ops != &ctrl_ops || ((const DramCtrl *)c)->store == NULL) {
        return false;
    }
    return store_access((DramCtrl *)c, addr, dst, NULL, false, len);
}

bool dram_ctrl_debug_write(SimComponent *c, uint64_t addr, const uint8_t *src, uint32_t len)
{
    if (c == NULL || c->ops != &ctrl_ops || ((DramCtrl *)c)->store == NULL) {
        return false;
    }
    return store_access((DramCtrl *)c, addr, NULL, src, false, len);
}
