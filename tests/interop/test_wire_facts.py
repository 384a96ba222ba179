"""What libzmq 4.3.5 puts on the wire, observed live (spec/interop.md).

Each test is named after the numbered fact it shows. The far end is a real
pyzmq (libzmq) socket; the near end is either another pyzmq socket or a raw
TCP/Unix socket driven byte by byte by the small helper below, which is written
without purezmq so that the facts do not depend on our own codec.

Every blocking call has a timeout, ports come from port 0, ipc paths from a
temporary directory, and every socket and context is closed in teardown.
"""

from __future__ import annotations

import os
import select
import socket
import stat
import struct
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any, Callable

import pytest

zmq = pytest.importorskip("zmq")

TIMEOUT = 3.0  # seconds, for every read we expect to succeed
QUIET = 0.3  # seconds, for "nothing more arrives" checks

# ---------------------------------------------------------------------------
# A raw ZMTP peer (no purezmq)
# ---------------------------------------------------------------------------


def signature(padding: int = 0) -> bytes:
    return b"\xff" + padding.to_bytes(8, "big") + b"\x7f"


def greeting(mechanism: bytes = b"NULL", as_server: bool = False, minor: int = 1) -> bytes:
    return (
        signature()
        + bytes((3, minor))
        + mechanism.ljust(20, b"\x00")
        + bytes((int(as_server),))
        + bytes(31)
    )


def frame(body: bytes, flags: int = 0, long: bool = False) -> bytes:
    if long or len(body) > 255:
        return bytes((flags | 0x02,)) + struct.pack(">Q", len(body)) + body
    return bytes((flags, len(body))) + body


def command(name: bytes, data: bytes = b"") -> bytes:
    return frame(bytes((len(name),)) + name + data, 0x04)


def prop(name: bytes, value: bytes) -> bytes:
    return bytes((len(name),)) + name + struct.pack(">I", len(value)) + value


def ready(socket_type: bytes, **extra: bytes) -> bytes:
    body = prop(b"Socket-Type", socket_type)
    for name, value in extra.items():
        body += prop(name.encode(), value)
    return command(b"READY", body)


def parse_properties(data: bytes) -> dict[bytes, bytes]:
    """Strict: every byte belongs to a property, names are kept as sent."""
    out: dict[bytes, bytes] = {}
    i = 0
    while i < len(data):
        n = data[i]
        name = data[i + 1 : i + 1 + n]
        (size,) = struct.unpack(">I", data[i + 1 + n : i + 5 + n])
        value = data[i + 5 + n : i + 5 + n + size]
        assert len(name) == n and len(value) == size, "truncated property"
        out[name] = value
        i += 5 + n + size
    return out


class Raw:
    """One end of a stream connection, read with deadlines."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = b""
        self.eof = False

    def _fill(self, timeout: float) -> None:
        if self.eof or timeout <= 0:
            return
        ready_, _, _ = select.select([self.sock], [], [], timeout)
        if not ready_:
            return
        try:
            chunk = self.sock.recv(1 << 16)
        except ConnectionResetError:
            chunk = b""
        if chunk:
            self.buf += chunk
        else:
            self.eof = True

    def read_exact(self, n: int, timeout: float = TIMEOUT) -> bytes:
        deadline = time.monotonic() + timeout
        while len(self.buf) < n:
            left = deadline - time.monotonic()
            if left <= 0 or self.eof:
                raise AssertionError(f"wanted {n} bytes, got {self.buf!r} (eof={self.eof})")
            self._fill(left)
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def extra_within(self, seconds: float = QUIET) -> bytes:
        """Whatever arrives within `seconds` beyond what was read (usually b"")."""
        deadline = time.monotonic() + seconds
        while not self.eof and time.monotonic() < deadline:
            self._fill(deadline - time.monotonic())
        return self.buf

    def until_eof(self, timeout: float = TIMEOUT) -> bytes:
        """Everything up to EOF; fails if the peer keeps the connection open."""
        deadline = time.monotonic() + timeout
        while not self.eof:
            left = deadline - time.monotonic()
            assert left > 0, f"connection still open; received {self.buf!r}"
            self._fill(left)
        out, self.buf = self.buf, b""
        return out

    def read_frame(self, timeout: float = TIMEOUT) -> tuple[int, bytes]:
        flags = self.read_exact(1, timeout)[0]
        if flags & 0x02:
            (size,) = struct.unpack(">Q", self.read_exact(8, timeout))
        else:
            size = self.read_exact(1, timeout)[0]
        return flags, self.read_exact(size, timeout)

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def null_handshake(self, our_type: bytes, minor: int = 1, **extra: bytes) -> bytes:
        """Send our greeting and READY at once; return the peer's READY metadata."""
        self.send(greeting(minor=minor) + ready(our_type, **extra))
        theirs = self.read_exact(64)
        assert theirs[0] == 0xFF and theirs[10] == 3, theirs
        flags, body = self.read_frame()
        assert flags == 0x04 and body.startswith(b"\x05READY"), (flags, body)
        return body[6:]


