"""LINGER: what happens to messages still queued when a socket closes.

0 drops them at once; a positive linger keeps the connection trying and
delivers them to a peer that appears in time, then lets term() return; a
linger that runs out lets term() return without delivering (fake clock);
-1 waits for the peer however long it takes."""

from __future__ import annotations

import gc
import os
import threading
from collections.abc import Iterator

import pytest

import purezmq as zmq
from tests.testing import (
    FakeClock,
    advance,
    context_on_clock,
    eventually,
    make_socket,
    sync,
    term_in_thread,
    terminate,
)


def _queued_push(ctx: zmq.Context, addr: str, linger: int, n: int = 3) -> zmq.Socket:
    """A PUSH that connects to `addr` (nobody there yet), queues `n`
    messages and closes with `linger`. The caller keeps the closed socket
    object: see test_linger_outlives_the_socket_object."""
    push = ctx.socket(zmq.PUSH)
    push.sndtimeo = 5000
    push.reconnect_ivl = 10
    push.linger = linger
    push.connect(addr)
    for i in range(n):
        push.send(b"msg %d" % i)
    push.close()
    return push


@pytest.fixture
def own_ctx() -> Iterator[zmq.Context]:
    ctx = zmq.Context()
    yield ctx
    terminate(ctx)


def test_linger_zero_drops_queued_messages(own_ctx: zmq.Context, ipc_dir: str) -> None:
    addr = "ipc://" + os.path.join(ipc_dir, "zero")
    push = _queued_push(own_ctx, addr, linger=0)
    # the connecting session ends with the socket: nothing is left to deliver
    eventually(lambda: own_ctx._sessions_alive == 0, what="the PUSH's session finished")
    pull = make_socket(own_ctx, zmq.PULL)
    pull.bind(addr)
    assert not pull.poll(200)  # proving that nothing arrives takes a while
    pull.close()
    term_in_thread(own_ctx)
    del push


def test_linger_delivers_to_a_peer_that_appears_in_time(own_ctx: zmq.Context, ipc_dir: str) -> None:
    addr = "ipc://" + os.path.join(ipc_dir, "later")
    push = _queued_push(own_ctx, addr, linger=60_000)
    pull = make_socket(own_ctx, zmq.PULL)
    pull.bind(addr)  # after close: the lingering session still connects
    assert [pull.recv() for _ in range(3)] == [b"msg 0", b"msg 1", b"msg 2"]
    pull.close()
    # delivered, so the session ends: term returns long before the 60 s linger
    term_in_thread(own_ctx, timeout=10)
    del push


def test_linger_outlives_the_socket_object(ipc_dir: str) -> None:
    """pyzmq code often drops a socket right after close(); libzmq lingers on."""
    ctx = zmq.Context()
    addr = "ipc://" + os.path.join(ipc_dir, "dropped")
    _queued_push(ctx, addr, linger=60_000)  # not kept
    gc.collect()
    pull = make_socket(ctx, zmq.PULL, timeout_ms=2000)
    pull.bind(addr)
    try:
        assert [pull.recv() for _ in range(3)] == [b"msg 0", b"msg 1", b"msg 2"]
    finally:
        pull.close()
    term_in_thread(ctx, timeout=10)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fctx(clock: FakeClock) -> Iterator[zmq.Context]:
    ctx = context_on_clock(clock)
    yield ctx
    terminate(ctx)


def test_term_returns_when_the_linger_runs_out(
    fctx: zmq.Context, clock: FakeClock, ipc_dir: str
) -> None:
    loop = fctx.io()
    push = _queued_push(fctx, "ipc://" + os.path.join(ipc_dir, "nobody"), linger=60_000)
    sync(loop)  # the close reached the session: its linger timer is armed now
    term = threading.Thread(target=fctx.term, daemon=True, name="term")
    term.start()
    advance(loop, clock, 59.9)
    assert fctx._sessions_alive == 1 and term.is_alive(), "gave up before LINGER"
    # Past LINGER: the session ends, term() returns and stops the loop, so no
    # round trip on the loop can be awaited now; wake it to read the clock.
    clock.now += 0.2
    loop.call_soon_threadsafe(lambda: None)
    term.join(10)
    assert not term.is_alive(), "term() still waiting after LINGER ran out"
    del push


def test_linger_minus_one_waits_for_the_peer(
    fctx: zmq.Context, clock: FakeClock, ipc_dir: str
) -> None:
    loop = fctx.io()
    addr = "ipc://" + os.path.join(ipc_dir, "forever")
    push = _queued_push(fctx, addr, linger=-1)
    advance(loop, clock, 1e6)  # a long time without a peer: still holding on
    sync(loop)
    assert fctx._sessions_alive == 1
    pull = make_socket(fctx, zmq.PULL)
    pull.bind(addr)
    advance(loop, clock, 0.011)  # the next reconnect attempt finds the peer
    assert [pull.recv() for _ in range(3)] == [b"msg 0", b"msg 1", b"msg 2"]
    pull.close()
    term_in_thread(fctx)
    del push
