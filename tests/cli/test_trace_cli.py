#!/usr/bin/env python3
"""End-to-end tests of `membox-sim trace convert|info` and of scripts/gen-ps-trace.

Malformed traces give exit code 2 and one exact message naming the file and the line or
record; conversions round-trip byte for byte and never leave a half-written file; the
generator's traces pass the reader and move the tensor table's bytes each way per iteration.

Usage: test_trace_cli.py MEMBOX_SIM SOURCE_ROOT
"""
import gzip
import importlib.util
import os
import re
import subprocess
import sys
import tempfile
import unittest
import zlib

SIM = None
ROOT = None
pstrace = None  # scripts/pstrace.py, loaded once ROOT is known

BASE = """membox-pstrace 1
model tiny
workers 2
iterations 1
batch 4
dtype float32
origin hand-written test
tensors 2
tensor 0 fc.weight 10x20 800
tensor 1 fc.bias 10 40
events
# worker iteration kind tensor bytes start_us end_us
0 0 pull 0 800 0.000 1.500
1 0 pull 0 800 0.000 1.500
0 0 pull 1 40 1.500 2.000
1 0 pull 1 40 1.500 2.000
0 0 forward - - 2.000 10.000
1 0 forward - - 2.000 11.000
0 0 backward - - 10.000 30.000
1 0 backward - - 11.000 31.000
0 0 grad_ready 1 - 15.000 15.000
0 0 push 1 40 15.000 15.500
1 0 grad_ready 1 - 16.000 16.000
1 0 push 1 40 16.000 16.500
0 0 grad_ready 0 - 30.000 30.000
0 0 push 0 800 30.000 31.000
1 0 grad_ready 0 - 31.000 31.000
1 0 push 0 800 31.000 32.000
0 0 barrier - - 31.000 40.000
1 0 barrier - - 32.000 40.000
- 0 update - - 32.000 39.123
end 19
"""

# Known parameter counts of the generator's models (float32: 4 bytes each).
MODEL_PARAMS = {"mnist-tf": 3_274_634, "mnist-pytorch": 1_199_882, "resnet50": 25_557_032,
                "vgg16": 138_357_544}


def run(*args, cwd=None):
    return subprocess.run([SIM, *args], capture_output=True, text=True, cwd=cwd or ROOT,
                          timeout=120)


def mutate(old, new):
    assert BASE.count(old) == 1, old
    return BASE.replace(old, new)


def info_numbers(stdout):
    """(tensor table bytes, push and pull bytes per worker and iteration) from `trace info`."""
    table = int(re.search(r"^tensors +\d+, (\d+) bytes in all$", stdout, re.M).group(1))
    push = int(re.search(r"^push bytes +(\d+) per worker and iteration", stdout, re.M).group(1))
    pull = int(re.search(r"^pull bytes +(\d+) per worker and iteration", stdout, re.M).group(1))
    return table, push, pull


