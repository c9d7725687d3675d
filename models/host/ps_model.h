/*
 * The model a parameter-server trace describes, as host.ps and ps.server both read it
 * (docs/workloads.md section 1): W workers, the tensors' bytes and their offsets in a slot of S
 * bytes (each tensor rounded up to 64 bytes, the sum to 4 KiB).
 */
#ifndef MEMBOX_MODELS_HOST_PS_MODEL_H
#define MEMBOX_MODELS_HOST_PS_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The `warmup` parameter of host.ps and ps.server: "skip" (the trace's warm-up marks, -1),
 * "replay" (none, 0) or a number of the trace's first iterations to leave out. False with the
 * reason in msg. */
bool host_ps_warmup(const char *v, int64_t *out, char *msg, size_t size);

/* Reads the trace's header: W, the iterations to replay and the first of them (the first
 * `warmup` iterations left out; -1: the trace's warm-up marks); offset and bytes (n_tensors
 * entries each) may be NULL. False with the reason in msg (naming the file, or saying that
 * warmup leaves no iteration). */
bool host_ps_read_model(const char *trace, int64_t warmup, char *msg, size_t size,
                        uint32_t *workers, uint32_t *iters, uint32_t *first, uint32_t *n_tensors,
                        uint64_t *S, uint64_t *offset, uint64_t *bytes);

#ifdef __cplusplus
}
#endif

#endif
