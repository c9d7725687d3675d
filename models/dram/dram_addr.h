/*
 * Address mapping: how a physical byte address splits into channel, rank, bank, row and
 * column of one DRAM channel. Names list the fields from the most to the least significant bits,
 * as DRAMsim3 and Ramulator write them; the burst offset (6 bits for 64 B) is always lowest.
 *
 *   RoBaRaCoCh (default)   row | bank | rank | column | channel | offset
 *   RoRaBaChCo             row | rank | bank | channel | column | offset
 *   RoCoRaBaCh             row | column | rank | bank | channel | offset   (bank interleaved)
 *   ChRaBaRoCo             channel | rank | bank | row | column | offset   (bank per region)
 *
 * A controller drives one channel, so the channel field has 0 bits unless `channels` > 1 (kept
 * so that the names mean what they mean elsewhere). With one rank, RoBaRaCoCh and RoRaBaChCo
 * give the same layout; they differ as soon as there are several ranks.
 *
 * The XOR bank hash (permutation-based interleaving, Zhang, Zhu and Zhang, MICRO 2000) replaces
 * the bank number by bank XOR (the low bank-bits of the row), so that rows which conflict in a
 * plain mapping spread over the banks. It is a bijection: dram_addr_encode inverts it.
 *
 * Column numbers here count bursts: a row of 1024 device columns read in BL8 bursts holds 128.
 */
#ifndef MEMBOX_DRAM_ADDR_H
#define MEMBOX_DRAM_ADDR_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum DramMapping {
    DRAM_MAP_ROBARACOCH = 0,
    DRAM_MAP_RORABACHCO,
    DRAM_MAP_ROCORABACH,
    DRAM_MAP_CHRABAROCO,
    DRAM_MAP_MAX
} DramMapping;

typedef enum DramBankHash {
    DRAM_HASH_NONE = 0,
    DRAM_HASH_XOR,
    DRAM_HASH_MAX
} DramBankHash;

typedef enum DramField {
    DRAM_FIELD_CHANNEL = 0,
    DRAM_FIELD_RANK,
    DRAM_FIELD_BANK,
    DRAM_FIELD_ROW,
    DRAM_FIELD_COLUMN,
    DRAM_FIELD_MAX
} DramField;

/* NULL-terminated names in enum order, shared with the parameter tables. */
extern const char *const dram_mapping_names[DRAM_MAP_MAX + 1];
extern const char *const dram_bank_hash_names[DRAM_HASH_MAX + 1];

typedef struct DramGeometry {
    uint32_t channels; /* 1 per controller */
    uint32_t ranks;
    uint32_t banks;     /* per rank */
    uint32_t rows;      /* per bank */
    uint32_t columns;   /* device columns per row */
    uint32_t bus_bytes; /* data bus width in bytes (8 for x64) */
    uint32_t burst_len; /* beats per burst (8) */
} DramGeometry;

typedef struct DramLoc {
    uint32_t channel;
    uint32_t rank;
    uint32_t bank;
    uint32_t row;
    uint32_t col; /* burst index within the row */
} DramLoc;

typedef struct DramAddrMap {
    DramMapping mapping;
    DramBankHash hash;
    uint32_t burst_bytes;
    uint32_t offset_bits;
    uint32_t shift[DRAM_FIELD_MAX];
    uint32_t bits[DRAM_FIELD_MAX];
    uint64_t mask[DRAM_FIELD_MAX]; /* of the field value, before shifting */
    uint64_t capacity;             /* bytes; addresses wrap modulo it */
} DramAddrMap;

/* Fills m; false with *why set (static text) if a size is not a power of two or too big. */
bool dram_addr_map_init(DramAddrMap *m, const DramGeometry *g, DramMapping mapping,
                        DramBankHash hash, const char **why);

static inline uint32_t dram_addr_field(const DramAddrMap *m, uint64_t addr, DramField f)
{
    return (uint32_t)((addr >> m->shift[f]) & m->mask[f]);
}

static inline void dram_addr_decode(const DramAddrMap *m, uint64_t addr, DramLoc *loc)
{
    loc->channel = dram_addr_field(m, addr, DRAM_FIELD_CHANNEL);
    loc->rank = dram_addr_field(m, addr, DRAM_FIELD_RANK);
    loc->bank = dram_addr_field(m, addr, DRAM_FIELD_BANK);
    loc->row = dram_addr_field(m, addr, DRAM_FIELD_ROW);
    loc->col = dram_addr_field(m, addr, DRAM_FIELD_COLUMN);
    if (m->hash == DRAM_HASH_XOR) {
        loc->bank ^= loc->row & (uint32_t)m->mask[DRAM_FIELD_BANK];
    }
}

/* The burst-aligned address of a location (inverse of decode, modulo the capacity). */
uint64_t dram_addr_encode(const DramAddrMap *m, const DramLoc *loc);

#ifdef __cplusplus
}
#endif

#endif
