/*
 * membox-sim trace convert|info: parameter-server traces (sim/trace/pstrace.h). Like the rest
 * of sim/cli, this is code that prints; the library it drives never does.
 */
#include "cmd_trace.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sim/core/util.h"
#include "sim/trace/pstrace.h"

enum {
    TRACE_EXIT_OK = 0,
    TRACE_EXIT_INPUT = 2
};

const char cmd_trace_help[] =
    "usage: membox-sim trace COMMAND ARGS\n"
    "\n"
    "Parameter-server traces (traces/FORMAT.md): a header, a tensor table and the events of\n"
    "a data-parallel training job, as text or compact binary, each plain or gzip.\n"
    "\n"
    "commands:\n"
    "  convert IN OUT [--to text|binary] [--gzip|--no-gzip]\n"
    "                 check IN and write it to OUT in the other (or the given) form\n"
    "  info FILE      check FILE and print a summary: header, tensors, bytes per iteration\n"
    "                 each way, compute share, tensor size distribution\n"
    "\n"
    "`membox-sim trace COMMAND --help` explains each command.\n"
    "\n"
    "exit codes: 0 ok; 2 bad input or usage (the message names the file and line or record)\n";

static const char *const convert_help =
    "usage: membox-sim trace convert IN OUT [--to text|binary] [--gzip|--no-gzip]\n"
    "\n"
    "Read the parameter-server trace IN (text or binary, plain or gzip), check all of it and\n"
    "write it to OUT.\n"
    "\n"
    "options:\n"
    "  --to FORM     text or binary. Default: binary if OUT's name contains '.pstb', text if\n"
    "                it contains '.pstrace', otherwise the form IN is not in\n"
    "  --gzip        compress OUT (default when OUT ends in '.gz')\n"
    "  --no-gzip     write OUT plain (default otherwise)\n"
    "\n"
    "OUT is written under a temporary name and renamed when complete: a failed conversion\n"
    "leaves no file behind. Text as the tools write it converts to binary and back to the\n"
    "same bytes.\n"
    "\n"
    "exit codes: 0 ok; 2 bad input or usage (the message names the file and line or record)\n";

static const char *const info_help =
    "usage: membox-sim trace info FILE\n"
    "\n"
    "Check the parameter-server trace FILE completely and print its header, the tensor count\n"
    "and bytes, the events by kind, the bytes pushed and pulled per iteration (per worker and\n"
    "for all workers), the compute share (forward and backward time over each worker's busy\n"
    "time), the mean iteration time and the distribution of tensor sizes.\n"
    "\n"
    "exit codes: 0 ok; 2 bad input or usage (the message names the file and line or record)\n";

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static int
trace_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "membox-sim: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "; see 'membox-sim trace %s--help'\n", cmd);
    va_end(ap);
    return TRACE_EXIT_INPUT;
}

