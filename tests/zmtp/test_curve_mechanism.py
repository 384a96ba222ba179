"""CURVE in the sans-IO codec: two Connections talking, and hand-made hostile input.

Sizes, nonces and error codes are libzmq 4.3.5's (spec/interop.md #12, #19);
the interop tests check the same things against a live libzmq.
"""

from __future__ import annotations

import struct
from typing import Any, Callable, Optional

import pytest

from purezmq import crypto
from purezmq.zmtp import Connection, Phase
from purezmq.zmtp.errors import (
    ZMTP_CRYPTOGRAPHIC,
    ZMTP_INVALID_SEQUENCE,
    ZMTP_KEY_EXCHANGE,
    ZMTP_MALFORMED_COMMAND_HELLO,
    ZMTP_MALFORMED_COMMAND_MESSAGE,
    ZMTP_MALFORMED_COMMAND_READY,
    ZMTP_MALFORMED_COMMAND_UNSPECIFIED,
    ZMTP_UNEXPECTED_COMMAND,
    AuthenticationFailed,
    LocalProtocolError,
    RemoteProtocolError,
)
from purezmq.zmtp.events import AuthRequest, Ping, Pong, Ready, Subscribe
from purezmq.zmtp.framing import encode_metadata
from purezmq.zmtp.mechanisms import CurveClient, CurveServer
from tests.testing import command, frame, messages, raw_greeting, split_frames

SERVER_PUBLIC, SERVER_SECRET = crypto.keypair()
CLIENT_PUBLIC, CLIENT_SECRET = crypto.keypair()


def _client(server_key: bytes = SERVER_PUBLIC) -> CurveClient:
    return CurveClient(server_key, CLIENT_PUBLIC, CLIENT_SECRET)


def _server() -> CurveServer:
    return CurveServer(SERVER_PUBLIC, SERVER_SECRET)


class Link:
    """A client and a server Connection back to back, recording the wire."""

    def __init__(
        self,
        client_mech: Optional[CurveClient] = None,
        server_mech: Optional[CurveServer] = None,
        client_type: str = "DEALER",
        server_type: str = "ROUTER",
    ) -> None:
        self.client = Connection(client_mech or _client(), socket_type=client_type)
        self.server = Connection(server_mech or _server(), socket_type=server_type)
        self.c2s: list[bytes] = []  # every chunk the client wrote
        self.s2c: list[bytes] = []
        self.client_events: list[Any] = []
        self.server_events: list[Any] = []

    def greetings(self) -> None:
        """Exchange greetings: the client's HELLO is then queued."""
        self.server_events += self.server.receive_data(self.client.data_to_send())
        self.client_events += self.client.receive_data(self.server.data_to_send())

    def to_server(self) -> list[Any]:
        events = self.server.receive_data(self.client.data_to_send())
        self.server_events += events
        return events

    def to_client(self) -> list[Any]:
        events = self.client.receive_data(self.server.data_to_send())
        self.client_events += events
        return events

    def until_initiate(self) -> bytes:
        """Greetings, HELLO, WELCOME; return the client's INITIATE frame, undelivered."""
        self.greetings()
        self.to_server()  # HELLO -> WELCOME
        self.to_client()  # WELCOME -> INITIATE
        (initiate,) = split_frames(self.client.data_to_send())
        return frame(initiate[0], initiate[1])

    def pump(
        self, verdict: Callable[[AuthRequest], bool] = lambda r: True, status: bytes = b"400"
    ) -> None:
        for _ in range(20):
            moved = False
            if self.client.has_output():
                data = self.client.data_to_send()
                self.c2s.append(data)
                self.server_events += self.server.receive_data(data)
                moved = True
            if self.server.has_output():
                data = self.server.data_to_send()
                self.s2c.append(data)
                self.client_events += self.client.receive_data(data)
                moved = True
            for req in [e for e in self.server_events if isinstance(e, AuthRequest)]:
                self.server_events.remove(req)
                ok = verdict(req)
                self.server_events += self.server.auth_reply(ok, b"200" if ok else status)
                moved = True
            if not moved:
                return
        raise AssertionError("the link did not settle")

    def client_wire(self) -> list[tuple[int, bytes]]:
        return split_frames(b"".join(self.c2s)[64:])

    def server_wire(self) -> list[tuple[int, bytes]]:
        return split_frames(b"".join(self.s2c)[64:])


