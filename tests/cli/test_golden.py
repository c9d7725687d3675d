#!/usr/bin/env python3
"""Golden statistics: every shipped config (configs/*.yaml) runs to exactly the `stats` section
saved in tests/golden/<config>.stats.gz, byte for byte.

The `stats` section depends only on the topology, its traces and the seed (docs/stats.md), so
any change of a model's timing or of what a config expands to shows here. After an intended
change, re-bless with

    tests/cli/test_golden.py BUILD/sim/cli/membox-sim . --bless

and say in the commit why the figures moved. A config without a golden file fails, so a new
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


def stats_section(json_text):
    """The `stats` section of a --stats file, verbatim, from its key to its closing brace."""
    start = json_text.index('  "stats": {\n')
    end = json_text.index("\n  },\n", start)
    return json_text[start:end + 5]


def golden_path(config):
    return os.path.join(ROOT, "tests", "golden", os.path.basename(config)[:-5] + ".stats.gz")


def run_stats(config, tmp):
    out = os.path.join(tmp, "s.json")
    r = subprocess.run([SIM, "run", config, "--quiet", "--stats", out], cwd=ROOT,
                       capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        raise AssertionError(f"{config}: exit {r.returncode}: {r.stderr}")
    with open(out) as f:
        return stats_section(f.read())


class Golden(unittest.TestCase):
    def test_every_shipped_config_matches_its_golden_statistics(self):
        configs = sorted(glob.glob(os.path.join(ROOT, "configs", "*.yaml")))
        self.assertGreater(len(configs), 10)
        with tempfile.TemporaryDirectory() as tmp:
            for config in configs:
                name = os.path.relpath(config, ROOT)
                with self.subTest(config=name):
                    got = run_stats(name, tmp)
                    path = golden_path(config)
                    if BLESS:
                        with gzip.GzipFile(path, "wb", mtime=0) as g:
                            g.write(got.encode())
                        continue
                    self.assertTrue(os.path.exists(path), f"{name}: no golden file {path}")
                    with gzip.open(path, "rt") as g:
                        want = g.read()
                    if got != want:
                        diff = first_differences(want, got)
                        self.fail(f"{name}: statistics differ from {os.path.relpath(path, ROOT)}"
                                  f" (first differences, golden -> now):\n{diff}")

    def test_every_golden_file_has_its_config(self):
        for path in glob.glob(os.path.join(ROOT, "tests", "golden", "*.stats.gz")):
            config = os.path.join(ROOT, "configs", os.path.basename(path)[:-9] + ".yaml")
            self.assertTrue(os.path.exists(config), f"{path}: no config {config}")


def first_differences(want, got, limit=10):
    a, b = want.splitlines(), got.splitlines()
    ka = {l.split(":")[0]: l for l in a}
    kb = {l.split(":")[0]: l for l in b}
    out = []
    for k in ka:
        if ka[k] != kb.get(k):
            out.append(f"  {ka[k].strip()}  ->  {kb[k].strip() if k in kb else '(missing)'}")
        if len(out) >= limit:
            break
    for k in kb:
        if k not in ka and len(out) < limit:
            out.append(f"  (new) {kb[k].strip()}")
    if not out:
        out.append("  the same keys and values in another order")
    return "\n".join(out)


if __name__ == "__main__":
    SIM, ROOT = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    BLESS = "--bless" in sys.argv[3:]
    unittest.main(argv=sys.argv[:1], verbosity=2)
