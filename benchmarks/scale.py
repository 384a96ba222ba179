"""scale: many connections, idle cost, and memory under backpressure.

"1000 dealers": one ROUTER process, one process holding 1,000 DEALER
sockets, each connected over tcp. The dealer process connects them all and
does one echo per dealer (so every handshake is done), then measures

* the RSS both processes gained for those 1,000 connections (the dealer
  side also holds 1,000 sockets; the router side 1,000 accepted peers);
* the CPU both processes use while the 1,000 connections sit idle;
* echo throughput: rounds in which every dealer sends one message and
  receives its echo (messages/s = echoes per second).

The router answers two control messages: ``RSS`` (its RSS gain since it
bound) and ``CPU`` (its CPU time so far), so no side channel can disturb
its idle period.

"idle context": a context with a bound PUSH and a connected PULL over tcp
that exchanged one message, then sleeps: CPU time used over 5 s (should be
~0: no polling loops with short timeouts). HEARTBEAT_IVL is left at 0.

"PUSH, peer not reading": SNDHWM = RCVHWM = 100, 64 KiB messages, each a
distinct object; the PULL never reads. The PUSH sends with NOBLOCK until it
gets EAGAIN for 1 s, then the RSS both processes gained, divided by the
message size, tells how many messages each keeps in user space (kernel
socket buffers are not in RSS). The target is at most SNDHWM in the sender.
"""

from __future__ import annotations

import gc
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
    raise_fd_limit,
    rss_bytes,
    wait_results,
)

DEALERS = 1000
ROUNDS = 20
ROUNDS_QUICK = 5
ECHO_MAX_S = 4.0
IDLE_S = 5.0
IDLE_S_QUICK = 2.0
HWM = 100
HWM_SIZE = 64 * 1024
HWM_CAP = 4000  # stop there: the sender is not bounded by its HWM
MB = 1e6


# ----------------------------------------------------------------------
# 1000 dealers
# ----------------------------------------------------------------------


def ep_router(chan: Any, impl: str, n: int) -> None:
    raise_fd_limit(4 * n + 256)
    zmq = load(impl)
    ctx = zmq.Context()
    sock = configure(
        make_socket(ctx, zmq, "ROUTER"), zmq, linger=0, rcvtimeo=60_000, sndtimeo=10_000
    )
    sock.setsockopt(zmq.BACKLOG, 1024)
    sock.bind("tcp://127.0.0.1:*")
    gc.collect()
    rss0 = rss_bytes()
    chan.send(last_endpoint(sock, zmq))
    recv, send = sock.recv_multipart, sock.send_multipart
    while True:
        msg = recv()
        body = msg[-1]
        if body == b"STOP":
            break
        if body == b"RSS":
            gc.collect()
            send([msg[0], str(rss_bytes() - rss0).encode()])
        elif body == b"CPU":
            send([msg[0], repr(cpu_seconds()).encode()])
        else:
            send(msg)
    chan.wait_stop()


