"""The 64-byte greeting (RFC 23/37 "Greeting", "Version Negotiation")."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from purezmq.zmtp import Connection, Phase, PlainClient, PlainServer, ProtocolError
from purezmq.zmtp.errors import (
    ZMTP_MECHANISM_MISMATCH,
    GreetingError,
    MechanismMismatch,
)
from purezmq.zmtp.greeting import GREETING_SIZE, GreetingParser, build_greeting, pad_mechanism
from tests.testing import FEEDERS, greeting, null_peer, ready, traffic_conn


def test_build_greeting_layout() -> None:
    g = build_greeting(b"PLAIN", True)
    assert len(g) == GREETING_SIZE == 64
    assert g[0] == 0xFF and g[9] == 0x7F
    assert g[10:12] == b"\x03\x01"
    assert g[12:32] == b"PLAIN" + bytes(15)
    assert g[32] == 1
    assert g[33:] == bytes(31)
    assert build_greeting(b"NULL", False, minor=0)[11] == 0


def test_pad_mechanism_rejects_long_names() -> None:
    assert pad_mechanism(b"CURVE") == b"CURVE" + bytes(15)
    with pytest.raises(ValueError):
        pad_mechanism(b"X" * 21)


def test_greeting_queued_at_construction() -> None:
    conn = Connection()
    assert conn.has_output()
    assert conn.data_to_send() == build_greeting(b"NULL", False)
    assert not conn.has_output()
    assert conn.phase is Phase.GREETING


# ----------------------------------------------------------------------
# Whole, one byte at a time, trailing bytes
# ----------------------------------------------------------------------


def test_parser_whole() -> None:
    p = GreetingParser(b"NULL")
    assert p.feed(greeting(minor=1)) == b""
    assert p.version == (3, 1) and p.as_server is False


def test_parser_bytewise() -> None:
    p = GreetingParser(b"PLAIN")
    data = greeting(b"PLAIN", as_server=True, minor=0)
    for i in range(63):
        assert p.feed(data[i : i + 1]) is None
    assert p.feed(data[63:]) == b""
    assert p.version == (3, 0) and p.as_server is True


@pytest.mark.parametrize("split", [0, 1, 10, 11, 12, 32, 63, 64])
def test_parser_trailing_bytes(split: int) -> None:
    p = GreetingParser(b"NULL")
    data = greeting() + b"\x04\x29rest-of-stream"
    first = p.feed(data[:split])
    if split < 64:
        assert first is None
        assert p.feed(data[split:]) == b"\x04\x29rest-of-stream"
    else:
        assert first == b""


@pytest.mark.parametrize("feeder", ["whole", "bytewise", "halves"])
def test_connection_greeting_ready_in_one_read(feeder: str) -> None:
    conn = Connection(socket_type="DEALER")
    events = FEEDERS[feeder](conn, null_peer(b"ROUTER") + b"\x00\x01x")
    assert conn.phase is Phase.TRAFFIC
    assert [type(e).__name__ for e in events] == ["Ready", "Message"]


# ----------------------------------------------------------------------
# Refusals, as early as possible
# ----------------------------------------------------------------------


@pytest.mark.parametrize("first", [0x00, 0x01, 0x7F, 0xFE])
def test_bad_signature_byte0_refused_at_first_byte(first: int) -> None:
    conn = Connection()
    with pytest.raises(GreetingError):
        conn.receive_data(bytes((first,)))
    assert conn.phase is Phase.CLOSED
    assert conn.receive_data(b"more") == []


@pytest.mark.parametrize("sig9", [0x00, 0x7E, 0xFE])
def test_zmtp10_refused_at_byte_10(sig9: int) -> None:
    """ZMTP 1.0: byte 9 bit 0 clear. Refused once 10 bytes are in, no wait for 64."""
    conn = Connection()
    data = greeting(sig9=sig9)
    assert conn.receive_data(data[:9]) == []
    with pytest.raises(GreetingError) as info:
        conn.receive_data(data[9:10])
    assert "1.0" in str(info.value)


@pytest.mark.parametrize("major", [0, 1, 2])
def test_zmtp2_refused_as_soon_as_version_byte_arrives(major: int) -> None:
    """A ZMTP 2.0 peer sends 11/12 bytes and waits: we must not wait for 64."""
    conn = Connection()
    data = greeting(major=major)
    assert conn.receive_data(data[:10]) == []
    with pytest.raises(GreetingError):
        conn.receive_data(data[10:11])
    assert conn.phase is Phase.CLOSED


def test_zmtp2_refused_when_everything_arrives_at_once() -> None:
    # A ZMTP 2.0 greeting: signature, version 1, socket type, identity frame.
    conn = Connection()
    with pytest.raises(GreetingError):
        conn.receive_data(b"\xff" + bytes(8) + b"\x7f\x01\x05\x00\x00")


@pytest.mark.parametrize(
    "padding", [bytes(8), (1).to_bytes(8, "big"), (7).to_bytes(8, "big"), b"\xff" * 8, b"garbage!"]
)
@pytest.mark.parametrize("sig9", [0x7F, 0x01, 0xFF])
def test_nonzero_padding_accepted(padding: bytes, sig9: int) -> None:
    """libzmq puts identity_size + 1 in the padding; only byte 0 and byte 9 bit 0 count."""
    conn = Connection()
    conn.receive_data(greeting(padding=padding, sig9=sig9) + ready(b"ROUTER", b""))
    assert conn.phase is Phase.TRAFFIC


@given(padding=st.binary(min_size=8, max_size=8), sig9=st.integers(0, 255).map(lambda b: b | 1))
def test_any_padding_accepted(padding: bytes, sig9: int) -> None:
    p = GreetingParser(b"NULL")
    assert p.feed(greeting(padding=padding, sig9=sig9)) == b""


@pytest.mark.parametrize("version", [(3, 0), (3, 1), (3, 2), (3, 255), (4, 0), (255, 255)])
def test_higher_versions_accepted(version: tuple[int, int]) -> None:
    """RFC 23/37: a peer MUST accept protocol versions >= 3.0."""
    conn = Connection(socket_type="DEALER")
    events = conn.receive_data(greeting(major=version[0], minor=version[1]) + ready(b"ROUTER", b""))
    assert conn.peer_version == version
    assert events[0].version == version


def test_nonzero_filler_ignored() -> None:
    data = bytearray(greeting())
    data[40] = 0x55
    p = GreetingParser(b"NULL")
    assert p.feed(bytes(data)) == b""


@pytest.mark.parametrize(
    "ours,theirs",
    [
        (None, b"PLAIN"),
        (None, b"CURVE"),
        (None, b"null"),
        (None, b"NUL"),
        ("client", b"NULL"),
        ("client", b"CURVE"),
        ("server", b"NULL"),
    ],
)
def test_mechanism_mismatch(ours: object, theirs: bytes) -> None:
    mech = None if ours is None else PlainClient(b"u", b"p") if ours == "client" else PlainServer()
    conn = Connection(mech)
    with pytest.raises(MechanismMismatch) as info:
        conn.receive_data(greeting(theirs))
    assert info.value.code == ZMTP_MECHANISM_MISMATCH
    assert isinstance(info.value, ProtocolError)
    assert conn.phase is Phase.CLOSED


def test_mechanism_name_must_match_exactly_with_trailing_junk() -> None:
    mech = b"NULL\x00X".ljust(20, b"\x00")
    with pytest.raises(MechanismMismatch):
        Connection().receive_data(greeting(mech))


def test_as_server_ignored_for_null() -> None:
    conn = Connection()
    conn.receive_data(greeting(as_server=True) + ready(b"ROUTER", b""))
    assert conn.phase is Phase.TRAFFIC


def test_as_server_not_used_for_plain_roles() -> None:
    """libzmq sends as-server 0 from PLAIN servers: the role is local."""
    conn = Connection(PlainClient(b"u", b"p"))
    conn.receive_data(greeting(b"PLAIN", as_server=False))
    assert conn.phase is Phase.HANDSHAKE
    assert b"HELLO" in conn.data_to_send()


def test_30_peer_accepted_and_remembered() -> None:
    conn = traffic_conn("SUB", b"PUB", minor=0)
    assert conn.peer_version == (3, 0)
    conn.send_subscribe(b"x")
    assert conn.data_to_send() == b"\x00\x02\x01x"
