// Parameter-server traces (sim/trace/pstrace.c): round trips between the text and binary forms,
// plain and gzip; tables of malformed traces, each with its exact message naming the file and
// the line or record; the writer's checks; the summary.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>
#include <zlib.h>

#include "sim/trace/pstrace.h"

namespace
{

std::string temp_path(const std::string &name)
{
    return ::testing::TempDir() + "membox_pstrace_" + std::to_string(getpid()) + "_" + name;
}

std::string write_file(const std::string &name, const std::string &bytes)
{
    std::string path = temp_path(name);
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
}

std::string read_file(const std::string &path)
{
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string gzip_bytes(const std::string &data)
{
    std::string path = temp_path("gz.tmp");
    gzFile gz = gzopen(path.c_str(), "wb6");
    EXPECT_NE(gz, nullptr);
    EXPECT_EQ(gzwrite(gz, data.data(), (unsigned)data.size()), (int)data.size());
    gzclose(gz);
    std::string out = read_file(path);
    std::remove(path.c_str());
    return out;
}

std::string gunzip_file(const std::string &path)
{
    gzFile gz = gzopen(path.c_str(), "rb");
    EXPECT_NE(gz, nullptr);
    std::string out;
    char buf[4096];
    int n;
    while ((n = gzread(gz, buf, sizeof(buf))) > 0) {
        out.append(buf, (size_t)n);
    }
    gzclose(gz);
    return out;
}

// A small valid trace in canonical text form: 2 workers, 1 iteration, 2 tensors, 19 events.
// Lines: 1 magic, 2-7 header, 8 'tensors 2', 9-10 tensors, 11 'events', 12 comment, 13-31
// events, 32 trailer.
const char *const kBase = "membox-pstrace 1\n"
                          "model tiny\n"
                          "workers 2\n"
                          "iterations 1\n"
                          "batch 4\n"
                          "dtype float32\n"
                          "origin hand-written test\n"
                          "tensors 2\n"
                          "tensor 0 fc.weight 10x20 800\n"
                          "tensor 1 fc.bias 10 40\n"
                          "events\n"
                          "# worker iteration kind tensor bytes start_us end_us\n"
                          "0 0 pull 0 800 0.000 1.500\n"
                          "1 0 pull 0 800 0.000 1.500\n"
                          "0 0 pull 1 40 1.500 2.000\n"
                          "1 0 pull 1 40 1.500 2.000\n"
                          "0 0 forward - - 2.000 10.000\n"
                          "1 0 forward - - 2.000 11.000\n"
                          "0 0 backward - - 10.000 30.000\n"
                          "1 0 backward - - 11.000 31.000\n"
                          "0 0 grad_ready 1 - 15.000 15.000\n"
                          "0 0 push 1 40 15.000 15.500\n"
                          "1 0 grad_ready 1 - 16.000 16.000\n"
                          "1 0 push 1 40 16.000 16.500\n"
                          "0 0 grad_ready 0 - 30.000 30.000\n"
                          "0 0 push 0 800 30.000 31.000\n"
                          "1 0 grad_ready 0 - 31.000 31.000\n"
                          "1 0 push 0 800 31.000 32.000\n"
                          "0 0 barrier - - 31.000 40.000\n"
                          "1 0 barrier - - 32.000 40.000\n"
                          "- 0 update - - 32.000 39.123\n"
                          "end 19\n";

// Version 2 (FORMAT.md): the same job with a warm-up iteration, CPU times of the compute and
// the server's side of every message. Lines: 1 magic, 2-8 header, 9 'tensors 1', 10 tensor,
// 11 'events', 12 comment, 13-26 events, 27 trailer.
const char *const kV2 = "membox-pstrace 2\n"
                        "model tiny\n"
                        "workers 1\n"
                        "iterations 2\n"
                        "batch 4\n"
                        "warmup 1\n"
                        "dtype float32\n"
                        "origin hand-written test\n"
                        "tensors 1\n"
                        "tensor 0 fc.bias 10 40\n"
                        "events\n"
                        "# worker iteration kind tensor bytes start_us end_us cpu_us\n"
                        "0 0 pull 0 40 0.000 1.000 -\n"
                        "0 0 send 0 40 0.100 0.900 -\n"
                        "0 0 forward - - 1.000 5.000 3.250\n"
                        "0 0 backward - - 5.000 9.000 7.999\n"
                        "0 0 grad_ready 0 - 9.000 9.000 -\n"
                        "0 0 push 0 40 9.000 10.000 -\n"
                        "0 0 recv 0 40 9.100 9.900 -\n"
                        "0 0 apply 0 - 9.900 10.500 0.600\n"
                        "0 0 barrier - - 10.000 11.000 -\n"
                        "- 0 update - - 10.500 10.900 -\n"
                        "0 1 pull 0 40 11.000 12.000 -\n"
                        "0 1 forward - - 12.000 13.000 -\n"
                        "0 1 backward - - 13.000 14.000 0.000\n"
                        "- 1 apply - - 14.000 14.500 0.400\n"
                        "end 14\n";

// text with `from` replaced by `to` (which must occur exactly once).
std::string mutate_in(const std::string &text, const std::string &from, const std::string &to)
{
    std::string s = text;
    size_t at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    EXPECT_EQ(s.find(from, at + 1), std::string::npos) << from;
    return s.replace(at, from.size(), to);
}

// kBase with `from` replaced by `to` (which must occur exactly once).
std::string mutate(const std::string &from, const std::string &to)
{
    std::string s = kBase;
    size_t at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    EXPECT_EQ(s.find(from, at + 1), std::string::npos) << from;
    return s.replace(at, from.size(), to);
}

struct Read {
    std::string error; // "" when the whole trace was read
    PsTraceForm form = PSTRACE_FORM_MAX;
    bool gzip = false;
    uint32_t version = 0, warmup = 0;
    std::string model, origin;
    uint32_t workers = 0, iterations = 0, batch = 0, n_tensors = 0;
    std::vector<std::string> names;
    std::vector<uint64_t> bytes;
    std::vector<PsTraceEvent> events;
};

Read read_all(const std::string &path)
{
    Read r;
    SimError err;
    sim_error_clear(&err);
    PsTrace *t = pstrace_open(path.c_str(), &err);
    if (t == nullptr) {
        EXPECT_EQ(err.kind, SIM_ERR_INPUT);
        r.error = err.msg;
        return r;
    }
    const PsTraceHeader *h = pstrace_header(t);
    r.form = pstrace_form(t);
    r.gzip = pstrace_is_gzip(t);
    r.version = h->version;
    r.warmup = h->warmup;
    r.model = h->model;
    r.origin = h->origin;
    r.workers = h->workers;
    r.iterations = h->iterations;
    r.batch = h->batch;
    r.n_tensors = h->n_tensors;
    for (uint32_t i = 0; i < h->n_tensors; i++) {
        r.names.push_back(h->tensors[i].name);
        r.bytes.push_back(h->tensors[i].bytes);
    }
    PsTraceEvent ev;
    int rc;
    while ((rc = pstrace_next(t, &ev, &err)) > 0) {
        r.events.push_back(ev);
    }
    if (rc < 0) {
        EXPECT_EQ(err.kind, SIM_ERR_INPUT);
        r.error = err.msg;
        EXPECT_LT(pstrace_next(t, &ev, &err), 0); // stays failed
    } else {
        EXPECT_EQ(pstrace_next(t, &ev, &err), 0); // stays at the end
    }
    pstrace_close(t);
    return r;
}

// Converts in to out through the library, as `membox-sim trace convert` does.
void convert(const std::string &in, const std::string &out, PsTraceForm form, bool gzip)
{
    SimError err;
    sim_error_clear(&err);
    PsTrace *t = pstrace_open(in.c_str(), &err);
    ASSERT_NE(t, nullptr) << err.msg;
    PsTraceWriter *w = pstrace_writer_open(out.c_str(), form, gzip, pstrace_header(t), &err);
    ASSERT_NE(w, nullptr) << err.msg;
    PsTraceEvent ev;
    int rc;
    while ((rc = pstrace_next(t, &ev, &err)) > 0) {
        ASSERT_TRUE(pstrace_writer_put(w, &ev, &err)) << err.msg;
    }
    ASSERT_EQ(rc, 0) << err.msg;
    ASSERT_TRUE(pstrace_writer_close(w, &err)) << err.msg;
    pstrace_close(t);
}

bool same_events(const std::vector<PsTraceEvent> &a, const std::vector<PsTraceEvent> &b)
{
    if (a.size() != b.size()) {
        return false;
    }
    for (size_t i = 0; i < a.size(); i++) {
        if (a[i].kind != b[i].kind || a[i].worker != b[i].worker ||
            a[i].iteration != b[i].iteration || a[i].tensor != b[i].tensor ||
            a[i].bytes != b[i].bytes || a[i].start_ns != b[i].start_ns ||
            a[i].end_ns != b[i].end_ns || a[i].has_cpu != b[i].has_cpu ||
            (a[i].has_cpu && a[i].cpu_ns != b[i].cpu_ns)) {
            return false;
        }
    }
    return true;
}

// The binary form of kBase, written by the library (offsets below follow FORMAT.md):
// header 32 + "tiny" 4 + "hand-written test" 17 = 53 bytes; tensor 0: 14 + 2 dims * 8 +
// "fc.weight" 9 = 39; tensor 1: 14 + 8 + "fc.bias" 7 = 29; so events start at 121, 28 bytes
// each: record 4 is the first event, record 22 the 19th, record 23 the trailer at 625.
const size_t kEvents = 121, kEventSize = 28, kTrailer = kEvents + 19 * kEventSize;

std::string base_binary()
{
    std::string text = write_file("base.pstrace", kBase);
    std::string bin = temp_path("base.pstb");
    convert(text, bin, PSTRACE_BINARY, false);
    return read_file(bin);
}

void put_le(std::string &s, size_t at, uint64_t v, int n)
{
    for (int i = 0; i < n; i++) {
        s[at + (size_t)i] = (char)(unsigned char)(v >> (8 * i));
    }
}

} // namespace

TEST(PsTrace, ReadsTheCanonicalTextForm)
{
    Read r = read_all(write_file("ok.pstrace", kBase));
    ASSERT_EQ(r.error, "");
    EXPECT_EQ(r.form, PSTRACE_TEXT);
    EXPECT_FALSE(r.gzip);
    EXPECT_EQ(r.model, "tiny");
    EXPECT_EQ(r.origin, "hand-written test");
    EXPECT_EQ(r.workers, 2u);
    EXPECT_EQ(r.iterations, 1u);
    EXPECT_EQ(r.batch, 4u);
    EXPECT_EQ(r.names, (std::vector<std::string>{"fc.weight", "fc.bias"}));
    EXPECT_EQ(r.bytes, (std::vector<uint64_t>{800, 40}));
    ASSERT_EQ(r.events.size(), 19u);
    EXPECT_EQ(r.events[0].kind, PSTRACE_PULL);
    EXPECT_EQ(r.events[0].bytes, 800u);
    EXPECT_EQ(r.events[0].end_ns, 1500u);
    EXPECT_EQ(r.events[4].kind, PSTRACE_FORWARD);
    EXPECT_EQ(r.events[4].tensor, PSTRACE_NO_TENSOR);
    EXPECT_EQ(r.events[4].bytes, 0u);
    EXPECT_EQ(r.events[18].kind, PSTRACE_UPDATE);
    EXPECT_EQ(r.events[18].worker, PSTRACE_SERVER);
    EXPECT_EQ(r.events[18].end_ns, 39123u);
}

TEST(PsTrace, AcceptsCommentsBlankLinesTabsCrlfAndShortTimes)
{
    std::string s =
        mutate("0 0 forward - - 2.000 10.000\n", "\n  # a comment\n0\t0  forward - -   2 10.5\r\n");
    Read r = read_all(write_file("loose.pstrace", s));
    ASSERT_EQ(r.error, "");
    ASSERT_EQ(r.events.size(), 19u);
    EXPECT_EQ(r.events[4].start_ns, 2000u);
    EXPECT_EQ(r.events[4].end_ns, 10500u);
}

TEST(PsTrace, RoundTripTextBinaryGzipAndPlainGiveTheSameTrace)
{
    std::string text = write_file("rt.pstrace", kBase);
    Read ref = read_all(text);
    ASSERT_EQ(ref.error, "");
    struct Case {
        const char *name;
        PsTraceForm form;
        bool gzip;
    } cases[] = {
        {"rt1.pstb", PSTRACE_BINARY, false},
        {"rt2.pstb.gz", PSTRACE_BINARY, true},
        {"rt3.pstrace", PSTRACE_TEXT, false},
        {"rt4.pstrace.gz", PSTRACE_TEXT, true},
    };
    for (const Case &c : cases) {
        std::string out = temp_path(c.name);
        convert(text, out, c.form, c.gzip);
        Read r = read_all(out);
        ASSERT_EQ(r.error, "") << c.name;
        EXPECT_EQ(r.form, c.form) << c.name;
        EXPECT_EQ(r.gzip, c.gzip) << c.name;
        EXPECT_EQ(r.origin, ref.origin) << c.name;
        EXPECT_EQ(r.names, ref.names) << c.name;
        EXPECT_TRUE(same_events(r.events, ref.events)) << c.name;
    }
    // Canonical text -> binary -> text and binary -> text -> binary are byte-identical, plain
    // and gzip alike (zlib writes no time stamp).
    std::string back = temp_path("rt5.pstrace");
    convert(temp_path("rt2.pstb.gz"), back, PSTRACE_TEXT, false);
    EXPECT_EQ(read_file(back), kBase);
    std::string back_gz = temp_path("rt6.pstrace.gz");
    convert(temp_path("rt1.pstb"), back_gz, PSTRACE_TEXT, true);
    EXPECT_EQ(read_file(back_gz), read_file(temp_path("rt4.pstrace.gz")));
    EXPECT_EQ(gunzip_file(back_gz), kBase);
    std::string bin_again = temp_path("rt7.pstb.gz");
    convert(temp_path("rt3.pstrace"), bin_again, PSTRACE_BINARY, true);
    EXPECT_EQ(read_file(bin_again), read_file(temp_path("rt2.pstb.gz")));
}

/* pstrace_rewind goes back to the first event of every form: the same events again, the same
 * trailer, the same positions (host.ps replays a trace more times than it measured this way). */
TEST(PsTrace, RewindGivesTheSameEventsAgainInEveryForm)
{
    std::string text = write_file("rw.pstrace", kBase);
    struct Case {
        const char *name;
        PsTraceForm form;
        bool gzip;
    } cases[] = {
        {"rw1.pstb", PSTRACE_BINARY, false},
        {"rw2.pstb.gz", PSTRACE_BINARY, true},
        {"rw3.pstrace", PSTRACE_TEXT, false},
        {"rw4.pstrace.gz", PSTRACE_TEXT, true},
    };
    for (const Case &c : cases) {
        std::string path = temp_path(c.name);
        convert(text, path, c.form, c.gzip);
        SimError err;
        sim_error_clear(&err);
        PsTrace *t = pstrace_open(path.c_str(), &err);
        ASSERT_NE(t, nullptr) << c.name << ": " << err.msg;
        uint64_t first_pos = pstrace_position(t);
        std::vector<PsTraceEvent> pass[2];
        uint64_t end_pos[2] = {0, 0};
        for (int k = 0; k < 2; k++) {
            PsTraceEvent ev;
            int r;
            while ((r = pstrace_next(t, &ev, &err)) > 0) {
                pass[k].push_back(ev);
            }
            EXPECT_EQ(r, 0) << c.name << ": " << err.msg;
            end_pos[k] = pstrace_position(t);
            if (k == 0) {
                ASSERT_TRUE(pstrace_rewind(t, &err)) << c.name << ": " << err.msg;
                EXPECT_EQ(pstrace_position(t), first_pos) << c.name;
            }
        }
        EXPECT_FALSE(pass[0].empty()) << c.name;
        EXPECT_TRUE(same_events(pass[0], pass[1])) << c.name;
        EXPECT_EQ(end_pos[0], end_pos[1]) << c.name;
        pstrace_close(t);
    }
}

TEST(PsTrace, BinaryLayoutIsAsDocumented)
{
    std::string b = base_binary();
    ASSERT_EQ(b.size(), kTrailer + kEventSize);
    EXPECT_EQ(b.substr(0, 8), std::string("MBPSTRC\0", 8));
    EXPECT_EQ(b[8], 1);  // version, little-endian
    EXPECT_EQ(b[12], 2); // workers
    EXPECT_EQ(b[24], 2); // tensors
    EXPECT_EQ(b[29], 4); // model name length
    EXPECT_EQ(b.substr(32, 4), "tiny");
    EXPECT_EQ((unsigned char)b[kEvents], PSTRACE_PULL);
    EXPECT_EQ((unsigned char)b[kEvents + 18 * kEventSize + 2], 0xff); // the server
    EXPECT_EQ((unsigned char)b[kTrailer], 0xff);
    EXPECT_EQ(b[kTrailer + 12], 19); // event count
}

TEST(PsTrace, StreamsALongTraceEventByEvent)
{
    // 200,000 events: the reader hands them out one at a time, checking the order as it goes.
    std::string path = temp_path("long.pstb.gz");
    SimError err;
    sim_error_clear(&err);
    PsTraceTensor ts = {};
    ts.name = (char *)"w";
    ts.rank = 1;
    ts.dims[0] = 256;
    ts.bytes = 1024;
    PsTraceHeader h = {};
    h.model = (char *)"long";
    h.origin = (char *)"";
    h.workers = 1;
    h.iterations = 100000;
    h.batch = 1;
    h.dtype = PSTRACE_FLOAT32;
    h.n_tensors = 1;
    h.tensors = &ts;
    PsTraceWriter *w = pstrace_writer_open(path.c_str(), PSTRACE_BINARY, true, &h, &err);
    ASSERT_NE(w, nullptr) << err.msg;
    for (uint32_t i = 0; i < 100000; i++) {
        PsTraceEvent pull = {PSTRACE_PULL, 0, i, 0, 1024, 10ull * i, 10ull * i + 4, false, 0};
        PsTraceEvent fwd = {PSTRACE_FORWARD, 0,     i, PSTRACE_NO_TENSOR, 0, 10ull * i + 4,
                            10ull * i + 9,   false, 0};
        ASSERT_TRUE(pstrace_writer_put(w, &pull, &err)) << err.msg;
        ASSERT_TRUE(pstrace_writer_put(w, &fwd, &err)) << err.msg;
    }
    ASSERT_TRUE(pstrace_writer_close(w, &err)) << err.msg;
    PsTrace *t = pstrace_open(path.c_str(), &err);
    ASSERT_NE(t, nullptr) << err.msg;
    EXPECT_EQ(pstrace_header(t)->origin, std::string(""));
    PsTraceSummary s;
    ASSERT_TRUE(pstrace_summarize(t, &s, &err)) << err.msg;
    EXPECT_EQ(s.events, 200000u);
    EXPECT_EQ(s.pull_bytes, 102400000u);
    EXPECT_EQ(pstrace_position(t), 200003u); // header, 1 tensor, 200,000 events, trailer
    pstrace_close(t);
}

TEST(PsTrace, SummaryCountsBytesComputeAndSizes)
{
    std::string path = write_file("sum.pstrace", kBase);
    SimError err;
    sim_error_clear(&err);
    PsTrace *t = pstrace_open(path.c_str(), &err);
    ASSERT_NE(t, nullptr) << err.msg;
    PsTraceSummary s;
    ASSERT_TRUE(pstrace_summarize(t, &s, &err)) << err.msg;
    EXPECT_EQ(s.events, 19u);
    EXPECT_EQ(s.by_kind[PSTRACE_GRAD_READY], 4u);
    EXPECT_EQ(s.by_kind[PSTRACE_UPDATE], 1u);
    EXPECT_EQ(s.push_bytes, 2u * 840u);
    EXPECT_EQ(s.pull_bytes, 2u * 840u);
    EXPECT_EQ(s.table_bytes, 840u);
    // forward 8 + 9 us, backward 20 + 20 us; workers busy 0..40 us each.
    EXPECT_EQ(s.compute_ns, 57000u);
    EXPECT_EQ(s.busy_ns, 80000u);
    EXPECT_EQ(s.first_ns, 0u);
    EXPECT_EQ(s.last_ns, 40000u);
    EXPECT_EQ(s.tensor_min, 40u);
    EXPECT_EQ(s.tensor_median, 40u);
    EXPECT_EQ(s.tensor_max, 800u);
    EXPECT_EQ(s.bucket_count[0], 2u);
    EXPECT_EQ(s.bucket_bytes[0], 840u);
    pstrace_close(t);
}

TEST(PsTrace, MalformedTextTracesNameFileAndLine)
{
    struct Case {
        std::string name, content, msg; // msg follows "PATH:"
    };
    const std::string ev1 = "0 0 pull 0 800 0.000 1.500\n";
    const std::vector<Case> cases = {
        {"empty", "",
         "1: empty file: expected the header line 'membox-pstrace 2' or the binary "
         "magic"},
        {"not-a-trace", "hello world\n",
         "1: not a parameter-server trace: expected the header line 'membox-pstrace 2' or the "
         "binary magic"},
        {"comment-first", std::string("# hi\n") + kBase,
         "1: not a parameter-server trace: expected the header line 'membox-pstrace 2' or the "
         "binary magic"},
        {"bad-version", mutate("membox-pstrace 1\n", "membox-pstrace 3\n"),
         "1: unsupported pstrace version '3' (this reader knows 1 and 2)"},
        {"unknown-key", mutate("batch 4\n", "batch 4\ncolour red\n"),
         "6: unknown header key 'colour' (expected model, workers, iterations, batch, dtype, "
         "origin or tensors)"},
        {"duplicate-key", mutate("batch 4\n", "batch 4\nworkers 3\n"),
         "6: duplicate header key 'workers' (first on line 3)"},
        {"missing-key", mutate("batch 4\n", ""),
         "7: header key 'batch' is missing (the header must give it before 'tensors')"},
        {"workers-zero", mutate("workers 2\n", "workers 0\n"), "3: workers must be at least 1"},
        {"workers-large", mutate("workers 2\n", "workers 70000\n"),
         "3: workers '70000' is too large (at most 65535)"},
        {"workers-negative", mutate("workers 2\n", "workers -2\n"), "3: negative workers '-2'"},
        {"two-values", mutate("batch 4\n", "batch 4 5\n"),
         "5: header key 'batch' takes one value, found 2"},
        {"bad-dtype", mutate("dtype float32\n", "dtype float8\n"),
         "6: unknown dtype 'float8' (expected float32, float16, bfloat16, float64 or int8)"},
        {"header-ends", "membox-pstrace 1\nmodel tiny\n",
         "3: the file ends in the header: expected 'tensors N' and the tensor table"},
        {"no-tensors", mutate("tensors 2\n", "tensors 0\n"),
         "8: the tensor table must hold at least one tensor"},
        {"size-mismatch-table",
         mutate("tensor 0 fc.weight 10x20 800\n", "tensor 0 fc.weight 10x20 801\n"),
         "9: tensor 0 'fc.weight' has 801 bytes, but its shape 10x20 of float32 makes 800"},
        {"bad-shape", mutate("10x20 800", "10x0 800"),
         "9: bad shape '10x0': expected 1 to 8 positive dimensions joined by 'x', e.g. "
         "64x3x7x7"},
        {"shape-rank", mutate("10x20 800", "1x1x1x1x1x1x1x1x1 4"),
         "9: bad shape '1x1x1x1x1x1x1x1x1': expected 1 to 8 positive dimensions joined by 'x', "
         "e.g. 64x3x7x7"},
        {"tensor-id-order", mutate("tensor 1 fc.bias", "tensor 2 fc.bias"),
         "10: tensor id 2 where 1 was expected (ids run from 0 in order)"},
        {"duplicate-name", mutate("tensor 1 fc.bias 10 40", "tensor 1 fc.weight 10 40"),
         "10: duplicate tensor name 'fc.weight' (also tensor 0)"},
        {"tensor-fields", mutate("tensor 1 fc.bias 10 40", "tensor 1 fc.bias 40"),
         "10: expected 'tensor ID NAME SHAPE BYTES' (tensor 1 of 2)"},
        {"table-cut",
         "membox-pstrace 1\nmodel m\nworkers 1\niterations 1\nbatch 1\n"
         "dtype int8\norigin\ntensors 2\ntensor 0 a 3 3\n",
         "10: the file ends in the tensor table: tensor 1 of the 2 announced on line 8 is "
         "missing"},
        {"no-events-line", mutate("events\n", ""),
         "12: expected 'events' after the 2 tensors announced on line 8, found '0'"},
        {"unknown-tensor", mutate(ev1, "0 0 pull 99 800 0.000 1.500\n"),
         "13: unknown tensor id 99 (the tensor table has 0..1)"},
        {"negative-time", mutate(ev1, "0 0 pull 0 800 -1.000 1.500\n"),
         "13: negative start time '-1.000'"},
        {"negative-end", mutate(ev1, "0 0 pull 0 800 0.000 -1.5\n"),
         "13: negative end time '-1.5'"},
        {"size-mismatch-event", mutate(ev1, "0 0 pull 0 799 0.000 1.500\n"),
         "13: pull of tensor 0 'fc.weight' carries 799 bytes, but the tensor table says 800"},
        {"push-without-bytes", mutate("0 0 push 1 40 15.000", "0 0 push 1 - 15.000"),
         "22: a push needs its byte count"},
        {"bytes-on-forward", mutate("0 0 forward - - 2.000", "0 0 forward - 8 2.000"),
         "17: a forward carries no bytes: write '-', not '8'"},
        {"tensor-on-barrier", mutate("0 0 barrier - -", "0 0 barrier 1 -"),
         "29: a barrier takes no tensor id, found 1"},
        {"pull-without-tensor", mutate(ev1, "0 0 pull - 800 0.000 1.500\n"),
         "13: a pull needs a tensor id"},
        {"end-before-start", mutate(ev1, "0 0 pull 0 800 2.000 1.500\n"),
         "13: end time 1.500 us is before start time 2.000 us"},
        {"out-of-order",
         mutate("1 0 pull 0 800 0.000 1.500\n", "1 0 pull 0 800 0.000 1.500\n"
                                                "1 0 pull 0 800 0.000 1.500\n"
                                                "0 0 forward - - 0.000 0.001\n"
                                                "0 0 pull 1 40 1.000 1.000\n"
                                                "0 0 pull 1 40 0.500 1.000\n"),
         "18: start time 0.500 us is before the previous event's start 1.000 us (events must "
         "be in order of start time)"},
        {"unknown-kind", mutate("0 0 forward", "0 0 fwd"),
         "17: unknown event kind 'fwd' (expected forward, backward, grad_ready, push, pull, "
         "update or barrier)"},
        {"worker-range", mutate(ev1, "2 0 pull 0 800 0.000 1.500\n"),
         "13: worker 2 is outside 0..1 (the header says workers 2)"},
        {"iteration-range", mutate(ev1, "0 1 pull 0 800 0.000 1.500\n"),
         "13: iteration 1 is outside 0..0 (the header says iterations 1)"},
        {"server-push", mutate("0 0 push 1 40 15.000", "- 0 push 1 40 15.000"),
         "22: only an update or an apply may name no worker (worker '-'), not a push"},
        {"grad-ready-span",
         mutate("0 0 grad_ready 1 - 15.000 15.000", "0 0 grad_ready 1 - 15.000 15.100"),
         "21: a grad_ready is an instant: its end must equal its start"},
        {"decimals", mutate(ev1, "0 0 pull 0 800 0.0001 1.500\n"),
         "13: start time '0.0001' has more than 3 decimals (the resolution is 1 ns)"},
        {"bad-time", mutate(ev1, "0 0 pull 0 800 1e3 1.500\n"),
         "13: bad start time '1e3': expected microseconds, e.g. 12.345"},
        {"fields", mutate(ev1, "0 0 pull 0 800 0.000\n"),
         "13: expected 'WORKER ITERATION KIND TENSOR BYTES START END', found 6 fields"},
        {"trailer-count", mutate("end 19\n", "end 20\n"),
         "32: the trailer says 20 events, but the file has 19"},
        {"no-trailer", mutate("end 19\n", ""),
         "32: the file ends without the trailer 'end 19' (truncated?)"},
        {"after-trailer", mutate("end 19\n", "end 19\n0 0 forward - - 50 60\n"),
         "33: text after the trailer"},
        {"long-line", mutate("origin hand-written test", "origin " + std::string(5000, 'x')),
         "7: line longer than 4096 characters"},
    };
    for (const Case &c : cases) {
        std::string path = write_file(c.name + ".pstrace", c.content);
        Read r = read_all(path);
        EXPECT_EQ(r.error, path + ":" + c.msg) << c.name;
    }
}

TEST(PsTrace, TruncatedGzipNamesTheLineOrRecord)
{
    // Without its 8-byte trailer the gzip stream still inflates completely: the error comes
    // where the reader asks for more, after the trace's own trailer.
    std::string gz = gzip_bytes(kBase);
    std::string path = write_file("cut1.pstrace.gz", gz.substr(0, gz.size() - 8));
    EXPECT_EQ(read_all(path).error, path + ":33: truncated gzip stream: unexpected end of file");
    std::string bgz = gzip_bytes(base_binary());
    path = write_file("cut1.pstb.gz", bgz.substr(0, bgz.size() - 8));
    EXPECT_EQ(read_all(path).error,
              path + ": record 23: truncated gzip stream: unexpected end of file");
    // Cut in the middle: the same message at some line or record of the middle.
    path = write_file("cut2.pstrace.gz", gz.substr(0, gz.size() / 2));
    Read r = read_all(path);
    EXPECT_EQ(r.error.rfind(path + ":", 0), 0u) << r.error;
    EXPECT_NE(r.error.find(": truncated gzip stream: unexpected end of file"), std::string::npos)
        << r.error;
    path = write_file("cut2.pstb.gz", bgz.substr(0, bgz.size() / 2));
    r = read_all(path);
    EXPECT_EQ(r.error.rfind(path + ": record ", 0), 0u) << r.error;
    EXPECT_NE(r.error.find(": truncated gzip stream: unexpected end of file"), std::string::npos)
        << r.error;
    // Garbage after a valid gzip header.
    std::string bad = gz.substr(0, 10) + std::string(64, '\x55');
    path = write_file("corrupt.pstrace.gz", bad);
    r = read_all(path);
    EXPECT_EQ(r.error.rfind(path + ":1: corrupt gzip stream: ", 0), 0u) << r.error;
}

TEST(PsTrace, MalformedBinaryTracesNameFileAndRecord)
{
    const std::string base = base_binary();
    ASSERT_EQ(base.size(), kTrailer + kEventSize);
    struct Case {
        std::string name, content, msg; // msg follows "PATH: record "
    };
    std::vector<Case> cases;
    std::string s = base;
    put_le(s, 8, 3, 4);
    cases.push_back(
        {"bad-version", s, "1: unsupported pstrace version 3 (this reader knows 1 and 2)"});
    s = base;
    s[3] = 'X';
    cases.push_back({"bad-magic", s,
                     "1: not a parameter-server trace: expected the header line "
                     "'membox-pstrace 2' or the binary magic"});
    cases.push_back({"header-cut", base.substr(0, 20),
                     "1: cut short: 20 of 32 bytes "
                     "(truncated file?)"});
    cases.push_back({"record-cut", base.substr(0, kTrailer - 10),
                     "22: cut short: 18 of 28 bytes (truncated file?)"});
    cases.push_back(
        {"tensor-cut", base.substr(0, 53 + 20), "2: cut short: 20 of 39 bytes (truncated file?)"});
    cases.push_back({"no-trailer", base.substr(0, kTrailer),
                     "23: the file ends without the trailer record (truncated?)"});
    cases.push_back({"table-ends", base.substr(0, 53 + 39),
                     "3: the file ends in the tensor table: tensor 1 of 2 is missing"});
    s = base;
    put_le(s, kEvents + 8, 99, 4);
    cases.push_back({"unknown-tensor", s, "4: unknown tensor id 99 (the tensor table has 0..1)"});
    s = base;
    put_le(s, 53 + 4, 801, 8);
    cases.push_back({"size-mismatch-table", s,
                     "2: tensor 0 'fc.weight' has 801 bytes, but its shape 10x20 of float32 "
                     "makes 800"});
    s = base;
    s[kEvents + kEventSize] = 10;
    cases.push_back({"unknown-kind", s, "5: unknown event kind code 10"});
    s = base;
    s[kEvents + kEventSize] = 9; // send: a version 2 kind in a version 1 trace
    cases.push_back(
        {"v2-kind-in-v1", s, "5: a send event needs version 2 (this trace is version 1)"});
    s = base;
    put_le(s, kEvents + 12, 2000, 8); // start 2 us, end 1.5 us
    cases.push_back({"end-before-start", s,
                     "4: end time 1.500 us is before start time "
                     "2.000 us"});
    s = base;
    put_le(s, kEvents + 2, 7, 2);
    cases.push_back({"worker-range", s,
                     "4: worker 7 is outside 0..1 (the header says workers "
                     "2)"});
    s = base;
    put_le(s, kTrailer + 12, 18, 8);
    cases.push_back({"trailer-count", s, "23: the trailer says 18 events, but the file has 19"});
    cases.push_back({"after-trailer", base + "x", "24: data after the trailer record"});
    s = base;
    s[28] = 7;
    cases.push_back({"bad-dtype", s, "1: unknown dtype code 7"});
    s = base;
    put_le(s, 12, 0, 4);
    cases.push_back({"workers-zero", s, "1: workers 0 is outside 1..65535"});
    s = base;
    s[53 + 12] = 9;
    cases.push_back({"rank", s, "2: tensor 0: rank 9 is outside 1..8"});
    s = base;
    s[kEvents + 1] = 1;
    cases.push_back({"reserved", s, "4: reserved byte 1 of an event record must be zero"});
    for (const Case &c : cases) {
        std::string path = write_file(c.name + ".pstb", c.content);
        Read r = read_all(path);
        EXPECT_EQ(r.error, path + ": record " + c.msg) << c.name;
    }
}

TEST(PsTrace, TheTensorTableGrowsWithTheTensorsNotWithTheCountAHeaderClaims)
{
    // The table and its name set start small and double as tensors arrive: a real table of
    // 5000 tensors reads back whole in both forms, and a duplicate name is found across the
    // doublings.
    std::string text = "membox-pstrace 1\nmodel big\nworkers 1\niterations 1\nbatch 1\n"
                       "dtype float32\norigin\ntensors 5000\n";
    for (int i = 0; i < 5000; i++) {
        text += "tensor " + std::to_string(i) + " t" + std::to_string(i) + " 2x" +
                std::to_string(i + 1) + " " + std::to_string(8 * (i + 1)) + "\n";
    }
    text += "events\n0 0 pull 4999 40000 0 1\nend 1\n";
    std::string path = write_file("big.pstrace", text);
    Read r = read_all(path);
    ASSERT_EQ(r.error, "");
    ASSERT_EQ(r.n_tensors, 5000u);
    ASSERT_EQ(r.names.size(), 5000u);
    EXPECT_EQ(r.names[4999], "t4999");
    EXPECT_EQ(r.bytes[4999], 40000u);
    ASSERT_EQ(r.events.size(), 1u);
    std::string bin = temp_path("big.pstb.gz");
    convert(path, bin, PSTRACE_BINARY, true);
    Read rb = read_all(bin);
    ASSERT_EQ(rb.error, "");
    EXPECT_EQ(rb.names, r.names);
    EXPECT_EQ(rb.bytes, r.bytes);

    std::string dup = text;
    dup.replace(dup.find("tensor 4321 t4321 "), 18, "tensor 4321 t17 ");
    path = write_file("dup.pstrace", dup);
    EXPECT_EQ(read_all(path).error, path + ":4330: duplicate tensor name 't17' (also tensor 17)");

    // A header that claims the largest table the format allows, with no tensor after it.
    std::string claim = "membox-pstrace 1\nmodel m\nworkers 1\niterations 1\nbatch 1\n"
                        "dtype int8\norigin\ntensors 1000000\n";
    path = write_file("claim.pstrace", claim);
    EXPECT_EQ(read_all(path).error, path + ":9: the file ends in the tensor table: tensor 0 of "
                                           "the 1000000 announced on line 8 is missing");
    path = write_file("claim.pstrace.gz", gzip_bytes(claim + "tensor 0 a 1 1\n"));
    EXPECT_EQ(read_all(path).error, path + ":10: the file ends in the tensor table: tensor 1 of "
                                           "the 1000000 announced on line 8 is missing");
    std::string b = base_binary().substr(0, 53 + 39); // header and tensor 0 of 2
    put_le(b, 24, 1000000, 4);
    path = write_file("claim.pstb", b);
    EXPECT_EQ(read_all(path).error,
              path + ": record 3: the file ends in the tensor table: tensor 1 of 1000000 is "
                     "missing");
}

TEST(PsTrace, MissingFileAndWriterErrors)
{
    std::string missing = temp_path("no-such.pstrace");
    EXPECT_EQ(read_all(missing).error, missing + ": cannot open: No such file or directory");

    SimError err;
    sim_error_clear(&err);
    PsTraceTensor ts = {};
    ts.name = (char *)"w";
    ts.rank = 1;
    ts.dims[0] = 3;
    ts.bytes = 12;
    PsTraceHeader h = {};
    h.model = (char *)"m";
    h.origin = (char *)"test";
    h.workers = 2;
    h.iterations = 1;
    h.batch = 1;
    h.dtype = PSTRACE_FLOAT32;
    h.n_tensors = 1;
    h.tensors = &ts;
    std::string out = temp_path("w.pstrace");
    ts.bytes = 13;
    EXPECT_EQ(pstrace_writer_open(out.c_str(), PSTRACE_TEXT, false, &h, &err), nullptr);
    EXPECT_EQ(std::string(err.msg),
              out + ": tensor 0 'w' has 13 bytes, but its shape 3 of float32 makes 12");
    ts.bytes = 12;
    h.origin = (char *)"two\nlines";
    EXPECT_EQ(pstrace_writer_open(out.c_str(), PSTRACE_TEXT, false, &h, &err), nullptr);
    EXPECT_EQ(std::string(err.msg), out + ": bad origin: at most 1024 characters, no control "
                                          "characters, no leading or trailing blanks");
    h.origin = (char *)"test";
    std::string nodir = "/nonexistent-dir/w.pstrace";
    EXPECT_EQ(pstrace_writer_open(nodir.c_str(), PSTRACE_TEXT, false, &h, &err), nullptr);
    EXPECT_EQ(std::string(err.msg), nodir + ": cannot create: No such file or directory");

    PsTraceWriter *w = pstrace_writer_open(out.c_str(), PSTRACE_TEXT, false, &h, &err);
    ASSERT_NE(w, nullptr) << err.msg;
    PsTraceEvent ok = {PSTRACE_PUSH, 1, 0, 0, 12, 5000, 6000, false, 0};
    EXPECT_TRUE(pstrace_writer_put(w, &ok, &err)) << err.msg;
    PsTraceEvent bad = {PSTRACE_PULL, 0, 0, 4, 12, 7000, 8000, false, 0};
    EXPECT_FALSE(pstrace_writer_put(w, &bad, &err));
    EXPECT_EQ(std::string(err.msg), out + ": event 2: unknown tensor id 4 (the tensor table "
                                          "has 0..0)");
    PsTraceEvent early = {PSTRACE_FORWARD, 0, 0, PSTRACE_NO_TENSOR, 0, 4000, 8000, false, 0};
    EXPECT_FALSE(pstrace_writer_put(w, &early, &err));
    EXPECT_EQ(std::string(err.msg), out + ": event 2: start time 4.000 us is before the "
                                          "previous event's start 5.000 us (events must be in "
                                          "order of start time)");
    ASSERT_TRUE(pstrace_writer_close(w, &err)) << err.msg;
    EXPECT_TRUE(pstrace_writer_close(nullptr, &err));
    pstrace_close(nullptr);
    Read r = read_all(out);
    ASSERT_EQ(r.error, "");
    ASSERT_EQ(r.events.size(), 1u); // the rejected events were not written
    EXPECT_EQ(read_file(out).substr(read_file(out).size() - 6), "end 1\n");
}

TEST(PsTrace, Version2ReadsWarmupCpuTimesAndServerEvents)
{
    Read r = read_all(write_file("v2.pstrace", kV2));
    ASSERT_EQ(r.error, "");
    EXPECT_EQ(r.version, 2u);
    EXPECT_EQ(r.warmup, 1u);
    ASSERT_EQ(r.events.size(), 14u);
    EXPECT_FALSE(r.events[0].has_cpu);
    EXPECT_EQ(r.events[1].kind, PSTRACE_SEND);
    EXPECT_EQ(r.events[1].worker, 0u);
    EXPECT_EQ(r.events[1].bytes, 40u);
    EXPECT_TRUE(r.events[2].has_cpu);
    EXPECT_EQ(r.events[2].cpu_ns, 3250u);
    EXPECT_EQ(r.events[3].cpu_ns, 7999u);
    EXPECT_EQ(r.events[6].kind, PSTRACE_RECV);
    EXPECT_EQ(r.events[7].kind, PSTRACE_APPLY);
    EXPECT_EQ(r.events[7].tensor, 0u);
    EXPECT_EQ(r.events[7].cpu_ns, 600u);
    EXPECT_TRUE(r.events[12].has_cpu); // a CPU time of 0 is a time, not an absence
    EXPECT_EQ(r.events[12].cpu_ns, 0u);
    EXPECT_EQ(r.events[13].worker, PSTRACE_SERVER);
    EXPECT_EQ(r.events[13].tensor, PSTRACE_NO_TENSOR);
}

TEST(PsTrace, Version2RoundTripsThroughBothFormsByteForByte)
{
    std::string text = write_file("v2rt.pstrace", kV2);
    std::string bin = temp_path("v2rt.pstb");
    std::string back = temp_path("v2rt-back.pstrace");
    convert(text, bin, PSTRACE_BINARY, false);
    convert(bin, back, PSTRACE_TEXT, false);
    EXPECT_EQ(read_file(back), kV2);
    // Binary: a 36-byte header, 36-byte events and trailer (FORMAT.md): 36 + "tiny" 4 +
    // "hand-written test" 17 + tensor 14 + 8 + "fc.bias" 7, then 15 records of 36.
    std::string b = read_file(bin);
    ASSERT_EQ(b.size(), 36u + 4 + 17 + 14 + 8 + 7 + 15u * 36);
    EXPECT_EQ((unsigned char)b[8], 2u);
    EXPECT_EQ((unsigned char)b[32], 1u); // warmup
    const size_t ev = 36 + 4 + 17 + 14 + 8 + 7;
    // The pull has no CPU time (all ones), the forward 3250 ns.
    EXPECT_EQ(b.substr(ev + 28, 8), std::string(8, '\xff'));
    EXPECT_EQ((unsigned char)b[ev + 2 * 36 + 28], 3250u % 256);
    EXPECT_EQ((unsigned char)b[ev + 2 * 36 + 29], 3250u / 256);
    EXPECT_TRUE(same_events(read_all(text).events, read_all(bin).events));
    // A version 1 trace stays version 1 through the writer.
    std::string v1 = write_file("v1rt.pstrace", kBase);
    std::string v1back = temp_path("v1rt-back.pstrace");
    convert(v1, v1back, PSTRACE_TEXT, false);
    EXPECT_EQ(read_file(v1back), kBase);
}

TEST(PsTrace, MalformedVersion2TracesNameFileAndLine)
{
    struct Case {
        std::string name, content, msg; // msg follows "PATH:"
    };
    const std::string fwd = "0 0 forward - - 1.000 5.000 3.250\n";
    const std::vector<Case> cases = {
        {"v2-seven-fields", mutate_in(kV2, fwd, "0 0 forward - - 1.000 5.000\n"),
         "15: expected 'WORKER ITERATION KIND TENSOR BYTES START END CPU', found 7 fields"},
        {"v1-eight-fields",
         mutate("0 0 forward - - 2.000 10.000\n", "0 0 forward - - 2.000 10.000 1.0\n"),
         "17: expected 'WORKER ITERATION KIND TENSOR BYTES START END', found 8 fields"},
        {"cpu-on-pull",
         mutate_in(kV2, "0 0 pull 0 40 0.000 1.000 -", "0 0 pull 0 40 0.000 1.000 0.5"),
         "13: a pull takes no CPU time (only forward, backward, update and apply do): write '-'"},
        {"bad-cpu", mutate_in(kV2, fwd, "0 0 forward - - 1.000 5.000 3,2\n"),
         "15: bad CPU time '3,2': expected microseconds, e.g. 12.345"},
        {"negative-cpu", mutate_in(kV2, fwd, "0 0 forward - - 1.000 5.000 -3\n"),
         "15: negative CPU time '-3'"},
        {"warmup-too-big", mutate_in(kV2, "warmup 1\n", "warmup 2\n"),
         "6: warmup 2 leaves no measured iteration (the header says iterations 2)"},
        {"warmup-in-v1", mutate("batch 4\n", "batch 4\nwarmup 0\n"),
         "6: header key 'warmup' needs version 2 (line 1 says 1)"},
        {"recv-in-v1", mutate("- 0 update - - 32.000 39.123\n", "0 0 recv 0 800 32.000 39.123\n"),
         "31: a recv event needs version 2 (this trace is version 1)"},
        {"recv-from-nobody", mutate_in(kV2, "0 0 recv 0 40", "- 0 recv 0 40"),
         "19: only an update or an apply may name no worker (worker '-'), not a recv"},
        {"send-bytes", mutate_in(kV2, "0 0 send 0 40", "0 0 send 0 41"),
         "14: send of tensor 0 'fc.bias' carries 41 bytes, but the tensor table says 40"},
        {"recv-no-tensor", mutate_in(kV2, "0 0 recv 0 40", "0 0 recv - 40"),
         "19: a recv needs a tensor id"},
        {"unknown-kind", mutate_in(kV2, fwd, "0 0 fwd - - 1.000 5.000 3.250\n"),
         "15: unknown event kind 'fwd' (expected forward, backward, grad_ready, push, pull, "
         "update, barrier, recv, apply or send)"},
        {"unknown-key", mutate_in(kV2, "batch 4\n", "batch 4\ncolour red\n"),
         "6: unknown header key 'colour' (expected model, workers, iterations, batch, dtype, "
         "origin, warmup or tensors)"},
    };
    for (const Case &c : cases) {
        std::string path = write_file(c.name + ".pstrace", c.content);
        Read r = read_all(path);
        EXPECT_EQ(r.error, path + ":" + c.msg) << c.name;
    }
}

TEST(PsTrace, MalformedVersion2BinaryTracesNameTheRecord)
{
    std::string text = write_file("v2b.pstrace", kV2);
    std::string bin = temp_path("v2b.pstb");
    convert(text, bin, PSTRACE_BINARY, false);
    const std::string base = read_file(bin);
    const size_t ev = 36 + 4 + 17 + 14 + 8 + 7;
    struct Case {
        std::string name, content, msg; // msg follows "PATH: record "
    };
    std::vector<Case> cases;
    std::string s = base;
    put_le(s, ev + 28, 500, 8); // a CPU time on the pull
    cases.push_back({"cpu-on-pull", s,
                     "3: a pull takes no CPU time (only forward, backward, update and apply "
                     "do): write '-'"});
    s = base;
    put_le(s, 32, 2, 4);
    cases.push_back(
        {"warmup", s, "1: warmup 2 leaves no measured iteration (the header says iterations 2)"});
    s = base;
    s[ev + 14 * 36 + 30] = 1; // trailer's reserved CPU field
    cases.push_back({"trailer", s, "17: bad trailer record: its reserved fields must be zero"});
    cases.push_back({"event-cut", base.substr(0, ev + 20),
                     "3: cut short: 20 of 36 bytes "
                     "(truncated file?)"});
    for (const Case &c : cases) {
        std::string path = write_file(c.name + ".pstb", c.content);
        Read r = read_all(path);
        EXPECT_EQ(r.error, path + ": record " + c.msg) << c.name;
    }
}
