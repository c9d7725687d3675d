#!/usr/bin/env python3
"""Golden statistics: every shipped config (configs/*.yaml) runs to the statistics saved in
tests/golden/<config>.stats.gz, checked by `membox-sim compare` with the rules of
tests/golden/tolerances.txt (every key exact: the simulator is deterministic).

The `stats` section depends only on the topology, its traces and the seed (docs/stats.md), so
any change of a model's timing or of what a config expands to shows here. After an intended
change, re-bless with

    tests/cli/test_golden.py BUILD/sim/cli/membox-sim . --bless

check with `git diff --stat tests/golden` and `membox-sim compare` of the old and new file
that only what you meant to change moved, and say in the commit why the figures moved
(docs/testing.md, "Golden statistics"). A config without a golden file fails, so a new
shipped config comes with its golden file.

Usage: test_golden.py MEMBOX_SIM SOURCE_ROOT [--bless]
"""
import glob
import gzip
import os
import subprocess
import sys
import tempfile
import unittest

SIM = None
ROOT = None
BLESS = False


def golden_doc(json_text):
    """What a golden file keeps of a --stats file: the deterministic sections (schema, run,
    stats, estimated), verbatim, as a JSON document of their own."""
    end = json_text.index('  "host": {\n')
    return json_text[:end].rstrip().rstrip(",") + "\n}\n"


def golden_path(config):
    return os.path.join(ROOT, "tests", "golden", os.path.basename(config)[:-5] + ".stats.gz")


TOLERANCES = None


def run_stats(config, out, *extra):
    r = subprocess.run([SIM, "run", config, "--quiet", "--stats", out, *extra], cwd=ROOT,
                       capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        raise AssertionError(f"{config}: exit {r.returncode}: {r.stderr}")


def compare(golden, new):
    return subprocess.run([SIM, "compare", golden, new, "--tolerances", TOLERANCES], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)


class Golden(unittest.TestCase):
    def test_every_shipped_config_matches_its_golden_statistics(self):
        configs = sorted(glob.glob(os.path.join(ROOT, "configs", "*.yaml")))
        self.assertGreater(len(configs), 10)
        with tempfile.TemporaryDirectory() as tmp:
            for config in configs:
                name = os.path.relpath(config, ROOT)
                with self.subTest(config=name):
                    out = os.path.join(tmp, "s.json")
                    run_stats(name, out)
                    path = golden_path(config)
                    if BLESS:
                        with open(out) as f:
                            doc = golden_doc(f.read())
                        with gzip.GzipFile(path, "wb", mtime=0) as g:
                            g.write(doc.encode())
                        continue
                    self.assertTrue(os.path.exists(path), f"{name}: no golden file {path}")
                    r = compare(path, out)
                    if r.returncode != 0:
                        report = "\n".join(r.stdout.splitlines()[:30])
                        self.fail(f"{name}: statistics differ from {os.path.relpath(path, ROOT)}"
                                  f" (compare exit {r.returncode}):\n{report}{r.stderr}")

    def test_one_cycle_more_of_a_dram_timing_fails_the_golden_compare(self):
        """The check can fail: CAS latency 11 -> 12 DRAM cycles, on the standalone DRAM config
        (an instance key) and on a fabric (the type default of every DDR3 controller)."""
        with tempfile.TemporaryDirectory() as tmp:
            for config, override in (("configs/dram-standalone.yaml", "dram.CL=12"),
                                     ("configs/membox-2node.yaml", "dram.ctrl.CL=12")):
                with self.subTest(config=config):
                    out = os.path.join(tmp, "s.json")
                    run_stats(config, out, "--set", override)
                    r = compare(golden_path(config), out)
                    self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
                    self.assertIn("result: BEYOND tolerance", r.stdout)
                    self.assertIn("read_latency", r.stdout)
                    # and without the override the same config is within tolerance
                    run_stats(config, out)
                    self.assertEqual(compare(golden_path(config), out).returncode, 0)

    def test_every_golden_file_has_its_config(self):
        for path in glob.glob(os.path.join(ROOT, "tests", "golden", "*.stats.gz")):
            config = os.path.join(ROOT, "configs", os.path.basename(path)[:-9] + ".yaml")
            self.assertTrue(os.path.exists(config), f"{path}: no config {config}")


if __name__ == "__main__":
    SIM, ROOT = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    TOLERANCES = os.path.join(ROOT, "tests", "golden", "tolerances.txt")
    BLESS = "--bless" in sys.argv[3:]
    unittest.main(argv=sys.argv[:1], verbosity=2)
