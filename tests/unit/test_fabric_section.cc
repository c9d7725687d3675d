/*
 * The MemBox fabric system section (systems/membox/fabric.c, docs/config.md "Fabric section"):
 * per-link values reach both ends; defaults give way to per-element keys; it mixes with written
 * instances and links; everything it makes points into the section. The negative cases with
 * exact messages are tests/config_errors/130-149, more are in the table below. The shipped
 * configs/membox-*.yaml are fabric sections: tests/cli/test_golden.py holds their statistics
 * and test_expand.py their flat forms.
 */
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "systems/registry.h"
#include "sim/config/config.h"
#include "sim/core/kernel.h"
#include "tests/shim/shim.h"

namespace
{

std::string source_root()
{
    const char *r = std::getenv("MEMBOX_SOURCE_ROOT");
    return r ? r : ".";
}

std::string read_text(const std::string &path)
{
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

/* Owns a loaded configuration; null with the message in `error` when loading failed. */
struct Loaded {
    SimConfig *c = nullptr;
    std::string error;
    Loaded(const std::string &name, const std::string &yaml)
    {
        SimError err;
        sim_error_clear(&err);
        c = sim_config_load_string(name.c_str(), yaml.data(), yaml.size(), &membox_registry, &err);
        if (c == nullptr) {
            error = err.msg;
        }
    }
    ~Loaded()
    {
        sim_config_free(c);
    }
    Loaded(const Loaded &) = delete;
    Loaded &operator=(const Loaded &) = delete;

    size_t find(const std::string &name) const
    {
        for (size_t i = 0; i < sim_config_instance_count(c); i++) {
            if (name == sim_config_instance_name(c, i)) {
                return i;
            }
        }
        return SIZE_MAX;
    }

    /* The value of key on instance name as written; "<default>" when not given, "<none>" when
     * there is no such instance. */
    std::string value(const std::string &name, const char *key) const
    {
        size_t i = find(name);
        if (i == SIZE_MAX) {
            return "<none>";
        }
        const char *v = sim_config_instance_value(c, i, key);
        return v ? v : "<default>";
    }
};

std::string load_error(const std::string &yaml)
{
    Loaded l("t.yaml", yaml);
    return l.error;
}

/* The statistics of a run (fast kernel) as JSON. */
std::string stats_of(ShimRun *r)
{
    SimError err;
    sim_error_clear(&err);
    EXPECT_TRUE(shim_run(r, SIM_KERNEL_FAST, SIM_TIME_NEVER, 0, &err)) << err.msg;
    char *j = shim_stats_json(r);
    std::string s = j ? j : "";
    free(j);
    return s;
}

std::string replace_once(std::string s, const std::string &from, const std::string &to)
{
    size_t at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) {
        s.replace(at, from.size(), to);
    }
    return s;
}

} // namespace