@pytest.fixture
def raw_sockets() -> Iterator[list[socket.socket]]:
    made: list[socket.socket] = []
    yield made
    for s in made:
        s.close()


@pytest.fixture
def zsock(pyctx: Any) -> Iterator[Callable[..., Any]]:
    """zsock(kind, **options): a pyzmq socket with timeouts and linger 0."""
    made: list[Any] = []

    def factory(kind: int, **options: Any) -> Any:
        s = pyctx.socket(kind)
        s.linger = 0
        s.rcvtimeo = int(TIMEOUT * 1000)
        s.sndtimeo = int(TIMEOUT * 1000)
        for name, value in options.items():
            setattr(s, name, value)
        made.append(s)
        return s

    yield factory
    for s in made:
        s.close(linger=0)


@pytest.fixture
def listener(raw_sockets: list[socket.socket]) -> socket.socket:
    s = socket.socket()
    raw_sockets.append(s)
    s.bind(("127.0.0.1", 0))
    s.listen(4)
    s.settimeout(TIMEOUT)
    return s


def accept_from(zs: Any, listener: socket.socket, raw_sockets: list[socket.socket]) -> Raw:
    """Make the pyzmq socket `zs` connect to our raw listener."""
    zs.connect(f"tcp://127.0.0.1:{listener.getsockname()[1]}")
    conn, _ = listener.accept()
    raw_sockets.append(conn)
    return Raw(conn)


def connect_to(zs: Any, raw_sockets: list[socket.socket]) -> Raw:
    """Bind the pyzmq socket `zs` and connect a raw socket to it."""
    port = zs.bind_to_random_port("tcp://127.0.0.1")
    conn = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    raw_sockets.append(conn)
    return Raw(conn)


# ---------------------------------------------------------------------------
# 1-3: the greeting
# ---------------------------------------------------------------------------


def test_fact1_greeting_is_sent_in_three_steps(
    zsock: Any, listener: socket.socket, raw_sockets: list[socket.socket]
) -> None:
    peer = accept_from(zsock(zmq.DEALER), listener, raw_sockets)
    assert peer.read_exact(10)[0] == 0xFF
    assert peer.extra_within() == b""  # waits for our signature
    peer.send(signature())
    assert peer.read_exact(1) == b"\x03"  # the major version, alone
    assert peer.extra_within() == b""  # waits for our major version
    peer.send(b"\x03")
    rest = peer.read_exact(53)
    assert rest[0] == 1 and rest[1:21] == b"NULL".ljust(20, b"\x00")
    assert rest[21] == 0 and rest[22:] == bytes(31)
    assert peer.extra_within() == b""  # no READY before our greeting is complete
    peer.send(greeting()[11:] + ready(b"ROUTER"))
    flags, body = peer.read_frame()
    assert flags == 0x04 and body.startswith(b"\x05READY")


@pytest.mark.parametrize("routing_id", [b"", b"peer-1", b"x" * 255], ids=["none", "6", "255"])
def test_fact2_signature_padding_is_routing_id_size_plus_one(
    routing_id: bytes, zsock: Any, listener: socket.socket, raw_sockets: list[socket.socket]
) -> None:
    dealer = zsock(zmq.DEALER)
    if routing_id:  # libzmq refuses to set an empty one
        dealer.routing_id = routing_id
    sig = accept_from(dealer, listener, raw_sockets).read_exact(10)
    assert sig == b"\xff" + (len(routing_id) + 1).to_bytes(8, "big") + b"\x7f"


