"""Byte-exact vectors: RFC 23/37/24 examples and bytes captured from libzmq 4.3.5.

spec/vectors/rfc.json is transcribed from the RFC text; spec/vectors/libzmq.json
was captured from real pyzmq sockets by spec/vectors/capture.py. Each vector is
checked both ways: what we encode must equal it, and what we decode from it
(fed whole, one byte at a time, and with trailing bytes) must be right.
"""

from __future__ import annotations

import pytest

from purezmq.zmtp import (
    Cancel,
    Connection,
    Phase,
    Ping,
    PlainClient,
    PlainServer,
    Pong,
    ProtocolError,
    Ready,
    Subscribe,
)
from purezmq.zmtp.errors import ZMTP_MECHANISM_MISMATCH, AuthenticationFailed
from purezmq.zmtp.events import AuthRequest, PeerError
from purezmq.zmtp.greeting import GreetingParser, build_greeting
from tests.testing import (
    FEEDERS,
    feed_bytewise,
    greeting,
    libzmq,
    libzmq_entry,
    messages,
    null_peer,
    ready,
    rfc,
    traffic_conn,
    vector_file,
)

SOCKET_TYPES = [
    "DEALER",
    "ROUTER",
    "REQ",
    "REP",
    "PUB",
    "SUB",
    "XPUB",
    "XSUB",
    "PUSH",
    "PULL",
    "PAIR",
]
# fmt: off
PEER_OF = {
    "REQ": "ROUTER", "REP": "DEALER", "DEALER": "ROUTER", "ROUTER": "DEALER",
    "PUB": "SUB", "SUB": "PUB", "XPUB": "SUB", "XSUB": "PUB",
    "PUSH": "PULL", "PULL": "PUSH", "PAIR": "PAIR",
}
# fmt: on


def test_vector_files_have_provenance() -> None:
    lz = vector_file("libzmq.json")
    assert lz["provenance"]["libzmq"].startswith("4.")
    assert lz["provenance"]["tool"] == "spec/vectors/capture.py"
    assert "zeromq/rfc" in vector_file("rfc.json")["provenance"]["how"]
    for v in vector_file("rfc.json")["vectors"].values():
        assert v["source"].startswith("RFC")


# ----------------------------------------------------------------------
# Greeting
# ----------------------------------------------------------------------


def test_rfc23_worked_example_greeting_is_ours_but_for_minor_and_padding() -> None:
    ours = build_greeting(b"NULL", False)
    theirs = rfc("rfc23_greeting_partial") + rfc("rfc23_greeting_rest")
    assert len(theirs) == 64
    # We announce 3.1 and put libzmq's identity_size+1 (= 1) in the padding.
    assert ours[:8] == theirs[:8] and ours[9:11] == theirs[9:11] and ours[12:] == theirs[12:]
    assert ours[8] == 1 and ours[11] == 1


def test_our_greeting_equals_libzmq_greeting() -> None:
    assert build_greeting(b"NULL", False) == libzmq("greeting_null")
    assert Connection().data_to_send() == libzmq("greeting_null")
    assert Connection(PlainClient(b"u", b"p")).data_to_send() == libzmq("greeting_plain_client")


def test_plain_server_greeting_differs_from_libzmq_only_in_as_server() -> None:
    ours = Connection(PlainServer()).data_to_send()
    theirs = libzmq("greeting_plain_server")
    assert ours[32] == 1 and theirs[32] == 0  # libzmq never sets as-server
    assert ours[:32] == theirs[:32] and ours[33:] == theirs[33:]
    expected = rfc("rfc24_greeting_server")
    assert ours[:8] + ours[9:] == expected[:8] + expected[9:]  # byte 8: libzmq-style padding


@pytest.mark.parametrize(
    "name", ["greeting_null", "greeting_null_identity6", "rfc37_greeting", "rfc23_greeting"]
)
@pytest.mark.parametrize("feeder", ["whole", "bytewise", "trailing"])
def test_greeting_vectors_parse(name: str, feeder: str) -> None:
    if name == "rfc23_greeting":
        data = rfc("rfc23_greeting_partial") + rfc("rfc23_greeting_rest")
    elif name.startswith("rfc"):
        data = rfc(name)
    else:
        data = libzmq(name)
    p = GreetingParser(b"NULL")
    if feeder == "whole":
        assert p.feed(data) == b""
    elif feeder == "trailing":
        assert p.feed(data + b"\x04\x00tail") == b"\x04\x00tail"
    else:
        results = [p.feed(data[i : i + 1]) for i in range(64)]
        assert results[:63] == [None] * 63 and results[63] == b""
    assert p.version[0] == 3


