"""Turning a foreign record- or line-oriented trace into a parameter-server trace: the API.

traces/FORMAT.md ("Parameter-server traces") is the target format; scripts/pstrace.py writes
it. This module is what every importer uses (scripts/import-torch-profiler is one): it owns
the tensor table, the workers and iterations, the events, every check the C reader would
apply, and the atomic write (a temporary name, renamed when complete), so an importer only
reads its own format and says what each record means. Standard library only; the API below is
stable (new functions may be added, none of these changes meaning). A trace that uses a CPU
time, a server-side event or a warm-up is written as version 2, any other as version 1.

    ImportFailure(path, where, message)   the error every importer raises for bad input;
                                          str() is 'path: where: message' (where may be empty)
    open_text(path)                       a text file, plain or gzip (told by content)
    records(path, comment="#")            (line number, stripped line) of every line that is
                                          not blank and not a comment
    parse_shape(text)                     '64x3x7x7', '[64, 3, 7, 7]' or '64,3,7,7' -> (64, 3, 7, 7)
    TraceBuilder(model, dtype, batch, origin)
      .tensor(name, shape) -> id          adds a tensor, or returns the id of the same name
                                          (a different shape for a known name is an error)
      .event(kind, worker, iteration, start_ns, end_ns, tensor=None, cpu_ns=None)
                                          worker: any hashable key (a rank, a host name), None
                                          for the server; the keys are numbered 0..W-1 in
                                          sorted order (or set_workers() order); cpu_ns: the
                                          process CPU time of a compute event (forward,
                                          backward, update, apply), when the source has it
      .forward/.backward(worker, iteration, start_ns, end_ns, cpu_ns=None)
      .barrier(worker, iteration, start_ns, end_ns)
      .grad_ready(worker, iteration, tensor, t_ns)
      .push/.pull(worker, iteration, tensor, start_ns, end_ns)
      .update(iteration, start_ns, end_ns, tensor=None, cpu_ns=None)
      .recv/.send(worker, iteration, tensor, start_ns, end_ns)
                                          the server's side of worker's push / pull
      .apply(worker, iteration, start_ns, end_ns, tensor=None, cpu_ns=None)
                                          the server applies worker's gradient (None: all)
      .set_workers(keys)                  fixes the workers and their order
      .set_warmup(n)                      the first n iterations (in order) are warm-up
      .summary() -> dict                  workers, iterations, tensors, events by kind
      .write(path)                        checks, shifts times so the first event starts at 0,
                                          writes the canonical text form (gzip if path ends in
                                          .gz) under a temporary name and renames it

Times are integer nanoseconds on one clock shared by all workers (the importer aligns the
clocks; FORMAT.md has microseconds with 3 decimals, i.e. nanoseconds). Iterations are
integers; the builder numbers the distinct ones 0..N-1 in order, so an importer may pass the
foreign numbering (e.g. ProfilerStep#7 as 7).

Example: a line-oriented log, one operation a line, `RANK STEP OP [TENSOR SHAPE] START_US
END_US` (OP one of fwd, bwd, send, recv, step; RANK `-` for the server's step), with `#`
comments. The test
tests/cli/test_import.py runs exactly this code (between the markers) on such a file.

    # example-begin
    import pstrace_import as pi

    KINDS = {"fwd": "forward", "bwd": "backward", "send": "push", "recv": "pull"}

    def import_log(path, out):
        b = pi.TraceBuilder(model="mylog", origin=f"import_log {path}")
        for line, text in pi.records(path):
            f = text.split()
            try:
                rank = None if f[0] == "-" else int(f[0])
                step, op = int(f[1]), f[2]
                start, end = (int(round(float(x) * 1000)) for x in f[-2:])
                if op in ("send", "recv"):
                    t = b.tensor(f[3], pi.parse_shape(f[4]))
                    if op == "send":
                        b.grad_ready(rank, step, t, start)
                    b.event(KINDS[op], rank, step, start, end, tensor=t)
                elif op == "step":
                    b.update(step, start, end)
                else:
                    b.event(KINDS[op], rank, step, start, end)
            except (ValueError, IndexError, KeyError) as e:
                raise pi.ImportFailure(path, f"line {line}", f"bad record {text!r} ({e})")
        b.write(out)
        return b.summary()
    # example-end
"""
import gzip
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
import pstrace  # noqa: E402

MAX_TENSORS = 1_000_000
MAX_WORKERS = 65535
MAX_NS = 18446744073709551  # 18446744073709.551 us, the format's limit


class ImportFailure(Exception):
    """Bad input: names the file, where in it (a line, a record) and what is wrong."""

    def __init__(self, path, where, message):
        self.path, self.where, self.message = path, where, message
        super().__init__(f"{path}: {where}: {message}" if where else f"{path}: {message}")


