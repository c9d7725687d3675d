#define _DEFAULT_SOURCE /* madvise, MADV_POPULATE_WRITE */
#include "dram_store.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "models/proto/mem.h"
#include "sim/core/region.h"

/*
 * A slot is one 64-bit word: the low 32 bits of the line number (address / 64), and above them
 * the value: 0 for an empty slot, a pattern version 1 .. 2^31 - 1, or BYTES | the index of the
 * line's byte line. An inserted line is always written at once, so its value is never 0.
 */
#define BYTES       0x80000000u
#define MIN_BITS    12u   /* 4096 slots, 32 KiB */
#define ARENA_CHUNK 4096u /* byte lines committed at a time */
#define GROW_CHUNK  8192u /* old slots rehashed between commits (64 KiB) */
#define LOAD_NUM    7u    /* the table doubles above 70% full */
#define LOAD_DEN    10u

struct DramStore {
    uint64_t *slots; /* the table: 2^bits slots */
    uint32_t *hi;    /* line number >> 32 per slot; all zero until `wide` */
    uint64_t *spare; /* the other table region, the target of the next doubling */
    uint32_t *spare_hi;
    uint32_t bits; /* present table size */
    uint32_t max_bits;
    uint64_t grow_at; /* lines above which the table doubles */
    bool wide;        /* some line number is >= 2^32 */
    uint64_t used;
    uint64_t max_lines;
    uint8_t *arena; /* byte lines, max_lines of them reserved */
    uint32_t *bver; /* their versions */
    uint64_t arena_lines;
    uint64_t arena_ready; /* byte lines committed */
};

static size_t table_bytes(uint32_t bits)
{
    return ((size_t)1 << bits) * sizeof(uint64_t);
}

static size_t hi_bytes(uint32_t bits)
{
    return ((size_t)1 << bits) * sizeof(uint32_t);
}

/* Commit a range of a reserved region at once; best effort (an older kernel faults lazily). */
static void populate(void *p, size_t bytes)
{
#ifdef MADV_POPULATE_WRITE
    (void)madvise(p, bytes, MADV_POPULATE_WRITE);
#else
    (void)p;
    (void)bytes;
#endif
}

/* Give a range's pages back; they read as zeros afterwards. */
static void release(void *p, size_t bytes)
{
    (void)madvise(p, bytes, MADV_DONTNEED);
}

static uint64_t grow_threshold(uint32_t bits)
{
    return ((uint64_t)1 << bits) * LOAD_NUM / LOAD_DEN;
}

DramStore *dram_store_new(uint64_t max_lines)
{
    if (max_lines == 0 || max_lines > DRAM_STORE_MAX_LINES) {
        return NULL;
    }
    DramStore *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        return NULL;
    }
    s->max_lines = max_lines;
    s->max_bits = MIN_BITS;
    while (grow_threshold(s->max_bits) < max_lines) {
        s->max_bits++;
    }
    s->bits = MIN_BITS;
    s->grow_at = s->bits == s->max_bits ? UINT64_MAX : grow_threshold(s->bits);
    s->slots = sim_region_map(table_bytes(s->max_bits));
    s->spare = sim_region_map(table_bytes(s->max_bits));
    s->hi = sim_region_map(hi_bytes(s->max_bits));
    s->spare_hi = sim_region_map(hi_bytes(s->max_bits));
    s->arena = sim_region_map((size_t)max_lines * DRAM_STORE_LINE);
    s->bver = sim_region_map((size_t)max_lines * sizeof(uint32_t));
    if (s->slots == NULL || s->spare == NULL || s->hi == NULL || s->spare_hi == NULL ||
        s->arena == NULL || s->bver == NULL) {
        dram_store_free(s);
        return NULL;
    }
    populate(s->slots, table_bytes(s->bits));
    return s;
}

void dram_store_free(DramStore *s)
{
    if (s == NULL) {
        return;
    }
    sim_region_unmap(s->slots, table_bytes(s->max_bits));
    sim_region_unmap(s->spare, table_bytes(s->max_bits));
    sim_region_unmap(s->hi, hi_bytes(s->max_bits));
    sim_region_unmap(s->spare_hi, hi_bytes(s->max_bits));
    sim_region_unmap(s->arena, (size_t)s->max_lines * DRAM_STORE_LINE);
    sim_region_unmap(s->bver, (size_t)s->max_lines * sizeof(uint32_t));
    free(s);
}

static inline uint64_t slot_hash(uint64_t n, uint32_t bits)
{
    return (n * 0x9e3779b97f4a7c15ULL) >> (64 - bits);
}

static inline uint32_t slot_value(uint64_t w)
{
    return (uint32_t)(w >> 32);
}