def test_libzmq_incremental_greeting_pieces() -> None:
    """libzmq sends 10 bytes, then 1, then 53 (spec/interop.md #1)."""
    e = libzmq_entry("greeting_incremental")
    pieces = [
        bytes.fromhex(e[k]) for k in ("first_hex", "after_our_signature_hex", "after_our_major_hex")
    ]
    assert [len(p) for p in pieces] == [10, 1, 53]
    conn = Connection(socket_type="DEALER")
    assert conn.data_to_send() == libzmq("greeting_null")  # all 64 of ours at once
    for p in pieces:
        assert conn.receive_data(p) == []
    assert conn.phase is Phase.HANDSHAKE
    assert conn.peer_version == (3, 1)


def test_libzmq_padding_with_identity_is_accepted() -> None:
    data = libzmq("greeting_null_identity6")
    assert data[1:9] == (7).to_bytes(8, "big")
    conn = Connection(socket_type="ROUTER")
    conn.receive_data(data + libzmq("ready_DEALER_identity"))
    assert conn.phase is Phase.TRAFFIC
    assert conn.peer_identity == b"peer-1"


def test_libzmq_mechanism_mismatch_is_refused() -> None:
    conn = Connection(PlainClient(b"u", b"p"))
    with pytest.raises(ProtocolError) as info:
        conn.receive_data(libzmq("greeting_null"))
    assert info.value.code == ZMTP_MECHANISM_MISMATCH
    # libzmq, for its part, closes without an ERROR command.
    assert libzmq_entry("mechanism_mismatch")["eof"] is True


# ----------------------------------------------------------------------
# READY and metadata
# ----------------------------------------------------------------------


def _ready_sent_by(socket_type: str, **kwargs: object) -> bytes:
    conn = Connection(socket_type=socket_type, **kwargs)  # type: ignore[arg-type]
    conn.data_to_send()
    conn.receive_data(greeting())
    return conn.data_to_send()


@pytest.mark.parametrize("socket_type", SOCKET_TYPES)
def test_our_ready_equals_libzmq_ready(socket_type: str) -> None:
    assert _ready_sent_by(socket_type) == libzmq(f"ready_{socket_type}")


def test_our_ready_with_identity_equals_libzmq() -> None:
    assert _ready_sent_by("DEALER", identity=b"peer-1") == libzmq("ready_DEALER_identity")


def test_rfc23_worked_example_client_ready_is_ours() -> None:
    assert _ready_sent_by("DEALER") == rfc("rfc23_ready_dealer")


@pytest.mark.parametrize("socket_type", SOCKET_TYPES)
@pytest.mark.parametrize("feeder", ["whole", "bytewise", "halves"])
def test_libzmq_ready_decodes(socket_type: str, feeder: str) -> None:
    ours = PEER_OF[socket_type]
    conn = Connection(socket_type=ours)
    events = FEEDERS[feeder](conn, greeting() + libzmq(f"ready_{socket_type}"))
    assert events == [Ready(socket_type, b"", events[0].properties, (3, 1))]
    assert conn.peer_socket_type == socket_type
    has_identity = socket_type in ("REQ", "DEALER", "ROUTER")
    assert ("Identity" in conn.peer_properties) == has_identity


@pytest.mark.parametrize(
    "name,peer", [("rfc23_ready_dealer", "DEALER"), ("rfc23_ready_router", "ROUTER")]
)
@pytest.mark.parametrize("feeder", ["whole", "bytewise", "halves"])
def test_rfc23_worked_example_ready_decodes(name: str, peer: str, feeder: str) -> None:
    conn = Connection(socket_type="ROUTER" if peer == "DEALER" else "DEALER")
    events = FEEDERS[feeder](
        conn, rfc("rfc23_greeting_partial") + rfc("rfc23_greeting_rest") + rfc(name)
    )
    assert len(events) == 1 and isinstance(events[0], Ready)
    assert events[0].socket_type == peer and events[0].version == (3, 0)


