"""Reconnect backoff (the Connecter in reactor/transport.py): RECONNECT_IVL,
doubling up to RECONNECT_IVL_MAX when that is larger, reset after a connect;
RECONNECT_IVL -1 never retries. Timers run on a fake clock."""

from __future__ import annotations

import os
import queue
import socket
from collections.abc import Iterator

import pytest

import purezmq as zmq
from purezmq.patterns.options import Options
from purezmq.reactor.endpoint import parse
from purezmq.reactor.loop import IOThread
from purezmq.reactor.transport import Connecter
from tests.testing import (
    JOIN_TIMEOUT,
    FakeClock,
    advance,
    make_socket,
    on_loop,
    wait_for_event,
    watch,
)


class Owner:
    """What a Connecter asks of its socket: options and monitor events."""

    def __init__(self, ivl: int, ivl_max: int) -> None:
        self.options = Options(zmq.PUSH)
        self.options.reconnect_ivl = ivl
        self.options.reconnect_ivl_max = ivl_max
        self.events: queue.Queue[tuple[int, int, str]] = queue.Queue()

    def monitor_event(self, event: int, value: int, endpoint: str) -> None:
        self.events.put((event, value, endpoint))

    def drain(self) -> list[tuple[int, int]]:
        out = []
        while True:
            try:
                event, value, _ = self.events.get_nowait()
            except queue.Empty:
                return out
            out.append((event, value))


class Session:
    """Receives each connected socket (as a real session would start its engine)."""

    def __init__(self) -> None:
        self.socks: queue.Queue[socket.socket] = queue.Queue()

    def attach_engine(self, sock: socket.socket) -> None:
        self.socks.put(sock)


def intervals(ivl: int, ivl_max: int, n: int) -> list[int]:
    c = Connecter(None, Owner(ivl, ivl_max), parse("tcp://127.0.0.1:1"), Session())  # type: ignore[arg-type]
    return [c._next_interval() for _ in range(n)]


@pytest.mark.parametrize(
    "ivl, ivl_max, expected",
    [
        (100, 0, [100, 100, 100, 100]),  # no maximum: no backoff
        (100, 1000, [100, 200, 400, 800, 1000, 1000, 1000]),
        (300, 1000, [300, 600, 1000, 1000]),
        (100, 100, [100, 100, 100]),  # a maximum not above the interval: constant
        (100, 50, [100, 100, 100]),
        (0, 1000, [0, 0, 0]),
    ],
)
def test_next_interval_doubles_up_to_the_maximum(
    ivl: int, ivl_max: int, expected: list[int]
) -> None:
    assert intervals(ivl, ivl_max, len(expected)) == expected


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def loop(clock: FakeClock) -> Iterator[IOThread]:
    io = IOThread(name="test-io", clock=clock)
    io.start()
    yield io
    io.stop(JOIN_TIMEOUT)


def _retried(values: list[int]) -> list[tuple[int, int]]:
    return [(zmq.EVENT_CONNECT_RETRIED, v) for v in values]


def test_retries_wait_each_interval_on_the_clock(
    loop: IOThread, clock: FakeClock, ipc_dir: str
) -> None:
    """Nothing listens at the ipc path: every attempt fails at once and the
    next one is due RECONNECT_IVL later, doubling up to RECONNECT_IVL_MAX."""
    owner = Owner(100, 1000)
    path = os.path.join(ipc_dir, "nobody")
    conn = Connecter(loop, owner, parse("ipc://" + path), Session())  # type: ignore[arg-type]
    on_loop(loop, conn.start)
    assert owner.drain() == _retried([100])
    for due, following in [(100, 200), (200, 400), (400, 800), (800, 1000), (1000, 1000)]:
        # a millisecond either side: float sums of fake time are not exact
        advance(loop, clock, due / 1000 - 0.001)
        assert owner.drain() == [], f"retried before {due} ms"
        advance(loop, clock, 0.002)
        assert owner.drain() == _retried([following])
    on_loop(loop, conn.stop)
    advance(loop, clock, 10.0)
    assert owner.drain() == [], "stop cancels the pending retry"


def test_a_connect_resets_the_backoff(loop: IOThread, clock: FakeClock, ipc_dir: str) -> None:
    owner = Owner(100, 1000)
    session = Session()
    path = os.path.join(ipc_dir, "later")
    conn = Connecter(loop, owner, parse("ipc://" + path), session)  # type: ignore[arg-type]
    on_loop(loop, conn.start)
    advance(loop, clock, 0.101)
    advance(loop, clock, 0.201)
    assert owner.drain() == _retried([100, 200, 400])
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        listener.bind(path)
        listener.listen(1)
        advance(loop, clock, 0.401)  # the next attempt finds the listener
        sock = session.socks.get(timeout=JOIN_TIMEOUT)
        sock.close()
        assert zmq.EVENT_CONNECTED in [e for e, _ in owner.drain()]
        on_loop(loop, conn.reconnect_later)  # as after a disconnect
        assert owner.drain() == _retried([100])
        on_loop(loop, conn.stop)
    finally:
        listener.close()


def test_reconnect_ivl_minus_one_never_retries(
    loop: IOThread, clock: FakeClock, ipc_dir: str
) -> None:
    owner = Owner(-1, 0)
    path = os.path.join(ipc_dir, "never")
    conn = Connecter(loop, owner, parse("ipc://" + path), Session())  # type: ignore[arg-type]
    on_loop(loop, conn.start)
    advance(loop, clock, 3600.0)
    assert owner.drain() == []
    assert conn._timer is None
    on_loop(loop, conn.stop)


def test_socket_options_reach_the_backoff(ctx: zmq.Context, ipc_dir: str) -> None:
    """End to end on a real socket and clock: the monitor reports each
    retry's interval."""
    push = make_socket(ctx, zmq.PUSH)
    push.reconnect_ivl = 10
    push.reconnect_ivl_max = 80
    monitor = watch(push, zmq.EVENT_CONNECT_RETRIED)
    push.connect("ipc://" + os.path.join(ipc_dir, "absent"))
    seen = wait_for_event(monitor, zmq.EVENT_CONNECT_RETRIED, count=6)
    assert [value for _, value, _ in seen] == [10, 20, 40, 80, 80, 80]
    monitor.close()
