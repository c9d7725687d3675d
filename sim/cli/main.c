/*
 * membox-sim: the command line. The only code in the project that prints to the terminal or
 * exits. Exit codes: 0 success, 1 simulation error (deadlock, watchdog, trace error at run
 * time) or out of memory, 2 bad input or usage (configuration, trace, flags, output files).
 */
#include <errno.h>
#include <signal.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "membox_version.h"
#include "systems/registry.h"
#include "sim/cli/cmd_compare.h"
#include "sim/cli/cmd_schema.h"
#include "sim/cli/cmd_sweep.h"
#include "sim/cli/cmd_trace.h"
#include "sim/cli/obs_args.h"
#include "sim/cli/run_meta.h"
#include "sim/config/config.h"
#include "sim/config/units.h"
#include "sim/core/kernel.h"
#include "sim/core/util.h"
#if MEMBOX_HAVE_SYSTEMC
#include "sim/cli/module.h"
/* sim_systemc_run() (sim/systemc/sc_kernel.h), in the module libmembox-sim-sc.so: loaded by
 * --kernel systemc runs only (module.h says why). */
#define SYSTEMC_MODULE "libmembox-sim-sc.so"
typedef bool (*SystemcRunFn)(Sim *sim, const SimRunOptions *opt, SimError *err);
#define RUN_HELP_KERNEL                                                                            \
    "  --kernel K        fast (default: skips idle work), every-cycle (the reference) or\n"        \
    "                    systemc (the same models under the SystemC 2.3.4 kernel)\n"
#else
#define RUN_HELP_KERNEL                                                                            \
    "  --kernel K        fast (default: skips idle work) or every-cycle (the reference)\n"
#endif

enum {
    EXIT_OK = 0,
    EXIT_SIM = 1,
    EXIT_NOMEM = 1,
    EXIT_INPUT = 2
};

/* The exit code of a failure: bad input is the user's to fix (2); the rest is not (1). */
static int exit_code(const SimError *err)
{
    switch (err->kind) {
    case SIM_ERR_NOMEM:
        return EXIT_NOMEM;
    case SIM_ERR_SIMULATION:
        return EXIT_SIM;
    default:
        return EXIT_INPUT;
    }
}

static const char *const main_help =
    "usage: membox-sim COMMAND [ARGS]\n"
    "\n"
    "Cycle-accurate simulator of the MemBox shared-memory fabric.\n"
    "\n"
    "commands:\n"
    "  run CONFIG       simulate a topology and print a summary\n"
    "  check CONFIG     validate a topology without simulating it\n"
    "  expand CONFIG    print the flat topology CONFIG expands to (instances and links)\n"
    "  describe [TYPE]  list the model types, or one type's parameters, ports, statistics\n"
    "  dram CONFIG --trace FILE   replay a memory trace into the DDR3 controller alone\n"
    "  sweep SPEC       run a topology over value lists and seeds into one CSV (-j N, mpirun)\n"
    "  schema           print the JSON Schema of topology files (for editors)\n"
    "  trace COMMAND    convert or summarise a parameter-server trace (convert, info)\n"
    "  compare BASE NEW compare the statistics of two runs, with tolerances (regression)\n"
    "  version          print the version\n"
    "  help [COMMAND]   this text, or a command's\n"
    "\n"
    "`membox-sim COMMAND --help` explains each command.\n"
    "\n"
    "exit codes: 0 success; 1 simulation error (deadlock, watchdog, trace error at run time)\n"
    "            or out of memory; 2 bad input or usage (topology, trace, command line, output\n"
    "            file)\n";

static const char *const run_help =
    "usage: membox-sim run CONFIG [options]\n"
    "\n"
    "Build the topology in CONFIG (YAML, see docs/config.md), simulate it until every source\n"
    "has finished and the fabric has drained (or until --until), print a summary: simulated\n"
    "time, throughput, latency percentiles, link and DDR3 utilisation, retries and errors, the\n"
    "workload's figures (docs/stats.md, \"Summary\").\n"
    "\n"
    "options:\n"
    "  --stats FILE      write all statistics as JSON (schema: docs/stats.md)\n"
    "  --csv FILE        append one CSV row of all statistics (header written if new; a file\n"
    "                    with another topology's header is refused before the run starts)\n"
    "  --seed N          run seed (default: the topology's sim.seed, else 1)\n"
    "  --until TIME      stop at this simulated time, e.g. 10us (default: run to the "
    "end)\n" RUN_HELP_KERNEL
    "  --set PATH=VALUE  a value over the file's (repeatable): INSTANCE.KEY (mb_p0.lanes=2),\n"
    "                    TYPE.KEY for every instance of a type (link.mpp.rtpb_size=8KiB),\n"
    "                    SECTION.KEY... (sim.seed=3, fabric.defaults.optical.length=10m);\n"
    "                    checked like YAML, listed in the stats' run section\n"
    "  --progress        report simulated time, speed and ETA on stderr: one line rewritten\n"
    "                    in place on a terminal, a line every few seconds otherwise; the ETA\n"
    "                    comes from --until or from the workload's own end (trace records,\n"
    "                    iterations)\n"
    "  --quiet           no summary on stdout\n"
    "  --verbose         every statistic, instance by instance, instead of the summary\n"
    "  --stats-on-interrupt  on SIGINT or SIGTERM, still write --stats with the statistics\n"
    "                    so far (closed at the instant the run stopped)\n" OBS_ARGS_HELP "\n"
    "Output files are written under temporary names and renamed together when all are\n"
    "complete: a failed run leaves no file behind. SIGINT and SIGTERM stop the run at the end\n"
    "of its current instant, remove the temporary files and exit 130 and 143.\n"
    "\n"
    "exit codes: 0 ok; 1 simulation error (deadlock, watchdog) or out of memory; 2 bad input\n"
    "            or usage\n";

