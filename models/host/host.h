/*
 * Host-side models (docs/models/host.md):
 *
 *   host.memtrace  a compute node replaying a physical memory trace (sim/trace/memtrace.h) as
 *                  DMA transfers (descriptors in host memory, a doorbell, completion seen in the
 *                  status table) or PIO loads and stores through the MemBox window. It speaks
 *                  models/proto/mem.h to a root complex (pcie.rc): req/resp, and notify for the
 *                  status writes.
 *   mem.ideal      a memory with a fixed latency and real bytes, for exact pipeline tests: the
 *                  same mem.h ports (req/resp) as the DRAM controller.
 */
#ifndef MEMBOX_MODELS_HOST_H
#define MEMBOX_MODELS_HOST_H

#include "sim/config/model.h"

#ifdef __cplusplus
extern "C" {
#endif

extern const SimModelType host_memtrace_type;
extern const SimModelType mem_ideal_type;

/* The contents of a mem.ideal component (addresses wrap at its size), for tests and tools; not
 * for the tick path. False if c is not a mem.ideal or it keeps no data. */
bool mem_ideal_read(const SimComponent *c, uint64_t addr, void *dst, size_t len);
bool mem_ideal_write(SimComponent *c, uint64_t addr, const void *src, size_t len);

/* The DMA descriptor the node writes (Intel Arria 10 Avalon-MM DMA format, 32 bytes, little
 * endian): source, destination, then [24:18] descriptor ID and [17:0] size in DWORDs. */
#define HOST_DESC_BYTES 32u

#ifdef __cplusplus
}
#endif

#endif
