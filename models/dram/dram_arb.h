/*
 * DramArb: the grant decision of the multi-port arbiter in front of the DDR3 controller (the
 * Qsys-generated arbiter of the MemBox, membox-facts.md section 3), free of the kernel. Given
 * which ports request and how many beats each head request occupies the bus for, it names the
 * port to grant. The caller holds the grant for all the beats of that burst (burst-aware: a
 * granted multi-beat burst is never split) and asks again afterwards.
 *
 *   round_robin  the first requesting port after the last one granted (Qsys default)
 *   fixed        the lowest-numbered requesting port
 *   weighted     stride scheduling over beats: each port has a pass value that advances by
 *                beats x STRIDE / weight when granted; the requesting port with the lowest
 *                pass wins (ties: round-robin order). A port that stopped requesting re-enters
 *                at the pass of the last grant, so idling earns no credit. Saturating ports get
 *                beats in proportion to their weights (exactly for weights dividing STRIDE,
 *                which all weights 1..16 do).
 */
#ifndef MEMBOX_DRAM_ARB_H
#define MEMBOX_DRAM_ARB_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DRAM_ARB_MAX_PORTS 17
#define DRAM_ARB_STRIDE    720720u /* lcm(1..16) */

typedef enum DramArbPolicy {
    DRAM_ARB_ROUND_ROBIN = 0,
    DRAM_ARB_FIXED,
    DRAM_ARB_WEIGHTED,
    DRAM_ARB_POLICY_MAX
} DramArbPolicy;

extern const char *const dram_arb_policy_names[DRAM_ARB_POLICY_MAX + 1];

typedef struct DramArb {
    DramArbPolicy policy;
    uint32_t n;
    uint32_t weight[DRAM_ARB_MAX_PORTS];
    uint32_t rr_next;                  /* round-robin pointer */
    uint64_t pass[DRAM_ARB_MAX_PORTS]; /* weighted: virtual time of each port */
    uint64_t last_pass;                /* pass of the last port granted, before its advance */
    uint32_t prev_mask;                /* ports requesting at the previous grant */
} DramArb;

/* weights may be NULL (all 1); each weight >= 1. */
void dram_arb_init(DramArb *a, DramArbPolicy policy, uint32_t n, const uint32_t *weights);

/*
 * Grant one of the ports in `requesting` (bit i: port i has a head request of beats[i] beats).
 * Returns the port, or -1 when the mask is empty. Updates the policy state.
 */
int dram_arb_grant(DramArb *a, uint32_t requesting, const uint32_t *beats);

/*
 * Parse a weight list "4,2,1,1" (1 to DRAM_ARB_MAX_PORTS integers 1..255, commas, optional
 * spaces); ports beyond the list get 1. "" means all 1. false with *why on a malformed list.
 */
bool dram_arb_parse_weights(const char *text, uint32_t *weights, uint32_t n, const char **why);

#ifdef __cplusplus
}
#endif

#endif