static const char *const dram_help =
    "usage: membox-sim dram CONFIG --trace FILE [--format native|dramsim3|ramulator] [options]\n"
    "\n"
    "Standalone DRAM mode: replay a memory trace straight into the DDR3 controller of CONFIG\n"
    "(configs/dram-standalone.yaml, or any topology with exactly one dram.trace player and one\n"
    "dram.ctrl controller). --trace and --format set the player's `file` and `format`.\n"
    "Trace lines: native (docs/models/dram.md), DRAMsim3 `0x2000D5C0 READ 30` (address,\n"
    "READ/WRITE, arrival DRAM cycle), Ramulator `0x12345680 R`; plain or gzip.\n"
    "\n"
    "options: --stats, --csv, --seed, --until, --kernel, --set, --progress, --quiet, --verbose,\n"
    "--vcd..., --timeline..., --stats-interval, --interval-out as for `run`.\n"
    "The summary and the JSON host section add the speed in simulated DRAM cycles per wall\n"
    "second (dram_cycles_per_second).\n"
    "\n"
    "exit codes: 0 ok; 1 simulation error (deadlock, watchdog, trace error at run time) or\n"
    "            out of memory; 2 bad input or usage\n";

static const char *const check_help =
    "usage: membox-sim check CONFIG [--set PATH=VALUE ...]\n"
    "\n"
    "Parse and validate CONFIG completely (types, keys, units, ranges, ports, links, cycles)\n"
    "without simulating. Prints the first error as FILE:LINE:COL: message. --set as for `run`.\n"
    "\n"
    "exit codes: 0 valid; 2 invalid or unreadable\n";

static const char *const expand_help =
    "usage: membox-sim expand CONFIG [-o OUT] [--set PATH=VALUE ...]\n"
    "\n"
    "Load and check CONFIG, then print the flat topology it expands to: its sim and domains\n"
    "sections, and every instance and link as built, with system sections (fabric:) expanded\n"
    "and defaults and presets applied. The result is YAML that `check` accepts and that runs\n"
    "to the same statistics as CONFIG.\n"
    "\n"
    "options:\n"
    "  -o OUT, --output OUT   write to OUT (under a temporary name, renamed when complete);\n"
    "                         file paths in it are relative to OUT's folder. Without -o the\n"
    "                         text goes to stdout with paths relative to the working folder.\n"
    "  --set PATH=VALUE       a value over the file's, as for `run` (applied, then expanded)\n"
    "\n"
    "exit codes: 0 ok; 2 invalid CONFIG, usage or output file\n";

static const char *const describe_help =
    "usage: membox-sim describe [TYPE]\n"
    "\n"
    "Without TYPE, list every model type. With TYPE, print its parameters (key, type and\n"
    "unit, default, range, meaning), its ports and every statistic it can produce (kind,\n"
    "unit, meaning).\n"
    "\n"
    "exit codes: 0 ok; 2 unknown type\n";

static const char *const version_help =
    "usage: membox-sim version\n\nPrint the version.\n\nexit codes: 0\n";

/* A usage error: one line naming what is wrong and where help is, exit code 2. */
__attribute__((format(printf, 2, 3))) static int usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "membox-sim: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "; see 'membox-sim %s--help'\n", cmd);
    va_end(ap);
    return EXIT_INPUT;
}

static bool is_help(const char *a)
{
    return strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0;
}

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- output files: written under a temporary name, renamed when complete ---- */

typedef struct OutFile {
    const char *path;
    char tmp[4096];
    FILE *f;
} OutFile;

static bool out_open(OutFile *o, const char *path)
{
    o->path = path;
    int n = snprintf(o->tmp, sizeof(o->tmp), "%s.tmp.%ld", path, (long)getpid());
    if (n < 0 || (size_t)n >= sizeof(o->tmp)) {
        errno = ENAMETOOLONG;
        return false;
    }
    o->f = fopen(o->tmp, "w");
    return o->f != NULL;
}

static bool out_commit(OutFile *o)
{
    bool ok = fflush(o->f) == 0 && !ferror(o->f);
    int saved = errno;
    if (fclose(o->f) != 0) {
        ok = false;
        saved = errno;
    }
    o->f = NULL;
    if (ok && rename(o->tmp, o->path) != 0) {
        ok = false;
        saved = errno;
    }
    if (!ok) {
        remove(o->tmp);
        errno = saved;
    }
    return ok;
}

static void out_abort(OutFile *o)
{
    if (o->f != NULL) {
        fclose(o->f);
        o->f = NULL;
        remove(o->tmp);
    }
}

/* This run's CSV header, malloc'd into *header; false when out of memory. */
static bool csv_header(const SimStats *stats, char **header, size_t *header_len)
{
    *header = NULL;
    *header_len = 0;
    FILE *hm = open_memstream(header, header_len);
    if (hm == NULL) {
        return false;
    }
    bool ok = sim_stats_write_csv_header(stats, hm);
    if (fclose(hm) != 0 || !ok) {
        free(*header);
        *header = NULL;
        return false;
    }
    return true;
}

