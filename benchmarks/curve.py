"""curve: CURVE handshake cost and encrypted PUSH -> PULL throughput over tcp.

Three variants: purezmq with the pure-Python crypto backend
(``PUREZMQ_CURVE_BACKEND=python``), purezmq with libsodium through PyNaCl
(``sodium``; unsupported when PyNaCl is absent), and pyzmq (libzmq) with
CURVE as the reference. The backend is chosen in each endpoint process
before purezmq is imported.

* handshake: one process binds a CURVE server PULL and, one after another,
  creates a CURVE client PUSH, connects, sends one byte and waits for it at
  the server, then closes the client: milliseconds per connection (socket
  setup + TCP connect + the four CURVE commands, both sides' key work).
* thr: as benchmarks/thr.py (receiver times first to last message), with
  CURVE on both ends, at 64 B and 64 KiB.

``BENCH_CURVE_VARIANTS=sodium,pyzmq`` runs only the variants named by the
comma-separated words ``pure``, ``sodium``, ``pyzmq`` (the pure backend is
slow).
"""

from __future__ import annotations

import os
import time
from functools import partial
from typing import Any, Callable

from common import (
    GRACE_S,
    BenchError,
    Case,
    Children,
    Metric,
    Unsupported,
    configure,
    fmt_size,
    last_endpoint,
    make_socket,
    wait_results,
)
from thr import pull_loop, push_loop, rates

SIZES = [64, 65536]
COUNTS = {64: 100_000, 65536: 5_000}
QUICK_DIV = 10
MAX_S = 3.0
MAX_S_QUICK = 0.8
HANDSHAKES = 100
HANDSHAKES_QUICK = 15

# Targets (issue 13): pure >= 10,000 msg/s at 64 B and >= 20 MB/s at 64 KiB;
# sodium >= 0.5x pyzmq at 64 B and >= 0.8x at 64 KiB; pure handshake <= 20 ms.
# Each variant's row is judged against its own target (`Metric.per_variant`).
VARIANTS = {"purezmq pure": "python", "purezmq sodium": "sodium", "pyzmq": ""}


def _load(variant: str) -> Any:
    """The library of `variant`, with its crypto backend (call in a child only)."""
    backend = VARIANTS[variant]
    if not backend:
        import zmq

        return zmq
    os.environ["PUREZMQ_CURVE_BACKEND"] = backend
    try:
        import purezmq
    except ImportError as exc:  # sodium asked for without PyNaCl
        raise Unsupported(str(exc)) from None
    return purezmq


def _keypair(zmq: Any) -> tuple[bytes, bytes]:
    """(public, secret), 32 raw bytes each, from the library under test."""
    if hasattr(zmq, "crypto"):  # purezmq
        return zmq.crypto.keypair()  # type: ignore[no-any-return]
    from zmq.utils import z85

    public, secret = zmq.curve_keypair()
    return z85.decode(public), z85.decode(secret)


def _server(zmq: Any, ctx: Any, kind: str) -> tuple[Any, bytes]:
    public, secret = _keypair(zmq)
    sock = configure(make_socket(ctx, zmq, kind), zmq, linger=0)
    sock.curve_server = 1
    sock.curve_publickey = public
    sock.curve_secretkey = secret
    return sock, public


def _client(zmq: Any, ctx: Any, kind: str, server_key: bytes, keys: Any = None) -> Any:
    public, secret = keys or _keypair(zmq)
    sock = configure(make_socket(ctx, zmq, kind), zmq)
    sock.curve_serverkey = server_key
    sock.curve_publickey = public
    sock.curve_secretkey = secret
    return sock


# ----------------------------------------------------------------------
# endpoints (child processes)
# ----------------------------------------------------------------------


