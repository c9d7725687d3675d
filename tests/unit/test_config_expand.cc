/*
 * The system-expander contract (sim/config/system.h), with two fake systems over the fake
 * generic models: what they make is spliced where their key stands, in file order; their
 * errors and errors about what they made point into their section; nothing in sim/config
 * names them.
 *
 *   chain: {name: c, stages: N}   makes c_src -> c_d0 -> ... -> c_d<N-1> -> c_snk
 *   pair:  {name: p}              makes p_src -> p_snk
 */
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "sim/config/config.h"
#include "sim/config/units.h"

extern "C" {
extern const SimModelType *const fake_generic_types[];
extern const size_t fake_generic_type_count;
}

namespace
{

bool add_pair(SimExpansion *x, CfgNode *map, const CfgNode *at, const char *key, const char *v)
{
    CfgNode *k = cfg_scalar_new(at, at->file, key);
    CfgNode *val = cfg_scalar_new(at, at->file, v);
    const CfgNode *dup = nullptr;
    if (k == nullptr || val == nullptr || !cfg_map_add(map, k, val, &dup)) {
        cfg_tree_free(k);
        cfg_tree_free(val);
        return false;
    }
    return true;
}

bool make_instance(SimExpansion *x, const CfgNode *at, const std::string &name, const char *type,
                   const char *extra_key = nullptr, const CfgNode *extra_value = nullptr)
{
    CfgNode *key = cfg_scalar_new(at, at->file, name.c_str());
    CfgNode *map = cfg_node_new(CFG_NODE_MAP, at->file, at->line, at->col);
    if (key == nullptr || map == nullptr || !add_pair(x, map, at, "type", type)) {
        cfg_tree_free(key);
        cfg_tree_free(map);
        return sim_expansion_oom(x);
    }
    if (extra_key != nullptr) {
        CfgNode *k = cfg_scalar_new(extra_value, extra_value->file, extra_key);
        const CfgNode *dup = nullptr;
        if (k == nullptr || !cfg_map_add(map, k, cfg_node_copy(extra_value), &dup)) {
            return sim_expansion_oom(x);
        }
    }
    const CfgNode *dup = nullptr;
    if (!cfg_map_add(sim_expansion_instances(x), key, map, &dup)) {
        cfg_tree_free(key);
        cfg_tree_free(map);
        return sim_expansion_fail(x, at, "instance '%s' is made twice", name.c_str());
    }
    return true;
}

bool make_link(SimExpansion *x, const CfgNode *at, const std::string &from, const std::string &to)
{
    CfgNode *m = cfg_node_new(CFG_NODE_MAP, at->file, at->line, at->col);
    if (m == nullptr || !add_pair(x, m, at, "from", from.c_str()) ||
        !add_pair(x, m, at, "to", to.c_str()) || !cfg_seq_add(sim_expansion_links(x), m)) {
        cfg_tree_free(m);
        return sim_expansion_oom(x);
    }
    return true;
}

bool chain_expand(SimExpansion *x, const CfgNode *section)
{
    if (section->kind != CFG_NODE_MAP) {
        return sim_expansion_fail(x, section, "expected a mapping, found %s",
                                  cfg_node_what(section));
    }
    static const char *const keys[] = {"name", "stages", "rate", nullptr};
    for (size_t i = 0; i < section->n; i++) {
        const CfgNode *k = section->pairs[i].key;
        bool known = false;
        for (size_t j = 0; keys[j] != nullptr; j++) {
            known = known || strcmp(k->text, keys[j]) == 0;
        }
        if (!known) {
            return sim_expansion_unknown_key(x, "", k, nullptr, 0, keys, "the chain section");
        }
    }
    const CfgNode *name = cfg_map_get(section, "name");
    const CfgNode *stages = cfg_map_get(section, "stages");
    if (name == nullptr || !sim_valid_name(name->text)) {
        return sim_expansion_fail(x, name, "key 'name': a valid instance name is required");
    }
    uint64_t n = 0;
    char why[256];
    if (stages == nullptr || !sim_parse_uint(stages->text, &n, why, sizeof(why)) || n > 16) {
        return sim_expansion_fail(x, stages, "key 'stages': expected 0..16");
    }
    std::string p = name->text;
    const CfgNode *rate = cfg_map_get(section, "rate"); /* passed on as written */
    if (!make_instance(x, name, p + "_src", "generic.source", rate ? "rate" : nullptr, rate)) {
        return false;
    }
    std::string prev = p + "_src:out";
    for (uint64_t i = 0; i < n; i++) {
        std::string d = p + "_d" + std::to_string(i);
        if (!make_instance(x, stages, d, "generic.delay") ||
            !make_link(x, stages, prev, d + ":in")) {
            return false;
        }
        prev = d + ":out";
    }
    return make_instance(x, name, p + "_snk", "generic.sink") &&
           make_link(x, name, prev, p + "_snk:in");
}

bool pair_expand(SimExpansion *x, const CfgNode *section)
{
    const CfgNode *name = cfg_map_get(section, "name");
    if (name == nullptr) {
        return sim_expansion_fail(x, nullptr, "key 'name' is missing");
    }
    std::string p = name->text;
    return make_instance(x, name, p + "_src", "generic.source") &&
           make_instance(x, name, p + "_snk", "generic.sink") &&
           make_link(x, name, p + "_src:out", p + "_snk:in");
}

const SimSystemType chain_system = {"chain", "A chain of delay stages.", chain_expand, nullptr};
const SimSystemType pair_system = {"pair", "A source and a sink.", pair_expand, nullptr};
const SimSystemType *const kSystems[] = {&chain_system, &pair_system};

SimRegistry registry()
{
    return {fake_generic_types, fake_generic_type_count, kSystems, 2};
}

struct Loaded {
    SimConfig *c = nullptr;
    std::string err;
    ~Loaded()
    {
        sim_config_free(c);
    }
};

void load(const std::string &yaml, Loaded *out)
{
    SimRegistry r = registry();
    SimError err;
    sim_error_clear(&err);
    out->c = sim_config_load_string("x.yaml", yaml.data(), yaml.size(), &r, &err);
    if (out->c == nullptr) {
        out->err = err.msg;
    }
}

std::vector<std::string> names(const SimConfig *c)
{
    std::vector<std::string> v;
    for (size_t i = 0; i < sim_config_instance_count(c); i++) {
        v.push_back(sim_config_instance_name(c, i));
    }
    return v;
}

TEST(ConfigExpand, SectionsExpandInFileOrderAroundTheWrittenInstances)
{
    Loaded l;
    load("chain: {name: a, stages: 2}\n"
         "instances:\n"
         "  w_src: {type: generic.source}\n"
         "  w_snk: {type: generic.sink}\n"
         "pair: {name: z}\n"
         "links:\n"
         "  - {from: w_src:out, to: w_snk:in}\n",
         &l);
    ASSERT_NE(l.c, nullptr) << l.err;
    EXPECT_EQ(names(l.c), (std::vector<std::string>{"a_src", "a_d0", "a_d1", "a_snk", "w_src",
                                                    "w_snk", "z_src", "z_snk"}));
    ASSERT_EQ(sim_config_link_count(l.c), 5u);
    SimConfigLinkInfo li;
    sim_config_link_info(l.c, 0, &li); /* the chain's first link comes before the written one */
    EXPECT_STREQ(sim_config_instance_name(l.c, li.from), "a_src");
    EXPECT_EQ(li.line, 1u); /* made at `stages` */
    EXPECT_EQ(li.col, 26u);
    /* `pair` stands after `instances` but before `links`: its instances go after the written
     * ones, its link before. */
    sim_config_link_info(l.c, 3, &li);
    EXPECT_STREQ(sim_config_instance_name(l.c, li.from), "z_src");
    sim_config_link_info(l.c, 4, &li);
    EXPECT_STREQ(sim_config_instance_name(l.c, li.from), "w_src");
    unsigned line = 0, col = 0;
    sim_config_instance_where(l.c, 0, &line, &col);
    EXPECT_EQ(line, 1u);
    EXPECT_EQ(col, 15u); /* a_src: at the chain's `name` value */
}

TEST(ConfigExpand, TwoSectionsBeforeTheWrittenInstancesKeepTheirOrder)
{
    Loaded l;
    load("pair: {name: p}\nchain: {name: c, stages: 0}\ninstances:\n"
         "  w_src: {type: generic.source}\n  w_snk: {type: generic.sink}\n"
         "links:\n  - {from: w_src:out, to: w_snk:in}\n",
         &l);
    ASSERT_NE(l.c, nullptr) << l.err;
    EXPECT_EQ(names(l.c),
              (std::vector<std::string>{"p_src", "p_snk", "c_src", "c_snk", "w_src", "w_snk"}));
}

TEST(ConfigExpand, SectionsAloneMakeTheWholeTopology)
{
    Loaded l;
    load("pair: {name: p}\nchain: {name: c, stages: 1}\n", &l);
    ASSERT_NE(l.c, nullptr) << l.err;
    EXPECT_EQ(names(l.c), (std::vector<std::string>{"p_src", "p_snk", "c_src", "c_d0", "c_snk"}));
    EXPECT_EQ(sim_config_link_count(l.c), 3u);
}

TEST(ConfigExpand, ErrorsPointIntoTheSection)
{
    const struct {
        const char *yaml;
        const char *msg;
    } cases[] = {
        /* the expander's own checks, prefixed with its key */
        {"chain: {name: c, stages: 99}\n", "x.yaml:1:26: chain: key 'stages': expected 0..16"},
        {"chain: [1, 2]\n", "x.yaml:1:8: chain: expected a mapping, found a sequence"},
        {"chain: {name: c, stage: 1}\n",
         "x.yaml:1:18: chain: unknown key 'stage' (did you mean 'stages'?)"},
        {"pair: {nom: p}\n", "x.yaml:1:1: pair: key 'name' is missing"},
        /* the loader's checks of what was made, at the position the expander gave */
        {"chain: {name: c, stages: 0, rate: 7}\n",
         "x.yaml:1:35: instance 'c_src': key 'rate': 7 is above the maximum 1"},
        /* a made name that is also written */
        {"instances:\n  c_snk: {type: generic.sink}\nchain: {name: c, stages: 0}\n",
         "x.yaml:3:15: chain: makes 'c_snk', which is also in 'instances' (line 2, column 3)"},
        /* the top-level keys list the registry's systems */
        {"chian: {name: c, stages: 0}\n",
         "x.yaml:1:1: unknown top-level key 'chian' (did you mean 'chain'?); expected sim, "
         "domains, defaults, chain, pair, instances or links"},
    };
    for (const auto &k : cases) {
        Loaded l;
        load(k.yaml, &l);
        EXPECT_EQ(l.c, nullptr) << k.yaml;
        EXPECT_EQ(l.err, k.msg) << k.yaml;
    }
}

} // namespace
