/*
 * sim/config: the negative cases of tests/config_errors/ (exact messages, through both a fake
 * registry and the real one), a 1 MiB binary file, positive loads with every parameter type,
 * defaults, domains, links and the build into a Sim, and describe's output.
 */
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include "systems/membox/membox.h"
#include "systems/ps/ps.h"
#include "systems/registry.h"
#include "sim/config/config.h"
#include "sim/config/units.h"
#include "sim/core/kernel.h"

extern "C" {
/* tests/unit/config_fake_models.c; the struct must match FakeAllParams there. */
typedef struct FakeSourceParams {
    SimDomain *domain;
    double rate;
    uint64_t size;
    uint64_t count;
} FakeSourceParams;

typedef struct FakeAllParams {
    bool flag;
    int64_t offset;
    uint64_t need;
    double ratio;
    SimTime wait;
    uint64_t clock;
    uint64_t buffer;
    double speed;
    double cable;
    int mode;
    char *label;
    SimDomain *domain;
    uint64_t lo;
    uint64_t hi;
} FakeAllParams;

extern FakeSourceParams fake_last_source;
extern FakeAllParams fake_last_all;
extern char fake_last_all_label[64];
extern char fake_last_all_domain[64];
extern int fake_all_builds;
extern const SimModelType *const fake_generic_types[];
extern const size_t fake_generic_type_count;
extern const SimModelType *const fake_all_types[];
extern const size_t fake_all_type_count;
}

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

std::string first_line(const std::string &s)
{
    return s.substr(0, s.find('\n'));
}

std::string replace_all(std::string s, const std::string &from, const std::string &to)
{
    for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
        s.replace(at, from.size(), to);
    }
    return s;
}

/* The same 1 MiB as scripts/check-config-errors: 4 KiB of an LCG, repeated 256 times. */
std::string garbage_bytes()
{
    std::string block;
    uint64_t x = 12345;
    for (int i = 0; i < 4096; i++) {
        x = (x * 1103515245u + 12345u) % 2147483648u;
        block.push_back(static_cast<char>((x >> 16) & 0xff));
    }
    std::string out;
    for (int i = 0; i < 256; i++) {
        out += block;
    }
    return out;
}

class TempDir
{
  public:
    TempDir()
    {
        char tmpl[] = "/tmp/membox-config-XXXXXX";
        char *d = mkdtemp(tmpl);
        path_ = d ? d : "/tmp";
    }
    ~TempDir()
    {
        for (const auto &f : files_) {
            std::remove(f.c_str());
        }
        rmdir(path_.c_str());
    }
    std::string write(const std::string &name, const std::string &bytes)
    {
        std::string p = path_ + "/" + name;
        std::ofstream(p, std::ios::binary) << bytes;
        files_.push_back(p);
        return p;
    }

  private:
    std::string path_;
    std::vector<std::string> files_;
};

/* Runs from the source root so that messages carry the repository-relative paths. */
class ChdirToRoot
{
  public:
    ChdirToRoot()
    {
        char buf[4096];
        old_ = getcwd(buf, sizeof(buf)) ? buf : ".";
        ok_ = chdir(source_root().c_str()) == 0;
    }
    ~ChdirToRoot()
    {
        if (chdir(old_.c_str()) != 0) {
            std::abort();
        }
    }
    bool ok() const
    {
        return ok_;
    }

  private:
    std::string old_;
    bool ok_;
};

using Registry = SimRegistry;

/* The fakes come with the real system sections, so that messages listing the top-level keys
 * read as with the real registry. */
const SimSystemType *const kSystems[] = {&membox_fabric_system, &ps_cluster_system};

Registry generic_fakes()
{
    return {fake_generic_types, fake_generic_type_count, kSystems, 2};
}

Registry all_fakes()
{
    return {fake_all_types, fake_all_type_count, kSystems, 2};
}

Registry real_models()
{
    return membox_registry;
}

/* Loads a string; returns the error message, or "" on success (and frees the config). */
std::string load_error(const std::string &yaml, Registry r = all_fakes(),
                       const char *name = "t.yaml")
{
    SimError err;
    sim_error_clear(&err);
    SimConfig *c = sim_config_load_string(name, yaml.data(), yaml.size(), &r, &err);
    if (c == nullptr) {
        EXPECT_EQ(err.kind, SIM_ERR_INPUT);
        return err.msg;
    }
    EXPECT_EQ(err.kind, SIM_ERR_NONE) << "a successful load must not touch the error";
    sim_config_free(c);
    return "";
}

struct Case {
    std::string name;
    std::string file;     /* path given to the loader, relative to the root */
    std::string expected; /* exact message */
};

/* Every tests/config_errors/NN-name.expected with its .yaml (or generated input). */
std::vector<Case> error_cases(TempDir &tmp)
{
    std::vector<Case> out;
    std::string dir = "tests/config_errors";
    DIR *d = opendir(dir.c_str());
    if (d == nullptr) {
        return out;
    }
    std::vector<std::string> names;
    while (dirent *e = readdir(d)) {
        std::string n = e->d_name;
        if (n.size() > 9 && n.compare(n.size() - 9, 9, ".expected") == 0) {
            names.push_back(n.substr(0, n.size() - 9));
        }
    }
    closedir(d);
    std::sort(names.begin(), names.end());
    for (const auto &n : names) {
        Case c;
        c.name = n;
        std::string yaml = dir + "/" + n + ".yaml";
        if (access(yaml.c_str(), F_OK) == 0) {
            c.file = yaml;
        } else if (n.size() > 8 && n.compare(n.size() - 8, 8, "-garbage") == 0) {
            c.file = tmp.write(n + ".yaml", garbage_bytes());
        } else if (n.size() > 13 && n.compare(n.size() - 13, 13, "-missing-file") == 0) {
            c.file = yaml;
        } else {
            ADD_FAILURE() << "case " << n << " has no .yaml";
            continue;
        }
        c.expected =
            replace_all(first_line(read_text(dir + "/" + n + ".expected")), "@FILE@", c.file);
        out.push_back(c);
    }
    return out;
}