TEST(FabricSection, EverythingMadePointsIntoTheFabricEntryItCameFrom)
{
    std::string path = source_root() + "/configs/membox-8node-ct.yaml";
    std::string text = read_text(path);
    /* Line numbers of the section: from its key to the end of the file. */
    unsigned first = 1;
    for (size_t at = 0; text.compare(at, 8, "fabric:\n") != 0; at = text.find('\n', at) + 1) {
        ASSERT_NE(text.find('\n', at), std::string::npos);
        first++;
    }
    Loaded l(path, text);
    ASSERT_NE(l.c, nullptr) << l.error;
    for (size_t i = 0; i < sim_config_instance_count(l.c); i++) {
        unsigned line, col;
        const char *file = sim_config_instance_where(l.c, i, &line, &col);
        EXPECT_EQ(std::string(file), path);
        EXPECT_GT(line, first) << sim_config_instance_name(l.c, i);
    }
    for (size_t k = 0; k < sim_config_link_count(l.c); k++) {
        SimConfigLinkInfo li;
        sim_config_link_info(l.c, k, &li);
        EXPECT_EQ(std::string(li.file), path);
        EXPECT_GT(li.line, first) << "link " << k + 1;
    }
    /* The exact entries: a node's parts at the node, a cable and its links at its optical line,
     * a MemBox port at the 'to' it is named in, the host's links at the 'host' value. */
    auto where = [&](const char *name) {
        unsigned line = 0, col = 0;
        size_t i = l.find(name);
        EXPECT_NE(i, SIZE_MAX) << name;
        if (i != SIZE_MAX) {
            sim_config_instance_where(l.c, i, &line, &col);
        }
        return std::to_string(line) + ":" + std::to_string(col);
    };
    auto line_of = [&](const std::string &needle, size_t col_of) {
        size_t at = text.find(needle);
        EXPECT_NE(at, std::string::npos) << needle;
        unsigned line = 1;
        size_t bol = 0;
        for (size_t i = 0; i < at; i++) {
            if (text[i] == '\n') {
                line++;
                bol = i + 1;
            }
        }
        return std::to_string(line) + ":" + std::to_string(at - bol + col_of + 1);
    };
    EXPECT_EQ(where("node5_ad"), line_of("node5: {}", 0));
    EXPECT_EQ(where("node5_mpp"), line_of("node5: {}", 0));
    EXPECT_EQ(where("mb_arb"), line_of("mb: {ports", 0));
    EXPECT_EQ(where("rep0"), line_of("rep0: {host", 0));
    EXPECT_EQ(where("cable4"), line_of("{from: node5, to: rep0:d0}", 0));
    EXPECT_EQ(where("rep0_d0"), line_of("rep0:d0}", 0));
    EXPECT_EQ(where("mb_p3"), line_of("mb:p3}", 0));
    /* The workload's trace keeps the position it is written at, in the defaults. */
    EXPECT_EQ(l.value("node3", "trace"), "../traces/mem/fabric-mixed.trace");
}

TEST(FabricSection, PerLinkLengthBerAndLanesReachTheirCableAndBothEnds)
{
    std::string yaml = "sim: {allow_cycles: true}\n"
                       "fabric:\n"
                       "  defaults:\n"
                       "    node: {type: host.memtrace, trace: " +
                       source_root() +
                       "/traces/mem/fabric-mixed.trace}\n"
                       "    optical: {length: 5m}\n"
                       "  memboxes:\n"
                       "    mb: {ports: 3, host: node0}\n"
                       "  repeaters:\n"
                       "    rep0: {downs: 1}\n"
                       "  nodes: {node0: {}, node1: {}, node2: {}, node3: {}}\n"
                       "  optical:\n"
                       "    - {from: node1, to: mb:p0, length: 10m, ber: 1e-9, lanes: 2}\n"
                       "    - {from: node2, to: mb:p2}\n"
                       "    - {from: rep0:up, to: mb:p1, lanes: 1, drop_rate: 0}\n"
                       "    - {from: node3, to: rep0:d0, lanes: 8}\n";
    Loaded l("t.yaml", yaml);
    ASSERT_NE(l.c, nullptr) << l.error;
    EXPECT_EQ(l.value("cable0", "length"), "10m");
    EXPECT_EQ(l.value("cable0", "ber"), "1e-9");
    EXPECT_EQ(l.value("mb_p0", "lanes"), "2");
    EXPECT_EQ(l.value("node1_mpp", "lanes"), "2");
    EXPECT_EQ(l.value("cable1", "length"), "5m");
    EXPECT_EQ(l.value("cable1", "ber"), "<default>");
    EXPECT_EQ(l.value("mb_p2", "lanes"), "<default>");
    EXPECT_EQ(l.value("node2_mpp", "lanes"), "<default>");
    EXPECT_EQ(l.value("mb_p1", "<none>"), "<default>");
    EXPECT_EQ(l.value("mb_p1", "lanes"), "1");
    EXPECT_EQ(l.value("rep0_up", "lanes"), "1");
    EXPECT_EQ(l.value("cable2", "drop_rate"), "0");
    EXPECT_EQ(l.value("rep0_d0", "lanes"), "8");
    EXPECT_EQ(l.value("node3_mpp", "lanes"), "8");
    EXPECT_EQ(l.value("mb_p3", "lanes"), "<none>"); /* a port no link uses is not made */
    EXPECT_EQ(l.value("rep0", "local"), "false");   /* no host */

    /* With matching lanes at both ends every link works: each node's requests complete. */
    SimError err;
    sim_error_clear(&err);
    ShimRun *r = shim_build(yaml.c_str(), &err);
    ASSERT_NE(r, nullptr) << err.msg;
    ASSERT_TRUE(shim_run(r, SIM_KERNEL_FAST, SIM_TIME_NEVER, 0, &err)) << err.msg;
    for (const char *n : {"node0", "node1", "node2", "node3"}) {
        EXPECT_EQ(shim_stat(r, (std::string(n) + ".completed").c_str()), 4.0) << n;
    }
    shim_free(r);

    /* lanes in the defaults reach every link's ends that do not set their own. */
    Loaded d("t.yaml", replace_once(yaml, "optical: {length: 5m}", "optical: {lanes: 2}"));
    ASSERT_NE(d.c, nullptr) << d.error;
    EXPECT_EQ(d.value("mb_p2", "lanes"), "2");
    EXPECT_EQ(d.value("node2_mpp", "lanes"), "2");
    EXPECT_EQ(d.value("mb_p0", "lanes"), "2");
    EXPECT_EQ(d.value("rep0_d0", "lanes"), "8");
    EXPECT_EQ(d.value("cable1", "lanes"), "<default>"); /* not a cable key */
}

