/*
 * Statistics per interval (docs/outputs.md), as gem5's periodic dumps: at every multiple of
 * the interval T, the change of every counter and histogram count since the previous boundary,
 * and the time-weighted average of every occupancy over the interval, as one JSON line and one
 * CSV row. A boundary B is written when the kernel begins the first instant at or after B,
 * before anything at that instant runs, so what happened at time t is in the interval holding t
 * whatever kernel ran; the last interval ends with the run (after the components' finish ops),
 * so the intervals of a counter add up to its end-of-run total.
 */
#include "observe_internal.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

__extension__ typedef unsigned __int128 IvU128;

/* Integral of a time-weighted value up to B (B at or after its last change). */
static IvU128 timeavg_area(const SimTimeAvg *a, SimTime b)
{
    IvU128 area = ((IvU128)a->area_hi << 64) | a->area_lo;
    if (b > a->since) {
        area += (IvU128)a->value * (IvU128)(b - a->since);
    }
    return area;
}

/* A port's occupancy integral up to B, modulo 2^64 (kernel.h). */
static uint64_t port_area(const SimPort *p, SimTime b)
{
    return p->pop_time_sum - p->push_time_sum + (uint64_t)p->count * b;
}

static const char *col_suffix(IvKind k, int which)
{
    switch (k) {
    case IV_COUNTER:
        return "";
    case IV_TIMEAVG:
    case IV_PORT:
        return ".avg";
    case IV_HIST:
        return which == 0 ? ".count" : ".avg";
    }
    return "";
}

static void put_num(FILE *f, double v)
{
    fprintf(f, "%.9g", v);
}

/* Write the interval [a, b] and take the new reference values. */
static void write_interval(ObsInterval *iv, SimTime a, SimTime b)
{
    FILE *j = iv->json.f;
    FILE *c = iv->csv.f;
    if (j != NULL) {
        fprintf(j,
                "{\"interval\":%" PRIu64 ",\"t0_ps\":%" PRIu64 ",\"t1_ps\":%" PRIu64 ",\"stats\":{",
                iv->index, a, b);
    }
    if (c != NULL) {
        fprintf(c, "%" PRIu64 ",%" PRIu64 ",%" PRIu64, iv->index, a, b);
    }
    const double len = (double)(b - a);
    for (uint32_t i = 0; i < iv->n_cols; i++) {
        IvCol *col = &iv->cols[i];
        const SimStatEntry *e = col->e;
        const char *sep = i ? "," : "";
        switch (col->kind) {
        case IV_COUNTER: {
            uint64_t now = *(const uint64_t *)e->field;
            uint64_t d = now - col->prev;
            col->prev = now;
            if (e->scale == 1.0) {
                if (j) {
                    fprintf(j, "%s\"%s\":%" PRIu64, sep, e->key, d);
                }
                if (c) {
                    fprintf(c, ",%" PRIu64, d);
                }
            } else {
                if (j) {
                    fprintf(j, "%s\"%s\":", sep, e->key);
                    put_num(j, (double)d / e->scale);
                }
                if (c) {
                    fputc(',', c);
                    put_num(c, (double)d / e->scale);
                }
            }
            break;
        }
        case IV_TIMEAVG:
        case IV_PORT: {
            IvU128 area;
            if (col->kind == IV_PORT) {
                area = port_area(col->port, b);
                area = (uint64_t)((uint64_t)area - col->prev);
                col->prev = port_area(col->port, b);
            } else {
                IvU128 now = timeavg_area(e->field, b);
                IvU128 prev = ((IvU128)col->prev_hi << 64) | col->prev;
                area = now - prev;
                col->prev = (uint64_t)now;
                col->prev_hi = (uint64_t)(now >> 64);
            }
            if (j) {
                fprintf(j, "%s\"%s.avg\":", sep, e->key);
            }
            if (c) {
                fputc(',', c);
            }
            if (len > 0) {
                double v = (double)area / len / e->scale;
                if (j) {
                    put_num(j, v);
                }
                if (c) {
                    put_num(c, v);
                }
            } else if (j) {
                fputs("null", j);
            }
            break;
        }
        case IV_HIST: {
            const SimHist *h = e->field;
            uint64_t n = h->count - col->prev;
            IvU128 sum = ((IvU128)h->sum_hi << 64) | h->sum_lo;
            IvU128 prev = ((IvU128)col->prev_x << 64) | col->prev_hi;
            IvU128 ds = sum - prev;
            col->prev = h->count;
            col->prev_hi = h->sum_lo;
            col->prev_x = h->sum_hi;
            if (j) {
                fprintf(j, "%s\"%s.count\":%" PRIu64 ",\"%s.avg\":", sep, e->key, n, e->key);
            }
            if (c) {
                fprintf(c, ",%" PRIu64 ",", n);
            }
            if (n > 0) {
                double v = (double)ds / (double)n / e->scale;
                if (j) {
                    put_num(j, v);
                }
                if (c) {
                    put_num(c, v);
                }
            } else if (j) {
                fputs("null", j);
            }
            break;
        }
        }
    }
    if (j) {
        fputs("}}\n", j);
    }
    if (c) {
        fputc('\n', c);
    }
    iv->index++;
}

