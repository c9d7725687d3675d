/*
 * `membox-sim describe [TYPE]`: the model registry and its parameter, port and statistics tables
 * as text. The same tables drive the parser, the builder and the statistics registry, so what is
 * printed here is exactly what a topology accepts and what a run writes.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

const char *sim_param_type_name(SimParamType t)
{
    static const char *const names[SIM_PARAM_TYPE_MAX] = {
        [SIM_PARAM_BOOL] = "bool",     [SIM_PARAM_INT] = "int",
        [SIM_PARAM_UINT] = "uint",     [SIM_PARAM_REAL] = "real",
        [SIM_PARAM_TIME] = "time",     [SIM_PARAM_FREQ] = "frequency",
        [SIM_PARAM_BYTES] = "bytes",   [SIM_PARAM_BITRATE] = "bitrate",
        [SIM_PARAM_LENGTH] = "length", [SIM_PARAM_ENUM] = "enum",
        [SIM_PARAM_STRING] = "string", [SIM_PARAM_DOMAIN] = "domain",
        [SIM_PARAM_PATH] = "path",     [SIM_PARAM_OBJECT] = "object",
    };
    return (unsigned)t < SIM_PARAM_TYPE_MAX ? names[t] : "?";
}

static const char *type_units(SimParamType t)
{
    switch (t) {
    case SIM_PARAM_TIME:
        return "ps, ns, us, ms, s";
    case SIM_PARAM_FREQ:
        return "Hz, kHz, MHz, GHz";
    case SIM_PARAM_BYTES:
        return "B, kB, KiB, MB, MiB, GB, GiB, TB, TiB";
    case SIM_PARAM_BITRATE:
        return "bps, kbps, Mbps, Gbps, Tbps";
    case SIM_PARAM_LENGTH:
        return "m, cm, mm, km";
    default:
        return NULL;
    }
}

#define DESCRIBE_COLS 5

/* One table: rows of DESCRIBE_COLS cells, printed with aligned columns and no trailing spaces. */
typedef struct Table {
    char *cells; /* rows * DESCRIBE_COLS cells of CELL bytes */
    size_t rows;
    size_t cols;
} Table;

#define CELL 256

static char *cell(Table *t, size_t r, size_t c)
{
    return t->cells + (r * DESCRIBE_COLS + c) * CELL;
}

static void table_print(Table *t, FILE *out)
{
    size_t width[DESCRIBE_COLS] = {0};
    for (size_t r = 0; r < t->rows; r++) {
        for (size_t c = 0; c < t->cols; c++) {
            size_t w = strlen(cell(t, r, c));
            width[c] = w > width[c] ? w : width[c];
        }
    }
    for (size_t r = 0; r < t->rows; r++) {
        char line[DESCRIBE_COLS * (CELL + 2) + 4];
        size_t used = 0;
        for (size_t c = 0; c < t->cols; c++) {
            int k = snprintf(line + used, sizeof(line) - used, "  %-*s",
                             c + 1 < t->cols ? (int)width[c] : 0, cell(t, r, c));
            used += k > 0 ? (size_t)k : 0;
        }
        while (used > 0 && line[used - 1] == ' ') {
            used--;
        }
        line[used] = '\0';
        fprintf(out, "%s\n", line);
    }
}

static void first_sentence(const char *doc, char *buf, size_t size)
{
    if (doc == NULL) {
        buf[0] = '\0';
        return;
    }
    size_t n = strlen(doc);
    for (size_t i = 0; i < n; i++) {
        if (doc[i] == '.' && (doc[i + 1] == ' ' || doc[i + 1] == '\n' || doc[i + 1] == '\0')) {
            n = i + 1;
            break;
        }
    }
    snprintf(buf, size, "%.*s", (int)n, doc);
}

static int compare_types(const void *a, const void *b)
{
    const SimModelType *x = *(const SimModelType *const *)a;
    const SimModelType *y = *(const SimModelType *const *)b;
    return strcmp(x->name, y->name);
}