def test_fact3_zmtp20_peer_gets_a_12_byte_greeting(
    zsock: Any, listener: socket.socket, raw_sockets: list[socket.socket]
) -> None:
    """A version byte of 1 (ZMTP 2.0) makes libzmq stop at 12 bytes: anyone
    waiting for 64 from an old peer waits for ever."""
    peer = accept_from(zsock(zmq.DEALER), listener, raw_sockets)
    peer.read_exact(10)
    peer.send(signature() + b"\x01")
    got = peer.read_exact(2)
    assert got == bytes((3, zmq.DEALER))  # major 3, then the 2.0 socket-type byte
    assert peer.extra_within() == b""


def test_fact3_handshake_timeout_default_is_30s(zsock: Any) -> None:
    assert zsock(zmq.DEALER).getsockopt(zmq.HANDSHAKE_IVL) == 30000


# ---------------------------------------------------------------------------
# 5-6: mechanism and READY
# ---------------------------------------------------------------------------


def test_fact5_mechanism_mismatch_closes_without_error(
    zsock: Any, listener: socket.socket, raw_sockets: list[socket.socket]
) -> None:
    peer = accept_from(zsock(zmq.DEALER), listener, raw_sockets)
    peer.send(greeting(b"PLAIN"))
    data = peer.until_eof()
    assert len(data) <= 64  # at most libzmq's greeting: no ERROR command


def test_fact5_mechanism_name_is_an_exact_20_byte_match(
    zsock: Any, listener: socket.socket, raw_sockets: list[socket.socket]
) -> None:
    peer = accept_from(zsock(zmq.DEALER), listener, raw_sockets)
    g = bytearray(greeting())
    g[12 + 19] = ord("X")  # "NULL", then junk in the padding
    peer.send(bytes(g))
    assert len(peer.until_eof()) <= 64


def test_fact5_as_server_is_ignored_for_null(
    zsock: Any, listener: socket.socket, raw_sockets: list[socket.socket]
) -> None:
    dealer = zsock(zmq.DEALER)
    peer = accept_from(dealer, listener, raw_sockets)
    peer.send(greeting(as_server=True) + ready(b"ROUTER"))
    theirs = peer.read_exact(64)
    assert theirs[32] == 0  # libzmq does not set it either
    assert peer.read_frame()[1].startswith(b"\x05READY")
    peer.send(frame(b"to dealer"))
    assert dealer.recv() == b"to dealer"


PEER_OF = {
    "REQ": b"ROUTER",
    "REP": b"DEALER",
    "DEALER": b"ROUTER",
    "ROUTER": b"DEALER",
    "PUB": b"SUB",
    "SUB": b"PUB",
    "XPUB": b"SUB",
    "XSUB": b"PUB",
    "PUSH": b"PULL",
    "PULL": b"PUSH",
    "PAIR": b"PAIR",
}


@pytest.mark.parametrize("routing_id", [b"", b"rid"], ids=["no-id", "id"])
@pytest.mark.parametrize("kind", sorted(PEER_OF))
def test_fact6_ready_metadata_per_socket_type(
    kind: str,
    routing_id: bytes,
    zsock: Any,
    listener: socket.socket,
    raw_sockets: list[socket.socket],
) -> None:
    zs = zsock(getattr(zmq, kind))
    if routing_id:
        zs.routing_id = routing_id
    props = parse_properties(accept_from(zs, listener, raw_sockets).null_handshake(PEER_OF[kind]))
    expected = {b"Socket-Type": kind.encode()}
    if kind in ("REQ", "DEALER", "ROUTER"):
        expected[b"Identity"] = routing_id  # sent even when empty
    assert props == expected


def test_fact6_router_takes_the_peer_identity(zsock: Any, raw_sockets: list[socket.socket]) -> None:
    router = zsock(zmq.ROUTER)
    peer = connect_to(router, raw_sockets)
    peer.null_handshake(b"DEALER", Identity=b"raw-7")
    peer.send(frame(b"hi"))
    assert router.recv_multipart() == [b"raw-7", b"hi"]


BAD_READY = {
    "lowercase-type": command(b"READY", prop(b"Socket-Type", b"dealer")),
    "trailing-byte": command(b"READY", prop(b"Socket-Type", b"DEALER") + b"\x00"),
    "value-past-end": command(
        b"READY", prop(b"Socket-Type", b"DEALER") + b"\x01X" + struct.pack(">I", 50) + b"short"
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_READY))
def test_fact6_bad_ready_metadata_drops_the_connection(
    case: str, zsock: Any, raw_sockets: list[socket.socket]
) -> None:
    router = zsock(zmq.ROUTER, rcvtimeo=int(QUIET * 1000))
    peer = connect_to(router, raw_sockets)
    peer.send(greeting() + BAD_READY[case] + frame(b"must not arrive"))
    peer.until_eof()
    with pytest.raises(zmq.Again):
        router.recv_multipart()


