"""Devices: a purezmq device against a pyzmq (libzmq) device, same clients.

    python3 benchmarks/devices.py            # full run (about a minute)
    python3 benchmarks/devices.py --quick    # smaller counts
    python3 benchmarks/devices.py --profile streamer   # cProfile the purezmq device

Every device runs in a child process of its own, bound to tcp://127.0.0.1:0:
the purezmq one is the real runner (``python -m purezmq device ...``), the
pyzmq one is ``zmq.proxy`` on the same socket types. The clients are pyzmq
and identical for both, so the ratio purezmq/pyzmq is the device's cost:

* STREAMER (PULL/PUSH): a PUSH process sends N messages as fast as it can;
  a PULL in this process times first to last message -> messages/s.
* QUEUE (ROUTER/DEALER): CLIENTS REQ threads here, WORKERS REP threads in a
  child process, each client sends its requests one after the other ->
  requests/s (a request and its reply both cross the device).
* Latency: one REQ, one REP worker, sequential round trips: median and
  10th percentile of the round-trip time through each device, minus the
  same figure for a direct REQ->REP round trip = the latency the device adds
  (two crossings). On a busy machine the p10 is the steadier figure.

When ``pypy3`` is on PATH the purezmq device is also run under PyPy (the
clients stay CPython + pyzmq): that is the "no libzmq" deployment the runner
is for. Only the standard library and pyzmq are used; pyzmq is required.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from typing import Any, Optional

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
THIS = os.path.abspath(__file__)
TIMEOUT_MS = 20_000
SIZES = {"64 B": 64, "64 KiB": 65536}

# ----------------------------------------------------------------------
# child processes
# ----------------------------------------------------------------------


def _env() -> dict[str, str]:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    return env


class Child:
    """A subprocess that prints one line of endpoints, then serves until SIGTERM."""

    def __init__(self, argv: list[str]) -> None:
        self.proc = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(), cwd=ROOT
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            err = self.proc.stderr.read() if self.proc.stderr else ""
            raise RuntimeError(f"{argv} failed: {err}")
        self.line = line.strip()

    def endpoints(self) -> list[str]:
        return re.findall(r"tcp://[0-9.]+:\d+", self.line)

    def stop(self) -> None:
        try:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
            self.proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.communicate(timeout=5)

    def __enter__(self) -> Child:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def start_device(impl: str, kind: str, python: str = sys.executable) -> Child:
    if impl == "purezmq":
        argv = [python, "-m", "purezmq", "device", kind, "--in-bind", "tcp://127.0.0.1:0",
                "--out-bind", "tcp://127.0.0.1:0", "--linger", "0"]  # fmt: skip
    else:
        argv = [python, THIS, "--serve-pyzmq", kind]
    return Child(argv)


def serve_pyzmq(kind: str) -> None:
    """Child: zmq.proxy between the socket types of `kind`."""
    import zmq

    types = {"queue": (zmq.ROUTER, zmq.DEALER), "streamer": (zmq.PULL, zmq.PUSH)}[kind]
    ctx = zmq.Context()
    front, back = ctx.socket(types[0]), ctx.socket(types[1])
    front.bind("tcp://127.0.0.1:0")
    back.bind("tcp://127.0.0.1:0")
    print(
        f"pyzmq device {kind}: in {front.last_endpoint.decode()}; out {back.last_endpoint.decode()}",
        flush=True,
    )
    signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
    zmq.proxy(front, back)


def serve_purezmq_profiled(kind: str, out: str) -> None:
    """Child: the purezmq relay under cProfile, I/O thread included."""
    import cProfile
    import pstats

    import purezmq
    from purezmq.reactor.loop import IOThread
    from purezmq.sugar.proxy import run_relay

    profiles: list[cProfile.Profile] = []
    original = IOThread._run

    def profiled_run(self: Any) -> None:
        prof = cProfile.Profile()
        profiles.append(prof)
        prof.enable()
        try:
            original(self)
        finally:
            prof.disable()

    IOThread._run = profiled_run  # type: ignore[method-assign]
    types = {"queue": (purezmq.ROUTER, purezmq.DEALER), "streamer": (purezmq.PULL, purezmq.PUSH)}[
        kind
    ]
    ctx = purezmq.Context()
    front, back = ctx.socket(types[0]), ctx.socket(types[1])
    front.bind("tcp://127.0.0.1:0")
    back.bind("tcp://127.0.0.1:0")
    relay_prof = cProfile.Profile()
    profiles.append(relay_prof)

    def stop(*_: Any) -> None:
        threading.Thread(target=ctx.term, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    print(
        f"purezmq profiled {kind}: in {front.last_endpoint.decode()}; out {back.last_endpoint.decode()}",
        flush=True,
    )
    relay_prof.enable()
    try:
        run_relay(front, back)
    except purezmq.ContextTerminated:
        pass
    finally:
        relay_prof.disable()
        front.close(0)
        back.close(0)
    time.sleep(0.5)
    with open(out, "w") as f:
        for name, prof in zip(("I/O thread", "relay thread"), profiles):
            f.write(f"===== {name} =====\n")
            pstats.Stats(prof, stream=f).sort_stats("tottime").print_stats(30)


def pusher(endpoint: str, count: int, size: int) -> None:
    """Child: PUSH `count` messages of `size` bytes as fast as possible."""
    import zmq

    ctx = zmq.Context()
    push = ctx.socket(zmq.PUSH)
    push.sndtimeo = TIMEOUT_MS
    push.connect(endpoint)
    print("ready", flush=True)
    body = b"x" * size
    send = push.send
    for _ in range(count):
        send(body, copy=size < 8192)
    push.close(linger=TIMEOUT_MS)
    ctx.term()


def workers(endpoint: str, count: int) -> None:
    """Child: `count` REP threads echoing until SIGTERM."""
    import zmq

    ctx = zmq.Context()
    stop = threading.Event()

    def work() -> None:
        rep = ctx.socket(zmq.REP)
        rep.rcvtimeo = 200
        rep.linger = 0
        rep.connect(endpoint)
        while not stop.is_set():
            try:
                msg = rep.recv(copy=False)
            except zmq.Again:
                continue
            rep.send(msg, copy=False)
        rep.close()

    threads = [threading.Thread(target=work, daemon=True) for _ in range(count)]
    for t in threads:
        t.start()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    print("ready", flush=True)
    while not stop.is_set():
        time.sleep(0.05)
    for t in threads:
        t.join(2)
    ctx.term()


# ----------------------------------------------------------------------
# measurements (pyzmq clients, in this process)
# ----------------------------------------------------------------------


def streamer_rate(zmq: Any, device: Child, count: int, size: int) -> float:
    fe, be = device.endpoints()
    ctx = zmq.Context()
    pull = ctx.socket(zmq.PULL)
    pull.rcvtimeo = TIMEOUT_MS
    pull.connect(be)
    time.sleep(0.1)
    with Child([sys.executable, THIS, "--push", fe, str(count), str(size)]):
        pull.recv(copy=False)
        t0 = time.perf_counter()
        recv = pull.recv
        for _ in range(count - 1):
            recv(copy=False)
        elapsed = time.perf_counter() - t0
    pull.close(0)
    ctx.term()
    return (count - 1) / elapsed


def queue_rate(
    zmq: Any, device: Child, clients: int, per_client: int, size: int, n_workers: int
) -> float:
    fe, be = device.endpoints()
    ctx = zmq.Context()
    body = b"q" * size
    with Child([sys.executable, THIS, "--workers", be, str(n_workers)]):
        socks = []
        for _ in range(clients):
            s = ctx.socket(zmq.REQ)
            s.rcvtimeo = TIMEOUT_MS
            s.linger = 0
            s.connect(fe)
            socks.append(s)
        for s in socks:  # warm up every path
            s.send(body)
            s.recv()
        barrier = threading.Barrier(clients + 1)

        def run(s: Any) -> None:
            barrier.wait()
            for _ in range(per_client):
                s.send(body, copy=size < 8192)
                s.recv(copy=False)

        threads = [threading.Thread(target=run, args=(s,)) for s in socks]
        for t in threads:
            t.start()
        barrier.wait()
        t0 = time.perf_counter()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - t0
        for s in socks:
            s.close()
    ctx.term()
    return clients * per_client / elapsed


def round_trip_us(zmq: Any, fe: str, be: Optional[str], rounds: int) -> tuple[float, float]:
    """REQ->REP round trip (µs): (median, 10th percentile); be=None: no device."""
    ctx = zmq.Context()
    rep = ctx.socket(zmq.REP)
    rep.rcvtimeo = 100  # the echo thread checks `stop` this often
    req = ctx.socket(zmq.REQ)
    req.rcvtimeo = TIMEOUT_MS
    if be is None:
        port = rep.bind_to_random_port("tcp://127.0.0.1")
        req.connect(f"tcp://127.0.0.1:{port}")
    else:
        rep.connect(be)
        req.connect(fe)
    stop = threading.Event()

    def echo() -> None:
        while not stop.is_set():
            try:
                rep.send(rep.recv())
            except zmq.Again:
                pass

    t = threading.Thread(target=echo, daemon=True)
    t.start()
    samples = []
    for i in range(rounds + 50):
        t0 = time.perf_counter()
        req.send(b"ping")
        req.recv()
        if i >= 50:
            samples.append(time.perf_counter() - t0)
    stop.set()
    t.join(TIMEOUT_MS / 1000)
    req.close(0)
    rep.close(0)
    ctx.term()
    samples.sort()
    return statistics.median(samples) * 1e6, samples[len(samples) // 10] * 1e6


# ----------------------------------------------------------------------
# orchestration
# ----------------------------------------------------------------------


def _median(values: list[Any]) -> Any:
    """Median of floats, or element-wise median of tuples."""
    if values and isinstance(values[0], tuple):
        return tuple(statistics.median(col) for col in zip(*values))
    return statistics.median(values)


def _fmt_rate(x: float) -> str:
    return f"{x / 1000:,.1f} k" if x < 1e6 else f"{x / 1e6:,.2f} M"


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true", help="about a quarter of the counts")
    ap.add_argument("--repeats", type=int, default=3, help="runs per figure; the median is shown")
    ap.add_argument(
        "--no-pypy", action="store_true", help="skip the PyPy rows even if pypy3 exists"
    )
    ap.add_argument("--profile", choices=("queue", "streamer"), help="cProfile the purezmq device")
    ap.add_argument(
        "--only",
        action="append",
        choices=("streamer", "queue", "latency"),
        help="run only these scenarios (repeatable)",
    )
    ap.add_argument("--serve-pyzmq", help=argparse.SUPPRESS)
    ap.add_argument("--push", nargs=3, help=argparse.SUPPRESS)
    ap.add_argument("--workers", nargs=2, help=argparse.SUPPRESS)
    ap.add_argument("--serve-profiled", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve_pyzmq:
        serve_pyzmq(args.serve_pyzmq)
        return 0
    if args.push:
        pusher(args.push[0], int(args.push[1]), int(args.push[2]))
        return 0
    if args.workers:
        workers(args.workers[0], int(args.workers[1]))
        return 0
    if args.serve_profiled:
        serve_purezmq_profiled(*args.serve_profiled)
        return 0

    import zmq

    scale = 0.25 if args.quick else 1.0
    n64 = int(200_000 * scale)
    n64k = int(8_000 * scale)
    per_client = int(2_500 * scale)
    clients, n_workers = 4, 2
    rounds = int(2_000 * scale)

    if args.profile:
        out = os.path.abspath(f"devices-{args.profile}.prof.txt")
        dev = Child([sys.executable, THIS, "--serve-profiled", args.profile, out])
        try:
            if args.profile == "streamer":
                for size in SIZES.values():
                    print(
                        f"streamer {size} B: {_fmt_rate(streamer_rate(zmq, dev, n64 if size == 64 else n64k, size))} msg/s"
                    )
            else:
                for size in SIZES.values():
                    n = per_client if size == 64 else max(50, per_client // 10)
                    print(
                        f"queue {size} B: {_fmt_rate(queue_rate(zmq, dev, clients, n, size, n_workers))} req/s"
                    )
        finally:
            dev.stop()
        with open(out) as f:
            print(f.read())
        return 0

    impls: list[tuple[str, str, str]] = [
        ("pyzmq", "pyzmq", sys.executable),
        ("purezmq", "purezmq", sys.executable),
    ]
    pypy = shutil.which("pypy3")
    if pypy and not args.no_pypy:
        impls.append(("purezmq (PyPy)", "purezmq", pypy))
    names = [name for name, _, _ in impls]
    only = set(args.only or ("streamer", "queue", "latency"))

    def measure(kind: str, fn: Any) -> dict[str, Any]:
        runs: dict[str, list[Any]] = {name: [] for name in names}
        for _ in range(args.repeats):
            for name, impl, python in impls:  # interleaved: drifts hit everyone
                with start_device(impl, kind, python) as dev:
                    runs[name].append(fn(dev))
        return {name: _median(v) for name, v in runs.items()}

    def show(label: str, unit: str, res: dict[str, float]) -> None:
        cells = [f"{_fmt_rate(res[n])} {unit}" for n in names]
        ratios = [f"**{res[n] / res['pyzmq']:.2f}**" for n in names[1:]]
        table.append(f"| {label} | " + " | ".join(cells) + " | " + " | ".join(ratios) + " |")
        print(f"  {label}: " + ", ".join(f"{n} {c}" for n, c in zip(names, cells)), flush=True)

    print(f"# devices: streamer {n64} x 64 B and {n64k} x 64 KiB; queue {clients} REQ clients x "
          f"{per_client} (64 B) or {max(50, per_client // 10)} (64 KiB) requests, {n_workers} REP "
          f"workers; latency {rounds} round trips; median of {args.repeats}", flush=True)  # fmt: skip
    table = [
        "| scenario | "
        + " | ".join(names)
        + " | "
        + " | ".join(f"{n}/pyzmq" for n in names[1:])
        + " |",
        "|" + "---|" * (2 * len(names)),
    ]
    for size_label, size in SIZES.items():
        if "streamer" in only:
            count = n64 if size == 64 else n64k
            res = measure("streamer", lambda d, c=count, s=size: streamer_rate(zmq, d, c, s))
            show(f"STREAMER {size_label}", "msg/s", res)
        if "queue" in only:
            pc = per_client if size == 64 else max(50, per_client // 10)
            res = measure(
                "queue", lambda d, p=pc, s=size: queue_rate(zmq, d, clients, p, s, n_workers)
            )
            show(f"QUEUE {size_label}", "req/s", res)
    if "latency" in only:
        # the direct round trip is measured in every repetition too, next to
        # the devices, so the machine's load of the moment hits all alike
        runs: dict[str, list[Any]] = {name: [] for name in ["direct", *names]}
        for _ in range(args.repeats):
            runs["direct"].append(round_trip_us(zmq, "", None, rounds))
            for name, impl, python in impls:
                with start_device(impl, "queue", python) as dev:
                    runs[name].append(round_trip_us(zmq, *dev.endpoints(), rounds))
        lat = {name: _median(v) for name, v in runs.items()}
        direct = lat["direct"]
        table.append("")
        table.append(
            f"Round trip REQ->REP without a device: median {direct[0]:.0f} µs, p10 {direct[1]:.0f} µs"
        )
        table.append("")
        table.append(
            "| latency (64 B) | "
            + " | ".join(names)
            + " | "
            + " | ".join(f"{n}/pyzmq" for n in names[1:])
            + " |"
        )
        table.append("|" + "---|" * (2 * len(names)))
        for q, qname in ((0, "median"), (1, "p10")):
            table.append(f"| round trip via QUEUE, {qname} | " + " | ".join(f"{lat[n][q]:.0f} µs" for n in names)
                         + " | " + " | ".join(f"{lat[n][q] / lat['pyzmq'][q]:.2f}" for n in names[1:]) + " |")  # fmt: skip
            added = {n: lat[n][q] - direct[q] for n in names}
            table.append(f"| added by the device, {qname} | " + " | ".join(f"{added[n]:.0f} µs" for n in names)
                         + " | " + " | ".join(f"{added[n] / max(1e-9, added['pyzmq']):.2f}" for n in names[1:])
                         + " |")  # fmt: skip
    print()
    print("\n".join(table))
    return 0


if __name__ == "__main__":
    sys.exit(main())
