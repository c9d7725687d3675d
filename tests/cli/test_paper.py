#!/usr/bin/env python3
"""Test of scripts/experiments/paper (issue 12 item 4): the plan (--dry-run), one real small run
on the tiny traces of traces/ps/ (1 and 2 nodes, MemBox and the parameter server over
InfiniBand), its paper.csv, paper.md, paper.png and runs/, and bad options (exit 2). A few
seconds on a 2-core machine, most of it matplotlib's start-up.

Usage: test_paper.py MEMBOX_SIM SOURCE_ROOT
"""
import csv
import json
import os
import subprocess
import sys
import tempfile
import unittest

SIM = None
ROOT = None
# The script needs Debian's python3-matplotlib for its plot, visible only to /usr/bin/python3.
PY = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
TINY = "mnist=traces/ps/tiny-w{workers}-i2.pstrace"
COLUMNS = ["model", "nodes", "system", "time_s", "reduction_pct", "paper_pct"]


def script(*args):
    return subprocess.run([PY, os.path.join(ROOT, "scripts", "experiments", "paper"),
                           "--sim", SIM, *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=240)


def have_matplotlib():
    return subprocess.run([PY, "-c", "import matplotlib"], capture_output=True).returncode == 0


class DryRun(unittest.TestCase):
    def test_plan_lists_every_run_and_writes_nothing(self):
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "out")
            r = script("--models", "mnist", "--nodes", "1,2,8", "--trace", TINY,
                       "--set", "membox:sync=bsp", "--set", "all:compute_factor=0.5",
                       "--dry-run", "--out", out)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertFalse(os.path.exists(out), "a dry run writes nothing")
            lines = [l for l in r.stdout.splitlines() if l.startswith("  mnist-")]
            names = sorted(l.split()[0] for l in lines)
            # Direct ports at 1 and 2 nodes, both repeater kinds at 8, the parameter server at
            # every count: 7 runs.
            self.assertEqual(names, sorted([
                "mnist-1n-membox-direct", "mnist-1n-ps-ib", "mnist-2n-membox-direct",
                "mnist-2n-ps-ib", "mnist-8n-membox-saf", "mnist-8n-membox-ct",
                "mnist-8n-ps-ib"]))
            self.assertIn("7 runs", r.stdout)
            by = {l.split()[0]: l for l in lines}
            self.assertIn("configs/membox-8node-saf.yaml", by["mnist-8n-membox-saf"])
            self.assertIn("configs/membox-8node-ct.yaml", by["mnist-8n-membox-ct"])
            self.assertIn("ps_cluster.workers=8", by["mnist-8n-ps-ib"])
            self.assertIn("tiny-w8-i2.pstrace", by["mnist-8n-ps-ib"])
            # The settings table (sync: async, TensorFlow's default) reaches the parameter
            # server's workers; --set membox:... overrides it on the MemBox systems only.
            self.assertIn("ps_cluster.worker.sync=async", by["mnist-1n-ps-ib"])
            for n in ("mnist-1n-membox-direct", "mnist-8n-membox-saf", "mnist-8n-membox-ct"):
                self.assertIn("fabric.workload.sync=bsp", by[n])
                self.assertIn("fabric.workload.type=host.ps", by[n])
                # the window: the trace's 2 iterations
                self.assertIn("fabric.workload.iterations=2", by[n])
            # The compute factor reaches every run: as host.ps's compute_factor, or where the
            # simulator has none as compute: scaled by the same factor (said in the output).
            for n, line in by.items():
                self.assertTrue("compute_factor=0.5" in line or
                                ("compute=scaled" in line and "compute_scale=0.5" in line), line)


