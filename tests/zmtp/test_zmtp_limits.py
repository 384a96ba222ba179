"""The phase table, the two error kinds, frame-length claims and who may
receive subscriptions (what a hostile peer tries against the codec).

Byte-level: every case is built from raw wire bytes (zmtp_helpers, written
from the RFC text), fed to one Connection.
"""

from __future__ import annotations

import inspect
import struct
import sys
from datetime import timedelta
from typing import Any, Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from purezmq.zmtp import (
    HANDSHAKE_FRAME_MAX,
    LARGE_FRAME,
    TRANSITIONS,
    Cancel,
    Connection,
    Input,
    LocalProtocolError,
    Message,
    Phase,
    Ping,
    Pong,
    ProtocolError,
    Ready,
    RemoteProtocolError,
    Subscribe,
    errors,
)
from purezmq.zmtp import connection as connection_module
from purezmq.zmtp.errors import ZMTP_UNEXPECTED_COMMAND, MessageTooLarge, UnexpectedCommand
from purezmq.zmtp.events import PeerError
from purezmq.zmtp.socktypes import COMPATIBLE
from tests.testing import (
    command,
    feed_chunks,
    greeting,
    message,
    messages,
    metadata,
    null_peer,
    traffic_conn,
)

PUBLISHERS = ["PUB", "XPUB"]
NON_PUBLISHERS = sorted(t for t in COMPATIBLE if t not in PUBLISHERS)
LONG = 0x02
COMMAND_FLAG = 0x04


def peer_of(local: str) -> bytes:
    return sorted(COMPATIBLE[local])[0].encode()


def long_header(flags: int, size: int) -> bytes:
    return bytes((flags | LONG,)) + struct.pack(">Q", size)


def handshake_conn(**kwargs: Any) -> Connection:
    """A DEALER Connection that has the peer's greeting and waits for READY."""
    conn = Connection(socket_type="DEALER", **kwargs)
    assert conn.receive_data(greeting()) == []
    assert conn.phase is Phase.HANDSHAKE
    conn.data_to_send()
    return conn


# ----------------------------------------------------------------------
# The transition table
# ----------------------------------------------------------------------


def test_table_shape() -> None:
    # CLOSED is final; the only way into TRAFFIC is the end of the handshake.
    assert not [k for k in TRANSITIONS if k[0] is Phase.CLOSED]
    into_traffic = [k for k, v in TRANSITIONS.items() if v is Phase.TRAFFIC and k[0] is not v]
    assert into_traffic == [(Phase.HANDSHAKE, Input.PEER_READY)]
    for phase in (Phase.GREETING, Phase.HANDSHAKE, Phase.TRAFFIC):
        assert TRANSITIONS[(phase, Input.PEER_EOF)] is Phase.CLOSED
        assert TRANSITIONS[(phase, Input.PEER_VIOLATION)] is Phase.CLOSED
    # Messages flow only in TRAFFIC, both ways.
    for what in (Input.PEER_MESSAGE_FRAME, Input.SEND_MESSAGE):
        assert [k[0] for k in TRANSITIONS if k[1] is what] == [Phase.TRAFFIC]


def test_phase_is_assigned_in_one_place() -> None:
    source = inspect.getsource(connection_module)
    assert source.count("self.phase = ") == 1
    assert "self.phase = phase" in inspect.getsource(Connection._enter)


def _conn_in(phase: Phase) -> Connection:
    if phase is Phase.GREETING:
        return Connection()
    if phase is Phase.HANDSHAKE:
        return handshake_conn()
    conn = traffic_conn()
    if phase is Phase.CLOSED:
        conn.receive_data(b"")
    assert conn.phase is phase
    return conn


LOCAL_CALLS: dict[Input, Callable[[Connection], object]] = {
    Input.SEND_MESSAGE: lambda c: c.send_message([b"x"]),
    Input.SEND_TRAFFIC_COMMAND: lambda c: c.send_ping(1, b"ctx"),
    Input.SEND_ERROR: lambda c: c.send_error("bye"),
    Input.AUTH_ACCEPT: lambda c: c.auth_reply(True),
}


