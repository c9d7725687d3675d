/*
 * Gen3 symbol timing (models/pcie/pcie_phy.c): where each data-stream byte goes on the wire
 * across 128b/130b sync headers and SKP ordered sets, packet placement after idle, the data
 * rate, and the spec's Ack/UpdateFC table. Hand-computed values from docs/models/pcie.md.
 */
#include <gtest/gtest.h>

#include "models/pcie/pcie.h"

namespace
{

TEST(PciePhy, SymbolTimesFollowBlocksAndSyncHeaders)
{
    PciePhy x8{8, 0, 0};
    /* Block 0: sync header 0-250 ps, symbol k at 250 + 1000 k. Eight bytes per symbol time. */
    EXPECT_EQ(pcie_phy_symbol_start(&x8, 0), 250u);
    EXPECT_EQ(pcie_phy_symbol_start(&x8, 7), 250u);
    EXPECT_EQ(pcie_phy_symbol_start(&x8, 8), 1250u);
    EXPECT_EQ(pcie_phy_symbol_start(&x8, 127), 15250u);
    /* Byte 128 is symbol 0 of block 1, after its sync header. */
    EXPECT_EQ(pcie_phy_symbol_start(&x8, 128), 16500u);
    EXPECT_EQ(pcie_phy_symbol_start(&x8, 128 * 1000), 1000u * 16250 + 250);
    /* x1: one byte per symbol time. */
    PciePhy x1{1, 0, 0};
    EXPECT_EQ(pcie_phy_symbol_start(&x1, 15), 15250u);
    EXPECT_EQ(pcie_phy_symbol_start(&x1, 16), 16500u);
    /* A phase offset shifts everything. */
    PciePhy ph{8, 0, 1000};
    EXPECT_EQ(pcie_phy_symbol_start(&ph, 0), 1250u);
}

TEST(PciePhy, SkpOrderedSetTakesOneBlockAfterEveryInterval)
{
    PciePhy p{8, 370, 0};
    /* Data blocks 0..369 are absolute blocks 0..369; block 370 is the SKP ordered set; data
     * block 370 is absolute block 371. */
    EXPECT_EQ(pcie_phy_symbol_start(&p, 369u * 128), 369u * 16250 + 250);
    EXPECT_EQ(pcie_phy_symbol_start(&p, 370u * 128), 371u * 16250 + 250);
    EXPECT_EQ(pcie_phy_symbol_start(&p, 740u * 128), 742u * 16250 + 250);
    /* A time inside the SKP block maps to the first byte after it. */
    EXPECT_EQ(pcie_phy_first_byte_at(&p, 370u * 16250 + 5000), 370u * 128);
    EXPECT_EQ(pcie_phy_first_byte_at(&p, 370u * 16250), 370u * 128);
}

TEST(PciePhy, FirstByteAtIsLaneZeroOfTheFirstSymbolTimeAtOrAfter)
{
    PciePhy p{8, 370, 0};
    EXPECT_EQ(pcie_phy_first_byte_at(&p, 0), 0u);
    EXPECT_EQ(pcie_phy_first_byte_at(&p, 250), 0u);
    EXPECT_EQ(pcie_phy_first_byte_at(&p, 251), 8u);
    EXPECT_EQ(pcie_phy_first_byte_at(&p, 1250), 8u);
    EXPECT_EQ(pcie_phy_first_byte_at(&p, 15251), 128u); /* past the last symbol of block 0 */
    EXPECT_EQ(pcie_phy_first_byte_at(&p, 16250), 128u); /* inside block 1's sync header */
    /* The worked example of docs/models/pcie.md: ready at 358 ns. */
    EXPECT_EQ(pcie_phy_first_byte_at(&p, 358000), 2824u);
    EXPECT_EQ(pcie_phy_packet_end(&p, 2824, 24), 361750u);
    for (SimTime t = 0; t < 200000; t += 37) {
        uint64_t b = pcie_phy_first_byte_at(&p, t);
        EXPECT_EQ(b % 8, 0u);
        EXPECT_GE(pcie_phy_symbol_start(&p, b), t) << t;
        if (b >= 8) {
            EXPECT_LT(pcie_phy_symbol_start(&p, b - 8), t) << t;
        }
    }
}

TEST(PciePhy, PlacementIsBackToBackOrAlignedAfterIdle)
{
    PciePhy p{8, 370, 0};
    /* The stream is free from byte 20 (lane 4 of symbol 2, which starts at 2250 ps). */
    EXPECT_EQ(pcie_phy_place(&p, 20, 2250), 20u); /* ready in time: back to back */
    EXPECT_EQ(pcie_phy_place(&p, 20, 0), 20u);
    EXPECT_EQ(pcie_phy_place(&p, 20, 2251), 24u); /* too late for symbol 2: lane 0 of 3 */
    EXPECT_EQ(pcie_phy_place(&p, 20, 9000), 72u);
    /* A 28-byte CplD ends at the end of the symbol time holding its last byte. */
    EXPECT_EQ(pcie_phy_packet_end(&p, 24, 28), pcie_phy_symbol_start(&p, 51) + 1000);
}

TEST(PciePhy, DataRateIsEightGigatransfersAfterEncodingAndSkp)
{
    PciePhy p{8, 370, 0};
    EXPECT_NEAR(pcie_phy_data_rate(&p), 8e9 * 128.0 / 130.0 * 370.0 / 371.0, 1.0);
    PciePhy raw{8, 0, 0};
    EXPECT_NEAR(pcie_phy_data_rate(&raw), 7.876923e9, 1e3);
    EXPECT_LT(pcie_phy_data_rate(&p), 7.88e9);
}

TEST(PciePhy, SpecTableOfAckAndUpdateFcIntervals)
{
    EXPECT_EQ(pcie_spec_ack_symbols(8, 128), 163u);
    EXPECT_EQ(pcie_spec_ack_symbols(8, 256), 203u);
    EXPECT_EQ(pcie_spec_ack_symbols(8, 512), 182u);
    EXPECT_EQ(pcie_spec_ack_symbols(1, 4096), 4239u);
    EXPECT_EQ(pcie_spec_ack_symbols(16, 128), 144u);
    EXPECT_EQ(pcie_spec_ack_symbols(3, 256), 0u);
    EXPECT_EQ(pcie_spec_ack_symbols(8, 100), 0u);
}

} // namespace
