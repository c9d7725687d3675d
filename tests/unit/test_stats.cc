/*
 * Unit tests of sim/core/stats: histogram buckets and percentiles against a brute-force sort,
 * exact time averages, the registry and its writers (JSON, CSV, summary), look-ups and I/O
 * errors.
 */
#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "sim/core/stats.h"

namespace
{

__extension__ typedef unsigned __int128 U128;

/* Everything a FILE received, read back through a temporary file. */
template <typename Fn> std::string Capture(Fn fn, bool *ok = nullptr)
{
    FILE *f = tmpfile();
    EXPECT_NE(f, nullptr);
    bool r = fn(f);
    if (ok != nullptr) {
        *ok = r;
    } else {
        EXPECT_TRUE(r);
    }
    std::string out;
    rewind(f);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
        out.append(buf, n);
    }
    fclose(f);
    return out;
}

struct Hist {
    SimHist h;
    Hist()
    {
        EXPECT_TRUE(sim_hist_init(&h));
    }
    ~Hist()
    {
        sim_hist_destroy(&h);
    }
    Hist(const Hist &) = delete;
    Hist &operator=(const Hist &) = delete;
};

struct Stats {
    SimStats *s = sim_stats_new();
    Stats()
    {
        EXPECT_NE(s, nullptr);
    }
    ~Stats()
    {
        sim_stats_free(s);
    }
    Stats(const Stats &) = delete;
    Stats &operator=(const Stats &) = delete;
};

/* Nearest rank in integer arithmetic, p given in tenths of a percent. */
uint64_t NearestRank(uint64_t count, unsigned p_tenths)
{
    uint64_t rank = (uint64_t)(((U128)count * p_tenths + 999) / 1000);
    return rank < 1 ? 1 : rank;
}

/* Records the values and checks every figure of the histogram against the sorted values. */
void CheckAgainstSort(std::vector<uint64_t> values, const char *what)
{
    SCOPED_TRACE(what);
    Hist hist;
    U128 sum = 0;
    for (uint64_t v : values) {
        sim_hist_record(&hist.h, v);
        sum += v;
    }
    std::sort(values.begin(), values.end());
    const uint64_t n = values.size();
    ASSERT_EQ(hist.h.count, n);
    ASSERT_GT(n, 0u);
    EXPECT_EQ(hist.h.min, values.front());
    EXPECT_EQ(hist.h.max, values.back());
    EXPECT_EQ(hist.h.sum_lo, (uint64_t)sum);
    EXPECT_EQ(hist.h.sum_hi, (uint64_t)(sum >> 64));

    long double exact_mean = (long double)sum / (long double)n;
    double mean = sim_hist_mean(&hist.h);
    EXPECT_LE(std::fabs((long double)mean - exact_mean), exact_mean * 1e-15L) << what;
    if (sum % n == 0 && sum / n < ((U128)1 << 53)) {
        EXPECT_EQ(mean, (double)(uint64_t)(sum / n));
    }

    static const unsigned tenths[] = {1, 10, 100, 250, 500, 750, 900, 950, 990, 999, 1000};
    for (unsigned t : tenths) {
        uint64_t rank = NearestRank(n, t);
        uint64_t exact = values[rank - 1];
        SimHistPct got = sim_hist_percentile_at(&hist.h, t / 10.0);
        SCOPED_TRACE("p = " + std::to_string(t / 10.0) + " exact " + std::to_string(exact));
        if (n <= SIM_HIST_EXACT || rank == 1 || rank == n) {
            /* Every sample is kept, or the rank is min's or max's: the sample itself. */
            ASSERT_TRUE(got.exact);
            EXPECT_EQ(got.sample, exact);
            EXPECT_EQ(sim_hist_percentile(&hist.h, t / 10.0), exact);
            continue;
        }
        if (got.exact) {
            /* Only when the rank's bucket, narrowed to [min, max], holds one value. */
            EXPECT_EQ(got.sample, exact);
            continue;
        }
        /* An estimate: inside the bucket of the exact value, so within its width of it. */
        uint32_t b = sim_hist_bucket(exact);
        EXPECT_GE(got.estimate, (double)std::max(sim_hist_bucket_low(b), hist.h.min));
        EXPECT_LE(got.estimate, (double)std::min(sim_hist_bucket_high(b), hist.h.max));
        EXPECT_GE(exact, 2 * SIM_HIST_SUB) << "a bucket of one value gives the sample";
    }
}

} // namespace

/* ---- histogram buckets ---- */

TEST(SimHist, BucketCountCoversAllOfUint64)
{
    EXPECT_EQ(sim_hist_bucket(UINT64_MAX), SIM_HIST_BUCKETS - 1);
    EXPECT_EQ(sim_hist_bucket_high(SIM_HIST_BUCKETS - 1), UINT64_MAX);
    EXPECT_EQ(sim_hist_bucket_low(0), 0u);

    Hist hist;
    sim_hist_record(&hist.h, UINT64_MAX);
    sim_hist_record(&hist.h, UINT64_C(1) << 63);
    sim_hist_record(&hist.h, 0);
    EXPECT_EQ(hist.h.buckets[SIM_HIST_BUCKETS - 1], 1u);
    EXPECT_EQ(hist.h.count, 3u);
    EXPECT_EQ(hist.h.sum_hi, 1u);
    EXPECT_EQ(hist.h.sum_lo, (UINT64_C(1) << 63) - 1);
    EXPECT_EQ(sim_hist_percentile(&hist.h, 100.0), UINT64_MAX);
    EXPECT_EQ(sim_hist_percentile(&hist.h, 50.0), UINT64_C(1) << 63);
}