/*
 * Cases 01-59 and 90-99 exercise the configuration layer (through the generic models, or with
 * no model at all); 60-89 and 100 on are the cases of other models' parameters (60-79 link,
 * 80-89 PCIe and host, 100 on later models), which only the real registry knows. generic_only
 * skips those.
 */
void run_error_cases(Registry r, bool generic_only = false)
{
    ChdirToRoot root;
    ASSERT_TRUE(root.ok());
    TempDir tmp;
    std::vector<Case> cases = error_cases(tmp);
    EXPECT_GE(cases.size(), 20u);
    for (const auto &c : cases) {
        int number = std::atoi(c.name.c_str());
        if (generic_only && number >= 60 && !(number >= 90 && number <= 99)) {
            continue;
        }
        SCOPED_TRACE(c.name);
        SimError err;
        sim_error_clear(&err);
        SimConfig *cfg = sim_config_load_file(c.file.c_str(), &r, &err);
        EXPECT_EQ(cfg, nullptr);
        sim_config_free(cfg);
        EXPECT_EQ(err.kind, SIM_ERR_INPUT);
        EXPECT_EQ(std::string(err.msg), c.expected);
    }
}

TEST(ConfigErrors, ExactMessagesWithFakeGenericModels)
{
    run_error_cases(generic_fakes(), true);
}

TEST(ConfigErrors, ExactMessagesWithRealModels)
{
    run_error_cases(real_models());
}

TEST(ConfigErrors, BinaryGarbageIsRejectedQuickly)
{
    TempDir tmp;
    std::string path = tmp.write("garbage.yaml", garbage_bytes());
    auto t0 = std::chrono::steady_clock::now();
    SimError err;
    sim_error_clear(&err);
    Registry r = all_fakes();
    EXPECT_EQ(sim_config_load_file(path.c_str(), &r, &err), nullptr);
    EXPECT_EQ(std::string(err.msg),
              path + ":1:1: invalid UTF-8 (byte 0xDC): a topology must be UTF-8 text");
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
}

TEST(ConfigErrors, TextGarbageNeverCrashes)
{
    /* 1 MiB of valid UTF-8 made of YAML's punctuation: libyaml must fail or succeed, not hang. */
    const char alphabet[] = "ab:- {}[],\n  \"'#&*!|>%@`?~0123456789.";
    uint64_t x = 99;
    for (int round = 0; round < 8; round++) {
        std::string text;
        for (int i = 0; i < (round == 0 ? (1 << 20) : 4096); i++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            text.push_back(alphabet[(x >> 33) % (sizeof(alphabet) - 1)]);
        }
        std::string msg = load_error(text);
        EXPECT_EQ(msg.rfind("t.yaml:", 0), 0u) << msg;
    }
    /* Deep nesting is refused before it can exhaust the stack. */
    std::string deep = "instances: " + std::string(100000, '[');
    EXPECT_NE(load_error(deep), "");
}

