"""Frames, commands and metadata (RFC 23/37 "Framing", "Commands", "Connection Metadata").

Every decoder is fed the whole input, one byte at a time, and with trailing bytes.
"""

from __future__ import annotations

import struct
from typing import Any

import pytest

from purezmq.zmtp import LARGE_FRAME, Cancel, Connection, Phase, Ping, Pong, Subscribe
from purezmq.zmtp.errors import (
    ZMTP_INVALID_METADATA,
    ZMTP_INVALID_SEQUENCE,
    ZMTP_MALFORMED_COMMAND_ERROR,
    ZMTP_MALFORMED_COMMAND_UNSPECIFIED,
    InvalidMetadata,
    MalformedCommand,
    MessageTooLarge,
    ProtocolError,
)
from purezmq.zmtp.events import PeerError
from purezmq.zmtp.framing import (
    COMMAND,
    LONG,
    MORE,
    decode_metadata,
    encode_command,
    encode_metadata,
    frame_header,
    get_property,
    split_command,
)
from tests.testing import (
    FEEDERS,
    command,
    feed_bytewise,
    feed_chunks,
    frame,
    greeting,
    message,
    messages,
    metadata,
    ready,
    split_frames,
    traffic_conn,
)

# ----------------------------------------------------------------------
# framing.py building blocks
# ----------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 1, 255, 256, 257, 65535, 65536, 2**32, 2**63 - 1])
@pytest.mark.parametrize("flags", [0, MORE, COMMAND])
def test_frame_header(size: int, flags: int) -> None:
    h = frame_header(flags, size)
    if size < 256:
        assert h == bytes((flags, size))
    else:
        assert h == bytes((flags | LONG,)) + struct.pack(">Q", size)


def test_flag_values() -> None:
    assert (MORE, LONG, COMMAND) == (1, 2, 4)


def test_encode_command() -> None:
    assert encode_command(b"READY") == b"\x04\x06\x05READY"
    assert encode_command(b"PING", b"\x00\x01") == b"\x04\x07\x04PING\x00\x01"
    big = encode_command(b"X", b"y" * 300)
    assert big[0] == COMMAND | LONG and struct.unpack(">Q", big[1:9])[0] == 302


@pytest.mark.parametrize(
    "body,expected",
    [
        (b"\x05READY", (b"READY", b"")),
        (b"\x04PING\x00\x0a", (b"PING", b"\x00\x0a")),
        (b"\x00", (b"", b"")),
        (b"\x01Axyz", (b"A", b"xyz")),
    ],
)
def test_split_command(body: bytes, expected: tuple[bytes, bytes]) -> None:
    assert split_command(body) == expected


@pytest.mark.parametrize("body", [b"", b"\x05READ", b"\x02A", b"\xff" + b"A" * 100])
def test_split_command_malformed(body: bytes) -> None:
    with pytest.raises(MalformedCommand) as info:
        split_command(body)
    assert info.value.code == ZMTP_MALFORMED_COMMAND_UNSPECIFIED


PROPS = [("Socket-Type", b"DEALER"), ("Identity", b""), ("X-Big", b"v" * 300), ("a.b+c_d", b"\x00")]


def test_metadata_round_trip_and_layout() -> None:
    raw = encode_metadata(PROPS)
    assert raw == metadata([(n.encode(), v) for n, v in PROPS])
    assert decode_metadata(raw) == dict(PROPS)
    assert decode_metadata(b"") == {}


def test_metadata_with_trailing_bytes_is_invalid() -> None:
    raw = encode_metadata(PROPS)
    for tail in (b"\x00", b"\x05", b"\x03abc", b"\x03abc\x00\x00\x00"):
        with pytest.raises(InvalidMetadata) as info:
            decode_metadata(raw + tail)
        assert info.value.code == ZMTP_INVALID_METADATA


def test_metadata_every_truncation_is_invalid() -> None:
    raw = encode_metadata(PROPS)
    boundaries = {0}
    for n, v in PROPS:
        boundaries.add(max(boundaries) + 1 + len(n) + 4 + len(v))
    for cut in range(len(raw)):
        if cut in boundaries:
            assert decode_metadata(raw[:cut]) is not None
            continue
        with pytest.raises(InvalidMetadata):
            decode_metadata(raw[:cut])


@pytest.mark.parametrize(
    "raw",
    [
        b"\x00\x00\x00\x00\x00",  # zero-length name
        b"\x03a b\x00\x00\x00\x00",  # space in name
        b"\x03a\xffb\x00\x00\x00\x00",  # non-ASCII name
        b"\x01a\xff\xff\xff\xff",  # value length 4 GiB past the end
        b"\x01a\x00\x00\x01\x00abc",  # value length 256, 3 bytes present
    ],
)
def test_metadata_malformed(raw: bytes) -> None:
    with pytest.raises(InvalidMetadata):
        decode_metadata(raw)