TEST(SimHist, BucketLowHighAreExactInverse)
{
    for (uint32_t b = 0; b < SIM_HIST_BUCKETS; b++) {
        uint64_t lo = sim_hist_bucket_low(b);
        uint64_t hi = sim_hist_bucket_high(b);
        ASSERT_LE(lo, hi) << b;
        ASSERT_EQ(sim_hist_bucket(lo), b);
        ASSERT_EQ(sim_hist_bucket(hi), b);
        if (b + 1 < SIM_HIST_BUCKETS) {
            ASSERT_EQ(sim_hist_bucket_low(b + 1), hi + 1) << b;
        }
        if (b < 2 * SIM_HIST_SUB) {
            ASSERT_EQ(lo, b);
            ASSERT_EQ(hi, b);
        } else {
            /* The bucket is at most 1/128 of its lower bound wide. */
            ASSERT_LE((U128)(hi - lo + 1) * SIM_HIST_SUB, (U128)lo) << b;
        }
    }
}

TEST(SimHist, BucketRoundTripForChosenValues)
{
    std::vector<uint64_t> values = {0,
                                    1,
                                    2,
                                    127,
                                    128,
                                    129,
                                    254,
                                    255,
                                    256,
                                    257,
                                    511,
                                    512,
                                    513,
                                    1000,
                                    4095,
                                    4096,
                                    UINT64_C(1) << 62,
                                    (UINT64_C(1) << 63) - 1,
                                    UINT64_C(1) << 63,
                                    (UINT64_C(1) << 63) + 1,
                                    UINT64_MAX - 1,
                                    UINT64_MAX};
    for (int k = 0; k < 64; k++) {
        uint64_t p = UINT64_C(1) << k;
        values.push_back(p);
        values.push_back(p - 1);
        values.push_back(p + 1);
    }
    std::mt19937_64 rng(12345);
    for (int i = 0; i < 100000; i++) {
        values.push_back(rng() >> (rng() % 64));
    }
    for (uint64_t v : values) {
        uint32_t b = sim_hist_bucket(v);
        ASSERT_LT(b, SIM_HIST_BUCKETS) << v;
        ASSERT_LE(sim_hist_bucket_low(b), v) << v;
        ASSERT_GE(sim_hist_bucket_high(b), v) << v;
    }
    EXPECT_EQ(sim_hist_bucket(255), 255u);
    EXPECT_EQ(sim_hist_bucket(256), 256u);
    EXPECT_EQ(sim_hist_bucket_low(sim_hist_bucket(UINT64_C(1) << 63)), UINT64_C(1) << 63);
    EXPECT_EQ(sim_hist_bucket_high(sim_hist_bucket(UINT64_MAX)), UINT64_MAX);
}

/* ---- percentiles ---- */

TEST(SimHist, PercentilesMatchBruteForceSort)
{
    std::mt19937_64 rng(20240601);

    std::vector<uint64_t> uniform_small;
    for (int i = 0; i < 10000; i++) {
        uniform_small.push_back(rng() % 300);
    }
    CheckAgainstSort(uniform_small, "uniform 0..299");

    std::vector<uint64_t> exponential;
    std::uniform_real_distribution<double> expo(0.0, std::log(1e12));
    for (int i = 0; i < 100000; i++) {
        exponential.push_back((uint64_t)std::exp(expo(rng)));
    }
    exponential.push_back(1000000000000ULL);
    CheckAgainstSort(exponential, "log-uniform up to 1e12");

    CheckAgainstSort(std::vector<uint64_t>(1000, 123456789), "constant");
    CheckAgainstSort({777}, "single value");
    CheckAgainstSort({0}, "single zero");

    std::vector<uint64_t> full;
    for (int i = 0; i < 10000; i++) {
        full.push_back(rng());
    }
    CheckAgainstSort(full, "random 64-bit");

    std::vector<uint64_t> thousand;
    for (uint64_t v = 1; v <= 1000; v++) {
        thousand.push_back(v * 1000003);
    }
    CheckAgainstSort(thousand, "1000 distinct large values");

    for (size_t n = 1; n <= 40; n++) {
        std::vector<uint64_t> small;
        for (size_t i = 0; i < n; i++) {
            small.push_back(rng() % 100000);
        }
        CheckAgainstSort(small, ("small count " + std::to_string(n)).c_str());
    }
}

TEST(SimHist, PercentileUsesNearestRank)
{
    Hist hist;
    for (uint64_t v = 1; v <= 100; v++) {
        sim_hist_record(&hist.h, v);
    }
    EXPECT_EQ(sim_hist_percentile(&hist.h, 50.0), 50u);
    EXPECT_EQ(sim_hist_percentile(&hist.h, 90.0), 90u);
    EXPECT_EQ(sim_hist_percentile(&hist.h, 99.0), 99u);
    EXPECT_EQ(sim_hist_percentile(&hist.h, 99.9), 100u);
    EXPECT_EQ(sim_hist_percentile(&hist.h, 100.0), 100u);
    EXPECT_EQ(sim_hist_percentile(&hist.h, 0.5), 1u);
    EXPECT_EQ(sim_hist_percentile(&hist.h, 1.5), 2u);

    /* 99.9 % of 1000 is rank 999, although 99.9 * 1000 / 100 is not exactly 999 in doubles. */
    Hist k;
    for (uint64_t v = 1; v <= 1000; v++) {
        sim_hist_record(&k.h, v);
    }
    EXPECT_EQ(sim_hist_percentile(&k.h, 99.9), 999u);
    EXPECT_EQ(sim_hist_percentile(&k.h, 0.1), 1u);
}

/* The issue-15 case: four samples in ps, p50 is the second one, not a bucket bound. */
TEST(SimHist, FewSamplesGiveTheSampleItself)
{
    Hist hist;
    for (uint64_t v : {2356000u, 2358000u, 2100000u, 2900000u}) {
        sim_hist_record(&hist.h, v);
    }
    SimHistPct p50 = sim_hist_percentile_at(&hist.h, 50.0);
    EXPECT_TRUE(p50.exact);
    EXPECT_EQ(p50.sample, 2356000u);
    EXPECT_EQ(sim_hist_percentile(&hist.h, 75.0), 2358000u);
    EXPECT_EQ(sim_hist_percentile(&hist.h, 99.0), 2900000u);
}

/*
 * Past SIM_HIST_EXACT samples: 1000 x 200 then 300000..300999 (one bucket of width
 * 2048 from 299008, narrowed to [.., max 300999]). p75 is rank 1500, the 500th of the bucket's
 * 1000: lo + (hi - lo) x (500 - 1/2) / 1000 with lo 299008, hi 300999.
 */
