"""routerdealer: DEALER -> ROUTER echo with 100 messages in flight.

The ROUTER endpoint binds and echoes every message back to its sender
(``recv_multipart`` / ``send_multipart``, two frames). The DEALER endpoint
connects, does one round trip (the connection is up), then keeps 100
messages of 64 B in flight: it sends 100, and one more for each reply, and
times ``count`` replies. Messages/s is replies received per second.
"""

from __future__ import annotations

import os
import time
from functools import partial
from typing import Any, Callable

from common import (
    GRACE_S,
    Case,
    Children,
    Metric,
    configure,
    last_endpoint,
    load,
    make_socket,
    wait_results,
)

SIZE = 64
IN_FLIGHT = 100
COUNT = 100_000
COUNT_QUICK = 15_000
MAX_S = 3.0
MAX_S_QUICK = 0.6
TRANSPORTS = ["tcp", "ipc"]


def ep_router(chan: Any, impl: str, addr: str) -> None:
    zmq = load(impl)
    ctx = zmq.Context()
    sock = configure(make_socket(ctx, zmq, "ROUTER"), zmq, linger=0, rcvtimeo=30_000)
    sock.bind(addr)
    chan.send(last_endpoint(sock, zmq))
    recv, send = sock.recv_multipart, sock.send_multipart
    while True:
        msg = recv()
        if msg[-1] == b"STOP":
            break
        send(msg)
    chan.wait_stop()


def ep_dealer(chan: Any, impl: str, addr: str, count: int, max_s: float) -> dict[str, float]:
    zmq = load(impl)
    ctx = zmq.Context()
    sock = configure(make_socket(ctx, zmq, "DEALER"), zmq, linger=1000)
    sock.connect(addr)
    payload = os.urandom(SIZE)
    send, recv = sock.send, sock.recv
    send(payload)
    recv()
    t0 = time.perf_counter()
    limit = t0 + max_s
    for _ in range(IN_FLIGHT):
        send(payload)
    sent, got = IN_FLIGHT, 0
    while got < count:
        for _ in range(256):
            recv()
            got += 1
            if sent < count:
                send(payload)
                sent += 1
            if got >= count:
                break
        if time.perf_counter() > limit:
            break
    dt = time.perf_counter() - t0
    send(b"STOP")
    return {"msg_s": got / dt, "msgs": got, "seconds": dt}


def run_echo(impl: str, transport: str, count: int, max_s: float, ipc_dir: str) -> dict[str, float]:
    if transport == "tcp":
        addr = "tcp://127.0.0.1:*"
    else:
        addr = f"ipc://{ipc_dir}/rd-{os.getpid()}-{time.monotonic_ns()}.ipc"
    with Children() as kids:
        router = kids.start(ep_router, impl, addr, name=f"ROUTER[{impl}]")
        endpoint = router.get(GRACE_S)
        dealer = kids.start(ep_dealer, impl, endpoint, count, max_s, name=f"DEALER[{impl}]")
        (res,) = wait_results([dealer], [router], max_s + GRACE_S)
    return res  # type: ignore[no-any-return]


def cases(impls: list[str], quick: bool, ipc_dir: str) -> list[Case]:
    count = COUNT_QUICK if quick else COUNT
    max_s = MAX_S_QUICK if quick else MAX_S
    out = []
    for transport in TRANSPORTS:
        variants: dict[str, Callable[[], dict[str, float]]] = {
            impl: partial(run_echo, impl, transport, count, max_s, ipc_dir) for impl in impls
        }
        out.append(
            Case(
                scenario="routerdealer",
                label=f"{transport} 64 B, {IN_FLIGHT} in flight",
                metrics=[Metric("msg_s", "msg/s", True, ("ratio>=", 1.0))],
                variants=variants,
            )
        )
    return out
