/*
 * Helpers of the libFuzzer targets in tests/fuzz (docs/testing.md, "Fuzzing").
 *
 * Each target is one C file defining LLVMFuzzerTestOneInput. Built with -Dfuzz=enabled it is
 * linked with libFuzzer (-fsanitize=fuzzer); in every test build it is also linked with
 * replay.c, a main() that runs the target over files and folders, so the seeds and the inputs
 * of fixed crashes stay a regression test of the ordinary suite (`meson test --suite fuzz`).
 *
 * A target checks more than "no crash": every failure must be an input error whose message
 * starts with the file's name, and what the readers accept must survive a conversion by the
 * writers. A broken rule calls fuzz_fail(), which prints it and aborts, so libFuzzer keeps the
 * input as a crash.
 */
#ifndef MEMBOX_TESTS_FUZZ_FUZZ_H
#define MEMBOX_TESTS_FUZZ_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/core/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The libFuzzer entry point each target defines. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Files the readers can open: one per slot (0..FUZZ_FILE_MAX-1), made once per process in
 * $TMPDIR, or else /dev/shm (memory) or /tmp, and removed at exit. */
enum {
    FUZZ_FILE_MAX = 2
};

/* Writes data to the file of slot, replacing what it held, and returns its path. */
const char *fuzz_file_write(int slot, const uint8_t *data, size_t size);

/* The path of slot's file, for a writer to fill. */
const char *fuzz_file_path(int slot);

/* Prints "fuzz: " and the message to stderr, then aborts. */
#if defined(__GNUC__)
__attribute__((format(printf, 1, 2), noreturn))
#endif
void fuzz_fail(const char *fmt, ...);

/* A reader's error must be bad input (SIM_ERR_INPUT) with a message that starts with
 * "PREFIX:" (the file named, then its line or record). */
void fuzz_check_error(const SimError *err, const char *prefix);

#ifdef __cplusplus
}
#endif

#endif