class SmallRun(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.out = os.path.join(cls.tmp.name, "out")
        cls.r = script("--models", "mnist", "--nodes", "1,2", "--trace", TINY, "-j", "2",
                       "--out", cls.out)
        cls.rows = []
        path = os.path.join(cls.out, "paper.csv")
        if os.path.exists(path):
            with open(path, newline="") as f:
                rd = csv.DictReader(f)
                cls.header = rd.fieldnames
                cls.rows = list(rd)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def row(self, nodes, system):
        return next(r for r in self.rows if r["nodes"] == str(nodes) and r["system"] == system)

    def test_exits_0(self):
        self.assertEqual(self.r.returncode, 0, self.r.stdout + self.r.stderr)

    def test_csv_columns_and_rows(self):
        self.assertEqual(self.header[:len(COLUMNS)], COLUMNS)
        self.assertEqual([(r["model"], r["nodes"], r["system"]) for r in self.rows],
                         [("mnist", "1", "membox-direct"), ("mnist", "1", "ps-ib"),
                          ("mnist", "2", "membox-direct"), ("mnist", "2", "ps-ib")])
        for r in self.rows:
            self.assertGreater(float(r["time_s"]), 0, r)
            self.assertEqual(r["iterations"], "2", r)

    def test_reduction_is_ps_minus_membox_over_ps(self):
        for n in (1, 2):
            mb, ps = self.row(n, "membox-direct"), self.row(n, "ps-ib")
            want = 100 * (float(ps["time_s"]) - float(mb["time_s"])) / float(ps["time_s"])
            self.assertAlmostEqual(float(mb["reduction_pct"]), want, places=2)
            self.assertEqual(ps["reduction_pct"], "", "the baseline has no reduction")

    def test_paper_column(self):
        # Fig. 10: 44% at 1 node, 35% at 2, on the MemBox rows only.
        self.assertEqual(self.row(1, "membox-direct")["paper_pct"], "44")
        self.assertEqual(self.row(2, "membox-direct")["paper_pct"], "35")
        self.assertEqual(self.row(1, "ps-ib")["paper_pct"], "")

    def test_time_is_the_mean_per_node_time_of_the_statistics(self):
        for r in self.rows:
            path = os.path.join(self.out, r["stats"])
            self.assertTrue(path.startswith(os.path.join(self.out, "runs") + os.sep), r)
            with open(path) as f:
                s = json.load(f)["stats"]
            w = int(r["workers"])
            self.assertEqual(w, int(r["nodes"]))
            per_node = [s["node%d.train_ns" % k] if "node%d.train_ns" % k in s
                        else s["node%d.last_done_ns" % k] - s["node%d.first_start_ns" % k]
                        for k in range(w)]
            self.assertAlmostEqual(float(r["time_s"]), sum(per_node) / w / 1e9, places=9)
            for k in range(w):
                self.assertEqual(s["node%d.iterations" % k], 2)
            self.assertTrue(os.path.isfile(path[:-len(".json")] + ".log"))

    def test_md_has_the_table_and_the_assumptions(self):
        with open(os.path.join(self.out, "paper.md")) as f:
            md = f.read()
        for text in ("| model | nodes | system |", "compute factor", "window 2 iteration(s)",
                     "time per node", "## Workload assumptions", "## Settings that ran",
                     "`sync=async`"):
            self.assertIn(text, md)
        for r in self.rows:
            self.assertIn("| mnist | %s | %s |" % (r["nodes"], r["system"]), md)

    def test_png(self):
        if not have_matplotlib():
            self.skipTest("matplotlib is not importable by %s (install Debian's "
                          "python3-matplotlib): the plot is not checked" % PY)
        with open(os.path.join(self.out, "paper.png"), "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")


class BadInput(unittest.TestCase):
    def test_bad_options_exit_2_with_a_message(self):
        with tempfile.TemporaryDirectory() as d:
            afile = os.path.join(d, "file")
            open(afile, "w").close()
            out = os.path.join(d, "out")
            cases = [
                (["--out", out, "--models", "alexnet"], "--models: unknown model 'alexnet'"),
                (["--out", out, "--nodes", "3"], "no MemBox topology for 3 nodes"),
                (["--out", out, "--nodes", "1,1"], "'1' is listed twice"),
                (["--out", out, "--nodes", "two"], "'two' is not a number"),
                (["--out", out, "--systems", "nvlink"], "unknown system 'nvlink'"),
                (["--out", out, "--window", "mnist=0"], "--window mnist=0: must be at least 1"),
                (["--out", out, "--window", "mnist"], "expected MODEL=VALUE"),
                (["--out", out, "--trace", "vgg=x.pstrace"], "unknown model 'vgg'"),
                (["--out", out, "--trace", "mnist=w{n}.pstrace"], "braces other than"),
                (["--out", out, "--set", "sync=bsp"], "expected SYSTEM:KEY=VALUE"),
                (["--out", out, "--set", "gpu:sync=bsp"], "unknown system 'gpu'"),
                (["--out", out, "-j", "0"], "-j 0: must be at least 1"),
                (["--out", afile], "exists and is not a folder"),
                ([], "--out DIR is required"),
                (["--out", out, "--bogus"], "unrecognized arguments: --bogus"),
            ]
            for args, msg in cases:
                r = script(*args)
                self.assertEqual(r.returncode, 2, (args, r.stdout, r.stderr))
                self.assertIn(msg, r.stderr, args)
                self.assertIn("usage: paper", r.stderr, args)
                self.assertEqual(os.listdir(d), ["file"], args)

    def test_bad_values_found_before_running_exit_2(self):
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "out")
            cases = [
                # a host.ps key the simulator does not have, or a value it does not take
                (["--trace", TINY, "--set", "membox:speed=9"], "host.ps has no key 'speed'"),
                (["--trace", TINY, "--set", "ps-ib:sync=sometimes"], "host.ps key 'sync' takes"),
                # a membox-sim path: membox-sim check rejects it, naming the run
                (["--trace", TINY, "--set", "ps-ib:ps_cluster.transport=pigeon"],
                 "mnist-1n-ps-ib"),
                (["--trace", "mnist=traces/ps/none-{workers}.pstrace"], "no such file"),
                # the same on a generated trace: written into a temporary folder for the check
                (["--set", "membox:dram.ctrl.refresh=sometimes"], "mnist-1n-membox-direct"),
            ]
            for args, msg in cases:
                r = script("--models", "mnist", "--nodes", "1", "--out", out, *args)
                self.assertEqual(r.returncode, 2, (args, r.stdout, r.stderr))
                self.assertIn(msg, r.stderr, args)
                self.assertFalse(os.path.exists(out), "nothing written: %s" % args)


if __name__ == "__main__":
    SIM, ROOT = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    unittest.main(argv=[sys.argv[0], "-v"])
