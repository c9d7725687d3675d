/*
 * Value parsers (see units.h). Exact quantities (time, frequency, bytes) never touch floating
 * point: "6.4ns" is the mantissa 64 with one decimal, times 1000 ps, divided by 10, and the
 * division must leave no remainder. The division is done factor by factor (a 2 and a 5 per
 * decimal, taken from the unit scale first, then from the mantissa), so that no intermediate
 * product can overflow when the result itself fits.
 */
#include "units.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/util.h"

typedef struct Unit {
    const char *name;
    uint64_t scale; /* exact quantities: base units per unit */
    int exp10;      /* real quantities: the unit is 10^exp10 base units */
} Unit;

static const Unit time_units[] = {
    {"ps", 1, 0},
    {"ns", SIM_PS_PER_NS, 0},
    {"us", SIM_PS_PER_US, 0},
    {"ms", SIM_PS_PER_MS, 0},
    {"s", SIM_PS_PER_S, 0},
};

static const Unit freq_units[] = {
    {"Hz", 1, 0},
    {"kHz", 1000ULL, 0},
    {"MHz", 1000000ULL, 0},
    {"GHz", 1000000000ULL, 0},
};

static const Unit byte_units[] = {
    {"B", 1, 0},
    {"kB", 1000ULL, 0},
    {"KiB", 1ULL << 10, 0},
    {"MB", 1000000ULL, 0},
    {"MiB", 1ULL << 20, 0},
    {"GB", 1000000000ULL, 0},
    {"GiB", 1ULL << 30, 0},
    {"TB", 1000000000000ULL, 0},
    {"TiB", 1ULL << 40, 0},
};

static const Unit bitrate_units[] = {
    {"bps", 0, 0}, {"kbps", 0, 3}, {"Mbps", 0, 6}, {"Gbps", 0, 9}, {"Tbps", 0, 12},
};

static const Unit length_units[] = {
    {"m", 0, 0},
    {"cm", 0, -2},
    {"mm", 0, -3},
    {"km", 0, 3},
};

typedef struct UnitSet {
    const Unit *units;
    size_t n;
    const char *base; /* "picoseconds", for "not a whole number of ..." */
    bool bare_zero;   /* "0" without a unit is accepted */
} UnitSet;

static const UnitSet time_set = {time_units, N_OF(time_units), "picoseconds", true};
static const UnitSet freq_set = {freq_units, N_OF(freq_units), "Hz", false};
static const UnitSet byte_set = {byte_units, N_OF(byte_units), "bytes", true};
static const UnitSet bitrate_set = {bitrate_units, N_OF(bitrate_units), "bit/s", true};
static const UnitSet length_set = {length_units, N_OF(length_units), "metres", true};

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static bool
why_set(char *why, size_t why_size, const char *fmt, ...)
{
    if (why != NULL && why_size > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, why_size, fmt, ap);
        va_end(ap);
    }
    return false;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool has_space(const char *text)
{
    for (const char *p = text; *p != '\0'; p++) {
        if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\v' || *p == '\f') {
            return true;
        }
    }
    return false;
}

/* "ps, ns, us, ms, s" */
static void unit_list(const UnitSet *set, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < set->n && used < size; i++) {
        int k = snprintf(buf + used, size - used, "%s%s", i ? ", " : "", set->units[i].name);
        if (k < 0) {
            break;
        }
        used += (size_t)k;
    }
}

/* A number with a unit, split into its parts. */
typedef struct Lexed {
    const char *int_digits;
    size_t int_len;
    const char *frac_digits;
    size_t frac_len;
    const Unit *unit; /* NULL: bare zero */
} Lexed;

static bool lex_with_unit(const char *text, const UnitSet *set, Lexed *lx, char *why,
                          size_t why_size)
{
    char units[128];
    unit_list(set, units, sizeof(units));
    if (text == NULL || text[0] == '\0') {
        return why_set(why, why_size, "empty value: expected a number followed by one of %s",
                       units);
    }
    if (has_space(text)) {
        /* Show the value written together, which is most likely what was meant. */
        char together[64];
        size_t n = 0;
        for (const char *p = text; *p != '\0' && n + 1 < sizeof(together); p++) {
            if (*p != ' ' && *p != '\t') {
                together[n++] = *p;
            }
        }
        together[n] = '\0';
        return why_set(why, why_size, "'%s': spaces are not allowed in a value (write '%s')", text,
                       together);
    }
    if (text[0] == '-') {
        return why_set(why, why_size, "'%s': negative values are not allowed", text);
    }
    const char *p = text;
    lx->int_digits = p;
    while (is_digit(*p)) {
        p++;
    }
    lx->int_len = (size_t)(p - text);
    lx->frac_digits = p;
    lx->frac_len = 0;
    if (lx->int_len == 0) {
        return why_set(why, why_size, "'%s' is not a number followed by one of %s", text, units);
    }
    if (*p == '.') {
        p++;
        lx->frac_digits = p;
        while (is_digit(*p)) {
            p++;
        }
        lx->frac_len = (size_t)(p - lx->frac_digits);
        if (lx->frac_len == 0) {
            return why_set(why, why_size, "'%s' is not a valid number: expected digits after '.'",
                           text);
        }
    }
    if (*p == '.' || *p == ',') {
        return why_set(why, why_size, "'%s' is not a valid number", text);
    }
    if (*p == '\0') {
        if (set->bare_zero && strcmp(text, "0") == 0) {
            lx->unit = NULL;
            return true;
        }
        return why_set(why, why_size, "missing unit in '%s': expected one of %s", text, units);
    }
    for (size_t i = 0; i < set->n; i++) {
        if (strcmp(p, set->units[i].name) == 0) {
            lx->unit = &set->units[i];
            return true;
        }
    }
    return why_set(why, why_size, "unknown unit '%s' in '%s': expected one of %s", p, text, units);
}

