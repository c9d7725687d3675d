/*
 * The flat form of a loaded topology (`membox-sim expand`): the `sim` and `domains` sections as
 * written, then every instance (system sections expanded, `defaults` and presets applied, so
 * each lists every key it was given, in its type's table order) and every link, in build order.
 * Loading the flat form builds the same instances with the same values in the same order, so
 * it runs to the same statistics.
 *
 * Paths (SIM_PARAM_PATH values) are resolved where they were written and written again
 * relative to the folder the flat file goes to, so the flat file works from there.
 */
#include "config_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- paths ---- */

/* An absolute, lexically normalised copy of path ("a/./b/../c" -> "/cwd/a/c"); NULL if out of
 * memory or the working folder cannot be read. */
static char *absolute(const char *path)
{
    char cwd[4096];
    if (path[0] != '/' && getcwd(cwd, sizeof(cwd)) == NULL) {
        return NULL;
    }
    size_t n = strlen(path) + (path[0] == '/' ? 0 : strlen(cwd) + 1) + 2;
    char *joined = malloc(n);
    char *out = malloc(n);
    if (joined == NULL || out == NULL) {
        free(joined);
        free(out);
        return NULL;
    }
    snprintf(joined, n, "%s%s%s", path[0] == '/' ? "" : cwd, path[0] == '/' ? "" : "/", path);
    /* Segment by segment: "." is dropped, ".." drops the previous segment. */
    size_t len = 0;
    for (const char *p = joined; *p != '\0';) {
        while (*p == '/') {
            p++;
        }
        const char *end = strchr(p, '/');
        size_t seg = end != NULL ? (size_t)(end - p) : strlen(p);
        if (seg == 0) {
            break;
        }
        if (seg == 1 && p[0] == '.') {
            /* nothing */
        } else if (seg == 2 && p[0] == '.' && p[1] == '.') {
            while (len > 0 && out[len - 1] != '/') {
                len--;
            }
            if (len > 0) {
                len--; /* the slash */
            }
        } else {
            out[len++] = '/';
            memcpy(out + len, p, seg);
            len += seg;
        }
        p += seg;
    }
    if (len == 0) {
        out[len++] = '/';
    }
    out[len] = '\0';
    free(joined);
    return out;
}

/* target relative to the folder dir, both absolute and normalised: "../traces/x.trace". */
static char *relative(const char *target, const char *dir)
{
    /* The longest common prefix of whole segments. */
    size_t common = 0;
    for (size_t i = 1;; i++) {
        bool t_end = target[i] == '/' || target[i] == '\0';
        bool d_end = dir[i] == '/' || dir[i] == '\0';
        if (t_end && d_end) {
            common = i;
        }
        if (target[i] != dir[i] || target[i] == '\0') {
            break;
        }
    }
    size_t ups = 0;
    for (size_t i = common; dir[i] != '\0'; i++) {
        ups += dir[i] == '/';
    }
    if (dir[1] == '\0') {
        ups = 0; /* dir is the root */
    }
    const char *rest = target + common + (target[common] == '/');
    char *out = malloc(3 * ups + strlen(rest) + 2);
    if (out == NULL) {
        return NULL;
    }
    size_t len = 0;
    for (size_t i = 0; i < ups; i++) {
        memcpy(out + len, "../", 3);
        len += 3;
    }
    strcpy(out + len, rest);
    if (out[0] == '\0') {
        strcpy(out, ".");
    }
    return out;
}

/* ---- YAML scalars ---- */

/* A plain scalar when it cannot be read as anything else in a flow mapping, else quoted. */
static void put_scalar(FILE *f, const char *s)
{
    bool plain = s[0] != '\0' && s[0] != '-' && s[0] != ':';
    for (const char *p = s; *p != '\0' && plain; p++) {
        char ch = *p;
        plain = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                ch == '_' || ch == '.' || ch == '/' || ch == '+' || ch == '-' ||
                (ch == ':' && p[1] != '\0' && p[1] != ' ');
    }
    if (plain) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (const char *p = s; *p != '\0'; p++) {
        if (*p == '"' || *p == '\\') {
            fputc('\\', f);
        }
        fputc(*p, f);
    }
    fputc('"', f);
}

