"""thr: PUSH -> PULL throughput over tcp, ipc and inproc.

The PULL endpoint binds and times the stream from the first message it
receives to the last (so connection setup is not counted); the PUSH
endpoint connects and sends the same payload ``count`` times with plain
blocking ``send`` calls, default options (HWM 1000, copy=True), which is
what application code does. Over tcp and ipc the two endpoints are separate
processes; inproc is necessarily one process with two threads (the sender
thread creates its own socket).

Each repetition is bounded in count and in time: the receiver stops after
``max_s`` seconds and reports the rate so far.
"""

from __future__ import annotations

import os
import threading
import time
from functools import partial
from typing import Any, Callable

from common import (
    GRACE_S,
    BenchError,
    Case,
    Children,
    Metric,
    configure,
    cpu_seconds,
    fmt_size,
    last_endpoint,
    load,
    make_socket,
    wait_results,
)

SIZES = [16, 256, 4096, 65536, 1 << 20]
TRANSPORTS = ["tcp", "ipc", "inproc"]
# messages per repetition (full run); --quick divides by QUICK_DIV
COUNTS = {16: 200_000, 256: 200_000, 4096: 100_000, 65536: 20_000, 1 << 20: 1_000}
QUICK_DIV = 8
MAX_S = 3.0  # time budget of one repetition (full run)
MAX_S_QUICK = 0.6

# Targets: ratio purezmq / pyzmq (issue 6; issue 14 raised tcp 16 B and 1 MiB).
TARGETS = {
    ("tcp", 16): 0.75,
    ("tcp", 256): 0.25,
    ("tcp", 4096): 0.5,
    ("tcp", 65536): 1.0,
    ("tcp", 1 << 20): 1.5,
    ("ipc", 16): 0.25,
    ("ipc", 256): 0.25,
    ("ipc", 4096): 0.5,
    ("ipc", 65536): 1.0,
    ("ipc", 1 << 20): 1.5,
    ("inproc", 16): 0.5,
}


# ----------------------------------------------------------------------
# endpoint loops (library-agnostic: `sock` is a pyzmq or purezmq socket)
# ----------------------------------------------------------------------