def test_ready_with_trailing_message_in_same_read() -> None:
    conn = Connection(socket_type="ROUTER")
    events = conn.receive_data(greeting() + libzmq("ready_DEALER") + libzmq("message_multipart"))
    assert isinstance(events[0], Ready)
    assert messages(events[1:]) == [
        [bytes.fromhex(p) for p in libzmq_entry("message_multipart")["message"]]
    ]


# ----------------------------------------------------------------------
# Frames
# ----------------------------------------------------------------------

MULTIPART = [bytes.fromhex(p) for p in libzmq_entry("message_multipart")["message"]]


def test_our_multipart_encoding_equals_libzmq() -> None:
    conn = traffic_conn()
    conn.send_message(MULTIPART)
    assert conn.data_to_send() == libzmq("message_multipart")
    conn.send_messages([MULTIPART, MULTIPART])
    assert conn.data_to_send() == libzmq("message_multipart") * 2
    frames = [bytes.fromhex(f) for f in libzmq_entry("message_multipart")["frames"]]
    assert b"".join(frames) == libzmq("message_multipart")
    assert frames[2][0] == 0x03  # 256 bytes: LONG | MORE


@pytest.mark.parametrize("feeder", ["whole", "bytewise", "halves"])
def test_libzmq_multipart_decodes(feeder: str) -> None:
    conn = traffic_conn("ROUTER", b"DEALER")
    assert messages(FEEDERS[feeder](conn, libzmq("message_multipart"))) == [MULTIPART]


def test_libzmq_multipart_with_trailing_partial_frame() -> None:
    conn = traffic_conn("ROUTER", b"DEALER")
    events = conn.receive_data(libzmq("message_multipart") + b"\x00\x05ab")
    assert messages(events) == [MULTIPART]
    assert messages(conn.receive_data(b"cde")) == [[b"abcde"]]


def test_long_frame_header_equals_libzmq() -> None:
    e = libzmq_entry("frame_long_header_70000")
    body = bytes.fromhex(e["body_byte"]) * e["body_len"]
    conn = traffic_conn()
    conn.send_message([body])
    chunks = conn.take_output()
    assert bytes(chunks[0]) == libzmq("frame_long_header_70000")
    assert chunks[1] is body  # large bodies are not copied
    rx = traffic_conn("ROUTER", b"DEALER")
    events = rx.receive_data(libzmq("frame_long_header_70000") + body[:1000])
    assert events == []
    assert messages(rx.receive_data(body[1000:])) == [[body]]


@pytest.mark.parametrize(
    "name,expected",
    [
        ("rfc23_message_last_short", [[b"abc"]]),
        ("rfc23_message_more_short", [[b"", b"hi"]]),
        ("rfc23_message_last_long", [[b"L" * 256]]),
        ("rfc23_message_more_long", [[b"M" * 300, b""]]),
    ],
)
@pytest.mark.parametrize("feeder", ["whole", "bytewise", "halves"])
def test_rfc23_frames_decode(name: str, expected: list[list[bytes]], feeder: str) -> None:
    conn = traffic_conn()
    assert messages(FEEDERS[feeder](conn, rfc(name))) == expected


@pytest.mark.parametrize(
    "name,frames",
    [
        ("rfc23_message_last_short", [b"abc"]),
        ("rfc23_message_more_short", [b"", b"hi"]),
        ("rfc23_message_last_long", [b"L" * 256]),
        ("rfc23_message_more_long", [b"M" * 300, b""]),
    ],
)
def test_rfc23_frames_encode(name: str, frames: list[bytes]) -> None:
    conn = traffic_conn()
    conn.send_message(frames)
    assert conn.data_to_send() == rfc(name)


# ----------------------------------------------------------------------
# Subscriptions
# ----------------------------------------------------------------------


def test_subscribe_commands_equal_libzmq_and_rfc37() -> None:
    conn = traffic_conn("SUB", b"PUB", minor=1)
    conn.send_subscribe(b"topic")
    assert conn.data_to_send() == libzmq("subscribe_command") == rfc("rfc37_subscribe_command")
    conn.send_cancel(b"topic")
    assert conn.data_to_send() == libzmq("cancel_command") == rfc("rfc37_cancel_command")