/* A mapping of scalars written in the file, as a flow mapping; false if a value is not one. */
static void put_flow_map(FILE *f, const CfgNode *map)
{
    fputc('{', f);
    for (size_t i = 0; i < map->n; i++) {
        fputs(i ? ", " : "", f);
        put_scalar(f, map->pairs[i].key->text);
        fputs(": ", f);
        put_scalar(f, map->pairs[i].value->text);
    }
    fputc('}', f);
}

/* ---- the flat form ---- */

static bool write_instance(const SimConfig *c, const CfgInstance *in, const char *dir, FILE *f)
{
    const SimModelType *t = in->type;
    fputs("  ", f);
    put_scalar(f, in->name);
    fputs(": {type: ", f);
    put_scalar(f, t->name);
    for (size_t i = 0; i < t->n_params; i++) {
        if (in->given[i] == NULL) {
            continue;
        }
        fputs(", ", f);
        put_scalar(f, t->params[i].key);
        fputs(": ", f);
        if (t->params[i].type == SIM_PARAM_PATH) {
            const char *path;
            memcpy(&path, (const char *)in->params + t->params[i].offset, sizeof(path));
            char *abs = absolute(path);
            char *rel = abs != NULL ? relative(abs, dir) : NULL;
            free(abs);
            if (rel == NULL) {
                return false;
            }
            put_scalar(f, rel);
            free(rel);
        } else {
            put_scalar(f, in->given[i]->text);
        }
    }
    fputs("}\n", f);
    (void)c;
    return true;
}

bool sim_config_write_flat(const SimConfig *c, const char *out_dir, FILE *f, SimError *err)
{
    char *dir = absolute(out_dir != NULL && out_dir[0] != '\0' ? out_dir : ".");
    if (dir == NULL) {
        return sim_error_set(err, SIM_ERR_INPUT, "%s: cannot resolve the output folder: %s",
                             out_dir ? out_dir : ".", strerror(errno ? errno : ENOMEM));
    }
    fprintf(f, "# %s, expanded by membox-sim expand: every instance and link as built.\n", c->path);
    const CfgNode *sim = cfg_map_get(c->root, "sim");
    if (sim != NULL && sim->kind == CFG_NODE_MAP && sim->n > 0) {
        fputs("sim: ", f);
        put_flow_map(f, sim);
        fputc('\n', f);
    }
    /* Domains the file set, in the order they are built (built-ins first). */
    bool any = false;
    for (size_t i = 0; i < c->n_domains; i++) {
        const CfgDomain *d = &c->domains[i];
        if (d->node == NULL) {
            continue;
        }
        fputs(any ? "" : "domains:\n", f);
        any = true;
        fputs("  ", f);
        put_scalar(f, d->name);
        fprintf(f, ": {freq: %lluHz, phase: %llups}\n", (unsigned long long)d->hz,
                (unsigned long long)d->phase);
    }
    fputs("instances:\n", f);
    bool ok = true;
    for (size_t i = 0; i < c->n_instances && ok; i++) {
        ok = write_instance(c, &c->instances[i], dir, f);
    }
    if (ok && c->n_links > 0) {
        fputs("links:\n", f);
        for (size_t k = 0; k < c->n_links; k++) {
            const CfgLink *ln = &c->links[k];
            const CfgInstance *from = &c->instances[ln->from];
            const CfgInstance *to = &c->instances[ln->to];
            fprintf(f, "  - {from: %s:%s, to: %s:%s, depth: %u, latency: %u, sync: %u}\n",
                    from->name, from->type->ports[ln->from_port].name, to->name,
                    to->type->ports[ln->to_port].name, ln->depth, ln->latency, ln->sync);
        }
    }
    free(dir);
    if (!ok) {
        return sim_error_set(err, SIM_ERR_INPUT, "%s: out of memory", c->path);
    }
    return true;
}
