"""Runs of same-size CURVE boxes: checked column by column, opened together.

A read full of same-size one-frame messages reaches the mechanism as two
ranges (`Connection._decode_wrapped`), and `CurveBase._run_nonces` checks
the MESSAGE names and the consecutive short nonces of the whole run with
strided slices. Anything else in a run (a gap in the nonces, a replay, a
name that is not MESSAGE, a box that does not open) must come out exactly
as box by box: the messages before it, then the same error."""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from purezmq.zmtp import Connection, Phase
from purezmq.zmtp.errors import (
    ZMTP_CRYPTOGRAPHIC,
    ZMTP_INVALID_SEQUENCE,
    RemoteProtocolError,
    UnexpectedCommand,
)
from tests.testing import split_frames
from tests.zmtp.test_curve_batches import codec, ready

__all__ = ["codec"]  # the fixture, used by name

RUN = 40  # same-size messages in a row: well over the shortest run looked for


def pull_pair() -> tuple[Connection, Connection]:
    """A PUSH client and a compact PULL server, as a PULL socket has them."""
    client, server = ready("PUSH", "PULL")
    server.compact = True
    return client, server


def column_checks(conn: Connection) -> list[Any]:
    """What each column-by-column check of `conn`'s runs gives (None: it
    left the run to the box-by-box loop)."""
    mech: Any = conn.mechanism
    results: list[Any] = []
    check = mech._run_nonces

    def spy(*args: Any) -> Any:
        results.append(check(*args))
        return results[-1]

    mech._run_nonces = spy
    return results


def frames_of(wire: bytes) -> list[bytes]:
    """The wire's frames, each with its header."""
    out = []
    pos = 0
    for _flags, body in split_frames(wire):
        size = len(body)
        head = 2 if size < 256 else 9
        out.append(wire[pos : pos + head + size])
        pos += head + size
    return out


def receive(server: Connection, wire: bytes) -> tuple[list[Any], Any]:
    """What the server delivers from ``wire``, and the error it raised."""
    try:
        return server.receive_data(wire), None
    except RemoteProtocolError as exc:  # carries what came before it
        return list(exc.events), exc


def send_run_taken_whole(client: Connection, server: Connection, msgs: list[bytes]) -> None:
    """``msgs`` sent as one run arrive, all taken by one column check."""
    client.send_messages([[m] for m in msgs])
    checks = column_checks(server)
    got, error = receive(server, client.data_to_send())
    assert error is None
    assert got == msgs
    assert len(checks) == 1 and checks[0] is not None


@pytest.mark.parametrize("size", [0, 1, 64, 222])
def test_a_run_of_same_size_messages_arrives_bare(codec: str, size: int) -> None:
    client, server = pull_pair()
    send_run_taken_whole(client, server, [os.urandom(size) for _ in range(RUN)])
    client.send_messages([[b"after"]])  # the peer's nonce moved to the end of the run
    assert server.receive_data(client.data_to_send()) == [b"after"]


@st.composite
def traffic(draw: Any) -> tuple[list[list[bytes]], list[int]]:
    """Batches of messages with long same-size stretches, and read sizes."""
    msgs: list[list[bytes]] = []
    for _ in range(draw(st.integers(1, 6))):
        size = draw(st.sampled_from([0, 5, 64, 253, 300]))
        parts = draw(st.sampled_from([1, 1, 1, 2]))
        count = draw(st.integers(1, 30))
        msgs += [[bytes([i % 256]) * size] * parts for i in range(count)]
    reads = draw(st.lists(st.integers(1, 5000), min_size=1, max_size=8))
    return msgs, reads


@settings(max_examples=60, deadline=None)
@given(traffic())
def test_runs_and_mixed_traffic_decode_as_box_by_box(case: Any) -> None:
    msgs, reads = case
    client, server = pull_pair()
    client.send_messages(msgs)
    wire = client.data_to_send()
    got: list[Any] = []
    pos = 0
    i = 0
    while pos < len(wire):
        step = reads[i % len(reads)]
        got += server.receive_data(wire[pos : pos + step])
        pos += step
        i += 1
    assert [[m] if isinstance(m, bytes) else list(m) for m in got] == msgs


