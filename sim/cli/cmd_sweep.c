/*
 * `membox-sim sweep SPEC.yaml` (docs/sweeps.md): a base topology, parameters with value lists
 * (their cartesian product, and zipped groups that vary together) and seeds make the points;
 * each point is a `membox-sim run` of the base with `--set` values. Every point is loaded and
 * checked before anything runs, so a bad path or value is bad input naming the spec file, line
 * and column. Points run as child processes of this same executable (posix_spawn of the
 * file /proc/self/exe names), N at a time: a point that crashes or fails is reported and the
 * others go on. Each writes its statistics JSON into the output folder (atomically, as `run
 * --stats` does); a point whose JSON is there with the same values and seed is done and skipped on
 * a rerun. At the end one CSV, a row per point in point order, is written under a temporary name
 * and renamed.
 *
 * Under `mpirun` (a build with -Dmpi, MEMBOX_HAVE_MPI) every rank reads the spec, rank 0 finds
 * the points still to do and broadcasts them, rank r runs those of position r modulo the rank
 * count, and sends each result (the JSON text, or the error) to rank 0, which writes the files
 * and the one CSV. The ranks need not share a file system.
 */
#include "cmd_sweep.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sim/cli/json_read.h"
#include "sim/config/config.h"
#include "sim/config/units.h"
#include "sim/config/yaml_tree.h"
#include "sim/core/kernel.h"
#include "sim/core/util.h"
#include "systems/registry.h"
#if MEMBOX_HAVE_MPI
#include "sim/cli/module.h"
#include "sim/cli/sweep_mpi.h"
#endif

extern char **environ;

enum {
    SWEEP_OK = 0,
    SWEEP_FAILED = 1,
    SWEEP_INPUT = 2
};

/* More points than this is surely a mistake in the spec (and a CSV no one opens). */
#define SWEEP_MAX_POINTS 1000000u
#define SWEEP_MAX_JOBS   1024

const char cmd_sweep_help[] =
    "usage: membox-sim sweep SPEC.yaml [-j N] [-o DIR] [--list | --point I | --collect]\n"
    "\n"
    "Run a topology over value lists (docs/sweeps.md). SPEC names a `base` topology (relative\n"
    "to SPEC), `parameters` (PATH: [values], their cartesian product), `zip` (groups of lists\n"
    "that vary together), `seeds`, and optionally `set` (values for every point), `until` and\n"
    "`kernel`. A PATH is what `run --set` takes. Every point is checked before any runs.\n"
    "\n"
    "Writes DIR/point-NNNN.json (the statistics of each point, as `run --stats`) and\n"
    "DIR/results.csv: one row per point in point order, the swept values as columns, then\n"
    "every statistic of any point (empty where a point has none). Points whose JSON is there\n"
    "with the same values and seed are skipped: rerun to resume. A failed point is reported,\n"
    "its stderr kept in DIR/point-NNNN.log; the others go on.\n"
    "\n"
    "options:\n"
    "  -j N, --jobs N    run N points at once (default: the number of cores; 1 per MPI rank)\n"
    "  -o DIR, --output DIR   output folder (default: SPEC without .yaml, plus .sweep)\n"
    "  --list            print the points (index, seed, values), one a line; run nothing\n"
    "  --point I         run point I only (a Slurm array task); no CSV\n"
    "  --collect         run nothing; write the CSV from the JSON files there\n"
    "  --quiet           no line per finished point on stderr\n"
    "\n"
    "Under `mpirun -n K` (a build with MPI: meson -Dmpi=enabled) the points are spread over\n"
    "the K ranks and rank 0 writes the files.\n"
    "\n"
    "exit codes: 0 every point ok; 1 a point failed (or is missing with --collect); 2 bad\n"
    "            spec, base topology or usage; 130/143 interrupted\n";

/* ---- the spec ---- */

typedef struct Param {
    const char *path;
    const CfgNode *key;
    const CfgNode *values; /* a sequence of scalars */
} Param;

typedef struct Axis {
    size_t first; /* its parameters: params[first .. first + count - 1] */
    size_t count;
    size_t n; /* values of each */
} Axis;

typedef struct Fixed {
    const char *path;
    const CfgNode *value;
} Fixed;

typedef struct Spec {
    const char *file;
    char *text;
    CfgNode *root;
    char *base;
    const CfgNode *base_node;
    Param *params;
    size_t n_params;
    Axis *axes;
    size_t n_axes;
    Fixed *fixed;
    size_t n_fixed;
    uint64_t *seeds;
    const CfgNode **seed_nodes;
    size_t n_seeds;
    const CfgNode *until;
    const char *kernel;
    size_t n_points;
} Spec;

/* Messages are printed by one process only (rank 0 under MPI). */
static bool sweep_loud = true;

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static bool
spec_error(const Spec *s, const CfgNode *at, const char *fmt, ...)
{
    if (!sweep_loud) {
        return false;
    }
    va_list ap;
    va_start(ap, fmt);
    if (at != NULL && at->line > 0) {
        fprintf(stderr, "%s:%u:%u: ", s->file, at->line, at->col);
    } else {
        fprintf(stderr, "%s: ", s->file);
    }
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return false;
}

static void spec_free(Spec *s)
{
    cfg_tree_free(s->root);
    free(s->text);
    free(s->base);
    free(s->params);
    free(s->axes);
    free(s->fixed);
    free(s->seeds);
    free(s->seed_nodes);
    memset(s, 0, sizeof(*s));
}

static bool read_file(const char *path, size_t max, char **text, size_t *len, char *why,
                      size_t why_size)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(why, why_size, "cannot open: %s", strerror(errno));
        return false;
    }
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n + 65536 + 1 > cap) {
            cap = cap ? cap * 2 : 65536 + 1;
            char *nb = realloc(buf, cap);
            if (nb == NULL) {
                free(buf);
                fclose(f);
                snprintf(why, why_size, "out of memory");
                return false;
            }
            buf = nb;
        }
        size_t got = fread(buf + n, 1, 65536, f);
        n += got;
        if (n > max) {
            free(buf);
            fclose(f);
            snprintf(why, why_size, "larger than %zu bytes", max);
            return false;
        }
        if (got == 0) {
            break;
        }
    }
    bool bad = ferror(f) != 0;
    int e = errno;
    fclose(f);
    if (bad) {
        free(buf);
        snprintf(why, why_size, "cannot read: %s", strerror(e));
        return false;
    }
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return true;
}

/* A value list: a non-empty sequence of scalars. */
static bool check_values(const Spec *s, const char *path, const CfgNode *v)
{
    if (v->kind != CFG_NODE_SEQ) {
        return spec_error(s, v, "parameter '%s': expected a list of values, found %s", path,
                          cfg_node_what(v));
    }
    if (v->n == 0) {
        return spec_error(s, v, "parameter '%s': the list of values is empty", path);
    }
    for (size_t i = 0; i < v->n; i++) {
        if (v->items[i]->kind != CFG_NODE_SCALAR || cfg_node_is_null(v->items[i])) {
            return spec_error(s, v->items[i], "parameter '%s': a value must be a scalar, found %s",
                              path, cfg_node_what(v->items[i]));
        }
    }
    return true;
}

