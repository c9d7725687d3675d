/*
 * Request queues and command schedulers. A scheduler looks at one queue (the read or the write
 * queue) and the channel state, and chooses the command to send at cycle `now`, or says when
 * the first one could go. Schedulers are plain functions, swappable through a table.
 *
 * Each request needs, depending on its bank:
 *   bank holds its row    -> its column command (RD/WR, or RDA/WRA under the closed-page policy)
 *   bank holds other row  -> PRE
 *   bank closed           -> ACT
 *
 * FR-FCFS (Rixner et al., ISCA 2000) with a row-hit cap (Mutlu and Moscibroda, MICRO 2007):
 *   1. the oldest ready column command of a row hit;
 *   2. otherwise the oldest ready command of any request.
 *   A PRE that would close a row some queued request still hits is held back until the bank's
 *   streak reaches `cap` hits since its ACT. From then on, hits younger than a request waiting
 *   for another row of that bank are not eligible at all, so that request's PRE goes next.
 * FCFS: requests of one bank are served strictly in arrival order (only the oldest request of
 *   each bank may send a command); across banks the oldest ready command goes first, so bank
 *   parallelism remains but row hits get no preference.
 * Both leave alone the ranks masked in `blocked` (a refresh is due there).
 *
 * The queue keeps its requests in one list per bank, in arrival order, and caches per bank the
 * oldest request, the oldest row hit and the oldest conflict. Within one bank every request of
 * a kind needs the same command, which has one earliest-issue cycle, and the oldest request of
 * the kind is also the first ready (requests enter in arrival order); so a bank's best
 * candidates are always among those three, and a scheduling decision costs a few operations
 * per bank with waiting requests instead of a pass over the whole queue (whose unpredictable
 * branches made that pass the simulator's hot spot). The cache of a bank is refreshed lazily
 * after its list lost one of the cached requests or its open row changed.
 */
#ifndef MEMBOX_DRAM_DDR3_SCHED_H
#define MEMBOX_DRAM_DDR3_SCHED_H

#include "ddr3_bank.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DDR3_MAX_QUEUE          256
#define DDR3_NO_SLOT            (-1)
#define DDR3_QUEUE_BUCKETS      256u
#define DDR3_QUEUE_BUCKET(addr) ((uint32_t)((addr) >> 6) & (DDR3_QUEUE_BUCKETS - 1))

typedef enum DramSchedKind {
    DRAM_SCHED_FRFCFS = 0,
    DRAM_SCHED_FCFS,
    DRAM_SCHED_MAX
} DramSchedKind;

typedef enum DramPagePolicy {
    DRAM_PAGE_OPEN = 0, /* rows stay open until a conflict or a refresh */
    DRAM_PAGE_CLOSED,   /* every column command auto-precharges */
    DRAM_PAGE_MAX
} DramPagePolicy;

extern const char *const dram_sched_names[DRAM_SCHED_MAX + 1];
extern const char *const dram_page_names[DRAM_PAGE_MAX + 1];

/* One 64 B burst waiting in a read or write queue. */
typedef struct Ddr3Req {
    uint64_t cookie; /* the owner's handle, returned on completion */
    uint64_t addr;   /* burst-aligned physical address */
    uint64_t seq;    /* arrival order: smaller is older */
    SimCycle arrive; /* cycle it entered the queue */
    SimCycle ready;  /* earliest cycle of its first command (arrive + front-end delay) */
    uint32_t row;
    uint16_t col;
    uint8_t rank;
    uint8_t bank;
    uint8_t bidx;  /* rank * banks + bank */
    uint8_t first; /* DramCmd of its first command, DRAM_CMD_MAX until one was sent */
    uint8_t ccmd;  /* DramCmd of its column command under the page policy */
    bool write;
    bool used;
    int16_t prev; /* bank list links (slots) */
    int16_t next;
} Ddr3Req;

