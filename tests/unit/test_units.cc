/*
 * The value parsers of sim/config/units.h over tables of good and garbage input: exactness of
 * time, frequency and bytes (no floating point), overflow, units and their case, spaces.
 */
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>

#include "sim/config/units.h"

namespace
{

template <typename T> struct Good {
    const char *text;
    T value;
};

struct Bad {
    const char *text;
    const char *why; /* the exact reason, or nullptr to check only that it fails */
};

/* Runs a parser over good and bad tables; a failing parse leaves *out alone. */
template <typename T, typename P>
void check_parser(P parse, const Good<T> *good, size_t n_good, const Bad *bad, size_t n_bad)
{
    for (size_t i = 0; i < n_good; i++) {
        SCOPED_TRACE(good[i].text);
        T v{};
        char why[256] = "";
        ASSERT_TRUE(parse(good[i].text, &v, why, sizeof(why))) << why;
        EXPECT_EQ(v, good[i].value);
    }
    for (size_t i = 0; i < n_bad; i++) {
        SCOPED_TRACE(bad[i].text);
        T v{};
        T before = v;
        char why[256] = "";
        EXPECT_FALSE(parse(bad[i].text, &v, why, sizeof(why)));
        EXPECT_EQ(v, before);
        EXPECT_NE(why[0], '\0');
        if (bad[i].why != nullptr) {
            EXPECT_STREQ(why, bad[i].why);
        }
    }
}

#define CHECK_PARSER(fn, T, good, bad)                                                             \
    check_parser<T>(fn, good, sizeof(good) / sizeof(good[0]), bad, sizeof(bad) / sizeof(bad[0]))

TEST(Units, TimeIsExactInPicoseconds)
{
    static const Good<SimTime> good[] = {
        {"0", 0},
        {"0ps", 0},
        {"1ps", 1},
        {"1250ps", 1250},
        {"6.4ns", 6400},
        {"6.40ns", 6400},
        {"0.001ns", 1},
        {"3us", 3000000},
        {"1.5us", 1500000},
        {"1ms", 1000000000ULL},
        {"10s", 10000000000000ULL},
        {"0.000000000001s", 1},
        {"007ns", 7000},
        {"18446744073709551615ps", UINT64_MAX},
        {"18446744.073709551615s", UINT64_MAX},
    };
    static const Bad bad[] = {
        {"", "empty value: expected a number followed by one of ps, ns, us, ms, s"},
        {"12", "missing unit in '12': expected one of ps, ns, us, ms, s"},
        {"0.0", "missing unit in '0.0': expected one of ps, ns, us, ms, s"},
        {"5NS", "unknown unit 'NS' in '5NS': expected one of ps, ns, us, ms, s"},
        {"5sec", "unknown unit 'sec' in '5sec': expected one of ps, ns, us, ms, s"},
        {"-5ns", "'-5ns': negative values are not allowed"},
        {"+5ns", "'+5ns' is not a number followed by one of ps, ns, us, ms, s"},
        {"99999999999999999999ns", "'99999999999999999999ns' is too large (more than 2^64-1 "
                                   "picoseconds)"},
        {"18446744073709551616ps", nullptr},
        {"18446744073709552s", nullptr},
        {"1.2.3ns", "'1.2.3ns' is not a valid number"},
        {"5.ns", "'5.ns' is not a valid number: expected digits after '.'"},
        {".5ns", "'.5ns' is not a number followed by one of ps, ns, us, ms, s"},
        {"0.1ps", "'0.1ps' is not a whole number of picoseconds"},
        {"1.0001ns", "'1.0001ns' is not a whole number of picoseconds"},
        {"0.0000000000001s", "'0.0000000000001s' is not a whole number of picoseconds"},
        {" 5ns", "' 5ns': spaces are not allowed in a value (write '5ns')"},
        {"5ns ", "'5ns ': spaces are not allowed in a value (write '5ns')"},
        {"5 ns", "'5 ns': spaces are not allowed in a value (write '5ns')"},
        {"1e3ns", "unknown unit 'e3ns' in '1e3ns': expected one of ps, ns, us, ms, s"},
        {"ns", "'ns' is not a number followed by one of ps, ns, us, ms, s"},
        {"1,5ns", "'1,5ns' is not a valid number"},
    };
    CHECK_PARSER(sim_parse_time, SimTime, good, bad);
}

TEST(Units, FrequencyIsExactInHertz)
{
    static const Good<uint64_t> good[] = {
        {"1Hz", 1},
        {"250MHz", 250000000ULL},
        {"156.25MHz", 156250000ULL},
        {"200MHz", 200000000ULL},
        {"800MHz", 800000000ULL},
        {"1GHz", 1000000000ULL},
        {"1.5kHz", 1500},
        {"933.33MHz", 933330000ULL},
        {"0.000000001GHz", 1},
    };
    static const Bad bad[] = {
        {"250mhz", "unknown unit 'mhz' in '250mhz': expected one of Hz, kHz, MHz, GHz"},
        {"250MHZ", "unknown unit 'MHZ' in '250MHZ': expected one of Hz, kHz, MHz, GHz"},
        {"250", "missing unit in '250': expected one of Hz, kHz, MHz, GHz"},
        {"0", "missing unit in '0': expected one of Hz, kHz, MHz, GHz"},
        {"0MHz", "'0MHz': a frequency must be above 0"},
        {"0.5Hz", "'0.5Hz' is not a whole number of Hz"},
        {"-1MHz", "'-1MHz': negative values are not allowed"},
        {"99999999999GHz", "'99999999999GHz' is too large (more than 2^64-1 Hz)"},
        {"", nullptr},
    };
    CHECK_PARSER(sim_parse_freq, uint64_t, good, bad);
}

TEST(Units, PeriodFromFrequencyRoundsToNearestPicosecond)
{
    struct {
        uint64_t hz;
        SimTime ps;
    } const rows[] = {
        {250000000ULL, 4000},  {156250000ULL, 6400}, {200000000ULL, 5000},
        {800000000ULL, 1250},  {933330000ULL, 1071}, {1000000000000ULL, 1},
        {1, 1000000000000ULL}, {3, 333333333333ULL}, {1500000000000ULL, 1}, /* 0.67 -> 1 */
        {400000000000ULL, 3},                                               /* 2.5 rounds up */
        {2000000000000ULL, 1},                                              /* 0.5 rounds up */
    };
    for (const auto &r : rows) {
        SCOPED_TRACE(r.hz);
        EXPECT_EQ(sim_period_from_freq(r.hz), r.ps);
    }
    uint64_t hz = 0;
    ASSERT_TRUE(sim_parse_freq("156.25MHz", &hz, nullptr, 0));
    EXPECT_EQ(sim_period_from_freq(hz), 6400u);
}

TEST(Units, BytesAreWholeAndBinaryPrefixesAreExact)
{
    static const Good<uint64_t> good[] = {
        {"0", 0},
        {"64B", 64},
        {"1kB", 1000},
        {"1KiB", 1024},
        {"4KiB", 4096},
        {"1.5KiB", 1536},
        {"1MB", 1000000},
        {"1MiB", 1048576},
        {"4GiB", 4294967296ULL},
        {"4GB", 4000000000ULL},
        {"2TiB", 2199023255552ULL},
        {"1TB", 1000000000000ULL},
        {"0.5KiB", 512},
        {"0.0009765625KiB", 1},
        {"16777215TiB", 16777215ULL << 40},
    };
    static const Bad bad[] = {
        {"4kb", "unknown unit 'kb' in '4kb': expected one of B, kB, KiB, MB, MiB, GB, GiB, TB, "
                "TiB"},
        {"4KB", nullptr},
        {"4kiB", nullptr},
        {"64", "missing unit in '64': expected one of B, kB, KiB, MB, MiB, GB, GiB, TB, TiB"},
        {"0.5B", "'0.5B' is not a whole number of bytes"},
        {"0.3KiB", "'0.3KiB' is not a whole number of bytes"},
        {"16777216TiB", "'16777216TiB' is too large (more than 2^64-1 bytes)"},
        {"-1B", "'-1B': negative values are not allowed"},
        {"64 B", "'64 B': spaces are not allowed in a value (write '64B')"},
    };
    CHECK_PARSER(sim_parse_bytes, uint64_t, good, bad);
}

TEST(Units, BitrateAndLengthAreRoundedOnce)
{
    static const Good<double> rates[] = {
        {"10.3125Gbps", 10312500000.0},
        {"56Gbps", 56e9},
        {"40Gbps", 40e9},
        {"1bps", 1.0},
        {"2.5kbps", 2500.0},
        {"100Mbps", 1e8},
        {"1.6Tbps", 1.6e12},
        {"0", 0.0},
    };
    static const Bad bad_rates[] = {
        {"10Gb/s", "unknown unit 'Gb/s' in '10Gb/s': expected one of bps, kbps, Mbps, Gbps, Tbps"},
        {"10gbps", nullptr},
        {"10", "missing unit in '10': expected one of bps, kbps, Mbps, Gbps, Tbps"},
        {"-1Gbps", "'-1Gbps': negative values are not allowed"},
        {"", nullptr},
    };
    CHECK_PARSER(sim_parse_bitrate, double, rates, bad_rates);

    static const Good<double> lengths[] = {
        {"3m", 3.0}, {"50cm", 0.5}, {"1mm", 0.001}, {"2.5km", 2500.0}, {"0", 0.0}, {"0.1m", 0.1},
    };
    static const Bad bad_lengths[] = {
        {"3M", "unknown unit 'M' in '3M': expected one of m, cm, mm, km"},
        {"3", "missing unit in '3': expected one of m, cm, mm, km"},
        {"3 m", "'3 m': spaces are not allowed in a value (write '3m')"},
        {"-3m", nullptr},
    };
    CHECK_PARSER(sim_parse_length, double, lengths, bad_lengths);

    double v = 0;
    std::string huge = "1" + std::string(400, '0') + "Tbps";
    char why[1024];
    EXPECT_FALSE(sim_parse_bitrate(huge.c_str(), &v, why, sizeof(why)));
    EXPECT_NE(std::string(why).find("is too large"), std::string::npos);
}

TEST(Units, PlainIntegers)
{
    static const Good<uint64_t> ugood[] = {
        {"0", 0},
        {"42", 42},
        {"0x10", 16},
        {"0XfF", 255},
        {"18446744073709551615", UINT64_MAX},
        {"0xffffffffffffffff", UINT64_MAX},
    };
    static const Bad ubad[] = {
        {"", "empty value: expected a number"},
        {"-1", "'-1': negative values are not allowed"},
        {"18446744073709551616", "'18446744073709551616' is too large"},
        {"0x1ffffffffffffffff", "'0x1ffffffffffffffff' is too large"},
        {"1.5", "'1.5' is not an integer"},
        {"1e3", "'1e3' is not an integer"},
        {"12ns", "'12ns' is not an integer (no unit is expected here)"},
        {"0x", "'0x' is not an integer"},
        {"0xg", "'0xg' is not an integer (no unit is expected here)"},
        {" 1", "' 1': spaces are not allowed in a value"},
        {"+", "'+' is not an integer (no unit is expected here)"},
    };
    CHECK_PARSER(sim_parse_uint, uint64_t, ugood, ubad);

    static const Good<int64_t> igood[] = {
        {"0", 0},
        {"-42", -42},
        {"+7", 7},
        {"-0x10", -16},
        {"9223372036854775807", INT64_MAX},
        {"-9223372036854775808", INT64_MIN},
    };
    static const Bad ibad[] = {
        {"9223372036854775808", "'9223372036854775808' is too large"},
        {"-9223372036854775809", "'-9223372036854775809' is too small"},
        {"-", "'-' is not an integer"},
        {"--1", nullptr},
        {"1_000", nullptr},
        {"", nullptr},
    };
    CHECK_PARSER(sim_parse_int, int64_t, igood, ibad);
}

TEST(Units, PlainReals)
{
    static const Good<double> good[] = {
        {"0", 0.0},     {"0.5", 0.5},   {"1", 1.0},         {"-2.25", -2.25}, {"+3", 3.0},
        {"1e-3", 1e-3}, {"2.5E2", 250}, {"0.000001", 1e-6}, {"1e-400", 0.0},
    };
    static const Bad bad[] = {
        {"", "empty value: expected a number"},
        {".5", "'.5' is not a number"},
        {"5.", "'5.' is not a number: expected digits after '.'"},
        {"1e", "'1e' is not a number: expected digits after 'e'"},
        {"1e400", "'1e400' is too large"},
        {"inf", "'inf' is not a number"},
        {"nan", "'nan' is not a number"},
        {"0.5x", "'0.5x' is not a number (no unit is expected here)"},
        {"1 ", "'1 ': spaces are not allowed in a value"},
        {"0x10", "'0x10' is not a number (no unit is expected here)"},
    };
    CHECK_PARSER(sim_parse_real, double, good, bad);
}

TEST(Units, BooleansAreTrueOrFalseOnly)
{
    static const Good<bool> good[] = {{"true", true}, {"false", false}};
    static const Bad bad[] = {
        {"yes", "'yes' is not a boolean: expected true or false"},
        {"no", nullptr},
        {"True", nullptr},
        {"on", nullptr},
        {"1", nullptr},
        {"", "'' is not a boolean: expected true or false"},
    };
    CHECK_PARSER(sim_parse_bool, bool, good, bad);
}

TEST(Units, NullWhyIsAllowed)
{
    SimTime t = 0;
    EXPECT_FALSE(sim_parse_time("bad", &t, nullptr, 0));
    EXPECT_TRUE(sim_parse_time("2ns", &t, nullptr, 0));
    EXPECT_EQ(t, 2000u);
}

} // namespace
