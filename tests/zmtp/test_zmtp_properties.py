"""Hypothesis properties of the codec.

1. Round trip: whatever multipart messages one Connection encodes, another
   decodes unchanged, however the byte stream is chunked.
2. Robustness (h11's fuzz invariant): arbitrary bytes fed in any phase only
   ever produce events or a ProtocolError; never IndexError, struct.error,
   UnicodeDecodeError, ValueError, or a hang (bounded by the deadline).
"""

from __future__ import annotations

import struct
from datetime import timedelta
from typing import Any, Callable

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from purezmq.zmtp import (
    LARGE_FRAME,
    AuthRequest,
    Cancel,
    Closed,
    Connection,
    Message,
    Phase,
    Ping,
    PlainClient,
    PlainServer,
    Pong,
    ProtocolError,
    Ready,
    Subscribe,
)
from purezmq.zmtp.errors import MessageTooLarge
from purezmq.zmtp.events import PeerError
from purezmq.zmtp.framing import decode_metadata, encode_metadata
from purezmq.zmtp.greeting import GreetingParser
from tests.testing import (
    command,
    feed_chunks,
    frame,
    greeting,
    message,
    messages,
    pair,
    pump,
    ready,
    traffic_conn,
)

EVENT_TYPES = (Message, Ready, Subscribe, Cancel, Ping, Pong, PeerError, AuthRequest, Closed)
FUZZ = settings(
    max_examples=150,
    deadline=timedelta(seconds=2),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
ROUND_TRIP = settings(
    max_examples=60,
    deadline=timedelta(seconds=5),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

BOUNDARY_SIZES = [0, 1, 254, 255, 256, 257, LARGE_FRAME - 1, LARGE_FRAME, LARGE_FRAME + 1, 70000]


@st.composite
def frames_st(draw: Callable[..., Any]) -> bytes:
    if draw(st.integers(0, 3)) == 0:
        size = draw(st.sampled_from(BOUNDARY_SIZES))
        fill = draw(st.integers(0, 255))
        # distinguishable first bytes, so an off-by-one shows
        head = draw(st.binary(min_size=min(size, 3), max_size=min(size, 3)))
        return head + bytes((fill,)) * (size - len(head))
    return draw(st.binary(max_size=300))


messages_st = st.lists(st.lists(frames_st(), min_size=1, max_size=5), min_size=1, max_size=6)
chunks_st = st.lists(st.integers(1, 100_000), min_size=1, max_size=10)


def chunked(conn: Connection, data: bytes, sizes: list[int]) -> list[Any]:
    # Keep the number of calls bounded (<= ~300) so big frames stay fast.
    floor = max(1, len(data) // 300)
    return feed_chunks(conn, data, [max(s, floor) for s in sizes])


# ----------------------------------------------------------------------
# Round trips
# ----------------------------------------------------------------------


@ROUND_TRIP
@given(msgs=messages_st, sizes=chunks_st, batch=st.booleans())
def test_round_trip_under_any_chunking(
    msgs: list[list[bytes]], sizes: list[int], batch: bool
) -> None:
    tx = traffic_conn("DEALER", b"ROUTER")
    rx = traffic_conn("ROUTER", b"DEALER")
    if batch:
        tx.send_messages(msgs)
    else:
        for m in msgs:
            tx.send_message(m)
    wire = b"".join(bytes(c) for c in tx.take_output())
    assert wire == b"".join(message(m) for m in msgs)  # the reference encoder agrees
    events = chunked(rx, wire, sizes)
    assert messages(events) == msgs
    assert all(type(e) is Message for e in events)


@settings(max_examples=100, deadline=timedelta(seconds=2))
@given(
    msgs=st.lists(st.lists(st.binary(max_size=40), min_size=1, max_size=4), min_size=1, max_size=5)
)
def test_round_trip_byte_by_byte(msgs: list[list[bytes]]) -> None:
    tx = traffic_conn()
    rx = traffic_conn()
    tx.send_messages(msgs)
    wire = tx.data_to_send()
    assert messages(feed_chunks(rx, wire, [1])) == msgs


@ROUND_TRIP
@given(msgs=messages_st, sizes=chunks_st)
def test_round_trip_with_long_form_everywhere(msgs: list[list[bytes]], sizes: list[int]) -> None:
    """The LONG form is legal for any size (libzmq accepts it)."""
    wire = b"".join(
        b"".join(frame(1 if i < len(m) - 1 else 0, f, long=True) for i, f in enumerate(m))
        for m in msgs
    )
    assert messages(chunked(traffic_conn(), wire, sizes)) == msgs


@settings(max_examples=50, deadline=timedelta(seconds=5))
@given(
    msgs=st.lists(st.lists(st.binary(max_size=300), min_size=1, max_size=3), max_size=4),
    sizes=chunks_st,
    client_type=st.sampled_from(["DEALER", "REQ", "PUSH", "PAIR"]),
)
def test_handshake_and_messages_in_one_stream(
    msgs: list[list[bytes]], sizes: list[int], client_type: str
) -> None:
    peer = {"DEALER": "ROUTER", "REQ": "REP", "PUSH": "PULL", "PAIR": "PAIR"}[client_type]
    tx = Connection(socket_type=client_type)
    wire = tx.data_to_send()  # greeting
    tx.receive_data(greeting() + ready(peer.encode()))
    tx.send_messages(msgs)
    wire += tx.data_to_send()  # READY + messages
    events = feed_chunks(Connection(socket_type=peer), wire, [s % 97 + 1 for s in sizes])
    assert type(events[0]) is Ready and events[0].socket_type == client_type
    assert messages(events[1:]) == msgs


@settings(max_examples=50, deadline=timedelta(seconds=2))
@given(topics=st.lists(st.binary(max_size=300), max_size=5), minor=st.sampled_from([0, 1]))
def test_subscriptions_round_trip(topics: list[bytes], minor: int) -> None:
    sub = traffic_conn("SUB", b"PUB", minor=minor)
    pub = traffic_conn("PUB", b"SUB")
    for t in topics:
        sub.send_subscribe(t)
        sub.send_cancel(t)
    expected = [e for t in topics for e in (Subscribe(t), Cancel(t))]
    assert pub.receive_data(sub.data_to_send() or b"\x04\x01\x00") == expected


@settings(max_examples=50, deadline=timedelta(seconds=2))
@given(ttl=st.integers(0, 0xFFFF), context=st.binary(max_size=40))
def test_ping_pong_echoes_up_to_16_bytes(ttl: int, context: bytes) -> None:
    conn = traffic_conn()
    events = conn.receive_data(command(b"PING", struct.pack(">H", ttl) + context))
    assert events == [Ping(ttl, context[:16])]
    assert conn.data_to_send() == command(b"PONG", context[:16])


NAME_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.+"


@settings(max_examples=100, deadline=timedelta(seconds=2))
@given(
    props=st.dictionaries(
        st.text(NAME_CHARS, min_size=1, max_size=255), st.binary(max_size=300), max_size=6
    )
)
def test_metadata_round_trip(props: dict[str, bytes]) -> None:
    assert decode_metadata(encode_metadata(props.items())) == props


@settings(max_examples=100, deadline=timedelta(seconds=2))
@given(
    padding=st.binary(min_size=8, max_size=8),
    minor=st.integers(0, 255),
    tail=st.binary(max_size=50),
    sizes=st.lists(st.integers(1, 70), min_size=1, max_size=5),
)
def test_greeting_parser_any_chunking(
    padding: bytes, minor: int, tail: bytes, sizes: list[int]
) -> None:
    data = greeting(padding=padding, minor=minor) + tail
    p = GreetingParser(b"NULL")
    rest = None
    pos = i = 0
    while rest is None:
        n = sizes[i % len(sizes)]
        rest = p.feed(data[pos : pos + n])
        pos += n
        i += 1
    assert rest + data[pos:] == tail
    assert p.version == (3, minor)


# ----------------------------------------------------------------------
# MAXMSGSIZE at the header
# ----------------------------------------------------------------------


@settings(max_examples=200, deadline=timedelta(seconds=2))
@given(
    limit=st.integers(0, 1 << 40),
    size=st.one_of(st.integers(0, 600), st.integers(0, 2**64 - 1)),
    long=st.booleans(),
    flags=st.sampled_from([0, 1]),
)
def test_maxmsgsize_decided_by_the_header_alone(
    limit: int, size: int, long: bool, flags: int
) -> None:
    assume(long or size < 256)
    conn = traffic_conn()
    conn.maxmsgsize = limit
    header = bytes((flags | 2,)) + struct.pack(">Q", size) if long else bytes((flags, size))
    if size > limit:
        try:
            conn.receive_data(header)
        except MessageTooLarge:
            assert conn.phase is Phase.CLOSED
        else:
            raise AssertionError("frame over MAXMSGSIZE accepted")
    else:
        events = conn.receive_data(header)
        assert events == ([Message([b""])] if size == 0 and flags == 0 else [])


# ----------------------------------------------------------------------
# Robustness: arbitrary input, every phase
# ----------------------------------------------------------------------


def _check_feed(conn: Connection, data: bytes, sizes: list[int], answer: Any = None) -> None:
    pos = i = 0
    try:
        while pos < len(data):
            n = sizes[i % len(sizes)]
            for e in conn.receive_data(data[pos : pos + n]):
                assert isinstance(e, EVENT_TYPES), e
                if isinstance(e, AuthRequest) and answer is not None:
                    conn.auth_reply(answer.draw(st.booleans()) if hasattr(answer, "draw") else True)
            pos += n
            i += 1
        conn.take_output()
        conn.receive_data(b"")
    except ProtocolError as exc:
        assert isinstance(exc.code, int)
        assert conn.phase is Phase.CLOSED


def make_conn(kind: str) -> Connection:
    if kind == "null":
        return Connection(socket_type="DEALER")
    if kind == "xpub":
        return Connection(socket_type="XPUB")
    if kind == "plain-client":
        return Connection(PlainClient(b"u", b"p"), socket_type="DEALER")
    return Connection(PlainServer(), socket_type="ROUTER")


PREFIXES = {
    "null": lambda: greeting(),
    "xpub": lambda: greeting(),
    "plain-client": lambda: greeting(b"PLAIN", True),
    "plain-server": lambda: greeting(b"PLAIN"),
}
KINDS = sorted(PREFIXES)
sizes_st = st.lists(st.integers(1, 64), min_size=1, max_size=6)


@FUZZ
@given(kind=st.sampled_from(KINDS), data=st.binary(max_size=400), sizes=sizes_st)
def test_fuzz_greeting_phase(kind: str, data: bytes, sizes: list[int]) -> None:
    _check_feed(make_conn(kind), data, sizes)


@FUZZ
@given(kind=st.sampled_from(KINDS), data=st.binary(max_size=400), sizes=sizes_st, d=st.data())
def test_fuzz_handshake_phase(kind: str, data: bytes, sizes: list[int], d: st.DataObject) -> None:
    _check_feed(make_conn(kind), PREFIXES[kind]() + data, sizes, d)


@FUZZ
@given(
    kind=st.sampled_from(["DEALER", "XPUB", "SUB"]), data=st.binary(max_size=600), sizes=sizes_st
)
def test_fuzz_traffic_phase(kind: str, data: bytes, sizes: list[int]) -> None:
    peer = {"DEALER": b"ROUTER", "XPUB": b"SUB", "SUB": b"PUB"}[kind]
    _check_feed(traffic_conn(kind, peer), data, sizes)


COMMAND_NAMES = [
    b"READY",
    b"ERROR",
    b"HELLO",
    b"WELCOME",
    b"INITIATE",
    b"PING",
    b"PONG",
    b"SUBSCRIBE",
    b"CANCEL",
    b"JOIN",
    b"\x5eRROR",
]


@st.composite
def plausible_frame(draw: Callable[..., Any]) -> bytes:
    """Frames that get past the framing layer, to reach command and metadata parsers."""
    kind = draw(st.integers(0, 4))
    if kind == 0:
        return draw(st.binary(max_size=20))
    if kind == 1:
        flags = draw(st.integers(0, 255))
        return frame(flags & ~2, draw(st.binary(max_size=100)), long=draw(st.booleans()))
    name = draw(st.sampled_from(COMMAND_NAMES))
    if kind == 2:
        body = draw(st.binary(max_size=60))
    elif kind == 3:
        props = draw(
            st.lists(
                st.tuples(
                    st.sampled_from([b"Socket-Type", b"Identity", b"X", b""]),
                    st.sampled_from([b"DEALER", b"ROUTER", b"PUB", b"SUB", b"", b"x" * 300]),
                )
            )
        )
        body = b"".join(bytes((len(n),)) + n + struct.pack(">I", len(v)) + v for n, v in props)
        cut = draw(st.integers(0, len(body) + 2))
        body = body[:cut]
    else:
        body = bytes((draw(st.integers(0, 255)),)) + draw(st.binary(max_size=10))
    if name == b"\x5eRROR":
        return frame(4, name + body)
    return command(name, body)


@FUZZ
@given(
    kind=st.sampled_from(KINDS),
    frames=st.lists(plausible_frame(), max_size=8),
    sizes=sizes_st,
    d=st.data(),
)
def test_fuzz_structured_frames(
    kind: str, frames: list[bytes], sizes: list[int], d: st.DataObject
) -> None:
    _check_feed(make_conn(kind), PREFIXES[kind]() + b"".join(frames), sizes, d)


@FUZZ
@given(
    frames=st.lists(plausible_frame(), max_size=8),
    sizes=sizes_st,
    st_=st.sampled_from(["DEALER", "XPUB"]),
)
def test_fuzz_structured_frames_in_traffic(frames: list[bytes], sizes: list[int], st_: str) -> None:
    _check_feed(
        traffic_conn(st_, b"ROUTER" if st_ == "DEALER" else b"SUB"), b"".join(frames), sizes
    )


@FUZZ
@given(data=st.binary(max_size=200), sizes=sizes_st)
def test_fuzz_after_a_valid_null_handshake_between_codecs(data: bytes, sizes: list[int]) -> None:
    client, server, _, _ = pair("PAIR", "PAIR")
    client.send_message([b"ok"])
    _, se = pump(client, server)
    assert messages(se) == [[b"ok"]]
    _check_feed(server, data, sizes)


@settings(max_examples=100, deadline=timedelta(seconds=2))
@given(name=st.binary(min_size=0, max_size=20), value=st.binary(max_size=20))
def test_fuzz_ready_with_any_socket_type_value(name: bytes, value: bytes) -> None:
    conn = Connection(socket_type="ROUTER")
    try:
        events = conn.receive_data(greeting() + ready(value, name))
    except ProtocolError:
        assert conn.phase is Phase.CLOSED
    else:
        assert value in (b"REQ", b"DEALER", b"ROUTER")
        assert events[0].identity == name