bool obs_interval_open(ObsInterval *iv, Sim *sim, const SimObserveOptions *o, SimError *err)
{
    const SimStats *st = sim->stats;
    iv->period = o->interval;
    iv->start = 0;
    iv->next = o->interval;
    iv->cols = calloc(st->n_entries + 1, sizeof(*iv->cols));
    if (iv->cols == NULL) {
        return sim_error_oom(err, "--stats-interval");
    }
    for (size_t i = 0; i < st->n_entries; i++) {
        const SimStatEntry *e = &st->entries[i];
        IvCol col = {.e = e};
        if (e->kind == SIM_STAT_COUNTER) {
            col.kind = IV_COUNTER;
        } else if (e->kind == SIM_STAT_HIST) {
            col.kind = IV_HIST;
        } else if (e->kind == SIM_STAT_TIMEAVG) {
            col.kind = IV_TIMEAVG;
            size_t kl = strlen(e->key);
            if (kl > 10 && strcmp(e->key + kl - 10, ".occupancy") == 0) {
                for (uint32_t k = 0; k < sim->n_ports; k++) {
                    if (e->field == &sim->ports[k]->occupancy) {
                        col.kind = IV_PORT;
                        col.port = sim->ports[k];
                        break;
                    }
                }
            }
        } else {
            continue; /* reals are derived at the end of the run */
        }
        iv->cols[iv->n_cols++] = col;
    }
    if (o->interval_json != NULL) {
        if (!obs_file_open(&iv->json, o->interval_json, err)) {
            return false;
        }
        fprintf(iv->json.f,
                "{\"schema\":\"membox-sim-intervals/1\",\"interval_ps\":%" PRIu64
                ",\"columns\":%u}\n",
                iv->period, iv->n_cols);
    }
    if (o->interval_csv != NULL) {
        if (!obs_file_open(&iv->csv, o->interval_csv, err)) {
            return false;
        }
        FILE *c = iv->csv.f;
        fputs("interval,t0_ps,t1_ps", c);
        for (uint32_t i = 0; i < iv->n_cols; i++) {
            const IvCol *col = &iv->cols[i];
            fprintf(c, ",%s%s", col->e->key, col_suffix(col->kind, 0));
            if (col->kind == IV_HIST) {
                fprintf(c, ",%s%s", col->e->key, col_suffix(col->kind, 1));
            }
        }
        fputc('\n', c);
    }
    return true;
}

void obs_interval_flush(ObsInterval *iv, SimTime t)
{
    while (iv->next <= t) {
        write_interval(iv, iv->start, iv->next);
        iv->start = iv->next;
        iv->next += iv->period;
    }
}

void obs_interval_finish(ObsInterval *iv, SimTime end)
{
    obs_interval_flush(iv, end);
    write_interval(iv, iv->start, end);
}

void obs_interval_free(ObsInterval *iv)
{
    obs_file_abort(&iv->json);
    obs_file_abort(&iv->csv);
    free(iv->cols);
}