static bool trace_is_help(const char *a)
{
    return strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* ---- convert ---- */

/* The writer's messages read "TMP: cannot create: REASON" or "TMP: cannot write: REASON"; the
 * user knows only OUT, so the CLI reports "OUT: cannot write: REASON". */
static const char *write_reason(const char *msg, const char *tmp)
{
    size_t n = strlen(tmp);
    if (strncmp(msg, tmp, n) == 0 && strncmp(msg + n, ": ", 2) == 0) {
        msg += n + 2;
    }
    static const char *const lead[] = {"cannot create: ", "cannot write: "};
    for (size_t i = 0; i < N_OF(lead); i++) {
        if (strncmp(msg, lead[i], strlen(lead[i])) == 0) {
            return msg + strlen(lead[i]);
        }
    }
    return msg;
}

static int trace_convert(int argc, char **argv)
{
    const char *in = NULL, *out = NULL;
    int to = -1;   /* PsTraceForm, or -1: from OUT's name */
    int gzip = -1; /* 0, 1, or -1: from OUT's name */
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (trace_is_help(a)) {
            fputs(convert_help, stdout);
            return TRACE_EXIT_OK;
        }
        if (strcmp(a, "--to") == 0) {
            if (i + 1 >= argc) {
                return trace_usage_error("convert ", "option '--to' needs a value");
            }
            a = argv[++i];
            if (strcmp(a, "text") == 0) {
                to = PSTRACE_TEXT;
            } else if (strcmp(a, "binary") == 0) {
                to = PSTRACE_BINARY;
            } else {
                return trace_usage_error("convert ", "--to '%s': expected 'text' or 'binary'", a);
            }
        } else if (strcmp(a, "--gzip") == 0) {
            gzip = 1;
        } else if (strcmp(a, "--no-gzip") == 0) {
            gzip = 0;
        } else if (a[0] == '-' && a[1] != '\0') {
            return trace_usage_error("convert ", "unknown option '%s' for 'trace convert'", a);
        } else if (in == NULL) {
            in = a;
        } else if (out == NULL) {
            out = a;
        } else {
            return trace_usage_error("convert ",
                                     "'trace convert' takes IN and OUT, got also "
                                     "'%s'",
                                     a);
        }
    }
    if (out == NULL) {
        return trace_usage_error("convert ", "'trace convert' needs IN and OUT files");
    }

    SimError err;
    sim_error_clear(&err);
    PsTrace *t = pstrace_open(in, &err);
    if (t == NULL) {
        fprintf(stderr, "%s\n", err.msg);
        return TRACE_EXIT_INPUT;
    }
    if (to < 0) {
        if (strstr(out, ".pstb") != NULL) {
            to = PSTRACE_BINARY;
        } else if (strstr(out, ".pstrace") != NULL) {
            to = PSTRACE_TEXT;
        } else {
            to = pstrace_form(t) == PSTRACE_TEXT ? PSTRACE_BINARY : PSTRACE_TEXT;
        }
    }
    if (gzip < 0) {
        gzip = ends_with(out, ".gz");
    }

    /* Written under a temporary name in OUT's directory, so that the rename is atomic. */
    char tmp[4096];
    int n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", out, (long)getpid());
    if (n < 0 || (size_t)n >= sizeof(tmp)) {
        pstrace_close(t);
        fprintf(stderr, "%s: cannot write: %s\n", out, strerror(ENAMETOOLONG));
        return TRACE_EXIT_INPUT;
    }
    PsTraceWriter *w =
        pstrace_writer_open(tmp, (PsTraceForm)to, gzip != 0, pstrace_header(t), &err);
    if (w == NULL) {
        fprintf(stderr, "%s: cannot write: %s\n", out, write_reason(err.msg, tmp));
        pstrace_close(t);
        remove(tmp);
        return TRACE_EXIT_INPUT;
    }
    PsTraceEvent ev;
    int r;
    bool write_ok = true;
    while ((r = pstrace_next(t, &ev, &err)) > 0) {
        if (!pstrace_writer_put(w, &ev, &err)) {
            write_ok = false;
            break;
        }
    }
    pstrace_close(t);
    if (r < 0) {
        /* The reader's message names IN and the line or record. */
        fprintf(stderr, "%s\n", err.msg);
        pstrace_writer_close(w, NULL);
        remove(tmp);
        return TRACE_EXIT_INPUT;
    }
    if (!write_ok) {
        pstrace_writer_close(w, NULL);
    } else if (!pstrace_writer_close(w, &err)) {
        write_ok = false;
    }
    if (!write_ok) {
        fprintf(stderr, "%s: cannot write: %s\n", out, write_reason(err.msg, tmp));
        remove(tmp);
        return TRACE_EXIT_INPUT;
    }
    if (rename(tmp, out) != 0) {
        int saved = errno;
        remove(tmp);
        fprintf(stderr, "%s: cannot write: %s\n", out, strerror(saved));
        return TRACE_EXIT_INPUT;
    }
    return TRACE_EXIT_OK;
}

/* ---- info ---- */

/* total / parts, exactly if it divides, else with one decimal. */
static void print_share(uint64_t total, uint64_t parts)
{
    if (parts == 0) {
        printf("0");
    } else if (total % parts == 0) {
        printf("%" PRIu64, total / parts);
    } else {
        printf("%.1f", (double)total / (double)parts);
    }
}

static void print_us(uint64_t ns)
{
    printf("%" PRIu64 ".%03" PRIu64 " us", ns / 1000u, ns % 1000u);
}

