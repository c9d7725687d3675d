#!/usr/bin/env python3
"""The experiment workflow of the command (issue 15): `compare` with tolerances, the run
metadata beside the statistics, the short summary and --verbose, exact percentiles, --progress,
and outputs that stay atomic (a CSV conflict found before the run, nothing left behind).

Usage: test_workflow.py MEMBOX_SIM SOURCE_ROOT
"""
import gzip
import json
import os
import pty
import signal
import subprocess
import sys
import tempfile
import unittest

SIM = None
ROOT = None


def run(*args, cwd=None, **kw):
    return subprocess.run([SIM, *args], capture_output=True, text=True, cwd=cwd or ROOT,
                          timeout=120, **kw)


class Base(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def path(self, name):
        return os.path.join(self.dir, name)

    def write(self, name, text):
        with open(self.path(name), "w") as f:
            f.write(text)
        return self.path(name)

    def stats(self, config, name, *flags):
        out = self.path(name)
        r = run("run", config, "--quiet", "--stats", out, *flags)
        self.assertEqual(r.returncode, 0, r.stderr)
        return out


class Compare(Base):
    def test_two_runs_of_one_config_are_within_tolerance_meta_ignored(self):
        a = self.stats("configs/membox-1node.yaml", "a.json")
        b = self.stats("configs/membox-1node.yaml", "b.json", "--kernel", "every-cycle")
        r = run("compare", a, b)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("result: within tolerance", r.stdout)
        self.assertRegex(r.stdout, r"\d+ keys compared: \d+ equal, 0 within tolerance, 0 beyond")

    def test_a_change_is_beyond_the_default_exact_tolerance_largest_first(self):
        a = self.stats("configs/dram-standalone.yaml", "a.json")
        b = self.stats("configs/dram-standalone.yaml", "b.json", "--set", "dram.CL=12")
        r = run("compare", a, b)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("result: BEYOND tolerance", r.stdout)
        lines = r.stdout.splitlines()
        head = next(i for i, l in enumerate(lines) if l.startswith("key"))
        rows = []
        for l in lines[head + 1:]:
            if not l.strip():
                break
            rows.append(l)
        changes = [abs(float(l.split()[3].rstrip("%"))) for l in rows]
        self.assertGreater(len(changes), 3)
        self.assertEqual(changes, sorted(changes, reverse=True))
        self.assertTrue(all(l.endswith("BEYOND") for l in rows))
        # The read latency avg of a one-cycle longer CAS latency moved by one DRAM cycle.
        with open(a) as fa, open(b) as fb:
            sa, sb = json.load(fa)["stats"], json.load(fb)["stats"]
        self.assertEqual(sb["dram.read_latency_avg_cycles"],
                         sa["dram.read_latency_avg_cycles"] + 1.0)
        # A tolerance that covers the largest change makes it pass; a smaller one does not.
        big = "%g" % (changes[0] * 1.01)
        small = "%g" % (changes[0] * 0.5)
        self.assertEqual(run("compare", a, b, "--tolerance", "*=" + big).returncode, 0)
        self.assertEqual(run("compare", a, b, "--tolerance", "*=" + small).returncode, 1)
        # The last matching rule decides: a file's rules first, then the flags.
        rules = self.write("tol.txt", "# all loose\n*  %s%%\n\n  dram.*   0  # exact\n" % big)
        self.assertEqual(run("compare", a, b, "--tolerances", rules).returncode, 1)
        self.assertEqual(run("compare", a, b, "--tolerances", rules,
                             "--tolerance", "dram.*=" + big).returncode, 0)

    def test_keys_in_one_file_only_are_reported_and_beyond_tolerance(self):
        a = self.write("a.json", '{"stats": {"x": 1, "y": 2}}')
        b = self.write("b.json", '{"stats": {"x": 1, "z": 2}, "meta": {"host": "h"}}')
        r = run("compare", a, b, "--tolerance", "*=100")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertRegex(r.stdout, r"\ny +2 +- +only in BASE")
        self.assertRegex(r.stdout, r"\nz +- +2 +only in NEW")
        self.assertIn("1 only in BASE, 1 only in NEW", r.stdout)

    def test_relative_change_zero_base_and_null(self):
        a = self.write("a.json", '{"stats": {"a": 200, "b": 0, "c": null, "d": null, "e": 5}}')
        b = self.write("b.json", '{"stats": {"a": 201, "b": 1, "c": null, "d": 1.5, "e": 5.0}}')
        r = run("compare", a, b, "--tolerance", "a=0.5")
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stdout, r"\na +200 +201 +\+0\.5% +0\.5%\n")
        self.assertRegex(r.stdout, r"\nb +0 +1 +new \(base 0\) +0% +BEYOND")
        self.assertRegex(r.stdout, r"\nd +null +1\.5 +null changed")
        self.assertIn("5 keys compared: 2 equal, 1 within tolerance, 2 beyond", r.stdout)

    def test_gzip_files_are_read(self):
        a = self.stats("configs/membox-1node.yaml", "a.json")
        with open(a, "rb") as f, gzip.open(self.path("a.json.gz"), "wb") as g:
            g.write(f.read())
        self.assertEqual(run("compare", self.path("a.json.gz"), a).returncode, 0)

    def test_bad_input_exits_2_naming_file_line_column_or_flag(self):
        good = self.write("good.json", '{"stats": {"x": 1}}')
        cases = [
            ('{"stats": {"x": 1,\n  "y": }}', "bad.json:2:8: bad JSON: statistic 'y': expected a number or null"),
            ('{"stats": {"x": 1}', "bad.json:1:19: bad JSON: expected '}', found the end of the file"),
            ('{"stats": {"x": 01}}', "bad.json:1:18: bad JSON: expected '}', found this character"),
            ('[1, 2]', "bad.json:1:1: bad JSON: expected '{' (a membox-sim --stats file)"),
            ('{"run": {}}', "bad.json: no \"stats\" object: not a membox-sim --stats file"),
            ('{"stats": {"x": 1, "x": 2}}', "bad.json: statistic 'x' appears twice"),
            ('{"stats": {}} x', "bad.json:1:15: bad JSON: text after the end of the document"),
            ('', "bad.json:1:1: bad JSON: expected '{' (a membox-sim --stats file), found the end"),
        ]
        for text, msg in cases:
            bad = self.write("bad.json", text)
            r = run("compare", good, bad)
            self.assertEqual(r.returncode, 2, text)
            self.assertTrue(r.stderr.startswith(bad[:-len("bad.json")] + msg), (text, r.stderr))
            self.assertEqual(r.stdout, "")
        r = run("compare", good, self.path("missing.json"))
        self.assertEqual(r.returncode, 2)
        self.assertIn("missing.json: cannot read", r.stderr)
        rule_cases = [
            ("*.p99\n", "tol.txt:1:6: expected 'GLOB PCT'"),
            ("# c\n*.p99 two\n", "tol.txt:2:7: 'two' is not a percentage"),
            ("*.p99 -1\n", "tol.txt:1:7: '-1' is not a percentage"),
            ("*.p99 1 2\n", "tol.txt:1:9: unexpected text after the percentage"),
        ]
        for text, msg in rule_cases:
            tol = self.write("tol.txt", text)
            r = run("compare", good, good, "--tolerances", tol)
            self.assertEqual(r.returncode, 2, text)
            self.assertTrue(r.stderr.startswith(tol[:-len("tol.txt")] + msg), (text, r.stderr))
        flag_cases = [
            (["--tolerance", "x"], "membox-sim: --tolerance 'x': expected GLOB=PCT"),
            (["--tolerance", "x=abc"], "membox-sim: --tolerance 'x=abc': expected GLOB=PCT"),
            (["--tolerance"], "membox-sim: option '--tolerance' needs a value"),
            (["--bogus"], "membox-sim: unknown option '--bogus' for 'compare'"),
            (["--tolerances", "a", "--tolerances", "b"], "membox-sim: --tolerances given twice"),
        ]
        for flags, msg in flag_cases:
            r = run("compare", good, good, *flags)
            self.assertEqual(r.returncode, 2, flags)
            self.assertTrue(r.stderr.startswith(msg), (flags, r.stderr))
            self.assertIn("see 'membox-sim compare --help'", r.stderr)
        for args in ([], [good], [good, good, good]):
            r = run("compare", *args)
            self.assertEqual(r.returncode, 2, args)
        r = run("compare", "--help")
        self.assertEqual(r.returncode, 0)
        self.assertIn("exit codes", r.stdout)


