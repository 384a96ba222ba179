"""Codec throughput: purezmq's sans-IO ZMTP encoder/decoder vs pyzmq end to end.

    python3 benchmarks/codec.py            # full run (about 30-40 s)
    python3 benchmarks/codec.py --quick    # smaller counts, a few seconds
    python3 benchmarks/codec.py --no-pyzmq # codec only

For 16 B, 1 KiB and 1 MiB single-frame messages it measures:

* encode: ``Connection.send_messages`` on batches of 1024 messages, then
  ``take_output`` (what the I/O thread does once per wake-up);
* decode: ``Connection.receive_data`` fed the encoded stream in 64 KiB bytes
  chunks, as ``sock.recv(65536)`` would hand them over;
* pyzmq: PUSH in a child process, PULL in this one, over tcp://127.0.0.1,
  plain blocking ``send``/``recv`` loops, timed from the first to the last
  message received.

The last column is codec-decode-rate / pyzmq-end-to-end-rate: whether the
pure-Python decoder alone keeps up with what libzmq delivers to Python.
Stdlib only; pyzmq is optional. Each figure is the best of a few repeats.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import platform
import sys
import time
from typing import Any, Callable

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from purezmq.zmtp import Connection, Phase

CHUNK = 64 * 1024
SIZES = [("16 B", 16), ("1 KiB", 1024), ("1 MiB", 1 << 20)]
# (codec message count, pyzmq message count) per size; --quick divides by 10.
COUNTS = {16: (400_000, 400_000), 1024: (200_000, 200_000), 1 << 20: (200, 400)}


def _greeting(minor: int = 1) -> bytes:
    return b"\xff" + bytes(8) + b"\x7f" + bytes((3, minor)) + b"NULL".ljust(20, b"\x00") + bytes(32)


def _ready(socket_type: bytes) -> bytes:
    body = b"\x05READY\x0bSocket-Type" + len(socket_type).to_bytes(4, "big") + socket_type
    return bytes((4, len(body))) + body


def traffic(socket_type: str, peer: bytes) -> Connection:
    conn = Connection(socket_type=socket_type)
    conn.receive_data(_greeting() + _ready(peer))
    assert conn.phase is Phase.TRAFFIC
    conn.take_output()
    return conn


def best_of(repeats: int, fn: Callable[[], float]) -> float:
    return min(fn() for _ in range(repeats))


def bench_encode(size: int, count: int, repeats: int) -> float:
    """Seconds to encode ``count`` messages of ``size`` bytes."""
    payload = os.urandom(size)
    batch = [[payload]] * min(1024, count)
    rounds = max(1, count // len(batch))

    def run() -> float:
        conn = traffic("PUSH", b"PULL")
        send = conn.send_messages
        take = conn.take_output
        t0 = time.perf_counter()
        for _ in range(rounds):
            send(batch)
            take()
        return (time.perf_counter() - t0) * count / (rounds * len(batch))

    return best_of(repeats, run)


def bench_decode(size: int, count: int, repeats: int) -> float:
    """Seconds to decode ``count`` messages fed in 64 KiB chunks."""
    tx = traffic("PUSH", b"PULL")
    payload = os.urandom(size)
    tx.send_messages([[payload]] * count)
    stream = b"".join(bytes(c) for c in tx.take_output())
    chunks = [stream[i : i + CHUNK] for i in range(0, len(stream), CHUNK)]
    del stream

    def run() -> float:
        rx = traffic("PULL", b"PUSH")
        feed = rx.receive_data
        n = 0
        t0 = time.perf_counter()
        for c in chunks:
            n += len(feed(c))
        dt = time.perf_counter() - t0
        assert n == count, (n, count)
        return dt

    return best_of(repeats, run)


# ----------------------------------------------------------------------
# pyzmq end to end
# ----------------------------------------------------------------------


def _pusher(port: int, size: int, count: int, go: Any) -> None:
    import zmq

    ctx = zmq.Context()
    try:
        push = ctx.socket(zmq.PUSH)
        push.linger = 5000
        push.sndtimeo = 20000
        push.connect(f"tcp://127.0.0.1:{port}")
        payload = os.urandom(size)
        go.wait(20)
        send = push.send
        for _ in range(count):
            send(payload)
        push.close()
    finally:
        ctx.term()


def bench_pyzmq(size: int, count: int, repeats: int) -> float | None:
    try:
        import zmq
    except ImportError:
        return None

    def run() -> float:
        ctx = zmq.Context()
        proc = None
        try:
            pull = ctx.socket(zmq.PULL)
            pull.linger = 0
            pull.rcvtimeo = 20000
            port = pull.bind_to_random_port("tcp://127.0.0.1")
            go = mp.Event()
            proc = mp.Process(target=_pusher, args=(port, size, count, go), daemon=True)
            proc.start()
            go.set()
            recv = pull.recv
            recv()
            t0 = time.perf_counter()
            for _ in range(count - 1):
                recv()
            dt = time.perf_counter() - t0
            return dt * count / max(1, count - 1)
        finally:
            if proc is not None:
                proc.join(20)
                if proc.is_alive():
                    proc.terminate()
            ctx.destroy(linger=0)

    return best_of(repeats, run)


# ----------------------------------------------------------------------


def fmt_rate(count: int, size: int, seconds: float | None) -> str:
    if seconds is None:
        return f"{'-':>12} {'-':>9}"
    fps = count / seconds
    mbs = count * size / seconds / 1e6
    return f"{fps:>12,.0f} {mbs:>9,.1f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="one tenth of the counts")
    ap.add_argument("--no-pyzmq", action="store_true", help="skip the pyzmq comparison")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    div = 10 if args.quick else 1

    print(
        f"python {platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, {platform.machine()}"
    )
    try:
        import zmq

        print(f"pyzmq {zmq.__version__}, libzmq {zmq.zmq_version()}")
    except ImportError:
        print("pyzmq not installed: codec figures only")
    print()
    head = (
        f"{'size':>6} | {'encode msg/s':>12} {'MB/s':>9} | {'decode msg/s':>12} {'MB/s':>9} | "
        f"{'pyzmq msg/s':>12} {'MB/s':>9} | {'decode/pyzmq':>12}"
    )
    print(head)
    print("-" * len(head))
    t_start = time.perf_counter()
    for label, size in SIZES:
        n_codec, n_zmq = (max(1, c // div) for c in COUNTS[size])
        enc = bench_encode(size, n_codec, args.repeats)
        dec = bench_decode(size, n_codec, args.repeats)
        pz = None if args.no_pyzmq else bench_pyzmq(size, n_zmq, args.repeats)
        ratio = "-" if pz is None else f"{(n_codec / dec) / (n_zmq / pz):.2f}"
        print(
            f"{label:>6} | {fmt_rate(n_codec, size, enc)} | {fmt_rate(n_codec, size, dec)} | "
            f"{fmt_rate(n_zmq, size, pz)} | {ratio:>12}",
            flush=True,
        )
    print(
        f"\n(total {time.perf_counter() - t_start:.1f} s; encode of 1 MiB queues the body "
        "without copying it, so it measures header writing only)"
    )


if __name__ == "__main__":
    main()
