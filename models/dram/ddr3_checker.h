/*
 * Ddr3Checker: an independent JEDEC DDR3 protocol and timing checker. It sees nothing but the
 * command stream (command, rank, bank, row, cycle) and the raw JEDEC parameters; it shares no
 * table or code with the scheduler (ddr3_timing.c, ddr3_bank.c). Where the controller folds
 * constraints forward into earliest-issue cycles, the checker looks backward: it remembers when
 * each bank and rank last saw each command and, for every new command, tests every rule
 * against that history, including the ones the tables express indirectly:
 *
 *   state    ACT only to an idle bank; RD/WR only to an open bank and its open row; REF only
 *            with every bank of the rank idle; one command per cycle, in time order
 *   bank     tRCD, tRAS, tRC, tRP, tRTP (AL + BL/2 + max(tRTP, 4) - 4), tWR (CWL + BL/2 + tWR),
 *            auto-precharge timing including the tRAS lockout
 *   rank     tRRD, tFAW (no five ACTs in any tFAW window), tCCD, tWTR (CWL + BL/2 + tWTR),
 *            read-to-write turnaround (CL + tCCD + 2 - CWL), tRFC after REF
 *   channel  data bursts never overlap on the bus, and bursts of different ranks are at least
 *            tRTRS apart
 *   refresh  no more than 9 tREFI between REFs of a rank (JEDEC lets 8 be postponed)
 *
 * A violation is counted; the first one's message is kept. The models turn it into a
 * simulation failure ("fails loudly"); tests assert on the count.
 */
#ifndef MEMBOX_DRAM_DDR3_CHECKER_H
#define MEMBOX_DRAM_DDR3_CHECKER_H

#include "ddr3_timing.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct Ddr3Checker Ddr3Checker;

/* NULL on out of memory. ranks and banks come from p. */
Ddr3Checker *ddr3_checker_new(const Ddr3TimingParams *p, bool check_refresh);
void ddr3_checker_free(Ddr3Checker *k);

/* Check one command; false if it broke a rule (the first message is kept). */
bool ddr3_checker_command(Ddr3Checker *k, const Ddr3CmdRecord *rec);

/* At the end of a run: checks that no rank went more than 9 tREFI without a REF up to `end`. */
bool ddr3_checker_finish(Ddr3Checker *k, uint64_t end);

uint64_t ddr3_checker_violations(const Ddr3Checker *k);
uint64_t ddr3_checker_commands(const Ddr3Checker *k);
/* "" when there was none. */
const char *ddr3_checker_first_error(const Ddr3Checker *k);

#ifdef __cplusplus
}
#endif

#endif
