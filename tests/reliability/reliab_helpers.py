"""Helpers for the hostile-peer, fuzz, fault and termination suites.

Everything here works on either library (purezmq or pyzmq, passed as `lib`):
raw TCP peers that write ZMTP bytes by hand, monitor event collection, a
"good client" round trip per socket type, and process-wide fd counting.
Every wait has a deadline.
"""

from __future__ import annotations

import os
import socket as pysocket
import struct
import time
from typing import Any, Callable, Optional

from purezmq.zmtp import Connection, Message, Phase
from purezmq.zmtp.framing import encode_command, encode_metadata

EVENT = struct.Struct("=HI")

TYPES = ["PAIR", "PUB", "SUB", "REQ", "REP", "DEALER", "ROUTER", "PULL", "PUSH", "XPUB", "XSUB"]

# socket type under test -> the type a well-behaved peer has
PEER_TYPE = {
    "PAIR": "PAIR",
    "PUB": "SUB",
    "SUB": "PUB",
    "REQ": "REP",
    "REP": "REQ",
    "DEALER": "DEALER",
    "ROUTER": "DEALER",
    "PULL": "PUSH",
    "PUSH": "PULL",
    "XPUB": "SUB",
    "XSUB": "PUB",
}

# socket type under test -> a type it must refuse
INCOMPATIBLE = {
    "PAIR": "PUSH",
    "PUB": "PUB",
    "SUB": "SUB",
    "REQ": "REQ",
    "REP": "REP",
    "DEALER": "PUB",
    "ROUTER": "PUSH",
    "PULL": "PULL",
    "PUSH": "PUSH",
    "XPUB": "PUB",
    "XSUB": "SUB",
}


def load_lib(name: str) -> Any:
    """purezmq, or pyzmq (the test is skipped when pyzmq is missing)."""
    if name == "purezmq":
        import purezmq

        return purezmq
    import pytest

    return pytest.importorskip("zmq")


def fd_count() -> int:
    return len(os.listdir("/proc/self/fd"))


def rss_kib() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def wait_for(predicate: Callable[[], Any], timeout: float = 5.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout}s")
        time.sleep(0.005)


def greeting(mechanism: bytes = b"NULL", minor: int = 1, as_server: bool = False) -> bytes:
    return (
        b"\xff"
        + bytes(8)
        + b"\x7f"
        + bytes((3, minor))
        + mechanism.ljust(20, b"\x00")
        + (b"\x01" if as_server else b"\x00")
        + bytes(31)
    )


def ready(socket_type: str) -> bytes:
    return encode_command(b"READY", encode_metadata([("Socket-Type", socket_type.encode())]))


class Monitor:
    """Monitor events of one socket, read with deadlines."""

    def __init__(self, sock: Any) -> None:
        self.sock = sock.get_monitor_socket()
        self.seen: list[tuple[int, int]] = []

    def until(self, event: int, timeout: float = 5.0) -> list[tuple[int, int]]:
        """Events up to and including the next `event` (consumed)."""
        out: list[tuple[int, int]] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.sock.poll(20):
                continue
            frames = self.sock.recv_multipart()
            ev = EVENT.unpack(bytes(frames[0])[:6])
            out.append(ev)
            if ev[0] == event:
                return out
        raise AssertionError(f"no monitor event {event:#x} within {timeout}s; saw {out}")

    def close(self) -> None:
        self.sock.close(0)


class RawPeer:
    """A TCP peer that writes whatever it is told and can speak ZMTP via the codec."""

    def __init__(self, port: int, timeout: float = 3.0) -> None:
        self.sock = pysocket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.conn: Optional[Connection] = None
        self.inbox: list[Any] = []

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def handshake(self, socket_type: str, minor: int = 1) -> Connection:
        conn = Connection(socket_type=socket_type)
        ours = conn.data_to_send()  # our greeting (3.1) then, once theirs is in, READY
        if minor != 1:
            ours = ours[:11] + bytes((minor,)) + ours[12:]
        self.sock.sendall(ours)
        while conn.phase is not Phase.TRAFFIC:
            data = self.sock.recv(65536)
            assert data, "the socket closed the connection during the handshake"
            self.inbox.extend(conn.receive_data(data))
            if conn.has_output():
                self.sock.sendall(conn.data_to_send())
        self.conn = conn
        return conn

    def flush(self) -> None:
        assert self.conn is not None
        if self.conn.has_output():
            self.sock.sendall(self.conn.data_to_send())

    def next_event(self, kind: type, timeout: float = 3.0) -> Any:
        """The next codec event of `kind` the socket sends us (others kept aside)."""
        assert self.conn is not None
        deadline = time.monotonic() + timeout
        while True:
            for i, ev in enumerate(self.inbox):
                if isinstance(ev, kind):
                    del self.inbox[i]
                    return ev
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {kind.__name__} from the socket in {timeout}s")
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except pysocket.timeout:
                continue
            assert data, "the socket closed the connection"
            self.inbox.extend(self.conn.receive_data(data))

    def dropped(self, timeout: float = 3.0) -> bool:
        """True once the socket closes the connection (False: still open)."""
        self.sock.settimeout(timeout)
        try:
            while self.sock.recv(65536):
                pass
            return True
        except (ConnectionResetError, BrokenPipeError):
            return True
        except pysocket.timeout:
            return False

    def close(self) -> None:
        self.sock.close()


