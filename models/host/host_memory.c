/*
 * host.memory: a compute node's host memory, as an object, not a component. The builder makes
 * it once (instances that make objects are built first) and hands it, by this instance's name,
 * to every model that reaches the node's memory: the root complex (pcie.rc, which moves DMA data
 * in and out of it) and the node's software (host.ps, which writes gradients into it and applies
 * updates in it, at the instant the trace says, with no bus traffic of its own). They meet in
 * this object, not in each other's code (ARCHITECTURE.md section 1).
 *
 * The memory is a SimMem (sim/core/region.h): [base, base + size), zero or the mem.h pattern of
 * version 0 at the start; its pages cost memory only once written. It has no clock, no ports and
 * no statistics: what crosses PCIe is counted by the root complex.
 */
#include "host.h"

#include <stdio.h>
#include <stdlib.h>

#include "models/proto/mem.h"
#include "sim/core/region.h"

enum {
    INIT_ZERO = 0,
    INIT_PATTERN,
    INIT_MAX
};

static const char *const init_names[] = {"zero", "pattern", NULL};

typedef struct HostMemoryParams {
    uint64_t base;
    uint64_t size;
    int init;
} HostMemoryParams;

#define P(f) offsetof(HostMemoryParams, f)

static const SimParamDesc host_memory_params[] = {
    {"base", SIM_PARAM_UINT, P(base), "0", NULL, NULL, NULL,
     "first host address of the memory (4 KiB aligned)"},
    {"size", SIM_PARAM_BYTES, P(size), "64MiB", "4KiB", "16GiB", NULL,
     "bytes modelled from base: the driver's tables and the DMA buffers must fit"},
    {"init", SIM_PARAM_ENUM, P(init), "zero", NULL, NULL, init_names,
     "initial contents: zero, or the mem.h pattern of version 0"},
};

#undef P

static const char *host_memory_check(const void *params, char *msg, size_t size)
{
    const HostMemoryParams *p = params;
    if (p->base % 4096 != 0) {
        snprintf(msg, size, "0x%llx is not 4 KiB aligned", (unsigned long long)p->base);
        return "base";
    }
    if (p->size % 4096 != 0) {
        snprintf(msg, size, "%llu bytes is not a whole number of 4 KiB pages",
                 (unsigned long long)p->size);
        return "size";
    }
    if (p->base + p->size < p->base) {
        snprintf(msg, size, "base + size is beyond the 64-bit address space");
        return "size";
    }
    return NULL;
}

static void host_memory_free(void *obj)
{
    SimMem *m = obj;
    sim_mem_destroy(m);
    free(m);
}

static bool host_memory_build(Sim *sim, const char *name, const void *params, SimBuild *b,
                              SimError *err)
{
    const HostMemoryParams *p = params;
    (void)b; /* no ports, no statistics */
    SimMem *m = calloc(1, sizeof(*m));
    if (m == NULL) {
        goto fail_alloc;
    }
    if (!sim_mem_init(m, p->base, p->size, p->init == INIT_PATTERN ? mem_pattern_initial : NULL)) {
        goto fail_map; /* the address space is what ran out */
    }
    if (!sim_add_object(sim, name, "memory", m, host_memory_free, err)) {
        goto fail_add;
    }
    return true;

fail_add:
    sim_mem_destroy(m);
    free(m);
    return false;
fail_map:
    free(m);
fail_alloc:
    return sim_error_oom(err, name);
}

const SimModelType host_memory_type = {
    .name = "host.memory",
    .doc = "A compute node's host memory: an object the builder makes once and hands, by this "
           "instance's name, to the root complex (pcie.rc) and the node's software (host.ps); "
           "no clock, ports or statistics.",
    .params = host_memory_params,
    .n_params = sizeof(host_memory_params) / sizeof(host_memory_params[0]),
    .params_size = sizeof(HostMemoryParams),
    .check = host_memory_check,
    .build = host_memory_build,
    .provides = "memory",
};
