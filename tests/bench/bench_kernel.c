/*
 * Kernel benchmark: a two-domain ring of generic.delay stages (half at 250 MHz, half at
 * 156.25 MHz, one token per stage) simulated through the real configuration layer and kernel.
 * Prints million component activations (ticks) per CPU second and simulated microseconds per
 * CPU second for rings of 64 and 512 stages. A benchmark, not a test: it asserts nothing about
 * speed (docs/performance.md).
 *
 * --loop also runs the same ring as a hand-written two-clock C loop (ring_loop.c) right after
 * each kernel run, checks that both kept the same books (every port's pushes, push and pop time
 * sums, peak and final use; every stage's forwarded packets) and prints the ratio of their
 * speeds in simulated time per CPU second: the same work, so that is the fair measure (the loop
 * ticks every stage at every edge, the fast kernel only the due ones). It exits 1 when the
 * books differ. --print-yaml N prints the ring's YAML (for `membox-sim run`, under SystemC).
 *
 *   bench_kernel [--until TIME] [--kernel fast|every-cycle] [--loop] [--stages N ...]
 *   bench_kernel --print-yaml N
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "systems/registry.h"
#include "sim/config/config.h"
#include "sim/config/units.h"
#include "sim/core/kernel.h"
#include "tests/bench/ring_loop.h"
#include "tests/shim/shim.h"

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The loop's books against the kernel's: the same work or no comparison. */
static bool same_books(Sim *sim, unsigned n, const RingLoopResult *r)
{
    if (sim->n_ports != n) {
        fprintf(stderr, "bench_kernel: %u ports, the loop has %u\n", sim->n_ports, n);
        return false;
    }
    bool same = true;
    for (unsigned i = 0; i < n; i++) {
        const SimPort *p = sim->ports[i];
        const RingLoopPort *q = &r->ports[i];
        double fwd = -1.0;
        char key[32];
        snprintf(key, sizeof(key), "s%u.forwarded", i);
        sim_stats_get(sim->stats, key, &fwd);
        if (p->pushes != q->pushes || p->push_time_sum != q->push_time_sum ||
            p->pop_time_sum != q->pop_time_sum || p->max_count != q->max_count ||
            p->count != q->count || fwd != (double)r->stages[i].forwarded) {
            fprintf(stderr,
                    "bench_kernel: port %s: kernel %llu pushes (sums %llu, %llu, peak %u, %u "
                    "left, %.0f forwarded), loop %llu (%llu, %llu, %u, %u, %llu)\n",
                    p->name, (unsigned long long)p->pushes, (unsigned long long)p->push_time_sum,
                    (unsigned long long)p->pop_time_sum, p->max_count, p->count, fwd,
                    (unsigned long long)q->pushes, (unsigned long long)q->push_time_sum,
                    (unsigned long long)q->pop_time_sum, q->max_count, q->count,
                    (unsigned long long)r->stages[i].forwarded);
            same = false;
        }
    }
    return same;
}

static int bench(unsigned n, SimTime until, SimKernelKind kernel, bool loop)
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
    double c0 = cpu_now();
    bool ok = sim_run(sim, &o, &err);
    double cpu = cpu_now() - c0;
    double wall = wall_now() - t0;
    const double us = (double)until / 1e6;
    if (!ok) {
        fprintf(stderr, "bench_kernel: %s\n", err.msg);
    } else {
        printf("ring of %4u components, %s kernel: %llu activations in %.3f s CPU (%.3f s "
               "wall) = %.1f M activations per CPU s, %.0f us simulated per CPU s (%.0f us "
               "simulated)\n",
               n, sim_kernel_name(kernel), (unsigned long long)sim->activations, cpu, wall,
               (double)sim->activations / cpu / 1e6, us / cpu, us);
    }
    if (ok && loop) {
        RingLoopResult r;
        c0 = cpu_now();
        if (!ring_loop_run(n, until, &r)) {
            fprintf(stderr, "bench_kernel: out of memory\n");
            ok = false;
        } else {
            double lcpu = cpu_now() - c0;
            ok = same_books(sim, n, &r);
            printf("ring of %4u components, hand-written loop: %llu ticks in %.3f s CPU = %.1f "
                   "M ticks per CPU s, %.0f us simulated per CPU s; books %s; kernel / loop = "
                   "%.2f\n",
                   n, (unsigned long long)r.ticks, lcpu, (double)r.ticks / lcpu / 1e6, us / lcpu,
                   ok ? "identical" : "DIFFER", lcpu / cpu);
            ring_loop_free(&r);
        }
    }
    sim_free(sim);
    sim_config_free(c);
    return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
    SimTime until = 2000 * SIM_PS_PER_US;
    SimKernelKind kernel = SIM_KERNEL_FAST;
    bool loop = false;
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
        } else if (strcmp(argv[i], "--loop") == 0) {
            loop = true;
        } else if (strcmp(argv[i], "--print-yaml") == 0 && i + 1 < argc) {
            unsigned long n = strtoul(argv[++i], NULL, 10);
            char *yaml = n >= 2 && n <= 65536 ? shim_ring_yaml((unsigned)n) : NULL;
            if (yaml == NULL) {
                fprintf(stderr, "bench_kernel: --print-yaml '%s': 2 to 65536 stages\n", argv[i]);
                return 2;
            }
            fputs(yaml, stdout);
            free(yaml);
            return 0;
        } else if (strcmp(argv[i], "--stages") == 0 && i + 1 < argc && n_sizes < 16) {
            sizes[n_sizes++] = (unsigned)strtoul(argv[++i], NULL, 10);
            if (sizes[n_sizes - 1] < 2) {
                fprintf(stderr, "bench_kernel: --stages needs at least 2\n");
                return 2;
            }
        } else {
            fprintf(stderr, "usage: bench_kernel [--until TIME] [--kernel fast|every-cycle] "
                            "[--loop] [--stages N ...]\n"
                            "       bench_kernel --print-yaml N\n");
            return 2;
        }
    }
    if (n_sizes == 0) {
        sizes[n_sizes++] = 64;
        sizes[n_sizes++] = 512;
    }
    int rc = 0;
    for (unsigned i = 0; i < n_sizes && rc == 0; i++) {
        rc = bench(sizes[i], until, kernel, loop);
    }
    return rc;
}
