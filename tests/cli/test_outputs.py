#!/usr/bin/env python3
"""The observation outputs (docs/outputs.md): --vcd, --timeline, --stats-interval.

Each file is read back by a small reader here and checked against the models' documented
formulas: the VCD's lane and credit signals of one link at the cycles of docs/models/link.md
section 2, the timeline's DMA transfer at the times of docs/models/pcie.md section 7, the
intervals against the end-of-run totals under the fast and the every-cycle kernel; a 16-node
run with every output on stays within the sizes docs/outputs.md gives; outputs are atomic.

Usage: test_outputs.py MEMBOX_SIM SOURCE_ROOT
"""
import csv
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest

SIM = None
ROOT = None

NS = 1000
T_P = 4 * NS      # pcie domain period, ps
T_L = 6400        # lane domain period, ps
T_M = 5 * NS      # mem domain period, ps
S = 2             # sync_depth
P = 15            # link pipe with the defaults (docs/models/link.md section 2)


def run(*args, cwd=None, timeout=120):
    return subprocess.run([SIM, *args], capture_output=True, text=True, cwd=cwd or ROOT,
                          timeout=timeout)


# ---- a small VCD reader ----

def read_vcd(path):
    """Returns ({key: (width, id)}, {id: [(time, value), ...]}) with dotted keys from scopes."""
    sigs = {}
    changes = {}
    scope = []
    t = None
    with open(path) as f:
        text = f.read()
    head, _, body = text.partition("$enddefinitions $end")
    tokens = head.split()
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok == "$scope":
            scope.append(tokens[i + 2])
            i += 4
        elif tok == "$upscope":
            scope.pop()
            i += 2
        elif tok == "$var":
            width, ident, name = int(tokens[i + 2]), tokens[i + 3], tokens[i + 4]
            sigs[".".join(scope + [name])] = (width, ident)
            changes.setdefault(ident, [])
            i += 6
        else:
            i += 1
    assert not scope, "unbalanced scopes"
    last_t = -1
    for line in body.split("\n"):
        line = line.strip()
        if not line or line.startswith("$"):
            continue
        if line[0] == "#":
            t = int(line[1:])
            assert t > last_t, f"time going backwards at #{t}"
            last_t = t
        elif line[0] == "b":
            bits, ident = line[1:].split()
            changes[ident].append((t, int(bits, 2)))
        else:
            changes[line[1:]].append((t, int(line[0])))
    return sigs, changes


def value_at(sigs, changes, key, t):
    """The value of key at time t (the last change at or before t)."""
    v = None
    for ct, cv in changes[sigs[key][1]]:
        if ct > t:
            break
        v = cv
    return v


def edges(sigs, changes, key):
    """Times at which a 1-bit signal rose and fell."""
    rises, falls = [], []
    prev = 0
    for t, v in changes[sigs[key][1]]:
        if v != prev:
            (rises if v else falls).append(t)
        prev = v
    return rises, falls


ONE_LINK = """sim:
  allow_cycles: true
instances:
  host:  {{type: link.tester, count: 1, size: {size}, start: 1us}}
  mpp:   {{type: link.mpp}}
  cable: {{type: link.cable}}
  spp:   {{type: link.spp}}
  mem:   {{type: link.memory, latency: 10}}
links:
  - {{from: host:req, to: mpp:req}}
  - {{from: mpp:resp, to: host:resp}}
  - {{from: mpp:tx, to: cable:a_in}}
  - {{from: cable:b_out, to: spp:rx}}
  - {{from: spp:tx, to: cable:b_in}}
  - {{from: cable:a_out, to: mpp:rx}}
  - {{from: spp:mem_req, to: mem:req}}
  - {{from: mem:resp, to: spp:mem_resp}}
"""


