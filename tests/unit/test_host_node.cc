/*
 * host.memtrace and mem.ideal (docs/models/host.md): the ideal memory's exact latency and real
 * bytes (checked by dram.gen's verifier), the mem.h pattern of writes without data, the node's
 * '@' and '+' timing, its outstanding limit, `repeat`, and the configuration errors that name
 * the trace's file and line.
 */
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "models/host/host.h"
#include "models/proto/mem.h"
#include "sim/trace/memtrace.h"
#include "test_pcie_topo.h"

namespace
{

using pcie_topo::Topo;

TEST(MemIdeal, LatencyIsFixedAndBytesAreReal)
{
    /* dram.gen starts a read at cycle c (pushed at c), mem.ideal takes it at c + 1 and pushes
     * the response at c + 1 + latency, dram.gen takes it at c + 2 + latency. A write of 4 beats
     * is pushed at its last beat, c + 3. */
    for (uint32_t lat : {0u, 1u, 7u}) {
        std::string y = "sim: {allow_cycles: true}\ninstances:\n"
                        "  gen: {type: dram.gen, count: 3000, pattern: random, read_ratio: 0.5,"
                        " range: 64KiB, verify: true, size: 256B}\n"
                        "  mem: {type: mem.ideal, latency: " +
                        std::to_string(lat) +
                        "}\n"
                        "links:\n  - {from: gen:req, to: mem:req}\n"
                        "  - {from: mem:resp, to: gen:resp}\n";
        for (SimKernelKind k : {SIM_KERNEL_FAST, SIM_KERNEL_EVERY_CYCLE}) {
            SimError err;
            ShimRun *r = shim_build(y.c_str(), &err);
            ASSERT_NE(r, nullptr) << err.msg;
            ASSERT_TRUE(shim_run(r, k, SIM_TIME_NEVER, 0, &err)) << err.msg;
            EXPECT_EQ(shim_stat(r, "gen.read_latency_ns.min"), 5.0 * (lat + 2));
            EXPECT_EQ(shim_stat(r, "gen.read_latency_ns.max"), 5.0 * (lat + 2));
            EXPECT_EQ(shim_stat(r, "gen.verify_errors"), 0.0);
            EXPECT_GT(shim_stat(r, "gen.verified"), 1000.0);
            shim_free(r);
        }
    }
}

TEST(MemIdeal, WritesWithoutDataStoreTheVersionedPattern)
{
    /* Two PIO stores without data to the same line: it holds version 2 of the mem.h pattern
     * where the second store wrote, version 1 where only the first did. */
    Topo t;
    t.trace = pcie_topo::write_trace("pat.trace", "@0 W 0x1000 64 pio\n+0 W 0x1010 16 pio\n"
                                                  "+0 R 0x1000 8 pio\n");
    ShimRun *r = pcie_topo::run(t);
    ASSERT_NE(r, nullptr);
    SimComponent *mem = sim_find_component(shim_sim(r), "mem");
    uint8_t got[64], want[64];
    ASSERT_TRUE(mem_ideal_read(mem, 0x1000, got, 64));
    mem_pattern_fill(want, 0x1000, 64, 1);
    mem_pattern_fill(want + 16, 0x1010, 16, 2);
    EXPECT_EQ(memcmp(got, want, 64), 0);
    EXPECT_FALSE(mem_ideal_read(sim_find_component(shim_sim(r), "rc"), 0, got, 8))
        << "not a mem.ideal";
    shim_free(r);
}

TEST(HostNode, AtTimesAndDelaysAfterCompletion)
{
    /* A starts at 1 us exactly; B 500 ns after A completed; C at 1 us too, but only after B
     * started (records start in order); D after C completed. */
    Topo t;
    t.trace = pcie_topo::write_trace("when.trace", "@1us R 0x40 8 pio\n+500ns R 0x80 8 pio\n"
                                                   "@1us W 0xc0 8 pio\n+0 R 0x100 8 pio\n");
    for (SimKernelKind k : {SIM_KERNEL_FAST, SIM_KERNEL_EVERY_CYCLE}) {
        ShimRun *r = pcie_topo::run(t, k);
        ASSERT_NE(r, nullptr);
        EXPECT_EQ(pcie_topo::stat(r, "node.first_start_ns"), 1000.0);
        EXPECT_EQ(pcie_topo::stat(r, "node.completed"), 4.0);
        /* Loads take 1108 ns +- the symbol alignment of when they start; the store is done
         * when the root complex took it (308 ns). */
        double lo = pcie_topo::stat(r, "node.read_latency_ns.min");
        double hi = pcie_topo::stat(r, "node.read_latency_ns.max");
        EXPECT_GE(lo, 1100.0);
        EXPECT_LE(hi, 1120.0);
        EXPECT_EQ(pcie_topo::stat(r, "node.write_latency_ns.max"), 308.0);
        /* B starts at A's end + 500 ns, C one cycle after B (the next push), D after C's end:
         * the last completion is 1000 + lat(A) + 500 + 4 + 308 + lat(D), with each lat a read
         * latency, so it lies within these bounds. */
        double last = pcie_topo::stat(r, "node.last_done_ns");
        EXPECT_GE(last, 1000 + lo + 500 + 4 + 308 + lo);
        EXPECT_LE(last, 1000 + hi + 500 + 4 + 308 + hi);
        shim_free(r);
    }
}

TEST(HostNode, OutstandingLimitSerialisesLoads)
{
    std::string body;
    for (int i = 0; i < 16; i++) {
        body += "@0 R 0x" + std::to_string(1000 + i) + "0 8 pio\n";
    }
    double last[2];
    int i = 0;
    for (int limit : {1, 8}) {
        Topo t;
        t.trace = pcie_topo::write_trace("os.trace", body);
        t.node = ", outstanding: " + std::to_string(limit);
        ShimRun *r = pcie_topo::run(t);
        ASSERT_NE(r, nullptr);
        EXPECT_EQ(pcie_topo::stat(r, "node.completed"), 16.0);
        last[i++] = pcie_topo::stat(r, "node.last_done_ns");
        if (limit == 1) {
            /* One at a time: each starts the cycle its predecessor completed. */
            double lo = pcie_topo::stat(r, "node.latency_ns.min");
            double hi = pcie_topo::stat(r, "node.latency_ns.max");
            EXPECT_GE(last[0], 16 * lo);
            EXPECT_LE(last[0], 16 * hi);
        }
        shim_free(r);
    }
    EXPECT_LT(last[1] * 4, last[0]);
}

TEST(HostNode, RepeatReplaysTheTrace)
{
    Topo t;
    t.trace = pcie_topo::write_trace("rep.trace", "@0 W 0x0 4KiB\n@0 R 0x0 4KiB\n");
    t.node = ", repeat: 5";
    ShimRun *r = pcie_topo::run(t);
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(pcie_topo::stat(r, "node.records"), 10.0);
    EXPECT_EQ(pcie_topo::stat(r, "node.completed"), 10.0);
    EXPECT_EQ(pcie_topo::stat(r, "node.bytes"), 10.0 * 4096);
    EXPECT_EQ(pcie_topo::stat(r, "ad.rd_descriptors"), 5.0);
    shim_free(r);
}

TEST(HostNode, TraceErrorsNameTheFileAndLine)
{
    const std::string h = "membox-memtrace 1\n";
    struct {
        const char *name;
        std::string text;
        std::string extra; /* node parameters */
        std::string msg;   /* after "<test>:3:38: instance 'node': key 'trace': PATH" */
    } const rows[] = {
        {"op", h + "@0 W 0x0 64\n@0 Q 0x0 64\n", "", ":3: unknown op 'Q' (R or W)"},
        {"number", h + "@0 W 0x0 sixty\n", "",
         ":2: bad size 'sixty': whole bytes, e.g. '64', '4KiB' or '1MiB'"},
        {"window", h + "@0 W 0xfffff000 8KiB\n", "",
         ":2: address 0xfffff000 + 8192 bytes is outside the MemBox window (4294967296 bytes)"},
        {"small-window", h + "@0 W 0x0 64\n\n@0 R 0x100000 64\n", ", window: 1MiB",
         ":4: address 0x100000 + 64 bytes is outside the MemBox window (1048576 bytes)"},
        {"version", "membox-memtrace 7\n@0 W 0x0 64\n", "",
         ":1: unsupported memory-trace version 7 (this reader knows version 1)"},
        {"dma-align", h + "@0 W 0x2 64\n", "",
         ":2: a DMA moves whole DWORDs: address 0x2 and size 64 must be multiples of 4"},
        {"pio-line", h + "@0 R 0x3c 8 pio\n", "",
         ":2: a PIO access is 1 to 64 bytes within one 64-byte line (address 0x3c, 8 bytes)"},
        {"pio-default", h + "@0 R 0x0 128\n", ", access: pio",
         ":2: a PIO access is 1 to 64 bytes within one 64-byte line (address 0x0, 128 bytes)"},
        {"buffer", h + "@0 R 0x0 2MiB\n", ", buffer_size: 1MiB",
         ":2: a DMA of 2097152 bytes does not fit the host buffer (buffer_size 1048576)"},
    };
    for (const auto &row : rows) {
        SCOPED_TRACE(row.name);
        std::string path = pcie_topo::temp_path(std::string(row.name) + ".trace");
        {
            std::ofstream(path) << row.text;
        }
        Topo t;
        t.trace = path;
        t.node = row.extra;
        std::string y = pcie_topo::yaml(t);
        SimError err;
        sim_error_clear(&err);
        ShimRun *r = shim_build(y.c_str(), &err);
        EXPECT_EQ(r, nullptr);
        shim_free(r);
        EXPECT_EQ(err.kind, SIM_ERR_INPUT);
        EXPECT_EQ(std::string(err.msg),
                  "<test>:3:38: instance 'node': key 'trace': " + path + row.msg);
        remove(path.c_str());
    }
    /* A missing trace is named too. */
    Topo t;
    t.trace = pcie_topo::temp_path("absent.trace");
    SimError err;
    std::string y = pcie_topo::yaml(t);
    EXPECT_EQ(shim_build(y.c_str(), &err), nullptr);
    EXPECT_EQ(std::string(err.msg), "<test>:3:38: instance 'node': key 'trace': " + t.trace +
                                        ": cannot open: No such file or directory");
}

TEST(HostNode, GzipAndBinaryTracesReplayTheSame)
{
    std::string text = "@0 W 0x0 4KiB\n+100ns R 0x0 4KiB\n@3us R 0x40 8 pio\n";
    Topo t;
    t.trace = pcie_topo::write_trace("plain.trace", text);
    ShimRun *r = pcie_topo::run(t);
    ASSERT_NE(r, nullptr);
    std::string base = pcie_topo::stats_json(r);
    shim_free(r);
    /* The same records, binary and gzip, written by the library's writer. */
    SimError err;
    MemTrace *in = memtrace_open(t.trace.c_str(), &err);
    ASSERT_NE(in, nullptr);
    std::vector<MemTraceRecord> recs;
    MemTraceRecord rec;
    while (memtrace_next(in, &rec, &err) > 0) {
        recs.push_back(rec);
    }
    memtrace_close(in);
    for (bool gz : {false, true}) {
        Topo b = t;
        b.trace = pcie_topo::temp_path(gz ? "b.btrace.gz" : "b.btrace");
        MemTraceWriter *w = memtrace_writer_open(b.trace.c_str(), MEMTRACE_BINARY, gz, &err);
        ASSERT_NE(w, nullptr);
        for (const auto &x : recs) {
            ASSERT_TRUE(memtrace_writer_put(w, &x));
        }
        ASSERT_TRUE(memtrace_writer_close(w));
        ShimRun *x = pcie_topo::run(b);
        ASSERT_NE(x, nullptr);
        std::string j = pcie_topo::stats_json(x);
        EXPECT_EQ(j, base);
        shim_free(x);
    }
}

} // namespace