/* The whole of an existing file into *text (NULL, 0 when it does not exist); exit code. */
static int csv_read_old(const char *path, char **text, size_t *len)
{
    *text = NULL;
    *len = 0;
    FILE *in = fopen(path, "r");
    if (in == NULL) {
        if (errno == ENOENT) {
            return EXIT_OK;
        }
        fprintf(stderr, "%s: cannot read: %s\n", path, strerror(errno));
        return EXIT_INPUT;
    }
    FILE *mem = open_memstream(text, len);
    char buf[65536];
    size_t n;
    while (mem != NULL && (n = fread(buf, 1, sizeof(buf), in)) > 0) {
        fwrite(buf, 1, n, mem);
    }
    bool read_ok = !ferror(in);
    fclose(in);
    if (mem == NULL || fclose(mem) != 0 || !read_ok) {
        free(*text);
        *text = NULL;
        fprintf(stderr, "%s: cannot read: %s\n", path, strerror(errno));
        return EXIT_INPUT;
    }
    return EXIT_OK;
}

static int csv_header_conflict(const char *path)
{
    fprintf(stderr,
            "%s:1:1: the CSV header differs from this run's statistics (another topology?); "
            "give another --csv file\n",
            path);
    return EXIT_INPUT;
}

/*
 * Before the run: an existing CSV must start with this run's header, and a file can be made
 * beside it; so that a conflict is found before simulating, not after (docs/stats.md, "CSV").
 */
static int csv_check(const char *path, const SimStats *stats)
{
    char *old = NULL;
    size_t old_len = 0;
    char *header = NULL;
    size_t header_len = 0;
    int rc = csv_read_old(path, &old, &old_len);
    if (rc != EXIT_OK) {
        return rc;
    }
    if (!csv_header(stats, &header, &header_len)) {
        free(old);
        fprintf(stderr, "%s: out of memory\n", path);
        return EXIT_NOMEM;
    }
    if (old_len > 0 && (old_len < header_len || memcmp(old, header, header_len) != 0)) {
        rc = csv_header_conflict(path);
    } else {
        OutFile probe;
        if (!out_open(&probe, path)) {
            fprintf(stderr, "%s: cannot write: %s\n", path, strerror(errno));
            rc = EXIT_INPUT;
        } else {
            out_abort(&probe);
        }
    }
    free(old);
    free(header);
    return rc;
}

/*
 * After the run: the existing rows (read again: another run may have appended meanwhile) and
 * this run's row, written to o's temporary file, which the caller renames or removes.
 */
static int csv_stage(OutFile *o, const char *path, const SimStats *stats, const SimRunInfo *info)
{
    char *old = NULL;
    size_t old_len = 0;
    char *header = NULL;
    size_t header_len = 0;
    int rc = csv_read_old(path, &old, &old_len);
    if (rc != EXIT_OK) {
        return rc;
    }
    if (!csv_header(stats, &header, &header_len)) {
        free(old);
        fprintf(stderr, "%s: out of memory\n", path);
        return EXIT_NOMEM;
    }
    if (old_len > 0 && (old_len < header_len || memcmp(old, header, header_len) != 0)) {
        free(old);
        free(header);
        return csv_header_conflict(path);
    }
    if (!out_open(o, path)) {
        free(old);
        free(header);
        fprintf(stderr, "%s: cannot write: %s\n", path, strerror(errno));
        return EXIT_INPUT;
    }
    bool ok = old_len > 0 ? fwrite(old, 1, old_len, o->f) == old_len
                          : fwrite(header, 1, header_len, o->f) == header_len;
    ok = ok && sim_stats_write_csv_row(stats, info, o->f);
    free(old);
    free(header);
    if (!ok) {
        int e = errno;
        out_abort(o);
        fprintf(stderr, "%s: cannot write: %s\n", path, strerror(e));
        return EXIT_INPUT;
    }
    return EXIT_OK;
}

/* ---- progress on stderr ---- */

/*
 * On a terminal, one line rewritten in place (carriage return, erase to the end of the line)
 * about five times a second; otherwise (a log file, CI) a plain line at the first report and
 * then every PROGRESS_PLAIN_EVERY seconds. The fraction done is the larger of the simulated time
 * over --until and the workload's own (sim_work_fraction: trace records, iterations), so
 * there is an ETA whenever either is known. A last line at the end says how the run went.
 */
#define PROGRESS_TTY_EVERY   0.2
#define PROGRESS_PLAIN_EVERY 5.0

typedef struct Progress {
    const Sim *sim;
    double start;
    double last_print;
    bool tty;
    bool printed;
} Progress;

