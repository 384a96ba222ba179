"""A raw TCP peer completes a NULL handshake with a real purezmq socket, then
sends what only a publisher should receive (SUBSCRIBE/CANCEL commands), an
unknown command and a PING between real messages: the application sees the
real messages, in order, and nothing else; the connection stays up.

libzmq 4.3.5 hands such commands to a non-PUB socket's application as
messages holding the raw command body; purezmq drops them (spec/zmtp.md,
"Codec phases and limits").
"""

from __future__ import annotations

import socket as pysocket
from collections.abc import Iterator
from typing import Any

import pytest

import purezmq as zmq
from purezmq.zmtp import Connection, Phase, Pong
from tests.testing import make_socket

# local socket type -> (raw peer's type, frames the peer sends for one message)
CASES: dict[str, tuple[str, list[bytes]]] = {
    "PULL": ("PUSH", []),
    "DEALER": ("DEALER", []),
    "ROUTER": ("DEALER", []),
    "REP": ("REQ", [b""]),  # the REQ envelope delimiter
    "PAIR": ("PAIR", []),
    "XSUB": ("PUB", []),
    "SUB": ("PUB", []),
}


def _handshake(port: int, peer_type: str) -> tuple[pysocket.socket, Connection]:
    raw = pysocket.create_connection(("127.0.0.1", port), timeout=5)
    conn = Connection(socket_type=peer_type)
    raw.sendall(conn.data_to_send())
    while conn.phase is not Phase.TRAFFIC:
        data = raw.recv(4096)
        assert data, "purezmq closed the connection during the handshake"
        conn.receive_data(data)
        if conn.has_output():
            raw.sendall(conn.data_to_send())
    return raw, conn


def _hostile(conn: Connection) -> None:
    conn.send_command(b"SUBSCRIBE", b"topic")
    conn.send_command(b"CANCEL", b"topic")
    conn.send_command(b"SUBSCRIBE", b"")
    conn.send_command(b"JOIN", b"group")  # unknown to ZMTP 3.1 sockets
    conn.send_ping(10, b"ctx")


@pytest.fixture
def raw_peers() -> Iterator[list[pysocket.socket]]:
    made: list[pysocket.socket] = []
    yield made
    for raw in made:
        raw.close()


@pytest.mark.parametrize("kind", sorted(CASES))
def test_subscription_commands_never_reach_the_application(
    ctx: zmq.Context, kind: str, raw_peers: list[pysocket.socket]
) -> None:
    peer_type, envelope = CASES[kind]
    sock = make_socket(ctx, getattr(zmq, kind))
    try:
        if kind == "SUB":
            sock.setsockopt(zmq.SUBSCRIBE, b"")
        port = sock.bind_to_random_port("tcp://127.0.0.1")
        raw, conn = _handshake(port, peer_type)
        raw_peers.append(raw)
        _hostile(conn)
        conn.send_message([*envelope, b"first"])
        _hostile(conn)
        conn.send_message([*envelope, b"second", b"part"])
        raw.sendall(conn.data_to_send())

        got = []
        for _ in range(2):
            got.append(_payload(kind, sock.recv_multipart()))
            if kind == "REP":
                sock.send(b"reply")  # REP answers before it reads again
        assert got == [[b"first"], [b"second", b"part"]]
        with pytest.raises(zmq.Again):
            sock.recv_multipart(zmq.NOBLOCK)
        _assert_pong(raw, conn)
    finally:
        sock.close(0)


def _payload(kind: str, frames: list[Any]) -> list[bytes]:
    if kind == "ROUTER":
        assert len(frames[0]) == 5 and frames[0][0] == 0  # a generated routing id
        return list(frames[1:])
    return list(frames)


def _assert_pong(raw: pysocket.socket, conn: Connection) -> None:
    """The connection is still up: both PINGs get their PONG back."""
    pongs = 0
    while pongs < 2:
        data = raw.recv(4096)
        assert data, "purezmq dropped the connection"
        pongs += sum(isinstance(e, Pong) for e in conn.receive_data(data))
    assert conn.phase is Phase.TRAFFIC
