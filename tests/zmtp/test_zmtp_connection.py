"""Connection phases, handshakes (NULL, PLAIN), metadata checks and refusals."""

from __future__ import annotations

import itertools

import pytest

from purezmq.zmtp import (
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
from purezmq.zmtp.errors import (
    ZMTP_INVALID_METADATA,
    ZMTP_MALFORMED_COMMAND_ERROR,
    ZMTP_MALFORMED_COMMAND_HELLO,
    ZMTP_MALFORMED_COMMAND_WELCOME,
    ZMTP_UNEXPECTED_COMMAND,
    AuthenticationFailed,
    InvalidMetadata,
    LocalProtocolError,
    MalformedCommand,
    UnexpectedCommand,
)
from purezmq.zmtp.events import PeerError
from tests.testing import (
    FEEDERS,
    command,
    commands_in,
    feed_bytewise,
    greeting,
    message,
    messages,
    metadata,
    null_peer,
    pair,
    pump,
    ready,
    traffic_conn,
)

# ----------------------------------------------------------------------
# NULL handshake through pair()
# ----------------------------------------------------------------------


def test_pair_null_handshake() -> None:
    client, server, ce, se = pair("DEALER", "ROUTER", client_kwargs={"identity": b"c1"})
    assert ce == [Ready("ROUTER", b"", ce[0].properties, (3, 1))]
    assert se == [Ready("DEALER", b"c1", se[0].properties, (3, 1))]
    assert client.phase is server.phase is Phase.TRAFFIC
    assert server.peer_identity == b"c1" and server.peer_socket_type == "DEALER"
    assert client.peer_properties["Socket-Type"] == b"ROUTER"
    assert client.peer_version == server.peer_version == (3, 1)


def test_pair_exchanges_messages_both_ways() -> None:
    client, server, _, _ = pair("DEALER", "ROUTER")
    client.send_message([b"", b"req"])
    server.send_messages([[b"a"], [b"b", b"c"]])
    ce, se = pump(client, server)
    assert messages(se) == [[b"", b"req"]]
    assert messages(ce) == [[b"a"], [b"b", b"c"]]
    assert all(type(m) is Message for m in ce)


def test_extra_properties_are_sent() -> None:
    *_, se = pair(client_kwargs={"properties": [("X-App", b"demo")]})
    assert se[0].properties["X-App"] == b"demo"


def test_identity_only_sent_by_req_dealer_router() -> None:
    for st in ("REQ", "DEALER", "ROUTER", "PUB", "PUSH", "PAIR"):
        conn = Connection(socket_type=st, identity=b"me")
        conn.data_to_send()
        conn.receive_data(greeting())
        out = conn.data_to_send()
        assert (b"Identity" in out) == (st in ("REQ", "DEALER", "ROUTER"))


def test_everything_in_one_read() -> None:
    conn = Connection(socket_type="PULL")
    data = null_peer(b"PUSH") + message([b"1"]) + command(b"PING", b"\x00\x00x") + message([b"2"])
    events = conn.receive_data(data)
    assert [type(e) for e in events] == [Ready, Message, Ping, Message]


def test_unknown_socket_type_refused_locally() -> None:
    with pytest.raises(ValueError):
        Connection(socket_type="STREAM")


def test_eof() -> None:
    conn = traffic_conn()
    assert conn.receive_data(b"") == [Closed()]
    assert conn.phase is Phase.CLOSED
    assert conn.receive_data(b"") == []
    assert conn.receive_data(b"data") == []


@pytest.mark.parametrize("phase_bytes", [b"", b"\xff\x00", greeting()])
def test_eof_in_early_phases(phase_bytes: bytes) -> None:
    conn = Connection()
    if phase_bytes:
        conn.receive_data(phase_bytes)
    assert conn.receive_data(b"") == [Closed()]


def test_eof_mid_message_drops_partial() -> None:
    conn = traffic_conn()
    assert conn.receive_data(b"\x01\x01a\x00\x05ab") == []
    assert conn.receive_data(b"") == [Closed()]


# ----------------------------------------------------------------------
# Socket-type compatibility: every pair
# ----------------------------------------------------------------------

# RFC 37, "The Socket-Type Property", the table of legal combinations.
# fmt: off
RFC37_LEGAL = {
    ("REQ", "REP"), ("REQ", "ROUTER"),
    ("REP", "REQ"), ("REP", "DEALER"),
    ("DEALER", "REP"), ("DEALER", "DEALER"), ("DEALER", "ROUTER"),
    ("ROUTER", "REQ"), ("ROUTER", "DEALER"), ("ROUTER", "ROUTER"),
    ("PUB", "SUB"), ("PUB", "XSUB"), ("XPUB", "SUB"), ("XPUB", "XSUB"),
    ("SUB", "PUB"), ("SUB", "XPUB"), ("XSUB", "PUB"), ("XSUB", "XPUB"),
    ("PUSH", "PULL"), ("PULL", "PUSH"), ("PAIR", "PAIR"),
    ("CLIENT", "SERVER"), ("SERVER", "CLIENT"), ("RADIO", "DISH"), ("DISH", "RADIO"),
    ("SCATTER", "GATHER"), ("GATHER", "SCATTER"), ("PEER", "PEER"), ("CHANNEL", "CHANNEL"),
}
# fmt: on
ALL_TYPES = sorted({a for a, _ in RFC37_LEGAL})


@pytest.mark.parametrize("ours,theirs", list(itertools.product(ALL_TYPES, ALL_TYPES)))
def test_socket_type_matrix(ours: str, theirs: str) -> None:
    conn = Connection(socket_type=ours)
    conn.data_to_send()
    data = greeting() + ready(theirs.encode(), b"")
    if (ours, theirs) in RFC37_LEGAL:
        events = conn.receive_data(data)
        assert events[0].socket_type == theirs
        assert conn.phase is Phase.TRAFFIC
        return
    with pytest.raises(InvalidMetadata) as info:
        conn.receive_data(data)
    assert info.value.code == ZMTP_INVALID_METADATA
    assert conn.phase is Phase.CLOSED
    out = conn.data_to_send()
    cmds = commands_in(out)
    assert [n for n, _ in cmds] == [b"READY", b"ERROR"]  # ERROR queued before raising
    reason = cmds[1][1]
    assert reason[0] == len(reason) - 1 and theirs.encode() in reason


def test_socket_type_matrix_is_symmetric_between_codecs() -> None:
    for a, b in itertools.product(ALL_TYPES, ALL_TYPES):
        if (a, b) not in RFC37_LEGAL:
            continue
        _, _, ce, se = pair(a, b)
        assert ce[0].socket_type == b and se[0].socket_type == a


@pytest.mark.parametrize("value", [b"dealer", b"Dealer", b"DEALER ", b"", b"\xff\xfe", b"STREAM"])
def test_socket_type_is_case_sensitive_and_exact(value: bytes) -> None:
    conn = Connection(socket_type="ROUTER")
    with pytest.raises(InvalidMetadata):
        conn.receive_data(greeting() + ready(value))


def test_property_names_are_case_insensitive() -> None:
    conn = Connection(socket_type="ROUTER")
    conn.receive_data(
        greeting() + command(b"READY", metadata([(b"socket-TYPE", b"DEALER"), (b"IDENTITY", b"x")]))
    )
    assert conn.peer_socket_type == "DEALER" and conn.peer_identity == b"x"


def test_socket_type_check_can_be_disabled() -> None:
    conn = Connection(socket_type="PUSH", check_socket_type=False)
    events = conn.receive_data(greeting() + ready(b"PUSH"))
    assert events[0].socket_type == "PUSH"


def test_missing_socket_type() -> None:
    conn = Connection(socket_type="ROUTER")
    conn.data_to_send()
    with pytest.raises(InvalidMetadata):
        conn.receive_data(greeting() + command(b"READY", metadata([(b"Identity", b"")])))
    assert [n for n, _ in commands_in(conn.data_to_send())] == [b"READY", b"ERROR"]


def test_identity_longer_than_255_refused() -> None:
    conn = Connection(socket_type="ROUTER")
    with pytest.raises(InvalidMetadata):
        conn.receive_data(greeting() + ready(b"DEALER", b"i" * 256))


# ----------------------------------------------------------------------
# Malformed handshake commands, each with the right code
# ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b"\x05",  # name length past the end of the property
        b"\x0bSocket-Type\x00\x00\x00\x07DEALER",  # value runs past the command
        b"\x0bSocket-Type\x00\x00\x00\x06DEALER\x00",  # trailing byte
        b"\x00\x00\x00\x00\x00",  # empty name
        b"\x0bSocket Type\x00\x00\x00\x06DEALER",  # space in a name
    ],
)
@pytest.mark.parametrize("feeder", ["whole", "bytewise"])
def test_malformed_ready_metadata(body: bytes, feeder: str) -> None:
    conn = Connection(socket_type="ROUTER")
    with pytest.raises(InvalidMetadata) as info:
        FEEDERS[feeder](conn, greeting() + command(b"READY", body))
    assert info.value.code == ZMTP_INVALID_METADATA
    assert conn.phase is Phase.CLOSED


