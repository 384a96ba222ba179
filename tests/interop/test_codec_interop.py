"""The sans-IO codec against real libzmq (pyzmq) over TCP on 127.0.0.1.

A small blocking `Driver` moves bytes between a plain Python socket and a
`Connection`; every blocking call has a timeout, every pyzmq socket has
RCVTIMEO/SNDTIMEO and linger 0, every context is destroyed with linger 0.
"""

from __future__ import annotations

import socket
import time
from collections import deque
from collections.abc import Iterator
from typing import Any, Callable

import pytest

zmq = pytest.importorskip("zmq")

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
from purezmq.zmtp.errors import AuthenticationFailed
from tests.testing import eventually

TIMEOUT = 5.0
BIG = bytes(range(256)) * 4200  # 1,075,200 bytes: more than 1 MiB


class Driver:
    """Blocking glue: a Connection over a socket, with timeouts everywhere."""

    def __init__(self, sock: socket.socket, conn: Connection, minor: int | None = None) -> None:
        self.sock = sock
        self.conn = conn
        self.events: deque[Any] = deque()
        self.raw_in = bytearray()
        self.eof = False
        self.mute = False  # drop our output (to starve the peer of PONGs)
        sock.settimeout(TIMEOUT)
        if minor is not None:  # announce another minor version (ZMTP 3.0 peer)
            g = bytearray(conn.data_to_send())
            g[11] = minor
            sock.sendall(g)
        self.flush()

    def flush(self) -> None:
        chunks = self.conn.take_output()
        if self.mute:
            return
        for c in chunks:
            self.sock.sendall(c)

    def read_once(self, timeout: float) -> bool:
        """One recv (up to ``timeout``); False on timeout."""
        if self.eof:
            return False
        self.sock.settimeout(max(timeout, 0.001))
        try:
            data = self.sock.recv(1 << 16)
        except socket.timeout:
            return False
        except ConnectionResetError:
            data = b""
        if not data:
            self.eof = True
        self.raw_in += data
        try:
            self.events.extend(self.conn.receive_data(data))
        finally:
            self.flush()
        return True

    def wait(self, pred: Callable[[Any], bool], timeout: float = TIMEOUT) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            for e in list(self.events):
                if pred(e):
                    self.events.remove(e)
                    return e
            left = deadline - time.monotonic()
            if left <= 0 or self.eof:
                raise TimeoutError(f"no matching event; have {list(self.events)!r}, eof={self.eof}")
            self.read_once(left)

    def wait_type(self, kind: type, timeout: float = TIMEOUT) -> Any:
        return self.wait(lambda e: isinstance(e, kind), timeout)

    def handshake(self) -> Ready:
        ready: Ready = self.wait_type(Ready)
        return ready

    def recv(self, timeout: float = TIMEOUT) -> list[bytes]:
        return list(self.wait_type(Message, timeout))

    def send(self, frames: list[bytes]) -> None:
        self.conn.send_message(frames)
        self.flush()

    def pump_for(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.eof and (left := deadline - time.monotonic()) > 0:
            self.read_once(left)

    def wait_eof(self, timeout: float = TIMEOUT) -> bool:
        deadline = time.monotonic() + timeout
        while not self.eof and (left := deadline - time.monotonic()) > 0:
            self.read_once(left)
        return self.eof

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def ctx() -> Iterator[Any]:
    c = zmq.Context()
    try:
        yield c
    finally:
        c.destroy(linger=0)


@pytest.fixture
def drivers() -> Iterator[list[Driver]]:
    made: list[Driver] = []
    yield made
    for d in made:
        d.close()


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(4)
    s.settimeout(TIMEOUT)
    try:
        yield s
    finally:
        s.close()


def zsock(ctx: Any, kind: int, **opts: Any) -> Any:
    s = ctx.socket(kind)
    s.linger = 0
    s.rcvtimeo = int(TIMEOUT * 1000)
    s.sndtimeo = int(TIMEOUT * 1000)
    for k, v in opts.items():
        setattr(s, k, v)
    return s


def bound(ctx: Any, kind: int, **opts: Any) -> tuple[Any, int]:
    s = zsock(ctx, kind, **opts)
    return s, s.bind_to_random_port("tcp://127.0.0.1")


def dial(port: int, conn: Connection, made: list[Driver], minor: int | None = None) -> Driver:
    sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    d = Driver(sock, conn, minor)
    made.append(d)
    return d


def accept(lst: socket.socket, conn: Connection, made: list[Driver]) -> Driver:
    sock, _ = lst.accept()
    d = Driver(sock, conn)
    made.append(d)
    return d


def endpoint(lst: socket.socket) -> str:
    return f"tcp://127.0.0.1:{lst.getsockname()[1]}"


def wait_poking(d: Driver, zs: Any, kind: type, timeout: float = TIMEOUT) -> Any:
    """Wait for an event while making ``zs``'s application thread process commands.

    A bound libzmq socket attaches a new connection's pipe (and so replays
    its subscriptions) only when its own thread next processes commands."""

    def arrived() -> bool:
        if any(isinstance(e, kind) for e in d.events):
            return True
        zs.getsockopt(zmq.EVENTS)
        d.read_once(0.02)
        return any(isinstance(e, kind) for e in d.events)

    eventually(arrived, timeout, interval=0, what=f"a {kind.__name__} from {zs!r}")
    return d.wait_type(kind, timeout=0)


# ----------------------------------------------------------------------
# NULL: DEALER/ROUTER, PUSH/PULL, both directions
# ----------------------------------------------------------------------


def test_codec_dealer_with_pyzmq_router(ctx: Any, drivers: list[Driver]) -> None:
    router, port = bound(ctx, zmq.ROUTER)
    d = dial(port, Connection(socket_type="DEALER", identity=b"codec-1"), drivers)
    ready = d.handshake()
    assert ready.socket_type == "ROUTER" and ready.version == (3, 1)
    assert ready.properties["Identity"] == b""

    sent = [b"", b"hello", b"a" * 255, b"b" * 256, BIG, b""]
    d.send(sent)
    assert router.recv_multipart() == [b"codec-1"] + sent

    router.send_multipart([b"codec-1", b"", b"reply", BIG])
    router.send_multipart([b"codec-1", b"second"])
    assert d.recv() == [b"", b"reply", BIG]
    assert d.recv() == [b"second"]


def test_pyzmq_dealer_to_codec_router_listener(
    ctx: Any, listener: socket.socket, drivers: list[Driver]
) -> None:
    dealer = zsock(ctx, zmq.DEALER, routing_id=b"pyzmq-dealer")
    dealer.connect(endpoint(listener))
    d = accept(listener, Connection(socket_type="ROUTER"), drivers)
    ready = d.handshake()
    assert ready.socket_type == "DEALER" and ready.identity == b"pyzmq-dealer"
    dealer.send_multipart([b"", b"x" * 300, b""])
    dealer.send(b"single")
    assert d.recv() == [b"", b"x" * 300, b""]
    assert d.recv() == [b"single"]
    d.send([b"", b"back", BIG])
    assert dealer.recv_multipart() == [b"", b"back", BIG]


def test_pyzmq_push_to_codec_pull(ctx: Any, listener: socket.socket, drivers: list[Driver]) -> None:
    push = zsock(ctx, zmq.PUSH)
    push.connect(endpoint(listener))
    d = accept(listener, Connection(socket_type="PULL"), drivers)
    assert d.handshake().socket_type == "PUSH"
    sent = [b"%d" % i * (i % 300) for i in range(500)] + [BIG]
    for m in sent:
        push.send(m)
    got = [d.recv()[0] for _ in sent]
    assert got == sent


def test_codec_push_to_pyzmq_pull(ctx: Any, drivers: list[Driver]) -> None:
    pull, port = bound(ctx, zmq.PULL)
    d = dial(port, Connection(socket_type="PUSH"), drivers)
    d.handshake()
    d.conn.send_messages([[b"m%d" % i] for i in range(200)])
    d.flush()
    assert [pull.recv() for _ in range(200)] == [b"m%d" % i for i in range(200)]


def test_socket_type_mismatch_with_pyzmq(ctx: Any, drivers: list[Driver]) -> None:
    _push, port = bound(ctx, zmq.PUSH)
    d = dial(port, Connection(socket_type="PUSH"), drivers)
    try:
        d.wait(lambda e: isinstance(e, (Ready, Closed)))
    except (ProtocolError, TimeoutError) as exc:
        assert isinstance(exc, ProtocolError) or d.eof
    else:
        raise AssertionError("a PUSH/PUSH connection completed its handshake")
    assert d.conn.phase is Phase.CLOSED or d.wait_eof()


# ----------------------------------------------------------------------
# PUB/SUB and subscriptions
# ----------------------------------------------------------------------


def _messages_until(
    d: Driver, pub: Any, publish: list[bytes], stop: bytes, timeout: float = TIMEOUT
) -> list[bytes]:
    """Publish ``publish`` repeatedly until a message starting with ``stop`` arrives."""
    got: list[bytes] = []

    def stopped() -> bool:
        for p in publish:
            pub.send(p)
        try:
            while True:
                got.append(d.recv(timeout=0.05)[0])
                if got[-1].startswith(stop):
                    return True
        except TimeoutError:
            return False

    eventually(stopped, timeout, interval=0, what=f"a message starting with {stop!r}")
    return got


def test_codec_sub_subscribe_and_cancel_with_pyzmq_pub(ctx: Any, drivers: list[Driver]) -> None:
    pub, port = bound(ctx, zmq.PUB)
    d = dial(port, Connection(socket_type="SUB"), drivers)
    assert d.handshake().socket_type == "PUB"
    d.conn.send_subscribe(b"weather")
    d.flush()
    got = _messages_until(d, pub, [b"sports 1", b"weather 1"], b"weather")
    assert got and all(m.startswith(b"weather") for m in got)

    # CANCEL, then a sync subscription: once b"sync" arrives, libzmq has
    # applied the CANCEL too (same pipe, in order).
    d.conn.send_cancel(b"weather")
    d.conn.send_subscribe(b"sync")
    d.flush()
    _messages_until(d, pub, [b"weather 2", b"sync 1"], b"sync")
    late = _messages_until(d, pub, [b"weather late", b"sync final"], b"sync final")
    assert all(m.startswith(b"sync") for m in late), late


@pytest.mark.parametrize("minor", [0, 1])
def test_pyzmq_sub_speaks_30_or_31_to_codec_pub(
    ctx: Any, drivers: list[Driver], minor: int
) -> None:
    """libzmq sends subscription *messages* to a peer announcing 3.0, commands to 3.1."""
    sub, port = bound(ctx, zmq.SUB)
    sub.subscribe(b"a")
    d = dial(port, Connection(socket_type="PUB"), drivers, minor=minor)
    d.handshake()
    assert wait_poking(d, sub, Subscribe) == Subscribe(b"a")
    if minor == 0:
        assert b"\x00\x02\x01a" in d.raw_in and b"SUBSCRIBE" not in d.raw_in
    else:
        assert b"\x04\x0b\x09SUBSCRIBEa" in d.raw_in
    sub.unsubscribe(b"a")
    assert d.wait_type(Cancel) == Cancel(b"a")
    sub.subscribe(b"b")
    assert d.wait_type(Subscribe) == Subscribe(b"b")
    for m in (b"a1", b"b1", b"c1", b"b2"):
        d.send([m])
    assert [sub.recv(), sub.recv()] == [b"b1", b"b2"]


def test_pyzmq_xsub_raw_subscription_message_to_codec_xpub(ctx: Any, drivers: list[Driver]) -> None:
    xsub, port = bound(ctx, zmq.XSUB)
    d = dial(port, Connection(socket_type="XPUB"), drivers)
    d.handshake()
    xsub.send(b"\x01topic")  # XSUB forwards as a SUBSCRIBE command to 3.1 peers
    assert wait_poking(d, xsub, Subscribe) == Subscribe(b"topic")
    xsub.send(b"\x00topic")
    assert d.wait_type(Cancel) == Cancel(b"topic")


# ----------------------------------------------------------------------
# PLAIN
# ----------------------------------------------------------------------


@pytest.fixture
def plain_router(ctx: Any) -> Iterator[tuple[Any, int]]:
    from zmq.auth.thread import ThreadAuthenticator

    auth = ThreadAuthenticator(ctx)
    auth.start()
    try:
        auth.configure_plain(domain="*", passwords={"admin": "secret"})
        yield bound(ctx, zmq.ROUTER, plain_server=True)
    finally:
        auth.stop()


def test_codec_plain_client_accepted(plain_router: tuple[Any, int], drivers: list[Driver]) -> None:
    router, port = plain_router
    d = dial(
        port,
        Connection(PlainClient(b"admin", b"secret"), socket_type="DEALER", identity=b"p1"),
        drivers,
    )
    ready = d.handshake()
    assert ready.socket_type == "ROUTER"
    d.send([b"authenticated"])
    assert router.recv_multipart() == [b"p1", b"authenticated"]
    router.send_multipart([b"p1", b"welcome"])
    assert d.recv() == [b"welcome"]


def test_codec_plain_client_refused(plain_router: tuple[Any, int], drivers: list[Driver]) -> None:
    _, port = plain_router
    d = dial(port, Connection(PlainClient(b"admin", b"wrong"), socket_type="DEALER"), drivers)
    with pytest.raises(AuthenticationFailed) as info:
        d.handshake()
    assert info.value.auth is True
    assert "400" in str(info.value)  # the ZAP status code travels in ERROR
    assert d.conn.phase is Phase.CLOSED


def test_pyzmq_plain_client_to_codec_plain_server(
    ctx: Any, listener: socket.socket, drivers: list[Driver]
) -> None:
    dealer = zsock(ctx, zmq.DEALER, plain_username=b"alice", plain_password=b"pw")
    dealer.connect(endpoint(listener))
    d = accept(listener, Connection(PlainServer(), socket_type="ROUTER"), drivers)
    req = d.wait_type(AuthRequest)
    assert req == AuthRequest("PLAIN", (b"alice", b"pw"))
    d.conn.auth_reply(True)
    d.flush()
    assert d.handshake().socket_type == "DEALER"
    dealer.send(b"hi")
    assert d.recv() == [b"hi"]


def test_pyzmq_plain_client_refused_by_codec(
    ctx: Any, listener: socket.socket, drivers: list[Driver]
) -> None:
    dealer = zsock(ctx, zmq.DEALER, plain_username=b"mallory", plain_password=b"guess")
    dealer.connect(endpoint(listener))
    d = accept(listener, Connection(PlainServer(), socket_type="ROUTER"), drivers)
    d.wait_type(AuthRequest)
    d.conn.auth_reply(False, b"400")
    d.flush()
    assert d.wait_eof()  # libzmq hangs up on ERROR


# ----------------------------------------------------------------------
# Heartbeats
# ----------------------------------------------------------------------


def test_pyzmq_heartbeat_ping_answered_automatically(
    ctx: Any, listener: socket.socket, drivers: list[Driver]
) -> None:
    dealer = zsock(ctx, zmq.DEALER, heartbeat_ivl=50, heartbeat_timeout=400, heartbeat_ttl=3000)
    dealer.connect(endpoint(listener))
    d = accept(listener, Connection(socket_type="ROUTER"), drivers)
    d.handshake()
    d.pump_for(1.2)  # several heartbeat timeouts' worth
    pings = [e for e in d.events if isinstance(e, Ping)]
    assert len(pings) >= 3
    assert all(p.ttl == 30 for p in pings)  # 3000 ms in deciseconds
    assert not d.eof
    dealer.send(b"still connected")
    assert d.recv() == [b"still connected"]
    listener.settimeout(0.05)
    with pytest.raises(socket.timeout):
        listener.accept()  # libzmq did not reconnect


def test_unanswered_pings_make_pyzmq_hang_up(
    ctx: Any, listener: socket.socket, drivers: list[Driver]
) -> None:
    """Control for the test above: without our PONGs libzmq drops the connection."""
    dealer = zsock(ctx, zmq.DEALER, heartbeat_ivl=50, heartbeat_timeout=300)
    dealer.connect(endpoint(listener))
    d = accept(listener, Connection(socket_type="ROUTER"), drivers)
    d.handshake()
    d.mute = True
    assert d.wait_eof(timeout=3.0)
    assert any(isinstance(e, Ping) for e in d.events)


def test_codec_ping_gets_pong_from_pyzmq(ctx: Any, drivers: list[Driver]) -> None:
    _router, port = bound(ctx, zmq.ROUTER)
    d = dial(port, Connection(socket_type="DEALER"), drivers)
    d.handshake()
    d.conn.send_ping(10, b"0123456789abcdefXYZ")
    d.flush()
    assert d.wait_type(Pong) == Pong(b"0123456789abcdef")
    d.conn.send_ping(0)
    d.flush()
    assert d.wait_type(Pong) == Pong(b"")
