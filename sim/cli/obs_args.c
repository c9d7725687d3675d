/* The observation options of `run` and `dram` (obs_args.h). */
#include "sim/cli/obs_args.h"

#include <stdio.h>
#include <string.h>

#include "sim/config/units.h"

static int take_time(const char *opt, const char *val, SimTime *out, char *why, size_t n)
{
    char inner[200];
    if (!sim_parse_time(val, out, inner, sizeof(inner))) {
        snprintf(why, n, "%s '%s': %s", opt, val, inner);
        return -1;
    }
    return 1;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s);
    size_t b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

int obs_args_parse(SimObserveOptions *o, int argc, char **argv, int *i, char *why, size_t why_size)
{
    static const char *const opts[] = {
        "--vcd",
        "--vcd-select",
        "--vcd-from",
        "--vcd-until",
        "--timeline",
        "--timeline-select",
        "--timeline-from",
        "--timeline-until",
        "--timeline-sample",
        "--stats-interval",
        "--interval-out",
    };
    const char *arg = argv[*i];
    size_t k = 0;
    while (k < sizeof(opts) / sizeof(opts[0]) && strcmp(arg, opts[k]) != 0) {
        k++;
    }
    if (k == sizeof(opts) / sizeof(opts[0])) {
        return 0;
    }
    if (*i + 1 >= argc) {
        snprintf(why, why_size, "option '%s' needs a value", arg);
        return -1;
    }
    const char *val = argv[++*i];
    switch (k) {
    case 0:
        o->vcd = val;
        return 1;
    case 1:
        o->vcd_select = val;
        return 1;
    case 2:
        return take_time(arg, val, &o->vcd_from, why, why_size);
    case 3:
        return take_time(arg, val, &o->vcd_until, why, why_size);
    case 4:
        o->timeline = val;
        return 1;
    case 5:
        o->timeline_select = val;
        return 1;
    case 6:
        return take_time(arg, val, &o->timeline_from, why, why_size);
    case 7:
        return take_time(arg, val, &o->timeline_until, why, why_size);
    case 8: {
        char inner[200];
        if (!sim_parse_uint(val, &o->timeline_sample, inner, sizeof(inner))) {
            snprintf(why, why_size, "%s '%s': %s", arg, val, inner);
            return -1;
        }
        if (o->timeline_sample == 0) {
            snprintf(why, why_size, "%s '%s': must be at least 1", arg, val);
            return -1;
        }
        return 1;
    }
    case 9:
        if (take_time(arg, val, &o->interval, why, why_size) < 0) {
            return -1;
        }
        if (o->interval == 0) {
            snprintf(why, why_size, "%s '%s': must be more than 0", arg, val);
            return -1;
        }
        return 1;
    default: {
        const char **slot = ends_with(val, ".csv") ? &o->interval_csv : &o->interval_json;
        if (*slot != NULL) {
            snprintf(why, why_size, "%s '%s': a %s output was already given ('%s')", arg, val,
                     slot == &o->interval_csv ? "CSV" : "JSON lines", *slot);
            return -1;
        }
        *slot = val;
        return 1;
    }
    }
}

bool obs_args_check(const SimObserveOptions *o, char *why, size_t why_size)
{
    if (o->vcd == NULL &&
        (o->vcd_select != NULL || o->vcd_from != 0 || o->vcd_until != SIM_TIME_NEVER)) {
        snprintf(why, why_size, "--vcd-select, --vcd-from and --vcd-until need --vcd FILE");
        return false;
    }
    if (o->timeline == NULL && (o->timeline_select != NULL || o->timeline_from != 0 ||
                                o->timeline_until != SIM_TIME_NEVER || o->timeline_sample != 1)) {
        snprintf(why, why_size,
                 "--timeline-select, --timeline-from, --timeline-until and --timeline-sample "
                 "need --timeline FILE");
        return false;
    }
    if (o->vcd_until != SIM_TIME_NEVER && o->vcd_until < o->vcd_from) {
        snprintf(why, why_size, "--vcd-until is before --vcd-from");
        return false;
    }
    if (o->timeline_until != SIM_TIME_NEVER && o->timeline_until < o->timeline_from) {
        snprintf(why, why_size, "--timeline-until is before --timeline-from");
        return false;
    }
    if ((o->interval != 0) != (o->interval_json != NULL || o->interval_csv != NULL)) {
        snprintf(why, why_size,
                 o->interval != 0 ? "--stats-interval needs --interval-out FILE"
                                  : "--interval-out needs --stats-interval TIME");
        return false;
    }
    return true;
}