static bool describe_all(const SimRegistry *reg, FILE *out)
{
    const SimModelType *const *types = reg->types;
    size_t n_types = reg->n_types;
    const SimModelType **sorted = malloc((n_types ? n_types : 1) * sizeof(*sorted));
    Table t = {calloc((n_types ? n_types : 1) * DESCRIBE_COLS, CELL), n_types, 2};
    if (sorted == NULL || t.cells == NULL) {
        free(sorted);
        free(t.cells);
        return false;
    }
    memcpy(sorted, types, n_types * sizeof(*sorted));
    qsort(sorted, n_types, sizeof(*sorted), compare_types);
    for (size_t i = 0; i < n_types; i++) {
        snprintf(cell(&t, i, 0), CELL, "%s", sorted[i]->name);
        first_sentence(sorted[i]->doc, cell(&t, i, 1), CELL);
    }
    fprintf(out, "Model types (membox-sim describe TYPE lists one's parameters, ports and "
                 "statistics):\n");
    table_print(&t, out);
    free(t.cells);
    free(sorted);
    if (reg->n_systems > 0) {
        Table s = {calloc(reg->n_systems * DESCRIBE_COLS, CELL), reg->n_systems, 2};
        if (s.cells == NULL) {
            return false;
        }
        for (size_t i = 0; i < reg->n_systems; i++) {
            snprintf(cell(&s, i, 0), CELL, "%s:", reg->systems[i]->key);
            first_sentence(reg->systems[i]->doc, cell(&s, i, 1), CELL);
        }
        fprintf(out, "\nSystem sections (top-level keys expanded into instances and links; "
                     "membox-sim describe KEY):\n");
        table_print(&s, out);
        free(s.cells);
    }
    return true;
}

static bool describe_system(const SimSystemType *sys, FILE *out)
{
    fprintf(out, "%s: (system section)\n  %s\n", sys->key, sys->doc);
    return true;
}

static void range_text(const SimParamDesc *d, char *buf, size_t size)
{
    if (d->type == SIM_PARAM_ENUM && d->choices != NULL) {
        size_t used = 0;
        buf[0] = '\0';
        for (size_t i = 0; d->choices[i] != NULL && used < size; i++) {
            int k = snprintf(buf + used, size - used, "%s%s", i ? "|" : "", d->choices[i]);
            used += k > 0 ? (size_t)k : 0;
        }
    } else if (d->type == SIM_PARAM_OBJECT && d->choices != NULL) {
        snprintf(buf, size, "an instance making %s", d->choices[0]);
    } else if (d->min != NULL && d->max != NULL) {
        snprintf(buf, size, "%s..%s", d->min, d->max);
    } else if (d->min != NULL) {
        snprintf(buf, size, ">= %s", d->min);
    } else if (d->max != NULL) {
        snprintf(buf, size, "<= %s", d->max);
    } else {
        snprintf(buf, size, "-");
    }
}

/* The statistics table: one line per row (a group row with its placeholder), then what each
 * group's placeholder runs over and what keys the kinds with several values write. */
static void describe_stats(const SimStatTable *st, Table *t, FILE *out)
{
    fprintf(out, "\nStatistics (docs/stats.md):\n");
    if (st == NULL || st->n_rows == 0) {
        fprintf(out, "  (none)\n");
        return;
    }
    t->cols = 4;
    snprintf(cell(t, 0, 0), CELL, "statistic");
    snprintf(cell(t, 0, 1), CELL, "kind");
    snprintf(cell(t, 0, 2), CELL, "unit");
    snprintf(cell(t, 0, 3), CELL, "description");
    bool kinds[SIM_STAT_KIND_MAX] = {false};
    for (size_t i = 0; i < st->n_rows; i++) {
        const SimStatDesc *r = &st->rows[i];
        snprintf(cell(t, i + 1, 0), CELL, "%s", r->name);
        snprintf(cell(t, i + 1, 1), CELL, "%s", sim_stat_kind_name(r->kind));
        snprintf(cell(t, i + 1, 2), CELL, "%s", r->unit != NULL ? r->unit : "-");
        snprintf(cell(t, i + 1, 3), CELL, "%s", r->doc != NULL ? r->doc : "");
        kinds[r->kind] = true;
    }
    t->rows = st->n_rows + 1;
    table_print(t, out);
    for (size_t g = 0; g < st->n_groups; g++) {
        fprintf(out, "  %s: %s\n", st->groups[g].placeholder, st->groups[g].doc);
    }
    if (kinds[SIM_STAT_TIMEAVG]) {
        fprintf(out, "  A time-avg writes KEY.avg and KEY.max.\n");
    }
    if (kinds[SIM_STAT_HIST]) {
        fprintf(out, "  A histogram writes KEY.count (samples) and KEY.min, .avg, .p50, .p90, "
                     ".p99, .p999, .max.\n");
    }
    /* The rows the run summary shows, with their section (SimStatTable.roles). */
    for (size_t i = 0; i < st->n_roles; i++) {
        fprintf(out, "%s%s (%s)%s", i == 0 ? "  In the run summary: " : ", ", st->roles[i].name,
                sim_stat_role_name(st->roles[i].role), i + 1 == st->n_roles ? ".\n" : "");
    }
}