TEST(ConfigErrors, MessagesForWhatTheGenericModelsCannotShow)
{
    const std::string links = "links:\n  - {from: a:out, to: b:in}\n";
    struct {
        const char *yaml;
        const char *msg;
    } const rows[] = {
        /* required parameter */
        {"instances:\n  a: {type: test.all}\n",
         "t.yaml:2:3: instance 'a': key 'need' is required (a required count)"},
        /* check() blames the key it returns, at that key's mark */
        {"instances:\n  a: {type: test.all, need: 1,\n      lo: 5, hi: 4}\n",
         "t.yaml:3:18: instance 'a': key 'hi': 4 is below lo (5)"},
        /* check() blaming the table default of hi: the instance is blamed */
        {"instances:\n  a: {type: test.all, need: 1, lo: 11}\n",
         "t.yaml:2:3: instance 'a': key 'hi': 10 is below lo (11)"},
        /* check() returning a key that is not in the table */
        {"instances:\n  a: {type: test.all, need: 1, lo: 7}\n",
         "t.yaml:2:3: instance 'a': lo must not be 7"},
        {"instances:\n  a: {type: test.all, need: 1, mode: medium}\n",
         "t.yaml:2:38: instance 'a': key 'mode': 'medium' is not one of fast, slow, off"},
        {"instances:\n  a: {type: test.all, need: 1, offset: -101}\n",
         "t.yaml:2:40: instance 'a': key 'offset': -101 is below the minimum -100"},
        {"instances:\n  a: {type: test.all, need: 1, speed: 2Tbps}\n",
         "t.yaml:2:39: instance 'a': key 'speed': 2Tbps is above the maximum 1Tbps"},
        {"instances:\n  a: {type: test.all, need: 1, clock: 933.33mhz}\n",
         "t.yaml:2:39: instance 'a': key 'clock': unknown unit 'mhz' in '933.33mhz': expected "
         "one of Hz, kHz, MHz, GHz"},
        {"instances:\n  a: {type: test.all, need: 0}\n",
         "t.yaml:2:29: instance 'a': key 'need': 0 is below the minimum 1"},
        {"instances:\n  a: {type: test.all, need: }\n",
         "t.yaml:2:29: instance 'a': key 'need': missing value"},
        {"instances:\n  a: {type: test.all, need: 1, wait: {x: 1}}\n",
         "t.yaml:2:38: instance 'a': key 'wait': expected a single value, found a mapping"},
        /* no close key: the keys are listed */
        {"instances:\n  a: {type: test.all, need: 1, colour: red}\n",
         "t.yaml:2:32: instance 'a': unknown key 'colour'; type 'test.all' keys are: type, preset, "
         "flag, "
         "offset, need, ratio, wait, clock, buffer, speed, cable, mode, label, domain, lo, hi"},
        {"instances:\n  a: {type: test.all, need: 1, typ: x}\n",
         "t.yaml:2:32: instance 'a': unknown key 'typ' (did you mean 'type'?)"},
        {"instances:\n  a: {type: test.fail, x: 1}\n",
         "t.yaml:2:24: instance 'a': unknown key 'x'; type 'test.fail' keys are: type, preset"},
        {"instances:\n  a: {type: [test.all]}\n",
         "t.yaml:2:13: instance 'a': key 'type': expected a type name, found a sequence"},
        {"instances:\n  1a: {type: test.all}\n",
         "t.yaml:2:3: instance name '1a' is not valid: use letters, digits and '_', not starting "
         "with a digit (dots separate statistics keys)"},
        {"instances:\n  a: {type: generic.source}\n  b: {type: generic.sink}\n"
         "links:\n  - [a:out, b:in]\n",
         "t.yaml:5:5: link 1: expected a mapping with 'from' and 'to', found a sequence"},
        {"instances:\n  a: {type: generic.source}\n  b: {type: generic.sink}\n"
         "links:\n  - {from: a:out, to: b:in, latency: 1000001}\n",
         "t.yaml:5:38: link 1: key 'latency': 1000001 is above the maximum 1000000"},
        {"instances:\n  a: {type: generic.source}\n  b: {type: generic.sink}\n"
         "links:\n  - {from: a:out, to: b:in, sync: 17}\n",
         "t.yaml:5:35: link 1: key 'sync': 17 is above the maximum 16"},
        {"instances:\n  a: {type: generic.source}\n  b: {type: generic.sink}\n"
         "links:\n  - {from: a:out, to: b:in, width: 2}\n",
         "t.yaml:5:29: link 1: unknown key 'width'; a link keys are: from, to, depth, latency, "
         "sync"},
        {"instances:\n  a: {type: generic.source}\n  b: {type: generic.sink}\n"
         "links:\n  - {from: a:out, to: a:out}\n",
         "t.yaml:5:23: link 1: key 'to': 'a:out' is an output port; 'to' must name an input "
         "port"},
        {"instances:\n  a: {type: generic.source}\n  b: {type: generic.sink}\n"
         "links:\n  - {from: a:out, to: b:in:x}\n",
         "t.yaml:5:23: link 1: key 'to': 'b:in:x' is not an endpoint: write 'instance:port'"},
        {"instances:\n  a: {type: generic.source}\n  b: {type: generic.sink}\nlinks: {}\n",
         "t.yaml:4:8: key 'links': expected a sequence of links, found a mapping"},
        {"instances:\n  a: {type: generic.source}\n  b: {type: generic.sink}\n"
         "links:\n  - {from: a:out, to: b:inn}\n",
         "t.yaml:5:23: link 1: key 'to': instance 'b' (generic.sink) has no port 'inn' (did you "
         "mean 'in'?); its ports are: in"},
        {"sim: 3\ninstances:\n  a: {type: test.fail}\n",
         "t.yaml:1:6: key 'sim': expected a mapping of run options, found a scalar"},
        {"sim: {packets: 0}\ninstances:\n  a: {type: test.fail}\n",
         "t.yaml:1:16: sim: key 'packets': 0 is below the minimum 1"},
        {"sim: {payload_block_size: 2MiB}\ninstances:\n  a: {type: test.fail}\n",
         "t.yaml:1:27: sim: key 'payload_block_size': 2MiB is above the maximum 1MiB"},
        {"sim: {watchdog: 0}\ninstances:\n  a: {type: test.fail}\n",
         "t.yaml:1:17: sim: key 'watchdog': 0 is below the minimum 1ps"},
        {"sim: {seeds: 1}\ninstances:\n  a: {type: test.fail}\n",
         "t.yaml:1:7: sim: unknown key 'seeds' (did you mean 'seed'?)"},
        {"domains:\n  x: {phase: 1ns}\ninstances:\n  a: {type: test.fail}\n",
         "t.yaml:2:3: domain 'x': key 'freq' is missing"},
        {"domains:\n  x: [1MHz]\ninstances:\n  a: {type: test.fail}\n",
         "t.yaml:2:6: domain 'x': expected a frequency or a mapping with 'freq' and 'phase', "
         "found a sequence"},
        {"domains:\n  x: 2000GHz\ninstances:\n  a: {type: test.fail}\n",
         "t.yaml:2:6: domain 'x': key 'freq': 2000GHz is above the maximum 1000GHz"},
        {"domains:\n  x.y: 1MHz\ninstances:\n  a: {type: test.fail}\n",
         "t.yaml:2:3: domain name 'x.y' is not valid: use letters, digits and '_', not starting "
         "with a digit"},
        {"defaults:\n  test.al: {}\ninstances:\n  a: {type: test.fail}\n",
         "t.yaml:2:3: defaults: unknown type 'test.al' (did you mean 'test.all'?)"},
        {"instances:\n  a: {type: ddr3}\n",
         "t.yaml:2:13: instance 'a': key 'type': unknown type 'ddr3'; known types: "
         "generic.delay, generic.sink, generic.source, test.all, test.bind, test.fail, "
         "test.oom"},
        {"defaults:\n  test.all: {need: x}\ninstances:\n  a: {type: test.fail}\n",
         "t.yaml:2:20: defaults for 'test.all': key 'need': 'x' is not an integer (no unit is "
         "expected here)"},
        {"defaults:\n  test.all: {domain: nowhere}\ninstances:\n  a: {type: test.fail}\n",
         "t.yaml:2:22: defaults for 'test.all': key 'domain': unknown domain 'nowhere'; known "
         "domains: pcie, lane, mem, ddr"},
        {"defaults:\n  test.all: 5\ninstances:\n  a: {type: test.fail}\n",
         "t.yaml:2:13: defaults for 'test.all': expected a mapping of parameters, found a "
         "scalar"},
        {"instances:\n", "t.yaml:1:11: key 'instances' is empty: a topology needs at least one "
                         "instance"},
        {"instances: {}\n", "t.yaml:1:12: key 'instances' is empty: a topology needs at least "
                            "one instance"},
        {"sim: {}\n", "t.yaml:1:1: key 'instances' is missing: a topology needs at least one "
                      "instance"},
        {"# only a comment\n", "t.yaml:1:1: file is empty: expected a mapping with 'instances'"},
        {"---\n", "t.yaml:1:1: file is empty: expected a mapping with 'instances'"},
        {"- a\n- b\n", "t.yaml:1:1: expected a mapping with 'instances' at the top level, found "
                       "a sequence"},
        {"instances:\n  a: {type: test.fail}\n  ? [x]\n  : 1\n",
         "t.yaml:3:5: a mapping key must be a plain name, not a mapping or a sequence"},
        {"instances:\n  a: {type: test.fail, label: \"x\\0y\"}\n",
         "t.yaml:2:31: a NUL character is not allowed in a value"},
        {"instances:\n  a: {type: test.fail}\n  b: *x\n",
         "t.yaml:3:6: YAML aliases ('*x') are not supported: write the value out, or use the "
         "'defaults' section"},
        {"instances:\n  a: !custom {type: test.fail}\n",
         "t.yaml:2:6: YAML tags ('!custom') are not supported"},
        {"instances:\r\n  a: {type: test.fail}\r\n  a: {type: test.fail}\r\n",
         "t.yaml:3:3: duplicate key 'a' (first given at line 2, column 3)"},
        {"\xef\xbb\xbfinstances:\n  a: {type: test.fail}\n  a: 1\n",
         "t.yaml:3:3: duplicate key 'a' (first given at line 2, column 3)"},
        {"instances:\n  a: {type: test.fail}\n\x01\n",
         "t.yaml:3:1: control characters are not allowed (character 0x01)"},
        {"instances:\n  \xc3\xa9t\xc3\xa9: {type: test.fail}\n  b: {type: test.fail\xff}\n",
         "t.yaml:3:22: invalid UTF-8 (byte 0xFF): a topology must be UTF-8 text"},
        {"instances:\n  a:\n    type: test.fail\n   b: 1\n",
         "t.yaml:4:4: YAML syntax error: did not find expected key (while parsing a block "
         "mapping at line 2, column 3)"},
    };
    for (const auto &r : rows) {
        SCOPED_TRACE(r.yaml);
        EXPECT_EQ(load_error(r.yaml), r.msg);
    }
}