def test_subscribe_messages_to_30_peer_equal_libzmq_and_rfc23() -> None:
    conn = traffic_conn("SUB", b"PUB", minor=0)
    conn.send_subscribe(b"topic")
    assert conn.data_to_send() == libzmq("subscribe_message_3_0") == rfc("rfc23_subscribe_message")
    conn.send_cancel(b"topic")
    assert conn.data_to_send() == libzmq("cancel_message_3_0") == rfc("rfc23_cancel_message")


@pytest.mark.parametrize(
    "names",
    [("subscribe_command", "cancel_command"), ("subscribe_message_3_0", "cancel_message_3_0")],
)
@pytest.mark.parametrize("feeder", ["whole", "bytewise"])
@pytest.mark.parametrize("socket_type", ["PUB", "XPUB"])
def test_libzmq_subscriptions_decode_both_forms(
    names: tuple[str, str], feeder: str, socket_type: str
) -> None:
    conn = traffic_conn(socket_type, b"SUB")
    data = libzmq(names[0]) + libzmq(names[1])
    assert FEEDERS[feeder](conn, data) == [Subscribe(b"topic"), Cancel(b"topic")]


def test_libzmq_pub_accepts_both_forms_fact() -> None:
    assert libzmq_entry("pub_accepts_both_forms")["received"] == ["a1", "b1"]


def test_subscription_message_to_non_pub_is_a_message() -> None:
    conn = traffic_conn("DEALER", b"ROUTER")
    assert messages(conn.receive_data(libzmq("subscribe_message_3_0"))) == [[b"\x01topic"]]


# ----------------------------------------------------------------------
# Heartbeats
# ----------------------------------------------------------------------


@pytest.mark.parametrize("feeder", ["whole", "bytewise", "halves"])
def test_libzmq_ping_decodes_and_pong_equals_libzmq(feeder: str) -> None:
    conn = traffic_conn()
    assert FEEDERS[feeder](conn, libzmq("ping_ttl20")) == [Ping(20, b"")]
    assert conn.data_to_send() == libzmq("pong_empty")


def test_our_ping_equals_libzmq_ping() -> None:
    conn = traffic_conn()
    conn.send_ping(20)
    assert conn.data_to_send() == libzmq("ping_ttl20")


def test_pong_echoes_context_like_libzmq() -> None:
    ctx = bytes.fromhex(libzmq_entry("pong_context16")["context"])
    conn = traffic_conn()
    conn.receive_data(b"\x04\x17\x04PING\x00\x00" + ctx)
    assert conn.data_to_send() == libzmq("pong_context16")


def test_rfc37_ping_pong() -> None:
    conn = traffic_conn()
    assert feed_bytewise(conn, rfc("rfc37_ping")) == [Ping(100, b"hb-1")]
    assert conn.data_to_send() == rfc("rfc37_pong")
    assert conn.receive_data(rfc("rfc37_pong")) == [Pong(b"hb-1")]
    conn.send_ping(100, b"hb-1")
    assert conn.data_to_send() == rfc("rfc37_ping")


def test_unknown_command_then_message_like_libzmq() -> None:
    assert libzmq_entry("message_after_unknown")["delivered"] is True
    conn = traffic_conn()
    data = b"\x04\x0a\x06FOOBARxyz" + libzmq("message_after_unknown")
    assert messages(conn.receive_data(data)) == [[b"ok"]]


def test_rfc23_error_in_traffic() -> None:
    conn = traffic_conn()
    events = conn.receive_data(rfc("rfc23_error") + b"\x00\x01x")
    assert events == [PeerError("bad identity")]
    assert conn.phase is Phase.CLOSED


# ----------------------------------------------------------------------
# PLAIN
# ----------------------------------------------------------------------


