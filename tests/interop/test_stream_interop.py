"""STREAM sockets across libraries: purezmq against pyzmq 27 (libzmq 4.3.5).

* A purezmq STREAM and a libzmq STREAM talk to each other, either side
  binding, over tcp and ipc: both see the other's connection announced,
  raw bytes go both ways, closes are announced.
* A STREAM of either library speaks ZMTP by hand to a libzmq DEALER: the
  bytes it writes reach the wire untouched and the DEALER's bytes come back
  as they were read (the same assertions for both libraries).

Plain-socket peers are in tests/patterns/test_stream.py.
"""

from __future__ import annotations

import os
import struct
import time
from collections.abc import Iterator
from typing import Any

import pytest

import purezmq
from tests.testing import make_socket

zmq = pytest.importorskip("zmq")

TIMEOUT = 5.0


@pytest.fixture
def pair(ctx: Any, pyctx: Any) -> Iterator[dict[str, Any]]:
    """One STREAM socket of each library, closed before the contexts go."""
    sockets = {"pz": make_socket(ctx, purezmq.STREAM), "py": make_socket(pyctx, zmq.STREAM)}
    yield sockets
    for sock in sockets.values():
        sock.close(linger=0)


def _endpoint(binder: Any, transport: str, ipc_dir: str) -> str:
    if transport == "tcp":
        return f"tcp://127.0.0.1:{binder.bind_to_random_port('tcp://127.0.0.1')}"
    addr = "ipc://" + os.path.join(ipc_dir, f"stream-{id(binder)}")
    binder.bind(addr)
    return addr


def _collect(sock: Any, rid: bytes, n: int) -> bytes:
    """Data from `rid` until `n` bytes came (a stream: any chunking)."""
    buf = bytearray()
    while len(buf) < n:
        got_id, data = sock.recv_multipart()
        assert got_id == rid and data, (got_id, data)
        buf += data
    return bytes(buf)


@pytest.mark.parametrize("transport", ["tcp", "ipc"])
@pytest.mark.parametrize("binder_side", ["pz", "py"])
def test_stream_to_stream(
    pair: dict[str, Any], binder_side: str, transport: str, ipc_dir: str
) -> None:
    connector_side = "py" if binder_side == "pz" else "pz"
    binder, connector = pair[binder_side], pair[connector_side]
    connector.connect(_endpoint(binder, transport, ipc_dir))
    to_binder = connector.getsockopt(zmq.ROUTING_ID)  # the connect's id, at once
    assert connector.recv_multipart() == [to_binder, b""]
    to_connector, empty = binder.recv_multipart()
    assert empty == b"" and len(to_connector) == 5

    connector.send_multipart([to_binder, b"ping"])
    assert _collect(binder, to_connector, 4) == b"ping"
    blob = os.urandom(1024 * 1024)
    binder.send_multipart([to_connector, blob])
    assert _collect(connector, to_binder, len(blob)) == blob
    connector.send_multipart([to_binder, blob])
    assert _collect(binder, to_connector, len(blob)) == blob

    # the connector goes away: the binder hears of it
    # (libzmq 4.3.5 closes a STREAM's TCP connection on close, not on disconnect)
    connector.close(linger=0)
    assert binder.recv_multipart() == [to_connector, b""]


def test_purezmq_closing_a_libzmq_peer_makes_it_reconnect(pair: dict[str, Any]) -> None:
    """An empty frame from purezmq closes the TCP connection; the libzmq
    STREAM announces the loss and reconnects under the same routing id."""
    binder, connector = pair["pz"], pair["py"]
    port = binder.bind_to_random_port("tcp://127.0.0.1")
    connector.connect(f"tcp://127.0.0.1:{port}")
    to_binder = connector.getsockopt(zmq.ROUTING_ID)
    assert connector.recv_multipart() == [to_binder, b""]
    first = binder.recv_multipart()[0]
    binder.send_multipart([first, b"goodbye"])
    binder.send_multipart([first, b""])
    assert _collect(connector, to_binder, 7) == b"goodbye"
    assert connector.recv_multipart() == [to_binder, b""]  # disconnected
    assert connector.recv_multipart() == [to_binder, b""]  # and connected again
    second, empty = binder.recv_multipart()
    assert empty == b"" and second != first
    connector.send_multipart([to_binder, b"back"])
    assert _collect(binder, second, 4) == b"back"


# ---------------------------------------------------------------------------
# ZMTP by hand through a STREAM socket
# ---------------------------------------------------------------------------


def _greeting() -> bytes:
    """A ZMTP 3.1 greeting for the NULL mechanism (RFC 23/37), as libzmq pads it."""
    signature = b"\xff" + b"\x00" * 7 + b"\x01\x7f"
    return signature + b"\x03\x01" + b"NULL".ljust(20, b"\x00") + b"\x00" + b"\x00" * 31


def _ready(socket_type: bytes) -> bytes:
    name = b"Socket-Type"
    body = b"\x05READY" + bytes([len(name)]) + name + struct.pack(">I", len(socket_type))
    body += socket_type
    return bytes([0x04, len(body)]) + body


def _frame(data: bytes) -> bytes:
    return bytes([0x00, len(data)]) + data


@pytest.fixture(params=["pz", "py"])
def lib_ctx(request: Any, ctx: Any, pyctx: Any) -> tuple[Any, Any]:
    return (purezmq, ctx) if request.param == "pz" else (zmq, pyctx)


def test_stream_speaks_zmtp_by_hand_to_a_libzmq_dealer(
    lib_ctx: tuple[Any, Any], pyctx: Any
) -> None:
    lib, context = lib_ctx
    dealer = make_socket(pyctx, zmq.DEALER)
    stream = make_socket(context, lib.STREAM)
    wire = bytearray()
    deadline = time.monotonic() + TIMEOUT

    def read_until(done: Any) -> None:
        while not done():
            assert time.monotonic() < deadline, bytes(wire)
            got_id, data = stream.recv_multipart()
            assert got_id == rid and data
            wire.extend(data)

    try:
        port = dealer.bind_to_random_port("tcp://127.0.0.1")
        stream.connect(f"tcp://127.0.0.1:{port}")
        rid = stream.getsockopt(lib.ROUTING_ID)
        assert stream.recv_multipart() == [rid, b""]
        stream.send_multipart([rid, _greeting() + _ready(b"DEALER")])
        # the DEALER's greeting (64 bytes) and READY (a short command frame);
        # libzmq takes messages only once it has sent its READY
        read_until(lambda: len(wire) > 65 and len(wire) >= 66 + wire[65])
        assert wire.startswith(b"\xff" + b"\x00" * 7 + b"\x01\x7f\x03")
        assert wire[64] == 0x04 and wire[66:72] == b"\x05READY" and b"DEALER" in wire
        stream.send_multipart([rid, _frame(b"hello")])
        assert dealer.recv_multipart() == [b"hello"]
        dealer.send(b"world")
        read_until(lambda: wire.endswith(_frame(b"world")))
    finally:
        stream.close(linger=0)
        dealer.close(linger=0)