/* The path is not given twice (parameters, zip groups and set together). */
static bool check_unique(const Spec *s, const char *path, const CfgNode *key)
{
    for (size_t i = 0; i < s->n_params; i++) {
        if (strcmp(s->params[i].path, path) == 0) {
            return spec_error(s, key, "'%s' is given twice (also at line %u)", path,
                              s->params[i].key->line);
        }
    }
    for (size_t i = 0; i < s->n_fixed; i++) {
        if (strcmp(s->fixed[i].path, path) == 0) {
            return spec_error(s, key, "'%s' is given twice", path);
        }
    }
    if (strcmp(path, "sim.until") == 0 && s->until != NULL) {
        return spec_error(s, key, "'sim.until' is given twice (also as `until`)");
    }
    return true;
}

static bool add_param(Spec *s, const CfgNode *key, const CfgNode *values)
{
    if (!check_unique(s, key->text, key) || !check_values(s, key->text, values)) {
        return false;
    }
    s->params[s->n_params++] = (Param){key->text, key, values};
    return true;
}

static bool spec_load(Spec *s, const char *file)
{
    memset(s, 0, sizeof(*s));
    s->file = file;
    char why[256];
    size_t len;
    if (!read_file(file, SIM_CONFIG_MAX_FILE_SIZE, &s->text, &len, why, sizeof(why))) {
        return spec_error(s, NULL, "%s", why);
    }
    SimError err;
    sim_error_clear(&err);
    if (!cfg_tree_parse(file, s->text, len, &s->root, &err)) {
        if (sweep_loud) {
            fprintf(stderr, "%s\n", err.msg);
        }
        return false;
    }
    if (s->root == NULL || s->root->kind != CFG_NODE_MAP) {
        return spec_error(s, s->root, "a sweep spec is a mapping (base, parameters, ...), found %s",
                          s->root ? cfg_node_what(s->root) : "no document");
    }
    /* Room for every parameter the spec can name. */
    size_t room = 0, groups = 0;
    for (size_t i = 0; i < s->root->n; i++) {
        const CfgPair *p = &s->root->pairs[i];
        if (strcmp(p->key->text, "parameters") == 0 || strcmp(p->key->text, "set") == 0) {
            room += p->value->kind == CFG_NODE_MAP ? p->value->n : 0;
        } else if (strcmp(p->key->text, "zip") == 0 && p->value->kind == CFG_NODE_SEQ) {
            for (size_t j = 0; j < p->value->n; j++) {
                room += p->value->items[j]->kind == CFG_NODE_MAP ? p->value->items[j]->n : 0;
                groups++;
            }
        }
    }
    s->params = calloc(room + 1, sizeof(*s->params));
    s->axes = calloc(room + groups + 1, sizeof(*s->axes));
    s->fixed = calloc(room + 1, sizeof(*s->fixed));
    if (s->params == NULL || s->axes == NULL || s->fixed == NULL) {
        return spec_error(s, NULL, "out of memory");
    }
    const CfgNode *parameters = NULL, *zip = NULL, *set = NULL, *seeds = NULL;
    for (size_t i = 0; i < s->root->n; i++) {
        const CfgNode *k = s->root->pairs[i].key;
        const CfgNode *v = s->root->pairs[i].value;
        if (strcmp(k->text, "base") == 0) {
            if (v->kind != CFG_NODE_SCALAR || cfg_node_is_null(v)) {
                return spec_error(s, v, "base: expected the path of a topology, found %s",
                                  cfg_node_what(v));
            }
            s->base_node = v;
        } else if (strcmp(k->text, "parameters") == 0 || strcmp(k->text, "set") == 0) {
            if (v->kind != CFG_NODE_MAP) {
                return spec_error(s, v, "%s: expected a mapping of PATH: %s, found %s", k->text,
                                  k->text[0] == 'p' ? "[values]" : "value", cfg_node_what(v));
            }
            if (k->text[0] == 'p') {
                parameters = v;
            } else {
                set = v;
            }
        } else if (strcmp(k->text, "zip") == 0) {
            if (v->kind != CFG_NODE_SEQ) {
                return spec_error(s, v,
                                  "zip: expected a list of groups (mappings of PATH: "
                                  "[values]), found %s",
                                  cfg_node_what(v));
            }
            zip = v;
        } else if (strcmp(k->text, "seeds") == 0) {
            if (v->kind != CFG_NODE_SEQ || v->n == 0) {
                return spec_error(s, v, "seeds: expected a non-empty list of seeds, found %s",
                                  cfg_node_what(v));
            }
            seeds = v;
        } else if (strcmp(k->text, "until") == 0) {
            SimTime t;
            if (v->kind != CFG_NODE_SCALAR || !sim_parse_time(v->text, &t, why, sizeof(why))) {
                return spec_error(s, v, "until: %s",
                                  v->kind == CFG_NODE_SCALAR ? why : "expected a time, e.g. 2us");
            }
            s->until = v;
        } else if (strcmp(k->text, "kernel") == 0) {
            SimKernelKind kind;
            bool ok = v->kind == CFG_NODE_SCALAR && sim_kernel_parse(v->text, &kind);
#if MEMBOX_HAVE_SYSTEMC
            ok = ok || (v->kind == CFG_NODE_SCALAR && strcmp(v->text, "systemc") == 0);
#endif
            if (!ok) {
                return spec_error(s, v, "kernel: expected fast, every-cycle%s",
                                  MEMBOX_HAVE_SYSTEMC ? " or systemc"
                                                      : " (this build has no "
                                                        "SystemC)");
            }
            s->kernel = v->text;
        } else {
            return spec_error(s, k,
                              "unknown key '%s' (a sweep spec has base, parameters, zip, seeds, "
                              "set, until, kernel)",
                              k->text);
        }
    }
    if (s->base_node == NULL) {
        return spec_error(s, s->root, "no `base:` topology to sweep over");
    }
    /* The base, relative to the spec's folder. */
    const char *b = s->base_node->text;
    const char *slash = strrchr(file, '/');
    size_t dir = b[0] == '/' || slash == NULL ? 0 : (size_t)(slash - file) + 1;
    s->base = malloc(dir + strlen(b) + 1);
    if (s->base == NULL) {
        return spec_error(s, NULL, "out of memory");
    }
    memcpy(s->base, file, dir);
    strcpy(s->base + dir, b);

    if (parameters != NULL) {
        for (size_t i = 0; i < parameters->n; i++) {
            size_t first = s->n_params;
            if (!add_param(s, parameters->pairs[i].key, parameters->pairs[i].value)) {
                return false;
            }
            s->axes[s->n_axes++] = (Axis){first, 1, parameters->pairs[i].value->n};
        }
    }
    for (size_t g = 0; zip != NULL && g < zip->n; g++) {
        const CfgNode *grp = zip->items[g];
        if (grp->kind != CFG_NODE_MAP || grp->n == 0) {
            return spec_error(s, grp, "zip: a group is a mapping of PATH: [values], found %s",
                              cfg_node_what(grp));
        }
        size_t first = s->n_params;
        for (size_t i = 0; i < grp->n; i++) {
            if (!add_param(s, grp->pairs[i].key, grp->pairs[i].value)) {
                return false;
            }
            if (grp->pairs[i].value->n != grp->pairs[0].value->n) {
                return spec_error(s, grp->pairs[i].value,
                                  "zip: '%s' has %zu values, '%s' %zu: the lists of a group "
                                  "vary together and must be as long",
                                  grp->pairs[i].key->text, grp->pairs[i].value->n,
                                  grp->pairs[0].key->text, grp->pairs[0].value->n);
            }
        }
        s->axes[s->n_axes++] = (Axis){first, grp->n, grp->pairs[0].value->n};
    }
    for (size_t i = 0; set != NULL && i < set->n; i++) {
        const CfgNode *k = set->pairs[i].key, *v = set->pairs[i].value;
        if (!check_unique(s, k->text, k)) {
            return false;
        }
        if (v->kind != CFG_NODE_SCALAR || cfg_node_is_null(v)) {
            return spec_error(s, v, "set: '%s': expected one value, found %s", k->text,
                              cfg_node_what(v));
        }
        s->fixed[s->n_fixed++] = (Fixed){k->text, v};
    }
    if (seeds != NULL) {
        s->seeds = calloc(seeds->n, sizeof(*s->seeds));
        s->seed_nodes = calloc(seeds->n, sizeof(*s->seed_nodes));
        if (s->seeds == NULL || s->seed_nodes == NULL) {
            return spec_error(s, NULL, "out of memory");
        }
        for (size_t i = 0; i < seeds->n; i++) {
            const CfgNode *v = seeds->items[i];
            if (v->kind != CFG_NODE_SCALAR ||
                !sim_parse_uint(v->text, &s->seeds[i], why, sizeof(why))) {
                return spec_error(s, v, "seeds: %s",
                                  v->kind == CFG_NODE_SCALAR ? why
                                                             : "expected an unsigned "
                                                               "integer");
            }
            s->seed_nodes[i] = v;
        }
        s->n_seeds = seeds->n;
    }
    for (size_t i = 0; s->n_seeds > 0 && i < s->n_params + s->n_fixed; i++) {
        const char *path = i < s->n_params ? s->params[i].path : s->fixed[i - s->n_params].path;
        if (strcmp(path, "sim.seed") == 0) {
            return spec_error(s,
                              i < s->n_params ? s->params[i].key : s->fixed[i - s->n_params].value,
                              "'sim.seed' is given with `seeds`, which would win: give one of "
                              "them");
        }
    }
    size_t n = s->n_seeds > 0 ? s->n_seeds : 1;
    for (size_t a = 0; a < s->n_axes; a++) {
        if (s->axes[a].n > SWEEP_MAX_POINTS / n) {
            return spec_error(s, s->params[s->axes[a].first].key,
                              "more than %u points: split the sweep", SWEEP_MAX_POINTS);
        }
        n *= s->axes[a].n;
    }
    s->n_points = n;
    return true;
}

