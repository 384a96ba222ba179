"""Hostile peers against a CURVE server: malformed HELLO, a bad box, a replayed
MESSAGE, an out-of-order nonce. The peer is dropped, the socket keeps serving,
nothing the peer sent after the bad input reaches the user. The same
assertions run against purezmq and libzmq (the `lib` fixture).

The raw peer speaks CURVE through purezmq's sans-IO codec over a plain TCP
socket, so it can replay, reorder or flip bytes of what the codec produced.
"""

from __future__ import annotations

import struct
from typing import Any

import pytest

import purezmq
from purezmq import crypto
from purezmq.zmtp import Connection, Phase
from purezmq.zmtp.errors import (
    ZMTP_CRYPTOGRAPHIC,
    ZMTP_INVALID_SEQUENCE,
    ZMTP_MALFORMED_COMMAND_HELLO,
)
from purezmq.zmtp.mechanisms import CurveClient
from tests.testing import RawPeer, frame, raw_greeting, recv_event, split_frames, watch

SERVER_PUBLIC, SERVER_SECRET = crypto.keypair()
CLIENT_PUBLIC, CLIENT_SECRET = crypto.keypair()


class CurveRawPeer(RawPeer):
    """A raw TCP peer whose handshake is CURVE (as a PUSH client)."""

    def curve_handshake(self, server_key: bytes = SERVER_PUBLIC) -> Connection:
        conn = Connection(CurveClient(server_key, CLIENT_PUBLIC, CLIENT_SECRET), "PUSH")
        self.sock.sendall(conn.data_to_send())
        while conn.phase is not Phase.TRAFFIC:
            data = self.sock.recv(65536)
            assert data, "the server closed the connection during the handshake"
            self.inbox.extend(conn.receive_data(data))
            if conn.has_output():
                self.sock.sendall(conn.data_to_send())
        self.conn = conn
        return conn

    def boxes(self, *msgs: bytes) -> list[bytes]:
        """Each message as its wire bytes (one MESSAGE frame each), unsent."""
        assert self.conn is not None
        for m in msgs:
            self.conn.send_message([m])
        return [frame(f, b) for f, b in split_frames(self.conn.data_to_send())]


def _server(lib: Any) -> tuple[Any, Any, int]:
    sock = lib.test_ctx.socket(lib.PULL)
    sock.setsockopt(lib.LINGER, 0)
    sock.setsockopt(lib.RCVTIMEO, 300)
    sock.setsockopt(lib.HANDSHAKE_IVL, 2000)
    sock.curve_server = 1
    sock.curve_secretkey = SERVER_SECRET
    sock.curve_publickey = SERVER_PUBLIC
    monitor = watch(sock)
    port = sock.bind_to_random_port("tcp://127.0.0.1")
    return sock, monitor, port


def _events_until(monitor: Any, events: Any, timeout: float = 3.0) -> list[tuple[int, int]]:
    """Monitor events up to the first one in `events` (an event or a set)."""
    wanted = events if isinstance(events, set) else {events}
    seen: list[tuple[int, int]] = []
    while True:
        got = recv_event(monitor, timeout)
        assert got is not None, f"none of {wanted} came; saw {seen}"
        seen.append((got[0], got[1]))
        if got[0] in wanted:
            return seen


def _still_serves(lib: Any, sock: Any, port: int) -> None:
    """A well-behaved CURVE client gets a message through afterwards."""
    good = lib.test_ctx.socket(lib.PUSH)
    good.setsockopt(lib.LINGER, 0)
    good.curve_serverkey = SERVER_PUBLIC
    good.curve_publickey, good.curve_secretkey = crypto.keypair()
    good.connect(f"tcp://127.0.0.1:{port}")
    good.send(b"good")
    sock.setsockopt(lib.RCVTIMEO, 3000)
    assert sock.recv() == b"good"
    good.close(0)


def _nothing_more(lib: Any, sock: Any) -> None:
    sock.setsockopt(lib.RCVTIMEO, 200)
    with pytest.raises(lib.Again):
        sock.recv()


def _hello_body(server_key: bytes = SERVER_PUBLIC) -> bytes:
    conn = Connection(CurveClient(server_key, CLIENT_PUBLIC, CLIENT_SECRET), "PUSH")
    conn.data_to_send()
    conn.receive_data(raw_greeting(b"CURVE", as_server=True))
    ((_f, body),) = split_frames(conn.data_to_send())
    return body


def _greeting() -> bytes:
    return Connection(CurveClient(SERVER_PUBLIC, CLIENT_PUBLIC, CLIENT_SECRET)).data_to_send()


HELLOS = {
    "hello_199_bytes": (lambda: frame(0x04, _hello_body()[:-1]), ZMTP_MALFORMED_COMMAND_HELLO),
    "hello_201_bytes": (lambda: frame(0x04, _hello_body() + b"\x00"), ZMTP_MALFORMED_COMMAND_HELLO),
    "hello_version_2_0": (
        lambda: frame(0x04, _hello_body()[:6] + b"\x02\x00" + _hello_body()[8:]),
        ZMTP_MALFORMED_COMMAND_HELLO,
    ),
    "hello_for_another_key": (
        lambda: frame(0x04, _hello_body(crypto.keypair()[0])),
        ZMTP_CRYPTOGRAPHIC,
    ),
}


