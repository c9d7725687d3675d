#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, MAP_NORESERVE */
#include "region.h"

#include <assert.h>
#include <string.h>
#include <sys/mman.h>

void *sim_region_map(size_t bytes)
{
    if (bytes == 0) {
        return NULL;
    }
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

void sim_region_unmap(void *p, size_t bytes)
{
    if (p != NULL) {
        munmap(p, bytes);
    }
}

/* The mapping covers whole pages, so that a page's initial contents fill it whole. */
static size_t mapped_size(uint64_t size)
{
    return (size_t)((size + SIM_MEM_PAGE - 1) / SIM_MEM_PAGE * SIM_MEM_PAGE);
}

static size_t written_size(uint64_t size)
{
    return (size_t)((size + SIM_MEM_PAGE - 1) / SIM_MEM_PAGE + 63) / 64 * sizeof(uint64_t);
}

bool sim_mem_init(SimMem *m, uint64_t base, uint64_t size, SimMemFill fill)
{
    memset(m, 0, sizeof(*m));
    if (size == 0 || size > SIZE_MAX - SIM_MEM_PAGE) {
        return false;
    }
    m->base = base;
    m->size = size;
    m->fill = fill;
    m->bytes = sim_region_map(mapped_size(size));
    if (m->bytes == NULL) {
        return false;
    }
    if (fill != NULL) {
        m->written = sim_region_map(written_size(size));
        if (m->written == NULL) {
            sim_mem_destroy(m);
            return false;
        }
    }
    return true;
}

void sim_mem_destroy(SimMem *m)
{
    if (m == NULL) {
        return;
    }
    sim_region_unmap(m->bytes, mapped_size(m->size));
    sim_region_unmap(m->written, written_size(m->size));
    memset(m, 0, sizeof(*m));
}

static inline bool page_written(const SimMem *m, uint64_t page)
{
    return (m->written[page / 64] >> (page % 64)) & 1;
}

void sim_mem_read(const SimMem *m, uint64_t addr, void *dst, size_t len)
{
    assert(sim_mem_contains(m, addr, len));
    uint64_t off = addr - m->base;
    if (m->fill == NULL) {
        memcpy(dst, m->bytes + off, len);
        return;
    }
    /* Page by page: bytes where written, the initial contents where not (without writing them,
     * so that reading costs no memory). */
    uint8_t *d = dst;
    while (len > 0) {
        uint64_t page = off / SIM_MEM_PAGE;
        size_t n = (size_t)((page + 1) * SIM_MEM_PAGE - off);
        n = n < len ? n : len;
        if (page_written(m, page)) {
            memcpy(d, m->bytes + off, n);
        } else {
            m->fill(d, m->base + off, n);
        }
        d += n;
        off += n;
        len -= n;
    }
}

void sim_mem_write(SimMem *m, uint64_t addr, const void *src, size_t len)
{
    assert(sim_mem_contains(m, addr, len));
    uint64_t off = addr - m->base;
    if (m->fill != NULL && len > 0) {
        /* A page takes its initial contents once, before its first write. */
        for (uint64_t page = off / SIM_MEM_PAGE; page <= (off + len - 1) / SIM_MEM_PAGE; page++) {
            if (!page_written(m, page)) {
                m->fill(m->bytes + page * SIM_MEM_PAGE, m->base + page * SIM_MEM_PAGE,
                        SIM_MEM_PAGE);
                m->written[page / 64] |= (uint64_t)1 << (page % 64);
            }
        }
    }
    memcpy(m->bytes + off, src, len);
}