def through_raw(
    kind: str, lib: Any, sock: Any, raw: RawPeer, tag: bytes, legacy: bool = False
) -> None:
    """One real message over the raw peer's (handshaken) connection, in
    whichever direction the socket type allows; the socket's user sees it
    and nothing else. `legacy`: the raw peer announced ZMTP 3.0, so it
    subscribes with a message rather than a command."""
    assert raw.conn is not None

    def subscribe() -> None:
        assert raw.conn is not None
        if legacy:
            raw.conn.send_message([b"\x01"])
        else:
            raw.conn.send_subscribe(b"")
        raw.flush()

    if kind in ("PULL", "PAIR", "DEALER", "SUB", "XSUB"):
        raw.conn.send_message([tag])
        raw.flush()
        assert sock.recv() == tag
    elif kind == "ROUTER":
        raw.conn.send_message([tag])
        raw.flush()
        assert sock.recv_multipart()[1:] == [tag]
    elif kind == "REP":
        raw.conn.send_message([b"", tag])
        raw.flush()
        assert sock.recv() == tag
        sock.send(b"re:" + tag)
        assert list(raw.next_event(Message)) == [b"", b"re:" + tag]
    elif kind == "XPUB":
        subscribe()
        first = sock.recv()
        while first == b"\x00":  # an earlier good SUB's unsubscribe
            first = sock.recv()
        assert first == b"\x01"
        sock.send(tag)
        assert list(raw.next_event(Message)) == [tag]
    elif kind == "PUB":
        subscribe()
        deadline = time.monotonic() + 3
        while True:  # the subscription reaches the PUB some time after we send it
            sock.send(tag)
            try:
                assert list(raw.next_event(Message, timeout=0.05)) == [tag]
                return
            except AssertionError:
                if time.monotonic() > deadline:
                    raise
    elif kind == "PUSH":
        sock.send(tag)
        assert list(raw.next_event(Message)) == [tag]
    elif kind == "REQ":
        sock.send(tag)
        assert list(raw.next_event(Message)) == [b"", tag]
        raw.conn.send_message([b"", b"re:" + tag])
        raw.flush()
        assert sock.recv() == b"re:" + tag
    else:  # pragma: no cover
        raise AssertionError(kind)


def setup_socket(lib: Any, ctx: Any, kind: str, maxmsgsize: int = -1) -> tuple[Any, int]:
    """The socket under test, bound to a random tcp port."""
    sock = ctx.socket(getattr(lib, kind))
    sock.setsockopt(lib.MAXMSGSIZE, maxmsgsize)
    sock.setsockopt(lib.LINGER, 0)
    sock.setsockopt(lib.RCVTIMEO, 3000)
    sock.setsockopt(lib.SNDTIMEO, 3000)
    sock.setsockopt(lib.HANDSHAKE_IVL, 200)
    if kind == "SUB":
        sock.setsockopt(lib.SUBSCRIBE, b"")
    port = sock.bind_to_random_port("tcp://127.0.0.1")
    if kind == "XSUB":
        sock.send(b"\x01")
    return sock, port


def good_round_trip(lib: Any, ctx: Any, kind: str, sock: Any, port: int, tag: bytes) -> None:
    """A well-behaved peer of the right type connects, a real message goes
    each way the pattern allows, the peer closes."""
    peer = ctx.socket(getattr(lib, PEER_TYPE[kind]))
    peer.setsockopt(lib.LINGER, 0)
    peer.setsockopt(lib.RCVTIMEO, 3000)
    peer.setsockopt(lib.SNDTIMEO, 3000)
    if PEER_TYPE[kind] == "SUB":
        peer.setsockopt(lib.SUBSCRIBE, b"")
    try:
        peer.connect(f"tcp://127.0.0.1:{port}")
        if kind in ("PULL",):
            peer.send(tag)
            assert sock.recv() == tag
        elif kind == "PUSH":
            sock.send(tag)
            assert peer.recv() == tag
        elif kind in ("PAIR", "DEALER"):
            peer.send(tag)
            assert sock.recv() == tag
            sock.send(b"re:" + tag)
            assert peer.recv() == b"re:" + tag
        elif kind == "ROUTER":
            peer.send(tag)
            ident, body = sock.recv_multipart()
            assert body == tag
            sock.send_multipart([ident, b"re:" + tag])
            assert peer.recv() == b"re:" + tag
        elif kind == "REP":
            peer.send(tag)
            assert sock.recv() == tag
            sock.send(b"re:" + tag)
            assert peer.recv() == b"re:" + tag
        elif kind == "REQ":
            sock.send(tag)
            assert peer.recv() == tag
            peer.send(b"re:" + tag)
            assert sock.recv() == b"re:" + tag
        elif kind == "XPUB":
            first = sock.recv()
            while first == b"\x00":  # an earlier good SUB's unsubscribe
                first = sock.recv()
            assert first == b"\x01"
            sock.send(tag)
            assert peer.recv() == tag
        elif kind in ("PUB", "SUB", "XSUB"):
            sender, receiver = (sock, peer) if kind == "PUB" else (peer, sock)
            deadline = time.monotonic() + 3
            while True:  # subscriptions propagate asynchronously
                sender.send(tag)
                if receiver.poll(20):
                    assert receiver.recv() == tag
                    break
                assert time.monotonic() < deadline, "no message through the subscription"
        else:  # pragma: no cover
            raise AssertionError(kind)
    finally:
        peer.close(0)


def drain_extra(lib: Any, kind: str, sock: Any) -> list[Any]:
    """Whatever the user could still receive (should be nothing but the
    XPUB's unsubscribe from a departed good SUB)."""
    if kind in ("PUB", "PUSH", "REQ"):
        return []
    out = []
    while sock.poll(0):
        out.append(sock.recv_multipart(lib.NOBLOCK))
    if kind == "XPUB":
        out = [m for m in out if m not in ([b"\x00"], [b"\x01"])]
    return out
