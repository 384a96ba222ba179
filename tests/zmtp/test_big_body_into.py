"""A large body read straight into the codec's buffer (`receive_big_into`,
what the engine does for bodies of BIG_STEP bytes or more): the message is
the same as through `receive_data`, and the buffer never grows by more than
what has arrived (a peer's length claim does not size it)."""

from __future__ import annotations

import struct
import sys

import pytest

from purezmq.zmtp.connection import BIG_STEP, Connection
from purezmq.zmtp.errors import MessageTooLarge
from tests.testing import traffic_conn


def long_header(flags: int, size: int) -> bytes:
    return bytes((flags | 0x02,)) + struct.pack(">Q", size)


class _Feeder:
    """recv_into over a byte string, at most `step` bytes per call."""

    def __init__(self, data: bytes, step: int) -> None:
        self.data = data
        self.pos = 0
        self.step = step
        self.calls = 0

    def __call__(self, view: memoryview) -> int:
        self.calls += 1
        n = min(len(view), self.step, len(self.data) - self.pos)
        view[:n] = self.data[self.pos : self.pos + n]
        self.pos += n
        return n


def _read_all(conn: Connection, feeder: _Feeder) -> list[object]:
    events: list[object] = []
    while conn.big_need:
        got = conn.receive_big_into(feeder)
        assert got is not None
        events.extend(got)
    return events


@pytest.mark.parametrize("step", [1000, 65536, 300_000])
def test_body_read_into_the_buffer_is_the_message(step: int) -> None:
    conn = traffic_conn("PULL", b"PUSH")
    body = bytes(range(256)) * (3 * BIG_STEP // 256 + 3)
    wire = long_header(0x01, 5) + b"first" + long_header(0, len(body)) + body
    head = 9 + 5 + 9 + 1000
    assert conn.receive_data(wire[:head]) == []
    assert conn.big_need == len(body) - 1000
    events = _read_all(conn, _Feeder(wire[head:], step))
    assert events == [[b"first", body]]
    assert type(events[0][1]) is bytes  # type: ignore[index]
    # the next frame decodes as usual
    assert conn.receive_data(b"\x00\x03abc") == [[b"abc"]]


def test_the_buffer_grows_with_what_arrived_not_with_the_claim() -> None:
    claim = min(1 << 40, sys.maxsize)
    conn = traffic_conn("PULL", b"PUSH")
    assert conn.receive_data(long_header(0, claim) + b"x" * 100) == []
    assert conn.big_need == claim - 100
    feeder = _Feeder(b"y" * (300 * 4096), 4096)
    for _ in range(300):
        got = conn.receive_big_into(feeder)
        assert got == []
        arrived = 100 + feeder.pos
        assert conn.buffered() == arrived
        assert len(conn._big_buf) <= 2 * arrived + BIG_STEP


def test_eof_in_a_large_body_is_reported() -> None:
    conn = traffic_conn("PULL", b"PUSH")
    conn.receive_data(long_header(0, 2 * BIG_STEP) + b"z" * 10)
    assert conn.receive_big_into(lambda view: 0) is None


def test_maxmsgsize_still_refuses_at_the_header() -> None:
    conn = traffic_conn("PULL", b"PUSH", maxmsgsize=BIG_STEP)
    with pytest.raises(MessageTooLarge):
        conn.receive_data(long_header(0, BIG_STEP + 1) + b"z" * 10)
    assert conn.big_need == 0


def test_small_large_bodies_keep_the_chunked_path() -> None:
    """Under BIG_STEP the engine reads in large chunks (several bodies per
    read of a stream), so big_need does not offer the direct path."""
    conn = traffic_conn("PULL", b"PUSH")
    conn.receive_data(long_header(0, BIG_STEP - 1) + b"z" * 10)
    assert conn.big_need == 0
    assert conn.buffered() == 10
