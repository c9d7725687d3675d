/*
 * Gen3 physical-layer timing (docs/models/pcie.md, "Symbol timing").
 *
 * The data stream is a sequence of bytes striped over the lanes: byte b goes on lane b mod L in
 * symbol time b / L of the stream. Symbol times are grouped sixteen to a 128b/130b block, which
 * starts with a 2-UI sync header; after every `skp_interval` data blocks one SKP ordered-set
 * block (16 symbols, the same 130 UI) takes the wire and carries no data:
 *
 *   |sync|s0|s1|...|s15|sync|s0|...|s15| ... |sync| SKP OS (16) |sync|s0|...
 *   <------- block 0 --><------ block 1 ->     <-- block 370 -->
 *   0    250 1250       16250              6012500         6028750  (ps, skp_interval 370)
 *
 * Data block d is absolute block d + floor(d / skp_interval); its symbol k starts at
 * t0 + block * 16250 + 250 + k * 1000 ps.
 */
#include "pcie.h"

static uint64_t skp_blocks_before(const PciePhy *phy, uint64_t d)
{
    return phy->skp_interval ? d / phy->skp_interval : 0;
}

SimTime pcie_phy_symbol_start(const PciePhy *phy, uint64_t b)
{
    uint64_t s = b / phy->lanes;
    uint64_t d = s / PCIE_BLOCK_SYMBOLS;
    uint64_t k = s % PCIE_BLOCK_SYMBOLS;
    uint64_t a = d + skp_blocks_before(phy, d);
    return phy->t0 + a * PCIE_BLOCK_PS + PCIE_SYNC_PS + k * PCIE_SYMBOL_PS;
}

uint64_t pcie_phy_first_byte_at(const PciePhy *phy, SimTime t)
{
    if (t <= phy->t0 + PCIE_SYNC_PS) {
        return 0;
    }
    SimTime r = t - phy->t0;
    uint64_t a = r / PCIE_BLOCK_PS;
    SimTime within = r - a * PCIE_BLOCK_PS;
    uint64_t k =
        within <= PCIE_SYNC_PS ? 0 : (within - PCIE_SYNC_PS + PCIE_SYMBOL_PS - 1) / PCIE_SYMBOL_PS;
    if (k >= PCIE_BLOCK_SYMBOLS) {
        a++;
        k = 0;
    }
    uint64_t period = (uint64_t)phy->skp_interval + 1;
    if (phy->skp_interval && a % period == phy->skp_interval) {
        a++; /* an SKP block: data resume in the next one */
        k = 0;
    }
    uint64_t d = a - (phy->skp_interval ? a / period : 0);
    return (d * PCIE_BLOCK_SYMBOLS + k) * phy->lanes;
}

uint64_t pcie_phy_place(const PciePhy *phy, uint64_t free_b, SimTime ready)
{
    if (pcie_phy_symbol_start(phy, free_b) >= ready) {
        return free_b;
    }
    uint64_t b = pcie_phy_first_byte_at(phy, ready);
    return b > free_b ? b : free_b;
}

double pcie_phy_data_rate(const PciePhy *phy)
{
    double r = (double)phy->lanes * PCIE_BLOCK_SYMBOLS * 1e12 / (double)PCIE_BLOCK_PS;
    if (phy->skp_interval) {
        r = r * phy->skp_interval / (phy->skp_interval + 1.0);
    }
    return r;
}

uint32_t pcie_spec_ack_symbols(uint32_t lanes, uint32_t mps)
{
    /* PCIe Base Specification, 8.0 GT/s tables, in symbol times; rows x1 x2 x4 x8 x16, columns
     * max payload 128 256 512 1024 2048 4096 bytes. */
    static const uint16_t table[5][6] = {
        {333, 512, 655, 1167, 2191, 4239}, {224, 313, 385, 641, 1153, 2177},
        {169, 214, 250, 378, 634, 1146},   {163, 203, 182, 246, 374, 630},
        {144, 168, 182, 246, 374, 630},
    };
    int row = -1;
    for (int i = 0; i < 5; i++) {
        if (lanes == (1u << i)) {
            row = i;
        }
    }
    int col = -1;
    for (int i = 0; i < 6; i++) {
        if (mps == (128u << i)) {
            col = i;
        }
    }
    if (row < 0 || col < 0) {
        return 0;
    }
    return table[row][col];
}