def ep_dealers(
    chan: Any, impl: str, addr: str, n: int, rounds: int, idle_s: float
) -> dict[str, float]:
    raise_fd_limit(4 * n + 256)
    zmq = load(impl)
    ctx = zmq.Context()
    try:
        ctx.set(zmq.MAX_SOCKETS, n + 64)
    except Exception:
        pass
    gc.collect()
    rss0 = rss_bytes()
    t0 = time.perf_counter()
    dealers = []
    for _ in range(n):
        d = configure(make_socket(ctx, zmq, "DEALER"), zmq, linger=0, rcvtimeo=20_000)
        d.connect(addr)
        dealers.append(d)
    for d in dealers:
        d.send(b"hello")
    for d in dealers:
        d.recv()
    setup_s = time.perf_counter() - t0
    gc.collect()
    rss1 = rss_bytes()
    first = dealers[0]

    def ask(what: bytes) -> bytes:
        first.send(what)
        return first.recv()  # type: ignore[no-any-return]

    router_rss = int(ask(b"RSS"))
    # idle: nothing to do for anyone
    r_cpu0 = float(ask(b"CPU"))
    c0 = cpu_seconds()
    time.sleep(idle_s)
    idle_cpu = cpu_seconds() - c0
    r_idle_cpu = float(ask(b"CPU")) - r_cpu0
    # echo rounds
    payload = os.urandom(64)
    done = 0
    t0 = time.perf_counter()
    limit = t0 + ECHO_MAX_S
    for _ in range(rounds):
        for d in dealers:
            d.send(payload)
        for d in dealers:
            d.recv()
        done += 1
        if time.perf_counter() > limit:
            break
    dt = time.perf_counter() - t0
    first.send(b"STOP")
    per5 = 5.0 / idle_s * 1e3  # CPU ms per 5 s
    return {
        "echo_msg_s": n * done / dt,
        "setup_s": setup_s,
        "rss_dealers_mb": (rss1 - rss0) / MB,
        "rss_router_mb": router_rss / MB,
        "idle_cpu_ms": idle_cpu * per5,
        "router_idle_cpu_ms": r_idle_cpu * per5,
    }


def run_dealers(impl: str, n: int, rounds: int, idle_s: float) -> dict[str, float]:
    with Children() as kids:
        router = kids.start(ep_router, impl, n, name=f"ROUTER[{impl}]")
        endpoint = router.get(GRACE_S)
        dealers = kids.start(
            ep_dealers, impl, endpoint, n, rounds, idle_s, name=f"{n} DEALERs[{impl}]"
        )
        (res,) = wait_results([dealers], [router], idle_s + ECHO_MAX_S + 3 * GRACE_S)
    return res  # type: ignore[no-any-return]


# ----------------------------------------------------------------------
# idle context
# ----------------------------------------------------------------------


def ep_idle(chan: Any, impl: str, idle_s: float) -> dict[str, float]:
    zmq = load(impl)
    ctx = zmq.Context()
    pull = configure(make_socket(ctx, zmq, "PULL"), zmq, linger=0)
    pull.bind("tcp://127.0.0.1:*")
    push = configure(make_socket(ctx, zmq, "PUSH"), zmq, linger=0)
    push.connect(last_endpoint(pull, zmq))
    push.send(b"x")
    pull.recv()
    time.sleep(0.2)  # let connection setup settle
    c0 = cpu_seconds()
    time.sleep(idle_s)
    used = cpu_seconds() - c0
    return {"idle_cpu_ms": used * 1e3 * 5.0 / idle_s}


def run_idle(impl: str, idle_s: float) -> dict[str, float]:
    with Children() as kids:
        child = kids.start(ep_idle, impl, idle_s, name=f"idle[{impl}]")
        return child.result_within(idle_s + GRACE_S)  # type: ignore[no-any-return]


# ----------------------------------------------------------------------
# PUSH whose peer stopped reading
# ----------------------------------------------------------------------