@pytest.mark.parametrize("data", [b"", b"\x05abc", b"\x01ab"])
def test_malformed_error_in_null_handshake(data: bytes) -> None:
    conn = Connection()
    with pytest.raises(MalformedCommand) as info:
        conn.receive_data(greeting() + command(b"ERROR", data))
    assert info.value.code == ZMTP_MALFORMED_COMMAND_ERROR


def test_error_in_null_handshake_is_fatal() -> None:
    conn = Connection()
    with pytest.raises(AuthenticationFailed) as info:
        conn.receive_data(greeting() + command(b"ERROR", b"\x06denied"))
    assert "denied" in str(info.value)
    assert conn.phase is Phase.CLOSED


@pytest.mark.parametrize(
    "cmd",
    [
        command(b"PING", b"\x00\x00"),
        command(b"SUBSCRIBE", b"x"),
        command(b"HELLO", b"\x00\x00"),
        command(b"FOO"),
    ],
)
def test_unexpected_command_in_null_handshake(cmd: bytes) -> None:
    conn = Connection()
    with pytest.raises(UnexpectedCommand) as info:
        conn.receive_data(greeting() + cmd)
    assert info.value.code == ZMTP_UNEXPECTED_COMMAND


def test_ready_in_traffic_is_ignored() -> None:
    conn = traffic_conn()
    assert conn.receive_data(ready(b"ROUTER")) == []  # a command unknown to TRAFFIC


