"""HANDSHAKE_IVL: a connection that has not finished its handshake in time is
dropped (HANDSHAKE_FAILED_NO_DETAIL); a finished handshake cancels the timer;
0 means no limit. The I/O thread's timers run on a fake clock."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

import purezmq as zmq
from purezmq.zmtp import Connection, Phase
from tests.testing import (
    FakeClock,
    advance,
    context_on_clock,
    event_name,
    io_barrier,
    make_socket,
    terminate,
    wait_for_event,
    watch,
)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fctx(clock: FakeClock) -> Iterator[zmq.Context]:
    ctx = context_on_clock(clock)
    yield ctx
    terminate(ctx)


def _pull(ctx: zmq.Context, handshake_ivl: int) -> tuple[Any, Any, int]:
    pull = make_socket(ctx, zmq.PULL)
    pull.handshake_ivl = handshake_ivl
    monitor = watch(pull)
    port = pull.bind_to_random_port("tcp://127.0.0.1")
    return pull, monitor, port


def _accepted(ctx: zmq.Context, monitor: Any) -> None:
    """The connection is accepted and its engine started (its timer armed)."""
    wait_for_event(monitor, zmq.EVENT_ACCEPTED)
    io_barrier(ctx)


def _reported(monitor: Any) -> list[str]:
    """The names of the events reported so far (the I/O thread reports from
    inside the timer, and `advance` waits for the timers that are due)."""
    seen = []
    while monitor.poll(0):
        frames = monitor.recv_multipart()
        seen.append(event_name(int.from_bytes(frames[0][:2], "little")))
    return seen


def _eof(raw: socket.socket, timeout: float = 5.0) -> bool:
    """Read until the peer closes (True) or `timeout` passes (False)."""
    raw.settimeout(timeout)
    try:
        while raw.recv(65536):
            pass
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False
    return True


def test_a_silent_peer_is_dropped_when_handshake_ivl_expires(
    fctx: zmq.Context, clock: FakeClock
) -> None:
    pull, monitor, port = _pull(fctx, 10_000)
    raw = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        _accepted(fctx, monitor)
        loop = fctx.io()
        advance(loop, clock, 9.99)
        assert _reported(monitor) == [], "dropped before HANDSHAKE_IVL"
        advance(loop, clock, 0.02)
        seen = wait_for_event(monitor, zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL)
        assert zmq.EVENT_HANDSHAKE_SUCCEEDED not in [e for e, _, _ in seen]
        assert _eof(raw)
    finally:
        raw.close()
        monitor.close()


def test_a_finished_handshake_cancels_the_timer(fctx: zmq.Context, clock: FakeClock) -> None:
    pull, monitor, port = _pull(fctx, 10_000)
    raw = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        _accepted(fctx, monitor)
        conn = Connection(socket_type="PUSH")
        raw.sendall(conn.data_to_send())
        while conn.phase is not Phase.TRAFFIC:
            data = raw.recv(4096)
            assert data, "closed during the handshake"
            conn.receive_data(data)
            if conn.has_output():
                raw.sendall(conn.data_to_send())
        wait_for_event(monitor, zmq.EVENT_HANDSHAKE_SUCCEEDED)
        advance(fctx.io(), clock, 3600.0)
        assert _reported(monitor) == []
        conn.send_message([b"still connected"])
        raw.sendall(conn.data_to_send())
        assert pull.recv() == b"still connected"
    finally:
        raw.close()
        monitor.close()


def test_handshake_ivl_zero_never_expires(fctx: zmq.Context, clock: FakeClock) -> None:
    pull, monitor, port = _pull(fctx, 0)
    raw = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        _accepted(fctx, monitor)
        advance(fctx.io(), clock, 1e6)
        assert _reported(monitor) == []
    finally:
        raw.close()
        monitor.close()