def open_text(path):
    """Opens a text file for reading, gzip or plain, told apart by its first two bytes."""
    with open(path, "rb") as f:
        gz = f.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rt", encoding="utf-8") if gz else open(path, encoding="utf-8")


def records(path, comment="#"):
    """Yields (line number from 1, the line stripped) of each line that is neither blank nor
    a comment. Decoding errors and truncated gzip streams become ImportFailure at the line."""
    try:
        f = open_text(path)
    except OSError as e:
        raise ImportFailure(path, "", f"cannot read: {e.strerror or e}") from None
    line = 0
    with f:
        try:
            for line, text in enumerate(f, 1):
                text = text.strip()
                if text and not (comment and text.startswith(comment)):
                    yield line, text
        except (UnicodeDecodeError, EOFError, gzip.BadGzipFile, OSError) as e:
            raise ImportFailure(path, f"line {line + 1}", str(e)) from None


def parse_shape(text):
    """'64x3x7x7', '[64, 3, 7, 7]', '(64,3)' or '64,3' -> a tuple of positive ints."""
    parts = [p for p in re.split(r"[x,\s\[\]()]+", str(text).strip()) if p]
    if not 1 <= len(parts) <= 8 or not all(p.isdigit() and int(p) >= 1 for p in parts):
        raise ValueError(f"bad shape {text!r}: 1 to 8 dimensions, each >= 1")
    return tuple(int(p) for p in parts)


def _tensor_name_ok(name):
    return 1 <= len(name.encode()) <= 255 and all(0x20 < ord(c) != 0x7F for c in name)