class TraceCli(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, name, data):
        path = os.path.join(self.dir, name)
        with open(path, "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)
        return path

    def read(self, path):
        with open(path, "rb") as f:
            return f.read()

    def binary_base(self):
        src = self.write("base.pstrace", BASE)
        out = os.path.join(self.dir, "base.pstb")
        r = run("trace", "convert", src, out)
        self.assertEqual(r.returncode, 0, r.stderr)
        return self.read(out)

    def test_help_exits_0(self):
        for args in (["trace", "--help"], ["trace", "help"], ["trace", "convert", "--help"],
                     ["trace", "info", "--help"], ["trace", "help", "info"],
                     ["help", "trace"]):
            r = run(*args)
            self.assertEqual(r.returncode, 0, args)
            self.assertIn("usage: membox-sim trace", r.stdout, args)
            self.assertIn("exit codes", r.stdout, args)

    def test_usage_errors_exit_2_with_one_line(self):
        cases = [
            (["trace"], "membox-sim: 'trace' needs a command: convert or info; see "
                        "'membox-sim trace --help'"),
            (["trace", "frob"], "membox-sim: unknown trace command 'frob'; see "
                                "'membox-sim trace --help'"),
            (["trace", "info"], "membox-sim: 'trace info' needs a FILE; see "
                                "'membox-sim trace info --help'"),
            (["trace", "info", "a", "b"], "membox-sim: 'trace info' takes one FILE, got also "
                                          "'b'; see 'membox-sim trace info --help'"),
            (["trace", "info", "--all"], "membox-sim: unknown option '--all' for 'trace info'; "
                                         "see 'membox-sim trace info --help'"),
            (["trace", "convert", "a"], "membox-sim: 'trace convert' needs IN and OUT files; "
                                        "see 'membox-sim trace convert --help'"),
            (["trace", "convert", "a", "b", "c"],
             "membox-sim: 'trace convert' takes IN and OUT, got also 'c'; see "
             "'membox-sim trace convert --help'"),
            (["trace", "convert", "a", "b", "--to", "csv"],
             "membox-sim: --to 'csv': expected 'text' or 'binary'; see "
             "'membox-sim trace convert --help'"),
            (["trace", "convert", "a", "b", "--to"],
             "membox-sim: option '--to' needs a value; see 'membox-sim trace convert --help'"),
            (["trace", "convert", "a", "b", "--fast"],
             "membox-sim: unknown option '--fast' for 'trace convert'; see "
             "'membox-sim trace convert --help'"),
        ]
        for args, msg in cases:
            r = run(*args)
            self.assertEqual(r.returncode, 2, args)
            self.assertEqual(r.stderr, msg + "\n", args)
            self.assertEqual(r.stdout, "", args)

    def malformed(self):
        """(file name, bytes, message after 'PATH') of malformed traces."""
        ev1 = "0 0 pull 0 800 0.000 1.500\n"
        gz = zlib.compressobj(6, zlib.DEFLATED, 31)
        gz_base = gz.compress(BASE.encode()) + gz.flush()
        binary = self.binary_base()
        events_at, event_size = 121, 28  # FORMAT.md: header 53 bytes, tensors 39 and 29
        unknown_tensor_bin = bytearray(binary)
        unknown_tensor_bin[events_at + 8:events_at + 12] = (99).to_bytes(4, "little")
        bad_version_bin = bytearray(binary)
        bad_version_bin[8:12] = (3).to_bytes(4, "little")
        return [
            ("bad-version.pstrace", mutate("membox-pstrace 1\n", "membox-pstrace 3\n"),
             ":1: unsupported pstrace version '3' (this reader knows 1 and 2)"),
            ("bad-version.pstb", bytes(bad_version_bin),
             ": record 1: unsupported pstrace version 3 (this reader knows 1 and 2)"),
            ("unknown-tensor.pstrace", mutate(ev1, "0 0 pull 99 800 0.000 1.500\n"),
             ":13: unknown tensor id 99 (the tensor table has 0..1)"),
            ("unknown-tensor.pstb", bytes(unknown_tensor_bin),
             ": record 4: unknown tensor id 99 (the tensor table has 0..1)"),
            ("negative-time.pstrace", mutate(ev1, "0 0 pull 0 800 -1.000 1.500\n"),
             ":13: negative start time '-1.000'"),
            ("size-mismatch-event.pstrace", mutate(ev1, "0 0 pull 0 799 0.000 1.500\n"),
             ":13: pull of tensor 0 'fc.weight' carries 799 bytes, but the tensor table says "
             "800"),
            ("size-mismatch-table.pstrace", mutate("10x20 800", "10x20 801"),
             ":9: tensor 0 'fc.weight' has 801 bytes, but its shape 10x20 of float32 makes "
             "800"),
            ("truncated.pstrace.gz", gz_base[:-8],
             ":33: truncated gzip stream: unexpected end of file"),
            ("cut-record.pstb", binary[:events_at + 18 * event_size + 18],
             ": record 22: cut short: 18 of 28 bytes (truncated file?)"),
            ("no-trailer.pstrace", mutate("end 19\n", ""),
             ":32: the file ends without the trailer 'end 19' (truncated?)"),
            ("out-of-order.pstrace", mutate("0 0 forward - - 2.000", "0 0 forward - - 1.000"),
             ":17: start time 1.000 us is before the previous event's start 1.500 us (events "
             "must be in order of start time)"),
            ("empty.pstrace", "",
             ":1: empty file: expected the header line 'membox-pstrace 2' or the binary "
             "magic"),
        ]

    def test_malformed_traces_exit_2_naming_file_and_line_or_record(self):
        for name, data, msg in self.malformed():
            with self.subTest(name=name):
                path = self.write(name, data)
                r = run("trace", "info", path)
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertEqual(r.stderr, path + msg + "\n")
                self.assertEqual(r.stdout, "")

    def test_failed_convert_leaves_no_file(self):
        for name, data, msg in self.malformed():
            with self.subTest(name=name):
                path = self.write(name, data)
                before = sorted(os.listdir(self.dir))
                out = os.path.join(self.dir, "out.pstb")
                r = run("trace", "convert", path, out)
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertEqual(r.stderr, path + msg + "\n")
                self.assertEqual(sorted(os.listdir(self.dir)), before)

    def test_missing_input_and_unwritable_output(self):
        missing = os.path.join(self.dir, "none.pstrace")
        r = run("trace", "info", missing)
        self.assertEqual(r.returncode, 2)
        self.assertEqual(r.stderr, missing + ": cannot open: No such file or directory\n")
        src = self.write("ok.pstrace", BASE)
        r = run("trace", "convert", src, "/nonexistent-dir/x.pstb")
        self.assertEqual(r.returncode, 2)
        self.assertEqual(r.stderr, "/nonexistent-dir/x.pstb: cannot write: No such file or "
                                   "directory\n")

    def test_a_header_claiming_a_million_tensors_costs_no_memory(self):
        """A header's tensor count is checked against the tensors that follow, not allocated.

        These files of 33 to 90 bytes announce the largest table the format allows; reading
        them used to allocate it (about 94 MB) before finding that its first tensor is missing.
        """
        header = ("membox-pstrace 1\nmodel m\nworkers 1\niterations 1\nbatch 1\n"
                  "dtype int8\norigin\ntensors 1000000\n").encode()
        binary = (b"MBPSTRC\0" + (1).to_bytes(4, "little") + (1).to_bytes(4, "little") * 3
                  + (1000000).to_bytes(4, "little") + bytes([4, 1]) + (0).to_bytes(2, "little")
                  + b"m")
        gz = zlib.compressobj(6, zlib.DEFLATED, 31)
        gz_header = gz.compress(header) + gz.flush()
        gz = zlib.compressobj(6, zlib.DEFLATED, 31)
        gz_binary = gz.compress(binary) + gz.flush()
        text_msg = (":9: the file ends in the tensor table: tensor 0 of the 1000000 announced "
                    "on line 8 is missing")
        bin_msg = ": record 2: the file ends in the tensor table: tensor 0 of 1000000 is missing"
        cases = [("claim.pstrace", header, text_msg), ("claim.pstrace.gz", gz_header, text_msg),
                 ("claim.pstb", binary, bin_msg), ("claim.pstb.gz", gz_binary, bin_msg)]
        for name, data, msg in cases:
            with self.subTest(name=name):
                path = self.write(name, data)
                p = subprocess.Popen([SIM, "trace", "info", path], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
                _, status, usage = os.wait4(p.pid, 0)
                out, err = p.stdout.read().decode(), p.stderr.read().decode()
                p.stdout.close()
                p.stderr.close()
                self.assertEqual(os.waitstatus_to_exitcode(status), 2, err)
                self.assertEqual(err, path + msg + "\n")
                self.assertEqual(out, "")
                # The whole process, libc and zlib included, stays far below the 88 MB a
                # table of a million tensors takes.
                self.assertLess(usage.ru_maxrss / 1024.0, 32, name)
        # The same through a model that reads the trace while the topology is checked.
        trace = self.write("claim2.pstrace", header)
        config = self.write("claim.yaml", "instances:\n  node0: {type: host.ps, trace: "
                                          "claim2.pstrace, worker: 0}\n")
        r = run("check", config)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertTrue(r.stderr.startswith(config + ":2:"), r.stderr)
        self.assertTrue(r.stderr.endswith(trace + text_msg + "\n"), r.stderr)

    def test_an_endless_stream_of_nul_bytes_is_not_a_trace(self):
        # /dev/zero used to be read as empty lines, forever.
        r = subprocess.run([SIM, "trace", "info", "/dev/zero"], capture_output=True, text=True,
                           timeout=20)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertEqual(r.stderr, "/dev/zero:1: NUL byte at column 1: this is not a text trace\n")
        path = self.write("nul.pstrace", BASE.replace("model tiny", "model ti\0ny"))
        r = run("trace", "info", path)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertEqual(r.stderr, path + ":2: NUL byte at column 9: this is not a text trace\n")

    def test_info_summarises(self):
        r = run("trace", "info", self.write("ok.pstrace", BASE))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(info_numbers(r.stdout), (840, 840, 840))
        self.assertIn("events          19: forward 2, backward 2, grad_ready 4, push 4, "
                      "pull 4, update 1, barrier 2\n", r.stdout)
        self.assertIn("compute share   71.2% ", r.stdout)
        self.assertIn("tensor sizes    min 40 B, median 40 B, max 800 B\n", r.stdout)
        self.assertRegex(r.stdout, r"(?m)^  below 1 KiB +2 +840 +100\.0%$")

    def test_convert_defaults_follow_the_output_name(self):
        src = self.write("ok.pstrace", BASE)
        cases = [("a.pstb", b"MBPSTRC\0"), ("a.pstb.gz", b"\x1f\x8b"),
                 ("a.pstrace", b"membox-pstrace"), ("a.pstrace.gz", b"\x1f\x8b"),
                 ("a.other", b"MBPSTRC\0")]  # else: the form IN is not in
        for name, head in cases:
            out = os.path.join(self.dir, name)
            r = run("trace", "convert", src, out)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertTrue(self.read(out).startswith(head), name)
        out = os.path.join(self.dir, "b.pstb")
        self.assertEqual(run("trace", "convert", src, out, "--to", "text", "--gzip").returncode,
                         0)
        self.assertEqual(gzip.decompress(self.read(out)).decode(), BASE)
        self.assertEqual(sorted(f for f in os.listdir(self.dir) if ".tmp." in f), [])

    def test_convert_round_trips_byte_for_byte(self):
        sources = sorted(os.path.join(ROOT, "traces", "recorded", f)
                         for f in os.listdir(os.path.join(ROOT, "traces", "recorded"))
                         if f.endswith(".pstrace.gz"))
        self.assertGreaterEqual(len(sources), 9)
        sources.append(self.write("base.pstrace", BASE))
        for src in sources:
            with self.subTest(src=os.path.basename(src)):
                with open(src, "rb") as f:
                    data = f.read()
                text = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
                b1 = os.path.join(self.dir, "1.pstb")
                t1 = os.path.join(self.dir, "1.pstrace")
                b2 = os.path.join(self.dir, "2.pstb.gz")
                b3 = os.path.join(self.dir, "3.pstb.gz")
                t2 = os.path.join(self.dir, "2.pstrace.gz")
                for a, b in ((src, b1), (b1, t1), (b1, b2), (t1, b3), (b2, t2)):
                    r = run("trace", "convert", a, b)
                    self.assertEqual(r.returncode, 0, r.stderr)
                self.assertEqual(self.read(t1), text)           # text -> binary -> text
                self.assertEqual(self.read(b2), self.read(b3))  # two ways to the same binary
                self.assertEqual(gzip.decompress(self.read(b2)), self.read(b1))
                self.assertEqual(gzip.decompress(self.read(t2)), text)
                r1, r2 = run("trace", "info", src), run("trace", "info", b2)
                self.assertEqual(r1.returncode, 0, r1.stderr)
                self.assertEqual(r1.stdout.splitlines()[1:], r2.stdout.splitlines()[1:])

    def test_recorded_traces_move_the_model_bytes_each_way(self):
        d = os.path.join(ROOT, "traces", "recorded")
        for f in sorted(os.listdir(d)):
            if not f.endswith(".pstrace.gz"):
                continue
            with self.subTest(trace=f):
                model = f.split("-w")[0]
                r = run("trace", "info", os.path.join(d, f))
                self.assertEqual(r.returncode, 0, r.stderr)
                # mlp-allreduce: the torch.profiler recording's MLP, imported
                # (traces/recorded/README.md): 32*64+64 + 64*64+64 + 64*10+10 parameters.
                want = 4 * {**MODEL_PARAMS, "mlp-allreduce": 6922}[model]
                self.assertEqual(info_numbers(r.stdout), (want, want, want))


class GenPsTrace(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name
        self.gen = os.path.join(ROOT, "scripts", "gen-ps-trace")

    def tearDown(self):
        self.tmp.cleanup()

    def generate(self, name, *args):
        out = os.path.join(self.dir, name)
        r = subprocess.run([sys.executable, self.gen, *args, "-o", out], capture_output=True,
                           text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        return out

    def test_every_model_passes_the_reader_and_moves_its_table_each_way(self):
        for model in sorted(MODEL_PARAMS):
            for workers in (1, 3):
                with self.subTest(model=model, workers=workers):
                    out = self.generate(f"{model}-{workers}.pstrace.gz", "--model", model,
                                        "--workers", str(workers), "--iterations", "2")
                    r = run("trace", "info", out)
                    self.assertEqual(r.returncode, 0, r.stderr)
                    want = 4 * MODEL_PARAMS[model]
                    self.assertEqual(info_numbers(r.stdout), (want, want, want))
                    header, tensors, events = pstrace.read_trace(out)
                    self.assertEqual(sum(b for _n, _s, b in tensors), want)
                    per = pstrace.bytes_per_iteration(events)
                    self.assertEqual(sorted(per), [(w, i) for w in range(workers)
                                                   for i in range(2)])
                    self.assertTrue(all(v == [want, want] for v in per.values()), per)
                    self.assertEqual(header["workers"], str(workers))

    def test_timing_model(self):
        out = self.generate("r.pstrace", "--model", "resnet50", "--workers", "2",
                            "--iterations", "2", "--compute-us", "90000")
        _h, tensors, events = pstrace.read_trace(out)
        n = len(tensors)
        w0 = [e for e in events if e[0] == 0 and e[1] == 0]
        fwd = next(e for e in w0 if e[2] == "forward")
        bwd = next(e for e in w0 if e[2] == "backward")
        self.assertEqual((fwd[6] - fwd[5], bwd[6] - bwd[5]), (30_000_000, 60_000_000))
        ready = {e[3]: e[5] for e in w0 if e[2] == "grad_ready"}
        # Ready in reverse table order, the last tensor (fc.bias) first, conv1 last at the end.
        self.assertEqual(sorted(ready, key=lambda j: (ready[j], -j)), list(range(n - 1, -1, -1)))
        self.assertEqual(ready[0], bwd[6])
        for e in w0:
            if e[2] == "push":
                self.assertGreaterEqual(e[5], ready[e[3]])
        update = next(e for e in events if e[2] == "update" and e[1] == 0)
        barriers = [e for e in events if e[2] == "barrier" and e[1] == 0]
        self.assertEqual({e[6] for e in barriers}, {update[6]})
        self.assertEqual(max(e[5] for e in barriers), update[5])

    def test_output_is_deterministic_and_errors_are_usage_errors(self):
        a = self.generate("a.pstrace.gz", "--model", "mnist-tf", "--workers", "4")
        b = self.generate("b.pstrace.gz", "--model", "mnist-tf", "--workers", "4")
        with open(a, "rb") as fa, open(b, "rb") as fb:
            self.assertEqual(fa.read(), fb.read())
        r = subprocess.run([sys.executable, self.gen, "--model", "alexnet", "-o", "x"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 2)
        self.assertIn("invalid choice: 'alexnet'", r.stderr)
        r = subprocess.run([sys.executable, self.gen, "--list"], capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(r.returncode, 0)
        for model in MODEL_PARAMS:
            self.assertIn(model, r.stdout)


if __name__ == "__main__":
    SIM, ROOT = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    spec = importlib.util.spec_from_file_location("pstrace",
                                                  os.path.join(ROOT, "scripts", "pstrace.py"))
    pstrace = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(pstrace)
    unittest.main(argv=[sys.argv[0], "-v"])
