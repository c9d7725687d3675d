#!/usr/bin/env python3
"""`membox-sim expand`: every shipped config expands to a flat topology that `check` accepts,
that runs to exactly its golden statistics (tests/golden), and that expands to itself.

Usage: test_expand.py MEMBOX_SIM SOURCE_ROOT
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


def sim(*args, cwd=None):
    return subprocess.run([SIM, *args], capture_output=True, text=True, cwd=cwd or ROOT,
                          timeout=300)


def stats_section(text):
    start = text.index('  "stats": {\n')
    return text[start:text.index("\n  },\n", start) + 5]


def body(flat):
    """The flat text without its first line, which names the file it came from."""
    return flat.split("\n", 1)[1]


class Expand(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.tmp = self._tmp.name

    def tearDown(self):
        self._tmp.cleanup()

    def test_every_shipped_config_round_trips(self):
        configs = sorted(glob.glob(os.path.join(ROOT, "configs", "*.yaml")))
        self.assertGreater(len(configs), 10)
        for config in configs:
            name = os.path.relpath(config, ROOT)
            with self.subTest(config=name):
                # Into another folder than the config's: paths must follow.
                flat = os.path.join(self.tmp, "sub", os.path.basename(config))
                os.makedirs(os.path.dirname(flat), exist_ok=True)
                r = sim("expand", name, "-o", flat)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertEqual(r.stdout, "")
                with open(flat) as f:
                    text = f.read()
                self.assertNotIn("fabric:", text)
                r = sim("check", flat)
                self.assertEqual(r.returncode, 0, r.stderr)
                out = os.path.join(self.tmp, "s.json")
                r = sim("run", flat, "--quiet", "--stats", out)
                self.assertEqual(r.returncode, 0, r.stderr)
                with open(out) as f:
                    got = stats_section(f.read())
                golden = os.path.join(ROOT, "tests", "golden",
                                      os.path.basename(config)[:-5] + ".stats.gz")
                with gzip.open(golden, "rt") as g:
                    self.assertTrue(got == stats_section(g.read()),
                                    f"{name}: the flat form runs differently")
                # The flat form is a fixed point, and stdout has the same body, paths relative
                # to the working folder.
                again = os.path.join(self.tmp, "sub", "again.yaml")
                r = sim("expand", flat, "-o", again)
                self.assertEqual(r.returncode, 0, r.stderr)
                with open(again) as f:
                    self.assertEqual(body(f.read()), body(text))
                r = sim("expand", flat, cwd=os.path.join(self.tmp, "sub"))
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertEqual(body(r.stdout), body(text))

    def test_fabric_section_expands_to_plain_instances(self):
        r = sim("expand", "configs/membox-8node-ct.yaml")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("  mb_ddr3: {type: dram.ctrl}\n", r.stdout)
        self.assertIn("  node1: {type: host.memtrace, trace: traces/mem/fabric-mixed.trace, "
                      "src: 1}\n", r.stdout)
        self.assertIn("  rep0_up: {type: link.mpp, cut_through: true}\n", r.stdout)
        self.assertIn("  - {from: node1_mpp:tx, to: cable0:a_in, depth: 4, latency: 1, sync: 2}\n",
                      r.stdout)

    def test_bad_input_and_usage(self):
        bad = os.path.join(self.tmp, "bad.yaml")
        with open(bad, "w") as f:
            f.write("instances:\n  a: {type: generic.source, rate: 2}\n")
        cases = [
            (["expand"], "membox-sim: 'expand' needs a CONFIG file; see 'membox-sim expand "
                         "--help'"),
            (["expand", "configs/default.yaml", "--bogus"],
             "membox-sim: unknown option '--bogus' for 'expand'; see 'membox-sim expand "
             "--help'"),
            (["expand", "configs/default.yaml", "-o"],
             "membox-sim: option '-o' needs a value; see 'membox-sim expand --help'"),
            (["expand", bad], f"{bad}:2:35: instance 'a': key 'rate': 2 is above the maximum 1"),
        ]
        for args, msg in cases:
            r = sim(*args)
            self.assertEqual(r.returncode, 2, args)
            self.assertEqual(r.stderr.strip(), msg, args)
            self.assertEqual(r.stdout, "", args)

    def test_output_file_is_atomic(self):
        out = os.path.join(self.tmp, "nope", "flat.yaml")  # folder missing
        r = sim("expand", "configs/default.yaml", "-o", out)
        self.assertEqual(r.returncode, 2)
        self.assertIn("flat.yaml: cannot write:", r.stderr)
        bad = os.path.join(self.tmp, "bad.yaml")
        with open(bad, "w") as f:
            f.write("instances: {a: {type: nope}}\n")
        out = os.path.join(self.tmp, "flat.yaml")
        r = sim("expand", bad, "-o", out)
        self.assertEqual(r.returncode, 2)
        self.assertEqual(os.listdir(self.tmp), ["bad.yaml"])

    def test_set_reaches_instances_type_defaults_and_sections(self):
        r = sim("expand", "configs/membox-2node.yaml", "--set", "mb_p0.lanes=2",
                "--set", "pcie.adapter.tags=32", "--set", "fabric.defaults.optical.length=10m",
                "--set", "sim.seed=7")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("  mb_p0: {type: link.spp, lanes: 2}\n", r.stdout)
        self.assertIn("  node1_ad: {type: pcie.adapter, tags: 32, src: 1}\n", r.stdout)
        self.assertIn("  cable0: {type: link.cable, length: 10m}\n", r.stdout)
        self.assertIn("sim: {allow_cycles: true, seed: 7, payload_blocks: 8192}\n", r.stdout)
        # The run records them, and check accepts them.
        out = os.path.join(self.tmp, "s.json")
        r = sim("run", "configs/membox-2node.yaml", "--quiet", "--stats", out,
                "--set", "mb_p0.lanes=2", "--set", "node1_mpp.lanes=2")
        self.assertEqual(r.returncode, 0, r.stderr)
        import json
        with open(out) as f:
            doc = json.load(f)
        self.assertEqual(doc["run"]["overrides"], ["mb_p0.lanes=2", "node1_mpp.lanes=2"])
        r = sim("check", "configs/membox-2node.yaml", "--set", "mb_p0.lanes=2")
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_set_bad_input_names_the_flag(self):
        cases = [
            (["--set", "mb_p0.lanes=9"],
             "--set mb_p0.lanes=9: instance 'mb_p0': key 'lanes': 9 is above the maximum 8"),
            (["--set", "mb_p9.lanes=2"],
             "--set mb_p9.lanes=2: configs/membox-2node.yaml has no instance 'mb_p9'"),
            (["--set", "link.spp.lane=2"],
             "--set link.spp.lane=2: defaults for 'link.spp': unknown key 'lane' (did you mean "
             "'lanes'?)"),
            (["--set", "fabric.nodez.node9=x"],
             "--set fabric.nodez.node9=x: fabric: unknown element kind 'nodez' (did you mean "
             "'nodes'?)"),
            (["--set", "sim.sede=1"],
             "--set sim.sede=1: sim: unknown key 'sede' (did you mean 'seed'?)"),
            (["--set", "lanes=2"],
             "--set lanes=2: 'lanes' is not a path: write SECTION.KEY, TYPE.KEY or INSTANCE.KEY"),
            (["--set", "mb_p0.lanes"],
             "membox-sim: --set 'mb_p0.lanes': expected PATH=VALUE, e.g. mb_p0.lanes=2; see "
             "'membox-sim CMD --help'"),
            (["--set"], "membox-sim: option '--set' needs a value; see 'membox-sim CMD --help'"),
        ]
        for cmd in ("check", "expand", "run"):
            for extra, msg in cases:
                r = sim(cmd, "configs/membox-2node.yaml", *extra)
                self.assertEqual(r.returncode, 2, (cmd, extra, r.stderr))
                self.assertEqual(r.stderr.strip(), msg.replace("CMD", cmd), (cmd, extra))
                self.assertEqual(r.stdout, "", (cmd, extra))

    def test_help(self):
        r = sim("expand", "--help")
        self.assertEqual(r.returncode, 0)
        self.assertIn("usage: membox-sim expand CONFIG [-o OUT]", r.stdout)


if __name__ == "__main__":
    SIM, ROOT = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    unittest.main(argv=sys.argv[:1], verbosity=2)
