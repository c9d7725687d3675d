/*
 * Memory traces (sim/trace/memtrace.c, traces/FORMAT.md "Memory traces"): text and binary,
 * plain and gzip, writer round trips, and tables of good and garbage input whose errors name
 * the file and line (text) or record (binary) exactly.
 */
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>
#include <zlib.h>

#include "sim/trace/memtrace.h"

namespace
{

std::string temp_path(const std::string &name)
{
    return ::testing::TempDir() + "membox_memtrace_" + std::to_string(getpid()) + "_" + name;
}

std::string write_file(const std::string &name, const std::string &bytes)
{
    std::string path = temp_path(name);
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
}

std::string gzip_bytes(const std::string &bytes)
{
    std::string path = temp_path("gz.tmp");
    gzFile gz = gzopen(path.c_str(), "wb6");
    EXPECT_NE(gz, nullptr);
    EXPECT_EQ(gzwrite(gz, bytes.data(), (unsigned)bytes.size()), (int)bytes.size());
    gzclose(gz);
    std::ifstream in(path, std::ios::binary);
    std::string out((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    remove(path.c_str());
    return out;
}

/* Reads every record; returns "" or the error message (which then sticks). */
std::string read_all(const std::string &path, std::vector<MemTraceRecord> *out,
                     std::vector<uint64_t> *pos = nullptr)
{
    SimError err;
    sim_error_clear(&err);
    MemTrace *t = memtrace_open(path.c_str(), &err);
    if (t == nullptr) {
        EXPECT_EQ(err.kind, SIM_ERR_INPUT);
        return err.msg;
    }
    MemTraceRecord rec;
    int r;
    while ((r = memtrace_next(t, &rec, &err)) > 0) {
        if (out != nullptr) {
            out->push_back(rec);
        }
        if (pos != nullptr) {
            pos->push_back(memtrace_position(t));
        }
    }
    std::string msg = r < 0 ? err.msg : "";
    if (r < 0) {
        EXPECT_EQ(err.kind, SIM_ERR_INPUT);
        EXPECT_LT(memtrace_next(t, &rec, &err), 0) << "an error sticks";
    }
    memtrace_close(t);
    return msg;
}

/* Little-endian binary encoding, independent of the writer under test. */
std::string bin_header(uint32_t version = 1, uint32_t rsize = 24)
{
    std::string h = "MBMEMTRC";
    for (uint32_t v : {version, rsize}) {
        for (int i = 0; i < 4; i++) {
            h.push_back((char)(v >> (8 * i)));
        }
    }
    return h;
}

std::string bin_record(uint64_t time, uint64_t addr, uint32_t size, uint8_t op, uint8_t when,
                       uint8_t access, uint8_t reserved = 0)
{
    std::string r;
    for (int i = 0; i < 8; i++) {
        r.push_back((char)(time >> (8 * i)));
    }
    for (int i = 0; i < 8; i++) {
        r.push_back((char)(addr >> (8 * i)));
    }
    for (int i = 0; i < 4; i++) {
        r.push_back((char)(size >> (8 * i)));
    }
    r.push_back((char)op);
    r.push_back((char)when);
    r.push_back((char)access);
    r.push_back((char)reserved);
    return r;
}

TEST(MemTrace, TextRecordsWithEveryField)
{
    std::string p = write_file("ok.trace", "# leading comment\n"
                                           "\n"
                                           "membox-memtrace 1   # header\n"
                                           "@0 W 0x0 4KiB\n"
                                           "+0 R 0x1000 4096 dma\n"
                                           "\t@1.5us R 64 8 pio   # decimal address\n"
                                           "+250ns W 0xFFFF 1B\n"
                                           "@2ms R 0x10 1.5KiB\n"
                                           "@3s W 0x0 1MiB\n");
    std::vector<MemTraceRecord> r;
    std::vector<uint64_t> pos;
    ASSERT_EQ(read_all(p, &r, &pos), "");
    ASSERT_EQ(r.size(), 6u);
    EXPECT_EQ(r[0].when, MEMTRACE_AT);
    EXPECT_EQ(r[0].time, 0u);
    EXPECT_EQ(r[0].op, MEMTRACE_WRITE);
    EXPECT_EQ(r[0].size, 4096u);
    EXPECT_EQ(r[0].access, MEMTRACE_ACCESS_DEFAULT);
    EXPECT_EQ(r[1].when, MEMTRACE_AFTER);
    EXPECT_EQ(r[1].op, MEMTRACE_READ);
    EXPECT_EQ(r[1].addr, 0x1000u);
    EXPECT_EQ(r[1].access, MEMTRACE_ACCESS_DMA);
    EXPECT_EQ(r[2].time, 1500000u);
    EXPECT_EQ(r[2].addr, 64u);
    EXPECT_EQ(r[2].size, 8u);
    EXPECT_EQ(r[2].access, MEMTRACE_ACCESS_PIO);
    EXPECT_EQ(r[3].time, 250000u);
    EXPECT_EQ(r[3].addr, 0xffffu);
    EXPECT_EQ(r[3].size, 1u);
    EXPECT_EQ(r[4].time, 2000000000u);
    EXPECT_EQ(r[4].size, 1536u);
    EXPECT_EQ(r[5].time, 3000000000000u);
    EXPECT_EQ(r[5].size, 1u << 20);
    EXPECT_EQ(pos, (std::vector<uint64_t>{4, 5, 6, 7, 8, 9}));
    remove(p.c_str());
}

TEST(MemTrace, GarbageTextNamesFileAndLine)
{
    const std::string h = "membox-memtrace 1\n";
    struct {
        const char *name;
        std::string text;
        std::string msg; /* after "PATH:" */
    } const rows[] = {
        {"empty", "", "1: empty trace: expected the header 'membox-memtrace 1'"},
        {"only-comments", "# nothing\n\n",
         "2: empty trace: expected the header 'membox-memtrace 1'"},
        {"no-header", "@0 W 0x0 64\n",
         "1: expected the header 'membox-memtrace 1' before any record"},
        {"wrong-version", "membox-memtrace 2\n@0 W 0 4\n",
         "1: unsupported memory-trace version 2 (this reader knows version 1)"},
        {"bad-version", "membox-memtrace one\n", "1: bad header: expected 'membox-memtrace 1'"},
        {"few-fields", h + "@0 W 0x0\n",
         "2: expected 'WHEN OP ADDRESS SIZE [ACCESS]', found 3 fields"},
        {"extra-field", h + "@0 W 0x0 64 dma extra\n", "2: unexpected 'extra' after the record"},
        {"bad-when", h + "0 W 0x0 64\n",
         "2: bad time '0': write '@TIME' (at a time) or '+TIME' (after the previous record "
         "completes), e.g. '@250ns' or '+0'"},
        {"bad-time-unit", h + "@5 W 0x0 64\n",
         "2: bad time '@5': a number with a unit (ps, ns, us, ms, s), e.g. '@1.5us'"},
        {"bad-time-space", h + "+1.x ns W 0x0 64\n",
         "2: bad time '+1.x': a number with a unit (ps, ns, us, ms, s), e.g. '+1.5us'"},
        {"sub-ps", h + "@0.5ps W 0x0 64\n",
         "2: bad time '@0.5ps': a number with a unit (ps, ns, us, ms, s), e.g. '@1.5us'"},
        {"unknown-op", h + "@0 X 0x0 64\n", "2: unknown op 'X' (R or W)"},
        {"lowercase-op", h + "@0 r 0x0 64\n", "2: unknown op 'r' (R or W)"},
        {"bad-hex", h + "@0 R 0xZZ 64\n",
         "2: bad address '0xZZ': hexadecimal with 0x, or decimal, below 2^64"},
        {"big-hex", h + "@0 R 0x10000000000000000 64\n",
         "2: bad address '0x10000000000000000': hexadecimal with 0x, or decimal, below 2^64"},
        {"neg-addr", h + "@0 R -4 64\n",
         "2: bad address '-4': hexadecimal with 0x, or decimal, below 2^64"},
        {"bad-size", h + "@0 R 0x0 4KB\n",
         "2: bad size '4KB': whole bytes, e.g. '64', '4KiB' or '1MiB'"},
        {"frac-size", h + "@0 R 0x0 0.5B\n",
         "2: bad size '0.5B': whole bytes, e.g. '64', '4KiB' or '1MiB'"},
        {"zero-size", h + "@0 R 0x0 0\n", "2: size 0: a record moves at least one byte"},
        {"huge-size", h + "@0 R 0x0 2GiB\n", "2: size 2147483648 is above the maximum 1GiB"},
        {"wrap", h + "@0 R 0xffffffffffffffff 2\n",
         "2: address 0xffffffffffffffff + size 2 passes 2^64"},
        {"bad-access", h + "@0 R 0x0 64 mmio\n", "2: unknown access 'mmio' (dma or pio)"},
        {"backwards", h + "@2us R 0x0 64\n+0 R 0x0 64\n@1us R 0x0 64\n",
         "4: time 1000000ps is before the previous '@' time 2000000ps: '@' times must not "
         "decrease"},
        {"late-line", h + "@0 R 0x0 64\n\n# c\n@1ns W 0x40 64\n@1ns Q 0x40 64\n",
         "6: unknown op 'Q' (R or W)"},
        {"long-line", h + "@0 R 0x0 64 " + std::string(5000, ' ') + "\n",
         "2: line longer than 4096 characters"},
    };
    for (const auto &row : rows) {
        SCOPED_TRACE(row.name);
        std::string p = write_file(std::string(row.name) + ".trace", row.text);
        EXPECT_EQ(read_all(p, nullptr), p + ":" + row.msg);
        /* The same bytes gzipped give the same message. */
        std::string gz = write_file(std::string(row.name) + ".trace.gz", gzip_bytes(row.text));
        EXPECT_EQ(read_all(gz, nullptr), gz + ":" + row.msg);
        remove(p.c_str());
        remove(gz.c_str());
    }
}

TEST(MemTrace, MissingFileIsAnInputError)
{
    std::string p = temp_path("does-not-exist.trace");
    EXPECT_EQ(read_all(p, nullptr), p + ": cannot open: No such file or directory");
}

TEST(MemTrace, TruncatedGzipIsReportedAtTheLineBeingRead)
{
    std::string text = "membox-memtrace 1\n";
    for (int i = 0; i < 20000; i++) {
        text += "@" + std::to_string(i) + "ns W 0x" + std::to_string(i * 64) + " 64\n";
    }
    std::string gz = gzip_bytes(text);
    std::string p = write_file("trunc.trace.gz", gz.substr(0, gz.size() / 2));
    std::vector<MemTraceRecord> r;
    std::string msg = read_all(p, &r);
    ASSERT_FALSE(msg.empty());
    /* Every record before the damage was returned, and the error names the next line. */
    std::string want = p + ":" + std::to_string(r.size() + 2) +
                       ": truncated or corrupt gzip data (zlib: unexpected end of file)";
    EXPECT_EQ(msg, want);
    EXPECT_GT(r.size(), 100u);
    EXPECT_LT(r.size(), 20000u);
    remove(p.c_str());

    /* A binary trace cut in its gzip stream: the record being read is named. */
    std::string bin = bin_header();
    for (int i = 0; i < 20000; i++) {
        bin += bin_record((uint64_t)i * 1000, (uint64_t)i * 4096, 4096, 1, 0, 0);
    }
    std::string bgz = gzip_bytes(bin);
    std::string pb = write_file("trunc.btrace.gz", bgz.substr(0, bgz.size() / 2));
    r.clear();
    msg = read_all(pb, &r);
    EXPECT_EQ(msg, pb + ": record " + std::to_string(r.size() + 1) +
                       ": truncated or corrupt gzip data (zlib: unexpected end of file)");
    remove(pb.c_str());
}

TEST(MemTrace, BinaryRecords)
{
    std::string bytes = bin_header() + bin_record(0, 0x1000, 4096, 1, 0, 1) +
                        bin_record(250000, 0x40, 8, 0, 1, 2) +
                        bin_record(7, 0xfffffffff000ull, 64, 0, 0, 0);
    for (bool gz : {false, true}) {
        std::string p = write_file(gz ? "b.btrace.gz" : "b.btrace", gz ? gzip_bytes(bytes) : bytes);
        std::vector<MemTraceRecord> r;
        std::vector<uint64_t> pos;
        ASSERT_EQ(read_all(p, &r, &pos), "");
        ASSERT_EQ(r.size(), 3u);
        EXPECT_EQ(r[0].op, MEMTRACE_WRITE);
        EXPECT_EQ(r[0].access, MEMTRACE_ACCESS_DMA);
        EXPECT_EQ(r[0].addr, 0x1000u);
        EXPECT_EQ(r[1].when, MEMTRACE_AFTER);
        EXPECT_EQ(r[1].time, 250000u);
        EXPECT_EQ(r[1].access, MEMTRACE_ACCESS_PIO);
        EXPECT_EQ(r[2].addr, 0xfffffffff000ull);
        EXPECT_EQ(pos, (std::vector<uint64_t>{1, 2, 3}));
        remove(p.c_str());
    }
}

TEST(MemTrace, GarbageBinaryNamesTheRecord)
{
    const std::string h = bin_header();
    const std::string ok = bin_record(0, 0, 64, 0, 0, 0);
    struct {
        const char *name;
        std::string bytes;
        std::string msg; /* after "PATH" */
    } const rows[] = {
        {"short-header", std::string("MBMEMTRC\x01\x00", 10),
         ": header: truncated (10 of 16 bytes)"},
        {"version", bin_header(3),
         ": header: unsupported memory-trace version 3 (this reader knows version 1)"},
        {"record-size", bin_header(1, 32),
         ": header: record size 32 in the header, version 1 has 24"},
        {"truncated", h + ok + ok.substr(0, 10), ": record 2: truncated (10 of 24 bytes)"},
        {"op", h + ok + bin_record(0, 0, 64, 2, 0, 0),
         ": record 2: unknown op 2 (0: read, 1: write)"},
        {"when", h + bin_record(0, 0, 64, 0, 9, 0),
         ": record 1: unknown timing 9 (0: at a time, 1: after the previous)"},
        {"access", h + bin_record(0, 0, 64, 0, 0, 3),
         ": record 1: unknown access 3 (0: node default, 1: dma, 2: pio)"},
        {"reserved", h + bin_record(0, 0, 64, 0, 0, 0, 1),
         ": record 1: reserved byte is 1, must be 0"},
        {"zero-size", h + ok + ok + bin_record(0, 0, 0, 0, 0, 0),
         ": record 3: size 0: a record moves at least one byte"},
        {"backwards", h + bin_record(5000, 0, 64, 0, 0, 0) + bin_record(4000, 0, 64, 0, 0, 0),
         ": record 2: time 4000ps is before the previous '@' time 5000ps: '@' times must not "
         "decrease"},
    };
    for (const auto &row : rows) {
        SCOPED_TRACE(row.name);
        std::string p = write_file(std::string(row.name) + ".btrace", row.bytes);
        EXPECT_EQ(read_all(p, nullptr), p + row.msg);
        remove(p.c_str());
    }
}

TEST(MemTrace, WriterRoundTripsTextBinaryAndGzip)
{
    std::vector<MemTraceRecord> in;
    uint64_t x = 12345;
    SimTime at = 0;
    for (int i = 0; i < 500; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        MemTraceRecord r{};
        r.when = (x >> 60) & 1 ? MEMTRACE_AFTER : MEMTRACE_AT;
        SimTime t = (x >> 20) % 5000000;
        if (i % 3 == 0) {
            t = t / 1000 * 1000; /* whole ns, written with ns */
        }
        if (r.when == MEMTRACE_AT) {
            at += t;
            r.time = at;
        } else {
            r.time = t;
        }
        r.addr = (x >> 8) & 0xffffffffffull;
        r.size = 1 + (uint32_t)((x >> 33) % (1u << 20));
        r.op = (x >> 62) & 1 ? MEMTRACE_WRITE : MEMTRACE_READ;
        r.access = (MemTraceAccess)((x >> 50) % 3);
        in.push_back(r);
    }
    for (MemTraceFormat f : {MEMTRACE_TEXT, MEMTRACE_BINARY}) {
        for (bool gz : {false, true}) {
            SCOPED_TRACE(std::to_string(f) + (gz ? " gzip" : " plain"));
            std::string p = temp_path("rt" + std::to_string(f) + (gz ? ".gz" : ""));
            SimError err;
            MemTraceWriter *w = memtrace_writer_open(p.c_str(), f, gz, &err);
            ASSERT_NE(w, nullptr) << err.msg;
            for (const auto &r : in) {
                ASSERT_TRUE(memtrace_writer_put(w, &r));
            }
            ASSERT_TRUE(memtrace_writer_close(w));
            std::vector<MemTraceRecord> out;
            ASSERT_EQ(read_all(p, &out), "");
            ASSERT_EQ(out.size(), in.size());
            for (size_t i = 0; i < in.size(); i++) {
                EXPECT_EQ(out[i].time, in[i].time) << i;
                EXPECT_EQ(out[i].addr, in[i].addr) << i;
                EXPECT_EQ(out[i].size, in[i].size) << i;
                EXPECT_EQ(out[i].op, in[i].op) << i;
                EXPECT_EQ(out[i].when, in[i].when) << i;
                EXPECT_EQ(out[i].access, in[i].access) << i;
            }
            /* The reader tells the format by content, never by the name. */
            SimError e2;
            MemTrace *t = memtrace_open(p.c_str(), &e2);
            ASSERT_NE(t, nullptr);
            EXPECT_EQ(memtrace_format(t), f);
            memtrace_close(t);
            remove(p.c_str());
        }
    }
}

TEST(MemTrace, TextWriterSpellsTimesExactly)
{
    std::string p = temp_path("spell.trace");
    SimError err;
    MemTraceWriter *w = memtrace_writer_open(p.c_str(), MEMTRACE_TEXT, false, &err);
    ASSERT_NE(w, nullptr);
    MemTraceRecord r{};
    r.size = 64;
    for (SimTime t : {0ull, 1500ull, 250000ull, 3000000ull, 2000000000000ull}) {
        r.time = t;
        ASSERT_TRUE(memtrace_writer_put(w, &r));
    }
    r.size = 0;
    EXPECT_FALSE(memtrace_writer_put(w, &r)) << "size 0 cannot be written";
    EXPECT_FALSE(memtrace_writer_close(w));
    std::ifstream in(p);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(text, "membox-memtrace 1\n@0 R 0x0 64\n@1500ps R 0x0 64\n@250ns R 0x0 64\n"
                    "@3us R 0x0 64\n@2s R 0x0 64\n");
    remove(p.c_str());
}

TEST(MemTrace, RewindReplaysFromTheFirstRecord)
{
    std::string p = write_file("rw.trace", "membox-memtrace 1\n@0 W 0x0 64\n@5ns R 0x40 8\n");
    SimError err;
    MemTrace *t = memtrace_open(p.c_str(), &err);
    ASSERT_NE(t, nullptr);
    MemTraceRecord r;
    for (int round = 0; round < 3; round++) {
        ASSERT_EQ(memtrace_next(t, &r, &err), 1);
        EXPECT_EQ(r.addr, 0u);
        ASSERT_EQ(memtrace_next(t, &r, &err), 1);
        EXPECT_EQ(r.addr, 0x40u);
        char where[256];
        memtrace_where(t, where, sizeof(where));
        EXPECT_EQ(std::string(where), p + ":3");
        ASSERT_EQ(memtrace_next(t, &r, &err), 0);
        ASSERT_TRUE(memtrace_rewind(t, &err));
    }
    memtrace_close(t);
    remove(p.c_str());
}

} // namespace