def pull_loop(sock: Any, count: int, max_s: float, size: int = 16) -> dict[str, float]:
    recv = sock.recv
    recv()
    c0 = cpu_seconds()
    t0 = time.perf_counter()
    limit = t0 + max_s
    n = 0
    left = count - 1
    chunk = max(1, min(512, count // 32, (4 << 20) // size))  # look at the clock every <= 4 MiB
    try:
        while left > 0:
            k = min(left, chunk)
            for _ in range(k):
                recv()
            n += k
            left -= k
            if time.perf_counter() > limit:
                break
    except Exception as exc:
        raise BenchError(
            f"receiver stalled ({exc!r}) after about {n + 1} of {count} messages"
        ) from None
    dt = time.perf_counter() - t0
    return {"msgs": n, "seconds": dt, "cpu": cpu_seconds() - c0}


def push_loop(sock: Any, size: int, count: int) -> float:
    """Send `count` messages; returns the process CPU time when it started."""
    payload = os.urandom(size)
    send = sock.send
    c0 = cpu_seconds()
    for _ in range(count):
        send(payload)
    return c0


def rates(res: dict[str, float], size: int, tx: Any = None) -> dict[str, float]:
    """Figures of one repetition; `tx` is the sender's own report, if any."""
    n, dt = res["msgs"], res["seconds"]
    if n <= 0 or dt <= 0:
        raise BenchError("no messages received")
    out = {"msg_s": n / dt, "mb_s": n * size / dt / 1e6, "msgs": n, "seconds": dt}
    if "cpu" in res:
        out["rx_cpu_us"] = res["cpu"] / n * 1e6
    if tx and tx.get("msgs"):
        out["tx_cpu_us"] = tx["cpu"] / tx["msgs"] * 1e6
    return out


# ----------------------------------------------------------------------
# endpoints (child processes)
# ----------------------------------------------------------------------


def ep_pull(
    chan: Any, impl: str, addr: str, size: int, count: int, max_s: float
) -> dict[str, float]:
    zmq = load(impl)
    ctx = zmq.Context()
    sock = configure(make_socket(ctx, zmq, "PULL"), zmq, linger=0)
    sock.bind(addr)
    chan.send(last_endpoint(sock, zmq))
    return pull_loop(sock, count, max_s, size)


def ep_push(chan: Any, impl: str, addr: str, size: int, count: int) -> None:
    zmq = load(impl)
    ctx = zmq.Context()
    sock = configure(make_socket(ctx, zmq, "PUSH"), zmq)
    sock.connect(addr)
    c0 = push_loop(sock, size, count)
    # The I/O thread may still be sending: the CPU figure is taken once the
    # receiver has everything and the orchestrator asks for it.
    if chan.recv(120) == "report":
        chan.send({"msgs": count, "cpu": cpu_seconds() - c0})
        chan.wait_stop()


def ep_inproc(chan: Any, impl: str, size: int, count: int, max_s: float) -> dict[str, float]:
    zmq = load(impl)
    ctx = zmq.Context()
    pull = configure(make_socket(ctx, zmq, "PULL"), zmq, linger=0)
    pull.bind("inproc://thr")
    failed: list[BaseException] = []

    def sender() -> None:
        try:
            push = configure(make_socket(ctx, zmq, "PUSH"), zmq, linger=0)
            push.connect("inproc://thr")
            push_loop(push, size, count)
        except BaseException as exc:  # reported with the receiver's error
            failed.append(exc)

    threading.Thread(target=sender, daemon=True).start()
    try:
        return pull_loop(pull, count, max_s, size)
    except Exception:
        if failed:
            raise BenchError(f"sender thread: {failed[0]!r}") from None
        raise


# ----------------------------------------------------------------------
# orchestration
# ----------------------------------------------------------------------


def run_stream(
    sender_impl: str,
    receiver_impl: str,
    transport: str,
    size: int,
    count: int,
    max_s: float,
    ipc_dir: str,
) -> dict[str, float]:
    """One repetition over tcp/ipc: receiver and sender in their own processes."""
    if transport == "tcp":
        addr = "tcp://127.0.0.1:*"
    else:
        addr = f"ipc://{ipc_dir}/thr-{os.getpid()}-{time.monotonic_ns()}.ipc"
    with Children() as kids:
        rx = kids.start(
            ep_pull, receiver_impl, addr, size, count, max_s, name=f"PULL[{receiver_impl}]"
        )
        endpoint = rx.get(GRACE_S)
        tx = kids.start(ep_push, sender_impl, endpoint, size, count, name=f"PUSH[{sender_impl}]")
        (res,) = wait_results([rx], [tx], max_s + GRACE_S)
        tx_fig = None
        if res["msgs"] + 1 >= count:  # all received, so the sender is done too
            try:
                tx.send("report")
                tx_fig = tx.get(5.0)
            except (BenchError, OSError):
                pass
    return rates(res, size, tx_fig)


def run_inproc(impl: str, size: int, count: int, max_s: float) -> dict[str, float]:
    with Children() as kids:
        child = kids.start(ep_inproc, impl, size, count, max_s, name=f"inproc[{impl}]")
        res = child.result_within(max_s + GRACE_S)
    return rates(res, size)


def cases(impls: list[str], quick: bool, ipc_dir: str) -> list[Case]:
    out = []
    max_s = MAX_S_QUICK if quick else MAX_S
    for transport in TRANSPORTS:
        for size in SIZES:
            count = COUNTS[size] // (QUICK_DIV if quick else 1)
            variants: dict[str, Callable[[], dict[str, float]]] = {}
            for impl in impls:
                if transport == "inproc":
                    variants[impl] = partial(run_inproc, impl, size, count, max_s)
                else:
                    variants[impl] = partial(
                        run_stream, impl, impl, transport, size, count, max_s, ipc_dir
                    )
            target = TARGETS.get((transport, size))
            out.append(
                Case(
                    scenario="thr",
                    label=f"{transport} {fmt_size(size)}",
                    metrics=[
                        Metric("msg_s", "msg/s", True, ("ratio>=", target) if target else None),
                        Metric("mb_s", "MB/s", True, inline=True),
                        Metric("rx_cpu_us", "µs CPU/msg rx", False, inline=True),
                        Metric("tx_cpu_us", "tx", False, inline=True),
                    ],
                    variants=variants,
                )
            )
    return out
