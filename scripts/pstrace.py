"""Parameter-server traces in Python: the canonical text writer and a small text reader.

traces/FORMAT.md ("Parameter-server traces") is the specification; sim/trace/pstrace*.c are the
reference reader and writer. This module is what scripts/record-ps-trace and
scripts/gen-ps-trace write with, and what the tests read with. Standard library only.

The writer produces the canonical text form, byte for byte what `membox-sim trace convert`
writes, so a trace made here converts to binary and back to the same bytes.
"""
import gzip
import os

VERSION = 2  # the newest; a trace without version 2's content is written as version 1
VERSIONS = (1, 2)
MAGIC = "membox-pstrace"
KINDS_V1 = ("forward", "backward", "grad_ready", "push", "pull", "update", "barrier")
SERVER_KINDS = ("recv", "apply", "send")  # version 2: the server's side of the messages
KINDS = KINDS_V1 + SERVER_KINDS
DTYPE_SIZE = {"float32": 4, "float16": 2, "bfloat16": 2, "float64": 8, "int8": 1}
NEEDS_TENSOR = ("grad_ready", "push", "pull", "recv", "send")
TAKES_TENSOR = NEEDS_TENSOR + ("update", "apply")
HAS_BYTES = ("push", "pull", "recv", "send")
TAKES_CPU = ("forward", "backward", "update", "apply")
SERVER = None  # the worker of an event run by the server (text '-')


def tensor_bytes(shape, dtype="float32"):
    n = 1
    for d in shape:
        n *= d
    return n * DTYPE_SIZE[dtype]


def fmt_time(ns):
    return f"{ns // 1000}.{ns % 1000:03d}"


def sort_key(ev, workers):
    """Events in start-time order; ties by worker (the server last), then as generated."""
    worker, start, seq = ev[0], ev[4], ev[-1]
    return (start, workers if worker is None else worker, seq)


def write_trace(path, *, model, workers, iterations, batch, dtype, origin, tensors, events,
                compress=None, warmup=None):
    """Writes a trace in the canonical text form.

    tensors: [(name, shape tuple)]; events: [(worker or None, iteration, kind, tensor id or
    None, start_ns, end_ns)] or, with the process CPU time of a compute event, the same with
    cpu_ns (or None) as a seventh element; sorted here by start time. warmup: how many first
    iterations are warm-up. The file is version 2 when it holds a warmup, a CPU time or a
    server-side kind (recv, apply, send), else version 1. It is written under a temporary
    name and renamed when complete. compress: gzip (default: path ends in .gz).
    """
    if compress is None:
        compress = path.endswith(".gz")
    if "\n" in origin or "\r" in origin or len(origin) > 1024:
        raise ValueError("origin: one line of at most 1024 characters")
    sizes = [tensor_bytes(shape, dtype) for _name, shape in tensors]
    numbered = [(*ev[:6], ev[6] if len(ev) > 6 else None, i) for i, ev in enumerate(events)]
    numbered.sort(key=lambda e: sort_key(e, workers))
    v2 = warmup is not None or any(e[6] is not None or e[2] in SERVER_KINDS for e in numbered)
    if warmup is not None and not 0 <= warmup < iterations:
        raise ValueError(f"warmup {warmup}: must leave a measured iteration of {iterations}")
    lines = [f"{MAGIC} {2 if v2 else 1}", f"model {model}", f"workers {workers}",
             f"iterations {iterations}", f"batch {batch}"]
    if v2:
        lines.append(f"warmup {warmup or 0}")
    lines += [f"dtype {dtype}", f"origin {origin}" if origin else "origin",
              f"tensors {len(tensors)}"]
    for i, (name, shape) in enumerate(tensors):
        lines.append(f"tensor {i} {name} {'x'.join(str(d) for d in shape)} {sizes[i]}")
    lines.append("events")
    lines.append("# worker iteration kind tensor bytes start_us end_us" +
                 (" cpu_us" if v2 else ""))
    for worker, it, kind, tensor, start, end, cpu, _seq in numbered:
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}")
        if start < 0 or end < start:
            raise ValueError(f"bad times {start} {end} for {kind}")
        if tensor is None and kind in NEEDS_TENSOR or \
                tensor is not None and kind not in TAKES_TENSOR:
            raise ValueError(f"{kind}: tensor {tensor!r}")
        if cpu is not None and (kind not in TAKES_CPU or cpu < 0):
            raise ValueError(f"{kind}: CPU time {cpu!r}")
        w = "-" if worker is None else str(worker)
        t = "-" if tensor is None else str(tensor)
        b = str(sizes[tensor]) if kind in HAS_BYTES else "-"
        line = f"{w} {it} {kind} {t} {b} {fmt_time(start)} {fmt_time(end)}"
        if v2:
            line += " -" if cpu is None else f" {fmt_time(cpu)}"
        lines.append(line)
    lines.append(f"end {len(numbered)}")
    data = ("\n".join(lines) + "\n").encode()
    tmp = f"{path}.tmp.{os.getpid()}"
    try:
        with open(tmp, "wb") as f:
            if compress:
                # mtime 0 and no file name: the same trace gives the same bytes.
                with gzip.GzipFile(filename="", mode="wb", compresslevel=6, fileobj=f,
                                   mtime=0) as gz:
                    gz.write(data)
            else:
                f.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _parse_time(s):
    us, _, frac = s.partition(".")
    return int(us) * 1000 + int((frac + "000")[:3])