/* ---- points ---- */

typedef struct Point {
    size_t index;
    bool has_seed;
    uint64_t seed;
    const char **value; /* per parameter: the value's text */
    size_t n_ov;
    SimConfigOverride *ov;
    char **path;   /* PATH */
    char **text;   /* "PATH=VALUE", as `run --set` records it */
    char **origin; /* "SPEC:LINE:COL: PATH=VALUE" */
} Point;

static void point_free(Point *p)
{
    for (size_t i = 0; i < p->n_ov; i++) {
        free(p->path[i]);
        free(p->text[i]);
        free(p->origin[i]);
    }
    free(p->value);
    free(p->ov);
    free(p->path);
    free(p->text);
    free(p->origin);
    memset(p, 0, sizeof(*p));
}

static char *str_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *str_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        return NULL;
    }
    char *s = malloc((size_t)n + 1);
    if (s != NULL) {
        va_start(ap, fmt);
        vsnprintf(s, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    return s;
}

static bool point_add(Point *p, const Spec *s, const char *path, const CfgNode *v)
{
    char *copy = str_printf("%s", path);
    char *text = str_printf("%s=%s", path, v->text);
    char *origin = str_printf("%s:%u:%u: %s=%s", s->file, v->line, v->col, path, v->text);
    if (copy == NULL || text == NULL || origin == NULL) {
        free(copy);
        free(text);
        free(origin);
        return false;
    }
    p->path[p->n_ov] = copy;
    p->text[p->n_ov] = text;
    p->origin[p->n_ov] = origin;
    p->ov[p->n_ov] = (SimConfigOverride){copy, text + strlen(path) + 1, origin};
    p->n_ov++;
    return true;
}

/* "PATH=VALUE" of override i. */
static const char *point_setting(const Point *p, size_t i)
{
    return p->text[i];
}

/*
 * Point i: seeds vary fastest, then the last axis, ..., the first axis slowest. Its overrides:
 * the parameters in axis order, the fixed values, then sim.until.
 */
static bool point_make(const Spec *s, size_t i, Point *p)
{
    memset(p, 0, sizeof(*p));
    p->index = i;
    size_t cap = s->n_params + s->n_fixed + 1;
    p->value = calloc(s->n_params + 1, sizeof(*p->value));
    p->ov = calloc(cap, sizeof(*p->ov));
    p->path = calloc(cap, sizeof(*p->path));
    p->text = calloc(cap, sizeof(*p->text));
    p->origin = calloc(cap, sizeof(*p->origin));
    if (p->value == NULL || p->ov == NULL || p->path == NULL || p->text == NULL ||
        p->origin == NULL) {
        point_free(p);
        return false;
    }
    size_t rest = i;
    if (s->n_seeds > 0) {
        p->has_seed = true;
        p->seed = s->seeds[rest % s->n_seeds];
        rest /= s->n_seeds;
    }
    size_t *pick = calloc(s->n_axes + 1, sizeof(*pick));
    if (pick == NULL) {
        point_free(p);
        return false;
    }
    for (size_t a = s->n_axes; a-- > 0;) {
        pick[a] = rest % s->axes[a].n;
        rest /= s->axes[a].n;
    }
    bool ok = true;
    for (size_t a = 0; a < s->n_axes && ok; a++) {
        for (size_t k = 0; k < s->axes[a].count && ok; k++) {
            const Param *pr = &s->params[s->axes[a].first + k];
            const CfgNode *v = pr->values->items[pick[a]];
            p->value[s->axes[a].first + k] = v->text;
            ok = point_add(p, s, pr->path, v);
        }
    }
    free(pick);
    for (size_t k = 0; k < s->n_fixed && ok; k++) {
        ok = point_add(p, s, s->fixed[k].path, s->fixed[k].value);
    }
    if (ok && s->until != NULL) {
        ok = point_add(p, s, "sim.until", s->until);
    }
    if (!ok) {
        point_free(p);
    }
    return ok;
}

/* Loads the base with point i's values: every check of `run --set`. Prints the error. */
static bool point_check(const Spec *s, size_t i)
{
    Point p;
    if (!point_make(s, i, &p)) {
        return spec_error(s, NULL, "out of memory");
    }
    SimError err;
    sim_error_clear(&err);
    SimConfig *c = sim_config_load_file_ex(s->base, &membox_registry, p.ov, p.n_ov, &err);
    if (c == NULL && sweep_loud) {
        fprintf(stderr, "%s\n%s: (at point %zu of points 0 .. %zu; `sweep --list` lists them)\n",
                err.msg, s->file, i, s->n_points - 1);
    }
    sim_config_free(c);
    point_free(&p);
    return c != NULL;
}

/* The base alone, then every point. */
static bool spec_check(const Spec *s)
{
    SimError err;
    sim_error_clear(&err);
    SimConfig *c = sim_config_load_file(s->base, &membox_registry, &err);
    if (c == NULL) {
        return spec_error(s, s->base_node, "base '%s': %s", s->base, err.msg);
    }
    sim_config_free(c);
    for (size_t i = 0; i < s->n_points; i++) {
        if (!point_check(s, i)) {
            return false;
        }
    }
    return true;
}

/* ---- the output folder ---- */

typedef struct Out {
    const char *dir;
} Out;

static char *point_file(const char *dir, size_t i, const char *ext)
{
    return str_printf("%s/point-%04zu.%s", dir, i, ext);
}

static bool make_dirs(const char *path)
{
    char *p = str_printf("%s", path);
    if (p == NULL) {
        errno = ENOMEM;
        return false;
    }
    for (char *q = p + 1; *q != '\0'; q++) {
        if (*q == '/') {
            *q = '\0';
            if (mkdir(p, 0777) != 0 && errno != EEXIST) {
                free(p);
                return false;
            }
            *q = '/';
        }
    }
    bool ok = mkdir(p, 0777) == 0 || errno == EEXIST;
    free(p);
    struct stat st;
    if (ok && (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))) {
        errno = ENOTDIR;
        return false;
    }
    return ok;
}

