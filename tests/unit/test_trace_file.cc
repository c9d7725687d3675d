// The trace opener and line reader that sim/trace's readers share (sim/trace/trace_file.c):
// opening, the overlong-line boundary, a last line without newline, when a damaged gzip stream
// is told (at its end or at the line being read), the wording of stream errors, splitting and
// the little-endian fields.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include <unistd.h>
#include <zlib.h>

#include "sim/trace/trace_file.h"

namespace
{

std::string temp_path(const std::string &name)
{
    return ::testing::TempDir() + "membox_trace_file_" + std::to_string(getpid()) + "_" + name;
}

std::string write_file(const std::string &name, const std::string &bytes)
{
    std::string path = temp_path(name);
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
}

std::string gzip_bytes(const std::string &data)
{
    std::string path = temp_path("gz.tmp");
    gzFile gz = gzopen(path.c_str(), "wb6");
    EXPECT_NE(gz, nullptr);
    EXPECT_EQ(gzwrite(gz, data.data(), (unsigned)data.size()), (int)data.size());
    gzclose(gz);
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    std::remove(path.c_str());
    return s.str();
}

// Reads every line of path with a buffer of `size` bytes; returns the results as a string
// like "ok:3 ok:7 long:8 end:8" (result and line count after each call), stopping after an
// error or a long line.
std::string read_lines(const std::string &path, size_t size, TraceCheck check)
{
    TraceFile f = {};
    SimError err;
    sim_error_clear(&err);
    EXPECT_TRUE(trace_file_init(&f, path.c_str(), 0, &err)) << err.msg;
    std::string out;
    std::string buf(size, '\0');
    uint64_t line = 0;
    for (;;) {
        TraceLine r = trace_file_line(&f, &buf[0], size, check, &line);
        const char *name = r == TRACE_LINE_OK     ? "ok"
                           : r == TRACE_LINE_END  ? "end"
                           : r == TRACE_LINE_LONG ? "long"
                           : r == TRACE_LINE_NUL  ? "nul"
                                                  : "error";
        out += std::string(out.empty() ? "" : " ") + name + ":" + std::to_string(line);
        if (r != TRACE_LINE_OK) {
            break;
        }
    }
    trace_file_destroy(&f);
    trace_file_destroy(&f); // twice is harmless
    return out;
}

} // namespace

TEST(TraceFile, MissingFileNamesThePath)
{
    TraceFile f = {};
    SimError err;
    sim_error_clear(&err);
    EXPECT_FALSE(trace_file_init(&f, "/nonexistent/t.trace", 0, &err));
    EXPECT_EQ(std::string(err.msg), "/nonexistent/t.trace: cannot open: No such file or directory");
    EXPECT_FALSE(trace_file_create(&f, "/nonexistent/t.trace", true, 0, &err));
    EXPECT_EQ(std::string(err.msg),
              "/nonexistent/t.trace: cannot create: No such file or directory");
    trace_file_destroy(&f); // nothing to free after a failed open
}

TEST(TraceFile, LineOfSizeMinusTwoCharactersFitsOneMoreIsLong)
{
    // A buffer of 8 bytes holds 6 characters and the newline.
    std::string path = write_file("fit.txt", "abcdef\nabcdefg\n");
    EXPECT_EQ(read_lines(path, 8, TRACE_CHECK_AT_END), "ok:1 long:2");
    path = write_file("last.txt", "a\nlast");
    EXPECT_EQ(read_lines(path, 8, TRACE_CHECK_AT_END), "ok:1 ok:2 end:2");
    path = write_file("last-long.txt", "a\nabcdefg");
    EXPECT_EQ(read_lines(path, 8, TRACE_CHECK_AT_END), "ok:1 long:2");
    path = write_file("empty.txt", "");
    EXPECT_EQ(read_lines(path, 8, TRACE_CHECK_AT_END), "end:0");
}

TEST(TraceFile, ANulByteIsNotText)
{
    // gzgets() reads past a NUL byte up to the newline; the line as a parser sees it would end
    // at the NUL, so the rest of it would be lost without a word.
    std::string path = write_file("nul.txt", std::string("ok\nab\0cd\nmore\n", 14));
    EXPECT_EQ(read_lines(path, 64, TRACE_CHECK_AT_END), "ok:1 nul:2");
    path = write_file("nul.txt.gz", gzip_bytes(std::string("ok\n\0\n", 5)));
    EXPECT_EQ(read_lines(path, 64, TRACE_CHECK_EACH_LINE), "ok:1 nul:2");
    // An endless stream of them ends at its first line.
    EXPECT_EQ(read_lines("/dev/zero", 64, TRACE_CHECK_AT_END), "nul:1");
}

