"""Capture ZMTP byte vectors from real libzmq peers (through pyzmq).

Run once, from the repository root::

    python3 spec/vectors/capture.py            # writes spec/vectors/libzmq.json

Each scenario puts a pyzmq socket on one end of a TCP connection on
127.0.0.1 and a hand-written raw peer (plain `socket`, greeting and READY
built byte by byte below, *not* with purezmq) on the other. The raw peer
records every byte libzmq sends, split into the greeting and frames, so the
vectors say what libzmq really puts on the wire, independently of our codec.

Only pyzmq is needed (plus `zmq.auth.thread` for the PLAIN server, which needs
a ZAP handler in libzmq 4.3). Every blocking call has a timeout; every context
is destroyed with linger 0.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import socket
import struct
import sys
import time

import zmq
from zmq.auth.thread import ThreadAuthenticator

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "libzmq.json")
TIMEOUT = 3.0


# ----------------------------------------------------------------------
# A raw ZMTP peer, written without purezmq
# ----------------------------------------------------------------------


def greeting(mechanism: bytes = b"NULL", as_server: bool = False, minor: int = 1) -> bytes:
    return (
        b"\xff"
        + bytes(8)
        + b"\x7f"
        + bytes((3, minor))
        + mechanism.ljust(20, b"\x00")
        + bytes((int(as_server),))
        + bytes(31)
    )


def command(name: bytes, data: bytes = b"") -> bytes:
    body = bytes((len(name),)) + name + data
    if len(body) < 256:
        return bytes((0x04, len(body))) + body
    return b"\x06" + struct.pack(">Q", len(body)) + body


def metadata(**props: bytes) -> bytes:
    out = b""
    for name, value in props.items():
        raw = name.replace("_", "-").encode()
        out += bytes((len(raw),)) + raw + struct.pack(">I", len(value)) + value
    return out


def ready(socket_type: bytes) -> bytes:
    return command(b"READY", metadata(Socket_Type=socket_type))


class RawPeer:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.sock.settimeout(TIMEOUT)
        self.buf = b""
        self.eof = False

    def _fill(self, timeout: float) -> bool:
        self.sock.settimeout(timeout)
        try:
            chunk = self.sock.recv(1 << 20)
        except socket.timeout:
            return False
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            self.eof = True
            return False
        self.buf += chunk
        return True

    def read_exact(self, n: int, timeout: float = TIMEOUT) -> bytes:
        deadline = time.monotonic() + timeout
        while len(self.buf) < n:
            left = deadline - time.monotonic()
            if left <= 0 or self.eof:
                raise TimeoutError(f"wanted {n} bytes, have {len(self.buf)} (eof={self.eof})")
            self._fill(left)
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_greeting(self) -> bytes:
        return self.read_exact(64)

    def read_frame(self, timeout: float = TIMEOUT) -> bytes:
        """One whole frame, raw (flags, size and body)."""
        head = self.read_exact(2, timeout)
        if head[0] & 0x02:
            rest = self.read_exact(7, timeout)
            size = struct.unpack(">Q", head[1:] + rest)[0]
            head += rest
        else:
            size = head[1]
        return head + self.read_exact(size, timeout)

    def read_message(self, timeout: float = TIMEOUT) -> list[bytes]:
        frames = [self.read_frame(timeout)]
        while frames[-1][0] & 0x01:
            frames.append(self.read_frame(timeout))
        return frames

    def wait_eof(self, timeout: float = 1.0) -> bool:
        deadline = time.monotonic() + timeout
        while not self.eof and time.monotonic() < deadline:
            self._fill(deadline - time.monotonic())
        return self.eof

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def close(self) -> None:
        self.sock.close()


class Scenario:
    """A pyzmq context plus a raw listener (or raw connecter)."""

    def __init__(self) -> None:
        self.ctx = zmq.Context()
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(1)
        self.listener.settimeout(TIMEOUT)
        self.port = self.listener.getsockname()[1]
        self.peers: list[RawPeer] = []

    def zsocket(self, kind: int, **opts: object) -> zmq.Socket:
        s = self.ctx.socket(kind)
        s.linger = 0
        s.rcvtimeo = int(TIMEOUT * 1000)
        s.sndtimeo = int(TIMEOUT * 1000)
        for k, v in opts.items():
            setattr(s, k, v)
        return s

    def accept_from(self, zsock: zmq.Socket) -> RawPeer:
        zsock.connect(f"tcp://127.0.0.1:{self.port}")
        conn, _ = self.listener.accept()
        peer = RawPeer(conn)
        self.peers.append(peer)
        return peer

    def connect_to(self, zsock: zmq.Socket) -> RawPeer:
        port = zsock.bind_to_random_port("tcp://127.0.0.1")
        peer = RawPeer(socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT))
        self.peers.append(peer)
        return peer

    def close(self) -> None:
        for p in self.peers:
            p.close()
        self.listener.close()
        self.ctx.destroy(linger=0)


def null_handshake(peer: RawPeer, our_type: bytes, minor: int = 1) -> tuple[bytes, bytes]:
    peer.send(greeting(minor=minor) + ready(our_type))
    g = peer.read_greeting()
    r = peer.read_frame()
    return g, r


# ----------------------------------------------------------------------
# Scenarios
# ----------------------------------------------------------------------

V: dict[str, dict[str, object]] = {}


def record(name: str, data: bytes, description: str, **extra: object) -> None:
    V[name] = {"hex": data.hex(), "description": description, **extra}


# fmt: off
PEER_OF = {
    "REQ": "ROUTER", "REP": "DEALER", "DEALER": "ROUTER", "ROUTER": "DEALER",
    "PUB": "SUB", "SUB": "PUB", "XPUB": "SUB", "XSUB": "PUB",
    "PUSH": "PULL", "PULL": "PUSH", "PAIR": "PAIR",
}
# fmt: on


def capture_ready_per_type() -> None:
    for name, ours in PEER_OF.items():
        sc = Scenario()
        try:
            z = sc.zsocket(getattr(zmq, name))
            peer = sc.accept_from(z)
            g, r = null_handshake(peer, ours.encode())
            if name == "DEALER":
                record(
                    "greeting_null",
                    g,
                    "libzmq greeting, NULL mechanism, no routing id "
                    "(padding is identity_size+1 = 1, big-endian; byte 9 = 0x7F)",
                )
            record(
                f"ready_{name}",
                r,
                f"READY command sent by a pyzmq {name} socket "
                f"(NULL mechanism, no routing id) to a {ours} peer",
            )
        finally:
            sc.close()


def capture_identity() -> None:
    sc = Scenario()
    try:
        z = sc.zsocket(zmq.DEALER, routing_id=b"peer-1")
        peer = sc.accept_from(z)
        g, r = null_handshake(peer, b"ROUTER")
        record(
            "greeting_null_identity6",
            g,
            "libzmq greeting from a DEALER with a 6-byte "
            "routing id: the padding holds 7 (identity_size + 1), not zeros",
        )
        record(
            "ready_DEALER_identity",
            r,
            "READY from a pyzmq DEALER with routing_id b'peer-1'",
            identity="peer-1",
        )
    finally:
        sc.close()


MULTIPART = [b"", b"a" * 255, b"b" * 256, b"end"]


def capture_frames() -> None:
    sc = Scenario()
    try:
        z = sc.zsocket(zmq.DEALER)
        peer = sc.accept_from(z)
        null_handshake(peer, b"ROUTER")
        z.send_multipart(MULTIPART)
        frames = peer.read_message()
        record(
            "message_multipart",
            b"".join(frames),
            "a pyzmq DEALER sending [b'', b'a'*255, b'b'*256, b'end']: empty frame, "
            "the last short frame (255), the first long frame (256, LONG flag, 8-byte size)",
            frames=[f.hex() for f in frames],
            message=[p.hex() for p in MULTIPART],
        )
        big = b"Z" * 70000
        z.send(big)
        f = peer.read_frame()
        assert f[9:] == big
        record(
            "frame_long_header_70000",
            f[:9],
            "header only of a single 70000-byte frame (body: 70000 x 0x5A) sent by pyzmq",
            body_byte="5a",
            body_len=70000,
        )
        # We send PING with a 16-byte context, then one with 20 bytes.
        ctx16 = b"0123456789abcdef"
        peer.send(command(b"PING", struct.pack(">H", 0) + ctx16))
        record(
            "pong_context16",
            peer.read_frame(),
            "libzmq's PONG answering our PING "
            "(ttl 0, 16-byte context b'0123456789abcdef'): the context is echoed",
            context=ctx16.hex(),
        )
        peer.send(command(b"PING", struct.pack(">H", 5)))
        record("pong_empty", peer.read_frame(), "libzmq's PONG to a PING without context")
        # An unknown command is ignored; the connection carries on.
        peer.send(command(b"FOOBAR", b"xyz") + b"\x00\x02ok")
        record(
            "message_after_unknown",
            b"\x00\x02ok",
            "we sent FOOBAR then a message; "
            "libzmq delivered the message, so unknown commands are ignored",
            delivered=z.recv_multipart() == [b"ok"],
        )
    finally:
        sc.close()


def capture_pubsub() -> None:
    for minor in (1, 0):
        sc = Scenario()
        try:
            z = sc.zsocket(zmq.SUB)
            peer = sc.accept_from(z)
            null_handshake(peer, b"PUB", minor=minor)
            z.subscribe(b"topic")
            sub = peer.read_frame()
            z.unsubscribe(b"topic")
            cancel = peer.read_frame()
            if minor == 1:
                record(
                    "subscribe_command",
                    sub,
                    "SUBSCRIBE b'topic' from a pyzmq SUB to a 3.1 peer: a command",
                )
                record(
                    "cancel_command",
                    cancel,
                    "CANCEL b'topic' from a pyzmq SUB to a 3.1 peer: a command",
                )
            else:
                record(
                    "subscribe_message_3_0",
                    sub,
                    "subscription b'topic' from a pyzmq SUB "
                    "to a peer that announced ZMTP 3.0: a \\x01-prefixed message",
                )
                record(
                    "cancel_message_3_0",
                    cancel,
                    "unsubscription b'topic' from a pyzmq "
                    "SUB to a ZMTP 3.0 peer: a \\x00-prefixed message",
                )
        finally:
            sc.close()
    # libzmq's PUB accepts both forms from a 3.1 peer.
    sc = Scenario()
    try:
        z = sc.zsocket(zmq.PUB)
        peer = sc.accept_from(z)
        null_handshake(peer, b"SUB")
        peer.send(command(b"SUBSCRIBE", b"a") + b"\x00\x02\x01b")
        time.sleep(0.2)
        for t in (b"a1", b"b1", b"c1"):
            z.send(t)
        got = [peer.read_frame()[2:] for _ in range(2)]
        V["pub_accepts_both_forms"] = {
            "description": "a pyzmq PUB given SUBSCRIBE 'a' as a command and '\\x01b' as a "
            "message by a 3.1 peer, then sent a1, b1, c1: it forwarded these",
            "received": [g.decode() for g in got],
        }
    finally:
        sc.close()


def capture_heartbeat() -> None:
    sc = Scenario()
    try:
        z = sc.zsocket(zmq.DEALER, heartbeat_ivl=100, heartbeat_ttl=2000)
        peer = sc.accept_from(z)
        null_handshake(peer, b"ROUTER")
        record(
            "ping_ttl20",
            peer.read_frame(),
            "PING from a pyzmq DEALER with "
            "HEARTBEAT_IVL=100 ms, HEARTBEAT_TTL=2000 ms: TTL 20 deciseconds, no context",
        )
    finally:
        sc.close()


def capture_plain() -> None:
    # pyzmq PLAIN client -> raw PLAIN server.
    sc = Scenario()
    try:
        z = sc.zsocket(zmq.DEALER, plain_username=b"admin", plain_password=b"secret")
        peer = sc.accept_from(z)
        peer.send(greeting(b"PLAIN", as_server=True))
        record("greeting_plain_client", peer.read_greeting(), "libzmq greeting of a PLAIN client")
        record(
            "plain_hello",
            peer.read_frame(),
            "HELLO from a pyzmq PLAIN client, username b'admin', password b'secret'",
        )
        peer.send(command(b"WELCOME"))
        record(
            "plain_initiate_DEALER",
            peer.read_frame(),
            "INITIATE (metadata) from a pyzmq PLAIN DEALER after WELCOME",
        )
        peer.send(command(b"READY", metadata(Socket_Type=b"ROUTER")))
        z.send(b"hi")
        record(
            "plain_first_message",
            peer.read_frame(),
            "after READY the PLAIN client sends plain message frames",
        )
    finally:
        sc.close()
    # raw PLAIN client -> pyzmq PLAIN server (with a ZAP handler).
    for password, tag in ((b"secret", "ok"), (b"wrong", "refused")):
        sc = Scenario()
        auth = ThreadAuthenticator(sc.ctx)
        auth.start()
        auth.configure_plain(domain="*", passwords={"admin": "secret"})
        try:
            z = sc.zsocket(zmq.ROUTER, plain_server=True)
            peer = sc.connect_to(z)
            u = b"admin"
            peer.send(
                greeting(b"PLAIN")
                + command(b"HELLO", bytes((len(u),)) + u + bytes((len(password),)) + password)
            )
            g = peer.read_greeting()
            reply = peer.read_frame()
            if tag == "ok":
                record(
                    "greeting_plain_server",
                    g,
                    "libzmq greeting of a PLAIN server: "
                    "the as-server byte (32) is 0 all the same; libzmq never sets it and "
                    "takes the role from its own options",
                )
                record("plain_welcome", reply, "WELCOME from a pyzmq PLAIN server (ZAP said 200)")
                peer.send(command(b"INITIATE", metadata(Socket_Type=b"DEALER", Identity=b"")))
                record(
                    "plain_ready_ROUTER",
                    peer.read_frame(),
                    "READY from a pyzmq PLAIN ROUTER after our INITIATE",
                )
            else:
                record(
                    "plain_error_400",
                    reply,
                    "ERROR from a pyzmq PLAIN server whose ZAP "
                    "handler refused the password. libzmq 4.3 spells the name \\x05ERROR in C, "
                    "a hex escape that eats the E: the body is \\x5eRROR + status "
                    "(5 name bytes, no length prefix), not \\x05ERROR",
                    eof_after=peer.wait_eof(),
                )
        finally:
            auth.stop()
            sc.close()


def capture_refusals() -> None:
    # Socket-type mismatch: we claim PUSH to a pyzmq PUSH.
    sc = Scenario()
    try:
        z = sc.zsocket(zmq.PUSH)
        peer = sc.accept_from(z)
        peer.send(greeting() + ready(b"PUSH"))
        eof = peer.wait_eof()
        V["socket_type_mismatch"] = {
            "description": "we sent greeting + READY(Socket-Type PUSH) at once to a pyzmq "
            "PUSH: libzmq closed the connection without an ERROR command (often before even "
            "finishing its own greeting); these are all the bytes it sent",
            "sent_hex": peer.buf.hex(),
            "eof": eof,
        }
    finally:
        sc.close()
    # Mechanism mismatch: we announce PLAIN to a NULL socket.
    sc = Scenario()
    try:
        z = sc.zsocket(zmq.DEALER)
        peer = sc.accept_from(z)
        peer.send(greeting(b"PLAIN"))
        eof = peer.wait_eof()
        V["mechanism_mismatch"] = {
            "description": "we sent a whole PLAIN greeting at once to a NULL pyzmq DEALER: "
            "libzmq closed without an ERROR command (often before finishing its own "
            "greeting); these are all the bytes it sent",
            "sent_hex": peer.buf.hex(),
            "eof": eof,
        }
    finally:
        sc.close()
    # Incremental greeting: what libzmq sends before it sees our signature.
    sc = Scenario()
    try:
        z = sc.zsocket(zmq.DEALER)
        peer = sc.accept_from(z)
        first = peer.read_exact(10)
        time.sleep(0.2)
        peer._fill(0.2)
        extra_before = peer.buf
        peer.buf = b""
        peer.send(greeting()[:10])
        time.sleep(0.2)
        peer._fill(0.5)
        after_sig = peer.buf
        peer.buf = b""
        peer.send(greeting()[10:11])
        time.sleep(0.2)
        rest = peer.read_exact(64 - 10 - len(extra_before) - len(after_sig))
        V["greeting_incremental"] = {
            "description": "libzmq sends 10 bytes (signature) and waits; after our signature "
            "it sends the major version byte; after our major version the rest (53 bytes)",
            "first_hex": (first + extra_before).hex(),
            "after_our_signature_hex": after_sig.hex(),
            "after_our_major_hex": rest.hex(),
        }
    finally:
        sc.close()


def main() -> None:
    capture_ready_per_type()
    capture_identity()
    capture_frames()
    capture_pubsub()
    capture_heartbeat()
    capture_plain()
    capture_refusals()
    doc = {
        "provenance": {
            "tool": "spec/vectors/capture.py",
            "how": "real pyzmq sockets over TCP on 127.0.0.1, recorded by a raw socket peer "
            "written without purezmq",
            "pyzmq": zmq.__version__,
            "libzmq": zmq.zmq_version(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "captured": datetime.date.today().isoformat(),
        },
        "vectors": dict(sorted(V.items())),
    }
    with open(OUT, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    print(f"wrote {len(V)} vectors to {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
