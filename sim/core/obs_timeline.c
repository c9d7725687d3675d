/*
 * The timeline writer (docs/outputs.md): the Chrome trace event format (JSON object form) that
 * ui.perfetto.dev and chrome://tracing open. A process per instance, a thread per component
 * (its own slices: DMA transfers, DRAM bursts, workload phases, retries), and per port an
 * asynchronous track of its hops: each entry from its push to its pop. Times are written in
 * microseconds with six decimals, so exact to the picosecond.
 */
#include "observe_internal.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static void put_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') {
            fputc('\\', f);
            fputc(ch, f);
        } else if (ch < 0x20) {
            fprintf(f, "\\u%04x", ch);
        } else {
            fputc(ch, f);
        }
    }
    fputc('"', f);
}

static void put_ts(FILE *f, const char *key, SimTime t)
{
    fprintf(f, ",\"%s\":%" PRIu64 ".%06" PRIu64, key, t / 1000000, t % 1000000);
}

/* Opens an event object: the separator, ph, name, pid, tid. */
static void ev_open(ObsTimeline *tl, char ph, const char *name, uint32_t pid, uint32_t tid)
{
    FILE *f = tl->file.f;
    fputs(tl->first ? "\n" : ",\n", f);
    tl->first = false;
    fprintf(f, "{\"ph\":\"%c\",\"name\":", ph);
    put_str(f, name);
    fprintf(f, ",\"pid\":%u,\"tid\":%u", pid, tid);
    tl->events++;
}

static bool in_window(const ObsTimeline *tl, SimTime start, SimTime end)
{
    return end >= tl->from && start <= tl->until;
}

void sim_track_slice(SimTrack *tr, const char *name, SimTime start, SimTime end, uint64_t arg)
{
    ObsTimeline *tl = tr->tl;
    if (!in_window(tl, start, end)) {
        return;
    }
    ev_open(tl, 'X', name, tr->pid, tr->tid);
    put_ts(tl->file.f, "ts", start);
    put_ts(tl->file.f, "dur", end - start);
    fprintf(tl->file.f, ",\"args\":{\"v\":%" PRIu64 "}}", arg);
}

static void async_pair(ObsTimeline *tl, const char *cat, const char *name, uint32_t pid,
                       uint32_t tid, SimTime start, SimTime end, const char *args)
{
    uint64_t id = ++tl->next_id;
    FILE *f = tl->file.f;
    ev_open(tl, 'b', name, pid, tid);
    fprintf(f, ",\"cat\":\"%s\",\"id\":%" PRIu64, cat, id);
    put_ts(f, "ts", start);
    fprintf(f, ",\"args\":{%s}}", args);
    ev_open(tl, 'e', name, pid, tid);
    fprintf(f, ",\"cat\":\"%s\",\"id\":%" PRIu64, cat, id);
    put_ts(f, "ts", end);
    fputc('}', f);
}

void sim_track_async(SimTrack *tr, const char *name, uint64_t id, SimTime start, SimTime end,
                     uint64_t arg)
{
    ObsTimeline *tl = tr->tl;
    if (!in_window(tl, start, end)) {
        return;
    }
    char args[96];
    snprintf(args, sizeof(args), "\"id\":%" PRIu64 ",\"v\":%" PRIu64, id, arg);
    async_pair(tl, "model", name, tr->pid, tr->tid, start, end, args);
}

void sim_track_instant(SimTrack *tr, const char *name, SimTime t, uint64_t arg)
{
    ObsTimeline *tl = tr->tl;
    if (!in_window(tl, t, t)) {
        return;
    }
    ev_open(tl, 'i', name, tr->pid, tr->tid);
    fputs(",\"s\":\"t\"", tl->file.f);
    put_ts(tl->file.f, "ts", t);
    fprintf(tl->file.f, ",\"args\":{\"v\":%" PRIu64 "}}", arg);
}

/* The port tap: a hop is an entry's stay in the port, push to pop. */
static void hop_tap(void *ctx, const SimPort *port, SimTapEvent ev, const SimPacket *pkt,
                    SimTime now, SimTime visible)
{
    (void)visible;
    ObsHop *h = ctx;
    if (ev == SIM_TAP_PUSH) {
        uint32_t k = h->head + h->count;
        if (k >= port->capacity) {
            k -= port->capacity;
        }
        h->pushed[k] = now;
        h->count++;
        return;
    }
    SimTime pushed = h->pushed[h->head];
    if (++h->head == port->capacity) {
        h->head = 0;
    }
    h->count--;
    ObsTimeline *tl = h->tl;
    if (pkt->id % tl->sample != 0 || !in_window(tl, pushed, now)) {
        return;
    }
    char args[160];
    snprintf(args, sizeof(args),
             "\"pkt\":%" PRIu64 ",\"type\":%u,\"len\":%u,\"addr\":%" PRIu64 ",\"src\":%u", pkt->id,
             pkt->type, pkt->len, pkt->addr, pkt->src);
    async_pair(tl, "hop", port->name, h->pid, 0, pushed, now, args);
}