def _ready_link(**kwargs: Any) -> Link:
    link = Link(**kwargs)
    link.pump()
    assert link.client.phase is Phase.TRAFFIC and link.server.phase is Phase.TRAFFIC
    return link


def _meta(socket_type: bytes, identity: Optional[bytes]) -> bytes:
    props = [("Socket-Type", socket_type)]
    if identity is not None:
        props.append(("Identity", identity))
    return encode_metadata(props)


# ---------------------------------------------------------------------------
# The handshake, byte for byte in size
# ---------------------------------------------------------------------------


def test_handshake_command_sizes_are_libzmqs() -> None:
    link = _ready_link()
    c = link.client_wire()
    s = link.server_wire()
    assert [(f, b[: b[0] + 1]) for f, b in c] == [(0x04, b"\x05HELLO"), (0x06, b"\x08INITIATE")]
    assert [(f, b[: b[0] + 1]) for f, b in s] == [(0x04, b"\x07WELCOME"), (0x04, b"\x05READY")]
    hello, initiate = c[0][1], c[1][1]
    welcome, ready = s[0][1], s[1][1]
    assert len(hello) == 200
    assert hello[6:8] == b"\x01\x00"  # version 1.0
    assert hello[8:80] == bytes(72)  # anti-amplification padding
    assert hello[112:120] == struct.pack(">Q", 1)  # the client's first short nonce
    assert len(welcome) == 168
    assert len(initiate) == 257 + len(_meta(b"DEALER", b""))
    assert initiate[105:113] == struct.pack(">Q", 2)
    assert len(ready) == 30 + len(_meta(b"ROUTER", b""))
    assert ready[6:14] == struct.pack(">Q", 1)  # the server's first short nonce


def _hello() -> bytes:
    """A client's HELLO command body, name included."""
    client = Connection(_client())
    client.data_to_send()
    client.receive_data(raw_greeting(b"CURVE", as_server=True))
    ((_flags, body),) = split_frames(client.data_to_send())
    return body


def test_hello_box_opens_with_the_server_long_term_secret() -> None:
    """An independent check of HELLO's crypto: Box[64 zeros](C'->S)."""
    hello = _hello()
    c_short = hello[80:112]
    plain = crypto.box_open(
        hello[120:200], b"CurveZMQHELLO---" + hello[112:120], c_short, SERVER_SECRET
    )
    assert plain == bytes(64)


def test_greetings_say_curve_and_the_roles() -> None:
    for mech, role in ((_client(), 0), (_server(), 1)):
        greeting = Connection(mech).data_to_send()
        assert len(greeting) == 64
        assert greeting[12:33] == b"CURVE".ljust(20, b"\x00") + bytes((role,))


def test_auth_request_carries_the_client_long_term_key() -> None:
    link = Link()
    seen: list[AuthRequest] = []
    link.pump(lambda r: seen.append(r) or True)
    assert seen == [AuthRequest("CURVE", (CLIENT_PUBLIC,))]
    ready = [e for e in link.client_events if isinstance(e, Ready)]
    assert ready and ready[0].socket_type == "ROUTER"
    assert [e.socket_type for e in link.server_events if isinstance(e, Ready)] == ["DEALER"]


def test_no_ready_until_zap_accepts() -> None:
    link = Link()
    link.server_events = link.server.receive_data(link.until_initiate())
    pending = [e for e in link.server_events if isinstance(e, AuthRequest)]
    assert len(pending) == 1
    assert not link.server.has_output()  # READY waits for the verdict
    assert link.server.phase is Phase.HANDSHAKE
    events = link.server.auth_reply(True, b"200", b"alice")
    assert [type(e) for e in events] == [Ready]
    assert link.server.mechanism.user_id == b"alice"


