"""High-water marks as libzmq keeps them, with the same assertions run
against purezmq and libzmq (pyzmq):

- SNDHWM is exact: with no peer yet, a connecting socket queues exactly
  SNDHWM messages before EAGAIN.
- A stalled peer costs at most SNDHWM messages in user space.
- No drop before a pipe reaches its HWM: 10,000 requests through a
  ROUTER-ROUTER broker to a DEALER echo worker (tcp, default HWMs, each in
  its own thread), with up to 900 in flight, all come back. (With no bound
  in flight, whether a ROUTER drops depends on how fast the worker thread
  runs and how much the kernel buffers, for libzmq too.)
"""

from __future__ import annotations

import socket as pysocket
import threading
import time
from typing import Any

import pytest

import purezmq


def _unused_port() -> int:
    with pysocket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("hwm", [1, 5, 10, 1000])
def test_sndhwm_is_exact_before_the_peer_exists(lib: Any, hwm: int) -> None:
    push = lib.test_ctx.socket(lib.PUSH)
    push.linger = 0
    push.sndhwm = hwm
    push.connect(f"tcp://127.0.0.1:{_unused_port()}")  # nobody listens
    queued = 0
    while True:
        try:
            push.send(b"x", lib.NOBLOCK)
        except lib.Again:
            break
        queued += 1
        assert queued <= hwm + 1, "queued past SNDHWM"
    assert queued == hwm
    push.close()


def test_a_stalled_peer_costs_at_most_sndhwm_messages() -> None:
    """A peer that completes the handshake and never reads: once the kernel
    buffers are full, what purezmq holds for it (pipe plus the batch the
    kernel has not taken) stays within SNDHWM."""
    from purezmq.zmtp import Connection, Phase

    ctx = purezmq.Context()
    listener = pysocket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(5)
    push = ctx.socket(purezmq.PUSH)
    push.linger = 0
    push.sndhwm = 10
    push.connect(f"tcp://127.0.0.1:{listener.getsockname()[1]}")
    raw, _ = listener.accept()
    raw.settimeout(5)
    conn = Connection(socket_type="PULL")
    raw.sendall(conn.data_to_send())
    while conn.phase is not Phase.TRAFFIC:
        conn.receive_data(raw.recv(4096))
        if conn.has_output():
            raw.sendall(conn.data_to_send())
    body = b"x" * 65536
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            push.send(body, purezmq.NOBLOCK)
        except purezmq.Again:
            break
    else:
        pytest.fail("the sender never hit SNDHWM")
    (session,) = push._hub.sessions()
    end = session.pipe
    assert end is not None
    held = end._in.held + end.queued_in()
    assert held <= 10
    raw.close()
    listener.close()
    push.close()
    ctx.destroy(linger=0)


def test_a_router_broker_below_hwm_loses_nothing(lib: Any) -> None:
    n = 10_000
    ctx = lib.test_ctx
    stop = threading.Event()
    errors: list[BaseException] = []

    frontend = ctx.socket(lib.ROUTER)
    backend = ctx.socket(lib.ROUTER)
    for s in (frontend, backend):
        s.linger = 0
    front = f"tcp://127.0.0.1:{frontend.bind_to_random_port('tcp://127.0.0.1')}"
    back = f"tcp://127.0.0.1:{backend.bind_to_random_port('tcp://127.0.0.1')}"
    worker = ctx.socket(lib.DEALER)
    worker.identity = b"W"
    worker.linger = 0
    worker.connect(back)
    client = ctx.socket(lib.DEALER)
    client.linger = 0
    client.rcvtimeo = 5000
    client.connect(front)

    def run_worker() -> None:
        try:
            while not stop.is_set():
                if worker.poll(20):
                    worker.send_multipart(worker.recv_multipart())
        except BaseException as exc:  # reported by the test
            errors.append(exc)

    def run_broker() -> None:
        try:
            poller = lib.Poller()
            poller.register(frontend, lib.POLLIN)
            poller.register(backend, lib.POLLIN)
            while not stop.is_set():
                for sock, _ in poller.poll(20):
                    if sock is frontend:
                        cid, *rest = frontend.recv_multipart()
                        backend.send_multipart([b"W", cid, *rest])
                    else:
                        _w, cid, *rest = backend.recv_multipart()
                        frontend.send_multipart([cid, *rest])
        except BaseException as exc:  # reported by the test
            errors.append(exc)

    # The worker must be routable before the burst starts.
    backend.router_mandatory = 1
    deadline = time.monotonic() + 5
    while True:
        try:
            backend.send_multipart([b"W", b"", b"probe"], lib.NOBLOCK)
            break
        except lib.ZMQError:
            assert time.monotonic() < deadline, "the worker never connected"
            time.sleep(0.005)
    assert worker.poll(5000) and worker.recv_multipart() == [b"", b"probe"]
    backend.router_mandatory = 0

    threads = [threading.Thread(target=f, daemon=True) for f in (run_worker, run_broker)]
    for t in threads:
        t.start()
    try:
        window = 900  # below every pipe's HWM (1000), so no ROUTER may drop
        sent = got = 0
        replies: list[bytes] = []
        try:
            while got < n:
                while sent < n and sent - got < window:
                    client.send(b"%d" % sent)
                    sent += 1
                replies.append(client.recv())
                got += 1
        except lib.Again:
            pass
    finally:
        stop.set()
        for t in threads:
            t.join(5)
    assert not errors
    assert got == n
    assert sorted(replies) == sorted(b"%d" % i for i in range(n))
    for s in (frontend, backend, worker, client):
        s.close()
