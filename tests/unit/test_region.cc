/* Large model memories (sim/core/region.h): mapped, zero, lazily given their initial contents. */
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "sim/core/region.h"

namespace
{

/* Initial contents that name their address: byte a is (a * 7 + 3) mod 256. */
void fill_addr(uint8_t *dst, uint64_t addr, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        dst[i] = static_cast<uint8_t>((addr + i) * 7 + 3);
    }
}

uint8_t initial(uint64_t addr)
{
    return static_cast<uint8_t>(addr * 7 + 3);
}

TEST(SimRegion, MapIsZeroAndWritable)
{
    const size_t n = (size_t)1 << 30; /* 1 GiB declared, a few pages touched */
    auto *p = static_cast<uint8_t *>(sim_region_map(n));
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p[0], 0);
    EXPECT_EQ(p[n / 2], 0);
    EXPECT_EQ(p[n - 1], 0);
    p[n - 1] = 0xab;
    EXPECT_EQ(p[n - 1], 0xab);
    sim_region_unmap(p, n);
    sim_region_unmap(nullptr, 4096); /* accepted, does nothing */
    EXPECT_EQ(sim_region_map(0), nullptr);
}

TEST(SimMem, ContainsChecksBothEnds)
{
    SimMem m;
    ASSERT_TRUE(sim_mem_init(&m, 0x10000, 8192, nullptr));
    EXPECT_TRUE(sim_mem_contains(&m, 0x10000, 8192));
    EXPECT_TRUE(sim_mem_contains(&m, 0x11fff, 1));
    EXPECT_TRUE(sim_mem_contains(&m, 0x12000, 0));
    EXPECT_FALSE(sim_mem_contains(&m, 0xffff, 1));
    EXPECT_FALSE(sim_mem_contains(&m, 0x11fff, 2));
    EXPECT_FALSE(sim_mem_contains(&m, 0x12000, 1));
    EXPECT_FALSE(sim_mem_contains(&m, UINT64_MAX, 2)); /* no wrap-around */
    sim_mem_destroy(&m);
}

TEST(SimMem, ZeroMemoryReadsBackWhatWasWritten)
{
    SimMem m;
    ASSERT_TRUE(sim_mem_init(&m, 4096, 3 * 4096 + 64, nullptr)); /* not a whole number of pages */
    std::vector<uint8_t> got(300, 0xee);
    sim_mem_read(&m, 4096 + 4000, got.data(), got.size());
    for (uint8_t b : got) {
        ASSERT_EQ(b, 0);
    }
    std::vector<uint8_t> data(300);
    for (size_t i = 0; i < data.size(); i++) {
        data[i] = static_cast<uint8_t>(i + 1);
    }
    sim_mem_write(&m, 4096 + 4000, data.data(), data.size()); /* across a page boundary */
    sim_mem_read(&m, 4096 + 4000, got.data(), got.size());
    EXPECT_EQ(got, data);
    uint8_t last[64];
    std::memset(last, 0x5a, sizeof(last));
    sim_mem_write(&m, 4096 + 3 * 4096, last, sizeof(last)); /* the partial last page */
    uint8_t back[64] = {};
    sim_mem_read(&m, 4096 + 3 * 4096, back, sizeof(back));
    EXPECT_EQ(std::memcmp(back, last, sizeof(last)), 0);
    sim_mem_destroy(&m);
}

TEST(SimMem, FilledMemoryReadsItsInitialContentsUntilWritten)
{
    SimMem m;
    const uint64_t base = 0x100000;
    ASSERT_TRUE(sim_mem_init(&m, base, 4 * 4096, fill_addr));
    /* Read across three pages, none written: the initial contents. */
    std::vector<uint8_t> got(2 * 4096 + 10);
    sim_mem_read(&m, base + 4090, got.data(), got.size());
    for (size_t i = 0; i < got.size(); i++) {
        ASSERT_EQ(got[i], initial(base + 4090 + i)) << i;
    }
    /* A write of two bytes into page 1: the rest of page 1 keeps its initial contents. */
    const uint8_t two[2] = {0, 0};
    sim_mem_write(&m, base + 4096 + 100, two, 2);
    sim_mem_read(&m, base + 4090, got.data(), got.size());
    for (size_t i = 0; i < got.size(); i++) {
        uint64_t a = base + 4090 + i;
        uint8_t want = (a == base + 4196 || a == base + 4197) ? 0 : initial(a);
        ASSERT_EQ(got[i], want) << i;
    }
    /* A later write to the same page does not bring the initial contents back. */
    const uint8_t one = 0x77;
    sim_mem_write(&m, base + 4096 + 200, &one, 1);
    uint8_t b[3];
    sim_mem_read(&m, base + 4096 + 100, b, 2);
    sim_mem_read(&m, base + 4096 + 200, b + 2, 1);
    EXPECT_EQ(b[0], 0);
    EXPECT_EQ(b[1], 0);
    EXPECT_EQ(b[2], 0x77);
    sim_mem_destroy(&m);
    sim_mem_destroy(&m); /* a destroyed memory may be destroyed again */
}

TEST(SimMem, DeclaredGigabytesCostNothingUntilTouched)
{
    /* 16 GiB declared with initial contents: reads of untouched pages allocate nothing; the
     * mapping would fail or exhaust memory if it were committed. */
    SimMem m;
    const uint64_t size = (uint64_t)16 << 30;
    ASSERT_TRUE(sim_mem_init(&m, 0, size, fill_addr));
    uint8_t b[16];
    sim_mem_read(&m, size - 16, b, sizeof(b));
    for (size_t i = 0; i < sizeof(b); i++) {
        ASSERT_EQ(b[i], initial(size - 16 + i));
    }
    sim_mem_write(&m, size / 2, b, sizeof(b));
    uint8_t c[16];
    sim_mem_read(&m, size / 2, c, sizeof(c));
    EXPECT_EQ(std::memcmp(b, c, sizeof(b)), 0);
    sim_mem_destroy(&m);
}

} // namespace