@pytest.mark.parametrize("status", [b"400", b"500"])
def test_zap_refusal_sends_error_with_the_status(status: bytes) -> None:
    link = Link()
    with pytest.raises(AuthenticationFailed) as info:
        link.pump(lambda r: False, status)
    assert info.value.code == int(status)
    assert link.server.phase is Phase.CLOSED
    assert link.client.phase is Phase.CLOSED


def test_zap_300_closes_without_error() -> None:
    link = Link()
    link.server.receive_data(link.until_initiate())
    link.server.auth_reply(False, b"300")
    assert link.server.phase is Phase.CLOSED
    assert not link.server.has_output()


# ---------------------------------------------------------------------------
# Traffic
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "msg",
    [[b"x"], [b""], [b"a", b"bb", b""], [b"y" * 300], [b"z" * 70000, b"tail"]],
    ids=["one", "empty", "multipart", "long-form", "large"],
)
def test_messages_both_ways(msg: list[bytes]) -> None:
    link = _ready_link()
    link.client.send_message(msg)
    link.server.send_message(msg)
    out_c = link.client.data_to_send()
    out_s = link.server.data_to_send()
    assert messages(link.server.receive_data(out_c)) == [msg]
    assert messages(link.client.receive_data(out_s)) == [msg]
    # libzmq's form: one flagless data frame per message frame, 33 bytes more
    # than the frame, MORE inside the box only.
    wire = split_frames(out_c)
    assert [(f & ~0x02, len(b)) for f, b in wire] == [(0, 33 + len(m)) for m in msg]
    assert all(b[:8] == b"\x07MESSAGE" for _, b in wire)


def test_short_nonces_start_after_the_handshake_and_increase() -> None:
    link = _ready_link()
    for i in range(3):
        link.client.send_message([b"%d" % i])
        link.server.send_message([b"%d" % i])
    c = [struct.unpack(">Q", b[8:16])[0] for _, b in split_frames(link.client.data_to_send())]
    s = [struct.unpack(">Q", b[8:16])[0] for _, b in split_frames(link.server.data_to_send())]
    assert c == [3, 4, 5]  # HELLO was 1, INITIATE 2
    assert s == [2, 3, 4]  # READY was 1


def test_everything_in_one_read() -> None:
    """READY and the first boxes arriving together are all decoded."""
    link = Link()
    client, server = link.client, link.server
    (req,) = server.receive_data(link.until_initiate())
    assert isinstance(req, AuthRequest)
    server.auth_reply(True)
    server.send_message([b"first"])
    server.send_message([b"second", b"part"])
    events = client.receive_data(server.data_to_send())
    assert isinstance(events[0], Ready)
    assert messages(events) == [[b"first"], [b"second", b"part"]]


@pytest.mark.parametrize("chunk", [1, 7, 1000])
def test_boxes_split_across_reads(chunk: int) -> None:
    link = _ready_link()
    msgs = [[b"a" * 40], [b"b" * 40000], [b"c", b"d"]]
    for m in msgs:
        link.server.send_message(m)
    data = link.server.data_to_send()
    got: list[Any] = []
    for i in range(0, len(data), chunk):
        got += link.client.receive_data(data[i : i + chunk])
    assert messages(got) == msgs


def test_commands_travel_inside_boxes() -> None:
    link = _ready_link(client_type="SUB", server_type="PUB")
    link.client.send_subscribe(b"topic")
    link.client.send_ping(10, b"ctx")
    out = link.client.data_to_send()
    assert b"SUBSCRIBE" not in out and b"PING" not in out
    assert all(f == 0 and b[:8] == b"\x07MESSAGE" for f, b in split_frames(out))
    events = link.server.receive_data(out)
    assert events == [Subscribe(b"topic"), Ping(10, b"ctx")]
    pong = link.server.data_to_send()  # the PONG, boxed as well
    assert b"PONG" not in pong
    assert link.client.receive_data(pong) == [Pong(b"ctx")]


