"""purezmq sockets against real libzmq (pyzmq) sockets, both directions.

The matrix: PUSH/PULL, DEALER/ROUTER, DEALER/DEALER, PAIR/PAIR over tcp and
ipc, with purezmq binding and pyzmq connecting, and the reverse. Each case
sends multipart messages with empty frames and a 4 MiB frame.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

import purezmq
from tests.testing import bind_when_free, make_socket

zmq = pytest.importorskip("zmq")

BIG = os.urandom(4 * 1024 * 1024)
PAIRS = [("PUSH", "PULL"), ("DEALER", "ROUTER"), ("DEALER", "DEALER"), ("PAIR", "PAIR")]


def _endpoint(transport: str, ipc_dir: str, name: str) -> str:
    if transport == "tcp":
        return "tcp://127.0.0.1:0"
    return "ipc://" + os.path.join(ipc_dir, name)


def _bind(sock: Any, endpoint: str) -> str:
    sock.bind(endpoint)
    return sock.getsockopt(zmq.LAST_ENDPOINT).decode()


def _new(lib: Any, context: Any, kind: str) -> Any:
    return make_socket(context, getattr(lib, kind), timeout_ms=10000)


@pytest.mark.parametrize("transport", ["tcp", "ipc"])
@pytest.mark.parametrize("purezmq_binds", [True, False], ids=["purezmq-binds", "pyzmq-binds"])
@pytest.mark.parametrize("sender_kind,receiver_kind", PAIRS)
@pytest.mark.parametrize("purezmq_sends", [True, False], ids=["purezmq-sends", "pyzmq-sends"])
def test_matrix(
    sender_kind: str,
    receiver_kind: str,
    transport: str,
    purezmq_binds: bool,
    purezmq_sends: bool,
    ctx: purezmq.Context,
    pyctx: Any,
    ipc_dir: str,
) -> None:
    send_lib, send_ctx = (purezmq, ctx) if purezmq_sends else (zmq, pyctx)
    recv_lib, recv_ctx = (zmq, pyctx) if purezmq_sends else (purezmq, ctx)
    sender = _new(send_lib, send_ctx, sender_kind)
    receiver = _new(recv_lib, recv_ctx, receiver_kind)
    if sender_kind == "DEALER":
        sender.setsockopt(send_lib.IDENTITY, b"sender-id")
    endpoint = _endpoint(transport, ipc_dir, "matrix")
    sender_binds = purezmq_binds == purezmq_sends
    if sender_binds:
        receiver.connect(_bind(sender, endpoint))
    else:
        sender.connect(_bind(receiver, endpoint))

    messages = [[b"hello"], [b"a", b"", b"c"], [b""], [b"head", BIG], [b"x" * 300, b"y" * 70000]]
    for msg in messages:
        sender.send_multipart(msg)
    for msg in messages:
        got = receiver.recv_multipart()
        if receiver_kind == "ROUTER":
            assert got[0] == b"sender-id"
            got = got[1:]
        assert got == msg

    # and back, where the pattern allows it
    if sender_kind != "PUSH":
        if receiver_kind == "ROUTER":
            receiver.send_multipart([b"sender-id", b"reply", b"", BIG])
        else:
            receiver.send_multipart([b"reply", b"", BIG])
        assert sender.recv_multipart() == [b"reply", b"", BIG]
    sender.close(0)
    receiver.close(0)


@pytest.mark.parametrize("purezmq_router", [True, False])
def test_router_generated_ids_and_mandatory(
    purezmq_router: bool, ctx: purezmq.Context, pyctx: Any
) -> None:
    r_lib, r_ctx, d_lib, d_ctx = (
        (purezmq, ctx, zmq, pyctx) if purezmq_router else (zmq, pyctx, purezmq, ctx)
    )
    router = _new(r_lib, r_ctx, "ROUTER")
    router.setsockopt(r_lib.ROUTER_MANDATORY, 1)
    port = router.bind_to_random_port("tcp://127.0.0.1")
    dealers = []
    for _ in range(3):
        d = _new(d_lib, d_ctx, "DEALER")
        d.connect(f"tcp://127.0.0.1:{port}")
        dealers.append(d)
    ids = set()
    for i, d in enumerate(dealers):
        d.send(str(i).encode())
    for _ in dealers:
        rid, body = router.recv_multipart()
        assert len(rid) == 5 and rid[0] == 0  # libzmq: 0x00 + 32-bit counter
        ids.add(rid)
        router.send_multipart([rid, b"echo:" + body])
    assert len(ids) == 3
    for i, d in enumerate(dealers):
        assert d.recv() == f"echo:{i}".encode()
    with pytest.raises(r_lib.ZMQError) as info:
        router.send_multipart([b"\x00nobody", b"x"])
    assert info.value.errno == zmq.EHOSTUNREACH
    for d in dealers:
        d.close(0)
    router.close(0)


@pytest.mark.parametrize("transport", ["tcp", "ipc"])
def test_reconnect_to_a_new_pyzmq_peer(
    transport: str, ctx: purezmq.Context, pyctx: Any, ipc_dir: str
) -> None:
    """A purezmq PUSH keeps its endpoint; the pyzmq PULL behind it is replaced."""
    if transport == "tcp":
        probe = pyctx.socket(zmq.PULL)
        port = probe.bind_to_random_port("tcp://127.0.0.1")
        probe.close(0)
        endpoint = f"tcp://127.0.0.1:{port}"
    else:
        endpoint = "ipc://" + os.path.join(ipc_dir, "reconnect")
    push = _new(purezmq, ctx, "PUSH")
    push.setsockopt(purezmq.RECONNECT_IVL, 20)
    monitor = push.get_monitor_socket(
        purezmq.EVENT_HANDSHAKE_SUCCEEDED | purezmq.EVENT_DISCONNECTED
    )
    monitor.rcvtimeo = 5000
    push.connect(endpoint)
    for generation in range(3):
        pull = _new(zmq, pyctx, "PULL")
        bind_when_free(pull, endpoint)  # the old socket's port may linger a moment
        # Messages handed to a connection that is dying are lost (in libzmq
        # too), so send once the new connection is up.
        assert _next_event(monitor) == purezmq.EVENT_HANDSHAKE_SUCCEEDED
        push.send(f"gen {generation}".encode())
        assert pull.recv() == f"gen {generation}".encode()
        pull.close(0)
        assert _next_event(monitor) == purezmq.EVENT_DISCONNECTED
    monitor.close(0)
    push.close(0)


def _next_event(monitor: Any) -> int:
    frames = monitor.recv_multipart()
    return int.from_bytes(frames[0][:2], "little")


def test_pyzmq_reconnects_to_new_purezmq_peer(ctx: purezmq.Context, pyctx: Any) -> None:
    dealer = _new(zmq, pyctx, "DEALER")
    dealer.setsockopt(zmq.RECONNECT_IVL, 20)
    probe = ctx.socket(purezmq.ROUTER)
    port = probe.bind_to_random_port("tcp://127.0.0.1")
    probe.close(0)
    endpoint = f"tcp://127.0.0.1:{port}"
    dealer.connect(endpoint)
    for generation in range(2):
        router = _new(purezmq, ctx, "ROUTER")
        bind_when_free(router, endpoint)
        dealer.send(b"ping %d" % generation)
        rid, body = router.recv_multipart()
        assert body == b"ping %d" % generation
        router.send_multipart([rid, b"pong"])
        assert dealer.recv() == b"pong"
        router.close(0)
    dealer.close(0)


def test_pyzmq_heartbeats_are_answered(ctx: purezmq.Context, pyctx: Any) -> None:
    """libzmq with HEARTBEAT_TIMEOUT drops peers that do not answer PING."""
    router = _new(zmq, pyctx, "ROUTER")
    router.setsockopt(zmq.HEARTBEAT_IVL, 50)
    router.setsockopt(zmq.HEARTBEAT_TIMEOUT, 200)
    monitor = router.get_monitor_socket(zmq.EVENT_DISCONNECTED)
    port = router.bind_to_random_port("tcp://127.0.0.1")
    dealer = _new(purezmq, ctx, "DEALER")
    dealer.connect(f"tcp://127.0.0.1:{port}")
    dealer.send(b"hi")
    router.recv_multipart()
    assert monitor.poll(800) == 0  # several heartbeat periods, no disconnect
    dealer.send(b"still here")
    assert router.recv_multipart()[1] == b"still here"
    monitor.close(0)
    dealer.close(0)
    router.close(0)


def test_purezmq_heartbeat_drops_silent_peer(ctx: purezmq.Context) -> None:
    """A raw TCP peer that completes the handshake and then goes silent."""
    import socket as pysocket

    from purezmq.zmtp import Connection, Phase

    router = _new(purezmq, ctx, "ROUTER")
    router.setsockopt(purezmq.HEARTBEAT_IVL, 50)
    router.setsockopt(purezmq.HEARTBEAT_TIMEOUT, 150)
    monitor = router.get_monitor_socket(purezmq.EVENT_DISCONNECTED)
    monitor.rcvtimeo = 3000
    port = router.bind_to_random_port("tcp://127.0.0.1")
    raw = pysocket.create_connection(("127.0.0.1", port), timeout=3)
    conn = Connection(socket_type="DEALER")
    raw.sendall(conn.data_to_send())
    while conn.phase is not Phase.TRAFFIC:
        conn.receive_data(raw.recv(4096))
        if conn.has_output():
            raw.sendall(conn.data_to_send())
    # Now silent: never read, never answer PING.
    event = monitor.recv_multipart()
    assert int.from_bytes(event[0][:2], "little") == purezmq.EVENT_DISCONNECTED
    raw.close()
    monitor.close(0)
    router.close(0)