TEST(SimHist, BeyondTheStoreAPercentileIsAnEstimateInsideItsBucket)
{
    Hist hist;
    for (int i = 0; i < 1000; i++) {
        sim_hist_record(&hist.h, 200);
    }
    for (uint64_t v = 300000; v < 301000; v++) {
        sim_hist_record(&hist.h, v);
    }
    ASSERT_GT(hist.h.count, (uint64_t)SIM_HIST_EXACT);
    uint32_t b = sim_hist_bucket(300000);
    ASSERT_EQ(sim_hist_bucket(300999), b);
    uint64_t lo = sim_hist_bucket_low(b);
    ASSERT_EQ(lo, 299008u);
    SimHistPct p75 = sim_hist_percentile_at(&hist.h, 75.0);
    EXPECT_FALSE(p75.exact);
    EXPECT_DOUBLE_EQ(p75.estimate, 299008.0 + (300999.0 - 299008.0) * 499.5 / 1000.0);
    /* p50 is rank 1000, in the bucket of 200 alone (below 256 a bucket is one value): exact. */
    SimHistPct p50 = sim_hist_percentile_at(&hist.h, 50.0);
    EXPECT_TRUE(p50.exact);
    EXPECT_EQ(p50.sample, 200u);
}

TEST(SimHist, EmptyHistogramReportsZero)
{
    Hist hist;
    EXPECT_EQ(sim_hist_percentile(&hist.h, 50.0), 0u);
    EXPECT_EQ(sim_hist_mean(&hist.h), 0.0);
    EXPECT_EQ(hist.h.count, 0u);
}

/* ---- time averages ---- */

TEST(SimTimeAvg, PiecewiseConstantMeanIsExact)
{
    SimTimeAvg a;
    sim_timeavg_init(&a, 0, 0);
    sim_timeavg_set(&a, 100, 4);
    sim_timeavg_set(&a, 300, 2);
    sim_timeavg_set(&a, 400, 0);
    /* 4 x 200 + 2 x 100 over 1000 ps. */
    EXPECT_EQ(sim_timeavg_mean(&a, 0, 1000), 1.0);
    EXPECT_EQ(a.max, 4u);
    EXPECT_EQ(a.area_lo, 1000u);
    EXPECT_EQ(a.area_hi, 0u);

    /* The current value counts up to the end of the window. */
    sim_timeavg_set(&a, 500, 3);
    EXPECT_EQ(sim_timeavg_mean(&a, 0, 1200), (1000.0 + 3.0 * 700.0) / 1200.0);

    SimTimeAvg b;
    sim_timeavg_init(&b, 0, 3);
    EXPECT_EQ(sim_timeavg_mean(&b, 0, 0), 0.0);
    EXPECT_EQ(sim_timeavg_mean(&b, 0, 7), 3.0);
    sim_timeavg_set(&b, 1, 0);
    EXPECT_EQ(sim_timeavg_mean(&b, 0, 7), 3.0 / 7.0);
    EXPECT_EQ(b.max, 3u);
}

TEST(SimTimeAvg, SettingSameValueIsNoOp)
{
    SimTimeAvg a;
    SimTimeAvg b;
    std::memset(&a, 0, sizeof(a));
    std::memset(&b, 0, sizeof(b));
    sim_timeavg_init(&a, 0, 5);
    sim_timeavg_init(&b, 0, 5);

    SimTimeAvg before = a;
    sim_timeavg_set(&a, 1234, 5);
    EXPECT_EQ(std::memcmp(&a, &before, sizeof(a)), 0);

    /* a is set at every cycle (every-cycle kernel), b only when the value changes. */
    const uint64_t pattern[] = {5, 5, 5, 7, 7, 2, 2, 2, 2, 9, 9, 0, 0, 0, 5};
    uint64_t prev = 5;
    for (size_t i = 0; i < sizeof(pattern) / sizeof(pattern[0]); i++) {
        SimTime now = 1250 * (i + 1);
        sim_timeavg_set(&a, now, pattern[i]);
        if (pattern[i] != prev) {
            sim_timeavg_set(&b, now, pattern[i]);
            prev = pattern[i];
        }
    }
    EXPECT_EQ(std::memcmp(&a, &b, sizeof(a)), 0);
    EXPECT_EQ(sim_timeavg_mean(&a, 0, 100000), sim_timeavg_mean(&b, 0, 100000));
}

TEST(SimTimeAvg, AreaBeyond64BitsIsExact)
{
    SimTimeAvg a;
    const uint64_t big = UINT64_C(1) << 62;
    sim_timeavg_init(&a, 0, big);
    sim_timeavg_set(&a, 1000000, 0);
    EXPECT_EQ(a.area_hi, (uint64_t)(((U128)big * 1000000) >> 64));
    EXPECT_EQ(a.area_lo, (uint64_t)((U128)big * 1000000));
    EXPECT_EQ(sim_timeavg_mean(&a, 0, 1000000), (double)big);
    EXPECT_EQ(sim_timeavg_mean(&a, 0, 2000000), (double)(big / 2));
}

/* ---- registry and writers ---- */

namespace
{

/* A small registry with one of everything; the fields live as long as the fixture. */
struct Sample {
    Stats stats;
    uint64_t reads = 42;
    uint64_t bytes = 3072;
    double bandwidth = 12.5;
    double ratio = std::nan("");
    SimTimeAvg occ;
    Hist latency;
    Hist empty;

