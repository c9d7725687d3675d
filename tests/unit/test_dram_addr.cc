// Address mappings (models/dram/dram_addr.c).
#include <gtest/gtest.h>

#include <random>

#include "models/dram/dram_addr.h"

namespace
{

DramGeometry default_geometry()
{
    DramGeometry g = {1, 1, 8, 65536, 1024, 8, 8};
    return g;
}

DramAddrMap make(DramMapping m, DramBankHash h = DRAM_HASH_NONE,
                 DramGeometry g = default_geometry())
{
    DramAddrMap map;
    const char *why = nullptr;
    EXPECT_TRUE(dram_addr_map_init(&map, &g, m, h, &why)) << (why ? why : "");
    return map;
}

TEST(DramAddr, DefaultModuleIs4GiB)
{
    DramAddrMap m = make(DRAM_MAP_ROBARACOCH);
    EXPECT_EQ(m.capacity, 4ULL << 30);
    EXPECT_EQ(m.burst_bytes, 64u);
    EXPECT_EQ(m.bits[DRAM_FIELD_COLUMN], 7u); // 1024 columns / BL8 = 128 bursts a row
    EXPECT_EQ(m.bits[DRAM_FIELD_BANK], 3u);
    EXPECT_EQ(m.bits[DRAM_FIELD_ROW], 16u);
}

TEST(DramAddr, RoBaRaCoChWalksAColumnsThenBanksThenRows)
{
    DramAddrMap m = make(DRAM_MAP_ROBARACOCH);
    DramLoc l;
    dram_addr_decode(&m, 64, &l);
    EXPECT_EQ(l.col, 1u);
    EXPECT_EQ(l.bank, 0u);
    dram_addr_decode(&m, 8192, &l); // one 8 KiB row further
    EXPECT_EQ(l.col, 0u);
    EXPECT_EQ(l.bank, 1u);
    dram_addr_decode(&m, 65536, &l); // 8 banks x 8 KiB
    EXPECT_EQ(l.bank, 0u);
    EXPECT_EQ(l.row, 1u);
    dram_addr_decode(&m, 0x2000D5C0ULL, &l);
    EXPECT_EQ(l.row, 0x2000u);
    EXPECT_EQ(l.bank, 6u);
    EXPECT_EQ(l.col, (0x15C0u >> 6));
}

TEST(DramAddr, RoCoRaBaChInterleavesBanks)
{
    DramAddrMap m = make(DRAM_MAP_ROCORABACH);
    for (uint32_t i = 0; i < 16; i++) {
        DramLoc l;
        dram_addr_decode(&m, i * 64ULL, &l);
        EXPECT_EQ(l.bank, i % 8);
        EXPECT_EQ(l.col, i / 8);
    }
}

TEST(DramAddr, RanksTellTheFirstTwoMappingsApart)
{
    DramGeometry g = default_geometry();
    g.ranks = 2;
    DramAddrMap a = make(DRAM_MAP_ROBARACOCH, DRAM_HASH_NONE, g);
    DramAddrMap b = make(DRAM_MAP_RORABACHCO, DRAM_HASH_NONE, g);
    DramLoc la, lb;
    dram_addr_decode(&a, 8192, &la);
    dram_addr_decode(&b, 8192, &lb);
    EXPECT_EQ(la.rank, 1u); // RoBaRaCoCh: rank just above the column
    EXPECT_EQ(la.bank, 0u);
    EXPECT_EQ(lb.rank, 0u); // RoRaBaChCo: bank just above the column
    EXPECT_EQ(lb.bank, 1u);
}

TEST(DramAddr, XorHashSpreadsConflictingRows)
{
    DramAddrMap m = make(DRAM_MAP_ROBARACOCH, DRAM_HASH_XOR);
    // Rows 0..7 of plain bank 0 land in eight different banks.
    uint32_t seen = 0;
    for (uint32_t r = 0; r < 8; r++) {
        DramLoc l;
        dram_addr_decode(&m, (uint64_t)r << 16, &l);
        EXPECT_EQ(l.row, r);
        seen |= 1u << l.bank;
    }
    EXPECT_EQ(seen, 0xffu);
}

TEST(DramAddr, EncodeInvertsDecodeForEveryMapping)
{
    std::mt19937_64 rng(42);
    DramGeometry g = default_geometry();
    g.ranks = 2;
    for (int m = 0; m < DRAM_MAP_MAX; m++) {
        for (int h = 0; h < DRAM_HASH_MAX; h++) {
            DramAddrMap map = make((DramMapping)m, (DramBankHash)h, g);
            for (int i = 0; i < 10000; i++) {
                uint64_t a = (rng() % map.capacity) & ~63ULL;
                DramLoc l;
                dram_addr_decode(&map, a, &l);
                ASSERT_EQ(dram_addr_encode(&map, &l), a) << dram_mapping_names[m] << " " << h;
            }
        }
    }
}

TEST(DramAddr, BadGeometriesAreRejected)
{
    DramAddrMap m;
    const char *why = nullptr;
    DramGeometry g = default_geometry();
    g.banks = 6;
    EXPECT_FALSE(dram_addr_map_init(&m, &g, DRAM_MAP_ROBARACOCH, DRAM_HASH_NONE, &why));
    EXPECT_STREQ(why, "banks must be a power of two");
    g = default_geometry();
    g.columns = 4;
    EXPECT_FALSE(dram_addr_map_init(&m, &g, DRAM_MAP_ROBARACOCH, DRAM_HASH_NONE, &why));
    g = default_geometry();
    g.rows = 4;
    EXPECT_FALSE(dram_addr_map_init(&m, &g, DRAM_MAP_ROBARACOCH, DRAM_HASH_XOR, &why));
}

TEST(DramAddr, NamesMatchTheEnum)
{
    EXPECT_STREQ(dram_mapping_names[DRAM_MAP_ROBARACOCH], "RoBaRaCoCh");
    EXPECT_STREQ(dram_mapping_names[DRAM_MAP_RORABACHCO], "RoRaBaChCo");
    EXPECT_EQ(dram_mapping_names[DRAM_MAP_MAX], nullptr);
    EXPECT_STREQ(dram_bank_hash_names[DRAM_HASH_XOR], "xor");
}

} // namespace