/* Whether a statistics JSON holds a run of p: the same `--set` values (in order) and seed. */
static bool json_matches(const JsonValue *j, const Point *p)
{
    const JsonValue *schema = json_get(j, "schema");
    const JsonValue *run = json_get(j, "run");
    if (schema == NULL || schema->kind != JSON_STRING ||
        strcmp(schema->text, "membox-sim-stats/1") != 0 || run == NULL ||
        json_get(j, "stats") == NULL) {
        return false;
    }
    const JsonValue *ov = json_get(run, "overrides");
    size_t n = ov != NULL && ov->kind == JSON_ARRAY ? ov->n : 0;
    if (n != p->n_ov || (ov != NULL && ov->kind != JSON_ARRAY)) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (ov->items[i]->kind != JSON_STRING || strcmp(ov->items[i]->text, point_setting(p, i))) {
            return false;
        }
    }
    const JsonValue *seed = json_get(run, "seed");
    if (p->has_seed) {
        char want[32];
        snprintf(want, sizeof(want), "%" PRIu64, p->seed);
        if (seed == NULL || seed->kind != JSON_NUMBER || strcmp(seed->text, want) != 0) {
            return false;
        }
    }
    return true;
}

/* The point's JSON parsed if it is there and matches p; NULL otherwise. */
static JsonValue *point_result(const char *dir, const Point *p)
{
    char *path = point_file(dir, p->index, "json");
    char *text = NULL;
    size_t len = 0;
    char why[256];
    JsonValue *j = NULL;
    if (path != NULL && read_file(path, (size_t)1 << 30, &text, &len, why, sizeof(why))) {
        j = json_parse(text, len, why, sizeof(why));
    }
    if (j != NULL && !json_matches(j, p)) {
        json_free(j);
        j = NULL;
    }
    free(text);
    free(path);
    return j;
}

/* ---- running points ---- */

static volatile sig_atomic_t sweep_stop;

/* This executable: the target of /proc/self/exe, read once (under valgrind that read gives the
 * program run, where exec of /proc/self/exe would run valgrind's tool); /proc/self/exe itself
 * when the file is gone (rebuilt during a sweep). */
static char self_exe[4096] = "/proc/self/exe";

static void find_self(void)
{
    char buf[sizeof(self_exe)];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
    if (n > 0) {
        buf[n] = '\0';
        if (access(buf, X_OK) == 0) {
            memcpy(self_exe, buf, (size_t)n + 1);
        }
    }
}

static void on_sweep_signal(int sig)
{
    sweep_stop = sig;
}

typedef struct Result {
    int status; /* 0 ok; else the point failed */
    char *msg;  /* why, for the summary */
} Result;

typedef struct Child {
    pid_t pid;
    size_t point;
    double start;
} Child;

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Starts point i: `membox-sim run BASE --quiet --stats DIR/point-I.json [--seed S] [--kernel K]
 * --set ...`, stdout to /dev/null, stderr to DIR/point-I.log. */
static pid_t spawn_point(const Spec *s, const char *dir, size_t i)
{
    Point p;
    if (!point_make(s, i, &p)) {
        errno = ENOMEM;
        return -1;
    }
    char *json = point_file(dir, i, "json");
    char *log = point_file(dir, i, "log");
    char seed[32];
    snprintf(seed, sizeof(seed), "%" PRIu64, p.seed);
    size_t max = 12 + 2 * p.n_ov;
    char **argv = calloc(max, sizeof(*argv));
    pid_t pid = -1;
    if (json != NULL && log != NULL && argv != NULL) {
        size_t n = 0;
        argv[n++] = "membox-sim";
        argv[n++] = "run";
        argv[n++] = s->base;
        argv[n++] = "--quiet";
        argv[n++] = "--stats";
        argv[n++] = json;
        if (p.has_seed) {
            argv[n++] = "--seed";
            argv[n++] = seed;
        }
        if (s->kernel != NULL) {
            argv[n++] = "--kernel";
            argv[n++] = (char *)s->kernel;
        }
        for (size_t k = 0; k < p.n_ov; k++) {
            argv[n++] = "--set";
            argv[n++] = (char *)point_setting(&p, k);
        }
        argv[n] = NULL;
        posix_spawn_file_actions_t fa;
        if (posix_spawn_file_actions_init(&fa) == 0) {
            int rc = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
            rc = rc ? rc : posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
            rc = rc ? rc
                    : posix_spawn_file_actions_addopen(&fa, 2, log, O_WRONLY | O_CREAT | O_TRUNC,
                                                       0666);
            if (rc == 0) {
                rc = posix_spawn(&pid, self_exe, &fa, NULL, argv, environ);
            }
            if (rc != 0) {
                pid = -1;
                errno = rc;
            }
            posix_spawn_file_actions_destroy(&fa);
        }
    } else {
        errno = ENOMEM;
    }
    free(argv);
    free(json);
    free(log);
    point_free(&p);
    return pid;
}