def test_messages_before_ready_are_refused_locally() -> None:
    client = Connection(_client())
    with pytest.raises(LocalProtocolError):
        client.send_message([b"early"])
    with pytest.raises(LocalProtocolError):
        client.mechanism.wrap(0, b"early")


# ---------------------------------------------------------------------------
# Hostile traffic: tampered, replayed, reordered, short, plaintext
# ---------------------------------------------------------------------------


def _boxes(link: Link, *msgs: list[bytes]) -> list[bytes]:
    for m in msgs:
        link.client.send_message(m)
    return [frame(f, b) for f, b in split_frames(link.client.data_to_send())]


def _fails(conn: Connection, data: bytes, code: int) -> list[Any]:
    with pytest.raises(RemoteProtocolError) as info:
        conn.receive_data(data)
    assert info.value.code == code, hex(info.value.code)
    assert conn.phase is Phase.CLOSED
    assert conn.receive_data(b"more") == []  # closed: nothing more is decoded
    return info.value.events


@pytest.mark.parametrize("where", [16, 20, 32, -1], ids=["tag", "tag2", "cipher", "last"])
def test_tampered_box_is_cryptographic_error(where: int) -> None:
    link = _ready_link()
    (box,) = _boxes(link, [b"secret payload"])
    bad = bytearray(box)
    bad[2 + where if where >= 0 else where] ^= 0x01
    assert _fails(link.server, bytes(bad), ZMTP_CRYPTOGRAPHIC) == []


def test_replayed_box_is_invalid_sequence() -> None:
    link = _ready_link()
    (box,) = _boxes(link, [b"once"])
    assert messages(link.server.receive_data(box)) == [[b"once"]]
    assert _fails(link.server, box, ZMTP_INVALID_SEQUENCE) == []


def test_reordered_boxes_are_invalid_sequence() -> None:
    link = _ready_link()
    first, second = _boxes(link, [b"1"], [b"2"])
    events = _fails(link.server, second + first, ZMTP_INVALID_SEQUENCE)
    assert messages(events) == [[b"2"]]  # what came before the bad box still counts


def test_box_with_nonce_rewritten_upward_fails_to_open() -> None:
    """The nonce is authenticated: raising it to skip ahead breaks the box."""
    link = _ready_link()
    (box,) = _boxes(link, [b"x"])
    bad = box[:10] + struct.pack(">Q", 1000) + box[18:]
    _fails(link.server, bad, ZMTP_CRYPTOGRAPHIC)


def test_short_message_is_malformed() -> None:
    link = _ready_link()
    body = b"\x07MESSAGE" + struct.pack(">Q", 9) + bytes(16)  # 32 bytes: no flags byte
    _fails(link.server, frame(0, body), ZMTP_MALFORMED_COMMAND_MESSAGE)


@pytest.mark.parametrize(
    "data",
    [
        (command(b"PING", b"\x00\x00"), ZMTP_UNEXPECTED_COMMAND),
        (frame(0, b"\x05HELLO" + bytes(40)), ZMTP_UNEXPECTED_COMMAND),
        # libzmq first checks that a frame parses as a command at all
        (frame(0, b"plain data"), ZMTP_MALFORMED_COMMAND_UNSPECIFIED),
    ],
    ids=["plaintext-ping", "other-name", "plaintext-message"],
)
def test_plaintext_after_handshake_is_refused(data: tuple[bytes, int]) -> None:
    link = _ready_link()
    events = _fails(link.server, data[0], data[1])
    assert events == []


def test_box_from_the_other_direction_does_not_open() -> None:
    """Client and server nonce prefixes differ: a reflected box is refused."""
    link = _ready_link()
    for i in range(10):
        link.server.send_message([b"to client %d" % i])
    reflected = [frame(f, b) for f, b in split_frames(link.server.data_to_send())][-1]
    # nonce 11 from the server is above the 2 the server last saw from the client
    _fails(link.server, reflected, ZMTP_CRYPTOGRAPHIC)