    Sample()
    {
        sim_timeavg_init(&occ, 0, 0);
        sim_timeavg_set(&occ, 250, 2);
        sim_timeavg_set(&occ, 750, 1);
        for (uint64_t ps : {1000, 2000, 3000, 4000}) {
            sim_hist_record(&latency.h, ps);
        }
        SimStats *s = stats.s;
        EXPECT_TRUE(sim_stats_add(s, SIM_STAT_COUNTER, "src0", "reads", &reads, 1, "reads"));
        EXPECT_TRUE(sim_stats_add(s, SIM_STAT_COUNTER, "src0", "kib", &bytes, 1024, nullptr));
        EXPECT_TRUE(sim_stats_add(s, SIM_STAT_REAL, "src0", "bandwidth_gbps", &bandwidth, 1, ""));
        EXPECT_TRUE(sim_stats_add(s, SIM_STAT_TIMEAVG, "q0", "occ", &occ, 1, "occupancy"));
        EXPECT_TRUE(
            sim_stats_add(s, SIM_STAT_HIST, "sink0", "latency_ns", &latency.h, 1000, "latency"));
        EXPECT_TRUE(sim_stats_add(s, SIM_STAT_HIST, "sink0", "empty", &empty.h, 1, nullptr));
        EXPECT_TRUE(sim_stats_add(s, SIM_STAT_REAL, "src0", "ratio", &ratio, 1, nullptr));
        EXPECT_TRUE(sim_stats_add(s, SIM_STAT_COUNTER, nullptr, "cycles", &reads, 1, nullptr));
        sim_stats_set_window(s, 0, 1000);
    }
};

SimRunInfo SampleRun()
{
    SimRunInfo run = {};
    run.config = "topo \"a\".yaml";
    run.seed = 7;
    run.kernel = "fast";
    run.end_time = 1000;
    run.wall_seconds = 0.5;
    run.activations = 1000;
    return run;
}

const char kSampleJson[] = R"({
  "schema": "membox-sim-stats/1",
  "run": {
    "config": "topo \"a\".yaml",
    "seed": 7,
    "end_time_ps": 1000,
    "end_time_ns": 1.0
  },
  "stats": {
    "src0.reads": 42,
    "src0.kib": 3.0,
    "src0.bandwidth_gbps": 12.5,
    "q0.occ.avg": 1.25,
    "q0.occ.max": 2,
    "sink0.latency_ns.count": 4,
    "sink0.latency_ns.min": 1.0,
    "sink0.latency_ns.avg": 2.5,
    "sink0.latency_ns.p50": 2.0,
    "sink0.latency_ns.p90": 4.0,
    "sink0.latency_ns.p99": 4.0,
    "sink0.latency_ns.p999": 4.0,
    "sink0.latency_ns.max": 4.0,
    "sink0.empty.count": 0,
    "sink0.empty.min": 0,
    "sink0.empty.avg": 0.0,
    "sink0.empty.p50": 0,
    "sink0.empty.p90": 0,
    "sink0.empty.p99": 0,
    "sink0.empty.p999": 0,
    "sink0.empty.max": 0,
    "src0.ratio": null,
    "cycles": 42
  },
  "estimated": [],
  "host": {
    "kernel": "fast",
    "wall_seconds": 0.5,
    "activations": 1000,
    "activations_per_second": 2000.0
  },
  "meta": {
    "version": null,
    "git_describe": null,
    "config": "topo \"a\".yaml",
    "config_hash": null,
    "seed": 7,
    "kernel": "fast",
    "overrides": [],
    "host": null,
    "started_utc": null,
    "wall_seconds": 0.5
  }
}
)";

/* The "stats" object of a JSON text as key -> raw value text, in order. */
std::vector<std::pair<std::string, std::string>> ParseStatsSection(const std::string &json)
{
    std::vector<std::pair<std::string, std::string>> out;
    size_t pos = json.find("\"stats\": {");
    EXPECT_NE(pos, std::string::npos);
    size_t end = json.find("\n  }", pos);
    EXPECT_NE(end, std::string::npos);
    pos = json.find('\n', pos) + 1;
    while (pos < end) {
        size_t eol = json.find('\n', pos);
        std::string line = json.substr(pos, eol - pos);
        pos = eol + 1;
        EXPECT_EQ(line.compare(0, 5, "    \""), 0) << line;
        size_t q = line.find("\": ", 5);
        EXPECT_NE(q, std::string::npos) << line;
        std::string key = line.substr(5, q - 5);
        std::string value = line.substr(q + 3);
        if (!value.empty() && value.back() == ',') {
            value.pop_back();
        }
        out.emplace_back(key, value);
    }
    return out;
}

} // namespace

TEST(SimStats, JsonMatchesExpectedText)
{
    Sample sample;
    SimRunInfo run = SampleRun();
    std::string json =
        Capture([&](FILE *f) { return sim_stats_write_json(sample.stats.s, &run, f); });
    EXPECT_EQ(json, kSampleJson);
}

TEST(SimStats, JsonParsesBackToTheLookedUpValues)
{
    Sample sample;
    SimRunInfo run = SampleRun();
    std::string json =
        Capture([&](FILE *f) { return sim_stats_write_json(sample.stats.s, &run, f); });
    auto stats = ParseStatsSection(json);
    ASSERT_EQ(stats.size(), 23u);
    for (const auto &kv : stats) {
        SCOPED_TRACE(kv.first);
        double v = 0;
        ASSERT_TRUE(sim_stats_get(sample.stats.s, kv.first.c_str(), &v));
        if (kv.second == "null") {
            EXPECT_FALSE(std::isfinite(v));
        } else {
            char *end = nullptr;
            double parsed = std::strtod(kv.second.c_str(), &end);
            EXPECT_EQ(*end, '\0');
            EXPECT_EQ(parsed, v);
        }
    }
}

TEST(SimStats, JsonEmptyRegistryAndEscapes)
{
    Stats stats;
    SimRunInfo run = {};
    run.config = "a\\b\n\t\x01 caf\xc3\xa9 \xff end";
    run.kernel = nullptr;
    std::string json = Capture([&](FILE *f) { return sim_stats_write_json(stats.s, &run, f); });
    EXPECT_NE(json.find("\"config\": \"a\\\\b\\n\\t\\u0001 caf\xc3\xa9 \\ufffd end\""),
              std::string::npos)
        << json;
    EXPECT_NE(json.find("  \"stats\": {},\n"), std::string::npos) << json;
    EXPECT_NE(json.find("\"kernel\": null"), std::string::npos) << json;
    /* No wall time: no speed, and never a NaN or an infinity in the output. */
    EXPECT_NE(json.find("\"activations_per_second\": null"), std::string::npos) << json;
    EXPECT_EQ(json.find("nan"), std::string::npos);
    EXPECT_EQ(json.find("inf"), std::string::npos);
}