TEST(ConfigErrors, OpenOptionalPortsAreFine)
{
    EXPECT_EQ(load_error("instances:\n  a: {type: test.all, need: 3}\n"), "");
}

TEST(ConfigErrors, LongerCycleIsListedInOrder)
{
    std::string yaml = "instances:\n"
                       "  s: {type: generic.source}\n"
                       "  a: {type: generic.delay}\n"
                       "  b: {type: generic.delay}\n"
                       "  c: {type: generic.delay}\n"
                       "  z: {type: test.all, need: 1}\n"
                       "links:\n"
                       "  - {from: s:out, to: z:in}\n"
                       "  - {from: a:out, to: b:in}\n"
                       "  - {from: b:out, to: c:in}\n"
                       "  - {from: c:out, to: a:in}\n";
    EXPECT_EQ(load_error(yaml),
              "t.yaml:11:5: link 4 closes a cycle: a:out -> b:in, b:out -> c:in, c:out -> a:in; a "
              "ring of bounded FIFOs can fill up and deadlock (set sim.allow_cycles: true if this "
              "is intended)");
    std::string allowed = "sim: {allow_cycles: true}\n" + yaml;
    EXPECT_EQ(load_error(allowed), "");
}

TEST(ConfigErrors, MissingFileHasNoPosition)
{
    SimError err;
    sim_error_clear(&err);
    Registry r = all_fakes();
    EXPECT_EQ(sim_config_load_file("/nonexistent/dir/topo.yaml", &r, &err), nullptr);
    EXPECT_STREQ(err.msg, "/nonexistent/dir/topo.yaml: cannot open: No such file or directory");
    EXPECT_EQ(sim_config_load_file("/", &r, &err), nullptr);
    EXPECT_STREQ(err.msg, "/: cannot read: Is a directory");
}

/* ---- positive ---- */

const char *const good_topology = R"(# every section
sim:
  seed: 42
  until: 10us
  watchdog: 2ms
  packets: 1024
  payload_blocks: 0
  payload_block_size: 64B
domains:
  pcie: {phase: 1ns}     # built-in: frequency kept, phase changed
  lane: 100MHz           # built-in overridden
  gen: {freq: 156.25MHz, phase: 100ps}
  slow: 1kHz
defaults:
  generic.source: {size: 128B, rate: 0.25}
  test.all: {label: from-defaults, need: 9}
instances:
  src0: {type: generic.source, count: 100}
  src1: {type: generic.source, size: 256B, domain: gen}
  all:
    type: test.all
    flag: true
    offset: -7
    need: 3
    ratio: 0.125
    wait: 6.4ns
    clock: 933.33MHz
    buffer: 1.5KiB
    speed: 56Gbps
    cable: 50cm
    mode: fast
    label: "hello world"
    domain: slow
    lo: 2
    hi: 2
  dflt: {type: test.all}
  sink0: {type: generic.sink, domain: gen}
  mid: {type: generic.delay, domain: ddr, delay: 5}
links:
  - {from: src0:out, to: mid:in, depth: 8, latency: 3, sync: 1}
  - {from: mid:out, to: sink0:in}
  - {from: src1:out, to: all:in, depth: 65536, latency: 0, sync: 0}
)";

class ConfigBuild : public ::testing::Test
{
  protected:
    void SetUp() override
    {
        sim_error_clear(&err_);
        Registry r = all_fakes();
        config_ =
            sim_config_load_string("good.yaml", good_topology, strlen(good_topology), &r, &err_);
        ASSERT_NE(config_, nullptr) << err_.msg;
        sim_ = sim_new();
        ASSERT_NE(sim_, nullptr);
    }
    void TearDown() override
    {
        sim_free(sim_);
        sim_config_free(config_);
    }
    SimPort *port(const char *name)
    {
        for (uint32_t i = 0; i < sim_->n_ports; i++) {
            if (strcmp(sim_->ports[i]->name, name) == 0) {
                return sim_->ports[i];
            }
        }
        return nullptr;
    }
    SimError err_;
    SimConfig *config_ = nullptr;
    Sim *sim_ = nullptr;
};