def read_trace(path, cpu=False):
    """Reads a text trace (plain or gzip), version 1 or 2, with light checks; for tests and
    tools.

    Returns (header dict, [(name, shape, bytes)], [(worker or None, iteration, kind, tensor or
    None, bytes or None, start_ns, end_ns)]); with cpu=True each event has an eighth element,
    its CPU time in ns or None. The header dict has 'version' (an int) and, in version 2,
    'warmup'. The C reader is the one that checks everything.
    """
    with open(path, "rb") as f:
        head = f.read(2)
    opener = gzip.open if head == b"\x1f\x8b" else open
    header, tensors, events = {}, [], []
    with opener(path, "rt") as f:
        lines = [ln.rstrip("\n") for ln in f]
    magic = lines[0].split()
    if len(magic) != 2 or magic[0] != MAGIC or magic[1] not in ("1", "2"):
        raise ValueError(f"{path}:1: not a version 1 or 2 text trace")
    header["version"] = int(magic[1])
    i = 1
    while True:
        key, _, value = lines[i].partition(" ")
        i += 1
        if key == "tensors":
            break
        if key and not key.startswith("#"):
            header[key] = value
    for _ in range(int(value)):
        while lines[i].startswith("#") or not lines[i].strip():
            i += 1
        _t, _id, name, shape, nbytes = lines[i].split()
        tensors.append((name, tuple(int(d) for d in shape.split("x")), int(nbytes)))
        i += 1
    for line in lines[i:]:
        f = line.split()
        if not f or f[0].startswith("#") or f == ["events"]:
            continue
        if f[0] == "end":
            if int(f[1]) != len(events):
                raise ValueError(f"{path}: trailer says {f[1]} events, found {len(events)}")
            return header, tensors, events
        w, it, kind, t, b, start, end = f[:7]
        ev = (None if w == "-" else int(w), int(it), kind, None if t == "-" else int(t),
              None if b == "-" else int(b), _parse_time(start), _parse_time(end))
        if cpu:
            ev += (None if len(f) < 8 or f[7] == "-" else _parse_time(f[7]),)
        events.append(ev)
    raise ValueError(f"{path}: no trailer")


def bytes_per_iteration(events):
    """{(worker, iteration): [push bytes, pull bytes]} of a read_trace event list."""
    out = {}
    for w, it, kind, _t, b, *_times in events:
        if kind in ("push", "pull"):
            slot = out.setdefault((w, it), [0, 0])
            slot[0 if kind == "push" else 1] += b
    return out
