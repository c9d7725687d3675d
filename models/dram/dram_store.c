#include "dram_store.h"

#include <stdlib.h>
#include <string.h>

#include "models/proto/mem.h"
#include "sim/core/region.h"

/* A slot: key is the line address + 1 (0 marks an empty slot; line addresses are multiples of
 * 64, so + 1 cannot collide); data is the arena line + 1, 0 while the line is a pattern. */
typedef struct DramStoreSlot {
    uint64_t key;
    uint32_t version;
    uint32_t data;
} DramStoreSlot;

struct DramStore {
    DramStoreSlot *slots;
    uint32_t bits; /* table size is 2^bits >= 2 x max_lines */
    uint64_t used;
    uint64_t max_lines;
    uint8_t *arena; /* byte lines, max_lines of them reserved */
    uint64_t arena_lines;
};

DramStore *dram_store_new(uint64_t max_lines)
{
    if (max_lines == 0 || max_lines >= UINT32_MAX) {
        return NULL; /* arena indices are 32-bit */
    }
    DramStore *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        return NULL;
    }
    s->max_lines = max_lines;
    s->bits = 1;
    while (((uint64_t)1 << s->bits) < 2 * max_lines) {
        s->bits++;
    }
    s->slots = sim_region_map(((size_t)1 << s->bits) * sizeof(DramStoreSlot));
    s->arena = sim_region_map((size_t)max_lines * DRAM_STORE_LINE);
    if (s->slots == NULL || s->arena == NULL) {
        dram_store_free(s);
        return NULL;
    }
    return s;
}

void dram_store_free(DramStore *s)
{
    if (s == NULL) {
        return;
    }
    sim_region_unmap(s->slots, ((size_t)1 << s->bits) * sizeof(DramStoreSlot));
    sim_region_unmap(s->arena, (size_t)s->max_lines * DRAM_STORE_LINE);
    free(s);
}

static inline uint64_t slot_hash(uint64_t line, uint32_t bits)
{
    return ((line >> 6) * 0x9e3779b97f4a7c15ULL) >> (64 - bits);
}

static DramStoreSlot *find(const DramStore *s, uint64_t line)
{
    const uint64_t mask = ((uint64_t)1 << s->bits) - 1;
    for (uint64_t i = slot_hash(line, s->bits);; i = (i + 1) & mask) {
        DramStoreSlot *e = &s->slots[i];
        if (e->key == line + 1) {
            return e;
        }
        if (e->key == 0) {
            return NULL;
        }
    }
}

/* The slot of a line, inserted (absent: version 0, pattern) if needed; NULL when full. */
static DramStoreSlot *get(DramStore *s, uint64_t line)
{
    DramStoreSlot *e = find(s, line);
    if (e != NULL) {
        return e;
    }
    if (s->used == s->max_lines) {
        return NULL;
    }
    const uint64_t mask = ((uint64_t)1 << s->bits) - 1;
    uint64_t i = slot_hash(line, s->bits);
    while (s->slots[i].key != 0) {
        i = (i + 1) & mask;
    }
    s->slots[i] = (DramStoreSlot){.key = line + 1, .version = 0, .data = 0};
    s->used++;
    return &s->slots[i];
}

static uint8_t *line_bytes(const DramStore *s, const DramStoreSlot *e)
{
    return s->arena + (uint64_t)(e->data - 1) * DRAM_STORE_LINE;
}

/* Give a line its own 64 bytes holding its present contents (zeros or its pattern). */
static uint8_t *materialise(DramStore *s, DramStoreSlot *e, uint64_t line)
{
    if (e->data != 0) {
        return line_bytes(s, e);
    }
    /* Never more byte lines than lines, and the arena holds max_lines of them. */
    e->data = (uint32_t)(++s->arena_lines);
    uint8_t *bytes = line_bytes(s, e);
    if (e->version == 0) {
        memset(bytes, 0, DRAM_STORE_LINE);
    } else {
        mem_pattern_fill(bytes, line, DRAM_STORE_LINE, e->version);
    }
    return bytes;
}

bool dram_store_write(DramStore *s, uint64_t addr, const uint8_t *data, uint32_t len)
{
    while (len > 0) {
        uint64_t line = addr & ~(uint64_t)(DRAM_STORE_LINE - 1);
        uint32_t off = (uint32_t)(addr - line);
        uint32_t n = DRAM_STORE_LINE - off < len ? DRAM_STORE_LINE - off : len;
        DramStoreSlot *e = get(s, line);
        if (e == NULL) {
            return false;
        }
        uint8_t *bytes = materialise(s, e, line);
        if (bytes == NULL) {
            return false;
        }
        memcpy(bytes + off, data, n);
        e->version++;
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
        DramStoreSlot *e = get(s, line);
        if (e == NULL) {
            return false;
        }
        if (n == DRAM_STORE_LINE && e->data == 0) {
            e->version++; /* stays a pattern line: nothing to copy */
        } else {
            uint8_t *bytes = materialise(s, e, line);
            if (bytes == NULL) {
                return false;
            }
            e->version++;
            mem_pattern_fill(bytes + off, addr, n, e->version);
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
        const DramStoreSlot *e = find(s, line);
        if (e == NULL || (e->data == 0 && e->version == 0)) {
            memset(dst, 0, n);
        } else if (e->data == 0) {
            mem_pattern_fill(dst, addr, n, e->version);
        } else {
            memcpy(dst, line_bytes(s, e) + off, n);
        }
        addr += n;
        dst += n;
        len -= n;
    }
}

uint32_t dram_store_version(const DramStore *s, uint64_t addr)
{
    const DramStoreSlot *e = find(s, addr & ~(uint64_t)(DRAM_STORE_LINE - 1));
    return e != NULL ? e->version : 0;
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