@pytest.mark.parametrize("phase", list(Phase))
@pytest.mark.parametrize("what", list(LOCAL_CALLS))
def test_local_inputs_follow_the_table(phase: Phase, what: Input) -> None:
    conn = _conn_in(phase)
    if (phase, what) in TRANSITIONS:
        if what is Input.AUTH_ACCEPT:  # allowed by the phase; NULL has nothing to answer
            with pytest.raises(LocalProtocolError):
                LOCAL_CALLS[what](conn)
            return
        LOCAL_CALLS[what](conn)
        assert conn.has_output()
        return
    before = conn.take_output()
    with pytest.raises(LocalProtocolError) as info:
        LOCAL_CALLS[what](conn)
    # Our caller's mistake: nothing queued, the connection is left as it was.
    assert not isinstance(info.value, RemoteProtocolError)
    assert conn.phase is phase
    assert not conn.has_output(), before


def test_send_messages_batch_refused_before_traffic_queues_nothing() -> None:
    conn = handshake_conn()
    with pytest.raises(LocalProtocolError):
        conn.send_messages([[b"a"], Subscribe(b"t"), [b"b"]])
    assert not conn.has_output()
    assert conn.phase is Phase.HANDSHAKE


def test_remote_input_out_of_place_is_a_remote_error_with_a_code() -> None:
    conn = handshake_conn()
    with pytest.raises(UnexpectedCommand) as info:
        conn.receive_data(message([b"early"]))
    assert isinstance(info.value, RemoteProtocolError)
    assert info.value.code == ZMTP_UNEXPECTED_COMMAND
    assert conn.phase is Phase.CLOSED


def test_error_hierarchy() -> None:
    remote = [
        errors.GreetingError,
        errors.MechanismMismatch,
        errors.MalformedCommand,
        errors.InvalidMetadata,
        errors.UnexpectedCommand,
        errors.MessageTooLarge,
        errors.AuthenticationFailed,
    ]
    for cls in remote:
        assert issubclass(cls, RemoteProtocolError) and issubclass(cls, ProtocolError)
        assert not issubclass(cls, LocalProtocolError)
    assert issubclass(LocalProtocolError, ProtocolError)
    exc = LocalProtocolError("misuse")
    assert (exc.code, exc.auth, exc.events) == (errors.ZMTP_UNSPECIFIED, False, [])


# ----------------------------------------------------------------------
# Frame-length claims
# ----------------------------------------------------------------------


@pytest.mark.parametrize("flags", [0x00, 0x01, COMMAND_FLAG])
def test_claim_of_2_63_fails_at_the_ninth_header_byte(flags: int) -> None:
    conn = traffic_conn()
    header = long_header(flags, 1 << 63)
    for i in range(8):
        assert conn.receive_data(header[i : i + 1]) == []
    assert conn.buffered() == 8
    with pytest.raises(MessageTooLarge) as info:
        conn.receive_data(header[8:])  # no body byte sent at all
    assert isinstance(info.value, RemoteProtocolError)
    assert conn.phase is Phase.CLOSED


@pytest.mark.parametrize("size", [sys.maxsize + 1, 2**64 - 1])
def test_claims_beyond_sys_maxsize_fail_at_the_header(size: int) -> None:
    conn = traffic_conn()
    with pytest.raises(MessageTooLarge, match="address"):
        conn.receive_data(long_header(0, size))


def test_claim_of_2_62_is_collected_as_it_arrives() -> None:
    tracemalloc = pytest.importorskip("tracemalloc", reason="PyPy has no tracemalloc")
    claim = 1 << 62
    conn = traffic_conn()
    if claim > sys.maxsize:  # pragma: no cover - 32-bit platforms
        with pytest.raises(MessageTooLarge):
            conn.receive_data(long_header(0, claim))
        return
    tracemalloc.start()
    try:
        assert conn.receive_data(long_header(0, claim) + b"b" * 4096) == []
        sent = 9 + 4096
        for i in range(50):
            chunk = bytes((i,)) * 4096  # a fresh object each read, as recv gives
            assert conn.receive_data(chunk) == []
            sent += len(chunk)
            assert conn.buffered() <= sent
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert conn.phase is Phase.TRAFFIC
    assert conn.buffered() == sent - 9  # the body so far; the header is gone
    assert peak < 4 * sent  # nothing the size of the claim was ever allocated


