#!/usr/bin/env python3
"""Livelocks end with a clear error, in seconds of wall time (issue 14): a fabric that keeps
packets moving (flow-control refreshes, resends) but delivers no work is stopped by the
forward-progress watchdog (sim.watchdog of simulated time without a memory access, a response
or a finished transfer while requests are outstanding), which runs on its own deadline; a link
that resends its oldest packet retry_limit times in a row without getting it through fails the
run sooner, naming the link and the packet.

Each case runs configs/link-membox.yaml with a fault given by --set; before the watchdog
counted delivered work, every one of them ran forever.

Usage: test_hangs.py MEMBOX_SIM SOURCE_ROOT
"""
import os
import subprocess
import sys
import time
import unittest

SIM = None
ROOT = None
WALL_LIMIT_S = 60  # each case takes well under a second here

FOREVER = "1000000000000"
# case -> (how it must end: "watchdog" or "link failure", the --set values)
CASES = {
    "every flow-control update dropped": ("watchdog", [
        "cable0.fault_ba=drop", "cable0.fault_ba_type=fc", "cable0.fault_ba_count=" + FOREVER]),
    "every Ack dropped": ("link failure", [
        "cable0.fault_ba=drop", "cable0.fault_ba_type=ack", "cable0.fault_ba_count=" + FOREVER]),
    "every packet dropped": ("watchdog", ["cable0.drop_rate=1"]),
    "BER 1e-3 with 4 KiB packets": ("link failure", ["cable0.ber=1e-3", "link.tester.size=4KiB"]),
    "flow-control updates dropped and refreshed once a second": ("watchdog", [
        "cable0.fault_ba=drop", "cable0.fault_ba_type=fc", "cable0.fault_ba_count=" + FOREVER,
        "link.spp.fc_refresh=1s", "link.mpp.fc_refresh=1s"]),
}


def run(sets, *extra):
    args = [SIM, "run", "configs/link-membox.yaml", "--quiet", *extra]
    for s in sets:
        args += ["--set", s]
    t0 = time.monotonic()
    r = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=WALL_LIMIT_S)
    return r, time.monotonic() - t0


class Hangs(unittest.TestCase):
    def test_livelocks_end_naming_what_is_stuck(self):
        for name, (how, sets) in CASES.items():
            with self.subTest(case=name):
                r, wall = run(sets)
                self.assertEqual(r.returncode, 1, r.stderr)
                first = r.stderr.splitlines()[0]
                if how == "watchdog":
                    self.assertRegex(first, r"^watchdog at [0-9.]+ ns: no work delivered for "
                                            r"1000000\.000 ns \(sim\.watchdog 1000000\.000 ns")
                    # What is stuck: the requester with its count, and the link's buffers.
                    self.assertIn("component host0: busy (issued ", r.stderr)
                    self.assertIn("mpp0", r.stderr)
                else:
                    self.assertRegex(first, r"^link failure at (mpp0|spp0)\.lanes: the oldest "
                                            r"unacknowledged packet \(seq \d+, \w+, addr "
                                            r"0x[0-9a-f]+, \d+ bytes\) was resent 64 times in a row")
                    self.assertRegex(first, r"; \d+ retransmits, \d+ timeouts, \d+ CRC errors")
                self.assertLess(wall, WALL_LIMIT_S / 2)

    def test_retry_limit_0_leaves_it_to_the_watchdog(self):
        _, sets = CASES["every Ack dropped"]
        r, _ = run(sets + ["link.mpp.retry_limit=0", "link.spp.retry_limit=0"])
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertTrue(r.stderr.startswith("watchdog at "), r.stderr)

    def test_the_watchdog_fires_on_its_own_deadline_not_at_the_next_event(self):
        # With refreshes a second apart, the next scheduled event after the stall is far away;
        # the watchdog still fires exactly sim.watchdog after the last work.
        r, _ = run(CASES["flow-control updates dropped and refreshed once a second"][1],
                   "--set", "sim.watchdog=50us")
        self.assertEqual(r.returncode, 1, r.stderr)
        first = r.stderr.splitlines()[0]
        self.assertIn("no work delivered for 50000.000 ns (sim.watchdog 50000.000 ns", first)
        at = float(first.split()[2])
        self.assertLess(at, 200000.0, first)  # within microseconds of the stall, not 1 s later

    def test_slow_but_live_traffic_is_no_error(self):
        # BER 1e-5: many retries, but work keeps being delivered.
        r, _ = run(["cable0.ber=1e-5", "cable1.ber=1e-5"])
        self.assertEqual(r.returncode, 0, r.stderr)


class Signals(unittest.TestCase):
    """SIGINT and SIGTERM end a run cleanly: no temporary file left, exit 130 and 143."""

    def run_and_signal(self, sig, *extra):
        import signal
        import tempfile
        tmp = tempfile.mkdtemp()
        out = os.path.join(tmp, "s.json")
        p = subprocess.Popen([SIM, "run", "configs/membox-4node.yaml", "--quiet", "--stats", out,
                              "--set", "fabric.defaults.node.repeat=1000000", *extra],
                             cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             text=True)
        time.sleep(1.0)  # loaded and running: the full run takes minutes
        p.send_signal(sig)
        _, err = p.communicate(timeout=WALL_LIMIT_S)
        return p.returncode, err, tmp, out

    def test_sigint_removes_the_temporary_file(self):
        import signal
        code, err, tmp, out = self.run_and_signal(signal.SIGINT)
        self.assertEqual(code, 130, err)
        self.assertIn("by SIGINT; no output written", err)
        self.assertEqual(os.listdir(tmp), [])

    def test_sigterm_with_stats_on_interrupt_writes_the_statistics_so_far(self):
        import json
        import signal
        code, err, tmp, out = self.run_and_signal(signal.SIGTERM, "--stats-on-interrupt")
        self.assertEqual(code, 143, err)
        self.assertIn("by SIGTERM; the statistics so far are in the --stats file", err)
        self.assertEqual(os.listdir(tmp), ["s.json"])
        with open(out) as f:
            doc = json.load(f)
        self.assertGreater(doc["run"]["end_time_ps"], 0)
        self.assertGreater(doc["stats"]["node1.completed"], 0)


if __name__ == "__main__":
    SIM, ROOT = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    unittest.main(argv=sys.argv[:1], verbosity=2)
