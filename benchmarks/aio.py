"""aio: asyncio REQ <-> REP round trip and PUSH -> PULL throughput over
tcp, both sides ``zmq.asyncio``.

Each side runs its own asyncio loop in its own process: the REP awaits
``recv`` and ``send`` in a loop; the REQ does a few hundred warm-up round
trips, then times each ``await send`` + ``await recv`` with
``perf_counter_ns``. Reported: median and p99 in µs. A message whose first
byte is 0 tells the server to stop. Target (issue 12): purezmq's median at
most 1.0x pyzmq's.

Throughput: a PUSH awaits ``send`` of 64 B messages as fast as it can (the
default HWM of 1000 applies back-pressure); the PULL awaits ``recv`` and
times the stream from its first message to its last. Target: at least 0.5x
pyzmq's msg/s.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import time
from functools import partial
from typing import Any, Callable

from common import GRACE_S, Case, Children, Metric, load, percentile, wait_results

COUNT = 10_000
COUNT_QUICK = 1_000
THR_COUNT = 200_000
THR_COUNT_QUICK = 30_000
WARMUP = 200
MAX_S = 2.5
MAX_S_QUICK = 0.4
IO_TIMEOUT_S = 10.0


def _aio(impl: str) -> tuple[Any, Any]:
    zmq = load(impl)
    return zmq, importlib.import_module(zmq.__name__ + ".asyncio")


def ep_server(chan: Any, impl: str, addr: str) -> None:
    zmq, zaio = _aio(impl)

    async def main() -> None:
        ctx = zaio.Context()
        sock = ctx.socket(zmq.REP)
        sock.linger = 1000
        sock.bind(addr)
        chan.send(sock.getsockopt(zmq.LAST_ENDPOINT).decode())
        recv, send = sock.recv, sock.send
        while True:
            msg = await asyncio.wait_for(recv(), 30.0)
            await send(msg)
            if msg[:1] == b"\x00":
                break

    asyncio.run(main())
    chan.wait_stop()


def ep_client(
    chan: Any, impl: str, addr: str, size: int, count: int, max_s: float
) -> dict[str, float]:
    zmq, zaio = _aio(impl)

    async def main() -> dict[str, float]:
        ctx = zaio.Context()
        sock = ctx.socket(zmq.REQ)
        sock.linger = 0
        sock.rcvtimeo = int(IO_TIMEOUT_S * 1000)
        sock.connect(addr)
        payload = b"\x01" + os.urandom(size - 1)
        send, recv = sock.send, sock.recv
        for _ in range(WARMUP):
            await send(payload)
            await recv()
        clock = time.perf_counter_ns
        samples: list[int] = []
        append = samples.append
        limit = time.perf_counter() + max_s
        for i in range(count):
            t = clock()
            await send(payload)
            await recv()
            append(clock() - t)
            if not i & 63 and time.perf_counter() > limit:
                break
        await send(b"\x00" * size)
        await recv()
        samples.sort()
        return {
            "median_us": percentile(samples, 50) / 1e3,  # type: ignore[arg-type]
            "p99_us": percentile(samples, 99) / 1e3,  # type: ignore[arg-type]
            "round_trips": len(samples),
        }

    return asyncio.run(main())


def ep_push(chan: Any, impl: str, addr: str, size: int, count: int) -> None:
    zmq, zaio = _aio(impl)

    async def main() -> None:
        ctx = zaio.Context()
        sock = ctx.socket(zmq.PUSH)
        sock.linger = 5000
        sock.sndtimeo = int(IO_TIMEOUT_S * 1000)
        sock.connect(addr)
        payload = b"\x01" * size
        send = sock.send
        for _ in range(count):
            await send(payload)
        await send(b"\x00")  # the end marker

    asyncio.run(main())
    chan.wait_stop()


def ep_pull(chan: Any, impl: str, max_s: float) -> dict[str, float]:
    zmq, zaio = _aio(impl)

    async def main() -> dict[str, float]:
        ctx = zaio.Context()
        sock = ctx.socket(zmq.PULL)
        sock.linger = 0
        sock.rcvtimeo = int(IO_TIMEOUT_S * 1000)
        port = sock.bind_to_random_port("tcp://127.0.0.1")
        chan.send(f"tcp://127.0.0.1:{port}")
        recv = sock.recv
        await recv()
        t0 = time.perf_counter()
        limit = t0 + max_s
        n = 0
        while True:
            msg = await recv()
            if msg[:1] == b"\x00":
                break
            n += 1
            if not n & 1023 and time.perf_counter() > limit:
                break
        elapsed = time.perf_counter() - t0
        return {"msgs_per_s": n / elapsed if elapsed > 0 else 0.0, "messages": n}

    return asyncio.run(main())


def run_thr(impl: str, size: int, count: int, max_s: float) -> dict[str, float]:
    with Children() as kids:
        pull = kids.start(ep_pull, impl, max_s, name=f"PULL[{impl}]")
        endpoint = pull.get(GRACE_S)
        push = kids.start(ep_push, impl, endpoint, size, count, name=f"PUSH[{impl}]")
        (res,) = wait_results([pull], [push], max_s + GRACE_S)
    return res  # type: ignore[no-any-return]


def run_rtt(impl: str, size: int, count: int, max_s: float) -> dict[str, float]:
    with Children() as kids:
        srv = kids.start(ep_server, impl, "tcp://127.0.0.1:*", name=f"REP[{impl}]")
        endpoint = srv.get(GRACE_S)
        cli = kids.start(ep_client, impl, endpoint, size, count, max_s, name=f"REQ[{impl}]")
        (res,) = wait_results([cli], [srv], max_s + GRACE_S)
    return res  # type: ignore[no-any-return]


def cases(impls: list[str], quick: bool, ipc_dir: str) -> list[Case]:
    count = COUNT_QUICK if quick else COUNT
    max_s = MAX_S_QUICK if quick else MAX_S
    variants: dict[str, Callable[[], dict[str, float]]] = {
        impl: partial(run_rtt, impl, 16, count, max_s) for impl in impls
    }
    metrics = [
        Metric("median_us", "µs median", False, ("ratio<=", 1.0)),
        Metric("p99_us", "µs p99", False),
    ]
    thr_count = THR_COUNT_QUICK if quick else THR_COUNT
    thr_max_s = 0.6 if quick else 3.0
    thr_variants: dict[str, Callable[[], dict[str, float]]] = {
        impl: partial(run_thr, impl, 64, thr_count, thr_max_s) for impl in impls
    }
    return [
        Case(
            scenario="aio",
            label="REQ/REP tcp 16 B",
            metrics=metrics,
            variants=variants,
            min_reps=0 if quick else 5,
        ),
        Case(
            scenario="aio",
            label="PUSH/PULL tcp 64 B",
            metrics=[Metric("msgs_per_s", "msg/s", True, ("ratio>=", 0.5))],
            variants=thr_variants,
        ),
    ]
