"""PUB/SUB and XPUB/XSUB against libzmq (pyzmq), both directions, tcp and ipc;
plus a raw ZMTP peer that speaks 3.0 or 3.1, to check that purezmq sends and
accepts subscriptions in the same form libzmq does (spec/interop.md #4)."""

from __future__ import annotations

import socket
import struct
from typing import Any

import pytest

import purezmq
from tests.testing import bind, drain_socket, eventually, until

zmq = pytest.importorskip("zmq")

DIRECTIONS = ["purezmq->libzmq", "libzmq->purezmq"]
TRANSPORTS = ["tcp", "ipc"]


def sides(direction: str) -> tuple[str, str]:
    return ("pz", "py") if direction == "purezmq->libzmq" else ("py", "pz")


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("direction", DIRECTIONS)
def test_pub_sub_prefix_filter_unsubscribe(
    libs: Any, ipc_dir: str, direction: str, transport: str
) -> None:
    pside, sside = sides(direction)
    pub = libs(pside, "PUB")
    sub = libs(sside, "SUB")
    sub.connect(bind(pub, transport, ipc_dir))
    sub.setsockopt(purezmq.SUBSCRIBE, b"news")
    sub.setsockopt(purezmq.SUBSCRIBE, b"")
    sub.setsockopt(purezmq.UNSUBSCRIBE, b"")
    sub.setsockopt(purezmq.SUBSCRIBE, b"news")  # counted twice
    until(lambda: pub.send(b"news warmup"), sub)
    drain_socket(sub, 20)
    for topic in (b"new", b"news", b"newsflash", b"sport"):
        pub.send_multipart([topic, b"body"])
    assert [m[0] for m in drain_socket(sub)] == [b"news", b"newsflash"]
    sub.setsockopt(purezmq.UNSUBSCRIBE, b"news")  # one left: still subscribed
    sub.setsockopt(purezmq.SUBSCRIBE, b"z")
    until(lambda: pub.send(b"z"), sub)
    drain_socket(sub, 20)
    pub.send(b"news again")
    assert [m[0] for m in drain_socket(sub)] == [b"news again"]
    sub.setsockopt(purezmq.UNSUBSCRIBE, b"news")

    def only_z() -> bool:  # once the cancel has reached the publisher
        pub.send(b"news")
        pub.send(b"z")
        got = [m[0] for m in drain_socket(sub, 20)]
        return bool(got) and set(got) == {b"z"}

    eventually(only_z, interval=0, what="only z after the last unsubscribe from news")


@pytest.mark.parametrize("direction", DIRECTIONS)
def test_many_topics(libs: Any, ipc_dir: str, direction: str) -> None:
    pside, sside = sides(direction)
    pub = libs(pside, "PUB")
    pub.setsockopt(purezmq.SNDHWM, 0)  # this test is about filtering, not HWM drops
    sub = libs(sside, "SUB")
    sub.setsockopt(purezmq.RCVHWM, 0)
    sub.connect(bind(pub, "tcp", ipc_dir))
    topics = [b"t%04d/" % i for i in range(0, 3000, 3)]
    for t in topics:
        sub.setsockopt(purezmq.SUBSCRIBE, t)
    until(lambda: pub.send(topics[-1] + b"warm"), sub)
    drain_socket(sub, 20)
    for i in range(3000):
        pub.send(b"t%04d/x" % i)
    assert [m[0] for m in drain_socket(sub, 100)] == [t + b"x" for t in topics]


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("direction", DIRECTIONS)
def test_slow_subscriber_dropped_at_hwm(
    libs: Any, ipc_dir: str, direction: str, transport: str
) -> None:
    pside, sside = sides(direction)
    pub = libs(pside, "PUB")
    pub.setsockopt(purezmq.SNDHWM, 10)
    sub = libs(sside, "SUB")
    sub.setsockopt(purezmq.RCVHWM, 10)
    sub.connect(bind(pub, transport, ipc_dir))
    sub.setsockopt(purezmq.SUBSCRIBE, b"")
    until(lambda: pub.send(b"warm"), sub)
    drain_socket(sub, 20)
    pub.setsockopt(purezmq.SNDTIMEO, 0)  # a blocked send would raise
    n = 20000
    pad = b" " + b"x" * 1000  # 20 MB in all: more than the kernel buffers hold
    for i in range(n):
        pub.send(b"%d" % i + pad)
    got = [int(m[0].split()[0]) for m in drain_socket(sub, 200)]
    assert 0 < len(got) < n
    assert got == sorted(got)


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("direction", DIRECTIONS)
def test_xpub_xsub_flow(libs: Any, ipc_dir: str, direction: str, transport: str) -> None:
    pside, sside = sides(direction)
    xpub = libs(pside, "XPUB")
    xsub = libs(sside, "XSUB")
    xsub.connect(bind(xpub, transport, ipc_dir))
    xsub.send(b"\x01a")
    assert xpub.recv() == b"\x01a"
    xsub.send(b"\x01a")  # duplicate from the same peer: not reported
    xsub.send(b"\x01b")
    assert xpub.recv() == b"\x01b"
    xsub.send_multipart([b"upstream", b"data"])
    assert xpub.recv_multipart() == [b"upstream", b"data"]
    xpub.send_multipart([b"a1", b"x"])
    xpub.send_multipart([b"c1", b"x"])
    xpub.send_multipart([b"b1", b"x"])
    assert xsub.recv_multipart() == [b"a1", b"x"]
    assert xsub.recv_multipart() == [b"b1", b"x"]
    xsub.send(b"\x00a")  # count 2 -> 1 on the XSUB: nothing goes out
    xsub.send(b"\x00a")
    assert xpub.recv() == b"\x00a"
    assert xpub.poll(50) == 0