/* The first line of the point's log (its error message), or a default. */
static char *log_first_line(const char *dir, size_t i)
{
    char *path = point_file(dir, i, "log");
    char line[512] = "";
    FILE *f = path ? fopen(path, "r") : NULL;
    while (f != NULL && fgets(line, sizeof(line), f) != NULL && line[0] == '\n') {
    }
    if (f != NULL) {
        fclose(f);
    }
    free(path);
    line[strcspn(line, "\n")] = '\0';
    return str_printf("%s", line);
}

/* What ended a point's process, when it did not end well. */
static char *child_failure(const char *dir, size_t i, int wstatus, pid_t pid)
{
    char *first = log_first_line(dir, i);
    char how[64];
    if (WIFSIGNALED(wstatus)) {
        snprintf(how, sizeof(how), "killed by signal %d", WTERMSIG(wstatus));
        /* A crash leaves run's temporary stats file: remove it. */
        char *json = point_file(dir, i, "json");
        char *tmp = json ? str_printf("%s.tmp.%ld", json, (long)pid) : NULL;
        if (tmp != NULL) {
            remove(tmp);
        }
        free(tmp);
        free(json);
    } else {
        snprintf(how, sizeof(how), "exit %d", WEXITSTATUS(wstatus));
    }
    char *msg = str_printf("%s%s%s; its stderr is in %s/point-%04zu.log", how,
                           first && first[0] ? ": " : "", first ? first : "", dir, i);
    free(first);
    return msg;
}

/*
 * Runs points todo[0..n-1], `jobs` at a time, results into res[k]. Stops starting points on
 * SIGINT or SIGTERM (passed on to the running ones). total is the number of points of the
 * sweep, for the progress lines.
 */
static void run_points(const Spec *s, const char *dir, const size_t *todo, size_t n, int jobs,
                       bool quiet, Result *res)
{
    Child *kids = calloc((size_t)jobs, sizeof(*kids));
    if (kids == NULL) {
        for (size_t k = 0; k < n; k++) {
            res[k] = (Result){1, str_printf("out of memory")};
        }
        return;
    }
    size_t next = 0, running = 0, done = 0;
    bool forwarded = false;
    for (;;) {
        if (sweep_stop && !forwarded) {
            /* Stopped: the running points get the signal too (and leave no file). */
            for (int c = 0; c < jobs; c++) {
                if (kids[c].pid > 0) {
                    kill(kids[c].pid, (int)sweep_stop);
                }
            }
            forwarded = true;
        }
        while (!sweep_stop && next < n && running < (size_t)jobs) {
            pid_t pid = spawn_point(s, dir, todo[next]);
            if (pid < 0) {
                res[next] = (Result){1, str_printf("cannot start: %s", strerror(errno))};
                next++;
                continue;
            }
            for (int c = 0; c < jobs; c++) {
                if (kids[c].pid == 0) {
                    kids[c] = (Child){pid, next, now_seconds()};
                    break;
                }
            }
            running++;
            next++;
        }
        if (running == 0) {
            break;
        }
        int wstatus;
        pid_t pid = waitpid(-1, &wstatus, 0);
        if (pid < 0) {
            if (errno == EINTR) {
                continue;
            }
            break; /* ECHILD: none left */
        }
        for (int c = 0; c < jobs; c++) {
            if (kids[c].pid != pid) {
                continue;
            }
            size_t k = kids[c].point, i = todo[k];
            kids[c].pid = 0;
            running--;
            done++;
            bool ok = WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0;
            bool stopped = !ok && sweep_stop != 0;
            if (ok || stopped) {
                /* Done, or stopped with the sweep: no log kept (run left no JSON). */
                char *log = point_file(dir, i, "log");
                if (log != NULL) {
                    remove(log);
                }
                free(log);
                res[k] = ok ? (Result){0, NULL} : (Result){1, str_printf("interrupted")};
            } else {
                res[k] = (Result){1, child_failure(dir, i, wstatus, pid)};
            }
            if (!quiet) {
                fprintf(stderr, "membox-sim: sweep: point %zu %s (%.1f s; %zu of %zu here)\n", i,
                        ok        ? "done"
                        : stopped ? "interrupted"
                                  : "FAILED",
                        now_seconds() - kids[c].start, done, n);
            }
        }
    }
    for (size_t k = next; k < n; k++) {
        res[k] = (Result){1, str_printf("not run: interrupted")};
    }
    free(kids);
}

/* ---- the CSV ---- */

static void csv_field(FILE *f, const char *s)
{
    if (s == NULL) {
        return;
    }
    if (strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s != '\0'; s++) {
        if (*s == '"') {
            fputc('"', f);
        }
        fputc(*s, f);
    }
    fputc('"', f);
}

/* The union of statistic keys, in order of first appearance: a list and a hash of it. */
typedef struct Keys {
    char **name;
    size_t n;
    size_t cap;
    size_t *slot; /* open addressing: index + 1, 0 empty */
    size_t slots;
} Keys;

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603u;
    for (; *s != '\0'; s++) {
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    }
    return h;
}

/* The column of key, or SIZE_MAX; with add, adds it when missing (SIZE_MAX when out of memory). */
static size_t keys_find(Keys *k, const char *key, bool add)
{
    if (k->slots > 0) {
        for (size_t h = (size_t)hash_str(key) & (k->slots - 1);; h = (h + 1) & (k->slots - 1)) {
            if (k->slot[h] == 0) {
                break;
            }
            if (strcmp(k->name[k->slot[h] - 1], key) == 0) {
                return k->slot[h] - 1;
            }
        }
    }
    if (!add) {
        return SIZE_MAX;
    }
    if (k->n == k->cap) {
        size_t cap = k->cap ? k->cap * 2 : 1024;
        char **name = realloc(k->name, cap * sizeof(*name));
        if (name == NULL) {
            return SIZE_MAX;
        }
        k->name = name;
        k->cap = cap;
    }
    if (2 * (k->n + 1) > k->slots) {
        size_t slots = k->slots ? k->slots * 2 : 2048;
        size_t *slot = calloc(slots, sizeof(*slot));
        if (slot == NULL) {
            return SIZE_MAX;
        }
        for (size_t j = 0; j < k->n; j++) {
            size_t h = (size_t)hash_str(k->name[j]) & (slots - 1);
            while (slot[h] != 0) {
                h = (h + 1) & (slots - 1);
            }
            slot[h] = j + 1;
        }
        free(k->slot);
        k->slot = slot;
        k->slots = slots;
    }
    char *copy = str_printf("%s", key);
    if (copy == NULL) {
        return SIZE_MAX;
    }
    size_t h = (size_t)hash_str(key) & (k->slots - 1);
    while (k->slot[h] != 0) {
        h = (h + 1) & (k->slots - 1);
    }
    k->name[k->n] = copy;
    k->slot[h] = ++k->n;
    return k->n - 1;
}

static void keys_free(Keys *k)
{
    for (size_t i = 0; i < k->n; i++) {
        free(k->name[i]);
    }
    free(k->name);
    free(k->slot);
}

/* The text of a JSON number or null (NULL: an empty field). */
static const char *num_text(const JsonValue *v)
{
    return v != NULL && v->kind == JSON_NUMBER ? v->text : NULL;
}