COMMAND_BODY_ST = st.binary(min_size=1, max_size=2000)


@settings(
    max_examples=60,
    deadline=timedelta(seconds=2),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    claim=st.integers(0, sys.maxsize),
    flags=st.sampled_from([0x00, 0x01, COMMAND_FLAG]),
    body=COMMAND_BODY_ST,
    sizes=st.lists(st.integers(1, 700), min_size=1, max_size=8),
)
def test_memory_held_never_exceeds_what_was_sent(
    claim: int, flags: int, body: bytes, sizes: list[int]
) -> None:
    conn = traffic_conn()
    wire = long_header(flags, claim) + body[:claim]
    sent = 0
    pos = 0
    i = 0
    while pos < len(wire):
        n = sizes[i % len(sizes)]
        try:
            conn.receive_data(wire[pos : pos + n])
        except ProtocolError:
            return  # the command body did not parse: the peer is dropped
        sent += len(wire[pos : pos + n])
        pos += n
        i += 1
        assert conn.buffered() <= sent


@pytest.mark.parametrize("body_bytes", [0, 11])
def test_oversized_command_during_handshake_fails_at_the_header(body_bytes: int) -> None:
    conn = handshake_conn()
    wire = command(b"READY", b"m" * (100 * 1024))
    assert wire[0] & LONG
    assert conn.receive_data(wire[:8]) == []
    with pytest.raises(MessageTooLarge, match="before TRAFFIC") as info:
        conn.receive_data(wire[8 : 9 + body_bytes])
    assert isinstance(info.value, RemoteProtocolError)
    assert conn.phase is Phase.CLOSED


def test_handshake_bound_holds_even_with_a_larger_maxmsgsize() -> None:
    conn = handshake_conn(maxmsgsize=1 << 20)
    with pytest.raises(MessageTooLarge):
        conn.receive_data(long_header(COMMAND_FLAG, HANDSHAKE_FRAME_MAX + 1))


def test_handshake_bound_also_covers_the_bytes_after_the_greeting() -> None:
    conn = Connection(socket_type="DEALER")
    with pytest.raises(MessageTooLarge):
        conn.receive_data(greeting() + long_header(COMMAND_FLAG, 100 * 1024))


def _ready_of_size(total: int) -> bytes:
    """A READY command frame whose body is exactly ``total`` bytes."""
    base = metadata([(b"Socket-Type", b"ROUTER"), (b"X-Pad", b"")])
    pad = total - len(b"\x05READY") - len(base)
    assert pad >= 0
    body = metadata([(b"Socket-Type", b"ROUTER"), (b"X-Pad", b"p" * pad)])
    wire = command(b"READY", body)
    assert len(wire) == 9 + total
    return wire


def test_a_ready_of_exactly_the_bound_completes_the_handshake() -> None:
    conn = handshake_conn()
    events = conn.receive_data(_ready_of_size(HANDSHAKE_FRAME_MAX))
    assert isinstance(events[-1], Ready)
    assert len(events[-1].properties["X-Pad"]) > LARGE_FRAME


def test_a_ready_one_byte_over_the_bound_is_refused() -> None:
    conn = handshake_conn()
    with pytest.raises(MessageTooLarge):
        conn.receive_data(_ready_of_size(HANDSHAKE_FRAME_MAX + 1))


def test_after_the_handshake_large_frames_are_fine_again() -> None:
    conn = traffic_conn()
    big = b"z" * (HANDSHAKE_FRAME_MAX * 2)
    assert messages(feed_chunks(conn, message([big]), [10_000])) == [[big]]