/* The slot index of line number n, or -1. */
static inline int64_t find(const DramStore *s, uint64_t n)
{
    const uint64_t mask = ((uint64_t)1 << s->bits) - 1;
    const uint32_t lo = (uint32_t)n;
    const uint32_t hi = (uint32_t)(n >> 32);
    if (hi != 0 && !s->wide) {
        return -1; /* no line that far yet */
    }
    for (uint64_t i = slot_hash(n, s->bits);; i = (i + 1) & mask) {
        const uint64_t w = s->slots[i];
        if (slot_value(w) == 0) {
            return -1;
        }
        if ((uint32_t)w == lo && (!s->wide || s->hi[i] == hi)) {
            return (int64_t)i;
        }
    }
}

/* Place line number n with value v in an empty slot of a table of 2^bits slots. */
static void place(uint64_t *slots, uint32_t *his, uint32_t bits, bool wide, uint64_t n, uint32_t v)
{
    const uint64_t mask = ((uint64_t)1 << bits) - 1;
    uint64_t i = slot_hash(n, bits);
    while (slot_value(slots[i]) != 0) {
        i = (i + 1) & mask;
    }
    slots[i] = (uint32_t)n | (uint64_t)v << 32;
    if (wide) {
        his[i] = (uint32_t)(n >> 32);
    }
}

/*
 * Double the table into the spare region and give the old one back, a chunk at a time: a line
 * in old slot i has its home at most i there, hence at most 2i + 1 in the new table (the hash
 * is the top bits, so homes keep their order), and lands near it. So the new table is
 * committed just ahead of where the lines go and the old one given back behind the pass: the
 * resident size peaks at about the new table, not the new plus the old.
 */
static void grow(DramStore *s)
{
    const uint32_t nb = s->bits + 1;
    const uint64_t size = (uint64_t)1 << s->bits;
    const uint64_t chunk = size < GROW_CHUNK ? size : GROW_CHUNK;
    const size_t new_bytes = table_bytes(nb);
    size_t ready = 0; /* bytes of the new table committed */
    if (s->wide) {
        populate(s->spare_hi, hi_bytes(nb));
    }
    for (uint64_t base = 0; base < size; base += chunk) {
        size_t want = (size_t)(2 * (base + chunk) + chunk) * sizeof(uint64_t);
        if (want > new_bytes) {
            want = new_bytes;
        }
        if (want > ready) {
            populate((uint8_t *)s->spare + ready, want - ready);
            ready = want;
        }
        for (uint64_t i = base; i < base + chunk; i++) {
            const uint64_t w = s->slots[i];
            if (slot_value(w) != 0) {
                const uint64_t n = (uint32_t)w | (s->wide ? (uint64_t)s->hi[i] << 32 : 0);
                place(s->spare, s->spare_hi, nb, s->wide, n, slot_value(w));
            }
        }
        release(s->slots + base, (size_t)chunk * sizeof(uint64_t));
    }
    if (ready < new_bytes) {
        populate((uint8_t *)s->spare + ready, new_bytes - ready);
    }
    if (s->wide) {
        release(s->hi, hi_bytes(s->bits));
    }
    uint64_t *t = s->slots;
    s->slots = s->spare;
    s->spare = t;
    uint32_t *h = s->hi;
    s->hi = s->spare_hi;
    s->spare_hi = h;
    s->bits = nb;
    s->grow_at = nb == s->max_bits ? UINT64_MAX : grow_threshold(nb);
}

/* Insert line number n (absent) with value v; false when the store is full. */
static bool insert(DramStore *s, uint64_t n, uint32_t v)
{
    if (s->used == s->max_lines) {
        return false;
    }
    if (n >> 32 != 0 && !s->wide) {
        /* The side table is all zeros, which is right for every line so far. */
        s->wide = true;
        populate(s->hi, hi_bytes(s->bits));
    }
    if (s->used + 1 > s->grow_at) {
        grow(s);
    }
    place(s->slots, s->hi, s->bits, s->wide, n, v);
    s->used++;
    return true;
}

static inline void set_value(DramStore *s, int64_t i, uint32_t v)
{
    s->slots[i] = (uint32_t)s->slots[i] | (uint64_t)v << 32;
}

static inline uint8_t *line_bytes(const DramStore *s, uint32_t b)
{
    return s->arena + (uint64_t)b * DRAM_STORE_LINE;
}

/* A new byte line holding the line's present contents (zeros, or the pattern of `version`);
 * its index. Never more byte lines than lines, and the arena holds max_lines of them. */