TEST(FabricSection, DefaultsGiveWayToEachElementsOwnKeys)
{
    std::string yaml =
        "sim: {allow_cycles: true}\n"
        "fabric:\n"
        "  defaults:\n"
        "    node: {type: host.memtrace, trace: " +
        source_root() +
        "/traces/mem/fabric-mixed.trace, outstanding: 4}\n"
        "    repeater: {mode: cut_through, processing: 3, up: {ack_every: 4},\n"
        "               down: {ack_every: 2}}\n"
        "  memboxes:\n"
        "    mb: {host: node0, dram: {preset: " +
        source_root() +
        "/configs/dram/ddr3-1600k.yaml, CL: 12}, arbiter: {policy: fixed},\n"
        "         port: {max_reads: 8}}\n"
        "  repeaters:\n"
        "    rep0: {mode: store_and_forward, host: node2, downs: 2, down: {ack_every: 16}}\n"
        "    rep1: {downs: 2, up: {cut_through: false}}\n"
        "  nodes:\n"
        "    node0: {}\n"
        "    node1: {workload: {outstanding: 8, repeat: 2, src: 40},\n"
        "            adapter: {tags: 8}, mpp: {tags: 32}, rc: {}, pcie: {}}\n"
        "    node2: {}\n"
        "    node3: {}\n"
        "    node4: {workload: {type: host.memtrace, trace: " +
        source_root() +
        "/traces/mem/dma-4k-writes.trace}}\n"
        "    node5: {}\n"
        "  optical:\n"
        "    - {from: rep0:up, to: mb:p0}\n"
        "    - {from: rep1:up, to: rep0:d1}\n"
        "    - {from: node1, to: rep1:d1}\n"
        "    - {from: node3, to: mb:p1}\n"
        "    - {from: node4, to: rep0:d0}\n"
        "    - {from: node5, to: rep1:d0}\n";
    Loaded l("t.yaml", yaml);
    ASSERT_NE(l.c, nullptr) << l.error;
    /* nodes: the defaults' workload, its own keys over it, src its position unless given */
    EXPECT_EQ(l.value("node0", "outstanding"), "4");
    EXPECT_EQ(l.value("node1", "outstanding"), "8");
    EXPECT_EQ(l.value("node1", "repeat"), "2");
    EXPECT_EQ(l.value("node4", "outstanding"), "4");
    EXPECT_NE(l.value("node4", "trace").find("dma-4k-writes"), std::string::npos);
    EXPECT_EQ(l.value("node0", "src"), "0");
    EXPECT_EQ(l.value("node0_ad", "src"), "0");
    EXPECT_EQ(l.value("node3", "src"), "3");
    EXPECT_EQ(l.value("node3_ad", "src"), "3");
    EXPECT_EQ(l.value("node1", "src"), "40");
    EXPECT_EQ(l.value("node1_ad", "src"), "40"); /* the adapter follows the workload's */
    EXPECT_EQ(l.value("node1_ad", "tags"), "8");
    EXPECT_EQ(l.value("node1_mpp", "tags"), "32");
    EXPECT_EQ(l.value("node3_mpp", "tags"), "<default>");
    /* the MemBox's parts */
    EXPECT_EQ(l.value("mb_arb", "policy"), "fixed");
    EXPECT_EQ(l.value("mb_p0", "max_reads"), "8");
    EXPECT_EQ(l.value("mb_p1", "max_reads"), "8");
    EXPECT_EQ(l.value("mb_ddr3", "CWL"), "8"); /* from the preset */
    EXPECT_EQ(l.value("mb_ddr3", "CL"), "12"); /* over the preset */
    /* repeaters: the defaults, their own mode over them, cut_through from the mode */
    EXPECT_EQ(l.value("rep0", "mode"), "store_and_forward");
    EXPECT_EQ(l.value("rep1", "mode"), "cut_through");
    EXPECT_EQ(l.value("rep0", "processing"), "3");
    EXPECT_EQ(l.value("rep1", "processing"), "3");
    EXPECT_EQ(l.value("rep0", "local"), "<default>"); /* it has a host */
    EXPECT_EQ(l.value("rep1", "local"), "false");
    EXPECT_EQ(l.value("rep0_up", "cut_through"), "<default>");
    EXPECT_EQ(l.value("rep0_d0", "cut_through"), "<default>");
    EXPECT_EQ(l.value("rep1_up", "cut_through"), "false"); /* its own up: wins */
    EXPECT_EQ(l.value("rep1_d1", "cut_through"), "true");
    EXPECT_EQ(l.value("rep0_up", "ack_every"), "4");
    EXPECT_EQ(l.value("rep1_up", "ack_every"), "4");
    EXPECT_EQ(l.value("rep0_d0", "ack_every"), "16");
    EXPECT_EQ(l.value("rep0_d1", "ack_every"), "16");
    EXPECT_EQ(l.value("rep1_d1", "ack_every"), "2");
    EXPECT_EQ(l.value("rep1_d0", "ack_every"), "2");
    EXPECT_EQ(l.value("node5", "src"), "5");
    /* the made links: rep0's host on local_req, node1 below rep1:d1 */
    bool local = false, below = false;
    for (size_t k = 0; k < sim_config_link_count(l.c); k++) {
        SimConfigLinkInfo li;
        sim_config_link_info(l.c, k, &li);
        std::string from = sim_config_instance_name(l.c, li.from);
        std::string to = sim_config_instance_name(l.c, li.to);
        local =
            local || (from == "node2_ad" && to == "rep0" && std::string(li.to_port) == "local_req");
        below = below || (from == "cable2" && to == "rep1_d1" && std::string(li.to_port) == "rx");
    }
    EXPECT_TRUE(local);
    EXPECT_TRUE(below);

    SimError err;
    sim_error_clear(&err);
    ShimRun *r = shim_build(yaml.c_str(), &err);
    ASSERT_NE(r, nullptr) << err.msg;
    ASSERT_TRUE(shim_run(r, SIM_KERNEL_FAST, SIM_TIME_NEVER, 0, &err)) << err.msg;
    EXPECT_EQ(shim_stat(r, "node1.completed"), 8.0);
    EXPECT_GT(shim_stat(r, "node4.completed"), 0.0);
    shim_free(r);
}