/*
 * DIR/results.csv from the points' JSON files: `point`, the swept paths, `seed`, `status`
 * (ok, failed or missing), `end_time_ns`, then the union of statistic keys. failed[i] marks a
 * point that failed in this run. Counts into *missing the points with no matching JSON.
 */
static bool write_csv(const Spec *s, const char *dir, const bool *failed, size_t *missing)
{
    Keys keys = {0};
    bool ok = true;
    *missing = 0;
    /* First pass: the columns. */
    for (size_t i = 0; i < s->n_points && ok; i++) {
        Point p;
        if (!point_make(s, i, &p)) {
            ok = false;
            break;
        }
        JsonValue *j = point_result(dir, &p);
        const JsonValue *st = json_get(j, "stats");
        for (size_t m = 0; st != NULL && st->kind == JSON_OBJECT && m < st->n && ok; m++) {
            ok = keys_find(&keys, st->keys[m], true) != SIZE_MAX;
        }
        json_free(j);
        point_free(&p);
    }
    char *path = str_printf("%s/results.csv", dir);
    char *tmp = path ? str_printf("%s.tmp.%ld", path, (long)getpid()) : NULL;
    const char **row = calloc(keys.n + 1, sizeof(*row));
    FILE *f = ok && tmp != NULL && row != NULL ? fopen(tmp, "w") : NULL;
    if (f == NULL) {
        if (sweep_loud) {
            fprintf(stderr, "%s: cannot write: %s\n", path ? path : dir,
                    ok && tmp != NULL && row != NULL ? strerror(errno) : "out of memory");
        }
        ok = false;
    }
    if (ok) {
        fputs("point", f);
        for (size_t k = 0; k < s->n_params; k++) {
            fputc(',', f);
            csv_field(f, s->params[k].path);
        }
        fputs(",seed,status,end_time_ns", f);
        for (size_t k = 0; k < keys.n; k++) {
            fputc(',', f);
            csv_field(f, keys.name[k]);
        }
        fputc('\n', f);
    }
    for (size_t i = 0; i < s->n_points && ok; i++) {
        Point p;
        if (!point_make(s, i, &p)) {
            ok = false;
            break;
        }
        JsonValue *j = point_result(dir, &p);
        const JsonValue *run = json_get(j, "run");
        const JsonValue *st = json_get(j, "stats");
        memset(row, 0, (keys.n + 1) * sizeof(*row));
        for (size_t m = 0; st != NULL && st->kind == JSON_OBJECT && m < st->n; m++) {
            size_t col = keys_find(&keys, st->keys[m], false);
            if (col != SIZE_MAX) {
                row[col] = num_text(st->items[m]);
            }
        }
        fprintf(f, "%zu", i);
        for (size_t k = 0; k < s->n_params; k++) {
            fputc(',', f);
            csv_field(f, p.value[k]);
        }
        fputc(',', f);
        const char *seed = num_text(json_get(run, "seed"));
        if (seed != NULL) {
            fputs(seed, f);
        } else if (p.has_seed) {
            fprintf(f, "%" PRIu64, p.seed);
        }
        if (j == NULL) {
            (*missing)++;
        }
        fputs(j != NULL ? ",ok," : failed != NULL && failed[i] ? ",failed," : ",missing,", f);
        csv_field(f, num_text(json_get(run, "end_time_ns")));
        for (size_t k = 0; k < keys.n; k++) {
            fputc(',', f);
            csv_field(f, row[k]);
        }
        fputc('\n', f);
        json_free(j);
        point_free(&p);
    }
    if (f != NULL) {
        bool wrote = ok && fflush(f) == 0 && !ferror(f);
        int e = errno;
        if (fclose(f) != 0 && wrote) {
            wrote = false;
            e = errno;
        }
        if (wrote && rename(tmp, path) != 0) {
            wrote = false;
            e = errno;
        }
        if (!wrote) {
            remove(tmp);
            if (ok && sweep_loud) {
                fprintf(stderr, "%s: cannot write: %s\n", path, strerror(e));
            }
            ok = false;
        }
    }
    free(row);
    free(tmp);
    free(path);
    keys_free(&keys);
    return ok;
}

/* ---- MPI: spreading points over ranks ---- */

typedef struct World {
    int rank;
    int size;
    bool mpi;
#if MEMBOX_HAVE_MPI
    const SweepMpi *ops; /* the MPI module's calls (sweep_mpi.h) when mpi */
#endif
} World;