/* Length of the instance part of a component name ("mb_p0" of "mb_p0.lanes"). */
static size_t instance_len(const char *name)
{
    const char *dot = strchr(name, '.');
    return dot ? (size_t)(dot - name) : strlen(name);
}

bool obs_timeline_open(ObsTimeline *tl, Sim *sim, const SimObserveOptions *o, SimError *err)
{
    tl->sim = sim;
    tl->from = o->timeline_from;
    tl->until = o->timeline_until;
    tl->sample = o->timeline_sample ? o->timeline_sample : 1;
    tl->first = true;
    tl->tracks = calloc(sim->n_components + 1, sizeof(*tl->tracks));
    tl->hops = calloc(sim->n_ports + 1, sizeof(*tl->hops));
    uint32_t *pid_of = calloc(sim->n_components + 1, sizeof(*pid_of));
    if (tl->tracks == NULL || tl->hops == NULL || pid_of == NULL) {
        free(pid_of);
        return sim_error_oom(err, o->timeline);
    }
    if (!obs_file_open(&tl->file, o->timeline, err)) {
        free(pid_of);
        return false;
    }
    FILE *f = tl->file.f;
    fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[", f);
    /* Processes: instances in order of their first component; pid = 1 + that index. */
    for (uint32_t i = 0; i < sim->n_components; i++) {
        const char *name = sim->components[i]->name;
        size_t n = instance_len(name);
        uint32_t pid = i + 1;
        for (uint32_t j = 0; j < i; j++) {
            const char *other = sim->components[j]->name;
            if (instance_len(other) == n && strncmp(other, name, n) == 0) {
                pid = pid_of[j];
                break;
            }
        }
        pid_of[i] = pid;
        char inst[256];
        snprintf(inst, sizeof(inst), "%.*s", (int)n, name);
        if (pid == i + 1) {
            ev_open(tl, 'M', "process_name", pid, 0);
            fputs(",\"args\":{\"name\":", f);
            put_str(f, inst);
            fputs("}}", f);
        }
        if (!obs_select(o->timeline_select, name) && !obs_select(o->timeline_select, inst)) {
            continue;
        }
        SimComponent *c = sim->components[i];
        tl->tracks[i] = (SimTrack){.tl = tl, .pid = pid, .tid = i + 1};
        c->track = &tl->tracks[i];
        ev_open(tl, 'M', "thread_name", pid, i + 1);
        fputs(",\"args\":{\"name\":", f);
        put_str(f, name);
        fputs("}}", f);
    }
    for (uint32_t i = 0; i < sim->n_ports; i++) {
        SimPort *p = sim->ports[i];
        uint32_t ci = p->consumer->index;
        if (p->tap != NULL || (!obs_select(o->timeline_select, p->name) &&
                               !obs_select(o->timeline_select, p->consumer->name) &&
                               !obs_select(o->timeline_select, p->producer->name))) {
            continue;
        }
        ObsHop *h = &tl->hops[tl->n_hops];
        h->pushed = calloc(p->capacity, sizeof(*h->pushed));
        if (h->pushed == NULL) {
            free(pid_of);
            return sim_error_oom(err, p->name);
        }
        h->tl = tl;
        h->port = p;
        h->pid = pid_of[ci];
        tl->n_hops++;
        sim_port_set_tap(p, hop_tap, h);
    }
    free(pid_of);
    if (ferror(f)) {
        return sim_error_set(err, SIM_ERR_INPUT, "%s: cannot write", o->timeline);
    }
    return true;
}

bool obs_timeline_close(ObsTimeline *tl)
{
    FILE *f = tl->file.f;
    fprintf(f,
            "\n],\"otherData\":{\"writer\":\"membox-sim --timeline\",\"events\":%" PRIu64
            ",\"window_from_ps\":%" PRIu64,
            tl->events, tl->from);
    if (tl->until != SIM_TIME_NEVER) {
        fprintf(f, ",\"window_until_ps\":%" PRIu64, tl->until);
    }
    fprintf(f, ",\"sample\":%" PRIu64 "}}\n", tl->sample);
    return !ferror(f);
}

void obs_timeline_free(ObsTimeline *tl)
{
    obs_file_abort(&tl->file);
    for (uint32_t i = 0; i < tl->n_hops; i++) {
        sim_port_set_tap(tl->hops[i].port, NULL, NULL);
        free(tl->hops[i].pushed);
    }
    if (tl->tracks != NULL && tl->sim != NULL) {
        for (uint32_t i = 0; i < tl->sim->n_components; i++) {
            if (tl->sim->components[i]->track == &tl->tracks[i]) {
                tl->sim->components[i]->track = NULL;
            }
        }
    }
    free(tl->hops);
    free(tl->tracks);
}