TEST_F(ConfigBuild, AccessorsAndRunOptions)
{
    EXPECT_STREQ(sim_config_path(config_), "good.yaml");
    EXPECT_EQ(sim_config_instance_count(config_), 6u);
    EXPECT_FALSE(sim_config_allows_cycles(config_));

    SimRunOptions o;
    sim_run_options_default(&o);
    o.kernel = SIM_KERNEL_EVERY_CYCLE;
    sim_config_run_options(config_, &o);
    EXPECT_EQ(o.seed, 42u);
    EXPECT_EQ(o.until, 10u * SIM_PS_PER_US);
    EXPECT_EQ(o.watchdog, 2u * SIM_PS_PER_MS);
    EXPECT_EQ(o.kernel, SIM_KERNEL_EVERY_CYCLE); /* untouched */

    SimPoolOptions p = {0, 0, 0};
    sim_config_pool_options(config_, &p);
    EXPECT_EQ(p.packets, 1024u);
    EXPECT_EQ(p.payload_blocks, 0u);
    EXPECT_EQ(p.payload_block_size, 64u);
}

TEST_F(ConfigBuild, DefaultsOfTheSimSection)
{
    const char *yaml = "instances:\n  a: {type: test.fail}\n";
    Registry r = all_fakes();
    SimConfig *c = sim_config_load_string("d.yaml", yaml, strlen(yaml), &r, &err_);
    ASSERT_NE(c, nullptr) << err_.msg;
    SimRunOptions o;
    sim_run_options_default(&o);
    o.seed = 77;
    o.until = 5;
    o.watchdog = 1;
    sim_config_run_options(c, &o);
    EXPECT_EQ(o.seed, 77u); /* not in the file: left alone */
    EXPECT_EQ(o.until, 5u);
    EXPECT_EQ(o.watchdog, SIM_PS_PER_MS);
    SimPoolOptions p = {0, 0, 0};
    sim_config_pool_options(c, &p);
    EXPECT_EQ(p.packets, 65536u);
    EXPECT_EQ(p.payload_blocks, 1024u);
    EXPECT_EQ(p.payload_block_size, 4096u);
    sim_config_free(c);
}

TEST_F(ConfigBuild, BuildsDomainsInstancesLinksAndPools)
{
    fake_all_builds = 0;
    ASSERT_TRUE(sim_config_build(config_, sim_, &err_)) << err_.msg;

    /* Domains: built-ins first, in order, then the user's, in file order. */
    ASSERT_EQ(sim_->n_domains, 6u);
    const char *names[] = {"pcie", "lane", "mem", "ddr", "gen", "slow"};
    const SimTime periods[] = {4000, 10000, 5000, 1250, 6400, 1000000000};
    const SimTime phases[] = {1000, 0, 0, 0, 100, 0};
    for (int i = 0; i < 6; i++) {
        SCOPED_TRACE(names[i]);
        SimDomain *d = sim_find_domain(sim_, names[i]);
        ASSERT_NE(d, nullptr);
        EXPECT_EQ(d->index, static_cast<uint32_t>(i));
        EXPECT_EQ(d->period, periods[i]);
        EXPECT_EQ(d->phase, phases[i]);
    }

    /* Instances in file order. */
    ASSERT_EQ(sim_->n_components, 6u);
    const char *inst[] = {"src0", "src1", "all", "dflt", "sink0", "mid"};
    for (int i = 0; i < 6; i++) {
        EXPECT_STREQ(sim_->components[i]->name, inst[i]);
    }
    EXPECT_EQ(sim_find_component(sim_, "src1")->domain, sim_find_domain(sim_, "gen"));
    EXPECT_EQ(sim_find_component(sim_, "src0")->domain, sim_find_domain(sim_, "pcie"));
    EXPECT_EQ(sim_find_component(sim_, "mid")->domain, sim_find_domain(sim_, "ddr"));
    EXPECT_EQ(fake_all_builds, 2);

    /* Links: depth, latency, and the synchroniser only across clocks. */
    ASSERT_EQ(sim_->n_ports, 3u);
    SimPort *a = port("src0:out -> mid:in");
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->capacity, 8u);
    EXPECT_EQ(a->latency, 3u + 1u);
    SimPort *b = port("mid:out -> sink0:in");
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(b->capacity, 4u);
    EXPECT_EQ(b->latency, 1u + 2u);
    SimPort *c = port("src1:out -> all:in");
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(c->capacity, 65536u);
    EXPECT_EQ(c->latency, 0u);
    EXPECT_EQ(c->producer, sim_find_component(sim_, "src1"));
    EXPECT_EQ(c->consumer, sim_find_component(sim_, "all"));

    EXPECT_EQ(sim_->pool_options.packets, 1024u);
    EXPECT_EQ(sim_->pool_options.payload_blocks, 0u);
    EXPECT_EQ(sim_->pool_options.payload_block_size, 64u);
}

TEST_F(ConfigBuild, EveryParameterTypeIsParsedExactly)
{
    ASSERT_TRUE(sim_config_build(config_, sim_, &err_)) << err_.msg;
    /* The last test.all built is `dflt`: defaults section over table defaults. */
    EXPECT_EQ(fake_last_all.need, 9u);
    EXPECT_STREQ(fake_last_all_label, "from-defaults");
    EXPECT_FALSE(fake_last_all.flag);
    EXPECT_EQ(fake_last_all.offset, -1);
    EXPECT_EQ(fake_last_all.ratio, 0.5);
    EXPECT_EQ(fake_last_all.wait, 6400u);
    EXPECT_EQ(fake_last_all.clock, 156250000u);
    EXPECT_EQ(fake_last_all.buffer, 4096u);
    EXPECT_EQ(fake_last_all.speed, 10312500000.0);
    EXPECT_EQ(fake_last_all.cable, 3.0);
    EXPECT_EQ(fake_last_all.mode, 1);
    EXPECT_STREQ(fake_last_all_domain, "mem");
    EXPECT_EQ(fake_last_all.lo, 0u);
    EXPECT_EQ(fake_last_all.hi, 10u);

    /* The source defaults: size and rate from `defaults`, count from the instance. */
    EXPECT_EQ(fake_last_source.size, 256u); /* src1 overrides the default 128B */
    EXPECT_EQ(fake_last_source.rate, 0.25);
    EXPECT_EQ(fake_last_source.count, 1000u);
}

