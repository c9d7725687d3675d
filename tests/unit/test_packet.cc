/* The packet and payload pools. */
#include <gtest/gtest.h>

#include <vector>

#include "sim/core/packet.h"

TEST(SimPacketPool, HandsOutEveryPacketOnceThenReportsExhaustion)
{
    SimPacketPool p;
    ASSERT_TRUE(sim_packet_pool_init(&p, 8, 0, 0));
    std::vector<SimPacket *> got;
    for (int i = 0; i < 8; i++) {
        SimPacket *pkt = sim_packet_pool_get(&p);
        ASSERT_NE(pkt, nullptr);
        EXPECT_EQ(pkt->id, static_cast<uint64_t>(i));
        got.push_back(pkt);
    }
    EXPECT_FALSE(p.exhausted);
    EXPECT_EQ(sim_packet_pool_get(&p), nullptr);
    EXPECT_TRUE(p.exhausted);
    EXPECT_EQ(p.in_use, 8u);
    sim_packet_pool_put(&p, got[3]);
    SimPacket *again = sim_packet_pool_get(&p);
    EXPECT_EQ(again, got[3]);
    EXPECT_EQ(again->id, 8u); /* ids never repeat */
    EXPECT_EQ(p.peak, 8u);
    sim_packet_pool_destroy(&p);
}

TEST(SimPacketPool, PayloadsAreSharedByReferenceAndReturnedAtTheLastPut)
{
    SimPacketPool p;
    ASSERT_TRUE(sim_packet_pool_init(&p, 4, 2, 64));
    SimPacket *a = sim_packet_pool_get(&p);
    SimPacket *b = sim_packet_pool_get(&p);
    a->payload = sim_payload_pool_get(&p);
    ASSERT_NE(a->payload, nullptr);
    a->payload->data[0] = 0xab;
    b->payload = sim_payload_ref(a->payload); /* a retry copy shares the bytes */
    EXPECT_EQ(p.payloads_in_use, 1u);
    sim_packet_pool_put(&p, a);
    EXPECT_EQ(p.payloads_in_use, 1u);
    EXPECT_EQ(b->payload->data[0], 0xab);
    sim_packet_pool_put(&p, b);
    EXPECT_EQ(p.payloads_in_use, 0u);
    EXPECT_NE(sim_payload_pool_get(&p), nullptr);
    EXPECT_NE(sim_payload_pool_get(&p), nullptr);
    EXPECT_EQ(sim_payload_pool_get(&p), nullptr);
    sim_packet_pool_destroy(&p);
}
