/*
 * DramStore: the functional contents of a memory, sparse, so that a 4 GiB module costs only
 * what was written. Granularity is the 64 B line; a line is in one of three states:
 *
 *   absent      never written: reads as zeros
 *   pattern v   last written without payload: reads as the mem.h pattern of version v
 *               (8 bytes of table, no data bytes, whatever the traffic)
 *   bytes       written with real data at least once since: 64 bytes in an arena
 *
 * Every write to a line, with or without data, bumps its version; a write without data covering
 * a line only partly turns it into bytes first.
 *
 * Sized by use: lines live in an open-addressing hash table with linear probing of 8-byte slots
 * (the low 32 bits of the line number and a 32-bit value: a pattern version, or the index of a
 * byte line; the high bits of line numbers beyond 2^32 lines go to a side table, used only once
 * such a line exists). The table starts at 4096 slots and doubles when it is 70% full, so a
 * store of n lines holds between 11.4 n and 22.9 n bytes of table. Byte lines (64 data bytes
 * and a 4-byte version) fill an arena in order.
 *
 * No allocation on the tick path: the two table regions (the table rehashes from one into the
 * other when it doubles) and the arena are reserved at build for `max_lines` lines (the
 * controller's `store_lines` parameter) as address space only (sim/core/region.h). Memory is
 * committed in bulk when it starts being used (a doubled table whole, the arena 4096 lines at a
 * time, with MADV_POPULATE_WRITE), so the tick path takes no first-touch page fault per page;
 * a table that doubled gives its old region's pages back. A write that would need more than
 * max_lines lines fails, and the controller fails the run naming the parameter.
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

#define DRAM_STORE_MAX_LINES 0x7fffffffu /* byte-line indices are 31-bit */

/* A store for at most max_lines distinct 64 B lines (1 .. DRAM_STORE_MAX_LINES); NULL when it
 * cannot be reserved. */
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
