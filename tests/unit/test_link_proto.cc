// The link packet formats (models/proto/link.h): frame lengths on the lanes, header encoding,
// the CRC, credits and sequence-number arithmetic, against tables written from
// docs/models/link.md.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "models/proto/link.h"

namespace
{

TEST(LinkProto, Crc32IsIeee8023)
{
    const char *check = "123456789";
    EXPECT_EQ(link_crc32(0, check, 9), 0xCBF43926u);
    // Continuing a CRC over pieces gives the CRC of the whole.
    EXPECT_EQ(link_crc32(link_crc32(0, check, 4), check + 4, 5), 0xCBF43926u);
    EXPECT_EQ(link_crc32(0, "", 0), 0u);
}

struct FrameCase {
    uint16_t type;
    uint32_t len;
    uint32_t lanes;
    LinkHeaderPlacement placement;
    uint32_t cycles;
    std::vector<uint32_t> lane_words;
};

TEST(LinkProto, FramesOnTheLanesMatchTheDocTable)
{
    const LinkHeaderPlacement R = LINK_HDR_REFERENCE;
    const LinkHeaderPlacement S = LINK_HDR_STRIPED;
    const std::vector<FrameCase> cases = {
        // 4 lanes, header on lane 0: lanes 1-3 send a start word in the last header cycle.
        {LINK_MWP, 64, 4, R, 5, {5, 4, 4, 4}},
        {LINK_MWP, 256, 4, R, 11, {11, 10, 10, 10}},
        {LINK_MWP, 4096, 4, R, 131, {131, 130, 130, 130}},
        {LINK_MWP, 1, 4, R, 5, {5, 4, 4, 4}}, // a partial beat is a whole beat
        {LINK_MWP, 65, 4, R, 7, {7, 6, 6, 6}},
        {LINK_MRD, 4096, 4, R, 3, {3, 0, 0, 0}}, // no payload: lanes 1-3 idle
        {LINK_MRRP, 64, 4, R, 4, {4, 4, 4, 4}},
        {LINK_MRRP, 4096, 4, R, 130, {130, 130, 130, 130}},
        {LINK_ACK, 0, 4, R, 2, {2, 0, 0, 0}},
        {LINK_NAK, 0, 4, R, 2, {2, 0, 0, 0}},
        {LINK_FC, 0, 4, R, 2, {2, 0, 0, 0}},
        // Striped header: word i on lane i mod lanes.
        {LINK_MWP, 64, 4, S, 4, {4, 4, 4, 4}},
        {LINK_MRD, 64, 4, S, 2, {2, 2, 0, 0}},
        {LINK_MRRP, 64, 4, S, 4, {4, 4, 4, 4}},
        {LINK_ACK, 0, 4, S, 2, {2, 0, 0, 0}},
        // Other lane counts: each lane carries 64 / lanes bytes of a beat.
        {LINK_MWP, 64, 1, R, 11, {11}},
        {LINK_MWP, 64, 2, R, 7, {7, 6}},
        {LINK_MWP, 64, 8, R, 4, {4, 3, 3, 3, 3, 3, 3, 3}},
        {LINK_MWP, 64, 1, S, 11, {11}},
        {LINK_MWP, 64, 8, S, 3, {3, 3, 3, 3, 3, 3, 3, 3}},
    };
    for (const FrameCase &c : cases) {
        LinkFrame f;
        link_frame(c.type, c.len, c.lanes, c.placement, &f);
        std::string what = std::string(link_type_name(c.type)) + " " + std::to_string(c.len) +
                           " B on " + std::to_string(c.lanes) + " lanes";
        EXPECT_EQ(f.cycles, c.cycles) << what;
        uint32_t sum = 0;
        for (uint32_t l = 0; l < c.lanes; l++) {
            EXPECT_EQ(f.lane_words[l], c.lane_words[l]) << what << " lane " << l;
            EXPECT_LE(f.lane_words[l], f.cycles) << what;
            sum += f.lane_words[l];
        }
        EXPECT_EQ(f.wire_words, sum) << what;
    }
}

TEST(LinkProto, HeadersEncodeToTheDocumentedBytesAndBack)
{
    SimPacket p{};
    p.type = LINK_MWP;
    p.seq = 0x1234;
    p.len = 4096;
    p.tag = 0xabcd;
    p.addr = 0x0000123456789abcULL;
    p.src = 0x5a;
    uint8_t b[LINK_MAX_HEADER_BYTES];
    ASSERT_EQ(link_header_encode(&p, b), 14u);
    const uint8_t want[14] = {0x01, 0x34, 0x12, 0x00, 0x10, 0xcd, 0xab,
                              0xbc, 0x9a, 0x78, 0x56, 0x34, 0x12, 0x5a};
    EXPECT_EQ(std::memcmp(b, want, 14), 0);
    SimPacket q{};
    ASSERT_TRUE(link_header_decode(b, 14, &q));
    EXPECT_EQ(q.type, LINK_MWP);
    EXPECT_EQ(q.seq, 0x1234u);
    EXPECT_EQ(q.len, 4096u);
    EXPECT_EQ(q.tag, 0xabcdu);
    EXPECT_EQ(q.addr, 0x123456789abcULL);
    EXPECT_EQ(q.src, 0x5a);

    SimPacket a{};
    a.type = LINK_ACK;
    a.seq = 0xffff;
    ASSERT_EQ(link_header_encode(&a, b), 7u);
    EXPECT_EQ(b[0], 0x10);
    EXPECT_EQ(b[1], 0xff);
    EXPECT_EQ(b[2], 0xff);

    SimPacket f{};
    f.type = LINK_FC;
    f.addr = link_fc_pack(64, 512, 63);
    ASSERT_EQ(link_header_encode(&f, b), 7u);
    const uint8_t fc[7] = {0x20, 64, 0, 0x00, 0x02, 63, 0};
    EXPECT_EQ(std::memcmp(b, fc, 7), 0);
    SimPacket g{};
    ASSERT_TRUE(link_header_decode(b, 7, &g));
    EXPECT_EQ(link_fc_field(g.addr, LINK_CR_HDR), 64u);
    EXPECT_EQ(link_fc_field(g.addr, LINK_CR_DATA), 512u);
    EXPECT_EQ(link_fc_field(g.addr, LINK_CR_LEN), 63u);

    const uint8_t junk[7] = {0x7f, 0, 0, 0, 0, 0, 0};
    EXPECT_FALSE(link_header_decode(junk, 7, &g));
    EXPECT_FALSE(link_header_decode(want, 7, &g)); // an MWP needs 14 bytes
}

TEST(LinkProto, TheCrcCoversHeaderAndRealPayload)
{
    SimPayload pl{};
    uint8_t data[64];
    for (int i = 0; i < 64; i++) {
        data[i] = (uint8_t)(i * 7);
    }
    pl.data = data;
    pl.size = 64;
    pl.refs = 1;
    SimPacket p{};
    p.type = LINK_MWP;
    p.len = 64;
    p.addr = 0x1000;
    p.payload = &pl;
    uint32_t c0 = link_packet_crc(&p);
    uint8_t h[LINK_MAX_HEADER_BYTES];
    uint32_t n = link_header_encode(&p, h);
    EXPECT_EQ(c0, link_crc32(link_crc32(0, h, n), data, 64));
    data[63] ^= 1; // any bit of the payload
    EXPECT_NE(link_packet_crc(&p), c0);
    data[63] ^= 1;
    p.seq = 1; // any header field
    EXPECT_NE(link_packet_crc(&p), c0);
    p.seq = 0;
    p.payload = nullptr; // pattern data: header only
    EXPECT_EQ(link_packet_crc(&p), link_crc32(0, h, n));
}

TEST(LinkProto, CreditsAndBeats)
{
    uint64_t need[LINK_CR_MAX];
    link_credit_need(LINK_MWP, 4096, need);
    EXPECT_EQ(need[LINK_CR_HDR], 1u);
    EXPECT_EQ(need[LINK_CR_DATA], 64u);
    EXPECT_EQ(need[LINK_CR_LEN], 1u);
    link_credit_need(LINK_MRD, 4096, need);
    EXPECT_EQ(need[LINK_CR_HDR], 1u);
    EXPECT_EQ(need[LINK_CR_DATA], 0u);
    EXPECT_EQ(need[LINK_CR_LEN], 0u);
    link_credit_need(LINK_MRRP, 100, need);
    EXPECT_EQ(need[LINK_CR_DATA], 2u);
    link_credit_need(LINK_ACK, 0, need);
    EXPECT_EQ(need[LINK_CR_HDR] + need[LINK_CR_DATA] + need[LINK_CR_LEN], 0u);
    EXPECT_EQ(link_header_words(LINK_MWP), 2u);
    EXPECT_EQ(link_header_words(LINK_MRD), 2u);
    EXPECT_EQ(link_header_words(LINK_MRRP), 1u);
    EXPECT_EQ(link_header_words(LINK_FC), 1u);
}

TEST(LinkProto, SequenceNumbersWrapAt16Bits)
{
    EXPECT_EQ(link_seq_add(0xffff, 1), 0u);
    EXPECT_EQ(link_seq_add(0, -1), 0xffffu);
    EXPECT_EQ(link_seq_diff(0, 0xffff), 1);
    EXPECT_EQ(link_seq_diff(0xffff, 0), -1);
    EXPECT_EQ(link_seq_diff(100, 90), 10);
    EXPECT_EQ(link_seq_diff(0x7fff, 0), 32767);
    EXPECT_EQ(link_seq_diff(0x8000, 0), -32768);
}

TEST(LinkProto, TypeNames)
{
    EXPECT_STREQ(link_type_name(LINK_MWP), "mwp");
    EXPECT_STREQ(link_type_name(LINK_MRRP), "mrrp");
    EXPECT_STREQ(link_type_name(LINK_FC), "fc");
    EXPECT_STREQ(link_type_name(0x0100), "?");
    EXPECT_TRUE(link_is_data(LINK_MRD));
    EXPECT_FALSE(link_is_data(LINK_NAK));
    EXPECT_TRUE(link_is_wire(LINK_FC));
    EXPECT_FALSE(link_is_wire(LINK_INT_FREE));
}

} // namespace