static void progress_line(Progress *p, SimTime now, SimTime until, bool final)
{
    double w = wall_now();
    double elapsed = w - p->start;
    double sim_us = (double)now / 1e6;
    double frac = sim_work_fraction(p->sim);
    if (until != SIM_TIME_NEVER && until > 0) {
        double f = (double)now / (double)until;
        frac = f > frac ? f : frac;
    }
    char line[256];
    int n = snprintf(line, sizeof(line), "membox-sim: ");
    if (frac >= 0.0 && !final) {
        n += snprintf(line + n, sizeof(line) - (size_t)n, "%5.1f%%  ", 100.0 * frac);
    }
    n +=
        snprintf(line + n, sizeof(line) - (size_t)n, "%.3f us simulated  %.1f s elapsed  %.3f us/s",
                 sim_us, elapsed, elapsed > 0 ? sim_us / elapsed : 0.0);
    if (final) {
        snprintf(line + n, sizeof(line) - (size_t)n, "  done");
    } else if (frac > 0.0) {
        snprintf(line + n, sizeof(line) - (size_t)n, "  ETA %.1f s", elapsed * (1.0 - frac) / frac);
    } else if (frac < 0.0) {
        snprintf(line + n, sizeof(line) - (size_t)n, "  (no ETA: no --until, no workload end)");
    }
    if (p->tty) {
        fprintf(stderr, "\r%s\033[K%s", line, final ? "\n" : "");
    } else {
        fprintf(stderr, "%s\n", line);
    }
    fflush(stderr);
    p->last_print = w;
    p->printed = true;
}

static void progress_report(void *ctx, SimTime now, SimTime until)
{
    Progress *p = ctx;
    double every = p->tty ? PROGRESS_TTY_EVERY : PROGRESS_PLAIN_EVERY;
    if (p->printed && wall_now() - p->last_print < every) {
        return;
    }
    /* In a log, the first line waits until there is an ETA to give (a first record or
     * iteration done), when there will be one. */
    if (!p->tty && !p->printed && sim_work_fraction(p->sim) == 0.0 && until == SIM_TIME_NEVER) {
        return;
    }
    progress_line(p, now, until, false);
}

/* ---- commands ---- */

/* `--set PATH=VALUE`, repeatable (docs/config.md, "Values from the command line"). */
#define SETS_MAX 64

typedef struct Sets {
    SimConfigOverride ov[SETS_MAX + 2]; /* and room for dram's --trace and --format */
    const char *text[SETS_MAX];         /* "PATH=VALUE" as given, for the stats' run section */
    char path[SETS_MAX][256];
    char origin[SETS_MAX][300];
    size_t n;
} Sets;

/* Takes the argument of --set; a usage error (exit 2) when it is not PATH=VALUE. */
static int parse_set(Sets *s, const char *cmd, const char *arg)
{
    char see[32];
    snprintf(see, sizeof(see), "%s ", cmd);
    const char *eq = strchr(arg, '=');
    if (eq == NULL || eq == arg) {
        return usage_error(see, "--set '%s': expected PATH=VALUE, e.g. mb_p0.lanes=2", arg);
    }
    if (s->n == SETS_MAX) {
        return usage_error(see, "--set '%s': more than %d values", arg, SETS_MAX);
    }
    size_t n = (size_t)(eq - arg);
    if (n >= sizeof(s->path[0])) {
        return usage_error(see, "--set '%s': the path is too long", arg);
    }
    memcpy(s->path[s->n], arg, n);
    s->path[s->n][n] = '\0';
    snprintf(s->origin[s->n], sizeof(s->origin[0]), "--set %.290s", arg);
    s->ov[s->n] = (SimConfigOverride){s->path[s->n], eq + 1, s->origin[s->n]};
    s->text[s->n] = arg;
    s->n++;
    return EXIT_OK;
}

static SimConfig *load_with(const char *path, const Sets *sets, const SimConfigOverride *extra,
                            size_t n_extra)
{
    SimConfigOverride ov[SETS_MAX + 2];
    size_t n = 0;
    for (size_t i = 0; i < sets->n; i++) {
        ov[n++] = sets->ov[i];
    }
    for (size_t i = 0; i < n_extra && n < SETS_MAX + 2; i++) {
        ov[n++] = extra[i];
    }
    SimError err;
    sim_error_clear(&err);
    SimConfig *c = sim_config_load_file_ex(path, &membox_registry, ov, n, &err);
    if (c == NULL) {
        fprintf(stderr, "%s\n", err.msg);
    }
    return c;
}

static int cmd_check(int argc, char **argv)
{
    const char *path = NULL;
    static Sets sets;
    for (int i = 0; i < argc; i++) {
        if (is_help(argv[i])) {
            fputs(check_help, stdout);
            return EXIT_OK;
        }
        if (strcmp(argv[i], "--set") == 0) {
            if (i + 1 >= argc) {
                return usage_error("check ", "option '%s' needs a value", argv[i]);
            }
            int rc = parse_set(&sets, "check", argv[++i]);
            if (rc != EXIT_OK) {
                return rc;
            }
            continue;
        }
        if (argv[i][0] == '-' && argv[i][1] != '\0') {
            return usage_error("check ", "unknown option '%s' for 'check'", argv[i]);
        }
        if (path != NULL) {
            return usage_error("check ", "'check' takes one CONFIG, got also '%s'", argv[i]);
        }
        path = argv[i];
    }
    if (path == NULL) {
        return usage_error("check ", "%s", "'check' needs a CONFIG file");
    }
    SimConfig *c = load_with(path, &sets, NULL, 0);
    if (c == NULL) {
        return EXIT_INPUT;
    }
    printf("%s: ok (%zu instances)\n", path, sim_config_instance_count(c));
    sim_config_free(c);
    return EXIT_OK;
}

/* The folder of path ("." for a bare file name), malloc'd. */
static char *folder_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t n = slash == NULL ? 1 : (slash == path ? 1 : (size_t)(slash - path));
    char *d = malloc(n + 1);
    if (d != NULL) {
        memcpy(d, slash == NULL ? "." : path, n);
        d[n] = '\0';
    }
    return d;
}