# ---------------------------------------------------------------------------
# Hostile handshakes
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("delta", [-1, 1, -100])
def test_hello_of_the_wrong_size_is_malformed(delta: int) -> None:
    server = Connection(_server())
    hello = _hello()
    body = hello + bytes(delta) if delta > 0 else hello[:delta]
    _fails(server, raw_greeting(b"CURVE") + frame(0x04, body), ZMTP_MALFORMED_COMMAND_HELLO)


@pytest.mark.parametrize("version", [b"\x02\x00", b"\x01\x01", b"\x00\x00"])
def test_hello_of_another_version_is_malformed(version: bytes) -> None:
    server = Connection(_server())
    hello = _hello()
    body = hello[:6] + version + hello[8:]
    _fails(server, raw_greeting(b"CURVE") + frame(0x04, body), ZMTP_MALFORMED_COMMAND_HELLO)


def test_hello_for_another_server_key_is_cryptographic() -> None:
    other_public, _ = crypto.keypair()
    link = Link(client_mech=_client(server_key=other_public))
    with pytest.raises(RemoteProtocolError) as info:
        link.pump()
    assert info.value.code == ZMTP_CRYPTOGRAPHIC
    assert link.server.phase is Phase.CLOSED
    assert not [e for e in link.server_events if isinstance(e, AuthRequest)]
    # no WELCOME went out: the client learns nothing
    assert [b[:8] for _, b in link.server_wire()] == []


def test_initiate_before_hello_is_unexpected() -> None:
    server = Connection(_server())
    data = raw_greeting(b"CURVE") + command(b"INITIATE", bytes(300))
    _fails(server, data, ZMTP_UNEXPECTED_COMMAND)


@pytest.mark.parametrize(
    "offset", [10, 30, 110, 130, 200], ids=["cookie-nonce", "cookie", "nonce", "box", "vouch"]
)
def test_tampered_initiate_is_refused(offset: int) -> None:
    link = Link()
    initiate = bytearray(link.until_initiate())
    initiate[9 + offset] ^= 0x80  # 9: long-form frame header
    _fails(link.server, bytes(initiate), ZMTP_CRYPTOGRAPHIC)


def test_cookie_from_another_connection_is_refused() -> None:
    """Each connection has its own cookie key (libzmq: fresh per WELCOME)."""
    a, b = Link(), Link()
    initiate_a = a.until_initiate()
    b.until_initiate()
    _fails(b.server, initiate_a, ZMTP_CRYPTOGRAPHIC)


def test_vouch_for_another_short_key_is_key_exchange_error() -> None:
    """A client that vouches for a short-term key it does not hold."""
    link = Link()
    mech = link.client.mechanism
    assert isinstance(mech, CurveClient)
    link.greetings()
    link.to_server()
    real = mech.cn_public
    mech.cn_public = crypto.keypair()[0]  # the vouch names this one
    link.client.receive_data(link.server.data_to_send())
    mech.cn_public = real
    _fails(link.server, link.client.data_to_send(), ZMTP_KEY_EXCHANGE)


def test_welcome_of_the_wrong_size_is_cryptographic() -> None:
    client = Connection(_client())
    client.data_to_send()
    _fails(
        client,
        raw_greeting(b"CURVE", as_server=True) + command(b"WELCOME", bytes(100)),
        ZMTP_CRYPTOGRAPHIC,
    )


def test_welcome_not_from_the_server_is_cryptographic() -> None:
    """A WELCOME boxed by someone without S's secret does not open."""
    client = Connection(_client())
    client.data_to_send()
    mallory_public, mallory_secret = crypto.keypair()
    mech = client.mechanism
    assert isinstance(mech, CurveClient)
    fake = crypto.box(bytes(128), b"WELCOME-" + bytes(16), mech.cn_public, mallory_secret)
    data = raw_greeting(b"CURVE", as_server=True) + command(b"WELCOME", bytes(16) + fake)
    _fails(client, data, ZMTP_CRYPTOGRAPHIC)


def test_short_ready_is_malformed() -> None:
    link = Link()
    link.until_initiate()
    _fails(link.client, command(b"READY", bytes(20)), ZMTP_MALFORMED_COMMAND_READY)