# ---------------------------------------------------------------------------
# 7: ROUTER routing ids
# ---------------------------------------------------------------------------


def _first_ids(router: Any, zsock: Any, count: int) -> list[bytes]:
    port = router.bind_to_random_port("tcp://127.0.0.1")
    ids = []
    for i in range(count):  # one at a time, so the order is known
        d = zsock(zmq.DEALER)
        d.connect(f"tcp://127.0.0.1:{port}")
        d.send(b"%d" % i)
        rid, body = router.recv_multipart()
        assert body == b"%d" % i
        ids.append(rid)
    return ids


def test_fact7_generated_ids_are_zero_and_a_counter(zsock: Any) -> None:
    ids = _first_ids(zsock(zmq.ROUTER), zsock, 3)
    assert all(len(rid) == 5 and rid[0] == 0 for rid in ids)
    counters = [struct.unpack(">I", rid[1:])[0] for rid in ids]
    assert counters[1] == (counters[0] + 1) % 2**32
    assert counters[2] == (counters[0] + 2) % 2**32
    other = _first_ids(zsock(zmq.ROUTER), zsock, 1)
    assert other[0] != ids[0]  # the counter does not start at a fixed value


def test_fact7_duplicate_identity_is_ignored_without_handover(zsock: Any) -> None:
    router = zsock(zmq.ROUTER, rcvtimeo=int(QUIET * 1000))
    port = router.bind_to_random_port("tcp://127.0.0.1")
    first = zsock(zmq.DEALER, routing_id=b"dup")
    first.connect(f"tcp://127.0.0.1:{port}")
    first.send(b"one")
    assert router.recv_multipart() == [b"dup", b"one"]
    second = zsock(zmq.DEALER, routing_id=b"dup")
    second.connect(f"tcp://127.0.0.1:{port}")
    second.send(b"two")
    with pytest.raises(zmq.Again):
        router.recv_multipart()
    router.send_multipart([b"dup", b"reply"])
    assert first.recv() == b"reply"
    first.send(b"three")
    assert router.recv_multipart() == [b"dup", b"three"]


def test_fact7_router_handover_gives_the_id_to_the_newest_peer(zsock: Any) -> None:
    router = zsock(zmq.ROUTER, router_handover=1)
    port = router.bind_to_random_port("tcp://127.0.0.1")
    first = zsock(zmq.DEALER, routing_id=b"dup", rcvtimeo=int(QUIET * 1000))
    first.connect(f"tcp://127.0.0.1:{port}")
    first.send(b"one")
    assert router.recv_multipart() == [b"dup", b"one"]
    second = zsock(zmq.DEALER, routing_id=b"dup")
    second.connect(f"tcp://127.0.0.1:{port}")
    second.send(b"two")
    assert router.recv_multipart() == [b"dup", b"two"]
    router.send_multipart([b"dup", b"reply"])
    assert second.recv() == b"reply"
    with pytest.raises(zmq.Again):
        first.recv()


# ---------------------------------------------------------------------------
# 9-10: commands and framing after the handshake
# ---------------------------------------------------------------------------


def _traffic(
    zsock: Any, listener: socket.socket, raw_sockets: list[socket.socket], **options: Any
) -> tuple[Any, Raw]:
    dealer = zsock(zmq.DEALER, **options)
    peer = accept_from(dealer, listener, raw_sockets)
    peer.null_handshake(b"ROUTER")
    return dealer, peer


def test_fact9_ping_is_answered_with_pong_even_without_heartbeats(
    zsock: Any, listener: socket.socket, raw_sockets: list[socket.socket]
) -> None:
    dealer, peer = _traffic(zsock, listener, raw_sockets)
    assert dealer.getsockopt(zmq.HEARTBEAT_IVL) == 0
    context = b"0123456789abcdefXYZW"  # 20 bytes: only 16 come back
    peer.send(command(b"PING", struct.pack(">H", 0) + context))
    assert peer.read_frame() == (0x04, b"\x04PONG" + context[:16])
    peer.send(command(b"PING", struct.pack(">H", 0)))
    assert peer.read_frame() == (0x04, b"\x04PONG")


