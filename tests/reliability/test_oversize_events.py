"""What the monitor says when a peer announces a frame larger than the socket
accepts, as libzmq says it: only DISCONNECTED (its decoder fails with
EMSGSIZE), during the handshake as after it. Same assertions against
purezmq and libzmq (pyzmq)."""

from __future__ import annotations

import socket as pysocket
import struct
import time
from typing import Any

from purezmq.zmtp import Connection, Phase

_EVENT = struct.Struct("=HI")
_GREETING_NULL = b"\xff" + b"\0" * 8 + b"\x7f" + b"\x03\x01" + b"NULL".ljust(20, b"\0") + b"\0" * 32


def _server(lib: Any) -> tuple[Any, Any, int]:
    pull = lib.test_ctx.socket(lib.PULL)
    pull.linger = 0
    pull.maxmsgsize = 1000
    monitor = pull.get_monitor_socket()
    port = pull.bind_to_random_port("tcp://127.0.0.1")
    return pull, monitor, port


def _events_until_disconnected(lib: Any, monitor: Any) -> list[int]:
    seen = []
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if monitor.poll(20):
            event = _EVENT.unpack(monitor.recv_multipart()[0][:6])[0]
            seen.append(event)
            if event == lib.EVENT_DISCONNECTED:
                return seen
    raise AssertionError(f"no DISCONNECTED; saw {seen}")


_FAILED = ("EVENT_HANDSHAKE_FAILED_PROTOCOL", "EVENT_HANDSHAKE_FAILED_NO_DETAIL")


def test_oversized_command_during_the_handshake(lib: Any) -> None:
    pull, monitor, port = _server(lib)
    raw = pysocket.create_connection(("127.0.0.1", port), timeout=5)
    raw.sendall(_GREETING_NULL + bytes([0x06]) + struct.pack(">Q", 1 << 63))
    events = _events_until_disconnected(lib, monitor)
    assert not [e for e in events if e in {getattr(lib, name) for name in _FAILED}]
    raw.close()
    monitor.close()
    pull.close()


def test_oversized_message_after_the_handshake(lib: Any) -> None:
    pull, monitor, port = _server(lib)
    raw = pysocket.create_connection(("127.0.0.1", port), timeout=5)
    conn = Connection(socket_type="PUSH")
    raw.sendall(conn.data_to_send())
    while conn.phase is not Phase.TRAFFIC:
        conn.receive_data(raw.recv(4096))
        if conn.has_output():
            raw.sendall(conn.data_to_send())
    raw.sendall(bytes([0x02]) + struct.pack(">Q", 5000))  # over MAXMSGSIZE 1000
    events = _events_until_disconnected(lib, monitor)
    assert lib.EVENT_HANDSHAKE_SUCCEEDED in events
    assert not [e for e in events if e in {getattr(lib, name) for name in _FAILED}]
    raw.close()
    monitor.close()
    pull.close()