TEST(SimStats, StatsSectionDoesNotDependOnHost)
{
    Sample sample;
    SimRunInfo a = SampleRun();
    SimRunInfo b = SampleRun();
    b.kernel = "every-cycle";
    b.wall_seconds = 17.25;
    b.activations = 123456789;
    std::string ja = Capture([&](FILE *f) { return sim_stats_write_json(sample.stats.s, &a, f); });
    std::string jb = Capture([&](FILE *f) { return sim_stats_write_json(sample.stats.s, &b, f); });
    EXPECT_NE(ja, jb);
    EXPECT_EQ(ja.substr(0, ja.find("\"host\"")), jb.substr(0, jb.find("\"host\"")));
}

TEST(SimStats, RealsAreShortestRoundTrip)
{
    const double values[] = {0.1,
                             1.0 / 3.0,
                             2.0 / 3.0,
                             5.0,
                             -0.0,
                             1e300,
                             1e-300,
                             5e-324,
                             std::numeric_limits<double>::max(),
                             123456789012345678.0,
                             0.30000000000000004,
                             9007199254740993.0};
    const char *expected[] = {"0.1",
                              "0.3333333333333333",
                              "0.6666666666666666",
                              "5.0",
                              "-0.0",
                              "1e+300",
                              "1e-300",
                              "4.94065645841247e-324",
                              "1.7976931348623157e+308",
                              "1.2345678901234568e+17",
                              "0.30000000000000004",
                              "9007199254740992.0"};
    const size_t n = sizeof(values) / sizeof(values[0]);
    Stats stats;
    std::vector<double> fields(values, values + n);
    for (size_t i = 0; i < n; i++) {
        ASSERT_TRUE(sim_stats_add(stats.s, SIM_STAT_REAL, "r", ("v" + std::to_string(i)).c_str(),
                                  &fields[i], 1, nullptr));
    }
    SimRunInfo run = {};
    std::string row = Capture([&](FILE *f) { return sim_stats_write_csv_row(stats.s, &run, f); });
    ASSERT_FALSE(row.empty());
    ASSERT_EQ(row.back(), '\n');
    row.pop_back();
    std::vector<std::string> cells;
    size_t start = 0;
    for (;;) {
        size_t comma = row.find(',', start);
        cells.push_back(row.substr(start, comma - start));
        if (comma == std::string::npos) {
            break;
        }
        start = comma + 1;
    }
    ASSERT_EQ(cells.size(), n + 3);
    for (size_t i = 0; i < n; i++) {
        SCOPED_TRACE(i);
        EXPECT_EQ(cells[i + 3], expected[i]);
        double back = std::strtod(cells[i + 3].c_str(), nullptr);
        EXPECT_EQ(std::memcmp(&back, &values[i], sizeof(double)), 0);
    }
}

TEST(SimStats, CsvHeaderAndRow)
{
    Stats stats;
    uint64_t reads = 9;
    double odd = 0.25;
    double inf = std::numeric_limits<double>::infinity();
    Hist lat;
    sim_hist_record(&lat.h, 10);
    sim_hist_record(&lat.h, 30);
    SimTimeAvg occ;
    sim_timeavg_init(&occ, 0, 4);
    ASSERT_TRUE(sim_stats_add(stats.s, SIM_STAT_COUNTER, "src0", "reads", &reads, 1, nullptr));
    ASSERT_TRUE(sim_stats_add(stats.s, SIM_STAT_REAL, "x", "a,\"b\"", &odd, 1, nullptr));
    ASSERT_TRUE(sim_stats_add(stats.s, SIM_STAT_HIST, "sink0", "lat", &lat.h, 1, nullptr));
    ASSERT_TRUE(sim_stats_add(stats.s, SIM_STAT_TIMEAVG, "q", "occ", &occ, 2, nullptr));
    ASSERT_TRUE(sim_stats_add(stats.s, SIM_STAT_REAL, "q", "inf", &inf, 1, nullptr));

    std::string header = Capture([&](FILE *f) { return sim_stats_write_csv_header(stats.s, f); });
    EXPECT_EQ(header, "config,seed,end_time_ns,src0.reads,\"x.a,\"\"b\"\"\",sink0.lat.count,"
                      "sink0.lat.min,sink0.lat.avg,sink0.lat.p50,sink0.lat.p90,sink0.lat.p99,"
                      "sink0.lat.p999,sink0.lat.max,q.occ.avg,q.occ.max,q.inf\n");

    SimRunInfo run = {};
    run.config = "dir,1/topo.yaml";
    run.seed = 3;
    run.end_time = 2500;
    std::string row = Capture([&](FILE *f) { return sim_stats_write_csv_row(stats.s, &run, f); });
    EXPECT_EQ(row, "\"dir,1/topo.yaml\",3,2.5,9,0.25,2,10,20.0,10,30,30,30,30,2.0,2.0,\n");
}

