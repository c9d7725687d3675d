#!/usr/bin/env python3
"""Tests of the foreign-trace importers: scripts/import-torch-profiler and the API under it,
scripts/pstrace_import.py.

- The committed torch.profiler recording (traces/recorded/mlp-allreduce-rank*.json.gz, made
  by scripts/record-torch-profile with Debian's torch) imports into a trace that `membox-sim
  trace info` accepts, with the recorded model's tensor table, 2 workers, 3 iterations and
  the events the mapping in docs/workloads.md gives; a fresh import equals the committed
  .pstrace.gz byte for byte.
- Malformed recordings (cut short, an event without a field, a rank without ProfilerStep, a
  collective without a size) fail with the file and the event named, exit code 2, and leave
  no output or temporary file.
- Kineto-form traces (official wheels: NCCL kernels, nccl: ops with 'Input Dims',
  record_param_comms, distributedInfo, GPU copies of the steps), 3 ranks given out of order,
  and a parameter-server job made of gloo send/recv, built here as the profiler writes them.
- The module's documented example (a line-oriented log) runs as written in its docstring.

Usage: test_import.py MEMBOX_SIM SOURCE_ROOT
"""
import gzip
import importlib.machinery
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import unittest

SIM = None
ROOT = None
REC = "traces/recorded"


