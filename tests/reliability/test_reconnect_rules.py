"""When a connecting socket retries, against libzmq.

libzmq (session_base_t::engine_error) reconnects after a connection error or
a timeout, but not after a protocol error: a peer that broke ZMTP, offered
another mechanism, or refused our credentials would only do it again. The
connect's pipe then closes (queued messages are dropped). Each test runs the
same assertions against purezmq and real pyzmq.
"""

from __future__ import annotations

import socket as pysocket
import struct
from typing import Any

_EVENT = struct.Struct("=HI")
_QUIET = 0.5  # how long "no reconnect" is watched for (RECONNECT_IVL is 20 ms)


def _greeting(mechanism: bytes) -> bytes:
    """A ZMTP 3.0 greeting offering `mechanism`."""
    return b"\xff" + b"\0" * 8 + b"\x7f" + b"\x03\x00" + mechanism.ljust(20, b"\0") + b"\0" * 32


def _serve(lib: Any) -> tuple[Any, Any, Any]:
    """A raw listener, and a monitored PUSH connecting to it: (listener, push, monitor)."""
    server = pysocket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(5)
    push = lib.test_ctx.socket(lib.PUSH)
    push.setsockopt(lib.RECONNECT_IVL, 20)
    push.setsockopt(lib.LINGER, 0)
    monitor = push.get_monitor_socket()
    push.connect(f"tcp://127.0.0.1:{server.getsockname()[1]}")
    return server, push, monitor


def _accepts(server: Any, reply: bytes, keep_open: bool, want: int, quiet: float) -> list[Any]:
    """Accept up to `want` connections; after the first, each must come within
    `quiet` seconds. Answers each with `reply`."""
    conns = []
    server.settimeout(5)
    while len(conns) < want:
        try:
            conn, _ = server.accept()
        except pysocket.timeout:  # TimeoutError from 3.10 on
            break
        conn.sendall(reply)
        if keep_open:
            conns.append(conn)
        else:
            conn.close()
            conns.append(None)
        server.settimeout(quiet)
    return conns


def _events(monitor: Any, timeout: float = 0.2) -> list[int]:
    seen = []
    while monitor.poll(int(timeout * 1000)):
        seen.append(_EVENT.unpack(monitor.recv_multipart()[0][:6])[0])
    return seen


def test_no_reconnect_after_a_mechanism_mismatch(lib: Any) -> None:
    server, push, monitor = _serve(lib)
    conns = _accepts(server, _greeting(b"FOO"), keep_open=True, want=2, quiet=_QUIET)
    events = _events(monitor)
    assert len(conns) == 1  # one connection, no retry within _QUIET
    assert lib.EVENT_HANDSHAKE_FAILED_PROTOCOL in events
    assert lib.EVENT_CONNECT_RETRIED not in events
    for conn in conns:
        conn.close()
    server.close()
    monitor.close()
    push.close()


def test_no_reconnect_after_a_garbage_greeting(lib: Any) -> None:
    server, push, monitor = _serve(lib)
    conns = _accepts(server, b"\0" * 64, keep_open=True, want=2, quiet=_QUIET)
    assert len(conns) == 1
    for conn in conns:
        conn.close()
    server.close()
    monitor.close()
    push.close()


def test_reconnect_after_the_peer_closes_mid_greeting(lib: Any) -> None:
    """A connection error (EOF before the handshake) is retried."""
    server, push, monitor = _serve(lib)
    conns = _accepts(server, b"", keep_open=False, want=3, quiet=5.0)
    assert len(conns) == 3
    server.close()
    monitor.close()
    push.close()