def ep_handshakes(chan: Any, variant: str, count: int) -> dict[str, float]:
    zmq = _load(variant)
    ctx = zmq.Context()
    server, server_key = _server(zmq, ctx, "PULL")
    server.bind("tcp://127.0.0.1:*")
    addr = last_endpoint(server, zmq)
    keys = _keypair(zmq)  # the client's long-term keys (short-term ones are per connection)
    times = []
    for _ in range(count):
        t0 = time.perf_counter()
        client = _client(zmq, ctx, "PUSH", server_key, keys)
        client.linger = 0
        client.connect(addr)
        client.send(b"x")
        server.recv()
        times.append(time.perf_counter() - t0)
        client.close()
    times.sort()
    return {"ms": times[len(times) // 2] * 1e3, "ms_best": times[0] * 1e3}


def ep_pull(chan: Any, variant: str, size: int, count: int, max_s: float) -> dict[str, float]:
    zmq = _load(variant)
    ctx = zmq.Context()
    sock, public = _server(zmq, ctx, "PULL")
    sock.bind("tcp://127.0.0.1:*")
    chan.send((last_endpoint(sock, zmq), public))
    return pull_loop(sock, count, max_s, size)


def ep_push(chan: Any, variant: str, addr: str, server_key: bytes, size: int, count: int) -> None:
    zmq = _load(variant)
    ctx = zmq.Context()
    sock = _client(zmq, ctx, "PUSH", server_key)
    sock.connect(addr)
    push_loop(sock, size, count)
    chan.wait_stop()


# ----------------------------------------------------------------------
# orchestration
# ----------------------------------------------------------------------


def run_handshakes(variant: str, count: int) -> dict[str, float]:
    with Children() as kids:
        child = kids.start(ep_handshakes, variant, count, name=f"handshake[{variant}]")
        return child.result_within(count * 2.0 + GRACE_S)  # type: ignore[no-any-return]


def run_stream(variant: str, size: int, count: int, max_s: float) -> dict[str, float]:
    with Children() as kids:
        rx = kids.start(ep_pull, variant, size, count, max_s, name=f"PULL[{variant}]")
        addr, server_key = rx.get(GRACE_S)
        tx = kids.start(ep_push, variant, addr, server_key, size, count, name=f"PUSH[{variant}]")
        (res,) = wait_results([rx], [tx], max_s + GRACE_S)
    if not res.get("msgs"):
        raise BenchError("no messages received")
    return rates(res, size)


def cases(impls: list[str], quick: bool, ipc_dir: str) -> list[Case]:
    names = [
        v
        for v in VARIANTS
        if (v == "pyzmq" and "pyzmq" in impls) or (v != "pyzmq" and "purezmq" in impls)
    ]
    # BENCH_CURVE_VARIANTS=sodium,pyzmq: only the variants whose last word is one
    # of these ("pure" is in "purezmq sodium" too, so not a substring match)
    wanted = {w.strip() for w in os.environ.get("BENCH_CURVE_VARIANTS", "").split(",") if w.strip()}
    if wanted:
        names = [v for v in names if v.split()[-1] in wanted]
    out = []
    n = HANDSHAKES_QUICK if quick else HANDSHAKES
    variants: dict[str, Callable[[], dict[str, float]]] = {
        v: partial(run_handshakes, v, n) for v in names
    }
    out.append(
        Case(
            scenario="curve",
            label="handshake (connect + HELLO..READY + 1 msg)",
            metrics=[
                Metric("ms", "ms/conn", False, ("abs<=", 20.0)),
                Metric("ms_best", "best", False, inline=True),
            ],
            variants=variants,
        )
    )
    max_s = MAX_S_QUICK if quick else MAX_S
    for size in SIZES:
        count = COUNTS[size] // (QUICK_DIV if quick else 1)
        variants = {v: partial(run_stream, v, size, count, max_s) for v in names}
        out.append(
            Case(
                scenario="curve",
                label=f"thr tcp {fmt_size(size)}",
                metrics=[
                    Metric(
                        "msg_s",
                        "msg/s",
                        True,
                        per_variant={
                            "purezmq pure": ("abs>=", 10_000),
                            "purezmq sodium": ("ratio>=", 0.5),
                        }
                        if size == 64
                        else {"purezmq sodium": ("ratio>=", 0.8)},
                    ),
                    Metric("rx_cpu_us", "µs CPU/msg rx", False, inline=True),
                    Metric(  # a row of its own where pure's target is in MB/s
                        "mb_s",
                        "MB/s",
                        True,
                        inline=size == 64,
                        per_variant={"purezmq pure": ("abs>=", 20.0)} if size > 64 else None,
                    ),
                ],
                variants=variants,
            )
        )
    return out
