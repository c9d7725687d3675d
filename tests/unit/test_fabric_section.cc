/*
 * The MemBox fabric system section (systems/membox/fabric.c, docs/config.md "Fabric section"):
 * it expands to
 * exactly what models/repeater/gen-fabric.py writes out for every shipped tree (instance by
 * instance, value by value, link by link, in the same order) and runs to the same statistics;
 * per-link values reach both ends; defaults give way to per-element keys; it mixes with written
 * instances and links; everything it makes points into the section. The negative cases with
 * exact messages are tests/config_errors/130-149, more are in the table below.
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

/* ---- the shipped trees of gen-fabric.py, written as fabric sections ---- */

struct Tree {
    bool rep;
    std::vector<Tree> kids;
};

const Tree N{false, {}};

Tree rep(std::vector<Tree> kids)
{
    return Tree{true, kids};
}

/* Walks a tree the way gen-fabric.py's Gen does, numbering nodes, repeaters and cables alike. */
struct FabricWriter {
    std::vector<std::string> reps;
    std::vector<std::string> optical;
    int nodes = 0;

    void child(const Tree &t, const std::string &spp)
    {
        if (!t.rep) {
            nodes++;
            optical.push_back("{from: node" + std::to_string(nodes) + ", to: " + spp + "}");
            return;
        }
        std::string r = "rep" + std::to_string(reps.size());
        reps.push_back("");
        size_t at = reps.size() - 1;
        optical.push_back("{from: " + r + ":up, to: " + spp + "}");
        nodes++;
        std::string line = r + ": {host: node" + std::to_string(nodes);
        if (t.kids.size() != 3) {
            line += ", downs: " + std::to_string(t.kids.size());
        }
        reps[at] = line + "}";
        for (size_t i = 0; i < t.kids.size(); i++) {
            child(t.kids[i], r + ":d" + std::to_string(i));
        }
    }

    std::string yaml(const std::vector<Tree> &tree, const std::string &mode)
    {
        for (size_t p = 0; p < tree.size(); p++) {
            child(tree[p], "mb:p" + std::to_string(p));
        }
        std::string y =
            "sim:\n  allow_cycles: true\n  seed: 1\n  payload_blocks: 8192\n"
            "fabric:\n  defaults:\n"
            "    node: {type: host.memtrace, trace: ../traces/mem/fabric-mixed.trace}\n";
        if (!reps.empty()) {
            y += "    repeater: {mode: " + mode + "}\n";
        }
        y += "  memboxes:\n    mb: {host: node0}\n";
        if (!reps.empty()) {
            y += "  repeaters:\n";
            for (const auto &r : reps) {
                y += "    " + r + "\n";
            }
        }
        y += "  nodes:\n";
        for (int n = 0; n <= nodes; n++) {
            y += "    node" + std::to_string(n) + ": {}\n";
        }
        if (!optical.empty()) {
            y += "  optical:\n";
            for (const auto &o : optical) {
                y += "    - " + o + "\n";
            }
        }
        return y;
    }
};

struct Shipped {
    const char *file;
    const char *mode;
    std::vector<Tree> tree;
};

/* gen-fabric.py's CONFIGS. */
std::vector<Shipped> shipped()
{
    Tree r3 = rep({N, N, N});
    Tree r4 = rep({N, N, N, N});
    Tree deep = rep({r4, r4, r4});
    return {
        {"membox-1node.yaml", "store_and_forward", {}},
        {"membox-2node.yaml", "store_and_forward", {N}},
        {"membox-4node.yaml", "store_and_forward", {N, N, N}},
        {"membox-8node-saf.yaml", "store_and_forward", {N, N, N, r3}},
        {"membox-8node-ct.yaml", "cut_through", {N, N, N, r3}},
        {"membox-16node-saf.yaml", "store_and_forward", {r3, r3, r3, r3}},
        {"membox-16node-ct.yaml", "cut_through", {r3, r3, r3, r3}},
        {"membox-64node-tree.yaml", "cut_through", {deep, deep, deep, deep}},
    };
}

/* The generated files name the MemBox's parts arb and ddr3; a fabric names them after it. */
std::string fabric_name(const std::string &generated)
{
    if (generated == "arb") {
        return "mb_arb";
    }
    if (generated == "ddr3") {
        return "mb_ddr3";
    }
    return generated;
}

bool is_repeater_port(const Loaded &l, size_t i)
{
    std::string type = sim_config_instance_type(l.c, i)->name;
    std::string name = sim_config_instance_name(l.c, i);
    return (type == "link.mpp" || type == "link.spp") && name.rfind("rep", 0) == 0;
}

/*
 * Instance by instance and link by link in order, every parameter's written value equal; the
 * one difference allowed: cut_through: true on the ports of a cut-through repeater, which the
 * fabric section adds and the generated files do not have (or, once gen-fabric.py writes it,
 * have too).
 */