def test_message_before_handshake() -> None:
    conn = Connection()
    with pytest.raises(UnexpectedCommand):
        conn.receive_data(greeting() + message([b"early"]))


def test_large_message_before_handshake() -> None:
    # Above LARGE_FRAME (collected across reads) but within HANDSHAKE_FRAME_MAX.
    conn = Connection()
    data = greeting() + message([b"e" * 40000])
    with pytest.raises(UnexpectedCommand):
        conn.receive_data(data[:1000])
        conn.receive_data(data[1000:])


# ----------------------------------------------------------------------
# PLAIN (RFC 24)
# ----------------------------------------------------------------------


def test_plain_success() -> None:
    seen: list[AuthRequest] = []

    def verdict(req: AuthRequest) -> bool:
        seen.append(req)
        return True

    client, server, ce, se = pair(
        "DEALER", "ROUTER", PlainClient(b"admin", b"secret"), PlainServer(), verdict
    )
    assert seen == [AuthRequest("PLAIN", (b"admin", b"secret"))]
    assert [type(e) for e in ce] == [Ready]
    assert [type(e) for e in se] == [AuthRequest, Ready]
    assert ce[0].socket_type == "ROUTER" and se[-1].socket_type == "DEALER"
    client.send_message([b"x"])
    _, se2 = pump(client, server)
    assert messages(se2) == [[b"x"]]


def test_plain_user_id_recorded() -> None:
    server = Connection(PlainServer(), socket_type="ROUTER")
    server.receive_data(greeting(b"PLAIN") + command(b"HELLO", b"\x01u\x01p"))
    server.auth_reply(True, b"200", b"user-42")
    assert server.mechanism.user_id == b"user-42"


@pytest.mark.parametrize("status", [b"400", b"300", b"500"])
def test_plain_failure(status: bytes) -> None:
    client = Connection(PlainClient(b"admin", b"wrong"), socket_type="DEALER")
    server = Connection(PlainServer(), socket_type="ROUTER")
    assert server.receive_data(client.data_to_send()) == []  # greeting only
    client.receive_data(server.data_to_send())  # the client now sends HELLO
    se = server.receive_data(client.data_to_send())
    assert se == [AuthRequest("PLAIN", (b"admin", b"wrong"))]
    server.auth_reply(False, status)
    assert server.phase is Phase.CLOSED
    out = server.data_to_send()
    if status == b"300":
        # libzmq: a temporary failure closes the connection without ERROR
        assert commands_in(out) == []
        return
    assert commands_in(out) == [(b"ERROR", bytes((3,)) + status)]
    with pytest.raises(AuthenticationFailed) as info:
        client.receive_data(out)
    # the refused side reports the ZAP status code (libzmq handle_error_reason)
    assert info.value.auth is True and info.value.code == int(status)
    assert status.decode() in str(info.value)
    assert client.phase is Phase.CLOSED