TEST(ConfigLoad, ValuesOfOneInstanceOfEveryType)
{
    const char *only_all = "domains: {slow: 1kHz}\n"
                           "instances:\n"
                           "  all:\n"
                           "    type: test.all\n"
                           "    flag: true\n"
                           "    offset: -7\n"
                           "    need: 3\n"
                           "    ratio: 0.125\n"
                           "    wait: 6.4ns\n"
                           "    clock: 933.33MHz\n"
                           "    buffer: 1.5KiB\n"
                           "    speed: 56Gbps\n"
                           "    cable: 50cm\n"
                           "    mode: fast\n"
                           "    label: \"hello world\"\n"
                           "    domain: slow\n"
                           "    lo: 2\n"
                           "    hi: 2\n";
    SimError err;
    sim_error_clear(&err);
    Registry r = all_fakes();
    SimConfig *c = sim_config_load_string("one.yaml", only_all, strlen(only_all), &r, &err);
    ASSERT_NE(c, nullptr) << err.msg;
    Sim *sim = sim_new();
    ASSERT_TRUE(sim_config_build(c, sim, &err)) << err.msg;
    EXPECT_TRUE(fake_last_all.flag);
    EXPECT_EQ(fake_last_all.offset, -7);
    EXPECT_EQ(fake_last_all.need, 3u);
    EXPECT_EQ(fake_last_all.ratio, 0.125);
    EXPECT_EQ(fake_last_all.wait, 6400u);
    EXPECT_EQ(fake_last_all.clock, 933330000u);
    EXPECT_EQ(fake_last_all.buffer, 1536u);
    EXPECT_EQ(fake_last_all.speed, 56e9);
    EXPECT_EQ(fake_last_all.cable, 0.5);
    EXPECT_EQ(fake_last_all.mode, 0);
    EXPECT_STREQ(fake_last_all_label, "hello world");
    EXPECT_STREQ(fake_last_all_domain, "slow");
    EXPECT_EQ(fake_last_all.lo, 2u);
    EXPECT_EQ(fake_last_all.hi, 2u);
    EXPECT_EQ(sim_find_domain(sim, "slow")->period, 1000000000u);
    sim_free(sim);
    sim_config_free(c);
}

TEST(ConfigLoad, BuildFailureNamesTheInstance)
{
    const char *yaml = "instances:\n  ok: {type: test.all, need: 1}\n  bad: {type: test.fail}\n";
    SimError err;
    sim_error_clear(&err);
    Registry r = all_fakes();
    SimConfig *c = sim_config_load_string("f.yaml", yaml, strlen(yaml), &r, &err);
    ASSERT_NE(c, nullptr) << err.msg;
    Sim *sim = sim_new();
    EXPECT_FALSE(sim_config_build(c, sim, &err));
    EXPECT_STREQ(err.msg, "f.yaml:3:3: instance 'bad': refusing to build 'bad'");
    sim_free(sim);
    sim_config_free(c);
}

TEST(ConfigLoad, OutOfMemoryInABuildIsItsOwnErrorNamingTheInstance)
{
    /* Not bad input: no position, its own kind (the CLI exits 1, not 2), and the instance named
     * even though the model ran out while making a part of it. */
    const char *yaml = "instances:\n  ok: {type: test.all, need: 1}\n  big: {type: test.oom}\n";
    SimError err;
    sim_error_clear(&err);
    Registry r = all_fakes();
    SimConfig *c = sim_config_load_string("f.yaml", yaml, strlen(yaml), &r, &err);
    ASSERT_NE(c, nullptr) << err.msg;
    Sim *sim = sim_new();
    EXPECT_FALSE(sim_config_build(c, sim, &err));
    EXPECT_EQ(err.kind, SIM_ERR_NOMEM);
    EXPECT_STREQ(err.msg, "out of memory while building 'big'");
    sim_free(sim);
    sim_config_free(c);
}

TEST(ConfigLoad, PortsAreBoundByNameExactlyOnce)
{
    /* A model's binding mistake fails the build loudly, naming the model and the port; it is
     * the model's fault, not the topology's (exit 1, like a model failing at run time). */
    const struct {
        const char *mistake;
        const char *msg;
    } cases[] = {
        {"none", ""},
        {"misspelt", "b.yaml:2:3: instance 'x': model 'test.bind' binds port 'inn', which its "
                     "type does not declare"},
        {"twice", "b.yaml:2:3: instance 'x': model 'test.bind' binds port 'in' twice"},
        {"unbound", "b.yaml:2:3: instance 'x': model 'test.bind' leaves port 'out' unbound"},
    };
    for (const auto &k : cases) {
        std::string yaml =
            std::string("instances:\n  x: {type: test.bind, mistake: ") + k.mistake + "}\n";
        SimError err;
        sim_error_clear(&err);
        Registry r = all_fakes();
        SimConfig *c = sim_config_load_string("b.yaml", yaml.c_str(), yaml.size(), &r, &err);
        ASSERT_NE(c, nullptr) << err.msg;
        Sim *sim = sim_new();
        bool ok = sim_config_build(c, sim, &err);
        EXPECT_EQ(ok, k.msg[0] == '\0') << k.mistake;
        if (!ok) {
            EXPECT_STREQ(err.msg, k.msg);
            EXPECT_EQ(err.kind, SIM_ERR_SIMULATION);
        }
        sim_free(sim);
        sim_config_free(c);
    }
}