TEST(TraceFile, GzipAndPlainReadAlike)
{
    std::string text = "one\ntwo\r\nthree\n";
    EXPECT_EQ(read_lines(write_file("p.txt", text), 64, TRACE_CHECK_EACH_LINE),
              "ok:1 ok:2 ok:3 end:3");
    EXPECT_EQ(read_lines(write_file("p.txt.gz", gzip_bytes(text)), 64, TRACE_CHECK_EACH_LINE),
              "ok:1 ok:2 ok:3 end:3");
}

TEST(TraceFile, TruncatedGzipIsToldAtTheEndOrAtTheLineBeingRead)
{
    // Without its 8-byte trailer the stream inflates completely, and zlib notices the missing
    // trailer while it hands out the lines: checked at the end, every line is read and the
    // error is the first missing line; checked at each line, it is the line being read.
    std::string gz = gzip_bytes("one\ntwo\nthree\n");
    std::string path = write_file("cut.txt.gz", gz.substr(0, gz.size() - 8));
    EXPECT_EQ(read_lines(path, 64, TRACE_CHECK_AT_END), "ok:1 ok:2 ok:3 error:4");
    EXPECT_EQ(read_lines(path, 64, TRACE_CHECK_EACH_LINE), "error:1");

    TraceFile f = {};
    SimError err;
    sim_error_clear(&err);
    ASSERT_TRUE(trace_file_init(&f, path.c_str(), 0, &err)) << err.msg;
    char buf[64];
    uint64_t line = 0;
    ASSERT_EQ(trace_file_line(&f, buf, sizeof(buf), TRACE_CHECK_EACH_LINE, &line),
              TRACE_LINE_ERROR);
    const char *detail = nullptr;
    EXPECT_EQ(trace_file_error(&f, &detail), TRACE_FILE_TRUNCATED);
    EXPECT_EQ(std::string(detail), "unexpected end of file"); // without zlib's "PATH: "
    trace_file_describe(&f, buf, sizeof(buf));
    EXPECT_EQ(std::string(buf), "truncated gzip stream: unexpected end of file");
    trace_file_destroy(&f);

    // Garbage after a valid gzip header: corrupt, not truncated.
    path = write_file("bad.txt.gz", gz.substr(0, 10) + std::string(64, '\x55'));
    ASSERT_TRUE(trace_file_init(&f, path.c_str(), 0, &err)) << err.msg;
    line = 0;
    EXPECT_EQ(trace_file_line(&f, buf, sizeof(buf), TRACE_CHECK_AT_END, &line), TRACE_LINE_ERROR);
    EXPECT_EQ(line, 1u);
    EXPECT_EQ(trace_file_error(&f, nullptr), TRACE_FILE_CORRUPT);
    trace_file_describe(&f, buf, sizeof(buf));
    EXPECT_EQ(std::string(buf).rfind("corrupt gzip stream: ", 0), 0u) << buf;
    trace_file_destroy(&f);
}

TEST(TraceFile, SplitAtBlanksCountsEveryToken)
{
    char s[] = "  a\tbb  ccc\r\n";
    char *tok[2];
    EXPECT_EQ(trace_split(s, tok, 2), 3);
    EXPECT_EQ(std::string(tok[0]), "a");
    EXPECT_EQ(std::string(tok[1]), "bb");
    char blank[] = " \t\r\n";
    EXPECT_EQ(trace_split(blank, tok, 2), 0);
}

TEST(TraceFile, LittleEndianFieldsRoundTrip)
{
    unsigned char b[8];
    trace_put_le16(b, 0x1234);
    EXPECT_EQ(b[0], 0x34);
    EXPECT_EQ(trace_get_le16(b), 0x1234);
    trace_put_le32(b, 0x89abcdefu);
    EXPECT_EQ(b[0], 0xef);
    EXPECT_EQ(trace_get_le32(b), 0x89abcdefu);
    trace_put_le64(b, 0x0123456789abcdefull);
    EXPECT_EQ(b[7], 0x01);
    EXPECT_EQ(trace_get_le64(b), 0x0123456789abcdefull);
}