def _mmap_big_buffers() -> None:
    """glibc: serve every buffer of 32 KiB or more by its own mmap and unmap
    it when freed, so RSS follows the live message buffers closely (otherwise
    freed heap memory is reused and hides or inflates the count)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        libc.mallopt(-3, 32 * 1024)  # M_MMAP_THRESHOLD
    except (OSError, AttributeError):
        pass


# RSS of one message buffer: the body plus a small header, in whole pages.
_FOOTPRINT = -(-(HWM_SIZE + 128) // 4096) * 4096


def ep_hwm_pull(chan: Any, impl: str) -> dict[str, float]:
    _mmap_big_buffers()
    zmq = load(impl)
    ctx = zmq.Context()
    sock = configure(make_socket(ctx, zmq, "PULL"), zmq, linger=0, rcvhwm=HWM)
    sock.bind("tcp://127.0.0.1:*")
    gc.collect()
    rss0 = rss_bytes()
    chan.send(last_endpoint(sock, zmq))
    if chan.recv(120) != "measure":
        raise BenchError("unexpected command")
    gc.collect()
    return {"rss": rss_bytes() - rss0}


def ep_hwm_push(chan: Any, impl: str, addr: str) -> dict[str, float]:
    _mmap_big_buffers()
    zmq = load(impl)
    ctx = zmq.Context()
    sock = configure(make_socket(ctx, zmq, "PUSH"), zmq, linger=0, sndhwm=HWM)
    sock.connect(addr)
    sock.send(b"first")  # blocks until the connection can take it
    time.sleep(0.3)
    gc.collect()
    rss0 = rss_bytes()
    noblock = zmq.NOBLOCK
    sent = 0
    stuck_since = None
    while sent < HWM_CAP:
        payload = os.urandom(HWM_SIZE)  # a distinct object per message
        try:
            sock.send(payload, noblock)
        except zmq.Again:
            now = time.monotonic()
            if stuck_since is None:
                stuck_since = now
            elif now - stuck_since > 1.0:
                break
            time.sleep(0.02)
            continue
        stuck_since = None
        sent += 1
    payload = None
    gc.collect()
    return {"accepted": sent, "rss": rss_bytes() - rss0}


def run_hwm(impl: str) -> dict[str, float]:
    with Children() as kids:
        pull = kids.start(ep_hwm_pull, impl, name=f"PULL[{impl}]")
        endpoint = pull.get(GRACE_S)
        push = kids.start(ep_hwm_push, impl, endpoint, name=f"PUSH[{impl}]")
        (pushed,) = wait_results([push], [pull], 60 + GRACE_S)
        pull.send("measure")
        pulled = pull.result_within(GRACE_S)
    return {
        "accepted": pushed["accepted"],
        "sender_msgs": pushed["rss"] / _FOOTPRINT,
        "sender_mb": pushed["rss"] / MB,
        "receiver_msgs": pulled["rss"] / _FOOTPRINT,
    }


# ----------------------------------------------------------------------


def cases(impls: list[str], quick: bool, ipc_dir: str) -> list[Case]:
    idle_s = IDLE_S_QUICK if quick else IDLE_S
    rounds = ROUNDS_QUICK if quick else ROUNDS
    reps = 1 if quick else None
    dealers: dict[str, Callable[[], dict[str, float]]] = {
        impl: partial(run_dealers, impl, DEALERS, rounds, idle_s) for impl in impls
    }
    idle: dict[str, Callable[[], dict[str, float]]] = {
        impl: partial(run_idle, impl, idle_s) for impl in impls
    }
    hwm: dict[str, Callable[[], dict[str, float]]] = {
        impl: partial(run_hwm, impl) for impl in impls
    }
    return [
        Case(
            scenario="scale",
            label=f"ROUTER + {DEALERS} DEALERs, tcp",
            metrics=[
                Metric("echo_msg_s", "echo msg/s", True),
                Metric("setup_s", "s to connect all", False),
                Metric("rss_dealers_mb", "MB RSS, dealer side", False, ("abs<=", 50)),
                Metric("rss_router_mb", "MB RSS, router side", False, ("abs<=", 50)),
                Metric("idle_cpu_ms", "CPU ms / 5 s idle, dealer side", False),
                Metric("router_idle_cpu_ms", "CPU ms / 5 s idle, router side", False),
            ],
            variants=dealers,
            reps=reps,
        ),
        Case(
            scenario="scale",
            label="idle context (PUSH+PULL, tcp)",
            metrics=[Metric("idle_cpu_ms", "CPU ms / 5 s", False, ("abs<=", 50))],
            variants=idle,
            reps=reps,
        ),
        Case(
            scenario="scale",
            label=f"PUSH, peer not reading (HWM {HWM}, 64 KiB)",
            metrics=[
                Metric("accepted", "msgs accepted", False),
                Metric("sender_msgs", "msgs held by sender (RSS)", False, ("abs<=", HWM * 1.1)),
                Metric("sender_mb", "MB", False, inline=True),
                Metric("receiver_msgs", "msgs held by receiver (RSS)", False),
            ],
            variants=hwm,
            reps=reps,
        ),
    ]
