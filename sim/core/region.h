/*
 * Large model memories: what a parameter sizes (a host memory, a functional store, a table
 * indexed by capacity) is mapped, not malloc'd, so that the simulator's resident size follows
 * what a run touches and not what a configuration declares.
 *
 * Why not calloc: glibc serves large callocs with mmap and skips the memset, but with
 * MALLOC_PERTURB_ set (meson test sets it for every test) calloc clears and free fills every
 * byte, so a 4 GiB declared memory costs 4 GiB of page faults before the first cycle.
 * An anonymous MAP_NORESERVE mapping is zero without being touched, commits a page on its first
 * write, and reads of a page never written cost nothing (they map the kernel's zero page).
 *
 * Two levels:
 *  - sim_region_map / sim_region_unmap: a zero-filled mapping of a byte size.
 *  - SimMem: a byte-addressed functional memory [base, base + size) on such a mapping, with an
 *    optional initial-contents function: a page reads as that function until it is first
 *    written, when it is filled once and then holds bytes. A memory whose initial contents are a
 *    pattern therefore costs nothing for what is only read.
 */
#ifndef MEMBOX_SIM_REGION_H
#define MEMBOX_SIM_REGION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A zero-filled mapping of bytes (> 0), pages committed on first write; NULL if it cannot be
 * mapped. sim_region_unmap(NULL, n) does nothing. */
void *sim_region_map(size_t bytes);
void sim_region_unmap(void *p, size_t bytes);

/* Initial contents of [addr, addr + len) of a SimMem, written to dst. */
typedef void (*SimMemFill)(uint8_t *dst, uint64_t addr, size_t len);

#define SIM_MEM_PAGE 4096u

typedef struct SimMem {
    uint64_t base;     /* first address */
    uint64_t size;     /* bytes (the mapping is rounded up to whole pages) */
    uint8_t *bytes;    /* the mapping */
    SimMemFill fill;   /* NULL: initially zero */
    uint64_t *written; /* with fill: a bit per page, set once the page holds bytes */
} SimMem;

/* Maps a memory of size (> 0) bytes at base; fill NULL for zero. False if it cannot be mapped. */
bool sim_mem_init(SimMem *m, uint64_t base, uint64_t size, SimMemFill fill);
void sim_mem_destroy(SimMem *m);

/* Whether [addr, addr + len) lies inside the memory. */
static inline bool sim_mem_contains(const SimMem *m, uint64_t addr, uint64_t len)
{
    return addr >= m->base && addr - m->base <= m->size && len <= m->size - (addr - m->base);
}

/* Reads and writes of a range inside the memory (sim_mem_contains; asserted). */
void sim_mem_read(const SimMem *m, uint64_t addr, void *dst, size_t len);
void sim_mem_write(SimMem *m, uint64_t addr, const void *src, size_t len);

#ifdef __cplusplus
}
#endif

#endif