def test_metadata_bad_local_names() -> None:
    with pytest.raises(ValueError):
        encode_metadata([("", b"x")])
    with pytest.raises(ValueError):
        encode_metadata([("n" * 256, b"x")])


def test_get_property_is_case_insensitive() -> None:
    props = {"socket-type": b"PUB", "IDENTITY": b"id"}
    assert get_property(props, "Socket-Type") == b"PUB"
    assert get_property(props, "Identity") == b"id"
    assert get_property(props, "Resource") is None


# ----------------------------------------------------------------------
# Message frames in TRAFFIC
# ----------------------------------------------------------------------

FRAME_CASES = {
    "empty": [b""],
    "short": [b"hello"],
    "255": [b"x" * 255],
    "256": [b"y" * 256],
    "multipart": [b"", b"a", b"b" * 255, b"c" * 256, b""],
    "large": [b"L" * (LARGE_FRAME + 1)],
    "large-minus-one": [b"l" * (LARGE_FRAME - 1), b"tail"],
    "large-exact": [b"E" * LARGE_FRAME],
}


@pytest.mark.parametrize("case", sorted(FRAME_CASES))
@pytest.mark.parametrize("feeder", ["whole", "halves", "bytewise"])
def test_message_decoding(case: str, feeder: str) -> None:
    frames = FRAME_CASES[case]
    if feeder == "bytewise" and sum(map(len, frames)) > 2000:
        feeder = "chunks-7"
    data = message(frames)
    conn = traffic_conn()
    events = feed_chunks(conn, data, [7]) if feeder == "chunks-7" else FEEDERS[feeder](conn, data)
    assert messages(events) == [frames]


@pytest.mark.parametrize("case", sorted(FRAME_CASES))
def test_message_decoding_with_trailing_bytes(case: str) -> None:
    frames = FRAME_CASES[case]
    conn = traffic_conn()
    nxt = message([b"next", b"z" * 300])
    for cut in (1, 2, 5, 9, 11, len(nxt) - 1):
        events = conn.receive_data(message(frames) + nxt[:cut])
        assert messages(events) == [frames]
        assert messages(conn.receive_data(nxt[cut:])) == [[b"next", b"z" * 300]]


@pytest.mark.parametrize("case", sorted(FRAME_CASES))
def test_message_encoding(case: str) -> None:
    frames = FRAME_CASES[case]
    conn = traffic_conn()
    conn.send_message(frames)
    assert conn.data_to_send() == message(frames)
    conn.send_messages([frames, [b"x"], frames])
    assert conn.data_to_send() == message(frames) + message([b"x"]) + message(frames)


def test_long_form_accepted_for_small_frames() -> None:
    """libzmq accepts the LONG form for any size (spec/interop.md #10)."""
    conn = traffic_conn()
    data = (
        frame(MORE, b"", long=True)
        + frame(MORE, b"ab", long=True)
        + frame(0, b"c" * 255, long=True)
    )
    assert messages(feed_bytewise(conn, data)) == [[b"", b"ab", b"c" * 255]]


def test_reserved_flag_bits_ignored() -> None:
    """Bits 7-3 are reserved; libzmq ignores them on input."""
    conn = traffic_conn()
    data = bytes((0xF8 | MORE, 1)) + b"a" + bytes((0x80, 1)) + b"b"
    assert messages(conn.receive_data(data)) == [[b"a", b"b"]]


def test_many_messages_one_read() -> None:
    conn = traffic_conn()
    msgs = [[bytes([i % 256]) * (i % 300)] for i in range(500)]
    data = b"".join(message(m) for m in msgs)
    assert messages(conn.receive_data(data)) == msgs
    assert messages(feed_chunks(conn, data, [3, 1000, 17, 65536])) == msgs


def test_large_body_output_chunk_is_not_copied() -> None:
    conn = traffic_conn()
    body = b"B" * (LARGE_FRAME * 2)
    small = b"s" * 10
    conn.send_message([small, body, small])
    chunks = conn.take_output()
    assert any(c is body for c in chunks)
    assert b"".join(chunks) == message([small, body, small])
    assert not conn.has_output()
    assert conn.take_output() == []