TEST(FabricSection, MixesWithWrittenInstancesAndLinksInFileOrder)
{
    /* configs/ps-2node.yaml with its MemBox, nodes and cable from a fabric section and its
     * barrier written out: wired to the nodes the section makes. */
    std::string fabric = "fabric:\n"
                         "  defaults:\n"
                         "    node: {type: host.ps, trace: ../traces/ps/tiny-w2-i2.pstrace}\n"
                         "  memboxes:\n"
                         "    mb: {ports: 1, host: node0}\n"
                         "  nodes:\n"
                         "    node0: {workload: {worker: 0, src: 16}}\n"
                         "    node1: {workload: {worker: 1}}\n"
                         "  optical:\n"
                         "    - {from: node1, to: mb:p0}\n";
    std::string written = "instances:\n"
                          "  bar: {type: ps.barrier}\n"
                          "links:\n"
                          "  - {from: node0:sync_out, to: bar:in0}\n"
                          "  - {from: bar:out0, to: node0:sync_in}\n"
                          "  - {from: node1:sync_out, to: bar:in1}\n"
                          "  - {from: bar:out1, to: node1:sync_in}\n";
    std::string sim = "sim:\n  allow_cycles: true\n  payload_blocks: 4096\n";
    std::string path = source_root() + "/configs/ps-2node-fabric.yaml"; /* not a file */
    Loaded before(path, sim + fabric + written);
    Loaded after(path, sim + written + fabric);
    ASSERT_NE(before.c, nullptr) << before.error;
    ASSERT_NE(after.c, nullptr) << after.error;
    size_t n = sim_config_instance_count(before.c);
    ASSERT_EQ(n, 16u); /* with the two nodes' host memories */
    ASSERT_EQ(sim_config_instance_count(after.c), n);
    EXPECT_STREQ(sim_config_instance_name(before.c, 0), "node0");
    EXPECT_STREQ(sim_config_instance_name(before.c, n - 1), "bar");
    EXPECT_STREQ(sim_config_instance_name(after.c, 0), "bar");
    EXPECT_STREQ(sim_config_instance_name(after.c, n - 1), "cable0");
    SimConfigLinkInfo li;
    sim_config_link_info(after.c, 0, &li);
    EXPECT_STREQ(sim_config_instance_name(after.c, li.from), "node0");
    EXPECT_STREQ(li.from_port, "sync_out");
    EXPECT_EQ(before.value("node0_ad", "src"), "16");
    EXPECT_EQ(before.value("node1", "src"), "1");
    EXPECT_EQ(before.value("node1_ad", "src"), "1");

    /* The same run as the written-out configs/ps-2node.yaml, statistic by statistic (its names
     * are its own: rc0 for node0_rc, ...). */
    static const std::map<std::string, std::string> names = {
        {"rc0", "node0_rc"},   {"pcie0", "node0_pcie"}, {"ep0", "node0_ad"},
        {"rc1", "node1_rc"},   {"pcie1", "node1_pcie"}, {"ad1", "node1_ad"},
        {"mpp1", "node1_mpp"}, {"cable1", "cable0"},    {"spp1", "mb_p0"},
        {"arb", "mb_arb"},     {"ddr3", "mb_ddr3"},
    };
    SimError err;
    sim_error_clear(&err);
    ShimRun *fab = shim_build_named(path.c_str(), (sim + fabric + written).c_str(), &err);
    ASSERT_NE(fab, nullptr) << err.msg;
    ShimRun *gen = shim_build_file((source_root() + "/configs/ps-2node.yaml").c_str(), &err);
    ASSERT_NE(gen, nullptr) << err.msg;
    auto flat = [](ShimRun *r, bool rename) {
        std::map<std::string, std::string> out;
        std::string s = stats_of(r);
        std::istringstream in(s.substr(s.find("\"stats\"")));
        std::string line;
        while (std::getline(in, line)) {
            size_t q0 = line.find('"'), q1 = line.find('"', q0 + 1);
            if (q0 == std::string::npos || q1 == std::string::npos || line.find(':') == q1 + 1) {
                std::string key = q0 != std::string::npos && q1 != std::string::npos
                                      ? line.substr(q0 + 1, q1 - q0 - 1)
                                      : "";
                if (key.empty() || key == "stats") {
                    continue;
                }
                std::string inst = key.substr(0, key.find('.'));
                if (rename && names.count(inst)) {
                    key = names.at(inst) + key.substr(inst.size());
                }
                std::string v = line.substr(q1 + 2);
                out[key] = v.substr(0, v.find_last_not_of(", ") + 1);
            }
        }
        return out;
    };
    auto a = flat(fab, false);
    auto b = flat(gen, true);
    EXPECT_GT(a.size(), 500u);
    EXPECT_EQ(std::stod(a.at("node1.iterations")), 2.0);
    EXPECT_EQ(a, b);
    shim_free(fab);
    shim_free(gen);
}