def test_gaps_in_the_nonces_are_allowed(codec: str) -> None:
    """The peer's nonces must only increase (libzmq checks no more)."""
    client, server = pull_pair()
    wire = b""
    for i in range(RUN):
        client.send_messages([[b"%02d" % i]])
        client.mechanism._nonce += i % 3  # type: ignore[attr-defined]
        wire += client.data_to_send()
    checks = column_checks(server)
    got, error = receive(server, wire)
    assert checks == [None]  # not consecutive: box by box
    assert error is None
    assert got == [b"%02d" % i for i in range(RUN)]


def run_wire(client: Connection) -> list[bytes]:
    client.send_messages([[b"m%02d" % i] for i in range(RUN)])
    return frames_of(client.data_to_send())


def test_a_replayed_box_in_a_run_keeps_the_messages_before_it(codec: str) -> None:
    client, server = pull_pair()
    frames = run_wire(client)
    frames[20] = frames[19]  # the same nonce twice
    got, error = receive(server, b"".join(frames))
    assert got == [b"m%02d" % i for i in range(20)]
    assert isinstance(error, RemoteProtocolError) and error.code == ZMTP_INVALID_SEQUENCE


def test_an_old_nonce_at_the_start_of_a_run_is_refused(codec: str) -> None:
    client, server = pull_pair()
    frames = run_wire(client)
    assert receive(server, b"".join(frames[: RUN // 2])) == (
        [b"m%02d" % i for i in range(RUN // 2)],
        None,
    )
    got, error = receive(server, b"".join(frames))  # the first half again, then the rest
    assert got == []
    assert isinstance(error, RemoteProtocolError) and error.code == ZMTP_INVALID_SEQUENCE


def test_a_box_in_a_run_that_is_not_a_message_keeps_the_messages_before_it(codec: str) -> None:
    client, server = pull_pair()
    frames = run_wire(client)
    bad = bytearray(frames[25])
    bad[2 + 7] ^= 0x01  # "\x07MESSAGE" -> "\x07MESSAGD"
    frames[25] = bytes(bad)
    got, error = receive(server, b"".join(frames))
    assert got == [b"m%02d" % i for i in range(25)]
    assert isinstance(error, UnexpectedCommand)
    assert server.phase is Phase.CLOSED


def test_a_box_in_a_run_that_does_not_open_keeps_the_messages_before_it(codec: str) -> None:
    client, server = pull_pair()
    frames = run_wire(client)
    bad = bytearray(frames[30])
    bad[-1] ^= 0x80  # the last ciphertext byte
    frames[30] = bytes(bad)
    got, error = receive(server, b"".join(frames))
    assert got == [b"m%02d" % i for i in range(30)]
    assert isinstance(error, RemoteProtocolError) and error.code == ZMTP_CRYPTOGRAPHIC


@pytest.mark.parametrize(
    "start", [250, 65_530, 2**24 - 7, 2**40 - 20, 2**64 - RUN - 1], ids=lambda n: hex(n)
)
def test_a_run_whose_nonces_carry_into_higher_bytes_is_accepted(codec: str, start: int) -> None:
    """The nonce columns are built from runs of one byte value: a run
    crossing a carry (0xff -> 0x100, ...) up to the very last nonce."""
    client, server = pull_pair()
    server.mechanism._peer_nonce = start - 1  # type: ignore[attr-defined]
    client.mechanism._nonce = start  # type: ignore[attr-defined]
    send_run_taken_whole(client, server, [b"c%02d" % i for i in range(RUN)])
    assert server.mechanism._peer_nonce == start + RUN - 1  # type: ignore[attr-defined]
