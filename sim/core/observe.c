/*
 * The observation outputs (observe.h): the signal registry models fill at build time, the
 * temporary-name-and-rename files, and the hooks the kernel calls when Sim.observe is set.
 */
#include "observe_internal.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- the signal registry ---- */

static bool signal_add(Sim *sim, char *key, const SimSignalDesc *row, const void *field,
                       const SimDomain *domain)
{
    if (sim->n_signals == sim->cap_signals) {
        uint32_t cap = sim->cap_signals ? sim->cap_signals * 2 : 64;
        struct SimSignalEntry *e = realloc(sim->signals, cap * sizeof(*e));
        if (e == NULL) {
            return false;
        }
        sim->signals = e;
        sim->cap_signals = cap;
    }
    sim->signals[sim->n_signals++] = (struct SimSignalEntry){
        .key = key,
        .kind = row->kind,
        .field = field,
        .width = row->kind == SIM_SIG_BOOL || row->kind == SIM_SIG_UNTIL ? 1
                 : row->width != 0                                       ? row->width
                                                                         : 64,
        .get = row->get,
        .domain = domain,
    };
    return true;
}

/* "<prefix>.<name>" with "<n>" replaced by index (group rows). */
static char *signal_key(const char *prefix, const char *name, bool group, uint32_t index)
{
    char label[16] = "";
    const char *ph = group ? strstr(name, "<n>") : NULL;
    size_t pre = ph ? (size_t)(ph - name) : strlen(name);
    if (ph) {
        snprintf(label, sizeof(label), "%u", index);
    }
    const char *post = ph ? ph + 3 : "";
    size_t n = strlen(prefix) + 1 + pre + strlen(label) + strlen(post) + 1;
    char *k = malloc(n);
    if (k != NULL) {
        snprintf(k, n, "%s.%.*s%s%s", prefix, (int)pre, name, label, post);
    }
    return k;
}

bool sim_add_signals(Sim *sim, const char *prefix, const SimSignalTable *t,
                     const SimSignalBinding *b, SimError *err)
{
    assert(!sim->running);
    for (size_t r = 0; r < t->n_rows; r++) {
        const SimSignalDesc *row = &t->rows[r];
        assert(row->block < SIM_SIGNAL_BLOCKS);
        assert(row->kind != SIM_SIG_UNTIL || b->domain != NULL);
        assert(row->kind != SIM_SIG_FN || row->get != NULL);
        const char *base = b->block[row->block];
        if (base == NULL) {
            continue;
        }
        uint32_t n = row->group ? b->count : 1;
        for (uint32_t i = 0; i < n; i++) {
            char *key = signal_key(prefix, row->name, row->group, i);
            if (key == NULL ||
                !signal_add(sim, key, row, base + row->offset + i * row->stride, b->domain)) {
                free(key);
                return sim_error_oom(err, prefix);
            }
        }
    }
    return true;
}

void sim_signals_free(Sim *sim)
{
    for (uint32_t i = 0; i < sim->n_signals; i++) {
        free(sim->signals[i].key);
    }
    free(sim->signals);
    sim->signals = NULL;
    sim->n_signals = sim->cap_signals = 0;
}

/* ---- files ---- */

bool obs_file_open(ObsFile *o, const char *path, SimError *err)
{
    o->path = path;
    size_t n = strlen(path) + 32;
    o->tmp = malloc(n);
    if (o->tmp == NULL) {
        return sim_error_oom(err, path);
    }
    snprintf(o->tmp, n, "%s.tmp.%ld", path, (long)getpid());
    o->f = fopen(o->tmp, "w");
    if (o->f == NULL) {
        int e = errno;
        free(o->tmp);
        o->tmp = NULL;
        return sim_error_set(err, SIM_ERR_INPUT, "%s: cannot write: %s", path, strerror(e));
    }
    return true;
}

bool obs_file_commit(ObsFile *o, SimError *err)
{
    if (o->f == NULL) {
        return true;
    }
    bool ok = fflush(o->f) == 0 && !ferror(o->f);
    int e = errno;
    if (fclose(o->f) != 0 && ok) {
        ok = false;
        e = errno;
    }
    o->f = NULL;
    if (ok && rename(o->tmp, o->path) != 0) {
        ok = false;
        e = errno;
    }
    if (!ok) {
        remove(o->tmp);
        sim_error_set(err, SIM_ERR_INPUT, "%s: cannot write: %s", o->path, strerror(e));
    }
    free(o->tmp);
    o->tmp = NULL;
    return ok;
}