TEST(FabricSection, ErrorsNameTheEntryAndBothEndsOfALink)
{
    const std::string head = "sim: {allow_cycles: true}\n"
                             "fabric:\n"
                             "  defaults:\n"
                             "    node: {type: host.memtrace, trace: " +
                             source_root() + "/traces/mem/fabric-mixed.trace}\n";
    const std::string mb = "  memboxes:\n    mb: {host: node0}\n";
    struct Row {
        std::string yaml;
        std::string msg;
    };
    const std::vector<Row> rows = {
        {"sim: {allow_cycles: true}\nfabric: [a]\n",
         "t.yaml:2:9: fabric: expected a mapping of defaults, memboxes, repeaters, nodes and "
         "optical, found a sequence"},
        {head + "    switch: {}\n" + mb + "  nodes: {node0: {}}\n",
         "t.yaml:5:5: fabric: defaults: unknown element kind 'switch'; defaults are for node, "
         "repeater and optical"},
        {head + mb + "  repeaters:\n    rep0: {hots: node0}\n  nodes: {node0: {}}\n",
         "t.yaml:8:12: fabric: repeater 'rep0': unknown key 'hots' (did you mean 'host'?)"},
        {head + mb + "  nodes: {node0: {}, node1: {}}\n  optical:\n    - {to: mb:p0}\n",
         "t.yaml:9:7: fabric: cable0 '? -> mb:p0': key 'from' is missing"},
        {head + mb + "  nodes: {node0: {}, node1: {}}\n  optical:\n" +
             "    - {from: node1, to: mb:p0, lenght: 3m}\n",
         "t.yaml:9:32: fabric: cable0 'node1 -> mb:p0': unknown key 'lenght' (did you mean "
         "'length'?)"},
        {head + mb + "  nodes: {node0: {}, node1: {}}\n  optical:\n" +
             "    - {from: node1, to: bar:in0}\ninstances:\n  bar: {type: ps.barrier}\n",
         "t.yaml:9:25: fabric: cable0 'node1 -> bar:in0': key 'to': 'bar' is an entry of "
         "'instances' (line 11, column 3), not a MemBox's port 'mb:p<i>' or a repeater's down "
         "port 'rep:d<i>' of the fabric section"},
        {head + mb + "  nodes: {node0: {}, node1: {}}\n  optical:\n" +
             "    - {from: node1, to: mb}\n",
         "t.yaml:9:25: fabric: cable0 'node1 -> mb': key 'to': name the MemBox's port: 'mb:p<i>'"},
        {head + mb + "  repeaters: {rep0: {}}\n  nodes: {node0: {}}\n  optical:\n" +
             "    - {from: rep0, to: mb:p0}\n",
         "t.yaml:10:14: fabric: cable0 'rep0 -> mb:p0': key 'from': name the repeater's up "
         "port: 'rep0:up'"},
        {head + mb + "  repeaters: {rep0: {}}\n  nodes: {node0: {}, node1: {}}\n  optical:\n" +
             "    - {from: node1, to: rep0:up}\n",
         "t.yaml:10:25: fabric: cable0 'node1 -> rep0:up': key 'to': 'rep0:up' is a repeater's "
         "up port, an MPP end: it belongs in 'from'; 'to' names the SPP end: a MemBox's port "
         "'mb:p<i>' or a repeater's down port 'rep:d<i>'"},
        {head + mb + "  repeaters: {rep0: {downs: 2}}\n  nodes: {node0: {}, node1: {}}\n" +
             "  optical:\n    - {from: rep0:up, to: mb:p0}\n    - {from: node1, to: rep0:d1}\n",
         "t.yaml:7:29: fabric: repeater 'rep0': its down port d0 is on no optical link, but "
         "downs is 2: link every down port d0..d1, or set downs to the ports in use"},
        {head + mb + "  repeaters: {rep0: {}}\n  nodes: {node0: {}}\n",
         "t.yaml:7:15: fabric: repeater 'rep0': its up port is on no optical link: add one "
         "from 'rep0:up' to a MemBox's or repeater's port"},
        {head + mb + "  repeaters: {rep0: {host: node1, local: false}}\n" +
             "  nodes: {node0: {}, node1: {}}\n  optical:\n    - {from: rep0:up, to: mb:p0}\n",
         "t.yaml:7:42: fabric: repeater 'rep0': key 'local': false, but node 'node1' is its "
         "host (line 7, column 28)"},
        {head + "  memboxes:\n    mb: {host: node0, port: {lanes: 2}}\n  nodes: {node0: {}}\n",
         "t.yaml:6:30: fabric: MemBox 'mb': key 'port': key 'lanes': lanes belong to the "
         "optical link, whose two ends must match: set 'lanes' on the link in 'optical' (or in "
         "defaults: optical)"},
        {head + "  memboxes:\n    mb: {host: node0, arbiter: {ports: 4}}\n  nodes: {node0: {}}\n",
         "t.yaml:6:5: fabric: MemBox 'mb': 4 optical ports and the host need 5 arbiter ports, "
         "and 'mb_arb' has 4 (its 'ports')"},
        {head + "  memboxes:\n    mb: {host: node0, ports: 0}\n  nodes: {node0: {}}\n",
         "t.yaml:6:30: fabric: MemBox 'mb': key 'ports': 0 is below the minimum 1"},
        {head + mb + "  nodes: {node0: {}, 9x: {}}\n",
         "t.yaml:7:22: fabric: node name '9x' is not valid: use letters, digits and '_', not "
         "starting with a digit"},
        {head + mb + "  repeaters: {node0: {}}\n  nodes: {node0: {}}\n",
         "t.yaml:8:11: fabric: node 'node0': the name is also a repeater's (line 7, column 15)"},
        {head + "  memboxes:\n    mb: {host: nodeX}\n  nodes: {node0: {}}\n",
         "t.yaml:6:16: fabric: MemBox 'mb': key 'host': 'nodeX' names nothing in the fabric "
         "section (did you mean 'node0'?); it must name a node"},
        {head + mb + "  nodes: {node0: {}, node1: {}}\n  optical:\n" +
             "    - {from: node1:mpp, to: mb:p0}\n",
         "t.yaml:9:14: fabric: cable0 'node1:mpp -> mb:p0': key 'from': a node is an end by "
         "itself: write 'node1', not 'node1:mpp'"},
        {head + mb + "  nodes: {node0: {mpp: {lanes: 1}}}\n",
         "t.yaml:7:25: fabric: node 'node0': key 'mpp': key 'lanes': lanes belong to the optical "
         "link, whose two ends must match: set 'lanes' on the link in 'optical' (or in "
         "defaults: optical)"},
        /* made values are checked by the loader, at the value in the section */
        {head + mb + "  nodes: {node0: {rc: {rcb: 3B}}}\n",
         "t.yaml:7:29: instance 'node0_rc': key 'rcb': 3B is below the minimum 64B"},
        {head + mb + "  nodes: {node0: {rc: {rbc: 64B}}}\n",
         "t.yaml:7:24: instance 'node0_rc': unknown key 'rbc' (did you mean 'rcb'?)"},
        {"fabric:\n  memboxes: {mb: {host: node0}}\n"
         "  nodes: {node0: {workload: {type: host.memtrace}}}\n",
         "t.yaml:3:11: instance 'node0': key 'trace' is required (memory trace, text or binary, "
         "plain or gzip, relative to this file (traces/FORMAT.md))"},
    };
    for (const Row &r : rows) {
        SCOPED_TRACE(r.yaml);
        EXPECT_EQ(load_error(r.yaml), r.msg);
    }
}

