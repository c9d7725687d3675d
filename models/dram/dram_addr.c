#include "dram_addr.h"

#include <string.h>

#include "sim/core/util.h"

const char *const dram_mapping_names[DRAM_MAP_MAX + 1] = {
    [DRAM_MAP_ROBARACOCH] = "RoBaRaCoCh",
    [DRAM_MAP_RORABACHCO] = "RoRaBaChCo",
    [DRAM_MAP_ROCORABACH] = "RoCoRaBaCh",
    [DRAM_MAP_CHRABAROCO] = "ChRaBaRoCo",
    [DRAM_MAP_MAX] = NULL,
};

const char *const dram_bank_hash_names[DRAM_HASH_MAX + 1] = {
    [DRAM_HASH_NONE] = "none",
    [DRAM_HASH_XOR] = "xor",
    [DRAM_HASH_MAX] = NULL,
};

/* Field order of each mapping, from the least significant field up. */
static const DramField dram_map_order[DRAM_MAP_MAX][DRAM_FIELD_MAX] = {
    [DRAM_MAP_ROBARACOCH] = {DRAM_FIELD_CHANNEL, DRAM_FIELD_COLUMN, DRAM_FIELD_RANK,
                             DRAM_FIELD_BANK, DRAM_FIELD_ROW},
    [DRAM_MAP_RORABACHCO] = {DRAM_FIELD_COLUMN, DRAM_FIELD_CHANNEL, DRAM_FIELD_BANK,
                             DRAM_FIELD_RANK, DRAM_FIELD_ROW},
    [DRAM_MAP_ROCORABACH] = {DRAM_FIELD_CHANNEL, DRAM_FIELD_BANK, DRAM_FIELD_RANK,
                             DRAM_FIELD_COLUMN, DRAM_FIELD_ROW},
    [DRAM_MAP_CHRABAROCO] = {DRAM_FIELD_COLUMN, DRAM_FIELD_ROW, DRAM_FIELD_BANK, DRAM_FIELD_RANK,
                             DRAM_FIELD_CHANNEL},
};

static bool log2_exact(uint64_t v, uint32_t *out)
{
    if (!is_pow2(v)) {
        return false;
    }
    *out = (uint32_t)__builtin_ctzll(v);
    return true;
}

bool dram_addr_map_init(DramAddrMap *m, const DramGeometry *g, DramMapping mapping,
                        DramBankHash hash, const char **why)
{
    memset(m, 0, sizeof(*m));
    if ((unsigned)mapping >= DRAM_MAP_MAX || (unsigned)hash >= DRAM_HASH_MAX) {
        *why = "unknown address mapping";
        return false;
    }
    if (g->burst_len == 0 || g->columns % g->burst_len != 0) {
        *why = "columns must be a multiple of the burst length";
        return false;
    }
    uint64_t sizes[DRAM_FIELD_MAX] = {
        [DRAM_FIELD_CHANNEL] = g->channels,
        [DRAM_FIELD_RANK] = g->ranks,
        [DRAM_FIELD_BANK] = g->banks,
        [DRAM_FIELD_ROW] = g->rows,
        [DRAM_FIELD_COLUMN] = g->columns / g->burst_len,
    };
    static const char *const size_why[DRAM_FIELD_MAX] = {
        "channels must be a power of two", "ranks must be a power of two",
        "banks must be a power of two",    "rows must be a power of two",
        "columns must be a power of two",
    };
    m->mapping = mapping;
    m->hash = hash;
    m->burst_bytes = g->bus_bytes * g->burst_len;
    if (!log2_exact(m->burst_bytes, &m->offset_bits)) {
        *why = "the burst size (bus bytes x burst length) must be a power of two";
        return false;
    }
    for (int f = 0; f < DRAM_FIELD_MAX; f++) {
        if (!log2_exact(sizes[f], &m->bits[f])) {
            *why = size_why[f];
            return false;
        }
        m->mask[f] = sizes[f] - 1;
    }
    if (hash == DRAM_HASH_XOR && m->bits[DRAM_FIELD_ROW] < m->bits[DRAM_FIELD_BANK]) {
        *why = "the XOR bank hash needs at least as many rows as banks";
        return false;
    }
    uint32_t shift = m->offset_bits;
    for (int i = 0; i < DRAM_FIELD_MAX; i++) {
        DramField f = dram_map_order[mapping][i];
        m->shift[f] = shift;
        shift += m->bits[f];
    }
    if (shift > 48) {
        *why = "the module is larger than 2^48 bytes";
        return false;
    }
    m->capacity = 1ULL << shift;
    return true;
}

uint64_t dram_addr_encode(const DramAddrMap *m, const DramLoc *loc)
{
    uint32_t bank = loc->bank;
    if (m->hash == DRAM_HASH_XOR) {
        bank ^= loc->row & (uint32_t)m->mask[DRAM_FIELD_BANK];
    }
    uint64_t v[DRAM_FIELD_MAX] = {
        [DRAM_FIELD_CHANNEL] = loc->channel,
        [DRAM_FIELD_RANK] = loc->rank,
        [DRAM_FIELD_BANK] = bank,
        [DRAM_FIELD_ROW] = loc->row,
        [DRAM_FIELD_COLUMN] = loc->col,
    };
    uint64_t addr = 0;
    for (int f = 0; f < DRAM_FIELD_MAX; f++) {
        addr |= (v[f] & m->mask[f]) << m->shift[f];
    }
    return addr;
}
