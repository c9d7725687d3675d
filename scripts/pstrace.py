"""Parameter-server traces in Python: the canonical text writer and a small text reader.

traces/FORMAT.md ("Parameter-server traces") is the specification; sim/trace/pstrace*.c are the
reference reader and writer. This module is what scripts/record-ps-trace and
scripts/gen-ps-trace write with, and what the tests read with. Standard library only.

The writer produces the canonical text form, byte for byte what `membox-sim trace convert`
writes, so a trace made here converts to binary and back to the same bytes.
"""
import gzip
import os

VERSION = 1
MAGIC = "membox-pstrace"
KINDS = ("forward", "backward", "grad_ready", "push", "pull", "update", "barrier")
DTYPE_SIZE = {"float32": 4, "float16": 2, "bfloat16": 2, "float64": 8, "int8": 1}
NEEDS_TENSOR = ("grad_ready", "push", "pull")
HAS_BYTES = ("push", "pull")
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
    worker, _it, _kind, _tensor, start, _end, seq = ev
    return (start, workers if worker is None else worker, seq)


def write_trace(path, *, model, workers, iterations, batch, dtype, origin, tensors, events,
                compress=None):
    """Writes a trace in the canonical text form.

    tensors: [(name, shape tuple)]; events: [(worker or None, iteration, kind, tensor id or
    None, start_ns, end_ns)], sorted here by start time. The file is written under a
    temporary name and renamed when complete. compress: gzip (default: path ends in .gz).
    """
    if compress is None:
        compress = path.endswith(".gz")
    if "\n" in origin or "\r" in origin or len(origin) > 1024:
        raise ValueError("origin: one line of at most 1024 characters")
    sizes = [tensor_bytes(shape, dtype) for _name, shape in tensors]
    numbered = [(*ev, i) for i, ev in enumerate(events)]
    numbered.sort(key=lambda e: sort_key(e, workers))
    lines = [f"{MAGIC} {VERSION}", f"model {model}", f"workers {workers}",
             f"iterations {iterations}", f"batch {batch}", f"dtype {dtype}",
             f"origin {origin}" if origin else "origin", f"tensors {len(tensors)}"]
    for i, (name, shape) in enumerate(tensors):
        lines.append(f"tensor {i} {name} {'x'.join(str(d) for d in shape)} {sizes[i]}")
    lines.append("events")
    lines.append("# worker iteration kind tensor bytes start_us end_us")
    for worker, it, kind, tensor, start, end, _seq in numbered:
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}")
        if start < 0 or end < start:
            raise ValueError(f"bad times {start} {end} for {kind}")
        if (tensor is None) == (kind in NEEDS_TENSOR):
            raise ValueError(f"{kind}: tensor {tensor!r}")
        w = "-" if worker is None else str(worker)
        t = "-" if tensor is None else str(tensor)
        b = str(sizes[tensor]) if kind in HAS_BYTES else "-"
        lines.append(f"{w} {it} {kind} {t} {b} {fmt_time(start)} {fmt_time(end)}")
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


def read_trace(path):
    """Reads a text trace (plain or gzip) with light checks; for tests and tools.

    Returns (header dict, [(name, shape, bytes)], [(worker or None, iteration, kind, tensor or
    None, bytes or None, start_ns, end_ns)]). The C reader is the one that checks everything.
    """
    with open(path, "rb") as f:
        head = f.read(2)
    opener = gzip.open if head == b"\x1f\x8b" else open
    header, tensors, events = {}, [], []
    with opener(path, "rt") as f:
        lines = [ln.rstrip("\n") for ln in f]
    magic = lines[0].split()
    if magic != [MAGIC, str(VERSION)]:
        raise ValueError(f"{path}:1: not a version {VERSION} text trace")
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
        w, it, kind, t, b, start, end = f
        events.append((None if w == "-" else int(w), int(it), kind,
                       None if t == "-" else int(t), None if b == "-" else int(b),
                       _parse_time(start), _parse_time(end)))
    raise ValueError(f"{path}: no trailer")


def bytes_per_iteration(events):
    """{(worker, iteration): [push bytes, pull bytes]} of a read_trace event list."""
    out = {}
    for w, it, kind, _t, b, _s, _e in events:
        if kind in HAS_BYTES:
            slot = out.setdefault((w, it), [0, 0])
            slot[0 if kind == "push" else 1] += b
    return out
