#!/usr/bin/env python3
"""`membox-sim sweep` (docs/sweeps.md): 12 points over 2 parameters and 2 seeds with -j 2 and
under `mpirun -n 2` to the same CSV, every point's statistics equal to its own `run`, resume,
a failed point that does not stop the others, zipped groups, the Slurm modes (--list, --point,
--collect), and bad input (exit 2 naming spec:line:col, nothing run or written).

Usage: test_sweep.py MEMBOX_SIM SOURCE_ROOT HAVE_MPI(0|1)
"""
import csv
import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

SIM = None
ROOT = None
HAVE_MPI = False

BASE = "configs/membox-2node.yaml"


def sim(*args, cwd=None, timeout=120):
    return subprocess.run([SIM, *args], capture_output=True, text=True, cwd=cwd or ROOT,
                          timeout=timeout)


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.reader(f))


def stats_of(path):
    with open(path) as f:
        return json.load(f)


class Sweep(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.tmp = self._tmp.name
        self.base = os.path.relpath(os.path.join(ROOT, BASE), self.tmp)

    def tearDown(self):
        self._tmp.cleanup()

    def spec(self, text, name="spec.yaml"):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text.replace("BASE", self.base))
        return path

    def lanes_spec(self):
        # The shipped example: 3 x 2 values x 2 seeds = 12 points, each a 2-node fabric for
        # 2 us.
        return os.path.join(ROOT, "configs", "sweeps", "membox-2node-lanes.yaml")

    def check_lanes_table(self, out):
        rows = read_csv(os.path.join(out, "results.csv"))
        head, body = rows[0], rows[1:]
        self.assertEqual(head[:6], ["point", "fabric.optical.0.lanes", "link.mpp.rtpb_size",
                                    "seed", "status", "end_time_ns"])
        self.assertEqual(len(body), 12)
        # Point order: the first parameter slowest, seeds fastest.
        want = [(str(i), lanes, size, seed) for i, (lanes, size, seed) in enumerate(
            (l, s, e) for l in ("1", "2", "4") for s in ("4KiB", "8KiB") for e in ("1", "2"))]
        self.assertEqual([tuple(r[:4]) for r in body], want)
        for r in body:
            self.assertEqual(len(r), len(head))
            self.assertEqual(r[4:6], ["ok", "2000.0"])
        # The union of keys: a 4-lane link has lane3 statistics, a 1-lane one leaves them empty.
        col = head.index("mb_p0.lane3_busy_cycles")
        self.assertEqual([r[col] == "" for r in body], [r[1] != "4" for r in body])
        # Each value is its JSON's text, and the JSON is that of a plain `run` of the point.
        for r in body:
            with open(os.path.join(out, "point-%04d.json" % int(r[0]))) as f:
                text = f.read()
            doc = json.loads(text)
            self.assertEqual(doc["run"]["overrides"], [
                "fabric.optical.0.lanes=" + r[1], "link.mpp.rtpb_size=" + r[2],
                "sim.until=2us"])
            self.assertEqual(doc["run"]["seed"], int(r[3]))
            for key, value in doc["stats"].items():
                self.assertEqual(float(r[head.index(key)] or "nan") if value is not None
                                 else None, value if value is None else float(value), key)
        return rows

    def test_local_jobs_resume_and_same_stats_as_run(self):
        spec = self.lanes_spec()
        out = os.path.join(self.tmp, "out")
        r = sim("sweep", spec, "-j", "2", "-o", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("12 points: 12 run, 0 done before, 0 failed", r.stdout)
        rows = self.check_lanes_table(out)
        self.assertEqual(sorted(os.listdir(out)),
                         ["point-%04d.json" % i for i in range(12)] + ["results.csv"])
        # Point 7 (lanes 2, 8 KiB, seed 2) is exactly `run` with those values.
        mine = os.path.join(self.tmp, "run.json")
        r = sim("run", BASE, "--quiet", "--seed", "2", "--stats",
                mine, "--set", "fabric.optical.0.lanes=2", "--set", "link.mpp.rtpb_size=8KiB",
                "--set", "sim.until=2us")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(stats_of(mine)["stats"],
                         stats_of(os.path.join(out, "point-0007.json"))["stats"])
        # Rerun: nothing to do, the same table.
        r = sim("sweep", spec, "-j", "2", "-o", out, "--quiet")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("12 points: 0 run, 12 done before, 0 failed", r.stdout)
        self.assertEqual(r.stderr, "")
        self.assertEqual(read_csv(os.path.join(out, "results.csv")), rows)
        # A missing JSON, one of other values, a truncated one and one of another seed are
        # run again.
        os.remove(os.path.join(out, "point-0003.json"))
        shutil.copy(os.path.join(out, "point-0000.json"), os.path.join(out, "point-0005.json"))
        with open(os.path.join(out, "point-0008.json"), "r+") as f:
            f.truncate(100)
        shutil.copy(os.path.join(out, "point-0010.json"), os.path.join(out, "point-0011.json"))
        r = sim("sweep", spec, "-j", "2", "-o", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("12 points: 4 run, 8 done before, 0 failed", r.stdout)
        for i in (3, 5, 8, 11):
            self.assertIn("point %d done" % i, r.stderr)
        self.assertEqual(read_csv(os.path.join(out, "results.csv")), rows)

    def test_mpirun_gives_the_same_table(self):
        if not HAVE_MPI:
            self.skipTest("membox-sim built without MPI (meson -Dmpi=enabled, libopenmpi-dev)")
        mpirun = shutil.which("mpirun")
        self.assertIsNotNone(mpirun, "an MPI build without mpirun: install openmpi-bin")
        spec = self.lanes_spec()
        local = os.path.join(self.tmp, "local")
        r = sim("sweep", spec, "-j", "2", "-o", local, "--quiet")
        self.assertEqual(r.returncode, 0, r.stderr)
        out = os.path.join(self.tmp, "mpi")
        cmd = [mpirun, "-n", "2"]
        if os.geteuid() == 0:
            cmd.append("--allow-run-as-root")
        # Two ranks on a machine that may show fewer slots; no shared-memory single copy
        # (ptrace is often not allowed in containers).
        cmd += ["--oversubscribe", SIM, "sweep", spec, "-o", out]
        env = dict(os.environ, OMPI_MCA_btl_vader_single_copy_mechanism="none")
        r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        # Rank 0 alone reports and writes.
        self.assertEqual(r.stdout.count("12 points: 12 run, 0 done before, 0 failed"), 1,
                         r.stdout)
        self.assertEqual(read_csv(os.path.join(out, "results.csv")),
                         read_csv(os.path.join(local, "results.csv")))
        for i in range(12):
            name = "point-%04d.json" % i
            self.assertEqual(stats_of(os.path.join(out, name))["stats"],
                             stats_of(os.path.join(local, name))["stats"])

    def test_failed_point_does_not_stop_the_others(self):
        # A 1 ns watchdog fires at run time (exit 1): that point fails, the others run.
        spec = self.spec("base: BASE\n"
                         "until: 2us\n"
                         "parameters:\n"
                         "  sim.watchdog: [1ms, 1ns]\n"
                         "  fabric.optical.0.lanes: [1, 4]\n")
        out = os.path.join(self.tmp, "out")
        r = sim("sweep", spec, "-j", "2", "-o", out)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("4 points: 2 run, 0 done before, 2 failed", r.stdout)
        self.assertIn("point 2 FAILED: exit 1: watchdog at 1.000 ns", r.stdout)
        self.assertIn("point 3 FAILED: exit 1: watchdog at 1.000 ns", r.stdout)
        rows = read_csv(os.path.join(out, "results.csv"))
        self.assertEqual([r[:4] for r in rows[1:]],
                         [["0", "1ms", "1", "1"], ["1", "1ms", "4", "1"], ["2", "1ns", "1", ""],
                          ["3", "1ns", "4", ""]])
        self.assertEqual([r[4] for r in rows[1:]], ["ok", "ok", "failed", "failed"])
        self.assertEqual(set(rows[3][5:]) | set(rows[4][5:]), {""})
        self.assertNotEqual(rows[1][7], "")
        # The failed points' stderr is kept; nothing else is left behind.
        self.assertEqual(sorted(os.listdir(out)), [
            "point-0000.json", "point-0001.json", "point-0002.log", "point-0003.log",
            "results.csv"])
        with open(os.path.join(out, "point-0002.log")) as f:
            self.assertTrue(f.read().startswith("watchdog at 1.000 ns"))

    def test_interrupt_keeps_finished_points_and_leaves_nothing_else(self):
        # 4 points of about a second each, one at a time; SIGINT once the first is done.
        spec = self.spec("base: %s\nparameters:\n  fabric.defaults.optical.lanes: [1, 2, 4, 8]\n"
                         % os.path.join(ROOT, "configs", "membox-16node-saf.yaml"))
        out = os.path.join(self.tmp, "out")
        p = subprocess.Popen([SIM, "sweep", spec, "-j", "1", "-o", out], cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        first = os.path.join(out, "point-0000.json")
        for _ in range(6000):
            if os.path.exists(first) or p.poll() is not None:
                break
            time.sleep(0.01)
        p.send_signal(signal.SIGINT)
        stdout, stderr = p.communicate(timeout=120)
        self.assertEqual(p.returncode, 130, stdout + stderr)
        self.assertIn("sweep interrupted; the finished points are kept", stderr)
        left = sorted(os.listdir(out))
        self.assertIn("point-0000.json", left)
        self.assertTrue(all(re.fullmatch(r"point-000[0-3]\.json", f) for f in left), left)
        r = sim("sweep", spec, "-o", out, "--quiet")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("4 points: %d run, %d done before" % (4 - len(left), len(left)), r.stdout)

    def test_zip_group_and_fixed_values(self):
        spec = self.spec("base: BASE\n"
                         "kernel: every-cycle\n"
                         "set:\n"
                         "  sim.until: 1us\n"
                         "zip:\n"
                         "  - fabric.optical.0.lanes: [1, 2, 4]\n"
                         "    link.mpp.rtpb_size: [4KiB, 8KiB, 16KiB]\n")
        r = sim("sweep", spec, "--list")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.splitlines(), [
            "0 fabric.optical.0.lanes=1 link.mpp.rtpb_size=4KiB sim.until=1us",
            "1 fabric.optical.0.lanes=2 link.mpp.rtpb_size=8KiB sim.until=1us",
            "2 fabric.optical.0.lanes=4 link.mpp.rtpb_size=16KiB sim.until=1us"])
        out = os.path.join(self.tmp, "out")
        r = sim("sweep", spec, "-j", "1", "-o", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        rows = read_csv(os.path.join(out, "results.csv"))
        self.assertEqual([r[:6] for r in rows], [
            ["point", "fabric.optical.0.lanes", "link.mpp.rtpb_size", "seed", "status",
             "end_time_ns"],
            ["0", "1", "4KiB", "1", "ok", "1000.0"], ["1", "2", "8KiB", "1", "ok", "1000.0"],
            ["2", "4", "16KiB", "1", "ok", "1000.0"]])
        self.assertEqual(stats_of(os.path.join(out, "point-0000.json"))["host"]["kernel"],
                         "every-cycle")

    def test_slurm_modes_point_and_collect(self):
        spec = self.spec("base: BASE\n"
                         "until: 1us\n"
                         "parameters:\n"
                         "  fabric.optical.0.lanes: [1, 2]\n")
        out = os.path.join(self.tmp, "out")
        r = sim("sweep", spec, "-o", out, "--collect")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("2 points: 0 run, 0 done before, 0 failed, 2 missing", r.stdout)
        self.assertEqual([r[:4] for r in read_csv(os.path.join(out, "results.csv"))[1:]],
                         [["0", "1", "", "missing"], ["1", "2", "", "missing"]])
        for i in ("1", "0"):
            r = sim("sweep", spec, "-o", out, "--point", i)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("1 point: 1 run, 0 done before, 0 failed", r.stdout)
        self.assertFalse(os.path.exists(os.path.join(out, "point-0002.json")))
        r = sim("sweep", spec, "-o", out, "--collect")
        self.assertEqual(r.returncode, 0, r.stderr)
        collected = read_csv(os.path.join(out, "results.csv"))
        other = os.path.join(self.tmp, "other")
        r = sim("sweep", spec, "-o", other)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(read_csv(os.path.join(other, "results.csv")), collected)
        r = sim("sweep", spec, "-o", out, "--point", "2")
        self.assertEqual(r.returncode, 2)
        self.assertEqual(r.stderr, "%s: --point 2: the sweep has points 0 .. 1\n" % spec)

    def test_default_output_folder(self):
        spec = self.spec("base: BASE\nuntil: 1us\n", name="one.yaml")
        r = sim("sweep", "one.yaml", "--quiet", cwd=self.tmp)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("1 point: 1 run", r.stdout)
        self.assertTrue(os.path.exists(os.path.join(self.tmp, "one.sweep", "results.csv")))
        self.assertTrue(os.path.exists(spec))

    def test_bad_input(self):
        good = "base: BASE\nparameters:\n  fabric.optical.0.lanes: [1, 2]\n"
        cases = [
            # (spec text, extra args, stderr)
            ("base: BASE\nparameters:\n  nosuch.lanes: [1, 2]\n", [],
             "{S}:3:18: nosuch.lanes=1: {B} has no instance 'nosuch'\n"
             "{S}: (at point 0 of points 0 .. 1; `sweep --list` lists them)\n"),
            ("base: BASE\nparameters:\n  fabric.optical.0.lanes: [1, 3]\n", [],
             "{S}:3:31: fabric.optical.0.lanes=3: instance 'mb_p0': key 'lanes': lanes must be "
             "1, 2, 4 or 8 (a 64-byte beat split evenly), not 3\n"
             "{S}: (at point 1 of points 0 .. 1; `sweep --list` lists them)\n"),
            ("base: nothere.yaml\nparameters:\n  fabric.optical.0.lanes: [1, 2]\n", [],
             "{S}:1:7: base '{T}/nothere.yaml': {T}/nothere.yaml: cannot open: No such file or "
             "directory\n"),
            ("base: BASE\nparameters: [1, 2\n", [],
             "{S}:3:1: YAML syntax error: did not find expected ',' or ']' (while parsing a flow "
             "sequence at line 2, column 13)\n"),
            ("base: BASE\nparameters:\n  a.b: 3\n", [],
             "{S}:3:8: parameter 'a.b': expected a list of values, found a scalar\n"),
            ("base: BASE\nparameters:\n  a.b: []\n", [],
             "{S}:3:8: parameter 'a.b': the list of values is empty\n"),
            ("base: BASE\nzip:\n  - {fabric.optical.0.lanes: [1, 2], link.mpp.rtpb_size: "
             "[4KiB]}\n", [],
             "{S}:3:58: zip: 'link.mpp.rtpb_size' has 1 values, 'fabric.optical.0.lanes' 2: the "
             "lists of a group vary together and must be as long\n"),
            ("base: BASE\nparameters:\n  sim.seed: [1]\nset:\n  sim.seed: 2\n", [],
             "{S}:5:3: 'sim.seed' is given twice (also at line 3)\n"),
            ("base: BASE\nseeds: [1]\nparameters:\n  sim.seed: [1, 2]\n", [],
             "{S}:4:3: 'sim.seed' is given with `seeds`, which would win: give one of them\n"),
            ("base: BASE\nseeds: [1, -2]\n", [],
             "{S}:2:12: seeds: '-2': negative values are not allowed\n"),
            ("base: BASE\nuntil: soon\n", [],
             "{S}:2:8: until: 'soon' is not a number followed by one of ps, ns, us, ms, s\n"),
            ("base: BASE\nkernel: quick\n", [], None),
            ("parameters: {}\n", [], "{S}:1:1: no `base:` topology to sweep over\n"),
            ("base: BASE\nbogus: 1\n", [],
             "{S}:2:1: unknown key 'bogus' (a sweep spec has base, parameters, zip, seeds, set, "
             "until, kernel)\n"),
            (good, ["-j", "0"], "membox-sim: -j '0': expected a number of jobs from 1 to 1024; "
             "see 'membox-sim sweep --help'\n"),
            (good, ["-j", "x"], "membox-sim: -j 'x': expected a number of jobs from 1 to 1024; "
             "see 'membox-sim sweep --help'\n"),
            (good, ["--bogus"], "membox-sim: unknown option '--bogus' for 'sweep'; see "
             "'membox-sim sweep --help'\n"),
            (good, ["--list", "--collect"], "membox-sim: --list, --point and --collect exclude "
             "each other; see 'membox-sim sweep --help'\n"),
        ]
        for text, extra, want in cases:
            with self.subTest(spec=text, extra=extra):
                spec = self.spec(text)
                out = os.path.join(self.tmp, "out")
                r = sim("sweep", spec, "-o", out, *extra)
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertEqual(r.stdout, "")
                if want is None:
                    self.assertTrue(r.stderr.startswith(
                        spec + ":2:9: kernel: expected fast, every-cycle"), r.stderr)
                else:
                    self.assertEqual(r.stderr, want.replace("{S}", spec).replace(
                        "{B}", os.path.join(self.tmp, self.base)).replace("{T}", self.tmp))
                self.assertFalse(os.path.exists(out), "bad input ran something")
        r = sim("sweep", os.path.join(self.tmp, "none.yaml"))
        self.assertEqual(r.returncode, 2)
        self.assertEqual(r.stderr, os.path.join(self.tmp, "none.yaml") +
                         ": cannot open: No such file or directory\n")
        r = sim("sweep")
        self.assertEqual(r.returncode, 2)
        self.assertIn("'sweep' needs a SPEC file", r.stderr)

    def test_help(self):
        r = sim("sweep", "--help")
        self.assertEqual(r.returncode, 0)
        self.assertIn("usage: membox-sim sweep SPEC.yaml [-j N] [-o DIR]", r.stdout)
        r = sim("help")
        self.assertIn("  sweep SPEC", r.stdout)


if __name__ == "__main__":
    SIM, ROOT = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    HAVE_MPI = sys.argv[3] == "1"
    unittest.main(argv=sys.argv[:1], verbosity=2)