def test_plain_client_bytes_equal_libzmq_and_rfc24() -> None:
    conn = Connection(PlainClient(b"admin", b"secret"), socket_type="DEALER")
    conn.data_to_send()
    assert conn.receive_data(libzmq("greeting_plain_server")) == []
    hello = conn.data_to_send()
    assert hello == libzmq("plain_hello") == rfc("rfc24_hello")
    assert conn.receive_data(libzmq("plain_welcome")) == []
    assert conn.data_to_send() == libzmq("plain_initiate_DEALER")
    events = conn.receive_data(libzmq("plain_ready_ROUTER"))
    assert [type(e) for e in events] == [Ready] and events[0].socket_type == "ROUTER"
    conn.send_message([b"hi"])
    assert conn.data_to_send() == libzmq("plain_first_message")


@pytest.mark.parametrize("feeder", ["whole", "bytewise"])
def test_plain_server_bytes_equal_libzmq(feeder: str) -> None:
    conn = Connection(PlainServer(), socket_type="ROUTER")
    conn.data_to_send()
    events = FEEDERS[feeder](conn, libzmq("greeting_plain_client") + libzmq("plain_hello"))
    assert events == [AuthRequest("PLAIN", (b"admin", b"secret"))]
    assert conn.data_to_send() == b""  # nothing until the verdict
    conn.auth_reply(True)
    assert conn.data_to_send() == libzmq("plain_welcome") == rfc("rfc24_welcome")
    events = FEEDERS[feeder](conn, libzmq("plain_initiate_DEALER"))
    assert [type(e) for e in events] == [Ready] and events[0].socket_type == "DEALER"
    assert conn.data_to_send() == libzmq("plain_ready_ROUTER")


def test_rfc24_initiate_and_ready_decode() -> None:
    server = Connection(PlainServer(), socket_type="ROUTER")
    server.receive_data(greeting(b"PLAIN") + rfc("rfc24_hello"))
    server.auth_reply(True)
    assert isinstance(server.receive_data(rfc("rfc24_initiate"))[0], Ready)
    client = Connection(PlainClient(b"admin", b"secret"), socket_type="DEALER")
    client.receive_data(greeting(b"PLAIN", as_server=True) + rfc("rfc24_welcome"))
    assert isinstance(client.receive_data(rfc("rfc24_ready"))[0], Ready)


@pytest.mark.parametrize("feeder", ["whole", "bytewise"])
def test_libzmq_plain_error_is_an_auth_failure(feeder: str) -> None:
    """libzmq 4.3's PLAIN ERROR body is b'\\x5eRROR\\x03400' (a C hex-escape slip).

    Before the fix, the codec took 0x5e as a name length running past the
    frame and raised a MALFORMED_COMMAND error, losing the status code and
    the 'do not retry with these credentials' meaning of ERROR."""
    body = libzmq("plain_error_400")[2:]
    assert body == b"\x5eRROR\x03400"
    conn = Connection(PlainClient(b"admin", b"wrong"), socket_type="DEALER")
    with pytest.raises(AuthenticationFailed) as info:
        FEEDERS[feeder](conn, libzmq("greeting_plain_server") + libzmq("plain_error_400"))
    assert info.value.auth is True
    assert "400" in str(info.value)
    assert conn.phase is Phase.CLOSED


def test_our_plain_error_follows_rfc() -> None:
    conn = Connection(PlainServer(), socket_type="ROUTER")
    conn.receive_data(greeting(b"PLAIN") + rfc("rfc24_hello"))
    conn.data_to_send()
    conn.auth_reply(False, b"400")
    assert conn.data_to_send() == b"\x04\x0a\x05ERROR\x03400"


# ----------------------------------------------------------------------
# Refusals
# ----------------------------------------------------------------------


def test_socket_type_mismatch_against_libzmq_ready() -> None:
    conn = Connection(socket_type="PUSH")
    conn.data_to_send()
    with pytest.raises(ProtocolError):
        conn.receive_data(greeting() + libzmq("ready_PUSH"))
    # libzmq just closes; we follow RFC 23 and queue an ERROR first.
    assert libzmq_entry("socket_type_mismatch")["eof"] is True
    out = conn.data_to_send()
    assert b"\x05ERROR" in out


def test_null_peer_helper_matches_libzmq() -> None:
    assert null_peer(b"PUB") == greeting() + libzmq("ready_PUB")
    assert ready(b"DEALER", b"") == libzmq("ready_DEALER")