def test_auth_reply_without_request() -> None:
    server = Connection(PlainServer(), socket_type="ROUTER")
    with pytest.raises(LocalProtocolError):
        server.auth_reply(True)  # still in GREETING: refused by the phase table
    server.receive_data(greeting(b"PLAIN"))
    assert server.phase is Phase.HANDSHAKE
    with pytest.raises(LocalProtocolError):
        server.auth_reply(True)  # no HELLO yet: refused by the mechanism
    assert server.phase is Phase.HANDSHAKE


@pytest.mark.parametrize(
    "data",
    [
        b"",  # nothing
        b"\x05adm",  # username truncated
        b"\x05admin",  # no password length
        b"\x05admin\x06secre",  # password truncated
        b"\x05admin\x06secretX",  # trailing byte
        b"\x05admin\x00\x00",  # trailing byte after empty password
    ],
)
@pytest.mark.parametrize("feeder", ["whole", "bytewise"])
def test_malformed_hello(data: bytes, feeder: str) -> None:
    server = Connection(PlainServer(), socket_type="ROUTER")
    with pytest.raises(MalformedCommand) as info:
        FEEDERS[feeder](server, greeting(b"PLAIN") + command(b"HELLO", data))
    assert info.value.code == ZMTP_MALFORMED_COMMAND_HELLO


@pytest.mark.parametrize("data", [b"\x00\x00", b"\x05admin\x00", b"\x00\x06secret"])
def test_hello_with_empty_fields_is_fine(data: bytes) -> None:
    server = Connection(PlainServer(), socket_type="ROUTER")
    events = server.receive_data(greeting(b"PLAIN") + command(b"HELLO", data))
    assert isinstance(events[0], AuthRequest)


def test_welcome_with_data_is_malformed() -> None:
    client = Connection(PlainClient(b"u", b"p"))
    with pytest.raises(MalformedCommand) as info:
        client.receive_data(greeting(b"PLAIN", True) + command(b"WELCOME", b"x"))
    assert info.value.code == ZMTP_MALFORMED_COMMAND_WELCOME


@pytest.mark.parametrize(
    "seq",
    [
        [command(b"READY", metadata([(b"Socket-Type", b"ROUTER")]))],  # READY before WELCOME
        [command(b"WELCOME"), command(b"WELCOME")],
        [command(b"HELLO", b"\x00\x00")],
    ],
)
def test_plain_client_unexpected_commands(seq: list[bytes]) -> None:
    client = Connection(PlainClient(b"u", b"p"))
    with pytest.raises(UnexpectedCommand):
        client.receive_data(greeting(b"PLAIN", True) + b"".join(seq))


@pytest.mark.parametrize(
    "seq",
    [
        [command(b"INITIATE", metadata([(b"Socket-Type", b"DEALER")]))],  # before HELLO
        [command(b"READY")],
    ],
)
def test_plain_server_unexpected_commands(seq: list[bytes]) -> None:
    server = Connection(PlainServer(), socket_type="ROUTER")
    with pytest.raises(UnexpectedCommand):
        server.receive_data(greeting(b"PLAIN") + b"".join(seq))


def test_plain_server_command_while_waiting_for_zap() -> None:
    server = Connection(PlainServer(), socket_type="ROUTER")
    with pytest.raises(UnexpectedCommand):
        server.receive_data(
            greeting(b"PLAIN") + command(b"HELLO", b"\x00\x00") + command(b"INITIATE")
        )


def test_plain_initiate_bad_metadata() -> None:
    server = Connection(PlainServer(), socket_type="ROUTER")
    server.receive_data(greeting(b"PLAIN") + command(b"HELLO", b"\x00\x00"))
    server.auth_reply(True)
    with pytest.raises(InvalidMetadata):
        server.receive_data(command(b"INITIATE", b"\x03ab"))


def test_plain_initiate_incompatible_socket_type() -> None:
    server = Connection(PlainServer(), socket_type="ROUTER")
    server.receive_data(greeting(b"PLAIN") + command(b"HELLO", b"\x00\x00"))
    server.auth_reply(True)
    server.data_to_send()
    with pytest.raises(InvalidMetadata):
        server.receive_data(command(b"INITIATE", metadata([(b"Socket-Type", b"PUB")])))
    assert [n for n, _ in commands_in(server.data_to_send())] == [b"READY", b"ERROR"]