#if MEMBOX_HAVE_MPI
/* Whether this process was started by an MPI launcher (Open MPI, PMIx or PMI). */
static bool under_mpi_launcher(void)
{
    return getenv("OMPI_COMM_WORLD_SIZE") != NULL || getenv("PMIX_RANK") != NULL ||
           getenv("PMI_RANK") != NULL;
}
#else
/* Whether a launcher started several copies of this process (Open MPI's or PMI's size). */
static bool launched_many(void)
{
    const char *names[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"};
    for (size_t i = 0; i < N_OF(names); i++) {
        const char *v = getenv(names[i]);
        if (v != NULL && strtol(v, NULL, 10) > 1) {
            return true;
        }
    }
    return false;
}
#endif

/* False (with a message) when an MPI launcher started the process but the MPI module cannot
 * be loaded. */
static bool world_start(World *w)
{
    *w = (World){.rank = 0, .size = 1, .mpi = false};
#if MEMBOX_HAVE_MPI
    if (under_mpi_launcher()) {
        char why[1024];
        const SweepMpi *(*get)(void) = (const SweepMpi *(*)(void))membox_module_symbol(
            MEMBOX_SWEEP_MPI_MODULE, MEMBOX_SWEEP_MPI_SYMBOL, true, why, sizeof(why));
        if (get == NULL) {
            fprintf(stderr,
                    "membox-sim: sweep: started by an MPI launcher, but MPI cannot be "
                    "loaded: %s\n",
                    why);
            return false;
        }
        w->ops = get();
        w->ops->init(&w->rank, &w->size);
        w->mpi = true;
    }
#endif
    return true;
}

/* Every rank's exit code: the largest of all (rank 0's message says why). */
static int world_end(const World *w, int rc)
{
#if MEMBOX_HAVE_MPI
    if (w->mpi) {
        int all = w->ops->allreduce_max(rc);
        w->ops->finalize();
        return all;
    }
#endif
    (void)w;
    return rc;
}

/* Whether every rank says ok (under MPI; else ok itself). */
static bool world_all(const World *w, bool ok)
{
#if MEMBOX_HAVE_MPI
    if (w->mpi) {
        return w->ops->allreduce_min(ok ? 1 : 0) == 1;
    }
#endif
    (void)w;
    return ok;
}

#if MEMBOX_HAVE_MPI
/* data into path: under a temporary name, renamed when complete. */
static bool write_atomic(const char *path, const char *data, size_t len)
{
    char *tmp = str_printf("%s.tmp.%ld", path, (long)getpid());
    if (tmp == NULL) {
        errno = ENOMEM;
        return false;
    }
    FILE *f = fopen(tmp, "wb");
    bool ok = f != NULL && fwrite(data, 1, len, f) == len;
    int e = errno;
    if (f != NULL && fclose(f) != 0 && ok) {
        ok = false;
        e = errno;
    }
    if (ok && rename(tmp, path) != 0) {
        ok = false;
        e = errno;
    }
    if (!ok) {
        remove(tmp);
    }
    free(tmp);
    errno = e;
    return ok;
}

enum {
    TAG_HEAD = 1,
    TAG_BODY = 2
};

/* A worker rank's results to rank 0: per point {todo position, status, length}, then the
 * bytes: the JSON text when ok, the message when not. */
static void send_results(const World *w, const char *dir, const size_t *todo, const size_t *mine,
                         size_t n_mine, const Result *res)
{
    for (size_t k = 0; k < n_mine; k++) {
        size_t i = todo[mine[k]];
        char *text = NULL;
        size_t len = 0;
        int status = res[k].status;
        if (status == 0) {
            char *path = point_file(dir, i, "json");
            char why[256];
            if (path == NULL || !read_file(path, (size_t)1 << 30, &text, &len, why, sizeof(why))) {
                status = 1;
                text = str_printf("rank's JSON unreadable: %s", path ? why : "out of memory");
                len = text ? strlen(text) : 0;
            }
            free(path);
        } else if (res[k].msg != NULL) {
            text = str_printf("%s", res[k].msg);
            len = text ? strlen(text) : 0;
        }
        long long head[3] = {(long long)mine[k], status, (long long)len};
        w->ops->send_i64(head, 3, TAG_HEAD);
        if (len > 0) {
            w->ops->send_bytes(text, (int)len, TAG_BODY);
        }
        free(text);
    }
}

/* Rank 0 takes the other ranks' n results: writes each JSON (unless the same file is there,
 * on a shared file system) and keeps the messages. */
static void receive_results(const World *w, const char *dir, const size_t *todo, size_t n,
                            Result *all)
{
    for (size_t r = 0; r < n; r++) {
        long long head[3];
        int source = w->ops->recv_i64_any(head, 3, TAG_HEAD);
        size_t k = (size_t)head[0];
        size_t len = (size_t)head[2];
        char *text = calloc(len + 1, 1);
        if (len > 0) {
            w->ops->recv_bytes(text, (int)len, source, TAG_BODY);
        }
        all[k].status = (int)head[1];
        all[k].msg = NULL;
        if (text == NULL) {
            all[k] = (Result){1, NULL};
            continue;
        }
        if (all[k].status != 0) {
            all[k].msg = text;
            continue;
        }
        char *path = point_file(dir, todo[k], "json");
        char *have = NULL;
        size_t have_len = 0;
        char why[256];
        bool same = path != NULL &&
                    read_file(path, (size_t)1 << 30, &have, &have_len, why, sizeof(why)) &&
                    have_len == len && memcmp(have, text, len) == 0;
        if (!same && (path == NULL || !write_atomic(path, text, len))) {
            all[k] = (Result){1, str_printf("cannot write its JSON: %s", strerror(errno))};
        }
        free(have);
        free(path);
        free(text);
    }
}
#endif

/* ---- the command ---- */

typedef struct SweepArgs {
    const char *spec;
    const char *dir;
    long jobs; /* 0: default */
    bool list;
    bool collect;
    bool quiet;
    bool has_point;
    size_t point;
} SweepArgs;

static int sweep_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int sweep_usage(const char *fmt, ...)
{
    if (sweep_loud) {
        va_list ap;
        va_start(ap, fmt);
        fprintf(stderr, "membox-sim: ");
        vfprintf(stderr, fmt, ap);
        fprintf(stderr, "; see 'membox-sim sweep --help'\n");
        va_end(ap);
    }
    return SWEEP_INPUT;
}

/* -1: --help printed. */
static int parse_args(int argc, char **argv, SweepArgs *a)
{
    memset(a, 0, sizeof(*a));
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            if (sweep_loud) {
                fputs(cmd_sweep_help, stdout);
            }
            return -1;
        }
        bool takes = strcmp(arg, "-j") == 0 || strcmp(arg, "--jobs") == 0 ||
                     strcmp(arg, "-o") == 0 || strcmp(arg, "--output") == 0 ||
                     strcmp(arg, "--point") == 0;
        if (takes && i + 1 >= argc) {
            return sweep_usage("option '%s' needs a value", arg);
        }
        if (strcmp(arg, "-j") == 0 || strcmp(arg, "--jobs") == 0) {
            const char *v = argv[++i];
            char *end;
            errno = 0;
            long j = strtol(v, &end, 10);
            if (*v < '0' || *v > '9' || *end != '\0' || errno != 0 || j < 1 || j > SWEEP_MAX_JOBS) {
                return sweep_usage("%s '%s': expected a number of jobs from 1 to %d", arg, v,
                                   SWEEP_MAX_JOBS);
            }
            a->jobs = j;
        } else if (strcmp(arg, "-o") == 0 || strcmp(arg, "--output") == 0) {
            a->dir = argv[++i];
            if (a->dir[0] == '\0') {
                return sweep_usage("%s: the folder name is empty", arg);
            }
        } else if (strcmp(arg, "--point") == 0) {
            const char *v = argv[++i];
            char *end;
            errno = 0;
            unsigned long long p = strtoull(v, &end, 10);
            if (*v < '0' || *v > '9' || *end != '\0' || errno != 0) {
                return sweep_usage("--point '%s': expected a point index (0, 1, ...)", v);
            }
            a->has_point = true;
            a->point = (size_t)p;
        } else if (strcmp(arg, "--list") == 0) {
            a->list = true;
        } else if (strcmp(arg, "--collect") == 0) {
            a->collect = true;
        } else if (strcmp(arg, "--quiet") == 0) {
            a->quiet = true;
        } else if (arg[0] == '-' && arg[1] != '\0') {
            return sweep_usage("unknown option '%s' for 'sweep'", arg);
        } else if (a->spec != NULL) {
            return sweep_usage("'sweep' takes one SPEC, got also '%s'", arg);
        } else {
            a->spec = arg;
        }
    }
    if (a->spec == NULL) {
        return sweep_usage("'sweep' needs a SPEC file");
    }
    if ((int)a->list + (int)a->collect + (int)a->has_point > 1) {
        return sweep_usage("--list, --point and --collect exclude each other");
    }
    return SWEEP_OK;
}

static void list_points(const Spec *s)
{
    for (size_t i = 0; i < s->n_points; i++) {
        Point p;
        if (!point_make(s, i, &p)) {
            fprintf(stderr, "membox-sim: out of memory\n");
            return;
        }
        printf("%zu", i);
        if (p.has_seed) {
            printf(" seed=%" PRIu64, p.seed);
        }
        for (size_t k = 0; k < p.n_ov; k++) {
            printf(" %s", point_setting(&p, k));
        }
        putchar('\n');
        point_free(&p);
    }
}

/* The default output folder: SPEC without its .yaml/.yml, plus .sweep. */
static char *default_dir(const char *spec)
{
    size_t n = strlen(spec);
    if (n > 5 && strcmp(spec + n - 5, ".yaml") == 0) {
        n -= 5;
    } else if (n > 4 && strcmp(spec + n - 4, ".yml") == 0) {
        n -= 4;
    }
    return str_printf("%.*s.sweep", (int)n, spec);
}

