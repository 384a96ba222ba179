"""A misbehaving peer costs its own connection, never the socket, the other
peers, the I/O thread or the process; the monitor says what happened."""

from __future__ import annotations

import socket as pysocket
import threading
from typing import Any

import pytest

import purezmq as zmq
from purezmq.zmtp import Connection, Phase
from purezmq.zmtp.errors import ZMTP_INVALID_METADATA
from tests.testing import make_socket, wait_for_event


def _raw(port: int) -> pysocket.socket:
    return pysocket.create_connection(("127.0.0.1", port), timeout=5)


def _handshake(raw: pysocket.socket, socket_type: str = "PUSH") -> Connection:
    conn = Connection(socket_type=socket_type)
    raw.sendall(conn.data_to_send())
    while conn.phase is not Phase.TRAFFIC:
        data = raw.recv(4096)
        assert data, "peer closed during handshake"
        conn.receive_data(data)
        if conn.has_output():
            raw.sendall(conn.data_to_send())
    return conn


def _closed_by_peer(raw: pysocket.socket, timeout: float = 5.0) -> bool:
    raw.settimeout(timeout)
    try:
        while True:
            data = raw.recv(65536)
            if not data:
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except pysocket.timeout:
        return False


@pytest.fixture
def pull(ctx: zmq.Context) -> Any:
    sock = make_socket(ctx, zmq.PULL)
    yield sock
    sock.close(0)


def _port(sock: Any) -> int:
    return sock.bind_to_random_port("tcp://127.0.0.1")


def _healthy(ctx: zmq.Context, pull: Any, port: int) -> None:
    """A well-behaved peer still gets through after the bad one."""
    good = make_socket(ctx, zmq.PUSH)
    good.connect(f"tcp://127.0.0.1:{port}")
    good.send(b"still works")
    assert pull.recv() == b"still works"
    good.close(0)


def test_garbage_greeting(ctx: zmq.Context, pull: Any) -> None:
    monitor = pull.get_monitor_socket()
    port = _port(pull)
    raw = _raw(port)
    raw.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert _closed_by_peer(raw)
    events = wait_for_event(monitor, zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL)
    assert events[-1][1] == zmq.PROTOCOL_ERROR_ZMTP_UNSPECIFIED
    raw.close()
    _healthy(ctx, pull, port)
    monitor.close(0)


def test_zmtp2_peer_refused_at_version_byte(ctx: zmq.Context, pull: Any) -> None:
    port = _port(pull)
    raw = _raw(port)
    raw.sendall(b"\xff" + bytes(8) + b"\x7f" + b"\x01")  # 11 bytes, version 1
    assert _closed_by_peer(raw)  # no wait for 64 bytes that never come
    raw.close()
    _healthy(ctx, pull, port)


def test_wrong_socket_type(ctx: zmq.Context, pull: Any) -> None:
    monitor = pull.get_monitor_socket()
    port = _port(pull)
    raw = _raw(port)
    conn = Connection(socket_type="PUB", check_socket_type=False)  # PUB cannot talk to PULL
    raw.sendall(conn.data_to_send())
    conn.receive_data(raw.recv(4096))  # their greeting (and maybe READY): we send READY
    raw.sendall(conn.data_to_send())
    assert _closed_by_peer(raw)
    events = wait_for_event(monitor, zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL)
    assert events[-1][1] == ZMTP_INVALID_METADATA
    raw.close()
    _healthy(ctx, pull, port)
    monitor.close(0)


def test_oversize_message_drops_connection_keeps_earlier_ones(ctx: zmq.Context, pull: Any) -> None:
    pull.setsockopt(zmq.MAXMSGSIZE, 1000)
    port = _port(pull)
    raw = _raw(port)
    conn = _handshake(raw)
    conn.send_message([b"fine"])
    conn.send_message([b"x" * 5000])
    raw.sendall(conn.data_to_send())
    assert pull.recv() == b"fine"  # delivered before the bad frame: not lost
    assert _closed_by_peer(raw)
    raw.close()
    _healthy(ctx, pull, port)


def test_peer_vanishes_mid_frame(ctx: zmq.Context, pull: Any) -> None:
    port = _port(pull)
    raw = _raw(port)
    conn = _handshake(raw)
    conn.send_message([b"whole"])
    conn.send_message([b"part", b"y" * 100000])
    wire = conn.data_to_send()
    raw.sendall(wire[: len(wire) - 50000])
    raw.close()
    assert pull.recv() == b"whole"
    with pytest.raises(zmq.Again):
        pull.recv(zmq.NOBLOCK)  # the half message never shows up
    _healthy(ctx, pull, port)


def test_garbage_after_handshake(ctx: zmq.Context, pull: Any) -> None:
    port = _port(pull)
    raw = _raw(port)
    _handshake(raw)
    raw.sendall(b"\x04\x05\xffJUNK")  # command frame whose name runs past its end
    assert _closed_by_peer(raw)
    raw.close()
    _healthy(ctx, pull, port)


def test_many_bad_peers_at_once(ctx: zmq.Context, pull: Any) -> None:
    port = _port(pull)

    def attack(i: int) -> None:
        try:
            raw = _raw(port)
            raw.sendall(bytes([i % 256]) * 100)
            raw.close()
        except OSError:
            pass

    threads = [threading.Thread(target=attack, args=(i,)) for i in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    _healthy(ctx, pull, port)


def test_handshake_timeout(ctx: zmq.Context, pull: Any) -> None:
    pull.setsockopt(zmq.HANDSHAKE_IVL, 100)
    monitor = pull.get_monitor_socket()
    port = _port(pull)
    raw = _raw(port)  # connects and says nothing
    assert _closed_by_peer(raw, timeout=3)
    wait_for_event(monitor, zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL)
    raw.close()
    monitor.close(0)


def test_oversize_message_in_the_handshakes_last_read_keeps_earlier_ones(
    ctx: zmq.Context, pull: Any
) -> None:
    """READY, a good message and an oversize frame arrive in one read: the
    handshake completes, the good message is delivered, then the peer goes."""
    pull.setsockopt(zmq.MAXMSGSIZE, 1000)
    port = _port(pull)
    raw = _raw(port)
    conn = Connection(socket_type="PUSH")
    greeting = b""
    while len(greeting) < 64:  # the server's greeting; it waits for ours
        data = raw.recv(64 - len(greeting))
        assert data, "peer closed during handshake"
        greeting += data
    conn.receive_data(greeting)
    wire = conn.data_to_send()  # our greeting and READY
    wire += b"\x00\x04fine" + b"\x02" + (5000).to_bytes(8, "big") + b"x" * 5000
    raw.sendall(wire)
    assert pull.recv() == b"fine"
    assert _closed_by_peer(raw)
    raw.close()
    _healthy(ctx, pull, port)