/* Takes one factor f (2 or 5) out of *scale, else out of *m; false if neither has it. */
static bool take_factor(uint64_t *scale, uint64_t *m, uint64_t f)
{
    if (*scale % f == 0) {
        *scale /= f;
        return true;
    }
    if (*m % f == 0) {
        *m /= f;
        return true;
    }
    return false;
}

static bool parse_exact(const char *text, const UnitSet *set, uint64_t *out, char *why,
                        size_t why_size)
{
    Lexed lx;
    if (!lex_with_unit(text, set, &lx, why, why_size)) {
        return false;
    }
    if (lx.unit == NULL) {
        *out = 0;
        return true;
    }
    /* Trailing zeros of the fraction change nothing: "6.40ns" is "6.4ns". */
    size_t flen = lx.frac_len;
    while (flen > 0 && lx.frac_digits[flen - 1] == '0') {
        flen--;
    }
    uint64_t m = 0;
    for (size_t i = 0; i < lx.int_len; i++) {
        uint64_t d = (uint64_t)(lx.int_digits[i] - '0');
        if (m > (UINT64_MAX - d) / 10) {
            return why_set(why, why_size, "'%s' is too large (more than 2^64-1 %s)", text,
                           set->base);
        }
        m = m * 10 + d;
    }
    for (size_t i = 0; i < flen; i++) {
        uint64_t d = (uint64_t)(lx.frac_digits[i] - '0');
        if (m > (UINT64_MAX - d) / 10) {
            return why_set(why, why_size, "'%s' has too many digits", text);
        }
        m = m * 10 + d;
    }
    uint64_t scale = lx.unit->scale;
    for (size_t i = 0; i < flen; i++) {
        if (!take_factor(&scale, &m, 2) || !take_factor(&scale, &m, 5)) {
            return why_set(why, why_size, "'%s' is not a whole number of %s", text, set->base);
        }
    }
    if (m != 0 && scale > UINT64_MAX / m) {
        return why_set(why, why_size, "'%s' is too large (more than 2^64-1 %s)", text, set->base);
    }
    *out = m * scale;
    return true;
}

/*
 * The decimal digits and a power of ten, handed to strtod as "<digits>e<exp>" so that the value
 * is rounded once and no locale-dependent radix character is involved.
 */
static bool digits_to_double(const char *sign, const char *a, size_t alen, const char *b,
                             size_t blen, long exp10, double *out)
{
    size_t size = strlen(sign) + alen + blen + 32;
    char *buf = malloc(size);
    if (buf == NULL) {
        return false;
    }
    int k = snprintf(buf, size, "%s%.*s%.*se%ld", sign, (int)alen, a, (int)blen, b, exp10);
    bool ok = k > 0;
    if (ok) {
        errno = 0;
        *out = strtod(buf, NULL);
        ok = isfinite(*out);
    }
    free(buf);
    return ok;
}

static bool parse_real_unit(const char *text, const UnitSet *set, double *out, char *why,
                            size_t why_size)
{
    Lexed lx;
    if (!lex_with_unit(text, set, &lx, why, why_size)) {
        return false;
    }
    if (lx.unit == NULL) {
        *out = 0.0;
        return true;
    }
    if (lx.int_len + lx.frac_len > 4096) {
        return why_set(why, why_size, "'%s' has too many digits", text);
    }
    double v;
    if (!digits_to_double("", lx.int_digits, lx.int_len, lx.frac_digits, lx.frac_len,
                          (long)lx.unit->exp10 - (long)lx.frac_len, &v)) {
        return why_set(why, why_size, "'%s' is too large", text);
    }
    *out = v;
    return true;
}

bool sim_parse_time(const char *text, SimTime *out, char *why, size_t why_size)
{
    return parse_exact(text, &time_set, out, why, why_size);
}

bool sim_parse_freq(const char *text, uint64_t *out, char *why, size_t why_size)
{
    uint64_t hz;
    if (!parse_exact(text, &freq_set, &hz, why, why_size)) {
        return false;
    }
    if (hz == 0) {
        return why_set(why, why_size, "'%s': a frequency must be above 0", text);
    }
    *out = hz;
    return true;
}

SimTime sim_period_from_freq(uint64_t hz)
{
    /* round(1e12 / hz) with halves up, in integers: (2e12 / hz + 1) / 2. */
    return (2 * SIM_PS_PER_S / hz + 1) / 2;
}