TEST(SimStats, DuplicateKeysAreRejected)
{
    Stats stats;
    uint64_t c = 1;
    Hist h;
    ASSERT_TRUE(sim_stats_add(stats.s, SIM_STAT_COUNTER, "a", "b", &c, 1, nullptr));
    std::string before = Capture([&](FILE *f) { return sim_stats_write_csv_header(stats.s, f); });

    errno = 0;
    EXPECT_FALSE(sim_stats_add(stats.s, SIM_STAT_COUNTER, "a", "b", &c, 1, nullptr));
    EXPECT_EQ(errno, EEXIST);
    EXPECT_FALSE(sim_stats_add(stats.s, SIM_STAT_REAL, nullptr, "a.b", &c, 1, nullptr));
    EXPECT_FALSE(sim_stats_add(stats.s, SIM_STAT_REAL, "", "a.b", &c, 1, nullptr));

    /* Clashes between the flat keys of different kinds are duplicates too. */
    ASSERT_TRUE(sim_stats_add(stats.s, SIM_STAT_HIST, "x", "lat", &h.h, 1, nullptr));
    EXPECT_FALSE(sim_stats_add(stats.s, SIM_STAT_COUNTER, "x", "lat.p99", &c, 1, nullptr));
    ASSERT_TRUE(sim_stats_add(stats.s, SIM_STAT_COUNTER, "y", "lat.max", &c, 1, nullptr));
    EXPECT_FALSE(sim_stats_add(stats.s, SIM_STAT_TIMEAVG, "y", "lat", &c, 1, nullptr));
    /* The base key of a histogram is not written, so it does not clash. */
    EXPECT_TRUE(sim_stats_add(stats.s, SIM_STAT_COUNTER, "x", "lat", &c, 1, nullptr));

    std::string after = Capture([&](FILE *f) { return sim_stats_write_csv_header(stats.s, f); });
    EXPECT_EQ(after, "config,seed,end_time_ns,a.b,x.lat.count,x.lat.min,x.lat.avg,x.lat.p50,"
                     "x.lat.p90,x.lat.p99,x.lat.p999,x.lat.max,y.lat.max,x.lat\n");
    EXPECT_EQ(before, "config,seed,end_time_ns,a.b\n");
}

/* ---- statistics tables ---- */

struct Block {
    uint64_t sent;
    double util[3];
    Hist lat;
};

struct Lane {
    uint64_t busy;
    uint64_t words;
};

SimStatDesc Row(const char *name, SimStatKind kind, size_t offset, uint8_t block = 0,
                uint8_t group = 0, size_t stride = 0)
{
    SimStatDesc r;
    std::memset(&r, 0, sizeof(r));
    r.name = name;
    r.kind = kind;
    r.offset = offset;
    r.block = block;
    r.group = group;
    r.stride = stride;
    r.doc = "a statistic";
    return r;
}

TEST(SimStatTable, RowsRegisterInTableOrderGroupsIndexByIndex)
{
    Stats stats;
    Block blk{};
    blk.sent = 7;
    blk.util[0] = 0.5;
    blk.util[1] = 0.25;
    blk.util[2] = 0.125;
    Lane lanes[2] = {{10, 11}, {20, 21}};
    std::vector<SimStatDesc> rows = {
        Row("sent", SIM_STAT_COUNTER, offsetof(Block, sent)),
        Row("lane<n>_busy", SIM_STAT_COUNTER, offsetof(Lane, busy), 1, 1, sizeof(Lane)),
        Row("lane<n>_words", SIM_STAT_COUNTER, offsetof(Lane, words), 1, 1, sizeof(Lane)),
        Row("util_<dir>", SIM_STAT_REAL, offsetof(Block, util), 0, 2, sizeof(double)),
        Row("lat_ns", SIM_STAT_HIST, offsetof(Block, lat)),
    };
    rows[4].scale = 1000.0;
    static const char *const dirs[] = {"down", "up", "side"};
    std::vector<SimStatGroup> groups = {{"<n>", "0 .. lanes - 1", nullptr},
                                        {"<dir>", "down, up, side", dirs}};
    SimStatTable t = {rows.data(), rows.size(), groups.data(), groups.size(), nullptr, 0};
    static const uint32_t pick[] = {2, 0};
    SimStatBinding b;
    std::memset(&b, 0, sizeof(b));
    b.block[0] = &blk;
    b.block[1] = lanes;
    b.count[0] = 2;
    b.count[1] = 2;
    b.pick[1] = pick;
    ASSERT_TRUE(sim_stats_add_table(stats.s, "x", &t, &b));
    std::string header = Capture([&](FILE *f) { return sim_stats_write_csv_header(stats.s, f); });
    EXPECT_EQ(header, "config,seed,end_time_ns,x.sent,x.lane0_busy,x.lane0_words,x.lane1_busy,"
                      "x.lane1_words,x.util_side,x.util_down,x.lat_ns.count,x.lat_ns.min,"
                      "x.lat_ns.avg,x.lat_ns.p50,x.lat_ns.p90,x.lat_ns.p99,x.lat_ns.p999,"
                      "x.lat_ns.max\n");
    double v = 0;
    ASSERT_TRUE(sim_stats_get(stats.s, "x.lane1_words", &v));
    EXPECT_EQ(v, 21.0);
    ASSERT_TRUE(sim_stats_get(stats.s, "x.util_side", &v));
    EXPECT_EQ(v, 0.125);
    sim_hist_record(&blk.lat.h, 3000);
    ASSERT_TRUE(sim_stats_get(stats.s, "x.lat_ns.max", &v));
    EXPECT_EQ(v, 3.0); /* the row's scale */
}

TEST(SimStatTable, ANullBlockLeavesItsRowsOutAndScaleArgDivides)
{
    Stats stats;
    Block blk{};
    blk.sent = 12;
    uint64_t extra = 5;
    std::vector<SimStatDesc> rows = {
        Row("sent", SIM_STAT_COUNTER, offsetof(Block, sent)),
        Row("checked", SIM_STAT_COUNTER, 0, 1),
        Row("sent_per_lane", SIM_STAT_COUNTER, offsetof(Block, sent)),
    };
    rows[2].scale_arg = true;
    SimStatTable t = {rows.data(), rows.size(), nullptr, 0, nullptr, 0};
    SimStatBinding b;
    std::memset(&b, 0, sizeof(b));
    b.block[0] = &blk;
    b.scale = 4.0;
    ASSERT_TRUE(sim_stats_add_table(stats.s, "y", &t, &b));
    double v = 0;
    EXPECT_FALSE(sim_stats_get(stats.s, "y.checked", &v));
    ASSERT_TRUE(sim_stats_get(stats.s, "y.sent_per_lane", &v));
    EXPECT_EQ(v, 3.0);
    b.block[1] = &extra;
    ASSERT_TRUE(sim_stats_add_table(stats.s, "z", &t, &b));
    ASSERT_TRUE(sim_stats_get(stats.s, "z.checked", &v));
    EXPECT_EQ(v, 5.0);
}

