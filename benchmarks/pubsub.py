"""pubsub: PUB -> 2 SUB over tcp, 64 B messages, messages/s per subscriber.

Three processes: the publisher binds; each subscriber connects, subscribes
and says so. The publisher then sends warm-up messages every 10 ms until
both subscribers have seen one (no slow-joiner loss), then ``count`` data
messages and an end marker. HWMs are 0 (unbounded) on both sides so nothing
is dropped and each subscriber times exactly the messages it was sent, from
its first data message to the end marker.

"all": both subscribers take every message (prefix ``A``).
"half filtered": messages alternate between topics ``A`` and ``B`` and the
subscribers take ``A`` only, so the publisher filters out half of them
(as libzmq does, the filtering happens on the PUB side).

"flat out, default HWM" (issue 14): what real publishers do. Default
SNDHWM/RCVHWM (1000), both subscribers take everything, and the publisher
sends as fast as it can for a fixed time, so messages are dropped at the HWM
wherever a side falls behind. The publisher then sends end markers until the
subscribers have one (a marker may be dropped too). Each subscriber reports
the data messages it got and the time from its first to its last one;
reported: delivered msg/s per subscriber and the fraction of what the
publisher sent that reached it.

Message layout: byte 0 topic (A/B), byte 1 kind (w warm-up, d data, e end).
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
    configure,
    cpu_seconds,
    last_endpoint,
    load,
    make_socket,
    wait_results,
)

SIZE = 64
COUNT = 200_000
COUNT_QUICK = 25_000
MAX_S = 3.0
MAX_S_QUICK = 0.6


def ep_pub(chan: Any, impl: str, addr: str, count: int, filtered: bool) -> None:
    zmq = load(impl)
    ctx = zmq.Context()
    sock = configure(make_socket(ctx, zmq, "PUB"), zmq, sndhwm=0, linger=0)
    sock.bind(addr)
    chan.send(last_endpoint(sock, zmq))
    if chan.recv(GRACE_S) != "warm":
        raise BenchError("unexpected command")
    body = os.urandom(SIZE - 2)
    warm = b"Aw" + body
    deadline = time.monotonic() + GRACE_S
    while not chan.poll(0.01):  # until the orchestrator says "go"
        sock.send(warm)
        if time.monotonic() > deadline:
            raise BenchError("subscribers never saw a warm-up message")
    chan.recv(1)
    a, b = b"Ad" + body, b"Bd" + body
    send = sock.send
    if filtered:
        for _ in range(count // 2):
            send(a)
            send(b)
    else:
        for _ in range(count):
            send(a)
    send(b"Ae" + body)
    chan.wait_stop()


def ep_pub_flood(chan: Any, impl: str, addr: str, max_s: float) -> dict[str, float]:
    """Default HWM; send flat out for `max_s`, then end markers until told."""
    zmq = load(impl)
    ctx = zmq.Context()
    sock = configure(make_socket(ctx, zmq, "PUB"), zmq, linger=0)
    sock.bind(addr)
    chan.send(last_endpoint(sock, zmq))
    if chan.recv(GRACE_S) != "warm":
        raise BenchError("unexpected command")
    body = os.urandom(SIZE - 2)
    warm = b"Aw" + body
    deadline = time.monotonic() + GRACE_S
    while not chan.poll(0.01):  # until the orchestrator says "go"
        sock.send(warm)
        if time.monotonic() > deadline:
            raise BenchError("subscribers never saw a warm-up message")
    chan.recv(1)
    data = b"Ad" + body
    send = sock.send
    perf = time.perf_counter
    sent = 0
    c0 = cpu_seconds()
    t0 = perf()
    end = t0 + max_s
    while perf() < end:
        for _ in range(256):
            send(data)
        sent += 256
    dt = perf() - t0
    chan.send({"sent": sent, "seconds": dt, "cpu": cpu_seconds() - c0})
    marker = b"Ae" + body
    while not chan.poll(0.001):  # a marker can be dropped at the HWM too
        send(marker)
    return {"sent": sent, "seconds": dt}


def ep_sub(
    chan: Any, impl: str, addr: str, max_s: float, default_hwm: bool = False
) -> dict[str, float]:
    zmq = load(impl)
    ctx = zmq.Context()
    opts: dict[str, int] = {} if default_hwm else {"rcvhwm": 0}
    sock = configure(make_socket(ctx, zmq, "SUB"), zmq, linger=0, **opts)
    sock.setsockopt(zmq.SUBSCRIBE, b"A")
    sock.connect(addr)
    chan.send("ready")
    recv = sock.recv
    msg = recv()
    if msg[1:2] == b"w":
        chan.send("warm")
    while msg[1:2] == b"w":
        msg = recv()
    c0 = cpu_seconds()
    t0 = t_last = time.perf_counter()
    limit = t0 + max_s + (GRACE_S if default_hwm else 0.0)
    n = 1  # msg is the first data message
    done = False
    while not done:
        for _ in range(256):
            kind = recv()[1:2]
            if kind != b"d":
                done = True  # the end marker
                break
            n += 1
        t_last = time.perf_counter()
        if t_last > limit:
            break
    dt = (t_last if default_hwm else time.perf_counter()) - t0
    cpu = cpu_seconds() - c0
    return {"msgs": n, "seconds": dt, "msg_s": n / dt if dt > 0 else 0.0, "cpu": cpu}


def run_pubsub(impl: str, count: int, filtered: bool, max_s: float) -> dict[str, float]:
    with Children() as kids:
        pub = kids.start(ep_pub, impl, "tcp://127.0.0.1:*", count, filtered, name=f"PUB[{impl}]")
        endpoint = pub.get(GRACE_S)
        subs = [kids.start(ep_sub, impl, endpoint, max_s, name=f"SUB{i}[{impl}]") for i in (1, 2)]
        for sub in subs:
            if sub.get(GRACE_S) != "ready":
                raise BenchError("subscriber did not get ready")
        pub.send("warm")
        for sub in subs:
            if sub.get(GRACE_S) != "warm":
                raise BenchError("subscriber did not see the warm-up")
        pub.send("go")
        res = wait_results(subs, [pub], max_s + GRACE_S)
    rates = [r["msg_s"] for r in res]
    return {
        "msg_s": sum(rates) / len(rates),
        "min_msg_s": min(rates),
        "msgs": sum(r["msgs"] for r in res),
    }


def run_flood(impl: str, max_s: float) -> dict[str, float]:
    with Children() as kids:
        pub = kids.start(ep_pub_flood, impl, "tcp://127.0.0.1:*", max_s, name=f"PUB[{impl}]")
        endpoint = pub.get(GRACE_S)
        subs = [
            kids.start(ep_sub, impl, endpoint, max_s, True, name=f"SUB{i}[{impl}]") for i in (1, 2)
        ]
        for sub in subs:
            if sub.get(GRACE_S) != "ready":
                raise BenchError("subscriber did not get ready")
        pub.send("warm")
        for sub in subs:
            if sub.get(GRACE_S) != "warm":
                raise BenchError("subscriber did not see the warm-up")
        pub.send("go")
        sent = pub.get(max_s + GRACE_S)
        res = wait_results(subs, [pub], max_s + 2 * GRACE_S)
        pub.send("stop")
    rates = [r["msg_s"] for r in res]
    fractions = [r["msgs"] / sent["sent"] for r in res]
    return {
        "msg_s": sum(rates) / len(rates),
        "min_msg_s": min(rates),
        "fraction": sum(fractions) / len(fractions),
        "pub_msg_s": sent["sent"] / sent["seconds"],
        "pub_cpu_us": sent["cpu"] / sent["sent"] * 1e6,
        "sub_cpu_us": sum(r["cpu"] for r in res) / max(1, sum(r["msgs"] for r in res)) * 1e6,
        "msgs": sum(r["msgs"] for r in res),
    }


def cases(impls: list[str], quick: bool, ipc_dir: str) -> list[Case]:
    count = COUNT_QUICK if quick else COUNT
    max_s = MAX_S_QUICK if quick else MAX_S
    out = []
    for filtered in (False, True):
        variants: dict[str, Callable[[], dict[str, float]]] = {
            impl: partial(run_pubsub, impl, count, filtered, max_s) for impl in impls
        }
        out.append(
            Case(
                scenario="pubsub",
                label=f"tcp 64 B, {'half filtered' if filtered else 'all subscribed'}",
                metrics=[
                    Metric("msg_s", "msg/s/sub", True, ("ratio>=", 0.25 if filtered else 0.6)),
                    Metric("min_msg_s", "slower sub", True, inline=True),
                ],
                variants=variants,
            )
        )
    flood: dict[str, Callable[[], dict[str, float]]] = {
        impl: partial(run_flood, impl, max_s) for impl in impls
    }
    out.append(
        Case(
            scenario="pubsub",
            label="tcp 64 B, flat out, default HWM",
            metrics=[
                Metric("msg_s", "delivered msg/s/sub", True, ("ratio>=", 0.5)),
                Metric("min_msg_s", "slower sub", True, inline=True),
                Metric("fraction", "fraction delivered", True),
                Metric("pub_msg_s", "sent msg/s", True),
                Metric("pub_cpu_us", "µs CPU/msg sent", False, inline=True),
                Metric("sub_cpu_us", "µs CPU/msg rx (each sub)", False, inline=True),
            ],
            variants=flood,
        )
    )
    return out