def test_fact9_pong_and_unknown_commands_never_reach_the_socket(
    zsock: Any, listener: socket.socket, raw_sockets: list[socket.socket]
) -> None:
    dealer, peer = _traffic(zsock, listener, raw_sockets)
    peer.send(command(b"PONG", b"ctx") + command(b"FOOBAR", b"xyz") + frame(b"after"))
    assert dealer.recv_multipart() == [b"after"]
    dealer.send(b"still connected")
    assert peer.read_frame() == (0, b"still connected")


def test_fact9_ping_ttl_drops_a_silent_peer(
    zsock: Any, listener: socket.socket, raw_sockets: list[socket.socket]
) -> None:
    _dealer, peer = _traffic(zsock, listener, raw_sockets)
    peer.send(command(b"PING", struct.pack(">H", 2)))  # TTL 2 deciseconds
    assert peer.read_frame() == (0x04, b"\x04PONG")
    peer.until_eof()  # we say nothing more: libzmq hangs up


def test_fact10_long_form_and_reserved_flag_bits_are_accepted(
    zsock: Any, listener: socket.socket, raw_sockets: list[socket.socket]
) -> None:
    dealer, peer = _traffic(zsock, listener, raw_sockets)
    peer.send(frame(b"a", 0x01, long=True) + frame(b"", 0x01, long=True) + frame(b"bc", long=True))
    assert dealer.recv_multipart() == [b"a", b"", b"bc"]
    peer.send(frame(b"x", 0x01 | 0xF0) + frame(b"y", 0x08))
    assert dealer.recv_multipart() == [b"x", b"y"]


def test_fact10_maxmsgsize_is_checked_at_the_header(
    zsock: Any, listener: socket.socket, raw_sockets: list[socket.socket]
) -> None:
    dealer, peer = _traffic(zsock, listener, raw_sockets, maxmsgsize=100)
    peer.send(frame(b"z" * 100))
    assert dealer.recv() == b"z" * 100
    peer.send(b"\x02" + struct.pack(">Q", 1 << 40))  # header only: 1 TiB announced
    peer.until_eof()


# ---------------------------------------------------------------------------
# 11-12: PLAIN, ZAP and CURVE
# ---------------------------------------------------------------------------


def _plain_hello(user: bytes, password: bytes) -> bytes:
    return command(b"HELLO", bytes((len(user),)) + user + bytes((len(password),)) + password)


def test_fact11_plain_server_without_zap_handler_fails_the_handshake(
    zsock: Any, raw_sockets: list[socket.socket]
) -> None:
    server = zsock(zmq.PULL, plain_server=True)
    monitor = server.get_monitor_socket()
    monitor.rcvtimeo = int(TIMEOUT * 1000)
    peer = connect_to(server, raw_sockets)
    peer.send(greeting(b"PLAIN") + _plain_hello(b"admin", b"secret"))
    data = peer.until_eof()
    assert b"WELCOME" not in data
    events = []
    while zmq.EVENT_DISCONNECTED not in events:
        events.append(struct.unpack("=HI", monitor.recv_multipart()[0])[0])
    assert zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL in events
    monitor.close(linger=0)


def _needs_curve() -> None:
    if not zmq.has("curve"):
        pytest.skip("this libzmq was built without CURVE")


def test_fact11_curve_server_without_zap_handler_accepts_everyone(zsock: Any) -> None:
    _needs_curve()
    server_public, server_secret = zmq.curve_keypair()
    client_public, client_secret = zmq.curve_keypair()
    server = zsock(zmq.PULL, curve_server=True, curve_secretkey=server_secret)
    port = server.bind_to_random_port("tcp://127.0.0.1")
    client = zsock(
        zmq.PUSH,
        curve_serverkey=server_public,
        curve_publickey=client_public,
        curve_secretkey=client_secret,
    )
    client.connect(f"tcp://127.0.0.1:{port}")
    client.send(b"unchecked key")
    assert server.recv() == b"unchecked key"