TEST(FabricSection, WorkloadNumbersWorkersAndMakesTheAggregatorAndTheBarrier)
{
    std::string trace = source_root() + "/traces/ps/tiny-w2-i2.pstrace";
    std::string yaml = "sim: {allow_cycles: true, payload_blocks: 4096}\n"
                       "fabric:\n"
                       "  memboxes:\n"
                       "    mb: {host: node0}\n"
                       "  nodes:\n"
                       "    node0: {}\n"
                       "    node1: {}\n"
                       "    node2: {workload: {type: host.memtrace, trace: " +
                       source_root() +
                       "/traces/mem/fabric-mixed.trace}}\n"
                       "  optical:\n"
                       "    - {from: node1, to: mb:p0}\n"
                       "    - {from: node2, to: mb:p1}\n"
                       "  workload: {type: host.ps, trace: " +
                       trace +
                       ", nodes: [node1, node0], functional: false,\n"
                       "             aggregation: membox_host, sync: bsp}\n";
    Loaded l("w.yaml", yaml);
    ASSERT_NE(l.c, nullptr) << l.error;
    /* Workers in the order listed; the MemBox's host aggregates; node2 keeps its own. */
    EXPECT_EQ(l.value("node1", "worker"), "0");
    EXPECT_EQ(l.value("node0", "worker"), "1");
    /* a job of as many workers as nodes replay it: node k replays the trace's worker k mod W */
    EXPECT_EQ(l.value("node1", "workers"), "2");
    EXPECT_EQ(l.value("node0", "workers"), "2");
    EXPECT_EQ(l.value("node0", "aggregator"), "true");
    EXPECT_EQ(l.value("node1", "aggregator"), "<default>");
    EXPECT_EQ(l.value("node1", "functional"), "false");
    EXPECT_EQ(sim_config_instance_type(l.c, l.find("node2"))->name, std::string("host.memtrace"));
    size_t bar = l.find("ps_bar");
    ASSERT_NE(bar, SIZE_MAX);
    EXPECT_EQ(bar, sim_config_instance_count(l.c) - 1); /* made after the tree */
    size_t n = sim_config_link_count(l.c);
    SimConfigLinkInfo li;
    sim_config_link_info(l.c, n - 4, &li);
    EXPECT_STREQ(sim_config_instance_name(l.c, li.from), "node1");
    EXPECT_STREQ(li.from_port, "sync_out");
    EXPECT_STREQ(li.to_port, "in0");
    sim_config_link_info(l.c, n - 1, &li);
    EXPECT_STREQ(li.from_port, "out1");
    EXPECT_STREQ(sim_config_instance_name(l.c, li.to), "node0");

    /* It runs: both workers finish both iterations under both kernels alike. */
    SimError err;
    sim_error_clear(&err);
    std::string stats[2];
    for (int k = 0; k < 2; k++) {
        ShimRun *r = shim_build_named("w.yaml", yaml.c_str(), &err);
        ASSERT_NE(r, nullptr) << err.msg;
        ASSERT_TRUE(
            shim_run(r, k ? SIM_KERNEL_EVERY_CYCLE : SIM_KERNEL_FAST, SIM_TIME_NEVER, 0, &err))
            << err.msg;
        char *j = shim_stats_json(r);
        stats[k] = j;
        free(j);
        EXPECT_NE(stats[k].find("\"node0.iterations\": 2"), std::string::npos);
        EXPECT_NE(stats[k].find("\"node1.iterations\": 2"), std::string::npos);
        shim_free(r);
    }
    EXPECT_EQ(stats[0].substr(stats[0].find("\"stats\"")),
              stats[1].substr(stats[1].find("\"stats\"")));

    /* Sharded: nobody aggregates; polling: no barrier. */
    Loaded s("s.yaml", replace_once(yaml, "aggregation: membox_host",
                                    "aggregation: sharded, "
                                    "barrier: polling"));
    ASSERT_NE(s.c, nullptr) << s.error;
    EXPECT_EQ(s.value("node0", "aggregator"), "<default>");
    EXPECT_EQ(s.find("ps_bar"), SIZE_MAX);
}

