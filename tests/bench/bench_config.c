/*
 * Runs one topology for a fixed simulated time and prints its speed: simulated nanoseconds per
 * wall second and million activations per wall second (a benchmark, not a test; figures go in
 * docs/performance.md).
 *
 *   bench_config CONFIG [--until TIME] [--kernel fast|every-cycle] [--stat KEY ...]
 *
 * --stat prints statistics of the run beside the speed (to check the run did what it should).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "systems/registry.h"
#include "sim/config/config.h"
#include "sim/config/units.h"
#include "sim/core/kernel.h"

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    const char *path = NULL;
    SimTime until = SIM_TIME_NEVER;
    SimKernelKind kernel = SIM_KERNEL_FAST;
    const char *stats[16];
    int n_stats = 0;
    char why[256];
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--until") == 0 && i + 1 < argc) {
            if (!sim_parse_time(argv[++i], &until, why, sizeof(why))) {
                fprintf(stderr, "bench_config: --until '%s': %s\n", argv[i], why);
                return 2;
            }
        } else if (strcmp(argv[i], "--kernel") == 0 && i + 1 < argc) {
            if (!sim_kernel_parse(argv[++i], &kernel)) {
                fprintf(stderr, "bench_config: --kernel '%s': fast or every-cycle\n", argv[i]);
                return 2;
            }
        } else if (strcmp(argv[i], "--stat") == 0 && i + 1 < argc && n_stats < 16) {
            stats[n_stats++] = argv[++i];
        } else if (argv[i][0] != '-' && path == NULL) {
            path = argv[i];
        } else {
            fprintf(stderr, "usage: bench_config CONFIG [--until TIME] [--kernel K] "
                            "[--stat KEY ...]\n");
            return 2;
        }
    }
    if (path == NULL) {
        fprintf(stderr, "usage: bench_config CONFIG [--until TIME] [--kernel K] [--stat KEY]\n");
        return 2;
    }
    SimError err;
    SimConfig *c = sim_config_load_file(path, &membox_registry, &err);
    if (c == NULL) {
        fprintf(stderr, "%s\n", err.msg);
        return 2;
    }
    Sim *sim = sim_new();
    SimRunOptions o;
    sim_run_options_default(&o);
    sim_config_run_options(c, &o);
    o.kernel = kernel;
    if (until != SIM_TIME_NEVER) {
        o.until = until;
    }
    int rc = 0;
    if (!sim_config_build(c, sim, &err) || !sim_prepare(sim, &o, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        rc = 2;
        goto done;
    }
    double t0 = wall_now();
    bool ok = sim_run(sim, &o, &err);
    double wall = wall_now() - t0;
    if (!ok) {
        fprintf(stderr, "%s\n", err.msg);
        rc = 1;
        goto done;
    }
    printf("%s, %s kernel: %.3f us simulated in %.3f s wall = %.0f simulated ns/s, "
           "%.2f M activations/s\n",
           path, sim_kernel_name(kernel), (double)sim->end_time / 1e6, wall,
           (double)sim->end_time / 1e3 / wall, (double)sim->activations / wall / 1e6);
    for (int i = 0; i < n_stats; i++) {
        double v;
        if (sim_stats_get(sim->stats, stats[i], &v)) {
            printf("  %s = %.6g\n", stats[i], v);
        } else {
            printf("  %s: no such statistic\n", stats[i]);
        }
    }

done:
    sim_free(sim);
    sim_config_free(c);
    return rc;
}
