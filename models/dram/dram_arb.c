#include "dram_arb.h"

#include <string.h>

const char *const dram_arb_policy_names[DRAM_ARB_POLICY_MAX + 1] = {
    [DRAM_ARB_ROUND_ROBIN] = "round_robin",
    [DRAM_ARB_FIXED] = "fixed",
    [DRAM_ARB_WEIGHTED] = "weighted",
    [DRAM_ARB_POLICY_MAX] = NULL,
};

void dram_arb_init(DramArb *a, DramArbPolicy policy, uint32_t n, const uint32_t *weights)
{
    memset(a, 0, sizeof(*a));
    a->policy = policy;
    a->n = n > DRAM_ARB_MAX_PORTS ? DRAM_ARB_MAX_PORTS : n;
    for (uint32_t i = 0; i < a->n; i++) {
        a->weight[i] = weights != NULL && weights[i] > 0 ? weights[i] : 1;
    }
}

/* The first port of mask at or after `from`, in circular order; mask is not empty. */
static uint32_t first_from(uint32_t mask, uint32_t from, uint32_t n)
{
    for (uint32_t k = 0; k < n; k++) {
        uint32_t i = (from + k) % n;
        if ((mask >> i) & 1u) {
            return i;
        }
    }
    return 0;
}

int dram_arb_grant(DramArb *a, uint32_t requesting, const uint32_t *beats)
{
    requesting &= a->n >= 32 ? UINT32_MAX : (1u << a->n) - 1;
    if (requesting == 0) {
        return -1;
    }
    uint32_t g = 0;
    switch (a->policy) {
    case DRAM_ARB_FIXED:
        g = (uint32_t)__builtin_ctz(requesting);
        break;
    case DRAM_ARB_WEIGHTED: {
        /* Ports that (re)start requesting join at the virtual time of the last grant. */
        uint32_t fresh = requesting & ~a->prev_mask;
        for (uint32_t i = 0; i < a->n; i++) {
            if (((fresh >> i) & 1u) && a->pass[i] < a->last_pass) {
                a->pass[i] = a->last_pass;
            }
        }
        bool found = false;
        uint64_t best = 0;
        for (uint32_t k = 0; k < a->n; k++) {
            uint32_t i = (a->rr_next + k) % a->n;
            if (((requesting >> i) & 1u) && (!found || a->pass[i] < best)) {
                best = a->pass[i];
                g = i;
                found = true;
            }
        }
        a->last_pass = a->pass[g];
        uint32_t b = beats != NULL && beats[g] > 0 ? beats[g] : 1;
        a->pass[g] += (uint64_t)b * (DRAM_ARB_STRIDE / a->weight[g]);
        break;
    }
    case DRAM_ARB_ROUND_ROBIN:
    case DRAM_ARB_POLICY_MAX:
    default:
        g = first_from(requesting, a->rr_next, a->n);
        break;
    }
    a->rr_next = (g + 1) % a->n;
    a->prev_mask = requesting;
    return (int)g;
}

bool dram_arb_parse_weights(const char *text, uint32_t *weights, uint32_t n, const char **why)
{
    for (uint32_t i = 0; i < n; i++) {
        weights[i] = 1;
    }
    const char *p = text != NULL ? text : "";
    while (*p == ' ') {
        p++;
    }
    if (*p == '\0') {
        return true;
    }
    uint32_t k = 0;
    for (;;) {
        while (*p == ' ') {
            p++;
        }
        if (*p < '0' || *p > '9') {
            *why = "weights must be a comma-separated list of integers 1..255, e.g. \"4,2,1,1\"";
            return false;
        }
        uint32_t v = 0;
        while (*p >= '0' && *p <= '9') {
            v = v * 10 + (uint32_t)(*p - '0');
            if (v > 255) {
                *why = "a weight is above 255";
                return false;
            }
            p++;
        }
        if (v == 0) {
            *why = "a weight is 0; every port needs at least 1";
            return false;
        }
        if (k >= n) {
            *why = "more weights than ports";
            return false;
        }
        weights[k++] = v;
        while (*p == ' ') {
            p++;
        }
        if (*p == '\0') {
            return true;
        }
        if (*p != ',') {
            *why = "weights must be a comma-separated list of integers 1..255, e.g. \"4,2,1,1\"";
            return false;
        }
        p++;
    }
}
