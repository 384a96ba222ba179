"""Message properties (``Frame.get(name)``, libzmq's zmq_msg_gets): what a
frame received with ``copy=False`` reports about the connection it came on.
The same assertions run against purezmq and pyzmq."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from tests.testing import terminate

ZAP_METADATA = b"\x05Hello\x00\x00\x00\x05World"  # one property, as RFC 23 encodes it


@pytest.fixture(autouse=True)
def _cffi_frames_differ(lib: Any) -> None:
    if lib.__name__ == "zmq" and sys.implementation.name == "pypy":
        pytest.skip("pyzmq's cffi backend (PyPy) does not implement Frame.get (message properties)")


@pytest.fixture
def lctx(lib: Any) -> Iterator[Any]:
    ctx = lib.Context()
    yield ctx
    terminate(ctx)


def _sock(ctx: Any, lib: Any, kind: int) -> Any:
    s = ctx.socket(kind)
    s.linger = 0
    s.rcvtimeo = s.sndtimeo = 5000
    return s


def _lookup(lib: Any, frame: Any, name: str) -> Any:
    try:
        return frame.get(name)
    except lib.ZMQError as exc:
        assert exc.errno == lib.EINVAL
        return None


def test_zap_user_id_metadata_and_peer_properties(lib: Any, lctx: Any) -> None:
    handler = _sock(lctx, lib, lib.REP)
    handler.bind("inproc://zeromq.zap.01")

    def answer() -> None:
        request = handler.recv_multipart()
        handler.send_multipart([request[0], request[1], b"200", b"OK", b"alice", ZAP_METADATA])

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    server = _sock(lctx, lib, lib.PULL)
    server.plain_server = 1
    port = server.bind_to_random_port("tcp://127.0.0.1")
    client = _sock(lctx, lib, lib.PUSH)
    client.plain_username = b"user"
    client.plain_password = b"secret"
    client.connect(f"tcp://127.0.0.1:{port}")
    client.send_multipart([b"a", b"b"])
    frames = server.recv_multipart(copy=False)
    thread.join(5)
    for frame in frames:
        assert frame.get("User-Id") == "alice"
        assert frame.get("Peer-Address") == "127.0.0.1"
        assert frame.get("Socket-Type") == "PUSH"
        assert frame.get("Hello") == "World"
        assert _lookup(lib, frame, "hello") is None  # names are exact
        assert _lookup(lib, frame, "Identity") is None  # a PUSH sends none
        assert _lookup(lib, frame, "X-Missing") is None
    for s in (handler, server, client):
        s.close()


def test_without_zap_there_is_no_user_id(lib: Any, lctx: Any) -> None:
    server = _sock(lctx, lib, lib.ROUTER)
    port = server.bind_to_random_port("tcp://127.0.0.1")
    client = _sock(lctx, lib, lib.DEALER)
    client.connect(f"tcp://127.0.0.1:{port}")
    client.send(b"x")
    ident = server.recv(copy=False)
    body = server.recv(copy=False)
    assert body.get("Socket-Type") == "DEALER"
    assert body.get("Identity") == ""  # a DEALER sends an empty one
    assert _lookup(lib, body, "User-Id") is None
    assert ident.get("Peer-Address") == "127.0.0.1"
    server.close()
    client.close()


def test_ipc_peer_address_names_the_peer_process(lib: Any, lctx: Any, ipc_dir: str) -> None:
    if not hasattr(os, "getuid"):
        pytest.skip("ipc peer credentials are a Unix thing")
    server = _sock(lctx, lib, lib.PULL)
    server.bind(f"ipc://{ipc_dir}/props")
    client = _sock(lctx, lib, lib.PUSH)
    client.connect(f"ipc://{ipc_dir}/props")
    client.send(b"x")
    frame = server.recv(copy=False)
    assert frame.get("Socket-Type") == "PUSH"
    assert frame.get("Peer-Address") == f"localhost:{os.getuid()}:{os.getgid()}:{os.getpid()}"
    server.close()
    client.close()


def test_inproc_messages_have_no_properties(lib: Any, lctx: Any) -> None:
    server = _sock(lctx, lib, lib.PULL)
    server.bind("inproc://props")
    client = _sock(lctx, lib, lib.PUSH)
    client.connect("inproc://props")
    client.send(b"x")
    frame = server.recv(copy=False)
    assert _lookup(lib, frame, "Socket-Type") is None
    assert _lookup(lib, frame, "Peer-Address") is None
    server.close()
    client.close()