TEST(ConfigLoad, StatisticsAreRegisteredFromTheTypesTable)
{
    const char *yaml = "instances:\n  s: {type: generic.source}\n  k: {type: generic.sink}\n"
                       "links:\n  - {from: s:out, to: k:in}\n";
    SimError err;
    sim_error_clear(&err);
    Registry r = all_fakes();
    SimConfig *c = sim_config_load_string("s.yaml", yaml, strlen(yaml), &r, &err);
    ASSERT_NE(c, nullptr) << err.msg;
    Sim *sim = sim_new();
    ASSERT_TRUE(sim_config_build(c, sim, &err)) << err.msg;
    char *text = nullptr;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    ASSERT_NE(f, nullptr);
    ASSERT_TRUE(sim_stats_write_csv_header(sim->stats, f));
    fclose(f);
    EXPECT_STREQ(text, "config,seed,end_time_ns,s.sent,s.lane0_words,s.lane1_words,s.held.avg,"
                       "s.held.max\n");
    free(text);
    sim_free(sim);
    sim_config_free(c);
}

TEST(ConfigLoad, RealModelsBuildAndRun)
{
    const char *yaml = "sim: {until: 1us}\n"
                       "instances:\n"
                       "  src0: {type: generic.source, rate: 0.5, count: 10}\n"
                       "  sink0: {type: generic.sink, domain: mem}\n"
                       "links:\n"
                       "  - {from: src0:out, to: sink0:in}\n";
    SimError err;
    sim_error_clear(&err);
    Registry r = real_models();
    SimConfig *c = sim_config_load_string("real.yaml", yaml, strlen(yaml), &r, &err);
    ASSERT_NE(c, nullptr) << err.msg;
    Sim *sim = sim_new();
    ASSERT_TRUE(sim_config_build(c, sim, &err)) << err.msg;
    SimRunOptions o;
    sim_run_options_default(&o);
    sim_config_run_options(c, &o);
    EXPECT_TRUE(sim_run(sim, &o, &err)) << err.msg;
    sim_free(sim);
    sim_config_free(c);
}

TEST(ConfigLoad, LargeTopologyLoadsFast)
{
    /* A chain of 20000 delay stages: name lookups must not be quadratic. */
    const int n = 20000;
    std::string yaml = "instances:\n  s: {type: generic.source}\n  k: {type: generic.sink}\n";
    for (int i = 0; i < n; i++) {
        yaml += "  d" + std::to_string(i) + ": {type: generic.delay}\n";
    }
    yaml += "links:\n  - {from: s:out, to: d0:in}\n";
    for (int i = 0; i + 1 < n; i++) {
        yaml +=
            "  - {from: d" + std::to_string(i) + ":out, to: d" + std::to_string(i + 1) + ":in}\n";
    }
    yaml += "  - {from: d" + std::to_string(n - 1) + ":out, to: k:in}\n";
    auto t0 = std::chrono::steady_clock::now();
    EXPECT_EQ(load_error(yaml, generic_fakes()), "");
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
}

TEST(ConfigLoad, DuplicateInABigMapping)
{
    std::string yaml = "instances:\n";
    for (int i = 0; i < 100; i++) {
        yaml += "  a" + std::to_string(i) + ": {type: test.fail}\n";
    }
    yaml += "  a37: {type: test.fail}\n";
    EXPECT_EQ(load_error(yaml), "t.yaml:102:3: duplicate key 'a37' (first given at line 39, "
                                "column 3)");
}

TEST(ConfigLoad, FindType)
{
    Registry r = all_fakes();
    ASSERT_NE(sim_config_find_type(&r, "test.all"), nullptr);
    EXPECT_STREQ(sim_config_find_type(&r, "test.all")->name, "test.all");
    EXPECT_EQ(sim_config_find_type(&r, "test.al"), nullptr);
    EXPECT_STREQ(sim_param_type_name(SIM_PARAM_FREQ), "frequency");
    EXPECT_STREQ(sim_param_type_name(SIM_PARAM_DOMAIN), "domain");
}

/* ---- describe ---- */

std::string describe(const char *type, bool *ok)
{
    /* The fakes with one system section (fabric), whose listing the test spells out. */
    Registry r = {fake_all_types, fake_all_type_count, kSystems, 1};
    char *buf = nullptr;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    *ok = sim_config_describe(&r, type, f);
    fclose(f);
    std::string s(buf, len);
    free(buf);
    return s;
}

TEST(ConfigDescribe, ListsTypesSorted)
{
    bool ok = false;
    EXPECT_EQ(describe(nullptr, &ok),
              "Model types (membox-sim describe TYPE lists one's parameters, ports and "
              "statistics):\n"
              "  generic.delay   Fake delay stage.\n"
              "  generic.sink    Fake sink.\n"
              "  generic.source  Fake source.\n"
              "  test.all        Every parameter type.\n"
              "  test.bind       Port bindings gone wrong.\n"
              "  test.fail\n"
              "  test.oom        A build that runs out of memory.\n"
              "\n"
              "System sections (top-level keys expanded into instances and links; membox-sim "
              "describe KEY):\n"
              "  fabric:  A MemBox fabric by its elements: MemBoxes (DDR3 behind a 17-port "
              "arbiter and their optical ports), repeaters, compute nodes with their adapter "
              "cards, and the 40G optical links between them (docs/config.md, \"Fabric "
              "section\").\n");
    EXPECT_TRUE(ok);
    std::string fabric = describe("fabric", &ok);
    EXPECT_TRUE(ok);
    EXPECT_EQ(fabric.rfind("fabric: (system section)\n", 0), 0u) << fabric;
}