static int cmd_expand(int argc, char **argv)
{
    const char *path = NULL;
    const char *out = NULL;
    static Sets sets;
    for (int i = 0; i < argc; i++) {
        if (is_help(argv[i])) {
            fputs(expand_help, stdout);
            return EXIT_OK;
        }
        if (strcmp(argv[i], "--set") == 0) {
            if (i + 1 >= argc) {
                return usage_error("expand ", "option '%s' needs a value", argv[i]);
            }
            int rc = parse_set(&sets, "expand", argv[++i]);
            if (rc != EXIT_OK) {
                return rc;
            }
            continue;
        }
        if (strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "--output") == 0) {
            if (i + 1 >= argc) {
                return usage_error("expand ", "option '%s' needs a value", argv[i]);
            }
            out = argv[++i];
            continue;
        }
        if (argv[i][0] == '-' && argv[i][1] != '\0') {
            return usage_error("expand ", "unknown option '%s' for 'expand'", argv[i]);
        }
        if (path != NULL) {
            return usage_error("expand ", "'expand' takes one CONFIG, got also '%s'", argv[i]);
        }
        path = argv[i];
    }
    if (path == NULL) {
        return usage_error("expand ", "%s", "'expand' needs a CONFIG file");
    }
    SimConfig *c = load_with(path, &sets, NULL, 0);
    if (c == NULL) {
        return EXIT_INPUT;
    }
    SimError err;
    sim_error_clear(&err);
    int rc = EXIT_OK;
    if (out == NULL) {
        if (!sim_config_write_flat(c, NULL, stdout, &err)) {
            fprintf(stderr, "%s\n", err.msg);
            rc = EXIT_INPUT;
        } else if (fflush(stdout) != 0 || ferror(stdout)) {
            fprintf(stderr, "membox-sim: cannot write the expansion: %s\n", strerror(errno));
            rc = EXIT_INPUT;
        }
        sim_config_free(c);
        return rc;
    }
    char *dir = folder_of(out);
    OutFile o;
    if (dir == NULL || !out_open(&o, out)) {
        fprintf(stderr, "%s: cannot write: %s\n", out, strerror(dir == NULL ? ENOMEM : errno));
        free(dir);
        sim_config_free(c);
        return EXIT_INPUT;
    }
    if (!sim_config_write_flat(c, dir, o.f, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        out_abort(&o);
        rc = EXIT_INPUT;
    } else if (!out_commit(&o)) {
        fprintf(stderr, "%s: cannot write: %s\n", out, strerror(errno));
        rc = EXIT_INPUT;
    }
    free(dir);
    sim_config_free(c);
    return rc;
}

static int cmd_describe(int argc, char **argv)
{
    const char *type = NULL;
    for (int i = 0; i < argc; i++) {
        if (is_help(argv[i])) {
            fputs(describe_help, stdout);
            return EXIT_OK;
        }
        if (argv[i][0] == '-') {
            return usage_error("describe ", "unknown option '%s' for 'describe'", argv[i]);
        }
        if (type != NULL) {
            return usage_error("describe ", "'describe' takes one TYPE, got also '%s'", argv[i]);
        }
        type = argv[i];
    }
    if (!sim_config_describe(&membox_registry, type, stdout)) {
        fprintf(stderr, "membox-sim: unknown model type '%s'; 'membox-sim describe' lists them\n",
                type);
        return EXIT_INPUT;
    }
    return EXIT_OK;
}

typedef struct RunArgs {
    const char *cmd; /* "run" or "dram", for messages */
    const char *config;
    const char *trace;  /* dram: --trace FILE */
    const char *format; /* dram: --format F */
    const char *stats;
    const char *csv;
    bool has_seed;
    uint64_t seed;
    bool has_until;
    SimTime until;
    SimKernelKind kernel;
    bool systemc; /* --kernel systemc: sim_systemc_run() instead of sim_run() */
    bool progress;
    bool quiet;
    bool verbose; /* the full per-instance dump instead of the summary */
    bool stats_on_interrupt;
    Sets sets;
    SimObserveOptions obs; /* --vcd, --timeline, --stats-interval (obs_args.h) */
} RunArgs;

