/*
 * sim/config fabric checks (fabric_check.c): the request flows the model types declare are
 * consistent, every shipped MemBox fabric passes, and the sim keys change the verdict on a real
 * tree. The negative cases with exact messages are tests/config_errors/110-119.
 */
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "systems/registry.h"
#include "sim/config/config.h"
#include "sim/config/model.h"

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

const SimPortDesc *find_port(const SimModelType *t, const char *name)
{
    for (size_t p = 0; p < t->n_ports; p++) {
        if (std::strcmp(t->ports[p].name, name) == 0) {
            return &t->ports[p];
        }
    }
    return nullptr;
}

/* Loads text as if it were the file `path` (relative trace paths resolve next to it). */
std::string load_error(const std::string &path, const std::string &yaml)
{
    SimError err;
    sim_error_clear(&err);
    SimConfig *c =
        sim_config_load_string(path.c_str(), yaml.data(), yaml.size(), &membox_registry, &err);
    if (c == nullptr) {
        return err.msg;
    }
    sim_config_free(c);
    return "";
}

/* The file with `line` inserted after its "sim:" line. */
std::string with_sim_key(const std::string &text, const std::string &line)
{
    size_t at = text.find("\nsim:\n");
    EXPECT_NE(at, std::string::npos);
    at += 6;
    return text.substr(0, at) + line + "\n" + text.substr(at);
}

std::vector<std::string> shipped_fabrics()
{
    std::vector<std::string> out;
    std::string dir = source_root() + "/configs";
    DIR *d = opendir(dir.c_str());
    if (d == nullptr) {
        return out;
    }
    while (struct dirent *e = readdir(d)) {
        std::string name = e->d_name;
        if (name.rfind("membox-", 0) == 0 && name.size() > 5 &&
            name.compare(name.size() - 5, 5, ".yaml") == 0) {
            out.push_back(dir + "/" + name);
        }
    }
    closedir(d);
    return out;
}

} // namespace

TEST(ConfigFabric, FlowsNamePortsOfTheirTypeInTheRightDirection)
{
    for (size_t i = 0; i < membox_registry.n_types; i++) {
        const SimModelType *t = membox_registry.types[i];
        bool request_out = false;
        bool request_in = false;
        for (size_t k = 0; k < t->n_flows; k++) {
            const SimPortFlow *f = &t->flows[k];
            const SimPortDesc *p = find_port(t, f->port);
            ASSERT_NE(p, nullptr) << t->name << ": flow names no port '" << f->port << "'";
            if (f->flow == SIM_FLOW_THROUGH) {
                ASSERT_NE(f->to, nullptr) << t->name << ":" << f->port;
                const SimPortDesc *q = find_port(t, f->to);
                ASSERT_NE(q, nullptr) << t->name << ": through to no port '" << f->to << "'";
                EXPECT_EQ(p->dir, SIM_PORT_IN) << t->name << ":" << f->port;
                EXPECT_EQ(q->dir, SIM_PORT_OUT) << t->name << ":" << f->to;
            } else {
                EXPECT_EQ(f->flow, SIM_FLOW_REQUEST) << t->name << ":" << f->port;
                EXPECT_EQ(f->to, nullptr) << t->name << ":" << f->port;
                request_out = request_out || p->dir == SIM_PORT_OUT;
                request_in = request_in || p->dir == SIM_PORT_IN;
            }
        }
        if (t->role == SIM_ROLE_REQUESTER || t->role == SIM_ROLE_ADAPTER ||
            t->role == SIM_ROLE_SWITCH) {
            EXPECT_TRUE(request_out) << t->name << " has a role that sends requests on";
        }
        if (t->role == SIM_ROLE_MEMORY || t->role == SIM_ROLE_SWITCH) {
            EXPECT_TRUE(request_in) << t->name << " has a role that takes requests";
        }
    }
}

TEST(ConfigFabric, RolesOfTheFabricModels)
{
    const struct {
        const char *type;
        SimRole role;
    } want[] = {
        {"host.memtrace", SIM_ROLE_REQUESTER}, {"pcie.adapter", SIM_ROLE_ADAPTER},
        {"repeater.switch", SIM_ROLE_SWITCH},  {"dram.ctrl", SIM_ROLE_MEMORY},
        {"dram.arbiter", SIM_ROLE_NONE},       {"link.cable", SIM_ROLE_NONE},
        {"generic.sink", SIM_ROLE_NONE},
    };
    for (const auto &w : want) {
        const SimModelType *t = sim_config_find_type(&membox_registry, w.type);
        ASSERT_NE(t, nullptr) << w.type;
        EXPECT_EQ(t->role, w.role) << w.type;
    }
}

TEST(ConfigFabric, EveryShippedFabricPasses)
{
    std::vector<std::string> files = shipped_fabrics();
    EXPECT_GE(files.size(), 8u);
    for (const std::string &path : files) {
        SimError err;
        sim_error_clear(&err);
        SimConfig *c = sim_config_load_file(path.c_str(), &membox_registry, &err);
        EXPECT_NE(c, nullptr) << path << ": " << err.msg;
        sim_config_free(c);
    }
}