def test_memoryview_and_bytearray_frames() -> None:
    conn = traffic_conn()
    conn.send_message([bytearray(b"ab"), memoryview(b"c" * 40000)])
    assert conn.data_to_send() == message([b"ab", b"c" * 40000])
    rx = traffic_conn()
    assert messages(rx.receive_data(memoryview(message([b"q"])))) == [[b"q"]]
    assert messages(rx.receive_data(bytearray(message([b"r"])))) == [[b"r"]]


# ----------------------------------------------------------------------
# MAXMSGSIZE: enforced at the header, the body is never buffered
# ----------------------------------------------------------------------


def limited(limit: int) -> Connection:
    conn = traffic_conn()
    conn.maxmsgsize = limit  # after the handshake: READY itself is bigger than 10 bytes
    return conn


@pytest.mark.parametrize("limit", [0, 1, 255, 256, 100000])
def test_maxmsgsize_checked_at_short_and_long_header(limit: int) -> None:
    ok = limited(limit)
    assert messages(ok.receive_data(message([b"m" * limit]))) == [[b"m" * limit]]
    too_big = limit + 1
    conn = limited(limit)
    header = frame(0, b"m" * too_big)[: 9 if too_big > 255 else 2]
    assert conn.receive_data(header[:-1]) == []
    with pytest.raises(MessageTooLarge):
        conn.receive_data(header[-1:])  # no body byte has been sent
    assert conn.phase is Phase.CLOSED


def test_maxmsgsize_huge_announced_size_rejected_without_buffering() -> None:
    conn = traffic_conn(maxmsgsize=1 << 20)
    with pytest.raises(MessageTooLarge):
        conn.receive_data(b"\x02" + struct.pack(">Q", 2**63 - 1))


def test_maxmsgsize_applies_per_frame_like_libzmq() -> None:
    conn = limited(10)
    assert messages(conn.receive_data(message([b"a" * 10, b"b" * 10]))) == [[b"a" * 10, b"b" * 10]]


def test_maxmsgsize_applies_to_commands() -> None:
    conn = limited(10)
    with pytest.raises(MessageTooLarge):
        conn.receive_data(command(b"SUBSCRIBE", b"long-topic"))


def test_maxmsgsize_applies_to_handshake_commands_like_libzmq() -> None:
    """libzmq's decoder checks MAXMSGSIZE on READY too: a pyzmq DEALER with
    MAXMSGSIZE=10 never completes a handshake (checked by hand with pyzmq 27)."""
    conn = Connection(socket_type="DEALER", maxmsgsize=10)
    with pytest.raises(MessageTooLarge):
        conn.receive_data(greeting() + ready(b"ROUTER", b""))


def test_no_maxmsgsize_large_announced_size_waits() -> None:
    conn = traffic_conn()
    assert conn.receive_data(b"\x02" + struct.pack(">Q", 2**40) + b"abc") == []
    assert conn.phase is Phase.TRAFFIC


# ----------------------------------------------------------------------
# Commands in TRAFFIC
# ----------------------------------------------------------------------

COMMAND_CASES = [
    (command(b"SUBSCRIBE", b"topic"), [Subscribe(b"topic")]),
    (command(b"SUBSCRIBE"), [Subscribe(b"")]),
    (command(b"CANCEL", b"t" * 300), [Cancel(b"t" * 300)]),
    (command(b"PING", b"\x00\x00"), [Ping(0, b"")]),
    (command(b"PING", b"\xff\xff" + b"c" * 16), [Ping(65535, b"c" * 16)]),
    (command(b"PONG", b"ctx"), [Pong(b"ctx")]),
    (command(b"PONG"), [Pong(b"")]),
    (command(b"READY", b"anything"), []),  # unknown in TRAFFIC: ignored
    (command(b"JOIN", b"group"), []),
    (command(b"X"), []),
    (command(b"PING", b"\x00\x05", long=True), [Ping(5, b"")]),
]


def _expected_for(local: str, expected: list[Any]) -> list[Any]:
    """Only a publisher has subscribers: elsewhere SUBSCRIBE/CANCEL give nothing."""
    if local == "XPUB":
        return expected
    return [e for e in expected if not isinstance(e, (Subscribe, Cancel))]


@pytest.mark.parametrize("local", ["XPUB", "DEALER"])
@pytest.mark.parametrize("idx", range(len(COMMAND_CASES)))
@pytest.mark.parametrize("feeder", ["whole", "bytewise", "halves"])
def test_commands_decode(idx: int, feeder: str, local: str) -> None:
    data, expected = COMMAND_CASES[idx]
    conn = traffic_conn(local, b"XSUB" if local == "XPUB" else b"ROUTER")
    assert FEEDERS[feeder](conn, data) == _expected_for(local, expected)