void expect_same_expansion(const Loaded &fab, const Loaded &gen, bool cut_through)
{
    ASSERT_NE(fab.c, nullptr) << fab.error;
    ASSERT_NE(gen.c, nullptr) << gen.error;
    size_t n = sim_config_instance_count(gen.c);
    ASSERT_EQ(sim_config_instance_count(fab.c), n);
    size_t ct_ports = 0;
    for (size_t i = 0; i < n; i++) {
        std::string name = fabric_name(sim_config_instance_name(gen.c, i));
        ASSERT_EQ(std::string(sim_config_instance_name(fab.c, i)), name) << "instance " << i;
        const SimModelType *t = sim_config_instance_type(gen.c, i);
        ASSERT_EQ(sim_config_instance_type(fab.c, i), t) << name;
        for (size_t p = 0; p < t->n_params; p++) {
            const char *key = t->params[p].key;
            const char *a = sim_config_instance_value(fab.c, i, key);
            const char *b = sim_config_instance_value(gen.c, i, key);
            if (std::strcmp(key, "cut_through") == 0 && cut_through && is_repeater_port(fab, i)) {
                EXPECT_STREQ(a, "true") << name;
                EXPECT_STREQ(b ? b : "true", "true") << name;
                ct_ports++;
                continue;
            }
            EXPECT_STREQ(a ? a : "<default>", b ? b : "<default>") << name << "." << key;
        }
    }
    if (cut_through) {
        EXPECT_GT(ct_ports, 0u);
    }
    size_t m = sim_config_link_count(gen.c);
    ASSERT_EQ(sim_config_link_count(fab.c), m);
    for (size_t k = 0; k < m; k++) {
        SimConfigLinkInfo a, b;
        sim_config_link_info(fab.c, k, &a);
        sim_config_link_info(gen.c, k, &b);
        std::string la = std::string(sim_config_instance_name(fab.c, a.from)) + ":" + a.from_port +
                         " -> " + sim_config_instance_name(fab.c, a.to) + ":" + a.to_port;
        std::string lb = fabric_name(sim_config_instance_name(gen.c, b.from)) + ":" + b.from_port +
                         " -> " + fabric_name(sim_config_instance_name(gen.c, b.to)) + ":" +
                         b.to_port;
        EXPECT_EQ(la, lb) << "link " << k + 1;
        EXPECT_EQ(a.depth, b.depth) << lb;
        EXPECT_EQ(a.latency, b.latency) << lb;
        EXPECT_EQ(a.sync, b.sync) << lb;
    }
}

/* The statistics of a run (fast kernel), with the generated names mapped to the fabric's. */
std::string stats_of(ShimRun *r, bool rename)
{
    SimError err;
    sim_error_clear(&err);
    EXPECT_TRUE(shim_run(r, SIM_KERNEL_FAST, SIM_TIME_NEVER, 0, &err)) << err.msg;
    char *j = shim_stats_json(r);
    std::string s = j ? j : "";
    free(j);
    if (rename) {
        for (const auto &p :
             {std::make_pair("\"arb.", "\"mb_arb."), std::make_pair("\"ddr3.", "\"mb_ddr3.")}) {
            for (size_t at = s.find(p.first); at != std::string::npos;
                 at = s.find(p.first, at + 1)) {
                s.replace(at, std::strlen(p.first), p.second);
            }
        }
    }
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

TEST(FabricSection, ExpandsToWhatGenFabricWritesForEveryShippedTree)
{
    for (const Shipped &s : shipped()) {
        SCOPED_TRACE(s.file);
        std::string path = source_root() + "/configs/" + s.file;
        FabricWriter w;
        Loaded fab(path, w.yaml(s.tree, s.mode));
        Loaded gen(path, read_text(path));
        expect_same_expansion(fab, gen, std::string(s.mode) == "cut_through");
    }
}

TEST(FabricSection, TheShippedConfigIsTheGeneratedEightNodeCutThroughFabric)
{
    std::string dir = source_root() + "/configs/";
    Loaded fab(dir + "fabric-8node-ct.yaml", read_text(dir + "fabric-8node-ct.yaml"));
    Loaded gen(dir + "membox-8node-ct.yaml", read_text(dir + "membox-8node-ct.yaml"));
    expect_same_expansion(fab, gen, true);
}

TEST(FabricSection, StatisticsAreByteIdenticalToTheGeneratedConfig)
{
    /* Without the cut_through keys the fabric section adds on the repeater's ports (unless the
     * generated file has them too), it is the generated file to the byte, after naming the
     * MemBox's parts. */
    std::string dir = source_root() + "/configs/";
    Loaded generated(dir + "membox-8node-ct.yaml", read_text(dir + "membox-8node-ct.yaml"));
    ASSERT_NE(generated.c, nullptr) << generated.error;
    bool gen_ct = generated.value("rep0_up", "cut_through") == "true";
    std::string text = read_text(dir + "fabric-8node-ct.yaml");
    if (!gen_ct) {
        text = replace_once(
            text, "repeater: {mode: cut_through}",
            "repeater: {mode: cut_through, up: {cut_through: false}, down: {cut_through: false}}");
    }
    SimError err;
    sim_error_clear(&err);
    ShimRun *fab = shim_build_named((dir + "fabric-8node-ct.yaml").c_str(), text.c_str(), &err);
    ASSERT_NE(fab, nullptr) << err.msg;
    ShimRun *gen = shim_build_file((dir + "membox-8node-ct.yaml").c_str(), &err);
    ASSERT_NE(gen, nullptr) << err.msg;
    std::string a = stats_of(fab, false);
    std::string b = stats_of(gen, true);
    EXPECT_GT(a.size(), 10000u);
    EXPECT_NE(a.find("\"mb_ddr3."), std::string::npos);
    EXPECT_NE(a.find("\"rep0_d2."), std::string::npos);
    EXPECT_EQ(a, b);
    shim_free(fab);
    shim_free(gen);

    Loaded l(dir + "fabric-8node-ct.yaml", text);
    EXPECT_EQ(l.value("rep0_up", "cut_through"), gen_ct ? "true" : "false");
    EXPECT_EQ(l.value("rep0_d1", "cut_through"), gen_ct ? "true" : "false");
}

TEST(FabricSection, EverythingMadePointsIntoTheFabricEntryItCameFrom)
{
    std::string path = source_root() + "/configs/fabric-8node-ct.yaml";
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
                         "    node0: {workload: {worker: 0, aggregator: true, src: 16}}\n"
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
    ASSERT_EQ(n, 14u);
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
        std::string s = stats_of(r, false);
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
    EXPECT_GT(std::stod(a.at("bar.releases")), 0.0);
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