@pytest.mark.parametrize("case", list(HELLOS))
def test_malformed_hello(lib: Any, case: str) -> None:
    make, code = HELLOS[case]
    sock, monitor, port = _server(lib)
    raw = RawPeer(port)
    raw.send(_greeting() + make())
    seen = _events_until(monitor, lib.EVENT_HANDSHAKE_FAILED_PROTOCOL)
    assert seen[-1] == (lib.EVENT_HANDSHAKE_FAILED_PROTOCOL, code)
    assert raw.dropped()
    raw.close()
    _nothing_more(lib, sock)
    _still_serves(lib, sock, port)
    monitor.close(0)
    sock.close(0)


def _post_handshake(lib: Any, wire: Any) -> tuple[list[bytes], list[tuple[int, int]]]:
    """Handshake a raw CURVE peer, send what `wire(peer)` returns; return what
    the user received and the monitor events up to the one that reports the
    failure (libzmq: HANDSHAKE_FAILED_PROTOCOL; purezmq: DISCONNECTED).

    purezmq always drops the peer. libzmq 4.3.5 reports the failure but, when
    the bad box arrives in the same read as a good one, sometimes leaves the
    TCP connection open (about half the time here, spec/interop.md #19), so
    the drop is asserted for purezmq only; for both, nothing after the bad
    box reaches the user."""
    sock, monitor, port = _server(lib)
    raw = CurveRawPeer(port)
    raw.curve_handshake()
    raw.send(wire(raw))
    seen = _events_until(monitor, {lib.EVENT_DISCONNECTED, lib.EVENT_HANDSHAKE_FAILED_PROTOCOL})
    if lib is purezmq:
        assert raw.dropped()
    raw.close()
    got = []
    while True:
        try:
            got.append(sock.recv())
        except lib.Again:
            break
    _still_serves(lib, sock, port)
    monitor.close(0)
    sock.close(0)
    return got, seen


def _tampered(raw: CurveRawPeer) -> bytes:
    first, second = raw.boxes(b"fine", b"tampered")
    bad = bytearray(second)
    bad[-1] ^= 0x01
    return first + bytes(bad)


def _replayed(raw: CurveRawPeer) -> bytes:
    (box,) = raw.boxes(b"once")
    return box + box


def _reordered(raw: CurveRawPeer) -> bytes:
    a, b = raw.boxes(b"first", b"second")
    return b + a


def _skipped_back(raw: CurveRawPeer) -> bytes:
    """A nonce lower than one already seen, on an otherwise valid box."""
    a, b, c = raw.boxes(b"1", b"2", b"3")
    return a + c + b


POST = {
    "bad_box": (_tampered, [b"fine"], ZMTP_CRYPTOGRAPHIC),
    "replayed_message": (_replayed, [b"once"], ZMTP_INVALID_SEQUENCE),
    "out_of_order_nonce": (_reordered, [b"second"], ZMTP_INVALID_SEQUENCE),
    "nonce_goes_back": (_skipped_back, [b"1", b"3"], ZMTP_INVALID_SEQUENCE),
}


@pytest.mark.parametrize("case", list(POST))
def test_hostile_traffic_is_dropped(lib: Any, case: str) -> None:
    wire, delivered, _code = POST[case]
    got, seen = _post_handshake(lib, wire)
    assert got == delivered  # what came before the bad box, nothing after it


@pytest.mark.parametrize("case", list(POST))
def test_hostile_traffic_monitor_code(lib: Any, case: str) -> None:
    """libzmq reports a bad MESSAGE as HANDSHAKE_FAILED_PROTOCOL with its
    ZMTP code, then DISCONNECTED, even after the handshake."""
    wire, _delivered, code = POST[case]
    _got, seen = _post_handshake(lib, wire)
    assert (lib.EVENT_HANDSHAKE_FAILED_PROTOCOL, code) in seen


def test_garbage_after_handshake_nothing_decrypted_reaches_the_user(lib: Any) -> None:
    def garbage(raw: CurveRawPeer) -> bytes:
        (box,) = raw.boxes(b"real")
        body = b"\x07MESSAGE" + struct.pack(">Q", 99) + bytes(40)
        return box + frame(0, body)

    got, _seen = _post_handshake(lib, garbage)
    assert got == [b"real"]


def test_silent_after_hello_is_dropped_by_handshake_ivl(lib: Any) -> None:
    """A peer that sends HELLO and never INITIATE holds nothing for long."""
    sock, monitor, port = _server(lib)
    sock.setsockopt(lib.HANDSHAKE_IVL, 200)
    raw = RawPeer(port)
    raw.send(_greeting() + frame(0x04, _hello_body()))
    assert raw.dropped(timeout=5.0)
    raw.close()
    _still_serves(lib, sock, port)
    monitor.close(0)
    sock.close(0)