static int sweep_main(const World *w, const SweepArgs *a)
{
#if !MEMBOX_HAVE_MPI
    if (launched_many() && !a->list && !a->has_point && !a->collect) {
        fprintf(stderr, "membox-sim: sweep: started as several processes (mpirun -n K?), but "
                        "this build has no MPI, so each would run every point; build with "
                        "meson -Dmpi=enabled (libopenmpi-dev), or use --point (docs/sweeps.md)\n");
        return SWEEP_INPUT;
    }
#endif
    Spec s;
    bool ok = spec_load(&s, a->spec) && spec_check(&s);
    if (!world_all(w, ok)) {
        spec_free(&s);
        return SWEEP_INPUT;
    }
    if (a->list) {
        if (w->rank == 0) {
            list_points(&s);
        }
        spec_free(&s);
        return SWEEP_OK;
    }
    if (a->has_point && a->point >= s.n_points) {
        spec_error(&s, NULL, "--point %zu: the sweep has points 0 .. %zu", a->point,
                   s.n_points - 1);
        spec_free(&s);
        return SWEEP_INPUT;
    }
    char *owned = a->dir == NULL ? default_dir(a->spec) : NULL;
    const char *dir = a->dir != NULL ? a->dir : owned;
    if (dir == NULL || !world_all(w, make_dirs(dir))) {
        if (sweep_loud) {
            fprintf(stderr, "%s: cannot make the folder: %s\n", dir ? dir : a->spec,
                    dir ? strerror(errno) : "out of memory");
        }
        free(owned);
        spec_free(&s);
        return SWEEP_INPUT;
    }

    /* Rank 0 finds what is left to do. */
    size_t *todo = calloc(s.n_points, sizeof(*todo));
    bool *failed = calloc(s.n_points, sizeof(*failed));
    Result *res = calloc(s.n_points + 1, sizeof(*res));
    if (todo == NULL || failed == NULL || res == NULL) {
        fprintf(stderr, "membox-sim: out of memory\n");
        free(todo);
        free(failed);
        free(res);
        free(owned);
        spec_free(&s);
        return SWEEP_FAILED;
    }
    size_t n_todo = 0;
    if (w->rank == 0 && !a->collect) {
        for (size_t i = a->has_point ? a->point : 0; i < (a->has_point ? a->point + 1 : s.n_points);
             i++) {
            Point p;
            JsonValue *j = NULL;
            if (point_make(&s, i, &p)) {
                j = point_result(dir, &p);
                point_free(&p);
            }
            if (j == NULL) {
                todo[n_todo++] = i;
            }
            json_free(j);
        }
    }
#if MEMBOX_HAVE_MPI
    if (w->mpi) {
        unsigned long long nt = n_todo;
        w->ops->bcast_u64(&nt, 1);
        n_todo = (size_t)nt;
        unsigned long long *buf = calloc(n_todo + 1, sizeof(*buf));
        for (size_t k = 0; w->rank == 0 && k < n_todo; k++) {
            buf[k] = todo[k];
        }
        w->ops->bcast_u64(buf, (int)n_todo);
        for (size_t k = 0; k < n_todo; k++) {
            todo[k] = (size_t)buf[k];
        }
        free(buf);
    }
#endif
    /* This rank's share: todo positions rank, rank + size, ... */
    size_t *mine = calloc(n_todo + 1, sizeof(*mine));
    size_t *mine_pts = calloc(n_todo + 1, sizeof(*mine_pts));
    Result *mine_res = calloc(n_todo + 1, sizeof(*mine_res));
    size_t n_mine = 0;
    for (size_t k = (size_t)w->rank; mine && mine_pts && k < n_todo; k += (size_t)w->size) {
        mine[n_mine] = k;
        mine_pts[n_mine++] = todo[k];
    }
    long jobs = a->jobs > 0 ? a->jobs : w->mpi ? 1 : sysconf(_SC_NPROCESSORS_ONLN);
    jobs = jobs < 1 ? 1 : jobs > SWEEP_MAX_JOBS ? SWEEP_MAX_JOBS : jobs;
    if (mine_res != NULL) {
        run_points(&s, dir, mine_pts, n_mine, (int)jobs, a->quiet, mine_res);
    }
    for (size_t k = 0; k < n_mine; k++) {
        res[mine[k]] = mine_res[k];
    }
#if MEMBOX_HAVE_MPI
    if (w->mpi && w->rank != 0) {
        send_results(w, dir, todo, mine, n_mine, mine_res);
    } else if (w->mpi) {
        receive_results(w, dir, todo, n_todo - n_mine, res);
    }
#endif
    int rc = SWEEP_OK;
    if (w->rank == 0) {
        size_t n_failed = 0;
        for (size_t k = 0; k < n_todo; k++) {
            if (res[k].status != 0) {
                failed[todo[k]] = true;
                n_failed++;
            }
        }
        if (sweep_stop != 0) {
            fprintf(stderr, "membox-sim: sweep interrupted; the finished points are kept, "
                            "rerun to resume (no CSV written)\n");
            rc = 128 + (int)sweep_stop;
        } else {
            size_t missing = 0;
            bool csv = a->has_point || write_csv(&s, dir, failed, &missing);
            for (size_t k = 0; k < n_todo; k++) {
                if (res[k].status != 0) {
                    printf("point %zu FAILED: %s\n", todo[k], res[k].msg ? res[k].msg : "");
                }
            }
            size_t here = a->has_point ? 1 : s.n_points;
            size_t before = a->collect ? here - missing : here - n_todo;
            printf("membox-sim: sweep %s: %zu point%s: %zu run, %zu done before, %zu failed",
                   a->spec, here, here == 1 ? "" : "s", n_todo - n_failed, before, n_failed);
            if (a->collect) {
                printf(", %zu missing", missing);
            }
            if (csv && !a->has_point) {
                printf("; table in %s/results.csv\n", dir);
            } else {
                printf("\n");
            }
            missing = a->collect ? missing : 0;
            rc = !csv ? SWEEP_INPUT : n_failed > 0 || missing > 0 ? SWEEP_FAILED : SWEEP_OK;
        }
    }
    for (size_t k = 0; k < s.n_points + 1 && res; k++) {
        free(res[k].msg);
    }
    free(mine);
    free(mine_pts);
    free(mine_res);
    free(todo);
    free(failed);
    free(res);
    free(owned);
    spec_free(&s);
    return rc;
}

int cmd_sweep(int argc, char **argv)
{
    World w;
    if (!world_start(&w)) {
        return SWEEP_FAILED; /* the build's or the installation's fault, not the input's */
    }
    find_self();
    sweep_loud = w.rank == 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_sweep_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    SweepArgs a;
    int rc = parse_args(argc, argv, &a);
    if (rc == SWEEP_OK) {
        rc = sweep_main(&w, &a);
    } else if (rc < 0) {
        rc = SWEEP_OK;
    }
    fflush(stdout);
    return world_end(&w, rc);
}