static int trace_info(int argc, char **argv)
{
    const char *path = NULL;
    for (int i = 0; i < argc; i++) {
        if (trace_is_help(argv[i])) {
            fputs(info_help, stdout);
            return TRACE_EXIT_OK;
        }
        if (argv[i][0] == '-' && argv[i][1] != '\0') {
            return trace_usage_error("info ", "unknown option '%s' for 'trace info'", argv[i]);
        }
        if (path != NULL) {
            return trace_usage_error("info ", "'trace info' takes one FILE, got also '%s'",
                                     argv[i]);
        }
        path = argv[i];
    }
    if (path == NULL) {
        return trace_usage_error("info ", "'trace info' needs a FILE");
    }
    SimError err;
    sim_error_clear(&err);
    PsTrace *t = pstrace_open(path, &err);
    if (t == NULL) {
        fprintf(stderr, "%s\n", err.msg);
        return TRACE_EXIT_INPUT;
    }
    PsTraceSummary s;
    /* The whole file is checked before anything is printed: a bad trace prints no summary. */
    if (!pstrace_summarize(t, &s, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        pstrace_close(t);
        return TRACE_EXIT_INPUT;
    }
    const PsTraceHeader *h = pstrace_header(t);
    uint64_t wi = (uint64_t)h->workers * h->iterations;
    printf("file            %s (%s, %s)\n", path,
           pstrace_form(t) == PSTRACE_BINARY ? "binary" : "text",
           pstrace_is_gzip(t) ? "gzip" : "plain");
    printf("version         %" PRIu32 "\n", h->version);
    printf("model           %s\n", h->model);
    printf("workers         %" PRIu32 "\n", h->workers);
    printf("iterations      %" PRIu32 "\n", h->iterations);
    printf("batch           %" PRIu32 "\n", h->batch);
    if (h->version == 2) {
        if (h->warmup > 0) {
            printf("warmup          %" PRIu32 " (iterations 0..%" PRIu32 " are warm-up)\n",
                   h->warmup, h->warmup - 1);
        } else {
            printf("warmup          0 (no warm-up iteration marked)\n");
        }
    }
    printf("dtype           %s\n", pstrace_dtype_names[h->dtype]);
    printf("origin          %s\n", h->origin);
    printf("tensors         %" PRIu32 ", %" PRIu64 " bytes in all\n", h->n_tensors, s.table_bytes);
    printf("events          %" PRIu64 ":", s.events);
    /* Version 1 has no server-side kinds: its summary stays as it was. */
    int kinds = h->version == 2 ? PSTRACE_KIND_MAX : PSTRACE_RECV;
    for (int k = 0; k < kinds; k++) {
        printf("%s %s %" PRIu64, k == 0 ? "" : ",", pstrace_kind_names[k], s.by_kind[k]);
    }
    printf("\ntime span       ");
    print_us(s.last_ns - s.first_ns);
    printf(" (");
    print_us(s.first_ns);
    printf(" to ");
    print_us(s.last_ns);
    printf(")\n");
    printf("push bytes      ");
    print_share(s.push_bytes, wi);
    printf(" per worker and iteration, ");
    print_share(s.push_bytes, h->iterations);
    printf(" per iteration (all workers)\n");
    printf("pull bytes      ");
    print_share(s.pull_bytes, wi);
    printf(" per worker and iteration, ");
    print_share(s.pull_bytes, h->iterations);
    printf(" per iteration (all workers)\n");
    printf("compute share   %.1f%% (forward and backward over each worker's busy time)\n",
           s.busy_ns > 0 ? 100.0 * (double)s.compute_ns / (double)s.busy_ns : 0.0);
    if (h->version == 2) {
        printf("compute CPU     %" PRIu64 " of %" PRIu64 " forward and backward events give it",
               s.cpu_events, s.by_kind[PSTRACE_FORWARD] + s.by_kind[PSTRACE_BACKWARD]);
        if (s.cpu_events > 0) {
            printf("; ");
            print_us(s.compute_cpu_ns);
            printf(" in all");
        }
        printf("\n");
    }
    printf("iteration time  ");
    print_us(s.busy_ns / wi);
    printf(" (mean of each worker's busy time over its iterations)\n");
    printf("tensor sizes    min %" PRIu64 " B, median %" PRIu64 " B, max %" PRIu64 " B\n",
           s.tensor_min, s.tensor_median, s.tensor_max);
    static const char *const bucket_names[PSTRACE_SIZE_BUCKET_MAX] = {
        "below 1 KiB",      "1 KiB to 16 KiB", "16 KiB to 256 KiB",
        "256 KiB to 4 MiB", "4 MiB to 64 MiB", "64 MiB and more",
    };
    printf("  %-20s %8s %14s %7s\n", "size", "tensors", "bytes", "share");
    for (int k = 0; k < PSTRACE_SIZE_BUCKET_MAX; k++) {
        printf("  %-20s %8" PRIu64 " %14" PRIu64 " %6.1f%%\n", bucket_names[k], s.bucket_count[k],
               s.bucket_bytes[k],
               s.table_bytes > 0 ? 100.0 * (double)s.bucket_bytes[k] / (double)s.table_bytes : 0.0);
    }
    pstrace_close(t);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "membox-sim: cannot write the summary: %s\n", strerror(errno));
        return TRACE_EXIT_INPUT;
    }
    return TRACE_EXIT_OK;
}

int cmd_trace(int argc, char **argv)
{
    if (argc < 1) {
        return trace_usage_error("", "'trace' needs a command: convert or info");
    }
    const char *sub = argv[0];
    if (trace_is_help(sub) || strcmp(sub, "help") == 0) {
        if (argc > 1 && strcmp(sub, "help") == 0) {
            if (strcmp(argv[1], "convert") == 0) {
                fputs(convert_help, stdout);
                return TRACE_EXIT_OK;
            }
            if (strcmp(argv[1], "info") == 0) {
                fputs(info_help, stdout);
                return TRACE_EXIT_OK;
            }
            return trace_usage_error("", "unknown trace command '%s'", argv[1]);
        }
        fputs(cmd_trace_help, stdout);
        return TRACE_EXIT_OK;
    }
    if (strcmp(sub, "convert") == 0) {
        return trace_convert(argc - 1, argv + 1);
    }
    if (strcmp(sub, "info") == 0) {
        return trace_info(argc - 1, argv + 1);
    }
    return trace_usage_error("", "unknown trace command '%s'", sub);
}
