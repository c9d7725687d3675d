/*
 * Parsers for the values of a topology: plain numbers and numbers written with their unit.
 * They are usable on their own (the command line parses --until with them) and are what the
 * configuration applies to every parameter, every table default and every table bound.
 *
 * Common rules (docs/config.md has the full list):
 *  - The whole text is the value: no leading, trailing or inner spaces ("5 ns" is rejected).
 *  - A number with a unit is `digits[.digits]unit`; units are case-sensitive.
 *  - Time, frequency and bytes are exact: the decimal is read as an integer mantissa and a
 *    power of ten, never through floating point, and a value that is not a whole number of
 *    the base unit ("0.1ps", "1.5B") is rejected. Overflow is always detected.
 *  - Bitrate and length are doubles, rounded once from the decimal.
 *  - A bare "0" is accepted for time, bytes, bitrate and length (zero needs no unit).
 *
 * Each parser returns true and writes *out on success; on failure it returns false, leaves
 * *out alone and writes a complete reason into why (which may be NULL), e.g.
 * "unknown unit 'mhz' in '250mhz': expected one of Hz, kHz, MHz, GHz".
 */
#ifndef MEMBOX_SIM_CONFIG_UNITS_H
#define MEMBOX_SIM_CONFIG_UNITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/sim_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ps, ns, us, ms, s -> picoseconds. */
bool sim_parse_time(const char *text, SimTime *out, char *why, size_t why_size);

/* Hz, kHz, MHz, GHz -> Hz, exact to the Hz ("156.25MHz" = 156250000). Zero is rejected. */
bool sim_parse_freq(const char *text, uint64_t *out, char *why, size_t why_size);

/*
 * Clock period of a frequency: 1e12 / hz picoseconds rounded to the nearest integer, halves
 * rounded up. Exact for the usual clocks (250MHz -> 4000, 156.25MHz -> 6400, 200MHz -> 5000,
 * 800MHz -> 1250); 933.33MHz -> 1071 ps (1071.43 rounded). hz must be above 0; frequencies above
 * 2THz give 0 (the configuration rejects domains faster than 1THz).
 */
SimTime sim_period_from_freq(uint64_t hz);

/* B, kB, KiB, MB, MiB, GB, GiB, TB, TiB (kB = 1000, KiB = 1024) -> whole bytes. */
bool sim_parse_bytes(const char *text, uint64_t *out, char *why, size_t why_size);

/* bps, kbps, Mbps, Gbps, Tbps -> bit/s. */
bool sim_parse_bitrate(const char *text, double *out, char *why, size_t why_size);

/* m, cm, mm, km -> metres. */
bool sim_parse_length(const char *text, double *out, char *why, size_t why_size);

/* [+-]digits, or [+-]0x hex digits. */
bool sim_parse_int(const char *text, int64_t *out, char *why, size_t why_size);

/* digits, or 0x hex digits; no sign. */
bool sim_parse_uint(const char *text, uint64_t *out, char *why, size_t why_size);

/* [+-]digits[.digits][e[+-]digits]; finite. */
bool sim_parse_real(const char *text, double *out, char *why, size_t why_size);

/* true or false (lower case; no yes/no/on/off). */
bool sim_parse_bool(const char *text, bool *out, char *why, size_t why_size);

#ifdef __cplusplus
}
#endif

#endif