TEST(FabricSection, TheIdealBarrierMeetsSeventeenWorkersAtMost)
{
    std::string yaml = "sim: {allow_cycles: true}\nfabric:\n  memboxes:\n    mb: {host: n0}\n"
                       "  repeaters:\n";
    std::string nodes = "  nodes:\n    n0: {}\n", optical = "  optical:\n";
    int k = 1;
    for (int r = 0; r < 4; r++) {
        yaml += "    r" + std::to_string(r) + ": {host: n" + std::to_string(k++) + "}\n";
        optical +=
            "    - {from: r" + std::to_string(r) + ":up, to: mb:p" + std::to_string(r) + "}\n";
        for (int d = 0; d < 3; d++) {
            optical += "    - {from: n" + std::to_string(k) + ", to: r" + std::to_string(r) + ":d" +
                       std::to_string(d) + "}\n";
            k++;
        }
    }
    /* 17 nodes so far; one more on the MemBox's fifth port makes 18. */
    yaml = replace_once(yaml, "{host: n0}", "{host: n0, ports: 5}");
    optical += "    - {from: n17, to: mb:p4}\n";
    for (int i = 1; i <= 17; i++) {
        nodes += "    n" + std::to_string(i) + ": {}\n";
    }
    yaml += nodes + optical + "  workload: {type: host.ps, trace: x.pstrace}\n";
    EXPECT_EQ(load_error(yaml),
              "t.yaml:47:20: fabric: workload: 18 nodes replay host.ps with the ideal barrier, "
              "whose ps.barrier meets 17: set barrier: polling, or list fewer nodes");
}