class Meta(Base):
    def test_meta_section_and_stats_byte_identical_across_reruns_and_kernels(self):
        a = self.stats("configs/membox-2node.yaml", "a.json", "--set", "dram.ctrl.CL=11")
        b = self.stats("configs/membox-2node.yaml", "b.json", "--set", "dram.ctrl.CL=11",
                       "--kernel", "every-cycle")
        c = self.stats("configs/membox-2node.yaml", "c.json", "--set", "dram.ctrl.CL=11")
        texts = []
        for p in (a, b, c):
            with open(p) as f:
                t = f.read()
            texts.append(t[:t.index('  "host": {')])
        self.assertEqual(texts[0], texts[1])
        self.assertEqual(texts[0], texts[2])
        with open(a) as fa, open(b) as fb:
            ma, mb = json.load(fa)["meta"], json.load(fb)["meta"]
        self.assertEqual(sorted(ma), ["config", "config_hash", "git_describe", "host", "kernel",
                                      "overrides", "seed", "started_utc", "version",
                                      "wall_seconds"])
        self.assertEqual(ma["overrides"], ["dram.ctrl.CL=11"])
        self.assertEqual((ma["kernel"], mb["kernel"]), ("fast", "every-cycle"))
        self.assertEqual(ma["seed"], 1)
        self.assertRegex(ma["config_hash"], r"^fnv1a64:[0-9a-f]{16}$")
        self.assertEqual(ma["config_hash"], mb["config_hash"])
        self.assertTrue(ma["git_describe"])
        self.assertEqual(ma["version"], run("version").stdout.split()[1])
        self.assertRegex(ma["started_utc"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertGreater(ma["wall_seconds"], 0)
        # Another value, another hash.
        d = self.stats("configs/membox-2node.yaml", "d.json")
        e = self.stats("configs/membox-2node.yaml", "e.json", "--set", "dram.ctrl.CL=12")
        with open(d) as fd, open(e) as fe:
            md, me = json.load(fd)["meta"], json.load(fe)["meta"]
        self.assertEqual(md["overrides"], [])
        self.assertNotEqual(me["config_hash"], ma["config_hash"])
        self.assertNotEqual(me["config_hash"], md["config_hash"])
        # From another working folder the hash is the same (paths relative to the config).
        f = self.path("f.json")
        r = run("run", os.path.join(ROOT, "configs/membox-2node.yaml"), "--quiet", "--stats", f,
                cwd=self.dir)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(f) as ff:
            self.assertEqual(json.load(ff)["meta"]["config_hash"], md["config_hash"])


class Summary(Base):
    def test_default_summary_is_short_and_by_role(self):
        r = run("run", "configs/membox-64node-tree.yaml")
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        self.assertLess(len(lines), 40, r.stdout)
        for section in ("throughput", "latency", "utilisation", "retries and errors"):
            self.assertIn(section, lines)
        self.assertTrue(lines[2].startswith("simulated   "))
        # 64 nodes: one line over all of them, with the instance count.
        self.assertRegex(r.stdout, r"\n  \S+\.\.\S+\.latency_ns +n=\d+ avg=\S+ p50=\S+\.\.\S+ "
                                   r"p99=\S+\.\.\S+ max=\S+ ns  \[65 instances\]\n")
        self.assertIn("--verbose", lines[-1])

    def test_workload_figures_and_true_percentiles(self):
        out = self.path("s.json")
        r = run("run", "configs/ps-2node.yaml", "--stats", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("\nworkload\n", r.stdout)
        with open(out) as f:
            doc = json.load(f)
        s = doc["stats"]
        # Two iterations: p50 is the first (nearest rank 1), p90 the second; both are samples.
        self.assertEqual(s["node0.iteration_ns.count"], 2)
        self.assertEqual(s["node0.iteration_ns.p50"], s["node0.iteration_ns.min"])
        self.assertEqual(s["node0.iteration_ns.p90"], s["node0.iteration_ns.max"])
        self.assertRegex(r.stdout, r"\n  node0\.iteration_ns +n=2 avg=\S+ p50=%g p99=%g max=%g ns\n"
                         % (s["node0.iteration_ns.min"], s["node0.iteration_ns.max"],
                            s["node0.iteration_ns.max"]))
        # Estimates only where a histogram holds more samples than it keeps (1024).
        self.assertGreater(len(doc["estimated"]), 0)
        for key in doc["estimated"]:
            self.assertRegex(key, r"\.p(50|90|99|999)$")
            self.assertGreater(s[key.rsplit(".", 1)[0] + ".count"], 1024, key)
            self.assertIsInstance(s[key], float)

    def test_verbose_prints_every_statistic_by_instance(self):
        short = run("run", "configs/default.yaml")
        full = run("run", "configs/default.yaml", "--verbose")
        self.assertEqual(full.returncode, 0, full.stderr)
        self.assertGreater(len(full.stdout.splitlines()), 3 * len(short.stdout.splitlines()))
        self.assertIn("\nnode0\n  records ", full.stdout)
        self.assertIn("\nhost\n  kernel ", full.stdout)


class Progress(Base):
    def test_plain_lines_with_an_eta_from_the_workload_without_until(self):
        r = run("run", "configs/ps-2node.yaml", "--progress", "--quiet")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "")
        lines = r.stderr.splitlines()
        self.assertNotIn("\r", r.stderr)
        self.assertRegex(lines[0], r"^membox-sim: +\d+\.\d% +[\d.]+ us simulated .* ETA [\d.]+ s$")
        self.assertRegex(lines[-1], r"^membox-sim: [\d.]+ us simulated .* done$")

    def test_no_eta_without_until_or_workload_end(self):
        # An endless source (count 0) and no --until: nothing tells the end, so no ETA; the
        # run is stopped with SIGINT once it has said so.
        cfg = self.write("endless.yaml",
                         "instances:\n  src: {type: generic.source, count: 0}\n"
                         "  snk: {type: generic.sink}\n"
                         "links:\n  - {from: src:out, to: snk:in}\n")
        p = subprocess.Popen([SIM, "run", cfg, "--progress", "--quiet"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        try:
            first = p.stderr.readline()
        finally:
            p.send_signal(signal.SIGINT)
            p.communicate(timeout=60)
        self.assertIn("(no ETA: no --until, no workload end)", first)
        self.assertEqual(p.returncode, 130)

    def test_eta_from_the_sources_count_without_until(self):
        r = run("run", "configs/generic-fanin.yaml", "--progress", "--quiet")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stderr.splitlines()[0], r" ETA [\d.]+ s$")

    def test_one_line_rewritten_in_place_on_a_terminal(self):
        master, slave = pty.openpty()
        try:
            p = subprocess.run([SIM, "run", "configs/ps-2node.yaml", "--progress", "--quiet"],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=slave, timeout=120)
            os.close(slave)
            slave = None
            data = b""
            while True:
                try:
                    chunk = os.read(master, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                data += chunk
        finally:
            if slave is not None:
                os.close(slave)
            os.close(master)
        self.assertEqual(p.returncode, 0)
        text = data.decode()
        self.assertTrue(text.startswith("\rmembox-sim: "), repr(text[:80]))
        self.assertIn("\x1b[K", text)
        # Only the final line ends with a line break (the terminal adds \r to it).
        self.assertEqual(text.count("\n"), 1, repr(text))
        self.assertTrue(text.rstrip("\r\n").endswith("done\x1b[K"), repr(text[-80:]))


class Atomic(Base):
    def test_csv_conflict_is_found_before_the_run_and_leaves_nothing(self):
        csv_path = self.path("sweep.csv")
        r = run("run", "configs/membox-1node.yaml", "--quiet", "--csv", csv_path)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(csv_path) as f:
            before = f.read()
        # Another topology: its header differs. With --progress, a run that started would
        # report; the conflict must stop it first, and the --stats JSON must not appear.
        out = self.path("s.json")
        r = run("run", "configs/ps-2node.yaml", "--progress", "--quiet", "--csv", csv_path,
                "--stats", out)
        self.assertEqual(r.returncode, 2)
        self.assertEqual(r.stderr, f"{csv_path}:1:1: the CSV header differs from this run's "
                                   "statistics (another topology?); give another --csv file\n")
        self.assertEqual(sorted(os.listdir(self.dir)), ["sweep.csv"])
        with open(csv_path) as f:
            self.assertEqual(f.read(), before)

    def test_failed_run_leaves_neither_json_nor_csv(self):
        cfg = self.write("pool.yaml",
                         "sim: {packets: 8}\ninstances:\n"
                         "  src: {type: generic.source, count: 100}\n"
                         "  q: {type: generic.delay, depth: 100}\n"
                         "  snk: {type: generic.sink, accept_every: 1000}\n"
                         "links:\n  - {from: src:out, to: q:in}\n  - {from: q:out, to: snk:in}\n")
        r = run("run", cfg, "--quiet", "--csv", self.path("r.csv"), "--stats",
                self.path("s.json"))
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertEqual(sorted(os.listdir(self.dir)), ["pool.yaml"])

    def test_unwritable_csv_folder_is_found_before_the_run(self):
        r = run("run", "configs/ps-2node.yaml", "--progress", "--quiet", "--csv",
                self.path("no/such/dir/r.csv"), "--stats", self.path("s.json"))
        self.assertEqual(r.returncode, 2)
        self.assertIn("r.csv: cannot write: No such file or directory", r.stderr)
        self.assertNotIn("simulated", r.stderr)
        self.assertEqual(os.listdir(self.dir), [])


if __name__ == "__main__":
    SIM, ROOT = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    unittest.main(argv=sys.argv[:1], verbosity=2)