@pytest.mark.parametrize("local", ["XPUB", "DEALER"])
@pytest.mark.parametrize("idx", range(len(COMMAND_CASES)))
def test_commands_decode_with_trailing_bytes(idx: int, local: str) -> None:
    data, expected = COMMAND_CASES[idx]
    expected = _expected_for(local, expected)
    conn = traffic_conn(local, b"XSUB" if local == "XPUB" else b"ROUTER")
    events = conn.receive_data(data + b"\x00\x03ab")
    assert events == expected
    assert messages(conn.receive_data(b"c")) == [[b"abc"]]


def test_command_between_frames_of_a_message() -> None:
    conn = traffic_conn()
    data = frame(MORE, b"one") + command(b"PING", b"\x00\x01") + frame(0, b"two")
    events = conn.receive_data(data)
    assert events[0] == Ping(1, b"")
    assert messages(events) == [[b"one", b"two"]]


def test_ping_context_truncated_to_16() -> None:
    conn = traffic_conn()
    events = conn.receive_data(command(b"PING", b"\x00\x0a" + b"0123456789abcdefXYZ"))
    assert events == [Ping(10, b"0123456789abcdef")]
    assert conn.data_to_send() == command(b"PONG", b"0123456789abcdef")


def test_ping_without_ttl_is_malformed() -> None:
    conn = traffic_conn()
    with pytest.raises(MalformedCommand):
        conn.receive_data(command(b"PING", b"\x00"))


def test_send_ping_limits() -> None:
    conn = traffic_conn()
    conn.send_ping(1, b"x" * 40)
    assert conn.data_to_send() == command(b"PING", b"\x00\x01" + b"x" * 16)
    with pytest.raises(ValueError):
        conn.send_ping(65536)
    with pytest.raises(ValueError):
        conn.send_ping(-1)


def test_command_with_more_flag_is_invalid_sequence() -> None:
    conn = traffic_conn()
    with pytest.raises(MalformedCommand) as info:
        conn.receive_data(bytes((COMMAND | MORE, 6)) + b"\x04PING\x00")
    assert info.value.code == ZMTP_INVALID_SEQUENCE


@pytest.mark.parametrize("body", [b"", b"\x09SUB", b"\xffPING"])
def test_malformed_command_body(body: bytes) -> None:
    conn = traffic_conn()
    with pytest.raises(MalformedCommand) as info:
        conn.receive_data(frame(COMMAND, body))
    assert info.value.code == ZMTP_MALFORMED_COMMAND_UNSPECIFIED


@pytest.mark.parametrize("feeder", ["whole", "bytewise"])
def test_error_command_in_traffic(feeder: str) -> None:
    conn = traffic_conn()
    events = FEEDERS[feeder](conn, command(b"ERROR", b"\x04oops") + message([b"ignored"]))
    assert events == [PeerError("oops")]
    assert conn.phase is Phase.CLOSED
    assert conn.receive_data(b"more") == []


@pytest.mark.parametrize("data", [b"", b"\x05oops", b"\x02oops", b"\x00x"])
def test_malformed_error_command(data: bytes) -> None:
    conn = traffic_conn()
    with pytest.raises(MalformedCommand) as info:
        conn.receive_data(command(b"ERROR", data))
    assert info.value.code == ZMTP_MALFORMED_COMMAND_ERROR


def test_send_command_encoding() -> None:
    conn = traffic_conn()
    conn.send_error("bye")
    conn.send_command(b"PONG", b"c")
    out = conn.data_to_send()
    assert split_frames(out) == [(COMMAND, b"\x05ERROR\x03bye"), (COMMAND, b"\x04PONGc")]
    conn.send_error("r" * 300)
    assert conn.data_to_send() == command(b"ERROR", b"\xff" + b"r" * 255)


def test_send_event_dispatch() -> None:
    from purezmq.zmtp import Message

    conn = traffic_conn("SUB", b"PUB")
    conn.send(Message([b"m"]))
    conn.send(Subscribe(b"s"))
    conn.send(Cancel(b"s"))
    conn.send(Ping(3, b"p"))
    conn.send(Pong(b"p"))
    assert conn.data_to_send() == (
        message([b"m"])
        + command(b"SUBSCRIBE", b"s")
        + command(b"CANCEL", b"s")
        + command(b"PING", b"\x00\x03p")
        + command(b"PONG", b"p")
    )
    with pytest.raises(TypeError):
        conn.send(PeerError("x"))  # type: ignore[arg-type]


def test_send_before_handshake_refused() -> None:
    conn = Connection()
    with pytest.raises(ProtocolError):
        conn.send_message([b"x"])