@pytest.mark.parametrize("direction", DIRECTIONS)
def test_xpub_verbose_with_two_subscribers(libs: Any, ipc_dir: str, direction: str) -> None:
    pside, sside = sides(direction)
    xpub = libs(pside, "XPUB")
    xpub.setsockopt(purezmq.XPUB_VERBOSER, 1)
    addr = bind(xpub, "tcp", ipc_dir)
    subs = [libs(sside, "SUB") for _ in range(2)]
    for s in subs:
        s.connect(addr)
        s.setsockopt(purezmq.SUBSCRIBE, b"t")
        assert xpub.recv() == b"\x01t"
    subs[0].setsockopt(purezmq.UNSUBSCRIBE, b"t")
    assert xpub.recv() == b"\x00t"
    subs[1].close(linger=0)
    assert xpub.recv() == b"\x00t"


@pytest.mark.parametrize("direction", DIRECTIONS)
def test_xpub_welcome_message(libs: Any, ipc_dir: str, direction: str) -> None:
    pside, sside = sides(direction)
    xpub = libs(pside, "XPUB")
    xpub.setsockopt(purezmq.XPUB_WELCOME_MSG, b"WELCOME")
    sub = libs(sside, "SUB")
    sub.setsockopt(purezmq.SUBSCRIBE, b"WELCOME")
    sub.connect(bind(xpub, "tcp", ipc_dir))
    # the welcome goes out when the XPUB's thread attaches the new pipe
    assert xpub.recv() == b"\x01WELCOME"
    assert sub.recv() == b"WELCOME"


# ---------------------------------------------------------------------------
# Raw ZMTP peer: what goes on the wire for 3.0 and 3.1 peers
# ---------------------------------------------------------------------------


def _greeting(minor: int) -> bytes:
    return (
        b"\xff"
        + b"\x00" * 8
        + b"\x7f"
        + bytes([3, minor])
        + b"NULL".ljust(20, b"\x00")
        + b"\x00" * 32
    )


def _frame(body: bytes, flags: int = 0) -> bytes:
    if len(body) < 256:
        return bytes([flags, len(body)]) + body
    return bytes([flags | 2]) + struct.pack(">Q", len(body)) + body


def _ready(socket_type: bytes) -> bytes:
    body = b"\x05READY" + b"\x0bSocket-Type" + struct.pack(">I", len(socket_type)) + socket_type
    return _frame(body, 4)


class RawPeer:
    """A minimal ZMTP 3.x NULL peer over a stream socket."""

    def __init__(self, sock: socket.socket, minor: int, socket_type: bytes) -> None:
        self.sock = sock
        sock.settimeout(5)
        sock.sendall(_greeting(minor) + _ready(socket_type))
        self.buf = b""
        self._read_exactly(64)  # peer greeting (libzmq sends it in parts)
        flags, body = self.read_frame()
        assert flags & 4 and body.startswith(b"\x05READY"), (flags, body)

    def _read_exactly(self, n: int) -> bytes:
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_frame(self) -> tuple[int, bytes]:
        flags = self._read_exactly(1)[0]
        if flags & 2:
            (size,) = struct.unpack(">Q", self._read_exactly(8))
        else:
            size = self._read_exactly(1)[0]
        return flags, self._read_exactly(size)

    def send(self, body: bytes, flags: int = 0) -> None:
        self.sock.sendall(_frame(body, flags))

    def frames_until(self, last: set[bytes]) -> list[tuple[int, bytes]]:
        out = []
        while True:
            frame = self.read_frame()
            out.append(frame)
            if frame[1] in last:
                return out