TEST(SimStatTable, ARepeatedKeyStopsWithEexist)
{
    Stats stats;
    Block blk{};
    std::vector<SimStatDesc> rows = {
        Row("sent", SIM_STAT_COUNTER, offsetof(Block, sent)),
        Row("sent", SIM_STAT_COUNTER, offsetof(Block, sent)),
    };
    SimStatTable t = {rows.data(), rows.size(), nullptr, 0, nullptr, 0};
    SimStatBinding b;
    std::memset(&b, 0, sizeof(b));
    b.block[0] = &blk;
    errno = 0;
    EXPECT_FALSE(sim_stats_add_table(stats.s, "x", &t, &b));
    EXPECT_EQ(errno, EEXIST);
    EXPECT_STREQ(sim_stat_kind_name(SIM_STAT_TIMEAVG), "time-avg");
}

TEST(SimStats, ManyKeysKeepRegistrationOrder)
{
    Stats stats;
    std::vector<uint64_t> fields(5000);
    for (size_t i = 0; i < fields.size(); i++) {
        fields[i] = i * 3;
        std::string inst = "n" + std::to_string(i % 97);
        std::string name = "c" + std::to_string(i);
        ASSERT_TRUE(sim_stats_add(stats.s, SIM_STAT_COUNTER, inst.c_str(), name.c_str(), &fields[i],
                                  1, nullptr));
    }
    for (size_t i = 0; i < fields.size(); i += 7) {
        std::string key = "n" + std::to_string(i % 97) + ".c" + std::to_string(i);
        double v = -1;
        ASSERT_TRUE(sim_stats_get(stats.s, key.c_str(), &v)) << key;
        EXPECT_EQ(v, (double)(i * 3));
    }
    std::string header = Capture([&](FILE *f) { return sim_stats_write_csv_header(stats.s, f); });
    EXPECT_EQ(header.compare(0, 39, "config,seed,end_time_ns,n0.c0,n1.c1,n2."), 0) << header;
}

TEST(SimStats, GetResolvesEverySuffix)
{
    Sample sample;
    const std::map<std::string, double> expected = {
        {"src0.reads", 42},
        {"src0.kib", 3.0},
        {"src0.bandwidth_gbps", 12.5},
        {"q0.occ.avg", 1.25},
        {"q0.occ.max", 2},
        {"sink0.latency_ns.count", 4},
        {"sink0.latency_ns.min", 1.0},
        {"sink0.latency_ns.avg", 2.5},
        {"sink0.latency_ns.p50", 2.0},
        {"sink0.latency_ns.p90", 4.0},
        {"sink0.latency_ns.p99", 4.0},
        {"sink0.latency_ns.p999", 4.0},
        {"sink0.latency_ns.max", 4.0},
        {"sink0.empty.count", 0},
        {"sink0.empty.p99", 0},
        {"cycles", 42},
    };
    for (const auto &kv : expected) {
        double v = -1;
        EXPECT_TRUE(sim_stats_get(sample.stats.s, kv.first.c_str(), &v)) << kv.first;
        EXPECT_EQ(v, kv.second) << kv.first;
    }
    double v = 0;
    EXPECT_TRUE(sim_stats_get(sample.stats.s, "src0.ratio", &v));
    EXPECT_TRUE(std::isnan(v));

    v = 123;
    EXPECT_FALSE(sim_stats_get(sample.stats.s, "sink0.latency_ns", &v));
    EXPECT_FALSE(sim_stats_get(sample.stats.s, "q0.occ", &v));
    EXPECT_FALSE(sim_stats_get(sample.stats.s, "src0.reads.avg", &v));
    EXPECT_FALSE(sim_stats_get(sample.stats.s, "nope", &v));
    EXPECT_FALSE(sim_stats_get(sample.stats.s, "", &v));
    EXPECT_FALSE(sim_stats_get(sample.stats.s, nullptr, &v));
    EXPECT_EQ(v, 123);

    /* Values are read when asked for, not when registered. */
    sample.reads = 43;
    EXPECT_TRUE(sim_stats_get(sample.stats.s, "src0.reads", &v));
    EXPECT_EQ(v, 43);
}

TEST(SimStats, WindowSetsTheTimeAverage)
{
    Stats stats;
    SimTimeAvg occ;
    sim_timeavg_init(&occ, 0, 0);
    sim_timeavg_set(&occ, 100, 10);
    sim_timeavg_set(&occ, 200, 0);
    ASSERT_TRUE(sim_stats_add(stats.s, SIM_STAT_TIMEAVG, "q", "occ", &occ, 1, nullptr));
    double v = 0;
    /* Without a window, the look-up averages up to the last change. */
    ASSERT_TRUE(sim_stats_get(stats.s, "q.occ.avg", &v));
    EXPECT_EQ(v, 5.0);
    /* Without a window, the writers take [0, end of run]. */
    SimRunInfo run = {};
    run.end_time = 400;
    std::string row = Capture([&](FILE *f) { return sim_stats_write_csv_row(stats.s, &run, f); });
    EXPECT_EQ(row, ",0,0.4,2.5,10\n");
    /* With no run facts either, the writers average like the look-up. */
    std::string text = Capture([&](FILE *f) { return sim_stats_write_full(stats.s, nullptr, f); });
    EXPECT_NE(text.find("  occ           avg=5 max=10\n"), std::string::npos) << text;

    sim_stats_set_window(stats.s, 0, 1000);
    ASSERT_TRUE(sim_stats_get(stats.s, "q.occ.avg", &v));
    EXPECT_EQ(v, 1.0);
    ASSERT_TRUE(sim_stats_get(stats.s, "q.occ.max", &v));
    EXPECT_EQ(v, 10.0);
}