def test_maxmsgsize_below_the_bound_still_rules_the_handshake() -> None:
    conn = handshake_conn(maxmsgsize=100)
    with pytest.raises(MessageTooLarge, match="MAXMSGSIZE is 100"):
        conn.receive_data(long_header(COMMAND_FLAG, 101))


# ----------------------------------------------------------------------
# Who receives subscriptions
# ----------------------------------------------------------------------

SUB_COMMANDS = command(b"SUBSCRIBE", b"topic") + command(b"CANCEL", b"topic")


@pytest.mark.parametrize("local", NON_PUBLISHERS)
def test_subscribe_and_cancel_commands_are_dropped_by_non_publishers(local: str) -> None:
    conn = traffic_conn(local, peer_of(local))
    events = conn.receive_data(SUB_COMMANDS + message([b"real"]))
    assert events == [Message([b"real"])]
    assert conn.phase is Phase.TRAFFIC  # dropped silently; the connection stays
    assert not conn.has_output()


@pytest.mark.parametrize("local", PUBLISHERS)
def test_publishers_get_subscribe_and_cancel_events(local: str) -> None:
    conn = traffic_conn(local, peer_of(local))
    events = conn.receive_data(SUB_COMMANDS + message([b"real"]))
    assert events == [Subscribe(b"topic"), Cancel(b"topic"), Message([b"real"])]


@pytest.mark.parametrize("minor", [0, 1])
@pytest.mark.parametrize("local", NON_PUBLISHERS + PUBLISHERS)
def test_30_subscription_messages_are_messages_except_to_publishers(local: str, minor: int) -> None:
    conn = traffic_conn(local, peer_of(local), minor=minor)
    events = conn.receive_data(message([b"\x01topic"]) + message([b"\x00topic"]))
    if local in PUBLISHERS:
        assert events == [Subscribe(b"topic"), Cancel(b"topic")]
    else:
        assert messages(events) == [[b"\x01topic"], [b"\x00topic"]]


@settings(
    max_examples=100,
    deadline=timedelta(seconds=2),
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    local=st.sampled_from(NON_PUBLISHERS + PUBLISHERS),
    name=st.one_of(
        st.sampled_from([b"PING", b"PONG", b"SUBSCRIBE", b"CANCEL", b"READY", b"JOIN", b"X"]),
        st.binary(min_size=1, max_size=12),
    ),
    data=st.binary(max_size=40),
)
def test_no_command_ever_reaches_a_socket_as_a_message(
    local: str, name: bytes, data: bytes
) -> None:
    conn = traffic_conn(local, peer_of(local))
    try:
        events = conn.receive_data(command(name, data))
    except RemoteProtocolError:
        return  # e.g. a PING without its TTL, an ERROR that does not parse
    allowed: tuple[type, ...] = (Ping, Pong)
    if local in PUBLISHERS:
        allowed += (Subscribe, Cancel)
    assert all(isinstance(e, (*allowed, PeerError)) for e in events)
    assert not any(isinstance(e, Message) for e in events)


def test_ping_is_answered_and_reported_for_the_engine() -> None:
    conn = traffic_conn("PULL", b"PUSH")
    assert conn.receive_data(command(b"PING", b"\x00\x07ctx")) == [Ping(7, b"ctx")]
    assert conn.data_to_send() == command(b"PONG", b"ctx")


def test_a_whole_hostile_stream_to_a_pull() -> None:
    """Handshake, then subscriptions in both dialects and an unknown command."""
    conn = Connection(socket_type="PULL")
    wire = (
        null_peer(b"PUSH")
        + SUB_COMMANDS
        + command(b"JOIN", b"g")
        + message([b"\x01t"])
        + message([b"one", b"two"])
    )
    events = feed_chunks(conn, wire, [7, 1, 300])
    assert isinstance(events[0], Ready)
    assert messages(events) == [[b"\x01t"], [b"one", b"two"]]
    assert len(events) == 3