void obs_file_abort(ObsFile *o)
{
    if (o->f != NULL) {
        fclose(o->f);
        o->f = NULL;
        remove(o->tmp);
    }
    free(o->tmp);
    o->tmp = NULL;
}

bool obs_select(const char *globs, const char *s)
{
    if (globs == NULL) {
        return true;
    }
    char one[512];
    const char *p = globs;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if (n < sizeof(one)) {
            memcpy(one, p, n);
            one[n] = '\0';
            if (fnmatch(one, s, 0) == 0) {
                return true;
            }
        }
        if (comma == NULL) {
            return false;
        }
        p = comma + 1;
    }
}

/* ---- the outputs together ---- */

void sim_observe_options_default(SimObserveOptions *o)
{
    memset(o, 0, sizeof(*o));
    o->vcd_until = SIM_TIME_NEVER;
    o->timeline_until = SIM_TIME_NEVER;
    o->timeline_sample = 1;
}

bool sim_observe_options_any(const SimObserveOptions *o)
{
    return o->vcd != NULL || o->timeline != NULL || o->interval != 0;
}

SimObserve *sim_observe_open(Sim *sim, const SimObserveOptions *o, const SimRunOptions *opt,
                             SimError *err)
{
    if (!sim->prepared && !sim_prepare(sim, opt, err)) {
        return NULL;
    }
    SimObserve *ob = calloc(1, sizeof(*ob));
    if (ob == NULL) {
        sim_error_oom(err, "outputs");
        return NULL;
    }
    ob->sim = sim;
    if (o->vcd != NULL) {
        ob->vcd = calloc(1, sizeof(*ob->vcd));
        if (ob->vcd == NULL) {
            sim_error_oom(err, o->vcd);
            goto fail;
        }
        if (!obs_vcd_open(ob->vcd, sim, o, err)) {
            goto fail;
        }
    }
    if (o->timeline != NULL) {
        ob->tl = calloc(1, sizeof(*ob->tl));
        if (ob->tl == NULL) {
            sim_error_oom(err, o->timeline);
            goto fail;
        }
        if (!obs_timeline_open(ob->tl, sim, o, err)) {
            goto fail;
        }
    }
    if (o->interval != 0) {
        ob->iv = calloc(1, sizeof(*ob->iv));
        if (ob->iv == NULL) {
            sim_error_oom(err, "--stats-interval");
            goto fail;
        }
        if (!obs_interval_open(ob->iv, sim, o, err)) {
            goto fail;
        }
    }
    sim->observe = ob;
    return ob;

fail:
    sim_observe_free(ob);
    return NULL;
}

void sim_observe_instant_begin(SimObserve *ob, SimTime t)
{
    if (ob->iv != NULL && t >= ob->iv->next) {
        obs_interval_flush(ob->iv, t);
    }
    if (ob->vcd != NULL) {
        obs_vcd_begin(ob->vcd, t);
    }
}

void sim_observe_instant_end(SimObserve *ob, SimTime t)
{
    if (ob->vcd != NULL) {
        obs_vcd_end(ob->vcd, t);
    }
}

void sim_observe_finish(SimObserve *ob, SimTime end)
{
    if (ob->finished) {
        return;
    }
    ob->finished = true;
    if (ob->vcd != NULL) {
        obs_vcd_finish(ob->vcd, end);
    }
    if (ob->iv != NULL) {
        obs_interval_finish(ob->iv, end);
    }
}

bool sim_observe_commit(SimObserve *ob, SimError *err)
{
    bool ok = true;
    if (ob->vcd != NULL) {
        ok = obs_file_commit(&ob->vcd->file, err) && ok;
    }
    if (ob->tl != NULL) {
        if (ok && !obs_timeline_close(ob->tl)) {
            sim_error_set(err, SIM_ERR_INPUT, "%s: cannot write: %s", ob->tl->file.path,
                          strerror(errno));
            ok = false;
        }
        ok = ok && obs_file_commit(&ob->tl->file, err);
    }
    if (ob->iv != NULL) {
        ok = ok && obs_file_commit(&ob->iv->json, err);
        ok = ok && obs_file_commit(&ob->iv->csv, err);
    }
    return ok;
}

void sim_observe_free(SimObserve *ob)
{
    if (ob == NULL) {
        return;
    }
    if (ob->sim->observe == ob) {
        ob->sim->observe = NULL;
    }
    if (ob->vcd != NULL) {
        obs_vcd_free(ob->vcd);
        free(ob->vcd);
    }
    if (ob->tl != NULL) {
        obs_timeline_free(ob->tl);
        free(ob->tl);
    }
    if (ob->iv != NULL) {
        obs_interval_free(ob->iv);
        free(ob->iv);
    }
    free(ob);
}