static bool describe_type(const SimModelType *type, FILE *out)
{
    size_t rows = type->n_params > type->n_ports ? type->n_params : type->n_ports;
    if (type->stats != NULL && type->stats->n_rows > rows) {
        rows = type->stats->n_rows;
    }
    rows++;
    Table t = {calloc(rows * DESCRIBE_COLS, CELL), 0, DESCRIBE_COLS};
    if (t.cells == NULL) {
        return false;
    }
    fprintf(out, "%s\n", type->name);
    if (type->doc != NULL) {
        fprintf(out, "  %s\n", type->doc);
    }
    fprintf(out, "\nParameters:\n");
    if (type->n_params == 0) {
        fprintf(out, "  (none)\n");
    } else {
        snprintf(cell(&t, 0, 0), CELL, "key");
        snprintf(cell(&t, 0, 1), CELL, "type");
        snprintf(cell(&t, 0, 2), CELL, "default");
        snprintf(cell(&t, 0, 3), CELL, "range");
        snprintf(cell(&t, 0, 4), CELL, "description");
        for (size_t i = 0; i < type->n_params; i++) {
            const SimParamDesc *d = &type->params[i];
            snprintf(cell(&t, i + 1, 0), CELL, "%s", d->key);
            snprintf(cell(&t, i + 1, 1), CELL, "%s", sim_param_type_name(d->type));
            snprintf(cell(&t, i + 1, 2), CELL, "%s", d->def != NULL ? d->def : "(required)");
            range_text(d, cell(&t, i + 1, 3), CELL);
            snprintf(cell(&t, i + 1, 4), CELL, "%s", d->doc != NULL ? d->doc : "");
        }
        t.rows = type->n_params + 1;
        table_print(&t, out);
    }
    bool seen[SIM_PARAM_TYPE_MAX] = {false};
    bool any = false;
    for (size_t i = 0; i < type->n_params; i++) {
        SimParamType pt = type->params[i].type;
        if (type_units(pt) != NULL && !seen[pt]) {
            if (!any) {
                fprintf(out, "\nUnits:\n");
                any = true;
            }
            fprintf(out, "  %s: %s\n", sim_param_type_name(pt), type_units(pt));
            seen[pt] = true;
        }
    }
    fprintf(out, "\nPorts:\n");
    if (type->n_ports == 0) {
        fprintf(out, "  (none)\n");
    } else {
        memset(t.cells, 0, rows * DESCRIBE_COLS * CELL);
        t.cols = 4;
        snprintf(cell(&t, 0, 0), CELL, "port");
        snprintf(cell(&t, 0, 1), CELL, "direction");
        snprintf(cell(&t, 0, 2), CELL, "connection");
        snprintf(cell(&t, 0, 3), CELL, "description");
        for (size_t i = 0; i < type->n_ports; i++) {
            const SimPortDesc *p = &type->ports[i];
            snprintf(cell(&t, i + 1, 0), CELL, "%s", p->name);
            snprintf(cell(&t, i + 1, 1), CELL, "%s", p->dir == SIM_PORT_IN ? "in" : "out");
            snprintf(cell(&t, i + 1, 2), CELL, "%s", p->optional ? "optional" : "required");
            snprintf(cell(&t, i + 1, 3), CELL, "%s", p->doc != NULL ? p->doc : "");
        }
        t.rows = type->n_ports + 1;
        table_print(&t, out);
    }
    memset(t.cells, 0, rows * DESCRIBE_COLS * CELL);
    describe_stats(type->stats, &t, out);
    free(t.cells);
    return true;
}

bool sim_config_describe(const SimRegistry *reg, const char *type_name, FILE *out)
{
    if (type_name == NULL) {
        return describe_all(reg, out);
    }
    const SimModelType *type = sim_config_find_type(reg, type_name);
    if (type != NULL) {
        return describe_type(type, out);
    }
    for (size_t i = 0; i < reg->n_systems; i++) {
        if (strcmp(reg->systems[i]->key, type_name) == 0) {
            return describe_system(reg->systems[i], out);
        }
    }
    return false;
}
