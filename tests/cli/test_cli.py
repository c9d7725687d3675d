#!/usr/bin/env python3
"""End-to-end tests of the membox-sim command: exit codes, help, outputs, no half-written files.

Usage: test_cli.py MEMBOX_SIM SOURCE_ROOT
"""
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import unittest

SIM = None
ROOT = None


def run(*args, cwd=None):
    return subprocess.run([SIM, *args], capture_output=True, text=True, cwd=cwd or ROOT,
                          timeout=120)


class Cli(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_help_for_every_command_exits_0_and_documents_exit_codes(self):
        for args in (["--help"], ["help"], ["run", "--help"], ["check", "--help"],
                     ["describe", "--help"], ["version", "--help"], ["help", "run"]):
            r = run(*args)
            self.assertEqual(r.returncode, 0, args)
            self.assertIn("usage: membox-sim", r.stdout, args)
            self.assertIn("exit codes", r.stdout, args)

    def test_no_arguments_is_a_usage_error(self):
        r = run()
        self.assertEqual(r.returncode, 2)
        self.assertIn("usage: membox-sim", r.stderr)

    def test_unknown_command_and_options_are_usage_errors(self):
        cases = [
            (["frobnicate"], "membox-sim: unknown command 'frobnicate'; see 'membox-sim --help'"),
            (["run", "configs/default.yaml", "--bogus"],
             "membox-sim: unknown option '--bogus' for 'run'; see 'membox-sim run --help'"),
            (["run"], "membox-sim: 'run' needs a CONFIG file; see 'membox-sim run --help'"),
            (["run", "configs/default.yaml", "--seed"],
             "membox-sim: option '--seed' needs a value; see 'membox-sim run --help'"),
            (["check"], "membox-sim: 'check' needs a CONFIG file; see 'membox-sim check --help'"),
            (["version", "x"],
             "membox-sim: 'version' takes no arguments, got 'x'; see 'membox-sim version --help'"),
        ]
        for args, msg in cases:
            r = run(*args)
            self.assertEqual(r.returncode, 2, args)
            self.assertEqual(r.stderr.strip(), msg, args)

    def test_bad_flag_values_name_the_flag(self):
        cases = [
            (["--kernel", "slow"], "membox-sim: --kernel 'slow': expected 'fast'"),
            (["--until", "10"], "membox-sim: --until '10': "),
            (["--until", "5 parsecs"], "membox-sim: --until '5 parsecs': "),
            (["--seed", "-1"], "membox-sim: --seed '-1': "),
            (["--seed", "12abc"], "membox-sim: --seed '12abc': "),
        ]
        for flags, prefix in cases:
            r = run("run", "configs/default.yaml", *flags)
            self.assertEqual(r.returncode, 2, flags)
            self.assertTrue(r.stderr.startswith(prefix), (flags, r.stderr))

    def test_version(self):
        r = run("version")
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, r"^membox-sim \d+\.\d+\.\d+\n$")

    def test_check_accepts_every_shipped_config(self):
        configs = sorted(f for f in os.listdir(os.path.join(ROOT, "configs"))
                         if f.endswith(".yaml"))
        self.assertGreaterEqual(len(configs), 3)
        for c in configs:
            r = run("check", os.path.join("configs", c))
            self.assertEqual(r.returncode, 0, (c, r.stderr))
            self.assertTrue(r.stdout.startswith(f"configs/{c}: ok"), r.stdout)

    def test_a_byte_order_mark_is_taken_where_yaml_allows_one(self):
        # A UTF-8 byte-order mark used to shift the first line one column right, so a file
        # with more than one top-level key failed ("did not find expected <document start>").
        # Here it opens a shipped config stripped of its leading comment (so that the first key
        # follows the mark), and before the comment after a document end marker; both run to
        # the same statistics as the file without them.
        with open(os.path.join(ROOT, "configs", "generic-fanin.yaml")) as f:
            lines = f.read().splitlines(keepends=True)
        body = "".join(line for line in lines if not line.startswith("#"))
        self.assertTrue(body.startswith("sim:"))
        plain = self.write("plain.yaml", body)
        marked = self.write("marked.yaml", "\ufeff" + body)
        doc = self.write("doc.yaml", "\ufeff---\n" + body + "...\n\ufeff# the end\n")
        stats = []
        for path in (plain, marked, doc):
            r = run("check", path)
            self.assertEqual((r.returncode, r.stdout), (0, path + ": ok (6 instances)\n"),
                             r.stderr)
            out = path + ".json"
            r = run("run", path, "--quiet", "--stats", out)
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(out) as f:
                stats.append(json.load(f)["stats"])
        self.assertEqual(stats[1], stats[0])
        self.assertEqual(stats[2], stats[0])

    def test_describe_lists_types_and_tables(self):
        r = run("describe")
        self.assertEqual(r.returncode, 0)
        for t in ("generic.source", "generic.sink", "generic.delay"):
            self.assertIn(t, r.stdout)
        r = run("describe", "generic.source")
        self.assertEqual(r.returncode, 0)
        for key in ("rate", "size", "count", "pattern", "domain"):
            self.assertIn(key, r.stdout)
        r = run("describe", "no.such")
        self.assertEqual(r.returncode, 2)
        self.assertIn("unknown model type 'no.such'", r.stderr)

    def test_run_writes_json_stats_and_a_summary(self):
        out = os.path.join(self.dir, "s.json")
        r = run("run", "configs/default.yaml", "--stats", out, "--seed", "3")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("node1", r.stdout)
        self.assertIn("latency_ns", r.stdout)
        with open(out) as f:
            doc = json.load(f)
        self.assertEqual(doc["schema"], "membox-sim-stats/1")
        self.assertEqual(doc["run"]["seed"], 3)
        for node in ("node0", "node1", "node2", "node3"):
            self.assertEqual(doc["stats"][node + ".completed"], doc["stats"][node + ".records"])
            self.assertGreater(doc["stats"][node + ".completed"], 0)
            self.assertIn(node + ".latency_ns.p99", doc["stats"])
        self.assertGreater(doc["stats"]["mb_ddr3.reads"], 0)
        self.assertEqual(doc["host"]["kernel"], "fast")
        self.assertEqual([f for f in os.listdir(self.dir)], ["s.json"])

    def test_both_kernels_write_identical_stats(self):
        a, b = os.path.join(self.dir, "a.json"), os.path.join(self.dir, "b.json")
        self.assertEqual(run("run", "configs/default.yaml", "--quiet", "--stats", a).returncode, 0)
        self.assertEqual(run("run", "configs/default.yaml", "--quiet", "--stats", b,
                             "--kernel", "every-cycle").returncode, 0)
        with open(a) as fa, open(b) as fb:
            ja, jb = json.load(fa), json.load(fb)
        self.assertEqual(ja["stats"], jb["stats"])
        self.assertEqual(ja["run"], jb["run"])
        self.assertEqual(jb["host"]["kernel"], "every-cycle")

    def test_until_stops_early(self):
        out = os.path.join(self.dir, "u.json")
        r = run("run", "configs/generic-ring.yaml", "--until", "10us", "--quiet", "--stats", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(out) as f:
            self.assertEqual(json.load(f)["run"]["end_time_ps"], 10_000_000)

    def test_csv_appends_rows_under_one_header(self):
        out = os.path.join(self.dir, "sweep.csv")
        for seed in ("1", "2"):
            r = run("run", "configs/default.yaml", "--quiet", "--csv", out, "--seed", seed)
            self.assertEqual(r.returncode, 0, r.stderr)
        with open(out) as f:
            rows = list(csv.reader(f))
        self.assertEqual(len(rows), 3)
        self.assertEqual(rows[0][:3], ["config", "seed", "end_time_ns"])
        self.assertEqual([rows[1][1], rows[2][1]], ["1", "2"])
        other = run("run", "configs/generic-fanin.yaml", "--quiet", "--csv", out)
        self.assertEqual(other.returncode, 2)
        self.assertIn("header differs", other.stderr)
        with open(out) as f:
            self.assertEqual(len(list(csv.reader(f))), 3)

    def test_simulation_error_exits_1_and_leaves_no_output_file(self):
        cfg = self.write("pool.yaml",
                         "sim: {packets: 8}\ninstances:\n"
                         "  src: {type: generic.source, count: 100}\n"
                         "  q: {type: generic.delay, depth: 100}\n"
                         "  snk: {type: generic.sink, accept_every: 1000}\n"
                         "links:\n  - {from: src:out, to: q:in}\n  - {from: q:out, to: snk:in}\n")
        out = os.path.join(self.dir, "never.json")
        r = run("run", cfg, "--stats", out)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("packet pool exhausted", r.stderr)
        self.assertEqual(sorted(os.listdir(self.dir)), ["pool.yaml"])

    def test_out_of_memory_exits_1_naming_what_was_built(self):
        # Out of memory is not bad input: exit 1, not 2. A 64 GiB host memory cannot be mapped
        # under a 2 GiB address-space limit.
        cfg = self.write("big.yaml",
                         "instances:\n"
                         "  src: {type: generic.source, count: 1}\n"
                         "  mem0: {type: mem.ideal, functional: true, size: 64GiB}\n"
                         "  snk: {type: generic.sink}\n"
                         "links:\n  - {from: src:out, to: mem0:req}\n"
                         "  - {from: mem0:resp, to: snk:in}\n")
        out = os.path.join(self.dir, "never.json")

        def limit():
            resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

        r = subprocess.run([SIM, "run", cfg, "--stats", out], cwd=ROOT, capture_output=True,
                           text=True, timeout=120, preexec_fn=limit)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertEqual(r.stderr, "out of memory while building 'mem0'\n")
        self.assertEqual(sorted(os.listdir(self.dir)), ["big.yaml"])

    def test_bad_config_exits_2_and_leaves_no_output_file(self):
        cfg = self.write("bad.yaml", "instances:\n  a: {type: generic.nope}\n")
        out = os.path.join(self.dir, "never.json")
        r = run("run", cfg, "--stats", out)
        self.assertEqual(r.returncode, 2)
        self.assertTrue(r.stderr.startswith(cfg + ":2:"), r.stderr)
        self.assertEqual(sorted(os.listdir(self.dir)), ["bad.yaml"])

    def test_unwritable_stats_path_is_bad_input(self):
        r = run("run", "configs/default.yaml", "--stats", "/nonexistent-dir/s.json")
        self.assertEqual(r.returncode, 2)
        self.assertEqual(r.stderr.strip(),
                         "/nonexistent-dir/s.json: cannot write: No such file or directory")

    def test_dram_mode_usage_and_bad_flags(self):
        cases = [
            (["dram", "configs/dram-standalone.yaml"],
             "membox-sim: 'dram' needs --trace FILE; see 'membox-sim dram --help'"),
            (["dram", "configs/dram-standalone.yaml", "--trace", "x.trc", "--format", "xx"],
             "--format: instance 'trace': key 'format': 'xx' is not one of native, dramsim3, "
             "ramulator"),
            (["dram", "configs/default.yaml", "--trace", "x.trc"],
             "configs/default.yaml: the standalone DRAM mode needs exactly one instance of type "
             "'dram.trace' (the trace player); found 0"),
            (["dram", "configs/dram-standalone.yaml", "--trace", "/nonexistent.trc"],
             "configs/dram-standalone.yaml:22:3: instance 'trace': /nonexistent.trc: cannot "
             "open: No such file or directory"),
        ]
        for args, msg in cases:
            r = run(*args)
            self.assertEqual(r.returncode, 2, args)
            self.assertEqual(r.stderr.strip(), msg, args)

    def test_dram_mode_replays_each_trace_format(self):
        keys = ("dram.cycles", "dram.bandwidth_gbps", "dram.read_latency_avg_cycles",
                "dram.read_latency_avg_ns", "dram.read_latency_ns.p99", "dram.row_hit_rate",
                "dram.reads", "dram.writes", "dram.refreshes")
        for trace, fmt in (("traces/dram/sample-dramsim3.trc", "dramsim3"),
                           ("traces/dram/sample-ramulator.trc", "ramulator"),
                           ("traces/dram/stream.trc", "native")):
            out = os.path.join(self.dir, fmt + ".json")
            r = run("dram", "configs/dram-standalone.yaml", "--trace", trace, "--format", fmt,
                    "--stats", out)
            self.assertEqual(r.returncode, 0, (fmt, r.stderr))
            self.assertIn("dram_cycles_per_second", r.stdout)
            with open(out) as f:
                doc = json.load(f)
            for k in keys:
                self.assertIn(k, doc["stats"], (fmt, k))
            self.assertGreater(doc["stats"]["dram.reads"] + doc["stats"]["dram.writes"], 0)
            self.assertGreater(doc["host"]["dram_cycles_per_second"], 0)

    def test_malformed_traces_exit_2_naming_file_and_line(self):
        bad = self.write("bad.trc", "0x2000D5C0 READ 30\n0xZZ READ 31\n")
        r = run("dram", "configs/dram-standalone.yaml", "--trace", bad, "--format", "dramsim3")
        self.assertEqual(r.returncode, 2)
        self.assertEqual(r.stderr.strip(), "configs/dram-standalone.yaml:22:3: instance 'trace': "
                         + bad + ":2: bad hex address '0xZZ'")
        mt = self.write("bad.trace", "membox-memtrace 1\nbogus\n")
        with open(os.path.join(ROOT, "configs/host-ideal.yaml")) as f:
            text = f.read().replace("../traces/mem/node-mixed.trace", mt)
        cfg = self.write("host.yaml", text)
        out = os.path.join(self.dir, "never.json")
        r = run("run", cfg, "--stats", out)
        self.assertEqual(r.returncode, 2)
        self.assertIn("instance 'node0': key 'trace': " + mt +
                      ":2: expected 'WHEN OP ADDRESS SIZE [ACCESS]', found 1 field", r.stderr)
        self.assertFalse(os.path.exists(out))

    def test_nul_bytes_in_a_text_trace_are_an_error_not_an_endless_read(self):
        # Every text trace reader used to take /dev/zero for an endless run of empty lines, and
        # a NUL inside a line for its end, dropping the rest of the line without a word.
        nul = self.write("nul.trc", "0x10 READ\n0x20 WRITE\0junk\n")
        cases = [
            ("host.memtrace", "{type: host.memtrace, trace: /dev/zero}", "2:39"),
            ("host.ps", "{type: host.ps, trace: /dev/zero, worker: 0}", "2:33"),
        ]
        for name, inst, where in cases:
            with self.subTest(model=name):
                path = self.write("zero.yaml", "instances:\n  node0: " + inst + "\n")
                r = subprocess.run([SIM, "check", path], capture_output=True, text=True,
                                   timeout=20)
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertEqual(r.stderr, f"{path}:{where}: instance 'node0': key 'trace': "
                                           "/dev/zero:1: NUL byte at column 1: this is not a "
                                           "text trace\n")
        for trace, fmt, msg in (("/dev/zero", "native", "/dev/zero:1: NUL byte at column 1"),
                                (nul, "dramsim3", nul + ":2: NUL byte at column 11")):
            with self.subTest(trace=trace):
                r = subprocess.run([SIM, "dram", "configs/dram-standalone.yaml", "--trace", trace,
                                    "--format", fmt], capture_output=True, text=True, timeout=20,
                                   cwd=ROOT)
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertTrue(r.stderr.endswith(msg + ": this is not a text trace\n"), r.stderr)

    def test_reference_page_matches_the_parameter_tables(self):
        out = os.path.join(self.dir, "reference.md")
        r = subprocess.run([os.path.join(ROOT, "scripts/gen-reference"), SIM, out],
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(out) as f, open(os.path.join(ROOT, "docs/reference.md")) as g:
            self.assertEqual(f.read(), g.read(),
                             "docs/reference.md is stale: run scripts/gen-reference")

    def test_progress_reports_on_stderr(self):
        r = run("run", "configs/generic-ring.yaml", "--progress", "--quiet")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "")


def systemc_built():
    """True when this membox-sim was built with SystemC: its run help then lists the kernel."""
    r = run("run", "--help")
    return r.returncode == 0 and "systemc" in r.stdout


class SystemcKernel(unittest.TestCase):
    """--kernel systemc gives the statistics of the built-in kernels (ARCHITECTURE.md section 6).

    Each run is its own process, as the SystemC kernel needs (it elaborates once per process).
    """

    @classmethod
    def setUpClass(cls):
        # What unittest.skipUnless does, done here: as a class decorator it would run before
        # SIM is read from the command line.
        if not systemc_built():
            raise unittest.SkipTest("membox-sim built without SystemC")

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name
        # The library sets it too; the test must not depend on that to keep stdout clean.
        os.environ.setdefault("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1")

    def tearDown(self):
        self.tmp.cleanup()

    def stats(self, config, kernel, *flags):
        out = os.path.join(self.dir, f"{os.path.basename(config)}.{kernel}.json")
        r = run("run", config, "--quiet", "--stats", out, "--kernel", kernel, *flags)
        self.assertEqual(r.returncode, 0, (config, kernel, flags, r.stderr))
        self.assertEqual((r.stdout, r.stderr), ("", ""), (config, kernel, flags))
        with open(out) as f:
            return json.load(f)

    def assertSameRun(self, config, *flags):
        fast = self.stats(config, "fast", *flags)
        sysc = self.stats(config, "systemc", *flags)
        self.assertEqual(fast["stats"], sysc["stats"], (config, flags))
        self.assertEqual(fast["run"], sysc["run"], (config, flags))
        self.assertEqual(sysc["host"]["kernel"], "systemc")
        return sysc

    def test_every_shipped_config_gives_the_fast_kernels_stats(self):
        configs = sorted(f for f in os.listdir(os.path.join(ROOT, "configs"))
                         if f.endswith(".yaml"))
        self.assertGreaterEqual(len(configs), 3)
        for c in configs:
            with self.subTest(config=c):
                self.assertSameRun(os.path.join("configs", c))

    def test_until_runs_the_edges_at_until_and_ends_there(self):
        # 32 us is an edge of every default domain (periods 4000, 6400, 5000 and 1250 ps): the
        # edges at exactly --until must run, so SystemC ticks as often as every-cycle does.
        sysc = self.assertSameRun("configs/generic-ring.yaml", "--until", "32us")
        self.assertEqual(sysc["run"]["end_time_ps"], 32_000_000)
        every = self.stats("configs/generic-ring.yaml", "every-cycle", "--until", "32us")
        self.assertEqual(sysc["host"]["activations"], every["host"]["activations"])
        # Between edges, too: the run still ends at --until.
        sysc = self.assertSameRun("configs/generic-ring.yaml", "--until", "10001ns")
        self.assertEqual(sysc["run"]["end_time_ps"], 10_001_000)

    def test_simulation_error_exits_1_with_the_same_message(self):
        cfg = os.path.join(self.dir, "pool.yaml")
        with open(cfg, "w") as f:
            f.write("sim: {packets: 8}\ninstances:\n"
                    "  src: {type: generic.source, count: 100}\n"
                    "  q: {type: generic.delay, depth: 100}\n"
                    "  snk: {type: generic.sink, accept_every: 1000}\n"
                    "links:\n  - {from: src:out, to: q:in}\n  - {from: q:out, to: snk:in}\n")
        out = os.path.join(self.dir, "never.json")
        fast = run("run", cfg, "--stats", out)
        sysc = run("run", cfg, "--stats", out, "--kernel", "systemc")
        self.assertEqual(sysc.returncode, 1, sysc.stderr)
        self.assertEqual(sysc.stderr, fast.stderr)
        self.assertEqual(sysc.stdout, "")
        self.assertFalse(os.path.exists(out))

    def test_only_a_systemc_run_loads_systemc(self):
        # The SystemC kernel is a module loaded by --kernel systemc alone (sim/cli/module.h):
        # another run maps neither libsystemc nor the C++ runtime, and no run maps Open MPI
        # (only a sweep under mpirun does). The dynamic loader lists what it loads.
        env = dict(os.environ, LD_DEBUG="libs")
        for kernel, loaded in (("fast", False), ("every-cycle", False), ("systemc", True)):
            r = subprocess.run([SIM, "run", "configs/generic-ring.yaml", "--until", "1us",
                                "--quiet", "--kernel", kernel], capture_output=True, text=True,
                               cwd=ROOT, env=env, timeout=120)
            self.assertEqual(r.returncode, 0, r.stderr[-2000:])
            self.assertEqual("libsystemc" in r.stderr, loaded, kernel)
            self.assertEqual("libstdc++" in r.stderr, loaded, kernel)
            self.assertNotIn("libmpi", r.stderr, kernel)

    def test_a_missing_module_is_named_and_exits_1(self):
        # A copy of the command without its modules beside it (nor installed in this test's
        # prefix) says which file it looked for, where, and stops before building anything.
        lone = os.path.join(self.dir, "membox-sim")
        with open(SIM, "rb") as src, open(lone, "wb") as dst:
            dst.write(src.read())
        os.chmod(lone, 0o755)
        r = subprocess.run([lone, "run", os.path.join(ROOT, "configs/generic-ring.yaml"),
                            "--kernel", "systemc", "--quiet"], capture_output=True, text=True,
                           timeout=120)
        if "neither beside" not in r.stderr and r.returncode == 0:
            self.skipTest("an installed module answered (membox-sim is installed here)")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("cannot load the SystemC kernel: libmembox-sim-sc.so is neither beside "
                      "the executable (%s)" % self.dir, r.stderr)
        self.assertEqual(r.stdout, "")


if __name__ == "__main__":
    SIM, ROOT = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    unittest.main(argv=[sys.argv[0], "-v"])
