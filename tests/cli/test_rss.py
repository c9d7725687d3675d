#!/usr/bin/env python3
"""The simulator's resident size follows what a run touches, not what a config declares.

Every run here happens under MALLOC_PERTURB_ (meson test sets it for every test; it makes glibc
clear every calloc'd and fill every freed byte), the condition in which malloc'd model memories
used to touch gigabytes. sim/core/region.h maps them instead.

Usage: test_rss.py MEMBOX_SIM SOURCE_ROOT
"""
import os
import subprocess
import sys
import unittest

SIM = None
ROOT = None

# The bound each run must stay below: what the runs below need plus margin (they take 20-95 MB),
# far below what they declare.
RSS_BOUND_MB = 256


def max_rss_mb(args):
    """Runs membox-sim with MALLOC_PERTURB_ set; returns (exit code, its own max RSS in MB)."""
    env = dict(os.environ, MALLOC_PERTURB_="165")
    with open(os.devnull, "w") as null:
        p = subprocess.Popen([SIM, *args], cwd=ROOT, env=env, stdout=null, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        err = p.stderr.read().decode()
        p.stderr.close()
    return p.returncode, usage.ru_maxrss / 1024.0, err


class Rss(unittest.TestCase):
    def check(self, args, declared_mb):
        code, rss, err = max_rss_mb(args)
        self.assertEqual(code, 0, err)
        self.assertGreater(declared_mb, 4 * RSS_BOUND_MB, "the case must declare far more")
        self.assertLess(rss, RSS_BOUND_MB,
                        f"{' '.join(args)}: max RSS {rss:.0f} MB, declared {declared_mb} MB")

    def test_64_node_fabric_declaring_four_gib_of_host_memory(self):
        # 65 host.memory x 64 MiB (the default size), and the DDR3 store's table and
        # arena for 4 Mi lines (384 MiB).
        self.check(["run", "configs/membox-64node-tree.yaml", "--quiet"], 65 * 64 + 384)

    def test_host_memory_and_ideal_memory_of_gigabytes_with_pattern_contents(self):
        # configs/host-ideal.yaml with 3 GiB of host memory (below the adapter's registers at
        # 0xf0000000) and a 16 GiB ideal memory, both pattern-initialised: such a memory used to
        # be filled at build, every byte of it.
        with open(os.path.join(ROOT, "configs/host-ideal.yaml")) as f:
            text = f.read()
        text = text.replace("latency: 10, init: pattern}", "latency: 10, init: pattern, size: 16GiB}")
        text = text.replace("hmem0: {type: host.memory}",
                            "hmem0: {type: host.memory, size: 3GiB, init: pattern}")
        text = text.replace("../traces/", os.path.join(ROOT, "traces") + "/")
        self.assertIn("16GiB", text)
        self.assertIn("3GiB", text)
        path = os.path.join(self.tmp, "big.yaml")
        with open(path, "w") as f:
            f.write(text)
        self.check(["run", path, "--quiet"], 19 * 1024)

    def setUp(self):
        import tempfile
        self._tmp = tempfile.TemporaryDirectory()
        self.tmp = self._tmp.name

    def tearDown(self):
        self._tmp.cleanup()


if __name__ == "__main__":
    SIM, ROOT = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    unittest.main(argv=sys.argv[:1], verbosity=2)