TEST(SimStats, SummaryGroupsRowsByInstance)
{
    Sample sample;
    uint64_t writes = 5;
    ASSERT_TRUE(sim_stats_add(sample.stats.s, SIM_STAT_COUNTER, "src0", "ddr3.writes", &writes, 1,
                              nullptr));
    SimRunInfo run = SampleRun();
    run.end_time = 1234567;
    run.activations = 3000000;
    run.wall_seconds = 1.5;
    std::string text =
        Capture([&](FILE *f) { return sim_stats_write_full(sample.stats.s, &run, f); });
    /* Labels are padded to the longest one, "bandwidth_gbps" (14 characters). */
    const char *lines[] = {
        "config            topo \"a\".yaml\n",
        "seed              7\n",
        "simulated         1234.567 ns\n",
        "\nsrc0\n",
        "  reads           42\n",
        "  kib             3\n",
        "  bandwidth_gbps  12.5\n",
        "  ratio           n/a\n",
        "  ddr3.writes     5\n",
        "\nq0\n",
        "  occ             avg=1.25 max=2\n",
        "\nsink0\n",
        "  latency_ns      n=4 avg=2.5 p50=2 p99=4 max=4\n",
        "  empty           n=0\n",
        "\n(no instance)\n",
        "  cycles          42\n",
        "\nhost\n",
        "  kernel          fast\n",
        "  wall time       1.5 s\n",
        "  activations     3000000 (2.00 M activations/s)\n",
    };
    size_t pos = 0;
    for (const char *line : lines) {
        size_t at = text.find(line, pos);
        EXPECT_NE(at, std::string::npos) << "missing or out of order: " << line << "in\n" << text;
        if (at != std::string::npos) {
            pos = at + std::strlen(line);
        }
    }
    EXPECT_EQ(pos, text.size()) << text;
}

TEST(SimStats, WriteErrorsAreReported)
{
    Sample sample;
    SimRunInfo run = SampleRun();

    /* A full device: the error shows when the buffered output is flushed. */
    FILE *full = fopen("/dev/full", "w");
    if (full != nullptr) {
        errno = 0;
        EXPECT_FALSE(sim_stats_write_json(sample.stats.s, &run, full));
        EXPECT_EQ(errno, ENOSPC);
        clearerr(full);
        EXPECT_FALSE(sim_stats_write_csv_header(sample.stats.s, full));
        clearerr(full);
        EXPECT_FALSE(sim_stats_write_csv_row(sample.stats.s, &run, full));
        clearerr(full);
        EXPECT_FALSE(sim_stats_write_summary(sample.stats.s, &run, full));
        fclose(full);
    }

    /* A stream opened for reading only. */
    FILE *ro = fopen("/dev/null", "r");
    ASSERT_NE(ro, nullptr);
    errno = 0;
    EXPECT_FALSE(sim_stats_write_json(sample.stats.s, &run, ro));
    EXPECT_NE(errno, 0);
    clearerr(ro);
    EXPECT_FALSE(sim_stats_write_csv_header(sample.stats.s, ro));
    clearerr(ro);
    EXPECT_FALSE(sim_stats_write_csv_row(sample.stats.s, &run, ro));
    clearerr(ro);
    EXPECT_FALSE(sim_stats_write_summary(sample.stats.s, &run, ro));
    fclose(ro);
}

/* The short summary: only rows with a role, by section; many instances of one row on one line. */
TEST(SimStats, SummaryShowsRolesOnlyAndFoldsManyInstances)
{
    struct Inst {
        SimHist lat;
        uint64_t errors;
        uint64_t other;
    };
    SimStatDesc rows[3] = {};
    rows[0].name = "lat_ns";
    rows[0].kind = SIM_STAT_HIST;
    rows[0].offset = offsetof(Inst, lat);
    rows[0].unit = "ns";
    rows[0].scale = 1000;
    rows[1].name = "errors";
    rows[1].kind = SIM_STAT_COUNTER;
    rows[1].offset = offsetof(Inst, errors);
    rows[1].unit = "packets";
    rows[2].name = "other";
    rows[2].kind = SIM_STAT_COUNTER;
    rows[2].offset = offsetof(Inst, other);
    static const SimStatRoleRow roles[] = {
        {"errors", SIM_STAT_ROLE_RETRIES},
        {"lat_ns", SIM_STAT_ROLE_LATENCY},
    };
    const SimStatTable table = {rows, 3, nullptr, 0, roles, 2};
    Stats stats;
    std::vector<Inst> inst(10);
    for (size_t i = 0; i < inst.size(); i++) {
        ASSERT_TRUE(sim_hist_init(&inst[i].lat));
        sim_hist_record(&inst[i].lat, 1000 * (i + 1));
        sim_hist_record(&inst[i].lat, 3000 * (i + 1));
        inst[i].errors = i == 3 ? 7 : 0;
        inst[i].other = 99;
        SimStatBinding b = {};
        b.block[0] = &inst[i];
        std::string name = "n" + std::to_string(i);
        ASSERT_TRUE(sim_stats_add_table(stats.s, name.c_str(), &table, &b));
    }
    Hist one;
    sim_hist_record(&one.h, 5);
    SimStatBinding b = {};
    SimStatDesc solo_rows[1] = {rows[0]}; /* another type's row */
    const SimStatTable single = {solo_rows, 1, nullptr, 0, roles + 1, 1};
    Inst solo = {};
    solo.lat = one.h;
    b.block[0] = &solo;
    ASSERT_TRUE(sim_stats_add_table(stats.s, "solo", &single, &b));
    SimRunInfo run = SampleRun();
    std::string text = Capture([&](FILE *f) { return sim_stats_write_summary(stats.s, &run, f); });
    EXPECT_NE(text.find("\nlatency\n  n0..n9.lat_ns         n=20 avg=11 p50=1..10 p99=3..30 "
                        "max=30 ns  [10 instances]\n  solo.lat_ns           n=1 avg=0.005 "
                        "p50=0.005 p99=0.005 max=0.005 ns\n"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("\nretries and errors\n  n0..n9.errors         total=7 packets min=0 "
                        "(n0) max=7 (n3)  [10 instances]\n"),
              std::string::npos)
        << text;
    EXPECT_EQ(text.find("other"), std::string::npos) << text;
    for (Inst &i : inst) {
        sim_hist_destroy(&i.lat);
    }
}
