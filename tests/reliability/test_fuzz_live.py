"""Hypothesis feeds mutated ZMTP byte streams to a live purezmq PULL socket
over tcp (not only to the codec).

Each example starts from a valid stream (raw_greeting, READY, a few messages and
commands, with the offsets of every frame header recorded) and mutates
bytes, flags and length fields, cuts and splices it. Invariant: the peer is
dropped or kept (both fine), the user sees only real messages (lists of
bytes) and no exception, a good PUSH still gets a message through afterwards,
and the process's fds return to their level before the examples.

Bounded: the ``reliab-live`` profile runs 50 examples, each waits at most
0.3 s for the socket to hang up.
"""

from __future__ import annotations

import struct
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import purezmq as zmq
from purezmq.zmtp.framing import encode_command
from tests.testing import RawPeer, eventually, fd_count, raw_greeting, raw_ready

settings.register_profile(
    "reliab-live",
    max_examples=50,
    deadline=None,
    derandomize=False,
    suppress_health_check=[HealthCheck.too_slow],
)
LIVE = settings.get_profile("reliab-live")


def _frame(flags: int, body: bytes) -> bytes:
    if len(body) < 256:
        return bytes((flags, len(body))) + body
    return bytes((flags | 0x02,)) + struct.pack(">Q", len(body)) + body


def _valid_stream(minor: int) -> tuple[bytes, list[tuple[int, bool]]]:
    """Greeting, READY, traffic; and (offset, long-form) of each frame header."""
    out = bytearray(raw_greeting(minor=minor))
    headers: list[tuple[int, bool]] = []

    def add(chunk: bytes) -> None:
        headers.append((len(out), bool(chunk[0] & 0x02)))
        out.extend(chunk)

    add(raw_ready("PUSH"))
    add(_frame(0x01, b"part-one"))
    add(_frame(0x00, b"part-two"))
    add(encode_command(b"PING", b"\x00\x0actx"))
    add(_frame(0x00, b"x" * 300))
    add(encode_command(b"SUBSCRIBE", b"t"))
    add(_frame(0x00, b"last"))
    return bytes(out), headers


FLOOD_MAX = 1 << 20  # repeats compound; a stream never grows past this

SIZES = [0, 1, 255, 256, 65535, 65536, 65537, 1 << 31, (1 << 63) - 1, 1 << 63, (1 << 64) - 1]

mutation = st.one_of(
    st.tuples(st.just("set"), st.integers(0, 2000), st.integers(0, 255)),
    st.tuples(st.just("flags"), st.integers(0, 20), st.integers(0, 255)),
    st.tuples(st.just("size"), st.integers(0, 20), st.sampled_from(SIZES)),
    st.tuples(st.just("cut"), st.integers(0, 2000), st.integers(0, 0)),
    st.tuples(st.just("delete"), st.integers(0, 2000), st.integers(1, 40)),
    st.tuples(st.just("insert"), st.integers(0, 2000), st.integers(0, 255)),
    st.tuples(st.just("repeat"), st.integers(0, 20), st.integers(2, 200)),
)


def _mutate(stream: bytes, headers: list[tuple[int, bool]], ops: list[Any]) -> bytes:
    data = bytearray(stream)
    for op, a, b in ops:
        if not data:
            break
        if op == "set":
            data[a % len(data)] = b
        elif op in ("flags", "size", "repeat"):
            off, long_form = headers[a % len(headers)]
            if off >= len(data):
                continue
            if op == "flags":
                data[off] = b
            elif op == "size" and long_form:
                data[off + 1 : off + 9] = struct.pack(">Q", b)
            elif op == "size":
                data[off + 1 : off + 2] = bytes((b & 0xFF,))
            else:  # repeat the whole tail from this frame (a flood), up to FLOOD_MAX
                room = max(0, FLOOD_MAX - len(data))
                data.extend((bytes(data[off:]) * min(b, 20))[:room])
        elif op == "cut":
            del data[a % len(data) :]
        elif op == "delete":
            del data[a % len(data) : a % len(data) + b]
        elif op == "insert":
            data.insert(a % (len(data) + 1), b)
    return bytes(data)


@pytest.fixture(scope="module")
def live() -> Any:
    ctx = zmq.Context()
    pull = ctx.socket(zmq.PULL)
    pull.linger = 0
    pull.rcvtimeo = 3000
    pull.setsockopt(zmq.HANDSHAKE_IVL, 200)
    port = pull.bind_to_random_port("tcp://127.0.0.1")
    good = ctx.socket(zmq.PUSH)
    good.linger = 0
    good.sndtimeo = 3000
    good.connect(f"tcp://127.0.0.1:{port}")
    good.send(b"warm-up")
    assert pull.recv() == b"warm-up"
    baseline = fd_count()
    yield pull, good, port
    eventually(lambda: fd_count() <= baseline, 5.0, what=f"fds back to {baseline}")
    good.close(0)
    pull.close(0)
    ctx.destroy(linger=0)


@pytest.mark.timeout(60)
@LIVE
@given(minor=st.sampled_from([0, 1]), ops=st.lists(mutation, min_size=1, max_size=6))
def test_mutated_streams_against_a_live_socket(live: Any, minor: int, ops: list[Any]) -> None:
    pull, good, port = live
    stream, headers = _valid_stream(minor)
    data = _mutate(stream, headers, ops)
    raw = RawPeer(port)
    try:
        try:
            raw.send(data)
        except OSError:
            pass  # already dropped
        raw.dropped(timeout=0.3)  # dropped or not: both are allowed
    finally:
        raw.close()
    # Whatever the peer managed to deliver is a real message: frames of bytes.
    while pull.poll(20):
        msg = pull.recv_multipart(zmq.NOBLOCK)
        assert isinstance(msg, list) and all(isinstance(f, bytes) for f in msg), msg
    tag = b"good %f" % time.monotonic()
    good.send(tag)
    got = pull.recv()
    while got != tag:  # the fuzzed peer's last messages may still come first
        assert isinstance(got, bytes)
        got = pull.recv()