/* The options of `run`, and of `dram` (which adds --trace and --format). */
static int parse_run_args(int argc, char **argv, const char *cmd, const char *help, RunArgs *a)
{
    memset(a, 0, sizeof(*a));
    a->cmd = cmd;
    a->kernel = SIM_KERNEL_FAST;
    sim_observe_options_default(&a->obs);
    const bool dram = strcmp(cmd, "dram") == 0;
    char see[32];
    snprintf(see, sizeof(see), "%s ", cmd);
    char why[256];
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        bool dram_opt = dram && (strcmp(arg, "--trace") == 0 || strcmp(arg, "--format") == 0);
        bool takes_value = strcmp(arg, "--stats") == 0 || strcmp(arg, "--csv") == 0 ||
                           strcmp(arg, "--seed") == 0 || strcmp(arg, "--until") == 0 ||
                           strcmp(arg, "--kernel") == 0 || strcmp(arg, "--set") == 0 || dram_opt;
        if (is_help(arg)) {
            fputs(help, stdout);
            return -1;
        }
        int taken = obs_args_parse(&a->obs, argc, argv, &i, why, sizeof(why));
        if (taken != 0) {
            if (taken < 0) {
                fprintf(stderr, "membox-sim: %s\n", why);
                return EXIT_INPUT;
            }
            continue;
        }
        if (takes_value && i + 1 >= argc) {
            return usage_error(see, "option '%s' needs a value", arg);
        }
        if (dram_opt && strcmp(arg, "--trace") == 0) {
            a->trace = argv[++i];
        } else if (dram_opt) {
            a->format = argv[++i];
        } else if (strcmp(arg, "--set") == 0) {
            int rc = parse_set(&a->sets, cmd, argv[++i]);
            if (rc != EXIT_OK) {
                return rc;
            }
        } else if (strcmp(arg, "--stats") == 0) {
            a->stats = argv[++i];
        } else if (strcmp(arg, "--csv") == 0) {
            a->csv = argv[++i];
        } else if (strcmp(arg, "--seed") == 0) {
            if (!sim_parse_uint(argv[++i], &a->seed, why, sizeof(why))) {
                fprintf(stderr, "membox-sim: --seed '%s': %s\n", argv[i], why);
                return EXIT_INPUT;
            }
            a->has_seed = true;
        } else if (strcmp(arg, "--until") == 0) {
            if (!sim_parse_time(argv[++i], &a->until, why, sizeof(why))) {
                fprintf(stderr, "membox-sim: --until '%s': %s\n", argv[i], why);
                return EXIT_INPUT;
            }
            a->has_until = true;
        } else if (strcmp(arg, "--kernel") == 0) {
            a->systemc = strcmp(argv[++i], "systemc") == 0;
            if (a->systemc) {
#if !MEMBOX_HAVE_SYSTEMC
                fprintf(stderr, "membox-sim: --kernel 'systemc': this build has no SystemC "
                                "(configure with -Dsystemc=enabled)\n");
                return EXIT_INPUT;
#endif
            } else if (!sim_kernel_parse(argv[i], &a->kernel)) {
                fprintf(stderr,
                        "membox-sim: --kernel '%s': expected 'fast', 'every-cycle' or "
                        "'systemc'\n",
                        argv[i]);
                return EXIT_INPUT;
            }
        } else if (strcmp(arg, "--progress") == 0) {
            a->progress = true;
        } else if (strcmp(arg, "--stats-on-interrupt") == 0) {
            a->stats_on_interrupt = true;
        } else if (strcmp(arg, "--quiet") == 0) {
            a->quiet = true;
        } else if (strcmp(arg, "--verbose") == 0) {
            a->verbose = true;
        } else if (arg[0] == '-' && arg[1] != '\0') {
            return usage_error(see, "unknown option '%s' for '%s'", arg, cmd);
        } else if (a->config != NULL) {
            return usage_error(see, "'%s' takes one CONFIG, got also '%s'", cmd, arg);
        } else {
            a->config = arg;
        }
    }
    if (a->config == NULL) {
        return usage_error(see, "'%s' needs a CONFIG file", cmd);
    }
    if (dram && a->trace == NULL) {
        return usage_error(see, "%s", "'dram' needs --trace FILE");
    }
    if (!obs_args_check(&a->obs, why, sizeof(why))) {
        return usage_error(see, "%s", why);
    }
    return EXIT_OK;
}

/* ---- SIGINT and SIGTERM: the run stops at the end of its instant, outputs stay atomic ---- */

static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
    stop_signal = sig;
}

static void catch_stop_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* The exit code of a run stopped by a signal: 128 + its number (130 SIGINT, 143 SIGTERM). */
static int stopped_exit(void)
{
    return 128 + (int)stop_signal;
}

static const char *stop_signal_name(void)
{
    return stop_signal == SIGINT ? "SIGINT" : stop_signal == SIGTERM ? "SIGTERM" : "a signal";
}

/*
 * Build, run and report a loaded configuration (which it frees). speed_of, when set, names an
 * instance whose `cycles` statistic per wall second is reported as `speed_name`.
 */
