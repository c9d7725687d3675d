// DRAM trace readers (sim/trace/dram_trace.c): the three formats, gzip, and tables of good and
// garbage input; every error names file:line.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>
#include <zlib.h>

#include "sim/trace/dram_trace.h"

namespace
{

std::string temp_path(const std::string &name)
{
    return ::testing::TempDir() + "membox_dram_trace_" + std::to_string(getpid()) + "_" + name;
}

std::string write_file(const std::string &name, const std::string &text)
{
    std::string path = temp_path(name);
    std::ofstream(path, std::ios::binary) << text;
    return path;
}

std::string write_gz(const std::string &name, const std::string &text)
{
    std::string path = temp_path(name);
    gzFile gz = gzopen(path.c_str(), "wb");
    EXPECT_NE(gz, nullptr);
    EXPECT_EQ(gzwrite(gz, text.data(), (unsigned)text.size()), (int)text.size());
    gzclose(gz);
    return path;
}

// Reads every record; returns "" or the error message.
std::string read_all(const std::string &path, DramTraceFormat f, std::vector<DramTraceRecord> *out)
{
    SimError err;
    sim_error_clear(&err);
    DramTrace *t = dram_trace_open(path.c_str(), f, &err);
    if (t == nullptr) {
        return err.msg;
    }
    DramTraceRecord rec;
    int r;
    while ((r = dram_trace_next(t, &rec, &err)) > 0) {
        if (out != nullptr) {
            out->push_back(rec);
        }
    }
    std::string msg = r < 0 ? err.msg : "";
    if (r < 0) {
        EXPECT_EQ(err.kind, SIM_ERR_INPUT);
        EXPECT_LT(dram_trace_next(t, &rec, &err), 0); // stays failed
    }
    dram_trace_close(t);
    return msg;
}

TEST(DramTrace, Dramsim3Lines)
{
    std::string p = write_file("d3.trc", "0x2000D5C0 READ 30\n0x1000 WRITE 31\n\nabc READ\n");
    std::vector<DramTraceRecord> recs;
    ASSERT_EQ(read_all(p, DRAM_TRACE_DRAMSIM3, &recs), "");
    ASSERT_EQ(recs.size(), 3u);
    EXPECT_EQ(recs[0].addr, 0x2000D5C0u);
    EXPECT_FALSE(recs[0].write);
    EXPECT_EQ(recs[0].cycle, 30u);
    EXPECT_EQ(recs[0].len, 64u);
    EXPECT_EQ(recs[1].addr, 0x1000u);
    EXPECT_TRUE(recs[1].write);
    EXPECT_EQ(recs[1].cycle, 31u);
    EXPECT_EQ(recs[2].addr, 0xabcu);
    EXPECT_EQ(recs[2].cycle, 0u); // absent: as soon as possible
    remove(p.c_str());
}

TEST(DramTrace, RamulatorLines)
{
    std::string p = write_file("ram.trc", "0x12345680 R\r\n0x4cbd56c0 W\r\n# done\n");
    std::vector<DramTraceRecord> recs;
    ASSERT_EQ(read_all(p, DRAM_TRACE_RAMULATOR, &recs), "");
    ASSERT_EQ(recs.size(), 2u);
    EXPECT_EQ(recs[0].addr, 0x12345680u);
    EXPECT_FALSE(recs[0].write);
    EXPECT_EQ(recs[1].addr, 0x4cbd56c0u);
    EXPECT_TRUE(recs[1].write);
    remove(p.c_str());
}

TEST(DramTrace, NativeLinesAndHeader)
{
    std::string p = write_file("nat.trc", "# a comment first\nmembox-dram-trace 1\n"
                                          "10 R 0x40 128  # two beats\n20 W 0X80\n0 R 0\n");
    std::vector<DramTraceRecord> recs;
    ASSERT_EQ(read_all(p, DRAM_TRACE_NATIVE, &recs), "");
    ASSERT_EQ(recs.size(), 3u);
    EXPECT_EQ(recs[0].cycle, 10u);
    EXPECT_EQ(recs[0].len, 128u);
    EXPECT_EQ(recs[0].addr, 0x40u);
    EXPECT_TRUE(recs[1].write);
    EXPECT_EQ(recs[1].len, 64u);
    EXPECT_EQ(recs[2].cycle, 0u); // 0 does not count for the order check
    remove(p.c_str());
}

TEST(DramTrace, GzipIsReadTransparently)
{
    std::string p = write_gz("d3.trc.gz", "0x40 READ 1\n0x80 WRITE 2\n");
    std::vector<DramTraceRecord> recs;
    ASSERT_EQ(read_all(p, DRAM_TRACE_DRAMSIM3, &recs), "");
    EXPECT_EQ(recs.size(), 2u);
    remove(p.c_str());
}

TEST(DramTrace, WriterRoundTrip)
{
    for (bool gz : {false, true}) {
        std::string p = temp_path(gz ? "w.trc.gz" : "w.trc");
        SimError err;
        DramTraceWriter *w = dram_trace_writer_open(p.c_str(), gz, &err);
        ASSERT_NE(w, nullptr) << err.msg;
        for (uint64_t i = 0; i < 1000; i++) {
            DramTraceRecord r = {i * 4096 + 64, i * 3, (uint32_t)(64 * (1 + i % 4)), i % 3 == 0};
            ASSERT_TRUE(dram_trace_writer_put(w, &r));
        }
        ASSERT_TRUE(dram_trace_writer_close(w));
        std::vector<DramTraceRecord> recs;
        ASSERT_EQ(read_all(p, DRAM_TRACE_NATIVE, &recs), "");
        ASSERT_EQ(recs.size(), 1000u);
        EXPECT_EQ(recs[999].addr, 999u * 4096 + 64);
        EXPECT_EQ(recs[999].cycle, 999u * 3);
        EXPECT_EQ(recs[998].len, 64u * 3);
        EXPECT_TRUE(recs[999].write);
        remove(p.c_str());
    }
}

struct Bad {
    DramTraceFormat format;
    std::string text;
    const char *want; // expected message after "PATH:"
};

TEST(DramTrace, GarbageNamesFileAndLine)
{
    const std::string big(2000, '1');
    const std::vector<Bad> cases = {
        {DRAM_TRACE_DRAMSIM3, "0xZZ READ 1\n", "1: bad hex address '0xZZ'"},
        {DRAM_TRACE_DRAMSIM3, "0x10 READ 1\n0x\tREAD 2\n", "2: bad hex address '0x'"},
        {DRAM_TRACE_DRAMSIM3, "0x10 READX 1\n",
         "1: unknown operation 'READX': expected READ or WRITE"},
        {DRAM_TRACE_DRAMSIM3, "0x10 READ -5\n", "1: negative cycle '-5'"},
        {DRAM_TRACE_DRAMSIM3, "0x10 READ 12abc\n",
         "1: bad cycle '12abc': expected a decimal number"},
        {DRAM_TRACE_DRAMSIM3, "0x10 READ 99999999999999999999\n",
         "1: cycle '99999999999999999999' is too large"},
        {DRAM_TRACE_DRAMSIM3, "0x10 READ 5\n# c\n0x20 READ 3\n",
         "3: cycle 3 is before the previous record's cycle 5 (records must be in time order)"},
        {DRAM_TRACE_DRAMSIM3, "0x10\n", "1: expected 'ADDRESS READ|WRITE [CYCLE]', found 1 fields"},
        {DRAM_TRACE_DRAMSIM3, "0x10 READ 5 x\n",
         "1: expected 'ADDRESS READ|WRITE [CYCLE]', found 4 fields"},
        {DRAM_TRACE_DRAMSIM3, "0x10000000000000000 READ\n",
         "1: address '0x10000000000000000' does not fit in 64 bits"},
        {DRAM_TRACE_RAMULATOR, "0x10 READ\n", "1: unknown operation 'READ': expected R or W"},
        {DRAM_TRACE_RAMULATOR, "0x10 R 5\n", "1: expected 'ADDRESS R|W', found 3 fields"},
        {DRAM_TRACE_RAMULATOR, "g0 W\n", "1: bad hex address 'g0'"},
        {DRAM_TRACE_NATIVE, "10 R 0x40\n", "1: expected the header line 'membox-dram-trace 1'"},
        {DRAM_TRACE_NATIVE, "membox-dram-trace 2\n",
         "1: unsupported native trace version '2' (this reader knows 1)"},
        {DRAM_TRACE_NATIVE, "", "1: missing header line 'membox-dram-trace 1'"},
        {DRAM_TRACE_NATIVE, "membox-dram-trace 1\n\n# c\n10 R 0xG\n", "4: bad hex address '0xG'"},
        {DRAM_TRACE_NATIVE, "membox-dram-trace 1\n10 R 0x40 0\n", "2: length 0 is outside 1..4096"},
        {DRAM_TRACE_NATIVE, "membox-dram-trace 1\n10 R 0x40 5000\n",
         "2: length 5000 is outside 1..4096"},
        {DRAM_TRACE_NATIVE, "membox-dram-trace 1\n10 X 0x40\n",
         "2: unknown operation 'X': expected R or W"},
        {DRAM_TRACE_NATIVE, "membox-dram-trace 1\n-1 R 0x40\n", "2: negative cycle '-1'"},
        {DRAM_TRACE_NATIVE, "membox-dram-trace 1\n10 R\n",
         "2: expected 'CYCLE R|W ADDRESS [LEN]', found 2 fields"},
        {DRAM_TRACE_RAMULATOR, "0x" + big + " R\n", "1: line longer than 1024 characters"},
    };
    int i = 0;
    for (const Bad &b : cases) {
        std::string p = write_file("bad" + std::to_string(i++) + ".trc", b.text);
        std::string msg = read_all(p, b.format, nullptr);
        EXPECT_EQ(msg, p + ":" + b.want) << "case " << i;
        remove(p.c_str());
    }
}

TEST(DramTrace, TruncatedGzipIsAnError)
{
    std::string text;
    for (int i = 0; i < 20000; i++) {
        text += "0x" + std::to_string(1000 + i) + " READ " + std::to_string(i) + "\n";
    }
    std::string p = write_gz("trunc.trc.gz", text);
    // Cut the compressed file in half.
    std::ifstream in(p, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    in.close();
    std::ofstream(p, std::ios::binary | std::ios::trunc) << bytes.substr(0, bytes.size() / 2);
    std::vector<DramTraceRecord> recs;
    std::string msg = read_all(p, DRAM_TRACE_DRAMSIM3, &recs);
    EXPECT_EQ(msg.rfind(p + ":", 0), 0u) << msg;
    EXPECT_NE(msg.find("truncated gzip stream"), std::string::npos) << msg;
    EXPECT_GT(recs.size(), 100u);
    EXPECT_LT(recs.size(), 20000u);
    remove(p.c_str());
}

TEST(DramTrace, GzipErrorsNameThePathOnce)
{
    // The shared trace opener words stream errors as the other readers do: zlib's text without
    // the "PATH: " zlib puts in front of it, since the message starts with the path already.
    std::string p = write_gz("notrailer.trc.gz", "0x10 READ\n0x20 WRITE\n");
    std::ifstream in(p, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    in.close();
    std::ofstream(p, std::ios::binary | std::ios::trunc) << bytes.substr(0, bytes.size() - 8);
    std::vector<DramTraceRecord> recs;
    EXPECT_EQ(read_all(p, DRAM_TRACE_DRAMSIM3, &recs),
              p + ":3: truncated gzip stream: unexpected end of file");
    EXPECT_EQ(recs.size(), 2u);
    remove(p.c_str());
    p = write_file("corrupt.trc.gz", bytes.substr(0, 10) + std::string(64, '\x55'));
    std::string msg = read_all(p, DRAM_TRACE_DRAMSIM3, nullptr);
    EXPECT_EQ(msg.rfind(p + ":1: corrupt gzip stream: ", 0), 0u) << msg;
    EXPECT_EQ(msg.find(p, 1), std::string::npos) << msg;
    remove(p.c_str());
}

// A plain trace is read in blocks and parsed in place (a fast path); a gzip trace line by line
// through zlib and the general parser. Both must give the same records and the same messages
// at the same lines for any text: lines across block boundaries, near the length limit, with
// NUL bytes, CRLF, tabs, comments, signs, leading zeros and fields of every wrong shape.
TEST(DramTrace, PlainBlocksAgreeWithGzipLines)
{
    const char *const pieces[] = {
        "10",
        "+7",
        "0",
        "00000000000000000000012",
        "99999999999999999999",
        "-3",
        "R",
        "W",
        "READ",
        "WRITE",
        "r",
        "0x40",
        "0X7fFf",
        "40",
        "0x",
        "0xg1",
        "0x1234567890abcdef",
        "0x0000000000000000012345",
        "0x10000000000000000",
        "64",
        "4096",
        "4097",
        "0",
        "#c",
        "a#b",
        "\t",
        "\r",
        "x",
        "membox-dram-trace",
        "1",
    };
    const int n_pieces = (int)(sizeof(pieces) / sizeof(pieces[0]));
    const std::vector<std::string> cycles = {
        "0",  "00",    "+7", "0012", "99999999999999999999", "18446744073709551615",
        "-3", "12abc", "1e3"};
    const std::vector<std::string> addrs = {"0x40",
                                            "0X7fFf",
                                            "40",
                                            "0x",
                                            "0xg1",
                                            "x40",
                                            "0x1234567890abcdef",
                                            "0x00000000000000000012345",
                                            "0x10000000000000000",
                                            "ffffffffffffffff"};
    const std::vector<std::string> lens = {"64", "1", "4096", "4097", "0", "+5", "00064", "5x"};
    const std::vector<std::string> rw = {"R", "W", "r", "RW", "READ", "X"};
    const std::vector<std::string> rw3 = {"READ", "WRITE", "R", "read", "WRITEX"};
    const std::vector<std::vector<std::string>> shapes[DRAM_TRACE_FORMAT_MAX] = {
        {cycles, rw, addrs, lens},
        {addrs, rw3, cycles},
        {addrs, rw},
    };
    uint64_t seed = 12345;
    auto rnd = [&seed](uint64_t n) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        return (seed >> 33) % n;
    };
    int checked = 0;
    for (int f = 0; f < DRAM_TRACE_FORMAT_MAX; f++) {
        for (int trial = 0; trial < 1500; trial++) {
            std::string text = f == DRAM_TRACE_NATIVE ? "membox-dram-trace 1\n" : "";
            const int lines = trial % 100 == 0 ? 40000 : 1 + (int)rnd(6);
            for (int l = 0; l < lines; l++) {
                uint64_t cycle = (uint64_t)l * 3;
                // Mostly good lines, so that a trial gets far before its first error; the long
                // trials (many blocks) only at their end.
                const bool good = lines > 100 ? l + 3 < lines || rnd(2) : rnd(3) != 0;
                if (good || l + 1 == lines) {
                    const std::string a = "0x" + std::to_string(1000 + l);
                    const char *op = rnd(2) ? "R" : "W";
                    if (f == DRAM_TRACE_NATIVE) {
                        text += std::to_string(cycle) + " " + op + " " + a + (rnd(2) ? " 64" : "");
                    } else if (f == DRAM_TRACE_DRAMSIM3) {
                        text += a + (op[0] == 'R' ? " READ " : " WRITE ") + std::to_string(cycle);
                    } else {
                        text += a + " " + op;
                    }
                    if (rnd(10) == 0) {
                        text += " # note";
                    }
                    if (l + 1 < lines || rnd(2)) {
                        text += rnd(8) == 0 ? "\r\n" : "\n";
                    }
                    continue;
                }
                if (rnd(2) == 0) {
                    // A line of the format's shape with fields of any shape.
                    const std::vector<std::vector<std::string>> &shape = shapes[f];
                    for (size_t i = 0; i < shape.size() + rnd(2); i++) {
                        const std::vector<std::string> &c = shape[i % shape.size()];
                        text += c[rnd(c.size())] + (rnd(4) == 0 ? "\t" : " ");
                    }
                } else {
                    const int k = (int)rnd(6);
                    for (int i = 0; i < k; i++) {
                        text += pieces[rnd(n_pieces)];
                        text += rnd(4) == 0 ? "\t" : " ";
                    }
                }
                switch (rnd(8)) {
                case 0:
                    text += std::string(1020 + rnd(8), '1');
                    break;
                case 1:
                    text += std::string("1 R ") + '\0' + "x";
                    break;
                default:
                    break;
                }
                text += "\n";
            }
            const std::string name = "agree" + std::to_string(f) + "_" + std::to_string(trial);
            const std::string pp = write_file(name + ".trc", text);
            const std::string pg = write_gz(name + ".trc.gz", text);
            std::vector<DramTraceRecord> rp, rg;
            std::string mp = read_all(pp, (DramTraceFormat)f, &rp);
            std::string mg = read_all(pg, (DramTraceFormat)f, &rg);
            ASSERT_EQ(mp.empty(), mg.empty()) << mp << " / " << mg;
            if (!mp.empty()) {
                ASSERT_EQ(mp.rfind(pp + ":", 0), 0u) << mp;
                ASSERT_EQ(mg.rfind(pg + ":", 0), 0u) << mg;
                EXPECT_EQ(mp.substr(pp.size()), mg.substr(pg.size())) << "format " << f;
            }
            ASSERT_EQ(rp.size(), rg.size());
            for (size_t i = 0; i < rp.size(); i++) {
                EXPECT_EQ(rp[i].addr, rg[i].addr);
                EXPECT_EQ(rp[i].cycle, rg[i].cycle);
                EXPECT_EQ(rp[i].len, rg[i].len);
                EXPECT_EQ(rp[i].write, rg[i].write);
            }
            checked += (int)rp.size();
            remove(pp.c_str());
            remove(pg.c_str());
        }
    }
    EXPECT_GT(checked, 500000);
}

TEST(DramTrace, MissingFile)
{
    std::string msg = read_all("/nonexistent/x.trc", DRAM_TRACE_NATIVE, nullptr);
    EXPECT_EQ(msg, "/nonexistent/x.trc: cannot open: No such file or directory");
}

TEST(DramTrace, FormatNames)
{
    DramTraceFormat f;
    EXPECT_TRUE(dram_trace_format_parse("dramsim3", &f));
    EXPECT_EQ(f, DRAM_TRACE_DRAMSIM3);
    EXPECT_TRUE(dram_trace_format_parse("ramulator", &f));
    EXPECT_EQ(f, DRAM_TRACE_RAMULATOR);
    EXPECT_TRUE(dram_trace_format_parse("native", &f));
    EXPECT_EQ(f, DRAM_TRACE_NATIVE);
    EXPECT_FALSE(dram_trace_format_parse("drampower", &f));
}

} // namespace