def test_ready_with_a_bad_box_is_cryptographic() -> None:
    link = Link()
    link.until_initiate()
    _fails(link.client, command(b"READY", struct.pack(">Q", 1) + bytes(40)), ZMTP_CRYPTOGRAPHIC)


def test_server_error_during_handshake_fails_the_client() -> None:
    link = Link()
    link.greetings()
    link.client.data_to_send()
    with pytest.raises(AuthenticationFailed) as info:
        link.client.receive_data(command(b"ERROR", b"\x03400"))
    assert info.value.code == 400


# ---------------------------------------------------------------------------
# Secrets are dropped once they are no longer needed
# ---------------------------------------------------------------------------


def test_secrets_are_dropped_after_the_handshake() -> None:
    client_mech, server_mech = _client(), _server()
    assert client_mech.secrets_held == ("_secret", "_cn_secret")
    # (the HELLO key C'/S is made when HELLO goes out and dropped at WELCOME)
    assert server_mech.secrets_held == ("_secret",)
    link = Link(client_mech, server_mech)
    link.greetings()
    link.to_server()
    # After WELCOME the server holds the cookie key; s' is only inside the cookie.
    assert server_mech.secrets_held == ("_secret", "_cookie_key")
    link.to_client()
    assert client_mech.secrets_held == ()  # INITIATE sent: c and c' are gone
    link.pump()
    assert link.server.phase is Phase.TRAFFIC
    assert server_mech.secrets_held == ()
    # what is left is the one connection key, and the traffic still flows
    link.client.send_message([b"still works"])
    assert messages(link.server.receive_data(link.client.data_to_send())) == [[b"still works"]]


def test_refused_client_leaves_no_connection_key() -> None:
    link = Link()
    with pytest.raises(AuthenticationFailed):
        link.pump(lambda r: False)
    mech = link.server.mechanism
    assert isinstance(mech, CurveServer)
    assert mech.secrets_held == () and mech._precom is None


def test_bad_key_sizes_are_refused() -> None:
    with pytest.raises(ValueError):
        CurveClient(bytes(31), CLIENT_PUBLIC, CLIENT_SECRET)
    with pytest.raises(ValueError):
        CurveServer(SERVER_PUBLIC, bytes(33))


def test_message_boxes_are_a_large_frame_when_big() -> None:
    """A 64 KiB message is one long-form frame of 64 KiB + 33 bytes."""
    link = _ready_link()
    link.client.send_message([b"q" * 65536])
    out = link.client.data_to_send()
    ((flags, body),) = split_frames(out)
    assert flags == 0x02 and len(body) == 65536 + 33
    assert messages(link.server.receive_data(out)) == [[b"q" * 65536]]


def test_client_hello_key_lives_from_hello_to_welcome() -> None:
    client_mech = _client()
    link = Link(client_mech)
    link.greetings()  # HELLO queued
    assert client_mech.secrets_held == ("_secret", "_cn_secret", "_hello_key")
    link.to_server()
    link.to_client()  # WELCOME in, INITIATE out
    assert client_mech.secrets_held == ()


def test_unusable_server_key_is_a_protocol_error_not_a_crash() -> None:
    """An all-zero CURVE_SERVERKEY makes no shared key (X25519 gives zero)."""
    client = Connection(CurveClient(bytes(32), CLIENT_PUBLIC, CLIENT_SECRET))
    client.data_to_send()
    with pytest.raises(RemoteProtocolError) as info:
        client.receive_data(raw_greeting(b"CURVE", as_server=True))
    assert info.value.code == ZMTP_CRYPTOGRAPHIC
    assert client.phase is Phase.CLOSED


def test_hello_with_a_low_order_client_key_is_cryptographic() -> None:
    hello = _hello()
    body = hello[:80] + bytes(32) + hello[112:]  # C' = 0, a low-order point
    server = Connection(_server())
    _fails(server, raw_greeting(b"CURVE") + frame(0x04, body), ZMTP_CRYPTOGRAPHIC)