static int run_config(SimConfig *config, const RunArgs *ap, const char *speed_of,
                      const char *speed_name)
{
    const RunArgs a = *ap;
    int rc;
    SimObserve *obs = NULL;
    SimError err;
    sim_error_clear(&err);
#if MEMBOX_HAVE_SYSTEMC
    SystemcRunFn systemc_run = NULL;
    if (a.systemc) {
        char why[1024];
        systemc_run = (SystemcRunFn)membox_module_symbol(SYSTEMC_MODULE, "sim_systemc_run", false,
                                                         why, sizeof(why));
        if (systemc_run == NULL) {
            fprintf(stderr, "membox-sim: --kernel systemc: cannot load the SystemC kernel: %s\n",
                    why);
            sim_config_free(config);
            return EXIT_SIM;
        }
    }
#endif
    Sim *sim = sim_new();
    if (sim == NULL) {
        fprintf(stderr, "membox-sim: out of memory\n");
        sim_config_free(config);
        return EXIT_NOMEM;
    }
    static RunMeta meta;
    run_meta_fill(&meta, config, a.config);
    if (!sim_config_build(config, sim, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        rc = exit_code(&err);
        goto done;
    }
    SimRunOptions opt;
    sim_run_options_default(&opt);
    sim_config_run_options(config, &opt);
    opt.kernel = a.kernel;
    opt.stop = &stop_signal;
    if (a.has_seed) {
        opt.seed = a.seed;
    }
    if (a.has_until) {
        opt.until = a.until;
    }
    Progress prog = {.sim = sim, .tty = isatty(STDERR_FILENO) == 1};
    if (a.progress) {
        opt.progress = progress_report;
        opt.progress_ctx = &prog;
        opt.progress_every =
            opt.until != SIM_TIME_NEVER && opt.until >= 1000 ? opt.until / 1000 : 100000;
    }
    /* Every statistic is registered once the run is prepared (the kernel adds the ports'): the
     * CSV header can be checked against an existing file before a long run, not after it. */
    SimRunOptions prep = opt;
    if (a.systemc) {
        prep.kernel = SIM_KERNEL_EVERY_CYCLE; /* as sim_systemc_run() prepares it */
    }
    if (!sim_prepare(sim, &prep, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        rc = exit_code(&err);
        goto done;
    }
    if (a.csv != NULL && (rc = csv_check(a.csv, sim->stats)) != EXIT_OK) {
        goto done;
    }
    /* Open the outputs first: a bad path is bad input, found before a long run. */
    OutFile stats_out = {0};
    OutFile csv_out = {0};
    if (a.stats != NULL && !out_open(&stats_out, a.stats)) {
        fprintf(stderr, "%s: cannot write: %s\n", a.stats, strerror(errno));
        rc = EXIT_INPUT;
        goto done;
    }
    if (sim_observe_options_any(&a.obs) &&
        (obs = sim_observe_open(sim, &a.obs, &opt, &err)) == NULL) {
        out_abort(&stats_out);
        fprintf(stderr, "%s\n", err.msg);
        rc = exit_code(&err);
        goto done;
    }
    double start = wall_now();
    prog.start = prog.last_print = start;
#if MEMBOX_HAVE_SYSTEMC
    bool ok = a.systemc ? systemc_run(sim, &opt, &err) : sim_run(sim, &opt, &err);
#else
    bool ok = sim_run(sim, &opt, &err);
#endif
    double wall = wall_now() - start;
    if (a.progress) {
        progress_line(&prog, sim->end_time, opt.until, true);
    }
    SimRunInfo info = {
        .config = a.config,
        .seed = opt.seed,
        .kernel = a.systemc ? "systemc" : sim_kernel_name(opt.kernel),
        .end_time = sim->end_time,
        .wall_seconds = wall,
        .activations = sim->activations,
        .overrides = a.sets.text,
        .n_overrides = a.sets.n,
        .version = meta.version,
        .git_describe = meta.git_describe,
        .config_hash = meta.config_hash,
        .hostname = meta.hostname,
        .started_utc = meta.started_utc,
    };
    double cycles = 0.0;
    char key[256];
    if (speed_of != NULL && wall > 0.0 &&
        (size_t)snprintf(key, sizeof(key), "%s.cycles", speed_of) < sizeof(key) &&
        sim_stats_get(sim->stats, key, &cycles)) {
        info.speed_name = speed_name;
        info.speed_value = cycles / wall;
    }
    if (!ok && err.kind == SIM_ERR_INTERRUPTED) {
        /* Stopped by SIGINT or SIGTERM: the statistics so far only when asked for. */
        bool kept = false;
        if (a.stats != NULL && a.stats_on_interrupt &&
            sim_stats_write_json(sim->stats, &info, stats_out.f)) {
            kept = out_commit(&stats_out);
        } else {
            out_abort(&stats_out);
        }
        fprintf(stderr, "membox-sim: %s by %s; %s\n", err.msg, stop_signal_name(),
                kept ? "the statistics so far are in the --stats file" : "no output written");
        rc = stopped_exit();
        goto done;
    }
    if (!ok) {
        out_abort(&stats_out);
        fprintf(stderr, "%s\n", err.msg);
        rc = exit_code(&err);
        goto done;
    }
    if (!a.quiet &&
        !(a.verbose ? sim_stats_write_full : sim_stats_write_summary)(sim->stats, &info, stdout)) {
        out_abort(&stats_out);
        fprintf(stderr, "membox-sim: cannot write the summary: %s\n", strerror(errno));
        rc = EXIT_INPUT;
        goto done;
    }
    /* Both outputs complete under their temporary names before either is renamed: a failed
     * CSV (a header another run wrote meanwhile, a full disk) leaves no JSON behind. */
    if (a.stats != NULL && !sim_stats_write_json(sim->stats, &info, stats_out.f)) {
        int e = errno;
        out_abort(&stats_out);
        fprintf(stderr, "%s: cannot write: %s\n", a.stats, strerror(e));
        rc = EXIT_INPUT;
        goto done;
    }
    if (a.csv != NULL && (rc = csv_stage(&csv_out, a.csv, sim->stats, &info)) != EXIT_OK) {
        out_abort(&stats_out);
        goto done;
    }
    if (stop_signal != 0) {
        /* Stopped while writing: no half-finished output. */
        out_abort(&stats_out);
        out_abort(&csv_out);
        fprintf(stderr, "membox-sim: interrupted by %s; no output written\n", stop_signal_name());
        rc = stopped_exit();
        goto done;
    }
    if (obs != NULL && !sim_observe_commit(obs, &err)) {
        out_abort(&stats_out);
        out_abort(&csv_out);
        fprintf(stderr, "%s\n", err.msg);
        rc = EXIT_INPUT;
        goto done;
    }
    if (a.stats != NULL && !out_commit(&stats_out)) {
        out_abort(&csv_out);
        fprintf(stderr, "%s: cannot write: %s\n", a.stats, strerror(errno));
        rc = EXIT_INPUT;
        goto done;
    }
    if (a.csv != NULL && !out_commit(&csv_out)) {
        int e = errno;
        if (a.stats != NULL) {
            remove(a.stats); /* the run's outputs go together or not at all */
        }
        fprintf(stderr, "%s: cannot write: %s\n", a.csv, strerror(e));
        rc = EXIT_INPUT;
        goto done;
    }
    rc = EXIT_OK;

done:
    sim_observe_free(obs);
    sim_free(sim);
    sim_config_free(config);
    return rc;
}

static int cmd_run(int argc, char **argv)
{
    static RunArgs a; /* big (the --set values): not on the stack */
    int rc = parse_run_args(argc, argv, "run", run_help, &a);
    if (rc != EXIT_OK) {
        return rc < 0 ? EXIT_OK : rc;
    }
    SimConfig *config = load_with(a.config, &a.sets, NULL, 0);
    if (config == NULL) {
        return EXIT_INPUT;
    }
    return run_config(config, &a, NULL, NULL);
}

/* The one instance of a type in a configuration, or NULL with a message naming what is wrong. */
static const char *only_instance_of(const SimConfig *c, const char *type, const char *role)
{
    const char *found = NULL;
    size_t n = 0;
    for (size_t i = 0; i < sim_config_instance_count(c); i++) {
        if (strcmp(sim_config_instance_type(c, i)->name, type) == 0) {
            found = sim_config_instance_name(c, i);
            n++;
        }
    }
    if (n != 1) {
        fprintf(stderr,
                "%s: the standalone DRAM mode needs exactly one instance of type '%s' (the %s); "
                "found %zu\n",
                sim_config_path(c), type, role, n);
        return NULL;
    }
    return found;
}

static int cmd_dram(int argc, char **argv)
{
    static RunArgs a; /* big (the --set values): not on the stack */
    int rc = parse_run_args(argc, argv, "dram", dram_help, &a);
    if (rc != EXIT_OK) {
        return rc < 0 ? EXIT_OK : rc;
    }
    /* Find the trace player and the controller, then load again with the flags applied to the
     * player, so they are checked like any other value of it. */
    SimConfig *probe = load_with(a.config, &a.sets, NULL, 0);
    if (probe == NULL) {
        return EXIT_INPUT;
    }
    const char *player = only_instance_of(probe, "dram.trace", "trace player");
    const char *ctrl = player ? only_instance_of(probe, "dram.ctrl", "controller") : NULL;
    if (ctrl == NULL) {
        sim_config_free(probe);
        return EXIT_INPUT;
    }
    char player_name[256], ctrl_name[256];
    snprintf(player_name, sizeof(player_name), "%s", player);
    snprintf(ctrl_name, sizeof(ctrl_name), "%s", ctrl);
    sim_config_free(probe);

    char file_path[300], format_path[300];
    snprintf(file_path, sizeof(file_path), "%s.file", player_name);
    snprintf(format_path, sizeof(format_path), "%s.format", player_name);
    SimConfigOverride ov[2] = {{file_path, a.trace, "--trace"}};
    size_t n_ov = 1;
    if (a.format != NULL) {
        ov[n_ov++] = (SimConfigOverride){format_path, a.format, "--format"};
    }
    SimConfig *config = load_with(a.config, &a.sets, ov, n_ov);
    if (config == NULL) {
        return EXIT_INPUT;
    }
    return run_config(config, &a, ctrl_name, "dram_cycles_per_second");
}

static int cmd_version(int argc, char **argv)
{
    if (argc > 0 && is_help(argv[0])) {
        fputs(version_help, stdout);
        return EXIT_OK;
    }
    if (argc > 0) {
        return usage_error("version ", "'version' takes no arguments, got '%s'", argv[0]);
    }
    printf("membox-sim %s\n", MEMBOX_SIM_VERSION);
    return EXIT_OK;
}

typedef struct Command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *help;
} Command;

static const Command commands[] = {
    {"run", cmd_run, run_help},
    {"check", cmd_check, check_help},
    {"expand", cmd_expand, expand_help},
    {"describe", cmd_describe, describe_help},
    {"dram", cmd_dram, dram_help},
    {"trace", cmd_trace, cmd_trace_help},
    {"compare", cmd_compare, cmd_compare_help},
    {"sweep", cmd_sweep, cmd_sweep_help},
    {"schema", cmd_schema, cmd_schema_help},
    {"version", cmd_version, version_help},
};

static const Command *find_command(const char *name)
{
    for (size_t i = 0; i < N_OF(commands); i++) {
        if (strcmp(name, commands[i].name) == 0) {
            return &commands[i];
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(main_help, stderr);
        return EXIT_INPUT;
    }
    const char *cmd = argv[1];
    if (is_help(cmd) || strcmp(cmd, "help") == 0) {
        if (argc > 2 && strcmp(cmd, "help") == 0) {
            const Command *c = find_command(argv[2]);
            if (c == NULL) {
                return usage_error("", "unknown command '%s'", argv[2]);
            }
            fputs(c->help, stdout);
            return EXIT_OK;
        }
        fputs(main_help, stdout);
        return EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0) {
        return cmd_version(0, NULL);
    }
    const Command *c = find_command(cmd);
    if (c == NULL) {
        return usage_error("", "unknown command '%s'", cmd);
    }
    catch_stop_signals();
    return c->fn(argc - 2, argv + 2);
}