def cross(t, period):
    """docs/models/link.md: an entry from time t into a domain of this period: cycle ceil + S."""
    return -(-t // period) + S


class Vcd(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def one_write(self, size, kernel="fast", extra=()):
        cfg = os.path.join(self.dir, f"one-{size}.yaml")
        with open(cfg, "w") as f:
            f.write(ONE_LINK.format(size=f"{size}B"))
        out = os.path.join(self.dir, f"one-{size}-{kernel}.vcd")
        r = run("run", cfg, "--quiet", "--kernel", kernel, "--vcd", out, "--vcd-select",
                "mpp.lanes.*,mpp.tx_mwp,spp.rx_mwp,mem.writes,mpp.lane0_busy_cycles", *extra)
        self.assertEqual(r.returncode, 0, r.stderr)
        return out

    def test_one_write_follows_the_link_timing_of_the_doc(self):
        for size in (64, 256, 4096):
            sigs, ch = read_vcd(self.one_write(size))
            k = -(-size // 64)                 # Avalon beats
            C = 3 + 2 * k                      # MWP frame: 2 header + 2k data + 1 trailer
            a = 1000 * NS // T_P + k - 1       # requester pushes at its last beat (250 + k - 1)
            r = cross((a + 1) * T_P, T_L)      # formatter starts the MWP
            e = r + C - 1                      # its last word
            m = cross((e + P) * T_L, T_M)      # SPP starts the Avalon write
            # Both ends send a 2-cycle FC at cycle 0: the lanes are busy [0, 2).
            rises, falls = edges(sigs, ch, "mpp.lanes.busy")
            self.assertEqual(rises[:2], [0, r * T_L], size)
            self.assertEqual(falls[:2], [2 * T_L, (r + C) * T_L], size)
            # The SPP's credits arrive at 1 + P: 64 headers, 8 KiB per lane = 512 beats.
            self.assertEqual(value_at(sigs, ch, "mpp.lanes.credits_hdr", (1 + P) * T_L - 1), 0)
            self.assertEqual(value_at(sigs, ch, "mpp.lanes.credits_hdr", (1 + P) * T_L), 64)
            self.assertEqual(value_at(sigs, ch, "mpp.lanes.credits_data", (1 + P) * T_L), 512)
            self.assertEqual(value_at(sigs, ch, "mpp.lanes.credits_hdr", r * T_L), 63, size)
            self.assertEqual(value_at(sigs, ch, "mpp.lanes.credits_data", r * T_L), 512 - k)
            self.assertEqual(value_at(sigs, ch, "mpp.tx_mwp", r * T_L - 1), 0)
            self.assertEqual(value_at(sigs, ch, "mpp.tx_mwp", r * T_L), 1)
            # Lane 0 carries a word at every cycle of a frame (link.md's table): the FC's 2, then
            # the MWP's C.
            self.assertEqual(value_at(sigs, ch, "mpp.lane0_busy_cycles", r * T_L), 2 + C, size)
            self.assertEqual(value_at(sigs, ch, "mpp.lanes.retry_held", r * T_L), 1)
            self.assertEqual(value_at(sigs, ch, "spp.rx_mwp", (e + P) * T_L - 1), 0)
            self.assertEqual(value_at(sigs, ch, "spp.rx_mwp", (e + P) * T_L), 1, size)
            self.assertEqual(value_at(sigs, ch, "mem.writes", (m + k) * T_M - 1), 0)
            self.assertEqual(value_at(sigs, ch, "mem.writes", (m + k) * T_M), 1, size)

    def test_the_kernels_write_the_same_vcd_and_a_window_cuts_it(self):
        fast = self.one_write(256)
        every = self.one_write(256, "every-cycle")
        with open(fast) as a, open(every) as b:
            self.assertEqual(a.read(), b.read())
        win = self.one_write(256, extra=("--vcd-from", "1us", "--vcd-until", "1.05us"))
        sigs, ch = read_vcd(win)
        times = [t for c in ch.values() for t, _ in c]
        self.assertEqual(min(times), 1000 * NS)       # $dumpvars at the window's start
        self.assertLessEqual(max(times), 1050 * NS)
        # At the window's start the values are those of the whole run at that time.
        full_sigs, full_ch = read_vcd(fast)
        for key in ("mpp.lanes.credits_hdr", "mpp.tx_mwp", "mpp.lanes.busy"):
            for t in (1000 * NS, 1020 * NS, 1050 * NS):
                self.assertEqual(value_at(sigs, ch, key, t), value_at(full_sigs, full_ch, key, t),
                                 (key, t))


# ---- the timeline ----

DMA_TOPO = """sim: {{allow_cycles: true, payload_blocks: 4096}}
instances:
  node: {{type: host.memtrace, trace: '{trace}'}}
  hmem: {{type: host.memory}}
  rc: {{type: pcie.rc, memory: hmem}}
  pcie: {{type: pcie.link}}
  ad: {{type: pcie.adapter}}
  mem: {{type: mem.ideal, domain: pcie, latency: 10}}
links:
  - {{from: node:req, to: rc:cpu_req}}
  - {{from: rc:cpu_resp, to: node:resp}}
  - {{from: rc:notify, to: node:notify}}
  - {{from: rc:tx, to: pcie:rc_tx}}
  - {{from: pcie:rc_rx, to: rc:rx}}
  - {{from: ad:tx, to: pcie:ep_tx}}
  - {{from: pcie:ep_rx, to: ad:rx}}
  - {{from: ad:mem_req, to: mem:req}}
  - {{from: mem:resp, to: ad:mem_resp}}
"""

PHASES = {"M", "X", "b", "e", "i"}


def check_trace_schema(test, doc):
    """The Chrome trace event format's JSON object form, as this writer uses it."""
    test.assertIsInstance(doc, dict)
    test.assertEqual(doc["displayTimeUnit"], "ns")
    test.assertIsInstance(doc["traceEvents"], list)
    open_async = {}
    for ev in doc["traceEvents"]:
        test.assertIn(ev["ph"], PHASES, ev)
        test.assertIsInstance(ev["name"], str)
        test.assertIsInstance(ev["pid"], int)
        test.assertIsInstance(ev["tid"], int)
        if ev["ph"] == "M":
            test.assertIn(ev["name"], ("process_name", "thread_name"))
            test.assertIsInstance(ev["args"]["name"], str)
            continue
        test.assertIsInstance(ev["ts"], (int, float))
        test.assertGreaterEqual(ev["ts"], 0)
        if ev["ph"] == "X":
            test.assertGreaterEqual(ev["dur"], 0)
        elif ev["ph"] == "b":
            key = (ev["cat"], ev["id"])
            test.assertNotIn(key, open_async)
            open_async[key] = ev
        elif ev["ph"] == "e":
            b = open_async.pop((ev["cat"], ev["id"]))
            test.assertEqual(b["name"], ev["name"])
            test.assertGreaterEqual(ev["ts"], b["ts"])
        elif ev["ph"] == "i":
            test.assertEqual(ev["s"], "t")
    test.assertEqual(open_async, {}, "every async slice ends")


def slices(doc, name):
    """(start_ps, end_ps) of every slice called name."""
    out = []
    begins = {}
    for ev in doc["traceEvents"]:
        if ev["name"] != name:
            continue
        if ev["ph"] == "X":
            out.append((round(ev["ts"] * 1e6), round((ev["ts"] + ev["dur"]) * 1e6)))
        elif ev["ph"] == "b":
            begins[(ev["cat"], ev["id"])] = ev["ts"]
        elif ev["ph"] == "e":
            out.append((round(begins.pop((ev["cat"], ev["id"])) * 1e6), round(ev["ts"] * 1e6)))
    return sorted(out)


class Timeline(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def dma(self, record, *extra):
        trace = os.path.join(self.dir, "t.trace")
        with open(trace, "w") as f:
            f.write("membox-memtrace 1\n" + record + "\n")
        cfg = os.path.join(self.dir, "dma.yaml")
        with open(cfg, "w") as f:
            f.write(DMA_TOPO.format(trace=trace))
        out = os.path.join(self.dir, "t.json")
        r = run("run", cfg, "--quiet", "--timeline", out, *extra)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(out) as f:
            doc = json.load(f)
        check_trace_schema(self, doc)
        return doc

    def test_a_dma_transfer_is_a_slice_from_its_start_to_the_documented_end(self):
        # docs/models/pcie.md section 7: a 256 B write DMA completes at 1468 ns, a read DMA at
        # 2048 ns, both started at 0.
        doc = self.dma("@0 R 0x0 256")
        self.assertEqual(slices(doc, "read (DMA transfer)"), [(0, 1468 * NS)])
        self.assertEqual(len(slices(doc, "DMA descriptor (write engine: MemBox to host)")), 1)
        doc = self.dma("@0 W 0x0 256")
        self.assertEqual(slices(doc, "write (DMA transfer)"), [(0, 2048 * NS)])
        # Every port hop of the run is there, inside the transfer.
        hops = [ev for ev in doc["traceEvents"] if ev.get("cat") == "hop"]
        self.assertGreater(len(hops), 10)
        self.assertTrue(all(0 <= ev["ts"] <= 2.048 for ev in hops))

    def test_the_kernels_write_the_same_timeline(self):
        files = []
        for kernel in ("fast", "every-cycle"):
            out = os.path.join(self.dir, f"{kernel}.json")
            r = run("run", "configs/membox-2node.yaml", "--quiet", "--kernel", kernel,
                    "--until", "6us", "--timeline", out)
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(out) as f:
                files.append(f.read())
        self.assertEqual(files[0], files[1])
        check_trace_schema(self, json.loads(files[0]))

    def test_window_and_sampling_bound_the_events(self):
        full = self.dma("@0 W 0x0 256")
        cut = self.dma("@0 W 0x0 256", "--timeline-from", "1us", "--timeline-until", "1.5us",
                       "--timeline-sample", "3")
        self.assertLess(len(cut["traceEvents"]), len(full["traceEvents"]))
        for ev in cut["traceEvents"]:
            if ev.get("cat") == "hop" and ev["ph"] == "b":
                self.assertEqual(ev["args"]["pkt"] % 3, 0)
        for start, end in slices(cut, "write (DMA transfer)"):
            self.assertTrue(end >= 1000 * NS and start <= 1500 * NS)


class Phases(unittest.TestCase):
    def test_each_worker_iteration_is_pull_forward_backward_barrier(self):
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "ps.json")
            # sync: bsp, so that every iteration ends at the barrier (async, the default, has
            # none under aggregation: self)
            r = run("run", "configs/ps-2node.yaml", "--quiet", "--stats", f"{d}/s.json",
                    "--set", "host.ps.sync=bsp",
                    "--timeline", out, "--timeline-select", "node*")
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(out) as f:
                doc = json.load(f)
            with open(f"{d}/s.json") as f:
                stats = json.load(f)["stats"]
        check_trace_schema(self, doc)
        names = {ev["pid"]: ev["args"]["name"] for ev in doc["traceEvents"]
                 if ev["ph"] == "M" and ev["name"] == "process_name"}
        per_node = {}
        for ev in doc["traceEvents"]:
            if ev["ph"] == "X":
                per_node.setdefault(names[ev["pid"]], []).append(ev)
        self.assertTrue(per_node)
        for node, evs in per_node.items():
            evs.sort(key=lambda e: e["ts"])
            seq = [e["name"] for e in evs]
            iters = stats[f"{node}.iterations"]
            self.assertEqual(seq, ["pull", "forward", "backward + push", "barrier"] * iters, node)
            for a, b in zip(evs, evs[1:]):
                self.assertLessEqual(a["ts"] + a["dur"], b["ts"] + 1e-6, node)


# ---- statistics per interval ----

def read_jsonl(path):
    with open(path) as f:
        lines = [json.loads(line) for line in f]
    return lines[0], lines[1:]


class Intervals(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def intervals(self, config, kernel, interval, *extra):
        base = os.path.join(self.dir, kernel)
        r = run("run", config, "--quiet", "--kernel", kernel, "--stats", base + ".json",
                "--stats-interval", interval, "--interval-out", base + ".jsonl",
                "--interval-out", base + ".csv", *extra)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(base + ".json") as f:
            stats = json.load(f)["stats"]
        head, rows = read_jsonl(base + ".jsonl")
        with open(base + ".csv") as f:
            table = list(csv.DictReader(f))
        return stats, head, rows, table, base

    def check_sums(self, stats, head, rows, table, period_ps):
        self.assertEqual(head["schema"], "membox-sim-intervals/1")
        self.assertEqual(head["interval_ps"], period_ps)
        self.assertEqual(len(rows), len(table))
        self.assertGreater(len(rows), 2)
        end = rows[-1]["t1_ps"]
        for i, row in enumerate(rows):
            self.assertEqual(row["interval"], i)
            self.assertEqual(row["t0_ps"], i * period_ps)
            self.assertEqual(row["t1_ps"], min((i + 1) * period_ps, end))
        keys = rows[0]["stats"].keys()
        checked = 0
        for key in keys:
            if key.endswith(".avg"):
                base = key[:-4]
                if base + ".count" in keys:
                    continue  # a histogram's mean per interval
                # A time-weighted average: the intervals' weighted by their lengths.
                total = sum((row["stats"][key] or 0) * (row["t1_ps"] - row["t0_ps"])
                            for row in rows) / end
                self.assertTrue(math.isclose(total, stats[key], rel_tol=1e-6, abs_tol=1e-9),
                                (key, total, stats[key]))
                continue
            total = sum(row["stats"][key] for row in rows)
            self.assertEqual(total, stats[key], key)
            self.assertEqual(sum(float(r[key]) for r in table), float(stats[key]), key)
            checked += 1
        self.assertGreater(checked, 50)

    def test_intervals_add_up_to_the_totals_and_agree_across_kernels(self):
        cfg = os.path.join(ROOT, "configs", "link-stream.yaml")
        runs = {}
        for kernel in ("fast", "every-cycle"):
            stats, head, rows, table, base = self.intervals(cfg, kernel, "5us")
            self.check_sums(stats, head, rows, table, 5000 * NS)
            with open(base + ".jsonl") as f, open(base + ".csv") as g:
                runs[kernel] = (f.read(), g.read())
        self.assertEqual(runs["fast"], runs["every-cycle"])

    def test_systemc_writes_the_same_intervals(self):
        cfg = os.path.join(ROOT, "configs", "link-stream.yaml")
        probe = run("run", cfg, "--quiet", "--kernel", "systemc", "--until", "1ns")
        if "no SystemC" in probe.stderr:
            self.skipTest("built without SystemC")
        files = {}
        for kernel in ("fast", "systemc"):
            *_, base = self.intervals(cfg, kernel, "5us")
            with open(base + ".jsonl") as f:
                files[kernel] = f.read()
        self.assertEqual(files["fast"], files["systemc"])

    def test_a_fabric_with_dram_and_until(self):
        cfg = os.path.join(ROOT, "configs", "membox-2node.yaml")
        stats, head, rows, table, _ = self.intervals(cfg, "fast", "1us", "--until", "5.5us")
        self.check_sums(stats, head, rows, table, 1000 * NS)
        self.assertEqual(rows[-1]["t1_ps"], 5500 * NS)  # the last interval ends with the run


# ---- every output on, sizes, atomicity, bad flags ----

# docs/outputs.md, "Sizes": the 16-node fabric with every output on, window 2 us.
SIZE_LIMITS = {"vcd": 1_000_000, "timeline": 2_000_000, "jsonl": 2_000_000, "csv": 500_000}


class Outputs(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def all_outputs(self):
        d = self.dir
        return ["--vcd", f"{d}/o.vcd", "--vcd-from", "10us", "--vcd-until", "12us",
                "--timeline", f"{d}/o.json", "--timeline-from", "10us", "--timeline-until",
                "12us", "--stats-interval", "1us", "--interval-out", f"{d}/o.jsonl",
                "--interval-out", f"{d}/o.csv"]

    def test_sixteen_nodes_with_every_output_stay_within_the_documented_sizes(self):
        r = run("run", "configs/membox-16node-saf.yaml", "--quiet", "--until", "12us",
                *self.all_outputs())
        self.assertEqual(r.returncode, 0, r.stderr)
        sizes = {"vcd": "o.vcd", "timeline": "o.json", "jsonl": "o.jsonl", "csv": "o.csv"}
        for what, name in sizes.items():
            size = os.path.getsize(os.path.join(self.dir, name))
            self.assertGreater(size, 0, what)
            self.assertLessEqual(size, SIZE_LIMITS[what], what)
        with open(os.path.join(self.dir, "o.json")) as f:
            check_trace_schema(self, json.load(f))
        sigs, ch = read_vcd(os.path.join(self.dir, "o.vcd"))
        self.assertGreater(len(sigs), 1000)

    def test_a_bad_output_path_is_exit_2_and_leaves_nothing(self):
        d = self.dir
        r = run("run", "configs/link-stream.yaml", "--quiet", "--vcd", f"{d}/v.vcd",
                "--timeline", f"{d}/no/such/dir/t.json")
        self.assertEqual(r.returncode, 2)
        self.assertIn(f"{d}/no/such/dir/t.json: cannot write", r.stderr)
        self.assertEqual(os.listdir(d), [])

    def test_a_failed_run_leaves_no_output(self):
        d = self.dir
        # A lossy cable and no resend allowed: the link fails (a run error, exit 1).
        r = run("run", "configs/link-stream.yaml", "--quiet", "--set", "cable.ber=1e-3",
                "--set", "mpp.retry_limit=0", *self.all_outputs())
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertEqual(os.listdir(d), [])

    def test_sigint_removes_every_temporary_file(self):
        d = self.dir
        p = subprocess.Popen([SIM, "run", "configs/membox-4node.yaml", "--quiet",
                              "--set", "fabric.defaults.node.repeat=1000000", "--vcd",
                              f"{d}/o.vcd", "--vcd-select", "mb0.*", "--timeline",
                              f"{d}/o.json", "--timeline-select", "mb0*", "--stats-interval",
                              "1us", "--interval-out", f"{d}/o.jsonl"],
                             cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             text=True)
        time.sleep(1.0)
        p.send_signal(signal.SIGINT)
        _, err = p.communicate(timeout=60)
        self.assertEqual(p.returncode, 130, err)
        self.assertEqual(os.listdir(d), [])

    def test_bad_flags_are_exit_2_with_a_message(self):
        cases = [
            (["--vcd-from", "1us"], "--vcd-select, --vcd-from and --vcd-until need --vcd FILE"),
            (["--timeline-sample", "2"], "need --timeline FILE"),
            (["--stats-interval", "1us"], "--stats-interval needs --interval-out FILE"),
            (["--interval-out", "x.csv"], "--interval-out needs --stats-interval TIME"),
            (["--stats-interval", "0"], "--stats-interval '0': must be more than 0"),
            (["--stats-interval", "fast"], "--stats-interval 'fast'"),
            (["--timeline", "t.json", "--timeline-sample", "0"],
             "--timeline-sample '0': must be at least 1"),
            (["--vcd", "v.vcd", "--vcd-from", "2us", "--vcd-until", "1us"],
             "--vcd-until is before --vcd-from"),
            (["--stats-interval", "1us", "--interval-out", "a.csv", "--interval-out", "b.csv"],
             "a CSV output was already given ('a.csv')"),
            (["--vcd"], "option '--vcd' needs a value"),
        ]
        for args, msg in cases:
            r = run("run", "configs/link-stream.yaml", "--quiet", *args, cwd=ROOT)
            self.assertEqual(r.returncode, 2, args)
            self.assertIn(msg, r.stderr, args)
            self.assertFalse(os.path.exists(os.path.join(ROOT, "v.vcd")))


class Plots(unittest.TestCase):
    def test_every_plot_writes_png_and_svg(self):
        # scripts/plot runs on Debian's /usr/bin/python3 with python3-matplotlib (scripts/deps
        # --tests installs it).
        if subprocess.run(["/usr/bin/python3", "-c", "import matplotlib"],
                          capture_output=True).returncode != 0:
            self.skipTest("python3-matplotlib is not installed")
        plot = os.path.join(ROOT, "scripts", "plot")
        with tempfile.TemporaryDirectory() as d:
            r = run("run", "configs/membox-2node.yaml", "--quiet", "--until", "6us", "--stats",
                    f"{d}/s.json", "--csv", f"{d}/sweep.csv", "--stats-interval", "1us",
                    "--interval-out", f"{d}/i.jsonl", "--interval-out", f"{d}/i.csv")
            self.assertEqual(r.returncode, 0, r.stderr)
            run("run", "configs/membox-2node.yaml", "--quiet", "--until", "3us", "--csv",
                f"{d}/sweep.csv")
            jobs = [["time", f"{d}/i.jsonl", "--keys", "mb_ddr3.reads,mb_ddr3.writes", "--rate"],
                    ["time", f"{d}/i.csv", "--keys", "*.rthb.avg"],
                    ["cdf", f"{d}/s.json", "--keys", "node*.latency_ns"],
                    ["heatmap", f"{d}/s.json", "--metric", "wire_util"],
                    ["sweep", f"{d}/sweep.csv", "--x", "end_time_ns", "--y", "mb_ddr3.reads"]]
            for i, job in enumerate(jobs):
                p = subprocess.run([plot, *job, "-o", f"{d}/{i}.png", "-o", f"{d}/{i}.svg"],
                                   capture_output=True, text=True, timeout=120)
                self.assertEqual(p.returncode, 0, (job, p.stderr))
                with open(f"{d}/{i}.png", "rb") as f:
                    self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n", job)
                with open(f"{d}/{i}.svg") as f:
                    self.assertIn("<svg", f.read(), job)
            p = subprocess.run([plot, "cdf", f"{d}/s.json", "--keys", "nothing*", "-o",
                                f"{d}/x.png"], capture_output=True, text=True, timeout=120)
            self.assertEqual(p.returncode, 2)
            self.assertIn("no histogram with samples matches 'nothing*'", p.stderr)


if __name__ == "__main__":
    SIM, ROOT = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    unittest.main(argv=sys.argv[:1], verbosity=2)