TEST(ConfigFabric, SixtyFourNodeTreePassesWithTheDefaults)
{
    std::string path = source_root() + "/configs/membox-64node-tree.yaml";
    std::string text = read_text(path);
    ASSERT_FALSE(text.empty());
    EXPECT_EQ(load_error(path, text), "");
    /* Its deepest nodes are two repeater levels down: 2 passes, 1 does not. */
    EXPECT_EQ(load_error(path, with_sim_key(text, "  max_depth: 2")), "");
    std::string msg = load_error(path, with_sim_key(text, "  max_depth: 1"));
    EXPECT_NE(msg.find("switch levels on their way to memory 'mb_ddr3'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("above sim.max_depth 1"), std::string::npos) << msg;
    /* 65 adapters (the MemBox host's and 64 behind repeaters) reach the one mb_ddr3. */
    EXPECT_EQ(load_error(path, with_sim_key(text, "  max_adapters: 65")), "");
    msg = load_error(path, with_sim_key(text, "  max_adapters: 64"));
    EXPECT_NE(msg.find("65 adapters send requests to memory 'mb_ddr3' ('node0_ad' first, this one "
                       "last), above sim.max_adapters 64"),
              std::string::npos)
        << msg;
}

TEST(ConfigFabric, SixteenNodeFabricAgainstThePapersLimit)
{
    /* The paper's 16 adapters per MemBox, plus the MemBox host's own: 17 reach the memory. */
    std::string path = source_root() + "/configs/membox-16node-ct.yaml";
    std::string text = read_text(path);
    ASSERT_FALSE(text.empty());
    EXPECT_EQ(load_error(path, with_sim_key(text, "  max_adapters: 17")), "");
    std::string msg = load_error(path, with_sim_key(text, "  max_adapters: 16"));
    EXPECT_NE(msg.find("17 adapters send requests"), std::string::npos) << msg;
}

TEST(ConfigFabric, TopologiesWithoutRolesAreNotChecked)
{
    /* A ring of delays with cycles allowed: no role anywhere, so no request tree is demanded. */
    std::string yaml = "sim: {allow_cycles: true, max_depth: 0, max_adapters: 1}\n"
                       "instances:\n"
                       "  d0: {type: generic.delay}\n"
                       "  d1: {type: generic.delay}\n"
                       "links:\n"
                       "  - {from: d0:out, to: d1:in}\n"
                       "  - {from: d1:out, to: d0:in}\n";
    EXPECT_EQ(load_error("ring.yaml", yaml), "");
}

TEST(ConfigFabric, ThroughPortsCarryRequestsEitherWay)
{
    /* The same cable wired the other way round (MPP on end B): the request path still ends at
     * the memory. */
    std::string yaml = "sim: {allow_cycles: true}\n"
                       "instances:\n"
                       "  mem: {type: link.memory}\n"
                       "  spp: {type: link.spp}\n"
                       "  n1: {type: link.tester, count: 1}\n"
                       "  mpp: {type: link.mpp}\n"
                       "  cable: {type: link.cable}\n"
                       "links:\n"
                       "  - {from: spp:mem_req, to: mem:req}\n"
                       "  - {from: mem:resp, to: spp:mem_resp}\n"
                       "  - {from: n1:req, to: mpp:req}\n"
                       "  - {from: mpp:resp, to: n1:resp}\n"
                       "  - {from: mpp:tx, to: cable:b_in}\n"
                       "  - {from: cable:a_out, to: spp:rx}\n"
                       "  - {from: spp:tx, to: cable:a_in}\n"
                       "  - {from: cable:b_out, to: mpp:rx}\n";
    EXPECT_EQ(load_error("flip.yaml", yaml), "");
}

TEST(ConfigFabric, WithoutAMemoryOnlyLoopsAreChecked)
{
    /* A bench of parts: an idle tester closes a switch's response port, and the switch's
     * requests end in a sink. No memory, so no path to one is demanded. */
    std::string bench = "sim: {allow_cycles: true}\n"
                        "instances:\n"
                        "  src: {type: generic.source, count: 1}\n"
                        "  r0: {type: repeater.switch, downs: 1, local: false}\n"
                        "  nil: {type: link.tester, count: 0}\n"
                        "  sink: {type: generic.sink}\n"
                        "links:\n"
                        "  - {from: src:out, to: r0:req0}\n"
                        "  - {from: nil:req, to: r0:up_resp}\n"
                        "  - {from: r0:resp0, to: nil:resp}\n"
                        "  - {from: r0:up_req, to: sink:in}\n";
    EXPECT_EQ(load_error("bench.yaml", bench), "");
    /* The same switch fed by its own up port: a loop of requests, caught without a memory. */
    std::string loop = "sim: {allow_cycles: true}\n"
                       "instances:\n"
                       "  r0: {type: repeater.switch, downs: 1, local: false}\n"
                       "links:\n"
                       "  - {from: r0:up_req, to: r0:req0}\n"
                       "  - {from: r0:resp0, to: r0:up_resp}\n";
    EXPECT_EQ(load_error("loop.yaml", loop),
              "loop.yaml:5:5: link 1 closes a loop of requests: r0:up_req -> r0:req0; requests "
              "must go up a tree to a memory (sim.allow_cycles does not allow this)");
}