def _as_raw_pub(libs: Any, side: str, minor: int) -> list[tuple[int, bytes]]:
    """A SUB of `side` connects to a raw PUB; return what it sends."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    sub = libs(side, "SUB")
    sub.setsockopt(purezmq.SUBSCRIBE, b"topic")
    sub.connect(f"tcp://127.0.0.1:{port}")
    listener.settimeout(5)
    conn, _ = listener.accept()
    listener.close()
    try:
        peer = RawPeer(conn, minor, b"PUB")
        sub.setsockopt(purezmq.SUBSCRIBE, b"second")
        sub.setsockopt(purezmq.UNSUBSCRIBE, b"topic")
        frames = peer.frames_until({b"\x00topic", b"\x06CANCELtopic"})
        peer.send(b"second: filtered on the SUB side too? no, it matches")
        peer.send(b"unwanted")  # a PUB that does not filter: SUB must
        peer.send(b"second!")
        got = drain_socket(sub, 100)
        assert got == [[b"second: filtered on the SUB side too? no, it matches"], [b"second!"]]
        return frames
    finally:
        conn.close()


@pytest.mark.parametrize("minor", [0, 1])
def test_sub_speaks_the_subscription_form_the_peer_needs(libs: Any, minor: int) -> None:
    ours = _as_raw_pub(libs, "pz", minor)
    theirs = _as_raw_pub(libs, "py", minor)
    assert ours == theirs
    if minor == 0:
        assert ours == [(0, b"\x01topic"), (0, b"\x01second"), (0, b"\x00topic")]
    else:
        assert ours == [
            (4, b"\x09SUBSCRIBEtopic"),
            (4, b"\x09SUBSCRIBEsecond"),
            (4, b"\x06CANCELtopic"),
        ]


def _as_raw_sub(libs: Any, side: str, minor: int, command: bool) -> list[bytes]:
    """A raw SUB subscribes to `news` at a PUB of `side`; return what arrives."""
    pub = libs(side, "PUB")
    port = pub.bind_to_random_port("tcp://127.0.0.1")
    conn = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        peer = RawPeer(conn, minor, b"SUB")
        if command:
            peer.send(b"\x09SUBSCRIBEnews", 4)
        else:
            peer.send(b"\x01news")
        peer.send(b"\x01zz")
        peer.send(b"\x00zz")
        conn.settimeout(0.02)

        def warmed() -> bool:  # slow joiner: publish until the filter is in place
            pub.send(b"news-warm")
            try:
                peer.read_frame()
            except socket.timeout:
                return False
            return True

        eventually(warmed, interval=0, what="a news-warm through the filter")
        conn.settimeout(5)
        for body in (b"sport", b"zz", b"news-1", b"new", b"news-2"):
            pub.send(body)
        got = []
        while not got or got[-1] != b"news-2":
            flags, body = peer.read_frame()
            got.append(body)
        return [b for b in got if b != b"news-warm"]
    finally:
        conn.close()


@pytest.mark.parametrize("minor,command", [(0, False), (1, False), (1, True)])
def test_pub_accepts_both_subscription_forms(libs: Any, minor: int, command: bool) -> None:
    ours = _as_raw_sub(libs, "pz", minor, command)
    theirs = _as_raw_sub(libs, "py", minor, command)
    assert ours == theirs == [b"news-1", b"news-2"]


def _raw_cancels_at_xpub(libs: Any, side: str) -> list[bytes]:
    xpub = libs(side, "XPUB")
    port = xpub.bind_to_random_port("tcp://127.0.0.1")
    conn = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        peer = RawPeer(conn, 1, b"SUB")
        peer.send(b"\x06CANCELzz", 4)  # never subscribed
        peer.send(b"\x00yy")  # the same in 3.0 form
        peer.send(b"\x09SUBSCRIBEa", 4)
        peer.send(b"\x01a")  # duplicate: not reported
        peer.send(b"\x06CANCELa", 4)
        peer.send(b"\x01end")
        got = []
        while not got or got[-1] != b"\x01end":
            got.append(xpub.recv())
        return got
    finally:
        conn.close()


def test_xpub_reports_cancels_like_libzmq(libs: Any) -> None:
    ours = _raw_cancels_at_xpub(libs, "pz")
    theirs = _raw_cancels_at_xpub(libs, "py")
    assert ours == theirs == [b"\x00zz", b"\x00yy", b"\x01a", b"\x00a", b"\x01end"]