def test_plain_client_ready_bad_metadata() -> None:
    client = Connection(PlainClient(b"u", b"p"))
    client.receive_data(greeting(b"PLAIN", True) + command(b"WELCOME"))
    with pytest.raises(InvalidMetadata):
        client.receive_data(command(b"READY", b"\x01"))


def test_plain_credentials_limits() -> None:
    with pytest.raises(ValueError):
        PlainClient(b"u" * 256, b"p")
    with pytest.raises(ValueError):
        PlainClient(b"u", b"p" * 256)
    client = Connection(PlainClient(b"u" * 255, b"p" * 255))
    client.data_to_send()
    client.receive_data(greeting(b"PLAIN", True))
    hello = client.data_to_send()
    assert hello[0] == 0x06  # body of 2 + 5 + 510 bytes needs the LONG form


def test_plain_handshake_bytewise() -> None:
    client = Connection(PlainClient(b"admin", b"pw"), socket_type="PUSH")
    server = Connection(PlainServer(), socket_type="PULL")
    se = feed_bytewise(server, client.data_to_send())
    ce = feed_bytewise(client, server.data_to_send())
    se += feed_bytewise(server, client.data_to_send())
    assert se == [AuthRequest("PLAIN", (b"admin", b"pw"))] and ce == []
    server.auth_reply(True)
    ce = feed_bytewise(client, server.data_to_send())
    se = feed_bytewise(server, client.data_to_send())
    ce += feed_bytewise(client, server.data_to_send())
    assert [type(e) for e in se] == [Ready] and [type(e) for e in ce] == [Ready]


# ----------------------------------------------------------------------
# Traffic-phase behaviour
# ----------------------------------------------------------------------


def test_ping_pong_between_codecs() -> None:
    client, server, _, _ = pair()
    client.send_ping(50, b"ctx-123")
    ce, se = pump(client, server)
    assert se == [Ping(50, b"ctx-123")]
    assert ce == [Pong(b"ctx-123")]


def test_subscriptions_between_codecs_31() -> None:
    sub, pub, _, _ = pair("SUB", "PUB")
    sub.send_subscribe(b"a")
    sub.send_cancel(b"a")
    _, pe = pump(sub, pub)
    assert pe == [Subscribe(b"a"), Cancel(b"a")]


def test_30_peer_gets_subscription_messages() -> None:
    conn = traffic_conn("XSUB", b"XPUB", minor=0)
    conn.send(Subscribe(b"news"))
    conn.send(Cancel(b"news"))
    assert conn.data_to_send() == message([b"\x01news"]) + message([b"\x00news"])


def test_31_peer_gets_subscription_commands() -> None:
    conn = traffic_conn("XSUB", b"XPUB", minor=1)
    conn.send(Subscribe(b"news"))
    assert conn.data_to_send() == command(b"SUBSCRIBE", b"news")


@pytest.mark.parametrize("minor", [0, 1])
def test_pub_receives_both_subscription_forms(minor: int) -> None:
    conn = traffic_conn("XPUB", b"XSUB", minor=minor)
    data = (
        message([b"\x01a"])
        + command(b"SUBSCRIBE", b"b")
        + message([b"\x00a"])
        + command(b"CANCEL", b"b")
    )
    assert conn.receive_data(data) == [Subscribe(b"a"), Subscribe(b"b"), Cancel(b"a"), Cancel(b"b")]


def test_pub_passes_other_messages_through() -> None:
    conn = traffic_conn("XPUB", b"XSUB")
    events = conn.receive_data(message([b""]) + message([b"\x02x"]) + message([b"\x01a", b"more"]))
    assert messages(events) == [[b""], [b"\x02x"], [b"\x01a", b"more"]]


def test_peer_error_then_closed() -> None:
    client, server, _, _ = pair()
    server.send_error("shutting down")
    ce, _ = pump(client, server)
    assert ce == [PeerError("shutting down")]
    assert client.phase is Phase.CLOSED


def test_protocol_error_closes_and_later_input_is_ignored() -> None:
    conn = traffic_conn()
    with pytest.raises(ProtocolError):
        conn.receive_data(bytes((0x05, 1)) + b"\x00")  # COMMAND|MORE
    assert conn.phase is Phase.CLOSED
    assert conn.receive_data(message([b"x"])) == []
