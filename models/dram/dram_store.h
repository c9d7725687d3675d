/*
 * DramStore: the functional contents of a memory, sparse, so that a 4 GiB module costs only
 * what was written. Granularity is the 64 B line; a line is in one of three states:
 *
 *   absent      never written: reads as zeros
 *   pattern v   last written without payload: reads as the mem.h pattern of version v
 *               (16 bytes of table, no data bytes, whatever the traffic)
 *   bytes       written with real data at least once since: 64 bytes in an arena
 *
 * Every write to a line, with or without data, bumps its version; a write without data covering
 * a line only partly turns it into bytes first. Lines live in an open-addressing hash table with
 * linear probing, at most half full; byte lines in an arena. Both are sized at build for
 * `max_lines` lines (the controller's `store_lines` parameter) and never grow, so nothing
 * allocates on the tick path: the memory is reserved with calloc, whose pages the operating
 * system only backs when first touched, so a generous maximum costs what is written, not what
 * is reserved. A write that would need more lines fails, and the controller fails the run
 * naming the parameter.
 */
#ifndef MEMBOX_DRAM_STORE_H
#define MEMBOX_DRAM_STORE_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DRAM_STORE_LINE 64u

typedef struct DramStore DramStore;

/* A store for at most max_lines distinct 64 B lines (>= 1); NULL when it cannot be reserved. */
DramStore *dram_store_new(uint64_t max_lines);
void dram_store_free(DramStore *s);

/* Write len bytes of data at addr. False when the store is full (max_lines). */
bool dram_store_write(DramStore *s, uint64_t addr, const uint8_t *data, uint32_t len);

/* Write the pattern of the next version of every line touched. False when the store is full. */
bool dram_store_write_pattern(DramStore *s, uint64_t addr, uint32_t len);

void dram_store_read(const DramStore *s, uint64_t addr, uint8_t *dst, uint32_t len);

/* Writes so far to the line holding addr (0: never written). */
uint32_t dram_store_version(const DramStore *s, uint64_t addr);

/* Lines present, and of those the ones holding real bytes. */
uint64_t dram_store_lines(const DramStore *s);
uint64_t dram_store_byte_lines(const DramStore *s);
uint64_t dram_store_max_lines(const DramStore *s);

#ifdef __cplusplus
}
#endif

#endif