static uint32_t new_byte_line(DramStore *s, uint64_t line, uint32_t version)
{
    if (s->arena_lines == s->arena_ready) {
        uint64_t n = s->max_lines - s->arena_ready < ARENA_CHUNK ? s->max_lines - s->arena_ready
                                                                 : ARENA_CHUNK;
        populate(line_bytes(s, (uint32_t)s->arena_ready), n * DRAM_STORE_LINE);
        populate(s->bver + s->arena_ready, n * sizeof(uint32_t));
        s->arena_ready += n;
    }
    const uint32_t b = (uint32_t)s->arena_lines++;
    if (version == 0) {
        memset(line_bytes(s, b), 0, DRAM_STORE_LINE);
    } else {
        mem_pattern_fill(line_bytes(s, b), line, DRAM_STORE_LINE, version);
    }
    s->bver[b] = version;
    return b;
}

/* The byte line of line `line` (slot i, or -1 when absent), made if needed; UINT32_MAX when
 * the store is full. */
static uint32_t materialise(DramStore *s, int64_t i, uint64_t line)
{
    if (i < 0) {
        const uint32_t b = (uint32_t)s->arena_lines;
        if (!insert(s, line / DRAM_STORE_LINE, BYTES | b)) {
            return UINT32_MAX;
        }
        return new_byte_line(s, line, 0);
    }
    const uint32_t v = slot_value(s->slots[i]);
    if (v & BYTES) {
        return v & ~BYTES;
    }
    const uint32_t b = new_byte_line(s, line, v);
    set_value(s, i, BYTES | b);
    return b;
}

bool dram_store_write(DramStore *s, uint64_t addr, const uint8_t *data, uint32_t len)
{
    while (len > 0) {
        uint64_t line = addr & ~(uint64_t)(DRAM_STORE_LINE - 1);
        uint32_t off = (uint32_t)(addr - line);
        uint32_t n = DRAM_STORE_LINE - off < len ? DRAM_STORE_LINE - off : len;
        const uint32_t b = materialise(s, find(s, line / DRAM_STORE_LINE), line);
        if (b == UINT32_MAX) {
            return false;
        }
        memcpy(line_bytes(s, b) + off, data, n);
        s->bver[b]++;
        addr += n;
        data += n;
        len -= n;
    }
    return true;
}

bool dram_store_write_pattern(DramStore *s, uint64_t addr, uint32_t len)
{
    while (len > 0) {
        uint64_t line = addr & ~(uint64_t)(DRAM_STORE_LINE - 1);
        uint32_t off = (uint32_t)(addr - line);
        uint32_t n = DRAM_STORE_LINE - off < len ? DRAM_STORE_LINE - off : len;
        const int64_t i = find(s, line / DRAM_STORE_LINE);
        const uint32_t v = i < 0 ? 0 : slot_value(s->slots[i]);
        if (n == DRAM_STORE_LINE && !(v & BYTES) && v + 1 < BYTES) {
            /* Stays (or becomes) a pattern line: nothing to copy. */
            if (i < 0) {
                if (!insert(s, line / DRAM_STORE_LINE, 1)) {
                    return false;
                }
            } else {
                set_value(s, i, v + 1);
            }
        } else {
            const uint32_t b = materialise(s, i, line);
            if (b == UINT32_MAX) {
                return false;
            }
            s->bver[b]++;
            mem_pattern_fill(line_bytes(s, b) + off, addr, n, s->bver[b]);
        }
        addr += n;
        len -= n;
    }
    return true;
}

void dram_store_read(const DramStore *s, uint64_t addr, uint8_t *dst, uint32_t len)
{
    while (len > 0) {
        uint64_t line = addr & ~(uint64_t)(DRAM_STORE_LINE - 1);
        uint32_t off = (uint32_t)(addr - line);
        uint32_t n = DRAM_STORE_LINE - off < len ? DRAM_STORE_LINE - off : len;
        const int64_t i = find(s, line / DRAM_STORE_LINE);
        const uint32_t v = i < 0 ? 0 : slot_value(s->slots[i]);
        if (v == 0) {
            memset(dst, 0, n);
        } else if (v & BYTES) {
            memcpy(dst, line_bytes(s, v & ~BYTES) + off, n);
        } else {
            mem_pattern_fill(dst, addr, n, v);
        }
        addr += n;
        dst += n;
        len -= n;
    }
}

uint32_t dram_store_version(const DramStore *s, uint64_t addr)
{
    const int64_t i = find(s, addr / DRAM_STORE_LINE);
    if (i < 0) {
        return 0;
    }
    const uint32_t v = slot_value(s->slots[i]);
    return v & BYTES ? s->bver[v & ~BYTES] : v;
}

uint64_t dram_store_lines(const DramStore *s)
{
    return s->used;
}

uint64_t dram_store_byte_lines(const DramStore *s)
{
    return s->arena_lines;
}

uint64_t dram_store_max_lines(const DramStore *s)
{
    return s->max_lines;
}
