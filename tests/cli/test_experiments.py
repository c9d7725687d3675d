#!/usr/bin/env python3
"""Smoke test of scripts/experiments/paper-scaling (issue 7, item 5): the --quick run (MNIST CNN
of the TensorFlow tutorial, 2 iterations, on membox-1node, -2node and -4node) and its outputs,
and the option errors. About 10 s on a 2-core machine.

Usage: test_experiments.py MEMBOX_SIM SOURCE_ROOT
"""
import csv
import os
import subprocess
import sys
import tempfile
import unittest

SIM = None
ROOT = None
# The script needs Debian's python3-matplotlib for its plot, visible only to /usr/bin/python3.
PY = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable


def script(*args):
    return subprocess.run([PY, os.path.join(ROOT, "scripts", "experiments", "paper-scaling"),
                           "--sim", SIM, *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)


def have_matplotlib():
    return subprocess.run([PY, "-c", "import matplotlib"], capture_output=True).returncode == 0


class QuickRun(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.out = os.path.join(cls.tmp.name, "out")
        cls.r = script("--quick", "--out", cls.out)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def rows(self, name):
        with open(os.path.join(self.out, name), newline="") as f:
            return list(csv.DictReader(f))

    def test_exits_0_and_prints_the_table(self):
        self.assertEqual(self.r.returncode, 0, self.r.stderr)
        self.assertIn("estimated wall time", self.r.stdout)
        for head in ("config", "model", "nodes", "iter time", "comm share", "PCIe util",
                     "optical util"):
            self.assertIn(head, self.r.stdout)
        for config in ("membox-1node", "membox-2node", "membox-4node"):
            self.assertIn(config, self.r.stdout)

    def test_results_csv_has_one_row_per_config(self):
        rows = self.rows("results.csv")
        self.assertEqual([(r["config"], r["model"], r["nodes"], r["iterations"]) for r in rows],
                         [("membox-1node", "mnist-tf", "1", "2"),
                          ("membox-2node", "mnist-tf", "2", "2"),
                          ("membox-4node", "mnist-tf", "4", "2")])
        for r in rows:
            self.assertGreater(float(r["iteration_ms"]), 0, r)
            self.assertGreaterEqual(float(r["iteration_ms_max"]), float(r["iteration_ms"]), r)
            # Communication share is 1 - compute / iteration time: strictly between 0 and 1
            # (there is compute, and every iteration moves the model both ways).
            self.assertGreater(float(r["comm_share"]), 0, r)
            self.assertLess(float(r["comm_share"]), 1, r)
            self.assertGreater(float(r["pcie_util"]), 0, r)
            self.assertLessEqual(float(r["pcie_util"]), 1, r)
            # The 1-node config has no optical link (the MemBox host's own PCIe slot); the
            # others have one per adapter node.
            if r["nodes"] == "1":
                self.assertEqual(r["optical_util"], "", r)
            else:
                self.assertGreater(float(r["optical_util"]), 0, r)
                self.assertLessEqual(float(r["optical_util"]), 1, r)

    def test_iteration_time_does_not_shrink_with_more_nodes(self):
        # Weak scaling: every worker has the same batch and compute time and pulls and pushes
        # the whole model each iteration, while the MemBox (one DDR3, and the aggregator, which
        # reads the parameters and all W gradient slots through node0's one PCIe link) is
        # shared. More workers add traffic and aggregation work and take nothing away, so the
        # mean iteration time must not decrease from 1 to 2 to 4 nodes. (For MNIST the
        # transfers dominate, so it in fact grows; we assert only the monotonicity.)
        t = [float(r["iteration_ms"]) for r in self.rows("results.csv")]
        self.assertLessEqual(t[0], t[1], t)
        self.assertLessEqual(t[1], t[2], t)

    def test_nodes_csv_per_node_and_lower_bound(self):
        rows = self.rows("nodes.csv")
        self.assertEqual([(r["config"], r["node"]) for r in rows],
                         [("membox-1node", "node0")]
                         + [("membox-2node", "node%d" % k) for k in range(2)]
                         + [("membox-4node", "node%d" % k) for k in range(4)])
        for r in rows:
            self.assertEqual(r["iterations"], "2", r)
            # docs/workloads.md section 4: an iteration is never shorter than its compute.
            self.assertGreater(float(r["iteration_ns"]), float(r["compute_ns"]) / 2, r)

    def test_png_next_to_the_csv(self):
        if not have_matplotlib():
            self.skipTest("matplotlib is not importable by %s (install Debian's "
                          "python3-matplotlib): the plot is not checked" % PY)
        png = os.path.join(self.out, "paper-scaling.png")
        self.assertTrue(os.path.isfile(png), self.r.stdout + self.r.stderr)
        with open(png, "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")


class BadOptions(unittest.TestCase):
    def test_bad_options_exit_2_with_a_message(self):
        with tempfile.TemporaryDirectory() as d:
            afile = os.path.join(d, "file")
            open(afile, "w").close()
            cases = [
                (["--models", "alexnet"], "--models: unknown model 'alexnet'"),
                (["--configs", "membox-3node"], "--configs: unknown config 'membox-3node'"),
                (["--iterations", "0"], "--iterations 0: must be at least 1"),
                (["-j", "0"], "-j 0: must be at least 1"),
                (["--quick", "--models", "resnet50"], "do not combine it with --models"),
                (["--out", afile], "exists and is not a folder"),
                (["--bogus"], "unrecognized arguments: --bogus"),
            ]
            for args, msg in cases:
                r = script(*args)
                self.assertEqual(r.returncode, 2, (args, r.stdout, r.stderr))
                self.assertIn(msg, r.stderr, args)
                self.assertIn("usage: paper-scaling", r.stderr, args)
                self.assertEqual(os.listdir(d), ["file"], args)


if __name__ == "__main__":
    SIM, ROOT = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    unittest.main(argv=[sys.argv[0], "-v"])
