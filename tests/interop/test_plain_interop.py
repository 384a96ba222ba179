"""PLAIN security with ZAP (RFC 24, RFC 27) between purezmq and libzmq."""

from __future__ import annotations

from typing import Any

import pytest

import purezmq
from tests.testing import ZapHandler, make_socket, wait_for_event

zmq = pytest.importorskip("zmq")
from zmq.auth.thread import ThreadAuthenticator

PASSWORDS = {"admin": "secret"}


def plain_zap(context: purezmq.Context) -> ZapHandler:
    """A ZAP handler on purezmq checking PLAIN credentials against PASSWORDS."""

    def decide(request: list[bytes]) -> tuple[bytes, bytes, bytes]:
        mechanism, *creds = request[5:]
        ok = mechanism == b"PLAIN" and PASSWORDS.get(creds[0].decode()) == creds[1].decode()
        return (b"200", b"OK", creds[0]) if ok else (b"400", b"Invalid credentials", b"")

    return ZapHandler(purezmq, context, decide)


@pytest.mark.parametrize("good", [True, False], ids=["accepted", "refused"])
def test_pyzmq_client_to_purezmq_plain_server(good: bool, ctx: purezmq.Context, pyctx: Any) -> None:
    zap = plain_zap(ctx)
    server = make_socket(ctx, purezmq.PULL, timeout_ms=1500)
    server.plain_server = 1
    monitor = server.get_monitor_socket()
    port = server.bind_to_random_port("tcp://127.0.0.1")
    client = make_socket(pyctx, zmq.PUSH)
    client.plain_username = b"admin"
    client.plain_password = b"secret" if good else b"wrong"
    client.connect(f"tcp://127.0.0.1:{port}")
    client.send(b"authenticated hello")
    if good:
        assert server.recv() == b"authenticated hello"
    else:
        with pytest.raises(purezmq.Again):
            server.recv()
        wait_for_event(monitor, purezmq.EVENT_HANDSHAKE_FAILED_AUTH)
    assert zap.requests and zap.requests[0][5] == b"PLAIN"
    client.close(0)
    monitor.close(0)
    server.close(0)
    zap.close()


def test_plain_server_without_zap_handler_refuses(ctx: purezmq.Context, pyctx: Any) -> None:
    """libzmq 4.3 fails a PLAIN handshake when no ZAP handler is bound (spec/interop.md #11)."""
    server = make_socket(ctx, purezmq.PULL, timeout_ms=500)
    server.plain_server = 1
    port = server.bind_to_random_port("tcp://127.0.0.1")
    client = make_socket(pyctx, zmq.PUSH)
    client.plain_username = b"admin"
    client.plain_password = b"secret"
    client.connect(f"tcp://127.0.0.1:{port}")
    client.send(b"x")
    with pytest.raises(purezmq.Again):
        server.recv()
    client.close(0)
    server.close(0)


@pytest.mark.parametrize("good", [True, False], ids=["accepted", "refused"])
def test_purezmq_client_to_pyzmq_plain_server(good: bool, ctx: purezmq.Context, pyctx: Any) -> None:
    auth = ThreadAuthenticator(pyctx)
    auth.start()
    try:
        auth.configure_plain(domain="*", passwords=PASSWORDS)
        server = make_socket(pyctx, zmq.PULL, timeout_ms=1500)
        server.plain_server = True
        port = server.bind_to_random_port("tcp://127.0.0.1")
        client = make_socket(ctx, purezmq.PUSH)
        client.plain_username = b"admin"
        client.plain_password = b"secret" if good else b"wrong"
        monitor = client.get_monitor_socket()
        client.connect(f"tcp://127.0.0.1:{port}")
        client.send(b"from purezmq")
        if good:
            assert server.recv() == b"from purezmq"
        else:
            with pytest.raises(zmq.Again):
                server.recv()
            wait_for_event(monitor, purezmq.EVENT_HANDSHAKE_FAILED_AUTH)
        monitor.close(0)
        client.close(0)
        server.close(0)
    finally:
        auth.stop()


def test_purezmq_plain_both_sides(ctx: purezmq.Context) -> None:
    zap = plain_zap(ctx)
    server = make_socket(ctx, purezmq.ROUTER)
    server.plain_server = 1
    port = server.bind_to_random_port("tcp://127.0.0.1")
    client = make_socket(ctx, purezmq.DEALER)
    client.plain_username = b"admin"
    client.plain_password = b"secret"
    client.connect(f"tcp://127.0.0.1:{port}")
    client.send(b"ping")
    rid, body = server.recv_multipart()
    assert body == b"ping"
    server.send_multipart([rid, b"pong"])
    assert client.recv() == b"pong"
    assert client.getsockopt(purezmq.MECHANISM) == purezmq.PLAIN
    client.close(0)
    server.close(0)
    zap.close()