def test_fact12_curve_hello_is_200_bytes(
    zsock: Any, listener: socket.socket, raw_sockets: list[socket.socket]
) -> None:
    _needs_curve()
    server_public, _ = zmq.curve_keypair()
    client_public, client_secret = zmq.curve_keypair()
    client = zsock(
        zmq.DEALER,
        curve_serverkey=server_public,
        curve_publickey=client_public,
        curve_secretkey=client_secret,
    )
    peer = accept_from(client, listener, raw_sockets)
    peer.send(greeting(b"CURVE", as_server=True))
    assert peer.read_exact(64)[12:17] == b"CURVE"
    flags, body = peer.read_frame()
    assert flags == 0x04 and len(body) == 200
    assert body[:6] == b"\x05HELLO" and body[6:8] == b"\x01\x00"  # version 1.0
    assert body[8:80] == bytes(72)  # anti-amplification padding
    assert body[112:120] == (1).to_bytes(8, "big")  # first short nonce


# ---------------------------------------------------------------------------
# 13: zmq_proxy_steerable in libzmq 4.3.5
# ---------------------------------------------------------------------------


def test_fact13_libzmq_435_steerable_swaps_pause_and_resume(pyctx: Any, zsock: Any) -> None:
    if zmq.zmq_version_info()[:3] != (4, 3, 5):
        pytest.skip("the quirk is documented for libzmq 4.3.5 only")
    front, back, ctrl_end = zsock(zmq.PULL), zsock(zmq.PUSH), zsock(zmq.PAIR)
    front.bind("inproc://wire-facts-front")
    back.bind("inproc://wire-facts-back")
    ctrl_end.bind("inproc://wire-facts-ctrl")
    errors: list[BaseException] = []

    def run() -> None:
        try:
            zmq.proxy_steerable(front, back, None, ctrl_end)
        except BaseException as exc:  # reported below
            errors.append(exc)

    relay = threading.Thread(target=run, daemon=True, name="wire-facts-proxy")
    relay.start()
    push, pull, ctrl = zsock(zmq.PUSH), zsock(zmq.PULL), zsock(zmq.PAIR)
    pull.rcvtimeo = int(QUIET * 1000)
    push.connect("inproc://wire-facts-front")
    pull.connect("inproc://wire-facts-back")
    ctrl.connect("inproc://wire-facts-ctrl")
    push.send(b"a")
    assert pull.recv() == b"a"
    ctrl.send(b"RESUME")
    assert ctrl.recv() == b""  # a reply, though the control socket is a PAIR
    push.send(b"b")
    with pytest.raises(zmq.Again):  # RESUME paused the relay
        pull.recv()
    ctrl.send(b"PAUSE")
    assert ctrl.recv() == b""
    assert pull.recv() == b"b"  # PAUSE restarted it
    ctrl.send(b"STATISTICS")
    stats = [struct.unpack("=Q", f)[0] for f in ctrl.recv_multipart()]
    assert stats == [2, 2, 0, 0, 0, 0, 2, 2]
    ctrl.send(b"TERMINATE")
    assert ctrl.recv() == b""
    relay.join(TIMEOUT)
    assert not relay.is_alive() and not errors


# ---------------------------------------------------------------------------
# 14: subscriptions
# ---------------------------------------------------------------------------


def test_fact14_sub_replays_its_subscriptions_on_every_connection(
    zsock: Any, listener: socket.socket, raw_sockets: list[socket.socket]
) -> None:
    sub = zsock(zmq.SUB, reconnect_ivl=20)
    peer = accept_from(sub, listener, raw_sockets)
    peer.null_handshake(b"PUB")
    sub.subscribe(b"topic")
    assert peer.read_frame() == (0x04, b"\x09SUBSCRIBEtopic")
    peer.sock.close()
    conn, _ = listener.accept()  # the SUB reconnects by itself
    raw_sockets.append(conn)
    again = Raw(conn)
    again.null_handshake(b"PUB")
    # libzmq replays from the SUB's own thread, inside its next API call.
    deadline = time.monotonic() + TIMEOUT
    while not again.extra_within(0.02):
        assert time.monotonic() < deadline
        sub.getsockopt(zmq.EVENTS)
    assert again.read_frame() == (0x04, b"\x09SUBSCRIBEtopic")


