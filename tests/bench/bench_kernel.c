/*
 * Kernel benchmark: a two-domain ring of generic.delay stages (half at 250 MHz, half at
 * 156.25 MHz, one token per stage) simulated through the real configuration layer and kernel.
 * Prints million component activations (ticks) per wall-clock second for rings of 64 and 512
 * stages. A benchmark, not a test: it asserts nothing about speed (docs/performance.md).
 *
 *   bench_kernel [--until TIME] [--kernel fast|every-cycle] [--stages N ...]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "systems/registry.h"
#include "sim/config/config.h"
#include "sim/config/units.h"
#include "sim/core/kernel.h"
#include "tests/shim/shim.h"

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int bench(unsigned n, SimTime until, SimKernelKind kernel)
{
    char *yaml = shim_ring_yaml(n);
    SimError err;
    SimConfig *c =
        yaml ? sim_config_load_string("<ring>", yaml, strlen(yaml), &membox_registry, &err) : NULL;
    free(yaml);
    if (c == NULL) {
        fprintf(stderr, "bench_kernel: %s\n", err.msg);
        return 2;
    }
    Sim *sim = sim_new();
    SimRunOptions o;
    sim_run_options_default(&o);
    sim_config_run_options(c, &o);
    o.until = until;
    o.kernel = kernel;
    if (!sim_config_build(c, sim, &err) || !sim_prepare(sim, &o, &err)) {
        fprintf(stderr, "bench_kernel: %s\n", err.msg);
        sim_free(sim);
        sim_config_free(c);
        return 2;
    }
    double t0 = wall_now();
    bool ok = sim_run(sim, &o, &err);
    double wall = wall_now() - t0;
    if (!ok) {
        fprintf(stderr, "bench_kernel: %s\n", err.msg);
    } else {
        printf("ring of %4u components, %s kernel: %llu activations in %.3f s = %.1f M "
               "activations/s (%.0f us simulated)\n",
               n, sim_kernel_name(kernel), (unsigned long long)sim->activations, wall,
               (double)sim->activations / wall / 1e6, (double)until / 1e6);
    }
    sim_free(sim);
    sim_config_free(c);
    return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
    SimTime until = 2000 * SIM_PS_PER_US;
    SimKernelKind kernel = SIM_KERNEL_FAST;
    unsigned sizes[16];
    unsigned n_sizes = 0;
    char why[256];
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--until") == 0 && i + 1 < argc) {
            if (!sim_parse_time(argv[++i], &until, why, sizeof(why))) {
                fprintf(stderr, "bench_kernel: --until '%s': %s\n", argv[i], why);
                return 2;
            }
        } else if (strcmp(argv[i], "--kernel") == 0 && i + 1 < argc) {
            if (!sim_kernel_parse(argv[++i], &kernel)) {
                fprintf(stderr, "bench_kernel: --kernel '%s': fast or every-cycle\n", argv[i]);
                return 2;
            }
        } else if (strcmp(argv[i], "--stages") == 0 && i + 1 < argc && n_sizes < 16) {
            sizes[n_sizes++] = (unsigned)strtoul(argv[++i], NULL, 10);
            if (sizes[n_sizes - 1] < 2) {
                fprintf(stderr, "bench_kernel: --stages needs at least 2\n");
                return 2;
            }
        } else {
            fprintf(stderr, "usage: bench_kernel [--until TIME] [--kernel fast|every-cycle] "
                            "[--stages N ...]\n");
            return 2;
        }
    }
    if (n_sizes == 0) {
        sizes[n_sizes++] = 64;
        sizes[n_sizes++] = 512;
    }
    int rc = 0;
    for (unsigned i = 0; i < n_sizes && rc == 0; i++) {
        rc = bench(sizes[i], until, kernel);
    }
    return rc;
}
