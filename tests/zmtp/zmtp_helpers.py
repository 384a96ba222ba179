"""Helpers for the sans-IO codec tests: vectors, feeders, raw wire builders, pair().

The raw builders (`greeting`, `frame`, `command`, `metadata`, `ready`) are
written from the RFC text, independently of purezmq, so tests can compare the
codec against them. The module is named zmtp_helpers (not helpers) because the
test directories have no __init__.py and share one import namespace.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import Any, Callable

from purezmq.zmtp import Connection, Phase
from purezmq.zmtp.events import AuthRequest, Message, Ready

VECTORS = Path(__file__).resolve().parents[2] / "spec" / "vectors"


# ----------------------------------------------------------------------
# Vectors
# ----------------------------------------------------------------------


@cache
def vector_file(name: str) -> dict[str, Any]:
    with open(VECTORS / name) as f:
        doc: dict[str, Any] = json.load(f)
    return doc


def libzmq(name: str) -> bytes:
    """Bytes captured from libzmq 4.3.5 (spec/vectors/libzmq.json)."""
    return bytes.fromhex(vector_file("libzmq.json")["vectors"][name]["hex"])


def libzmq_entry(name: str) -> dict[str, Any]:
    entry: dict[str, Any] = vector_file("libzmq.json")["vectors"][name]
    return entry


def rfc(name: str) -> bytes:
    """Bytes transcribed from the RFC text (spec/vectors/rfc.json)."""
    return bytes.fromhex(vector_file("rfc.json")["vectors"][name]["hex"])


# ----------------------------------------------------------------------
# Raw wire, from the RFCs
# ----------------------------------------------------------------------


def greeting(
    mechanism: bytes = b"NULL",
    as_server: bool = False,
    major: int = 3,
    minor: int = 1,
    padding: bytes = bytes(8),
    sig9: int = 0x7F,
) -> bytes:
    return (
        b"\xff"
        + padding
        + bytes((sig9, major, minor))
        + mechanism.ljust(20, b"\x00")
        + bytes((int(as_server),))
        + bytes(31)
    )


def frame(flags: int, body: bytes, long: bool | None = None) -> bytes:
    if long is None:
        long = len(body) > 255
    if long:
        return bytes((flags | 0x02,)) + struct.pack(">Q", len(body)) + body
    return bytes((flags, len(body))) + body


def message(frames: Sequence[bytes]) -> bytes:
    last = len(frames) - 1
    return b"".join(frame(0x01 if i < last else 0x00, f) for i, f in enumerate(frames))


def command(name: bytes, data: bytes = b"", long: bool | None = None) -> bytes:
    return frame(0x04, bytes((len(name),)) + name + data, long)


def metadata(props: Iterable[tuple[bytes, bytes]]) -> bytes:
    return b"".join(bytes((len(n),)) + n + struct.pack(">I", len(v)) + v for n, v in props)


def ready(socket_type: bytes, identity: bytes | None = None, **extra: bytes) -> bytes:
    props = [(b"Socket-Type", socket_type)]
    if identity is not None:
        props.append((b"Identity", identity))
    props.extend((k.replace("_", "-").encode(), v) for k, v in extra.items())
    return command(b"READY", metadata(props))


def null_peer(
    socket_type: bytes = b"ROUTER", minor: int = 1, identity: bytes | None = None
) -> bytes:
    """What a NULL peer sends up to and including its READY."""
    return greeting(minor=minor) + ready(socket_type, identity)


# ----------------------------------------------------------------------
# Feeding a Connection
# ----------------------------------------------------------------------


def feed_whole(conn: Connection, data: bytes) -> list[Any]:
    return conn.receive_data(data)


def feed_bytewise(conn: Connection, data: bytes) -> list[Any]:
    events: list[Any] = []
    for i in range(len(data)):
        events += conn.receive_data(data[i : i + 1])
    return events


def feed_chunks(conn: Connection, data: bytes, sizes: Sequence[int]) -> list[Any]:
    """Feed ``data`` in pieces of the given sizes (cycled; sizes >= 1)."""
    events: list[Any] = []
    pos = 0
    i = 0
    while pos < len(data):
        n = sizes[i % len(sizes)] if sizes else len(data)
        events += conn.receive_data(data[pos : pos + n])
        pos += n
        i += 1
    return events


def feed_halves(conn: Connection, data: bytes) -> list[Any]:
    mid = len(data) // 2
    return conn.receive_data(data[:mid]) + conn.receive_data(data[mid:])


FEEDERS: dict[str, Callable[[Connection, bytes], list[Any]]] = {
    "whole": feed_whole,
    "bytewise": feed_bytewise,
    "halves": feed_halves,
}


def traffic_conn(
    socket_type: str = "DEALER",
    peer_type: bytes = b"ROUTER",
    minor: int = 1,
    **kwargs: Any,
) -> Connection:
    """A Connection already in TRAFFIC with a hand-built NULL peer; output drained."""
    conn = Connection(socket_type=socket_type, **kwargs)
    events = conn.receive_data(null_peer(peer_type, minor))
    assert conn.phase is Phase.TRAFFIC, events
    assert isinstance(events[-1], Ready)
    conn.data_to_send()
    return conn


def split_frames(data: bytes) -> list[tuple[int, bytes]]:
    """Parse whole frames (flags, body) out of wire bytes, independently of purezmq."""
    out = []
    pos = 0
    while pos < len(data):
        flags = data[pos]
        if flags & 0x02:
            (size,) = struct.unpack_from(">Q", data, pos + 1)
            pos += 9
        else:
            size = data[pos + 1]
            pos += 2
        out.append((flags, data[pos : pos + size]))
        pos += size
    assert pos == len(data), "trailing partial frame"
    return out


def commands_in(data: bytes) -> list[tuple[bytes, bytes]]:
    """(name, data) of every command frame in wire bytes."""
    out = []
    for flags, body in split_frames(data):
        if flags & 0x04:
            n = body[0]
            out.append((body[1 : 1 + n], body[1 + n :]))
    return out


# ----------------------------------------------------------------------
# Two Connections back to back
# ----------------------------------------------------------------------


def pump(a: Connection, b: Connection, limit: int = 100) -> tuple[list[Any], list[Any]]:
    """Move bytes both ways until neither side has output; return (a_events, b_events).

    A ProtocolError propagates, so tests can assert on it."""
    ea: list[Any] = []
    eb: list[Any] = []
    for _ in range(limit):
        moved = False
        if a.has_output():
            eb += b.receive_data(a.data_to_send())
            moved = True
        if b.has_output():
            ea += a.receive_data(b.data_to_send())
            moved = True
        if not moved:
            return ea, eb
    raise AssertionError("pump did not settle")


def pair(
    client_type: str = "DEALER",
    server_type: str = "ROUTER",
    client_mechanism: Any = None,
    server_mechanism: Any = None,
    verdict: Callable[[AuthRequest], bool] | None = None,
    client_kwargs: dict[str, Any] | None = None,
    server_kwargs: dict[str, Any] | None = None,
) -> tuple[Connection, Connection, list[Any], list[Any]]:
    """Wire a client and a server Connection back to back and run the handshake.

    ``verdict`` answers AuthRequest events on the server (default: accept).
    Returns (client, server, client_events, server_events).
    """
    client = Connection(client_mechanism, socket_type=client_type, **(client_kwargs or {}))
    server = Connection(server_mechanism, socket_type=server_type, **(server_kwargs or {}))
    ce: list[Any] = []
    se: list[Any] = []
    for _ in range(10):
        a, b = pump(client, server)
        ce += a
        se += b
        pending = [e for e in b if isinstance(e, AuthRequest)]
        if not pending:
            break
        for req in pending:
            ok = True if verdict is None else verdict(req)
            server.auth_reply(ok, b"200" if ok else b"400")
    return client, server, ce, se


def messages(events: Iterable[Any]) -> list[list[bytes]]:
    return [list(e) for e in events if isinstance(e, Message)]