bool sim_parse_bytes(const char *text, uint64_t *out, char *why, size_t why_size)
{
    return parse_exact(text, &byte_set, out, why, why_size);
}

bool sim_parse_bitrate(const char *text, double *out, char *why, size_t why_size)
{
    return parse_real_unit(text, &bitrate_set, out, why, why_size);
}

bool sim_parse_length(const char *text, double *out, char *why, size_t why_size)
{
    return parse_real_unit(text, &length_set, out, why, why_size);
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* Magnitude of an unsigned decimal or 0x hexadecimal number that is the whole of p. */
static bool parse_magnitude(const char *text, const char *p, uint64_t *out, char *why,
                            size_t why_size)
{
    uint64_t base = 10;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
    }
    if (*p == '\0') {
        return why_set(why, why_size, "'%s' is not an integer", text);
    }
    uint64_t m = 0;
    for (; *p != '\0'; p++) {
        int d = hex_value(*p);
        if (d < 0 || (uint64_t)d >= base) {
            if (*p == '.' || *p == 'e' || *p == 'E') {
                return why_set(why, why_size, "'%s' is not an integer", text);
            }
            return why_set(why, why_size, "'%s' is not an integer (no unit is expected here)",
                           text);
        }
        if (m > (UINT64_MAX - (uint64_t)d) / base) {
            return why_set(why, why_size, "'%s' is too large", text);
        }
        m = m * base + (uint64_t)d;
    }
    *out = m;
    return true;
}

static bool plain_checks(const char *text, char *why, size_t why_size)
{
    if (text == NULL || text[0] == '\0') {
        return why_set(why, why_size, "empty value: expected a number");
    }
    if (has_space(text)) {
        return why_set(why, why_size, "'%s': spaces are not allowed in a value", text);
    }
    return true;
}

bool sim_parse_uint(const char *text, uint64_t *out, char *why, size_t why_size)
{
    if (!plain_checks(text, why, why_size)) {
        return false;
    }
    if (text[0] == '-') {
        return why_set(why, why_size, "'%s': negative values are not allowed", text);
    }
    return parse_magnitude(text, text, out, why, why_size);
}

bool sim_parse_int(const char *text, int64_t *out, char *why, size_t why_size)
{
    if (!plain_checks(text, why, why_size)) {
        return false;
    }
    bool neg = text[0] == '-';
    const char *p = text + (text[0] == '-' || text[0] == '+');
    uint64_t m;
    if (!parse_magnitude(text, p, &m, why, why_size)) {
        return false;
    }
    if (neg) {
        if (m > (uint64_t)INT64_MAX + 1) {
            return why_set(why, why_size, "'%s' is too small", text);
        }
        *out = m == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)m;
    } else {
        if (m > (uint64_t)INT64_MAX) {
            return why_set(why, why_size, "'%s' is too large", text);
        }
        *out = (int64_t)m;
    }
    return true;
}

bool sim_parse_real(const char *text, double *out, char *why, size_t why_size)
{
    if (!plain_checks(text, why, why_size)) {
        return false;
    }
    const char *p = text;
    const char *sign = "";
    if (*p == '-' || *p == '+') {
        sign = *p == '-' ? "-" : "";
        p++;
    }
    const char *a = p;
    while (is_digit(*p)) {
        p++;
    }
    size_t alen = (size_t)(p - a);
    const char *b = p;
    size_t blen = 0;
    if (*p == '.') {
        p++;
        b = p;
        while (is_digit(*p)) {
            p++;
        }
        blen = (size_t)(p - b);
        if (blen == 0) {
            return why_set(why, why_size, "'%s' is not a number: expected digits after '.'", text);
        }
    }
    if (alen == 0) {
        return why_set(why, why_size, "'%s' is not a number", text);
    }
    long exp10 = 0;
    if (*p == 'e' || *p == 'E') {
        p++;
        bool eneg = *p == '-';
        if (*p == '-' || *p == '+') {
            p++;
        }
        if (!is_digit(*p)) {
            return why_set(why, why_size, "'%s' is not a number: expected digits after 'e'", text);
        }
        for (; is_digit(*p); p++) {
            if (exp10 < 1000000) {
                exp10 = exp10 * 10 + (*p - '0');
            }
        }
        exp10 = eneg ? -exp10 : exp10;
    }
    if (*p != '\0') {
        return why_set(why, why_size, "'%s' is not a number (no unit is expected here)", text);
    }
    if (alen + blen > 4096) {
        return why_set(why, why_size, "'%s' has too many digits", text);
    }
    double v;
    if (!digits_to_double(sign, a, alen, b, blen, exp10 - (long)blen, &v)) {
        return why_set(why, why_size, "'%s' is too large", text);
    }
    *out = v;
    return true;
}

bool sim_parse_bool(const char *text, bool *out, char *why, size_t why_size)
{
    if (text != NULL && strcmp(text, "true") == 0) {
        *out = true;
        return true;
    }
    if (text != NULL && strcmp(text, "false") == 0) {
        *out = false;
        return true;
    }
    return why_set(why, why_size, "'%s' is not a boolean: expected true or false",
                   text != NULL ? text : "");
}