TEST(ConfigDescribe, OneTypeFromItsTables)
{
    bool ok = false;
    EXPECT_EQ(describe("generic.source", &ok),
              "generic.source\n"
              "  Fake source. Second sentence.\n"
              "\n"
              "Parameters:\n"
              "  key     type    default  range             description\n"
              "  domain  domain  pcie     -                 clock domain\n"
              "  rate    real    1        0.000001..1       packets offered per cycle\n"
              "  size    bytes   64B      1B..1MiB          bytes per packet\n"
              "  count   uint    1000     0..1000000000000  packets to send\n"
              "\n"
              "Units:\n"
              "  bytes: B, kB, KiB, MB, MiB, GB, GiB, TB, TiB\n"
              "\n"
              "Ports:\n"
              "  port  direction  connection  description\n"
              "  out   out        required    packets offered\n"
              "\n"
              "Statistics (docs/stats.md):\n"
              "  statistic      kind      unit     description\n"
              "  sent           counter   packets  packets sent\n"
              "  lane<n>_words  counter   words    words on one lane\n"
              "  held           time-avg  -        packets held, time-weighted\n"
              "  <n>: 0, 1: the lanes\n"
              "  A time-avg writes KEY.avg and KEY.max.\n");
    EXPECT_TRUE(ok);
    std::string all = describe("test.all", &ok);
    EXPECT_TRUE(ok);
    EXPECT_NE(all.find("  need    uint       (required)   >= 1"), std::string::npos) << all;
    EXPECT_NE(all.find("fast|slow|off"), std::string::npos) << all;
    EXPECT_NE(all.find("  in    in         optional    optional input\n"), std::string::npos)
        << all;
    std::string fail = describe("test.fail", &ok);
    EXPECT_TRUE(ok);
    EXPECT_EQ(fail, "test.fail\n\nParameters:\n  (none)\n\nPorts:\n"
                    "  port  direction  connection  description\n"
                    "  in    in         optional\n"
                    "\n"
                    "Statistics (docs/stats.md):\n"
                    "  (none)\n");
    EXPECT_EQ(describe("no.such", &ok), "");
    EXPECT_FALSE(ok);
}

} // namespace

/* ---- presets and command-line overrides ---- */

namespace
{

const char *kAllTopology = "instances:\n"
                           "  all: {type: test.all, preset: grade.yaml, need: 9, ratio: 0.5}\n";

} // namespace

TEST(ConfigPreset, PresetValuesApplyAndTheInstanceOverridesThem)
{
    TempDir dir;
    dir.write("grade.yaml", "# a preset: a flat mapping of the type's keys\n"
                            "need: 4\nwait: 6.4ns\nbuffer: 2KiB\n");
    std::string topo = dir.write("topo.yaml", kAllTopology);
    SimError err;
    Registry r = all_fakes();
    SimConfig *c = sim_config_load_file(topo.c_str(), &r, &err);
    ASSERT_NE(c, nullptr) << err.msg;
    Sim *sim = sim_new();
    ASSERT_TRUE(sim_config_build(c, sim, &err)) << err.msg;
    EXPECT_EQ(fake_last_all.need, 9u);      /* the instance wins over the preset */
    EXPECT_EQ(fake_last_all.wait, 6400u);   /* from the preset */
    EXPECT_EQ(fake_last_all.buffer, 2048u); /* from the preset */
    EXPECT_EQ(fake_last_all.ratio, 0.5);
    sim_free(sim);
    sim_config_free(c);
}

TEST(ConfigPreset, ErrorsInsideAPresetNameThePresetFile)
{
    TempDir dir;
    std::string grade = dir.write("grade.yaml", "need: 4\nwait: 6.4 ns\n");
    std::string topo = dir.write("topo.yaml", kAllTopology);
    SimError err;
    Registry r = all_fakes();
    EXPECT_EQ(sim_config_load_file(topo.c_str(), &r, &err), nullptr);
    EXPECT_EQ(std::string(err.msg).rfind(grade + ":2:7: instance 'all': key 'wait': ", 0), 0u)
        << err.msg;
}

TEST(ConfigOverride, OverridesApplyAfterTheFileAndAreChecked)
{
    TempDir dir;
    dir.write("grade.yaml", "need: 4\n");
    std::string topo = dir.write("topo.yaml", kAllTopology);
    Registry r = all_fakes();
    SimError err;
    const SimConfigOverride good[] = {{"all.need", "12", "--need"},
                                      {"all.label", "from the command line", "--label"}};
    SimConfig *c = sim_config_load_file_ex(topo.c_str(), &r, good, 2, &err);
    ASSERT_NE(c, nullptr) << err.msg;
    Sim *sim = sim_new();
    ASSERT_TRUE(sim_config_build(c, sim, &err)) << err.msg;
    EXPECT_EQ(fake_last_all.need, 12u);
    EXPECT_STREQ(fake_last_all_label, "from the command line");
    sim_free(sim);
    sim_config_free(c);

    const struct {
        SimConfigOverride ov;
        std::string msg;
    } bad[] = {
        {{"all.wait", "5 parsecs", "--wait"}, "--wait: instance 'all': key 'wait': "},
        {{"all.nede", "1", "--nede"},
         "--nede: instance 'all': unknown key 'nede' (did you mean 'need'?)"},
        {{"nobody.need", "1", "--x"}, "--x: " + topo + " has no instance 'nobody'"},
        {{"need", "1", "--y"},
         "--y: 'need' is not a path: write SECTION.KEY, TYPE.KEY or INSTANCE.KEY"},
        {{"all.need.deeper", "1", "--z"},
         "--z: 'all.need.deeper' names no section or model type, and an instance key is "
         "INSTANCE.KEY"},
        {{"test.all.nede", "1", "--t"},
         "--t: defaults for 'test.all': unknown key 'nede' (did you mean 'need'?)"},
        {{"sim.sede", "1", "--s"}, "--s: sim: unknown key 'sede' (did you mean 'seed'?)"},
    };
    for (const auto &b : bad) {
        EXPECT_EQ(sim_config_load_file_ex(topo.c_str(), &r, &b.ov, 1, &err), nullptr);
        EXPECT_EQ(std::string(err.msg).rfind(b.msg, 0), 0u) << err.msg;
    }
}