def test_fact14_pub_drops_messages_until_a_subscription_arrives(
    zsock: Any, raw_sockets: list[socket.socket]
) -> None:
    pub = zsock(zmq.PUB)
    peer = connect_to(pub, raw_sockets)
    peer.null_handshake(b"SUB")
    for _ in range(5):
        pub.send(b"early")
    peer.send(command(b"SUBSCRIBE", b""))
    deadline = time.monotonic() + TIMEOUT
    while not peer.extra_within(0.02):
        assert time.monotonic() < deadline
        pub.send(b"late")
    assert peer.read_frame() == (0, b"late")


# ---------------------------------------------------------------------------
# 15: ipc
# ---------------------------------------------------------------------------

needs_linux = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the abstract namespace is Linux only"
)


def _unix_greeting(address: str | bytes, raw_sockets: list[socket.socket]) -> bytes:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    raw_sockets.append(s)
    s.settimeout(TIMEOUT)
    s.connect(address)
    return Raw(s).read_exact(10)


@pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="no Unix sockets here")
def test_fact15_ipc_is_a_unix_socket(
    zsock: Any, ipc_dir: str, raw_sockets: list[socket.socket]
) -> None:
    path = os.path.join(ipc_dir, "facts.sock")
    zsock(zmq.PULL).bind("ipc://" + path)
    assert stat.S_ISSOCK(os.stat(path).st_mode)
    assert _unix_greeting(path, raw_sockets)[0] == 0xFF


@needs_linux
def test_fact15_ipc_at_is_the_abstract_namespace(
    zsock: Any, raw_sockets: list[socket.socket]
) -> None:
    name = f"purezmq-facts-{os.getpid()}-{time.monotonic_ns()}"
    zsock(zmq.PULL).bind(f"ipc://@{name}")
    assert _unix_greeting(b"\x00" + name.encode(), raw_sockets)[0] == 0xFF


# ---------------------------------------------------------------------------
# 17-18: monitor events, HWM
# ---------------------------------------------------------------------------


def _events_until(monitor: Any, wanted: int) -> list[list[bytes]]:
    out: list[list[bytes]] = []
    while not out or struct.unpack("=HI", out[-1][0])[0] != wanted:
        out.append(monitor.recv_multipart())  # RCVTIMEO bounds it
    return out


def test_fact17_monitor_events_are_two_frames_with_a_6_byte_header(zsock: Any) -> None:
    router = zsock(zmq.ROUTER)
    monitor = router.get_monitor_socket()
    monitor.rcvtimeo = int(TIMEOUT * 1000)
    port = router.bind_to_random_port("tcp://127.0.0.1")
    zsock(zmq.DEALER).connect(f"tcp://127.0.0.1:{port}")
    events = _events_until(monitor, zmq.EVENT_HANDSHAKE_SUCCEEDED)
    for ev in events:
        assert len(ev) == 2 and len(ev[0]) == 6
        assert ev[1] == f"tcp://127.0.0.1:{port}".encode()
    monitor.close(linger=0)


def test_fact17_handshake_failure_says_why(zsock: Any, raw_sockets: list[socket.socket]) -> None:
    dealer = zsock(zmq.DEALER)
    monitor = dealer.get_monitor_socket()
    monitor.rcvtimeo = int(TIMEOUT * 1000)
    peer = connect_to(dealer, raw_sockets)
    peer.send(greeting(b"PLAIN"))  # a mechanism the DEALER does not speak
    last = _events_until(monitor, zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL)[-1]
    assert struct.unpack("=HI", last[0])[1] == zmq.PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH
    monitor.close(linger=0)


def test_fact18_hwm_defaults_to_1000(zsock: Any) -> None:
    s = zsock(zmq.DEALER)
    assert s.getsockopt(zmq.SNDHWM) == s.getsockopt(zmq.RCVHWM) == 1000


def _sends_until_full(zsock: Any, peers: int, tag: str) -> int:
    push = zsock(zmq.PUSH, sndhwm=4)
    push.bind(f"inproc://wire-facts-hwm-{tag}")
    for _ in range(peers):
        zsock(zmq.PULL, rcvhwm=4).connect(f"inproc://wire-facts-hwm-{tag}")
    sent = 0
    while sent < 10000:
        try:
            push.send(b"m", zmq.NOBLOCK)
        except zmq.Again:
            return sent
        sent += 1
    raise AssertionError("the PUSH never filled up")


def test_fact18_hwm_is_per_pipe(zsock: Any) -> None:
    one = _sends_until_full(zsock, 1, "one")
    two = _sends_until_full(zsock, 2, "two")
    assert one >= 4 and two == 2 * one
