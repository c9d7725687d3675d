// The sparse functional store (models/dram/dram_store.c) and the write pattern of
// models/proto/mem.h.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <unordered_map>
#include <vector>

#include "models/dram/dram_store.h"
#include "models/proto/mem.h"

namespace
{

struct Store : ::testing::Test {
    DramStore *s = nullptr;
    void SetUp() override
    {
        s = dram_store_new(1u << 20);
        ASSERT_NE(s, nullptr);
    }
    void TearDown() override
    {
        dram_store_free(s);
    }
    std::vector<uint8_t> read(uint64_t addr, uint32_t len)
    {
        std::vector<uint8_t> v(len);
        dram_store_read(s, addr, v.data(), len);
        return v;
    }
};

TEST_F(Store, UnwrittenMemoryReadsZero)
{
    auto v = read(12345, 200);
    for (uint8_t b : v) {
        EXPECT_EQ(b, 0);
    }
    EXPECT_EQ(dram_store_lines(s), 0u);
}

TEST_F(Store, ReadAfterWriteAcrossLines)
{
    std::vector<uint8_t> data(300);
    for (size_t i = 0; i < data.size(); i++) {
        data[i] = (uint8_t)(i * 7 + 3);
    }
    ASSERT_TRUE(dram_store_write(s, 1000, data.data(), (uint32_t)data.size()));
    EXPECT_EQ(read(1000, 300), data);
    auto around = read(990, 320);
    for (int i = 0; i < 10; i++) {
        EXPECT_EQ(around[i], 0);
    }
    EXPECT_EQ(around[10], data[0]);
    EXPECT_EQ(dram_store_version(s, 1000), 1u);
}

TEST_F(Store, PatternWritesKeepOnlyAVersion)
{
    ASSERT_TRUE(dram_store_write_pattern(s, 4096, 128));
    ASSERT_TRUE(dram_store_write_pattern(s, 4096, 64));
    EXPECT_EQ(dram_store_version(s, 4096), 2u);
    EXPECT_EQ(dram_store_version(s, 4160), 1u);
    EXPECT_EQ(dram_store_byte_lines(s), 0u);
    std::vector<uint8_t> want(64);
    mem_pattern_fill(want.data(), 4096, 64, 2);
    EXPECT_EQ(read(4096, 64), want);
    mem_pattern_fill(want.data(), 4160, 64, 1);
    EXPECT_EQ(read(4160, 64), want);
}

TEST_F(Store, PartialPatternWriteMaterialisesTheLine)
{
    uint8_t data[64];
    memset(data, 0xab, sizeof(data));
    ASSERT_TRUE(dram_store_write(s, 0, data, 64));
    ASSERT_TRUE(dram_store_write_pattern(s, 16, 8));
    auto v = read(0, 64);
    for (int i = 0; i < 64; i++) {
        uint8_t want = (i >= 16 && i < 24) ? mem_pattern_byte((uint64_t)i, 2) : 0xab;
        EXPECT_EQ(v[i], want) << i;
    }
}

TEST_F(Store, PatternDiffersByVersionAndAddress)
{
    EXPECT_NE(mem_pattern_word(0, 1), mem_pattern_word(0, 2));
    EXPECT_NE(mem_pattern_word(0, 1), mem_pattern_word(8, 1));
    uint8_t a[24], b[24];
    mem_pattern_fill(a, 5, 24, 3);
    for (int i = 0; i < 24; i++) {
        b[i] = mem_pattern_byte(5 + (uint64_t)i, 3);
    }
    EXPECT_EQ(memcmp(a, b, sizeof(a)), 0);
}

TEST_F(Store, ManyRandomLinesMatchAReferenceMap)
{
    std::mt19937_64 rng(1);
    std::vector<std::pair<uint64_t, uint8_t>> ref;
    for (int i = 0; i < 200000; i++) {
        uint64_t a = (rng() % (4ULL << 30)) & ~63ULL;
        uint8_t v[64];
        memset(v, (int)(i & 0xff), sizeof(v));
        ASSERT_TRUE(dram_store_write(s, a, v, 64));
        ref.emplace_back(a, (uint8_t)(i & 0xff));
    }
    // The last write to each line wins.
    std::vector<std::pair<uint64_t, uint8_t>> last;
    for (auto it = ref.rbegin(); it != ref.rend() && last.size() < 1000; ++it) {
        bool seen = false;
        for (auto &l : last) {
            seen = seen || l.first == it->first;
        }
        if (!seen) {
            last.push_back(*it);
        }
    }
    for (auto &l : last) {
        auto v = read(l.first, 64);
        EXPECT_EQ(v[0], l.second);
        EXPECT_EQ(v[63], l.second);
    }
    EXPECT_LE(dram_store_lines(s), 200000u);
}

// The table grows from 4096 slots by doubling at 70% load: every pattern line written before
// and after many doublings keeps its version, and lines never written still read as zeros.
TEST_F(Store, PatternVersionsSurviveTheTableDoubling)
{
    std::mt19937_64 rng(7);
    std::vector<uint64_t> lines;
    for (int i = 0; i < 100000; i++) {
        lines.push_back((rng() % (1ULL << 26)) * 64); /* 4 GiB of lines */
        ASSERT_TRUE(dram_store_write_pattern(s, lines.back(), 64));
    }
    std::unordered_map<uint64_t, uint32_t> want;
    for (uint64_t l : lines) {
        want[l]++;
    }
    for (const auto &w : want) {
        ASSERT_EQ(dram_store_version(s, w.first), w.second) << "line " << w.first;
    }
    for (size_t i = 0; i < 2000; i++) {
        uint8_t expect[64];
        mem_pattern_fill(expect, lines[i], 64, want[lines[i]]);
        EXPECT_EQ(memcmp(read(lines[i], 64).data(), expect, 64), 0);
    }
    EXPECT_EQ(dram_store_lines(s), want.size());
    EXPECT_EQ(dram_store_byte_lines(s), 0u);
    EXPECT_EQ(read(64ULL << 30, 64), std::vector<uint8_t>(64, 0)); /* beyond them all */
}

// Line numbers beyond 2^32 (addresses from 256 GiB) keep their high bits apart: two lines whose
// numbers share the low 32 bits are different lines, before and after the table doubles.
TEST_F(Store, LinesBeyond256GiBAreDistinct)
{
    const uint64_t far = 1ULL << 38; /* line number 2^32 */
    uint8_t a[64], b[64];
    memset(a, 0xa, sizeof(a));
    memset(b, 0xb, sizeof(b));
    ASSERT_TRUE(dram_store_write(s, 128, a, 64));
    EXPECT_EQ(dram_store_version(s, far + 128), 0u); /* not the line at 128 */
    ASSERT_TRUE(dram_store_write(s, far + 128, b, 64));
    for (uint64_t i = 0; i < 20000; i++) { /* several doublings */
        ASSERT_TRUE(dram_store_write_pattern(s, (i + 10) * 64 + (i % 2 ? far : 0), 64));
    }
    EXPECT_EQ(read(128, 64), std::vector<uint8_t>(64, 0xa));
    EXPECT_EQ(read(far + 128, 64), std::vector<uint8_t>(64, 0xb));
    EXPECT_EQ(dram_store_version(s, far + 11 * 64), 1u);
    EXPECT_EQ(dram_store_version(s, 11 * 64), 0u);
    EXPECT_EQ(dram_store_version(s, 10 * 64), 1u);
    EXPECT_EQ(dram_store_version(s, far + 10 * 64), 0u);
}

TEST(DramStoreCapacity, AFullStoreRefusesNewLinesButKeepsOldOnes)
{
    DramStore *s = dram_store_new(4);
    ASSERT_NE(s, nullptr);
    uint8_t v[64];
    memset(v, 7, sizeof(v));
    for (uint64_t i = 0; i < 4; i++) {
        ASSERT_TRUE(dram_store_write(s, i * 64, v, 64));
    }
    EXPECT_FALSE(dram_store_write(s, 4 * 64, v, 64));      /* a fifth line */
    EXPECT_FALSE(dram_store_write_pattern(s, 9 * 64, 64)); /* likewise */
    EXPECT_TRUE(dram_store_write(s, 64, v, 64));           /* an old one still takes writes */
    EXPECT_EQ(dram_store_lines(s), 4u);
    EXPECT_EQ(dram_store_max_lines(s), 4u);
    dram_store_free(s);
}

TEST(DramStoreCapacity, AtMost2To31MinusOneLines)
{
    EXPECT_EQ(dram_store_new(0), nullptr);
    EXPECT_EQ(dram_store_new((uint64_t)DRAM_STORE_MAX_LINES + 1), nullptr);
    EXPECT_EQ(DRAM_STORE_MAX_LINES, (1u << 31) - 1);
}

TEST(MemProto, BeatsAndRoutes)
{
    EXPECT_EQ(mem_beats(0, 64), 1u);
    EXPECT_EQ(mem_beats(0, 65), 2u);
    EXPECT_EQ(mem_beats(32, 64), 2u);
    EXPECT_EQ(mem_beats(0, 4096), 64u);
    EXPECT_EQ(mem_beats(0, 0), 0u);
    SimPacket pkt;
    memset(&pkt, 0, sizeof(pkt));
    mem_route_push(&pkt, 3);
    mem_route_push(&pkt, 16);
    EXPECT_EQ(mem_route_pop(&pkt), 16u);
    EXPECT_EQ(mem_route_pop(&pkt), 3u);
    EXPECT_EQ(pkt.user[1], 0u);
    EXPECT_TRUE(mem_is_request(MEM_READ));
    EXPECT_FALSE(mem_is_request(MEM_READ_RESP));
}

} // namespace