class TraceBuilder:
    """Collects a trace's header, tensor table and events; write() checks and writes it."""

    def __init__(self, model, dtype="float32", batch=1, origin=""):
        if not _tensor_name_ok(model):
            raise ValueError(f"model name {model!r}: 1 to 255 bytes, no blank or control")
        if dtype not in pstrace.DTYPE_SIZE:
            raise ValueError(f"dtype {dtype!r}: one of {', '.join(pstrace.DTYPE_SIZE)}")
        if batch < 1:
            raise ValueError("batch must be >= 1")
        self.model, self.dtype, self.batch = model, dtype, batch
        self.origin = " ".join(origin.split())[:1024]
        self.tensors = []  # [(name, shape)]
        self._ids = {}
        # [(worker key or None, iteration key, kind, tensor, start, end, cpu or None)]
        self.events = []
        self._workers = None
        self.warmup = None

    def tensor(self, name, shape):
        shape = tuple(int(d) for d in shape)
        if not _tensor_name_ok(name):
            raise ValueError(f"tensor name {name!r}: 1 to 255 bytes, no blank or control")
        if not 1 <= len(shape) <= 8 or min(shape) < 1:
            raise ValueError(f"tensor {name}: shape {shape}: 1 to 8 dimensions, each >= 1")
        if name in self._ids:
            t = self._ids[name]
            if self.tensors[t][1] != shape:
                raise ValueError(f"tensor {name}: shape {'x'.join(map(str, shape))} differs "
                                 f"from the {'x'.join(map(str, self.tensors[t][1]))} seen first")
            return t
        if len(self.tensors) >= MAX_TENSORS:
            raise ValueError(f"more than {MAX_TENSORS} tensors")
        self._ids[name] = len(self.tensors)
        self.tensors.append((name, shape))
        return self._ids[name]

    def tensor_bytes(self, t):
        return pstrace.tensor_bytes(self.tensors[t][1], self.dtype)

    def set_workers(self, keys):
        keys = list(keys)
        if len(set(keys)) != len(keys) or None in keys:
            raise ValueError("workers: distinct keys, not None (None is the server)")
        self._workers = keys

    def set_warmup(self, n):
        if n < 0:
            raise ValueError("warmup must be >= 0")
        self.warmup = int(n)

    def event(self, kind, worker, iteration, start_ns, end_ns, tensor=None, cpu_ns=None):
        if kind not in pstrace.KINDS:
            raise ValueError(f"unknown kind {kind!r} (one of {', '.join(pstrace.KINDS)})")
        if kind == "update" and worker is not None:
            raise ValueError("update: the server runs it (worker None)")
        if worker is None and kind not in ("update", "apply"):
            raise ValueError(f"{kind}: needs a worker (only update and apply may have None)")
        if kind in pstrace.NEEDS_TENSOR and tensor is None:
            raise ValueError(f"{kind} needs a tensor")
        if kind not in pstrace.TAKES_TENSOR and tensor is not None:
            raise ValueError(f"{kind} has no tensor")
        if cpu_ns is not None:
            if kind not in pstrace.TAKES_CPU:
                raise ValueError(f"{kind} takes no CPU time (only {', '.join(pstrace.TAKES_CPU)})")
            cpu_ns = int(cpu_ns)
            if not 0 <= cpu_ns <= MAX_NS:
                raise ValueError(f"{kind}: CPU time {cpu_ns} ns out of range")
        if tensor is not None and not 0 <= tensor < len(self.tensors):
            raise ValueError(f"unknown tensor id {tensor}")
        start_ns, end_ns = int(start_ns), int(end_ns)
        if end_ns < start_ns:
            raise ValueError(f"{kind}: ends ({end_ns} ns) before it starts ({start_ns} ns)")
        if kind == "grad_ready" and end_ns != start_ns:
            raise ValueError("grad_ready is an instant")
        self.events.append((worker, iteration, kind, tensor, start_ns, end_ns, cpu_ns))

    def forward(self, worker, iteration, start_ns, end_ns, cpu_ns=None):
        self.event("forward", worker, iteration, start_ns, end_ns, cpu_ns=cpu_ns)

    def backward(self, worker, iteration, start_ns, end_ns, cpu_ns=None):
        self.event("backward", worker, iteration, start_ns, end_ns, cpu_ns=cpu_ns)

    def barrier(self, worker, iteration, start_ns, end_ns):
        self.event("barrier", worker, iteration, start_ns, end_ns)

    def grad_ready(self, worker, iteration, tensor, t_ns):
        self.event("grad_ready", worker, iteration, t_ns, t_ns, tensor)

    def push(self, worker, iteration, tensor, start_ns, end_ns):
        self.event("push", worker, iteration, start_ns, end_ns, tensor)

    def pull(self, worker, iteration, tensor, start_ns, end_ns):
        self.event("pull", worker, iteration, start_ns, end_ns, tensor)

    def update(self, iteration, start_ns, end_ns, tensor=None, cpu_ns=None):
        self.event("update", None, iteration, start_ns, end_ns, tensor, cpu_ns)

    def recv(self, worker, iteration, tensor, start_ns, end_ns):
        self.event("recv", worker, iteration, start_ns, end_ns, tensor)

    def send(self, worker, iteration, tensor, start_ns, end_ns):
        self.event("send", worker, iteration, start_ns, end_ns, tensor)

    def apply(self, worker, iteration, start_ns, end_ns, tensor=None, cpu_ns=None):
        self.event("apply", worker, iteration, start_ns, end_ns, tensor, cpu_ns)

    def _numbering(self):
        keys = self._workers
        if keys is None:
            keys = sorted({w for w, *_ in self.events if w is not None})
        unknown = {w for w, *_ in self.events if w is not None} - set(keys)
        if unknown:
            raise ValueError(f"events of workers {sorted(unknown)} not in set_workers()")
        its = sorted({it for _w, it, *_ in self.events})
        return {k: i for i, k in enumerate(keys)}, {k: i for i, k in enumerate(its)}

    def summary(self):
        workers, its = self._numbering()
        kinds = {}
        for ev in self.events:
            kinds[ev[2]] = kinds.get(ev[2], 0) + 1
        return {"workers": len(workers), "iterations": len(its), "tensors": len(self.tensors),
                "events": kinds}

    def write(self, path):
        """Checks the whole trace and writes it (canonical text; gzip if path ends in .gz)
        under a temporary name, renamed when complete. Raises ValueError on an empty or
        impossible trace (nothing is left behind)."""
        if not self.tensors:
            raise ValueError("no tensor: a trace needs at least one exchanged tensor")
        workers, its = self._numbering()
        if not workers:
            raise ValueError("no worker event")
        if len(workers) > MAX_WORKERS:
            raise ValueError(f"{len(workers)} workers (at most {MAX_WORKERS})")
        origin = min(ev[4] for ev in self.events)
        events = []
        for w, it, kind, t, s, e, cpu in self.events:
            if e - origin > MAX_NS:
                raise ValueError(f"the trace spans more than {MAX_NS} ns")
            events.append((None if w is None else workers[w], its[it], kind, t, s - origin,
                           e - origin, cpu))
        if self.warmup is not None and self.warmup >= len(its):
            raise ValueError(f"warmup {self.warmup} leaves none of the {len(its)} iterations "
                             "measured")
        pstrace.write_trace(path, model=self.model, workers=len(workers),
                            iterations=len(its), batch=self.batch, dtype=self.dtype,
                            origin=self.origin, tensors=self.tensors, events=events,
                            warmup=self.warmup)
