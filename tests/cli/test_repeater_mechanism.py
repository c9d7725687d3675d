#!/usr/bin/env python3
"""Smoke test of scripts/experiments/repeater-mechanism (issue 12, item 5; docs/models/
repeater.md section 8): three cases of one iteration (the direct 8-node fabric, Fig. 9's
reading with store-and-forward and with the serial repeater), their CSV and table, and the
mechanism the doc reports: the repeater topology slower than the direct one, the serial
repeater slower still, its output buffer one packet deep. About 20 s on a 2-core machine.

Usage: test_repeater_mechanism.py MEMBOX_SIM SOURCE_ROOT
"""
import csv
import os
import subprocess
import sys
import tempfile
import unittest

SIM = None
ROOT = None
PY = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable


class ThreeCases(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.out = os.path.join(cls.tmp.name, "out")
        cls.r = subprocess.run(
            [PY, os.path.join(ROOT, "scripts", "experiments", "repeater-mechanism"), "--sim",
             SIM, "-j", "2", "--iterations", "1", "--only", "8direct,8fig9-saf,8fig9-serial1",
             "--out", cls.out], capture_output=True, text=True, cwd=ROOT, timeout=240)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def rows(self):
        with open(os.path.join(self.out, "repeater.csv"), newline="") as f:
            return {r["case"]: r for r in csv.DictReader(f)}

    def test_exits_0_with_a_row_per_case(self):
        self.assertEqual(self.r.returncode, 0, self.r.stdout + self.r.stderr)
        self.assertEqual(sorted(self.rows()), ["8direct", "8fig9-saf", "8fig9-serial1"])
        with open(os.path.join(self.out, "repeater.md")) as f:
            table = f.read()
        self.assertIn("| case | iteration_ms | vs_direct_pct |", table)

    def test_the_mechanism(self):
        rows = self.rows()
        direct = float(rows["8direct"]["iteration_ms"])
        saf = float(rows["8fig9-saf"]["iteration_ms"])
        serial = float(rows["8fig9-serial1"]["iteration_ms"])
        self.assertGreater(saf, direct)
        self.assertGreater(serial, saf)
        self.assertAlmostEqual(float(rows["8fig9-saf"]["vs_direct_pct"]),
                               (saf - direct) / direct * 100, places=6)
        self.assertEqual(float(rows["8fig9-serial1"]["up_buffer_max"]), 1.0)
        self.assertGreater(float(rows["8fig9-saf"]["repeater_rtt_ns"]), 0.0)
        self.assertEqual(rows["8direct"]["up_buffer_max"], "")


if __name__ == "__main__":
    SIM, ROOT = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    unittest.main(argv=sys.argv[:1])
