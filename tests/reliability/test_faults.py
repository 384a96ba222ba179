"""Faults: a peer process SIGKILLed mid-stream and restarted on the same
port, a peer SIGSTOPped under heartbeats, socket and context churn, and
many connections to one socket. Child processes run `sys.executable` and are
killed in a ``finally``; every wait has a deadline."""

from __future__ import annotations

import gc
import os
import signal
import socket as pysocket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

import purezmq
from tests.testing import Monitor, eventually, fd_count, load_lib, rss_kib

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# A PUSH that binds `port` and sends numbered messages from `start` forever.
PUSHER = """
import sys, time
import purezmq as zmq
port, start = int(sys.argv[1]), int(sys.argv[2])
ctx = zmq.Context()
s = ctx.socket(zmq.PUSH)
s.setsockopt(zmq.SNDHWM, 100)
deadline = time.monotonic() + 5
while True:
    try:
        s.bind(f"tcp://127.0.0.1:{port}")
        break
    except zmq.ZMQError:
        if time.monotonic() > deadline:
            raise
        time.sleep(0.02)
print("bound", flush=True)
i = start
while True:
    s.send(b"%d" % i)
    i += 1
"""

# A PULL that binds `port` and then just sits there (to be SIGSTOPped).
SITTER = """
import sys
import {lib} as zmq
ctx = zmq.Context()
s = ctx.socket(zmq.PULL)
s.bind(f"tcp://127.0.0.1:{{sys.argv[1]}}")
print("bound", flush=True)
sys.stdin.read()
"""


def _free_port() -> int:
    with pysocket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _spawn(code: str, *args: Any) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *map(str, args)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    raw_ready = threading.Event()
    line: list[str] = []

    def read() -> None:
        assert proc.stdout is not None
        line.append(proc.stdout.readline())
        raw_ready.set()

    threading.Thread(target=read, daemon=True).start()
    if not raw_ready.wait(15) or not line[0].startswith("bound"):
        proc.kill()
        raise AssertionError(f"child did not start: {line}")
    return proc


@pytest.fixture
def children() -> Iterator[list[subprocess.Popen[str]]]:
    procs: list[subprocess.Popen[str]] = []
    yield procs
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGCONT)
            p.kill()
        p.wait(5)


@pytest.mark.timeout(60)
def test_pusher_killed_and_restarted_on_the_same_port(children: list[Any]) -> None:
    port = _free_port()
    ctx = purezmq.Context()
    try:
        pull = ctx.socket(purezmq.PULL)
        pull.linger = 0
        pull.rcvtimeo = 5000
        pull.setsockopt(purezmq.RECONNECT_IVL, 50)
        pull.connect(f"tcp://127.0.0.1:{port}")
        children.append(_spawn(PUSHER, port, 0))
        got: list[int] = []
        while len(got) < 3000:
            got.append(int(pull.recv()))
        children[0].kill()  # mid-stream: it was sending as fast as it could
        children[0].wait(5)
        children.append(_spawn(PUSHER, port, 1_000_000))
        second = 0
        while second < 3000:
            n = int(pull.recv())
            got.append(n)
            second += n >= 1_000_000
        first = [n for n in got if n < 1_000_000]
        assert first == list(range(len(first))), "lost, duplicated or reordered before the kill"
        later = [n for n in got if n >= 1_000_000]
        assert later == list(range(1_000_000, 1_000_000 + len(later)))
        assert got == first + later, "the killed peer's messages came after the new one's"
        pull.close(0)
    finally:
        ctx.destroy(linger=0)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("libname", ["purezmq", "pyzmq"])
def test_stopped_peer_detected_by_heartbeat(children: list[Any], libname: str) -> None:
    lib = load_lib(libname)
    port = _free_port()
    children.append(_spawn(SITTER.format(lib="purezmq"), port))
    ctx = lib.Context()
    try:
        push = ctx.socket(lib.PUSH)
        push.linger = 0
        push.setsockopt(lib.HEARTBEAT_IVL, 100)
        push.setsockopt(lib.HEARTBEAT_TIMEOUT, 300)
        mon = Monitor(push)
        push.connect(f"tcp://127.0.0.1:{port}")
        mon.until(0x1000)  # HANDSHAKE_SUCCEEDED
        children[0].send_signal(signal.SIGSTOP)
        t0 = time.monotonic()
        mon.until(0x200, timeout=5)  # DISCONNECTED
        took = time.monotonic() - t0
        assert took < 0.9 + 0.3, f"DISCONNECTED {took:.2f}s after the peer stopped"
        mon.close()
        push.close(0)
    finally:
        ctx.destroy(linger=0)


def _threads() -> int:
    return threading.active_count()


@pytest.mark.timeout(60)
def test_socket_and_context_churn_is_flat() -> None:
    def churn_once(i: int) -> None:
        ctx = purezmq.Context()
        try:
            router = ctx.socket(purezmq.ROUTER)
            router.linger = 0
            router.rcvtimeo = 5000
            port = router.bind_to_random_port("tcp://127.0.0.1")
            for _ in range(10):
                d = ctx.socket(purezmq.DEALER)
                d.linger = 0
                d.connect(f"tcp://127.0.0.1:{port}")
                d.send(b"hi")
                assert router.recv_multipart()[1] == b"hi"  # a real connection each time
                d.close()
            router.close()
        finally:
            ctx.destroy(linger=0)

    churn_once(0)  # first-use costs (imports, caches) out of the measure
    gc.collect()
    fds, threads, rss = fd_count(), _threads(), rss_kib()
    for i in range(20):  # 20 contexts, 220 sockets
        churn_once(i)
    gc.collect()
    eventually(lambda: fd_count() <= fds, 5, what=f"fds back to {fds} (now {fd_count()})")
    eventually(lambda: _threads() <= threads, 5, what=f"threads back to {threads}")
    grown = rss_kib() - rss
    assert grown < 20 * 1024, f"RSS grew by {grown} KiB over 20 contexts"


@pytest.mark.timeout(60)
@pytest.mark.parametrize("libname", ["purezmq", "pyzmq"])
def test_300_dealers_to_one_router(libname: str) -> None:
    lib = load_lib(libname)
    ctx = lib.Context()
    try:
        router = ctx.socket(lib.ROUTER)
        router.linger = 0
        router.rcvtimeo = 10000
        port = router.bind_to_random_port("tcp://127.0.0.1")
        dealers = []
        for i in range(300):
            d = ctx.socket(lib.DEALER)
            d.linger = 0
            d.rcvtimeo = 10000
            d.setsockopt(lib.IDENTITY, b"d%03d" % i)
            d.connect(f"tcp://127.0.0.1:{port}")
            dealers.append(d)
        for i, d in enumerate(dealers):
            d.send(b"q%d" % i)
        seen = set()
        for _ in dealers:
            ident, body = router.recv_multipart()
            assert body == b"q%d" % int(ident[1:])
            seen.add(ident)
            router.send_multipart([ident, b"a:" + body])
        assert len(seen) == 300
        for i, d in enumerate(dealers):
            assert d.recv() == b"a:q%d" % i
        for d in dealers:
            d.close(0)
        router.close(0)
    finally:
        ctx.destroy(linger=0)