def load(path, name):
    loader = importlib.machinery.SourceFileLoader(name, path)
    spec = importlib.util.spec_from_loader(name, loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module


class Base(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        sys.path.insert(0, os.path.join(ROOT, "scripts"))
        cls.pstrace = load(os.path.join(ROOT, "scripts", "pstrace.py"), "pstrace")
        cls.pi = load(os.path.join(ROOT, "scripts", "pstrace_import.py"), "pstrace_import")

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def importer(self, *args, cwd=None):
        return subprocess.run([sys.executable, os.path.join(ROOT, "scripts",
                                                            "import-torch-profiler"), *args],
                              capture_output=True, text=True, timeout=60, cwd=cwd)

    def info(self, path):
        r = subprocess.run([SIM, "trace", "info", path], capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout

    def kinds(self, events):
        out = {}
        for ev in events:
            out[ev[2]] = out.get(ev[2], 0) + 1
        return out

    def check_structure(self, header, tensors, events):
        """What every imported trace must satisfy, whatever the input (the mapping's rules)."""
        workers, iterations = int(header["workers"]), int(header["iterations"])
        for w in range(workers):
            for i in range(iterations):
                mine = [e for e in events if e[0] == w and e[1] == i]
                fwd = [e for e in mine if e[2] == "forward"]
                bwd = [e for e in mine if e[2] == "backward"]
                self.assertEqual((len(fwd), len(bwd)), (1, 1), (w, i))
                self.assertEqual(fwd[0][6], bwd[0][5], "backward starts where forward ends")
                for e in mine:
                    if e[2] == "pull" and e[5] == e[6]:
                        self.assertLessEqual(e[6], fwd[0][5], "instant pulls before forward")
                    if e[2] == "push":
                        ready = [g for g in mine if g[2] == "grad_ready" and g[3] == e[3]]
                        self.assertTrue(ready, f"push of {e[3]} without grad_ready")
                        self.assertLessEqual(ready[0][5], e[5])
                        self.assertEqual(e[4], tensors[e[3]][2])
                later = [e for e in events if e[0] == w and e[1] > i]
                if later and mine:
                    self.assertLessEqual(max(e[5] for e in mine), min(e[5] for e in later),
                                         "a worker's iterations follow each other")


class Recorded(Base):
    def inputs(self):
        return [f"{REC}/mlp-allreduce-rank0.json.gz", f"{REC}/mlp-allreduce-rank1.json.gz"]

    def test_committed_recording(self):
        out = os.path.join(self.dir, "mlp.pstrace.gz")
        r = self.importer(out, *self.inputs(), "--tensors", f"{REC}/mlp-allreduce.tensors",
                          "--model", "mlp-allreduce", "--batch", "16", cwd=ROOT)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(os.listdir(self.dir), ["mlp.pstrace.gz"])
        text = self.info(out)
        self.assertRegex(text, r"workers\s*:?\s*2")
        header, tensors, events = self.pstrace.read_trace(out)
        self.assertEqual((header["workers"], header["iterations"], header["model"],
                          header["batch"]), ("2", "3", "mlp-allreduce", "16"))
        # The MLP 32 -> 64 -> 64 -> 10 of record-torch-profile, in model order.
        self.assertEqual([(n, s) for n, s, _b in tensors],
                         [("0.weight", (64, 32)), ("0.bias", (64,)), ("2.weight", (64, 64)),
                          ("2.bias", (64,)), ("4.weight", (10, 64)), ("4.bias", (10,))])
        self.assertEqual(self.kinds(events),
                         {"pull": 36, "forward": 6, "backward": 6, "grad_ready": 36,
                          "push": 36, "barrier": 6, "update": 3})
        model = sum(b for _n, _s, b in tensors)
        self.assertEqual(model, 4 * (64 * 32 + 64 + 64 * 64 + 64 + 10 * 64 + 10))
        per = self.pstrace.bytes_per_iteration(events)
        self.assertEqual(per, {(w, i): [model, model] for w in (0, 1) for i in range(3)})
        # The loop all-reduces after backward, in model order: pushes in table order.
        for w in (0, 1):
            order = [e[3] for e in events if e[0] == w and e[1] == 0 and e[2] == "push"]
            self.assertEqual(order, list(range(6)))
        self.check_structure(header, tensors, events)
        # --align collective: the first all-reduce ends at the same time on both ranks.
        firsts = [next(e for e in events if e[0] == w and e[2] == "push") for w in (0, 1)]
        self.assertEqual(firsts[0][6], firsts[1][6])
        # The committed import is what the importer makes of the committed recording.
        with gzip.open(out) as a, gzip.open(os.path.join(ROOT, REC,
                                                         "mlp-allreduce-w2.pstrace.gz")) as b:
            self.assertEqual(a.read(), b.read())

    def test_the_import_replays(self):
        """The imported trace drives host.ps nodes (configs/ps-2node.yaml): 3 iterations each,
        every tensor pushed and pulled once an iteration: 3 x 27,688 bytes each way."""
        trace = os.path.join(ROOT, REC, "mlp-allreduce-w2.pstrace.gz")
        stats = os.path.join(self.dir, "s.json")
        r = subprocess.run([SIM, "run", os.path.join(ROOT, "configs", "ps-2node.yaml"),
                            "--set", f"node0.trace={trace}", "--set", f"node1.trace={trace}",
                            "--stats", stats, "--quiet"], capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(stats) as f:
            st = json.load(f)["stats"]
        for n in ("node0", "node1"):
            self.assertEqual((st[f"{n}.iterations"], st[f"{n}.pushed_bytes"],
                              st[f"{n}.pulled_bytes"]), (3, 3 * 27688, 3 * 27688))

    def test_iterations_and_align_options(self):
        out = os.path.join(self.dir, "t.pstrace")
        r = self.importer(out, *self.inputs(), "--tensors", f"{REC}/mlp-allreduce.tensors",
                          "--iterations", "2", "--align", "step", cwd=ROOT)
        self.assertEqual(r.returncode, 0, r.stderr)
        header, tensors, events = self.pstrace.read_trace(out)
        self.assertEqual(header["iterations"], "2")
        self.check_structure(header, tensors, events)
        # --align step: both workers' first iteration starts (their instant pulls) at 0.
        self.assertEqual([min(e[5] for e in events if e[0] == w) for w in (0, 1)], [0, 0])
        r = self.importer(out, *self.inputs(), "--tensors", f"{REC}/mlp-allreduce.tensors",
                          "--iterations", "4", cwd=ROOT)
        self.assertEqual(r.returncode, 2)
        self.assertIn("--iterations 4, but only 3 steps are on every rank", r.stderr)

    def test_recording_without_shapes_needs_a_table(self):
        out = os.path.join(self.dir, "t.pstrace")
        r = self.importer(out, *self.inputs(), cwd=ROOT)
        self.assertEqual(r.returncode, 2)
        self.assertRegex(r.stderr, r"mlp-allreduce-rank0\.json\.gz: traceEvents\[\d+\] "
                                   r"'gloo:all_reduce': no tensor size: .*record_shapes=True"
                                   r".*--tensors")
        self.assertEqual(os.listdir(self.dir), [])
        # A table that does not fit: one tensor too few.
        table = os.path.join(self.dir, "short.tensors")
        with open(os.path.join(ROOT, REC, "mlp-allreduce.tensors")) as f:
            lines = f.read().splitlines()
        with open(table, "w") as f:
            f.write("\n".join(lines[:-1]) + "\n")
        r = self.importer(out, *self.inputs(), "--tensors", table, cwd=ROOT)
        self.assertEqual(r.returncode, 2)
        self.assertRegex(r.stderr, r"rank0\.json\.gz: traceEvents\[\d+\] 'ProfilerStep#\d+': 6 "
                                   r"sending collectives in this step, but the --tensors table "
                                   r"has 5 tensors")
        self.assertEqual(os.listdir(self.dir), ["short.tensors"])

    def malformed(self, edit):
        """Rank 1 of the recording changed by edit(text) -> text; returns the result."""
        with gzip.open(os.path.join(ROOT, REC, "mlp-allreduce-rank1.json.gz"), "rt") as f:
            text = f.read()
        bad = os.path.join(self.dir, "bad-rank1.json")
        with open(bad, "w") as f:
            f.write(edit(text))
        out = os.path.join(self.dir, "out.pstrace")
        r = self.importer(out, os.path.join(ROOT, REC, "mlp-allreduce-rank0.json.gz"), bad,
                          "--tensors", os.path.join(ROOT, REC, "mlp-allreduce.tensors"))
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertEqual(os.listdir(self.dir), ["bad-rank1.json"], "no output, no temporary")
        self.assertNotIn("Traceback", r.stderr)
        return r.stderr, bad

    def test_truncated_json(self):
        err, bad = self.malformed(lambda t: t[:len(t) // 2])
        self.assertRegex(err, re.escape(bad) + r": line 1 column \d+: not valid JSON: .*"
                                               r"\(the file ends early: truncated\?\)")

    def test_event_missing_a_field(self):
        events = None

        def drop_dur(text):
            nonlocal events
            events = json.loads(text)
            del events[7]["dur"]
            return json.dumps(events)
        err, bad = self.malformed(drop_dur)
        self.assertIn(f"{bad}: traceEvents[7] '{events[7]['name']}': no 'dur' field", err)

    def test_bad_timestamp(self):
        def negative(text):
            events = json.loads(text)
            events[3]["ts"] = -5
            return json.dumps(events)
        err, bad = self.malformed(negative)
        self.assertRegex(err, re.escape(bad) + r": traceEvents\[3\] '[^']+': 'ts' is -5: a "
                                               r"number of microseconds >= 0")

    def test_rank_without_profiler_step(self):
        def no_steps(text):
            return json.dumps([e for e in json.loads(text)
                               if not e["name"].startswith("ProfilerStep#")])
        err, bad = self.malformed(no_steps)
        self.assertIn(f"{bad}: no ProfilerStep#N event", err)

    def test_step_without_backward(self):
        def no_backward(text):
            return json.dumps([e for e in json.loads(text)
                               if "Backward" not in e["name"] and "autograd" not in e["name"]])
        err, bad = self.malformed(no_backward)
        self.assertRegex(err, re.escape(bad) + r": traceEvents\[\d+\] 'ProfilerStep#\d+': no "
                                               r"backward op in this step")

    def test_unreadable_input_and_unwritable_output(self):
        r = self.importer(os.path.join(self.dir, "no", "such", "dir.pstrace"), *self.inputs(),
                          "--tensors", f"{REC}/mlp-allreduce.tensors", cwd=ROOT)
        self.assertEqual(r.returncode, 2)
        self.assertRegex(r.stderr, r"dir\.pstrace: cannot write: No such file or directory\n$")
        r = self.importer(os.path.join(self.dir, "o.pstrace"),
                          os.path.join(self.dir, "missing.json"))
        self.assertEqual(r.returncode, 2)
        self.assertIn("missing.json: cannot read: No such file or directory", r.stderr)
        self.assertEqual(os.listdir(self.dir), [])

    def test_not_a_trace(self):
        err, bad = self.malformed(lambda t: '{"schemaVersion": 1}')
        self.assertIn(f"{bad}: no 'traceEvents' list", err)


def kineto_rank(rank, steps, buckets, clock_us, shapes=True, nccl_cpu=True, late=0):
    """A Kineto trace of one rank of a DDP job on GPUs, as torch 2.x writes it: ProfilerStep
    on the CPU and its copy on the GPU stream, autograd ops, bucket all-reduces launched
    during backward (nccl:all_reduce on the CPU, record_param_comms, the NCCL kernel on the
    GPU), the optimizer step. buckets: element counts, in launch order."""
    ev = [{"ph": "M", "name": "process_name", "pid": 1, "args": {"name": "python"}}]
    t = clock_us
    for s in steps:
        step = {"ph": "X", "cat": "user_annotation", "name": f"ProfilerStep#{s}", "pid": 1,
                "tid": 1, "ts": t, "dur": 1000}
        ev.append(step)
        ev.append({**step, "cat": "gpu_user_annotation", "pid": 0, "tid": 7, "ts": t + 3})
        ev.append({"ph": "X", "cat": "cpu_op", "name": "Optimizer.zero_grad#SGD.zero_grad",
                   "pid": 1, "tid": 1, "ts": t + 5, "dur": 5})
        ev.append({"ph": "X", "cat": "cpu_op", "name": "aten::linear", "pid": 1, "tid": 1,
                   "ts": t + 20, "dur": 200, "args": {"Input Dims": [[8, 16], [4, 16], [4]]}})
        b = t + 300
        for k in range(3):
            ev.append({"ph": "X", "cat": "cpu_op", "pid": 1, "tid": 2, "ts": b + 100 * k,
                       "dur": 90,
                       "name": "autograd::engine::evaluate_function: AddmmBackward0"})
        for k, n in enumerate(buckets):
            launch = b + 95 + 100 * k
            if nccl_cpu:
                args = {"Input Dims": [[[n]]], "Input type": ["float"]} if shapes else {}
                ev.append({"ph": "X", "cat": "cpu_op", "name": "nccl:all_reduce", "pid": 1,
                           "tid": 2, "ts": launch, "dur": 4, "args": args})
            if shapes:
                ev.append({"ph": "X", "cat": "cpu_op", "name": "record_param_comms", "pid": 1,
                           "tid": 2, "ts": launch + 1, "dur": 2,
                           "args": {"Collective name": "allreduce", "In msg nelems": n,
                                    "Out msg nelems": n, "dtype": "Float", "Group size": 3}})
            ev.append({"ph": "X", "cat": "kernel", "pid": 0, "tid": 7,
                       "ts": launch + 10 + (late if k == len(buckets) - 1 else 0),
                       "dur": 150.5, "name": "ncclDevKernel_AllReduce_Sum_f32_RING_LL(...)",
                       "args": {"stream": 7}})
        ev.append({"ph": "X", "cat": "cpu_op", "name": "Optimizer.step#SGD.step", "pid": 1,
                   "tid": 1, "ts": t + 800, "dur": 100})
        ev.append({"ph": "s", "name": "flow", "id": 3, "pid": 1, "tid": 1, "ts": t + 1})
        ev.append({})  # some writers end with an empty object
        ev.append({"ph": "i", "s": "g", "name": "Record Window End", "ts": t + 999})
        t += 1000
    return {"schemaVersion": 1, "distributedInfo": {"backend": "nccl", "rank": rank,
                                                    "world_size": 3},
            "baseTimeNanoseconds": 1700000000000000000, "traceEvents": ev}


def ps_rank(r, extra=None):
    """Legacy-form trace of rank r of a parameter-server job over gloo send/recv: rank 0
    sends the parameters (100 and 300 elements) to each worker, receives their gradients and
    steps the optimizer; workers receive, compute, send. extra: more events for workers."""
    ev = []
    for s in range(2):
        t = 1000 * s
        ev.append({"ph": "X", "name": f"ProfilerStep#{s}", "tid": 1, "ts": t, "dur": 999})
        if r == 0:
            for w in (1, 2):
                for k, n in enumerate((100, 300)):
                    ev.append({"ph": "X", "name": "gloo:send", "tid": 2, "dur": 8,
                               "ts": t + 10 * k + w, "args": {"Input Dims": [[n]]}})
                    ev.append({"ph": "X", "name": "gloo:recv", "tid": 2, "dur": 15,
                               "ts": t + 310 + 20 * k + w, "args": {"Input Dims": [[n]]}})
            ev.append({"ph": "X", "name": "Optimizer.step#SGD.step", "tid": 1,
                       "ts": t + 700, "dur": 50})
            continue
        for k, n in enumerate((100, 300)):
            ev.append({"ph": "X", "name": "gloo:recv", "tid": 2, "ts": t + 10 * k,
                       "dur": 8, "args": {"Input Dims": [[n]], "Input type": ["float"]}})
        for k in range(2):
            ev.append({"ph": "X", "tid": 1, "ts": t + 100 + 100 * k, "dur": 100,
                       "name": "MulBackward0"})
        for k, n in enumerate((300, 100)):
            ev.append({"ph": "X", "name": "gloo:send", "tid": 2, "ts": t + 310 + 20 * k,
                       "dur": 15, "args": {"Input Dims": [[n]], "Input type": ["float"]}})
        ev.extend({**x, "ts": x["ts"] + t} for x in extra or [])
    return ev


class Kineto(Base):
    def write(self, name, data):
        path = os.path.join(self.dir, name)
        with (gzip.open if name.endswith(".gz") else open)(path, "wt") as f:
            json.dump(data, f)
        return path

    def test_three_nccl_ranks_out_of_order(self):
        # Rank clocks differ by a few microseconds; the files come in the order 2, 0, 1.
        files = [self.write(f"r{r}.json" + (".gz" if r == 1 else ""),
                            kineto_rank(r, [10, 11, 12], [4 * 16 + 4, 8 * 4 + 8],
                                        5000.25 + 3 * r))
                 for r in (2, 0, 1)]
        out = os.path.join(self.dir, "k.pstrace")
        r = self.importer(out, *files, "--model", "ddp3", "--batch", "8")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.info(out)
        header, tensors, events = self.pstrace.read_trace(out)
        self.assertEqual((header["workers"], header["iterations"], header["batch"]),
                         ("3", "3", "8"))
        # DDP launches buckets during backward, last layers first: the table is reversed.
        self.assertEqual([(s, b) for _n, s, b in tensors], [((40,), 160), ((68,), 272)])
        self.assertEqual(self.kinds(events),
                         {"pull": 18, "forward": 9, "backward": 9, "grad_ready": 18,
                          "push": 18, "barrier": 9, "update": 3})
        self.check_structure(header, tensors, events)
        # Timing of worker 1 (file r1.json.gz), iteration 0, against its kernel and launch
        # (--align clock: every rank on the profiler's clock, the earliest event at 0).
        origin = 5000.25 * 1000  # rank 0's first step, the earliest event
        w1 = [e for e in events if e[0] == 1 and e[1] == 0]
        push = [e for e in w1 if e[2] == "push"]
        ready = [e for e in w1 if e[2] == "grad_ready"]
        launch = 5003.25 + 300 + 95  # ns after origin below
        self.assertEqual((push[0][3], push[0][5] + origin, push[0][6] - push[0][5]),
                         (1, (launch + 10) * 1000, 150500))
        self.assertEqual(ready[0][5] + origin, launch * 1000)
        fwd = next(e for e in w1 if e[2] == "forward")
        self.assertEqual(fwd[5] + origin, (5003.25 + 10) * 1000)  # after zero_grad
        upd = [e for e in events if e[2] == "update"]
        self.assertEqual([(e[1], e[6] - e[5]) for e in upd], [(0, 100000), (1, 100000),
                                                              (2, 100000)])

    def test_kernel_running_into_the_next_step(self):
        # The last bucket's kernel starts 700 us late, after the CPU entered the next step:
        # it stays in the step that called it, and the next step's events wait for it.
        files = [self.write(f"r{r}.json", kineto_rank(r, [0, 1], [68, 40], 100.0, late=700))
                 for r in (0, 1)]
        out = os.path.join(self.dir, "k.pstrace")
        r = self.importer(out, *files)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("note: 8 events of a later step started before an event of the step "
                      "before it", r.stderr)
        header, tensors, events = self.pstrace.read_trace(out)
        self.check_structure(header, tensors, events)
        late = max(e[5] for e in events if e[0] == 0 and e[1] == 0)
        # The latest start in step 0 is its barrier's, when the late kernel ends (times from
        # step 0's start).
        self.assertEqual(late, int((495 + 10 + 700 + 150.5) * 1000))
        self.assertEqual([e[2] for e in events if e[0] == 0 and e[1] == 0 and e[5] == late],
                         ["barrier"])
        self.assertEqual(min(e[5] for e in events if e[0] == 0 and e[1] == 1), late)

    def test_buckets_over_a_parameter_table(self):
        # DDP buckets of 34 and 68 elements; the table of 4 parameters in model order.
        files = [self.write(f"r{r}.json", kineto_rank(r, [0, 1], [34, 68], 100.0))
                 for r in (0, 1)]
        table = os.path.join(self.dir, "t.tensors")
        with open(table, "w") as f:
            f.write("fc1.weight 4x16\nfc1.bias 4\nfc2.weight 2x16\nfc2.bias 2\n")
        out = os.path.join(self.dir, "k.pstrace")
        r = self.importer(out, *files, "--tensors", table)
        self.assertEqual(r.returncode, 0, r.stderr)
        header, tensors, events = self.pstrace.read_trace(out)
        self.assertEqual([n for n, _s, _b in tensors],
                         ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"])
        # Launched during backward, last layers first: bucket 0 carries fc2.bias and
        # fc2.weight (34 elements), bucket 1 fc1.bias and fc1.weight (68), each with the
        # bucket's kernel times.
        pushes = [e for e in events if e[2] == "push" and e[0] == 0 and e[1] == 0]
        self.assertEqual([e[3] for e in pushes], [3, 2, 1, 0])
        self.assertEqual(pushes[0][5:], pushes[1][5:])
        self.assertEqual(pushes[2][5:], pushes[3][5:])
        self.check_structure(header, tensors, events)
        with open(table, "w") as f:
            f.write("fc1.weight 4x16\nfc1.bias 4\nfc2.weight 2x16\nfc2.bias 3\n")
        r = self.importer(out, *files, "--tensors", table)
        self.assertEqual(r.returncode, 2)
        self.assertRegex(r.stderr, re.escape(files[0]) + r": traceEvents\[\d+\] 'ncclDevKernel_"
                         r"AllReduce_Sum_f32_RING_LL\(\.\.\.\)': 136 bytes recorded, but the "
                         r"next tensors of the --tensors table \(fc2.bias, fc2.weight\) make "
                         r"140")

    def test_missing_shapes(self):
        files = [self.write(f"r{r}.json", kineto_rank(r, [0, 1], [68, 40], 100.0,
                                                      shapes=False))
                 for r in (0, 1)]
        out = os.path.join(self.dir, "k.pstrace")
        r = self.importer(out, *files)
        self.assertEqual(r.returncode, 2)
        self.assertRegex(r.stderr, re.escape(files[0]) + r": traceEvents\[\d+\] 'ncclDevKernel_"
                                   r"AllReduce_Sum_f32_RING_LL\(\.\.\.\)': no tensor size")
        self.assertFalse(os.path.exists(out))
        table = os.path.join(self.dir, "t.tensors")
        with open(table, "w") as f:
            f.write("# model order\nfc1.weight 4x16\nfc1.bias 4\nfc2.weight 2x16\n"
                    "fc2.bias 2\n")
        r = self.importer(out, *files, "--tensors", table)
        self.assertEqual(r.returncode, 2)
        self.assertIn("2 sending collectives in this step, but the --tensors table has 4", r.stderr)
        with open(table, "w") as f:
            f.write("layer1 68\n# again\nlayer1 40\n")
        r = self.importer(out, *files, "--tensors", table)
        self.assertEqual(r.returncode, 2)
        self.assertIn(f"{table}: line 3: tensor 'layer1' again (first on line 1)", r.stderr)
        with open(table, "w") as f:
            f.write("layer1 68\nlayer2 40\n")
        r = self.importer(out, *files, "--tensors", table)
        self.assertEqual(r.returncode, 0, r.stderr)
        header, tensors, events = self.pstrace.read_trace(out)
        self.assertEqual([n for n, _s, _b in tensors], ["layer1", "layer2"])
        # Launched during backward: the first collective carries the last tensor.
        self.assertEqual([e[3] for e in events if e[2] == "push" and e[0] == 0 and e[1] == 0],
                         [1, 0])
        self.check_structure(header, tensors, events)

    def test_parameter_server_over_send_recv(self):
        """Rank 0 serves: recv gradients, optimizer step, send parameters; ranks 1, 2 work."""
        files = [self.write(f"ps{r}.json", ps_rank(r)) for r in range(3)]
        out = os.path.join(self.dir, "ps.pstrace")
        r = self.importer(out, *files, "--server", "0", "--align", "step")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.info(out)
        header, tensors, events = self.pstrace.read_trace(out)
        self.assertEqual(header["workers"], "2")
        self.assertEqual([s for _n, s, _b in tensors], [(100,), (300,)])
        self.assertEqual(self.kinds(events), {"pull": 8, "forward": 4, "backward": 4,
                                              "grad_ready": 8, "push": 8, "barrier": 4,
                                              "update": 2})
        w0 = [e for e in events if e[0] == 0 and e[1] == 0]
        fwd = next(e for e in w0 if e[2] == "forward")
        self.assertEqual((fwd[5], fwd[6]), (18000, 100000))  # after the last recv
        self.check_structure(header, tensors, events)
        # A receive called after forward's first computation (an aten:: op outside any
        # communication op) is a pull during forward, not before it.
        layer = [{"ph": "X", "name": "aten::mm", "tid": 1, "ts": 30, "dur": 5},
                 {"ph": "X", "name": "c10d::recv_", "tid": 1, "ts": 40, "dur": 30},
                 {"ph": "X", "name": "aten::empty", "tid": 1, "ts": 41, "dur": 1},
                 {"ph": "X", "name": "gloo:recv", "tid": 2, "ts": 45, "dur": 20,
                  "args": {"Input Dims": [[50]], "Input type": ["float"]}}]
        files = [self.write(f"ps{r}.json", ps_rank(r, layer)) for r in range(3)]
        r = self.importer(out, *files, "--server", "0", "--align", "step")
        self.assertEqual(r.returncode, 0, r.stderr)
        header, tensors, events = self.pstrace.read_trace(out)
        w0 = [e for e in events if e[0] == 0 and e[1] == 0]
        fwd = next(e for e in w0 if e[2] == "forward")
        self.assertEqual((fwd[5], fwd[6]), (18000, 100000))
        self.assertIn((0, 0, "pull", 2, 200, 45000, 65000), events)
        self.check_structure(header, tensors, events)
        # A 3-byte message (a uint8 flag) is no whole number of float32: the table turns to
        # bytes, and says so.
        flag = {"ph": "X", "name": "gloo:recv", "tid": 2, "ts": 400, "dur": 5,
                "args": {"Input Dims": [[3]], "Input type": ["unsigned char"]}}
        files = [self.write(f"ps{r}.json", ps_rank(r, [flag])) for r in range(3)]
        r = self.importer(out, *files, "--server", "0")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stderr, r"note: .*ps1\.json: traceEvents\[\d+\] 'gloo:recv' "
                                   r"carries 3 bytes, not a whole number of float32 elements: "
                                   r"the table is in bytes \(int8\)")
        header, tensors, events = self.pstrace.read_trace(out)
        self.assertEqual(header["dtype"], "int8")
        self.assertEqual([(s, b) for _n, s, b in tensors], [((400,), 400), ((1200,), 1200),
                                                            ((3,), 3)])
        self.check_structure(header, tensors, events)
        r = self.importer(out, *files, "--server", "5")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--server 5: no such rank among the files (0, 1, 2)", r.stderr)


class Api(Base):
    def example(self):
        doc = self.pi.__doc__
        begin = doc.rindex("\n", 0, doc.index("# example-begin")) + 1
        code = doc[begin:doc.index("# example-end")]
        scope = {}
        exec(textwrap.dedent(code), scope)  # noqa: S102 - the documented example, verbatim
        return scope["import_log"]

    def test_documented_example(self):
        log = os.path.join(self.dir, "job.log")
        with open(log, "w") as f:
            f.write("# rank step op tensor shape start_us end_us\n"
                    "0 0 recv w 4x8 0 1.5\n1 0 recv w 4x8 0.5 2\n"
                    "0 0 fwd 2 10\n1 0 fwd 2 11\n0 0 bwd 10 20.25\n1 0 bwd 11 21\n"
                    "0 0 send w 4x8 20.25 22\n1 0 send w 4x8 21 23\n\n- 0 step 23 24\n"
                    "0 1 recv w 4x8 25 26\n1 1 recv w 4x8 25 26\n0 1 fwd 26 30\n"
                    "1 1 fwd 26 31\n0 1 bwd 30 40\n1 1 bwd 31 41\n"
                    "0 1 send w 4x8 40 41\n1 1 send w 4x8 41 42\n- 1 step 42 43\n")
        out = os.path.join(self.dir, "job.pstrace.gz")
        summary = self.example()(log, out)
        self.assertEqual(summary, {"workers": 2, "iterations": 2, "tensors": 1,
                                   "events": {"pull": 4, "forward": 4, "backward": 4,
                                              "grad_ready": 4, "push": 4, "update": 2}})
        self.info(out)
        _h, tensors, events = self.pstrace.read_trace(out)
        self.assertEqual(tensors, [("w", (4, 8), 128)])
        self.assertEqual(events[-1], (None, 1, "update", None, None, 42000, 43000))
        with open(log) as f:
            good = f.read()
        for extra, message in (("0 2 send w 4x9 50 51", "shape 4x9 differs from the 4x8 seen "
                                                        "first"),
                               ("0 2 fwd 50", "bad record '0 2 fwd 50'")):
            with open(log, "w") as f:
                f.write(good + extra + "\n")
            with self.assertRaises(self.pi.ImportFailure) as cm:
                self.example()(log, os.path.join(self.dir, "x.pstrace"))
            n = len(good.splitlines()) + 1
            self.assertIn(f"{log}: line {n}: ", str(cm.exception))
            self.assertIn(message, str(cm.exception))
        self.assertEqual(sorted(os.listdir(self.dir)), ["job.log", "job.pstrace.gz"])

    def test_records(self):
        path = os.path.join(self.dir, "x.log.gz")
        with gzip.open(path, "wt") as f:
            f.write("# c\n\n a b \n\tc\n")
        self.assertEqual(list(self.pi.records(path)), [(3, "a b"), (4, "c")])
        with open(path, "rb") as f:
            data = f.read()
        with open(path, "wb") as f:
            f.write(data[:-12])  # the gzip trailer and some data cut off
        with self.assertRaises(self.pi.ImportFailure) as cm:
            list(self.pi.records(path))
        self.assertRegex(str(cm.exception), re.escape(path) + r": line \d+: ")
        with self.assertRaises(self.pi.ImportFailure) as cm:
            list(self.pi.records(os.path.join(self.dir, "missing.log")))
        self.assertIn("missing.log: cannot read: No such file or directory", str(cm.exception))

    def test_builder_checks(self):
        b = self.pi.TraceBuilder(model="m")
        t = b.tensor("a", (2, 3))
        self.assertEqual(b.tensor("a", [2, 3]), t)
        for bad in (lambda: b.tensor("a b", (1,)), lambda: b.tensor("z", (0,)),
                    lambda: b.event("push", 0, 0, 5, 6), lambda: b.event("update", 0, 0, 1, 2),
                    lambda: b.event("forward", 0, 0, 6, 5), lambda: b.grad_ready(0, 0, 9, 1),
                    lambda: b.event("jump", 0, 0, 1, 1)):
            with self.assertRaises(ValueError):
                bad()
        out = os.path.join(self.dir, "empty.pstrace")
        with self.assertRaises(ValueError):
            b.write(out)  # no worker event
        self.assertEqual(os.listdir(self.dir), [])
        self.assertEqual(self.pi.parse_shape("[64, 3, 7, 7]"), (64, 3, 7, 7))
        self.assertEqual(self.pi.parse_shape("10x20"), (10, 20))
        with self.assertRaises(ValueError):
            self.pi.parse_shape("10x-2")


class RecordTorchProfile(Base):
    """scripts/record-torch-profile end to end (a real 2-rank job, a few seconds): only with
    --record (the meson test 'import-record', suite slow), and only where /usr/bin/python3
    has torch."""

    @classmethod
    def setUpClass(cls):
        if not RECORD:
            raise unittest.SkipTest("run with --record (meson test import-record)")
        r = subprocess.run(["/usr/bin/python3", "-c", "import torch"], capture_output=True,
                           text=True, timeout=120) if os.path.exists("/usr/bin/python3") else None
        if r is None or r.returncode != 0:
            raise unittest.SkipTest("/usr/bin/python3 cannot import torch: apt-get install "
                                    "python3-torch")
        super().setUpClass()

    def test_record_then_import(self):
        rec = os.path.join(self.dir, "rec")
        r = subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "scripts",
                                                             "record-torch-profile"),
                            "--out-dir", rec, "--prefix", "p", "--ranks", "3", "--steps", "2",
                            "--hidden", "8"], capture_output=True, text=True, timeout=240)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(sorted(os.listdir(rec)), ["p-rank0.json.gz", "p-rank1.json.gz",
                                                   "p-rank2.json.gz", "p.tensors"])
        out = os.path.join(self.dir, "p.pstrace.gz")
        r = self.importer(out, *(os.path.join(rec, f"p-rank{k}.json.gz") for k in range(3)),
                          "--tensors", os.path.join(rec, "p.tensors"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.info(out)
        header, tensors, events = self.pstrace.read_trace(out)
        self.assertEqual((header["workers"], header["iterations"]), ("3", "2"))
        self.assertEqual([(n, s) for n, s, _b in tensors],
                         [("0.weight", (8, 32)), ("0.bias", (8,)), ("2.weight", (8, 8)),
                          ("2.bias", (8,)), ("4.weight", (10, 8)), ("4.bias", (10,))])
        self.check_structure(header, tensors, events)


RECORD = False

if __name__ == "__main__":
    SIM = os.path.abspath(sys.argv[1])
    ROOT = os.path.abspath(sys.argv[2])
    del sys.argv[1:3]
    if "--record" in sys.argv:
        RECORD = True
        sys.argv.remove("--record")
        sys.argv.append("RecordTorchProfile")
    shutil.which(SIM) or sys.exit(f"{SIM}: not executable")
    unittest.main(verbosity=2)