typedef struct Ddr3BankQueue {
    int16_t head; /* oldest request */
    int16_t tail;
    int16_t first_hit;  /* oldest request for the open row (cache) */
    int16_t first_conf; /* oldest request for another row of the open bank (cache) */
    uint32_t row;       /* the open row the cache was made for */
    bool open;          /* the bank was open then */
    bool valid;         /* the cached fields are up to date */
} Ddr3BankQueue;

typedef struct Ddr3Queue {
    Ddr3Req *slot;
    uint32_t cap;
    uint32_t n;
    int16_t free_head;
    uint64_t present; /* bit per bank index: its list is not empty */
    /* Requests queued per bucket of burst addresses (DDR3_QUEUE_BUCKET): a lookup of an address
     * whose bucket is empty needs no pass over the slots. */
    uint16_t bucket[DDR3_QUEUE_BUCKETS];
    Ddr3BankQueue bank[DDR3_MAX_RANKS * DDR3_MAX_BANKS];
} Ddr3Queue;

bool ddr3_queue_init(Ddr3Queue *q, uint32_t cap);
void ddr3_queue_destroy(Ddr3Queue *q);

/* Append a copy of r (n < cap); returns its slot. The channel gives the open rows. */
int ddr3_queue_push(Ddr3Queue *q, const Ddr3Channel *ch, const Ddr3Req *r);
void ddr3_queue_remove(Ddr3Queue *q, int slot);
/* The open row of bank `bidx` changed (ACT, PRE, PREA, auto-precharge). */
static inline void ddr3_queue_bank_changed(Ddr3Queue *q, uint32_t bidx)
{
    q->bank[bidx].valid = false;
}
/* The slot of a burst to this address, or DDR3_NO_SLOT. */
int ddr3_queue_find(const Ddr3Queue *q, uint64_t addr);

typedef struct Ddr3SchedIn {
    const Ddr3Channel *ch;
    Ddr3Queue *q; /* its per-bank caches may be refreshed */
    SimCycle now;
    DramPagePolicy page;
    uint32_t row_hit_cap;
    uint32_t blocked; /* bit per rank: leave these ranks alone */
    uint64_t banks;   /* bit per bank index: look at these banks only */
} Ddr3SchedIn;

typedef struct Ddr3Pick {
    int32_t slot;   /* request to serve now, DDR3_NO_SLOT if none */
    DramCmd cmd;    /* its command */
    SimCycle next;  /* if none: earliest cycle a command of q could go, SIM_CYCLE_NEVER */
    SimCycle other; /* if one: earliest cycle any other candidate could go (<= now if
                       another one was ready as well) */
} Ddr3Pick;

typedef void (*Ddr3SchedFn)(const Ddr3SchedIn *in, Ddr3Pick *out);

void ddr3_sched_frfcfs(const Ddr3SchedIn *in, Ddr3Pick *out);
void ddr3_sched_fcfs(const Ddr3SchedIn *in, Ddr3Pick *out);

extern const Ddr3SchedFn ddr3_sched_table[DRAM_SCHED_MAX];

/* The earliest cycle at which the scheduler could send a command for a request of bank `bi`
 * (the minimum over the candidates it weighs there), SIM_CYCLE_NEVER if none; in->banks is not
 * looked at. The same as the pick's `next` of a pass over that bank alone when nothing is ready,
 * and at most in->now when something is. */
typedef SimCycle (*Ddr3SchedBankFn)(const Ddr3SchedIn *in, uint32_t bi);

SimCycle ddr3_sched_frfcfs_bank(const Ddr3SchedIn *in, uint32_t bi);
SimCycle ddr3_sched_fcfs_bank(const Ddr3SchedIn *in, uint32_t bi);

extern const Ddr3SchedBankFn ddr3_sched_bank_table[DRAM_SCHED_MAX];

/* The next command request r needs in the channel's present state. */
static inline DramCmd ddr3_sched_next_cmd(const Ddr3Channel *ch, const Ddr3Req *r,
                                          DramPagePolicy page)
{
    const Ddr3Bank *b = &ch->bank[r->bidx];
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
