"""PUSH/PULL, DEALER/ROUTER and PAIR with purezmq on both sides, over tcp,
ipc and inproc (RFC 28, 30, 31 and libzmq's behaviour)."""

from __future__ import annotations

import os
import threading
import time
from typing import Any, Callable

import pytest

import purezmq as zmq
from tests.testing import bind_when_free, eventually, make_socket, wait_connected, watch

TRANSPORTS = ["tcp", "ipc", "inproc"]


@pytest.fixture(params=TRANSPORTS)
def endpoint(request: Any, ipc_dir: str) -> Callable[[], str]:
    counter = iter(range(1000))

    def make() -> str:
        n = next(counter)
        if request.param == "tcp":
            return "tcp://127.0.0.1:0"
        if request.param == "ipc":
            return "ipc://" + os.path.join(ipc_dir, f"s{n}")
        return f"inproc://pattern-{id(request)}-{n}"

    return make


def bind(sock: Any, ep: str) -> str:
    sock.bind(ep)
    return sock.last_endpoint.decode()


def queued_at(sock: zmq.Socket) -> int:
    """Messages waiting in a purezmq PULL's inbound pipes (after taking the
    pipes its I/O thread has handed over)."""
    sock.poll(0)
    return sum(p.queued_in() for p in sock._pattern._fq._pipes)


def test_push_round_robin_pull_fair_queue(ctx: zmq.Context, endpoint: Callable[[], str]) -> None:
    push = make_socket(ctx, zmq.PUSH)
    monitor = watch(push)
    pulls = [make_socket(ctx, zmq.PULL) for _ in range(3)]
    ep = bind(push, endpoint())
    for p in pulls:
        p.connect(ep)
    if not ep.startswith("inproc://"):
        wait_connected(monitor, 3)  # every connection up, so round-robin sees all three
    monitor.close()
    for i in range(30):
        push.send_multipart([b"job", str(i).encode()])
    counts = []
    for p in pulls:
        got = []
        while p.poll(300):
            got.append(p.recv_multipart())
        assert all(m[0] == b"job" for m in got)
        counts.append(len(got))
    assert sum(counts) == 30
    assert counts == [10, 10, 10]
    push.close()
    for p in pulls:
        p.close()


def test_pull_fair_queues_between_pushers(ctx: zmq.Context, endpoint: Callable[[], str]) -> None:
    pull = make_socket(ctx, zmq.PULL)
    ep = bind(pull, endpoint())
    pushers = [make_socket(ctx, zmq.PUSH) for _ in range(2)]
    for i, p in enumerate(pushers):
        p.connect(ep)
        for n in range(20):
            p.send(b"%d-%d" % (i, n))
    # both streams queued at the PULL before it reads
    eventually(lambda: queued_at(pull) == 40, what="all 40 messages queued at the PULL")
    got = [pull.recv() for _ in range(40)]
    # each sender's messages arrive in order, and both streams interleave
    for i in range(2):
        mine = [g for g in got if g.startswith(b"%d-" % i)]
        assert mine == [b"%d-%d" % (i, n) for n in range(20)]
    first_half = got[:20]
    assert any(g.startswith(b"0-") for g in first_half) and any(
        g.startswith(b"1-") for g in first_half
    )
    pull.close()
    for p in pushers:
        p.close()


def test_dealer_router_identities_and_replies(
    ctx: zmq.Context, endpoint: Callable[[], str]
) -> None:
    router = make_socket(ctx, zmq.ROUTER)
    ep = bind(router, endpoint())
    dealers = []
    for name in (b"alice", b"bob", b""):
        d = make_socket(ctx, zmq.DEALER)
        if name:
            d.identity = name
        d.connect(ep)
        dealers.append(d)
    for d in dealers:
        d.send_multipart([b"", b"hello", b""])
    seen = {}
    for _ in dealers:
        rid, empty, body, tail = router.recv_multipart()
        assert (empty, body, tail) == (b"", b"hello", b"")
        seen[rid] = True
        router.send_multipart([rid, b"", b"to " + rid])
    assert b"alice" in seen and b"bob" in seen
    anonymous = [r for r in seen if r not in (b"alice", b"bob")]
    assert len(anonymous) == 1 and anonymous[0][:1] == b"\x00" and len(anonymous[0]) == 5
    for d, name in zip(dealers, (b"alice", b"bob", anonymous[0])):
        assert d.recv_multipart() == [b"", b"to " + name]
    router.close()
    for d in dealers:
        d.close()


def test_router_drops_unroutable_or_raises_with_mandatory(ctx: zmq.Context) -> None:
    router = make_socket(ctx, zmq.ROUTER)
    router.send_multipart([b"nobody", b"dropped silently"])
    router.router_mandatory = 1
    with pytest.raises(zmq.ZMQError) as info:
        router.send_multipart([b"nobody", b"x"])
    assert info.value.errno == zmq.EHOSTUNREACH
    with pytest.raises(zmq.ZMQError):
        router.send(b"nobody", zmq.SNDMORE)
        router.send(b"x")
    router.close()


def test_router_handover(ctx: zmq.Context) -> None:
    router = make_socket(ctx, zmq.ROUTER)
    router.router_handover = 1
    port = router.bind_to_random_port("tcp://127.0.0.1")
    first = make_socket(ctx, zmq.DEALER)
    first.identity = b"same"
    first.connect(f"tcp://127.0.0.1:{port}")
    first.send(b"from first")
    assert router.recv_multipart() == [b"same", b"from first"]
    second = make_socket(ctx, zmq.DEALER)
    second.identity = b"same"
    second.connect(f"tcp://127.0.0.1:{port}")
    second.send(b"from second")
    assert router.recv_multipart() == [b"same", b"from second"]
    router.send_multipart([b"same", b"to the newest"])
    assert second.recv() == b"to the newest"
    assert not first.poll(200)
    for s in (first, second, router):
        s.close()


def test_router_duplicate_identity_ignored_without_handover(ctx: zmq.Context) -> None:
    router = make_socket(ctx, zmq.ROUTER)
    port = router.bind_to_random_port("tcp://127.0.0.1")
    first = make_socket(ctx, zmq.DEALER)
    first.identity = b"dup"
    first.connect(f"tcp://127.0.0.1:{port}")
    first.send(b"one")
    assert router.recv_multipart() == [b"dup", b"one"]
    second = make_socket(ctx, zmq.DEALER)
    second.identity = b"dup"
    second.connect(f"tcp://127.0.0.1:{port}")
    second.send(b"ignored")
    assert not router.poll(300)
    router.send_multipart([b"dup", b"still the first"])
    assert first.recv() == b"still the first"
    for s in (first, second, router):
        s.close()


def test_probe_router(ctx: zmq.Context) -> None:
    router = make_socket(ctx, zmq.ROUTER)
    port = router.bind_to_random_port("tcp://127.0.0.1")
    dealer = make_socket(ctx, zmq.DEALER)
    dealer.probe_router = 1
    dealer.identity = b"prober"
    dealer.connect(f"tcp://127.0.0.1:{port}")
    assert router.recv_multipart() == [b"prober", b""]
    router.close()
    dealer.close()


def test_connect_routing_id(ctx: zmq.Context) -> None:
    server = make_socket(ctx, zmq.ROUTER)
    server.identity = b"server"
    port = server.bind_to_random_port("tcp://127.0.0.1")
    client = make_socket(ctx, zmq.ROUTER)
    monitor = watch(client)
    client.setsockopt(zmq.CONNECT_ROUTING_ID, b"my-name-for-it")
    client.connect(f"tcp://127.0.0.1:{port}")
    wait_connected(monitor)  # a ROUTER routes only to a peer it has met
    monitor.close()
    client.send_multipart([b"my-name-for-it", b"hi"])
    rid, body = server.recv_multipart()
    assert body == b"hi"
    server.send_multipart([rid, b"back"])
    assert client.recv_multipart() == [b"my-name-for-it", b"back"]
    server.close()
    client.close()


def test_pair_is_exclusive(ctx: zmq.Context, endpoint: Callable[[], str]) -> None:
    a = make_socket(ctx, zmq.PAIR)
    ep = bind(a, endpoint())
    b = make_socket(ctx, zmq.PAIR)
    b.connect(ep)
    b.send(b"first peer")
    assert a.recv() == b"first peer"
    c = make_socket(ctx, zmq.PAIR)
    c.connect(ep)
    c.sndtimeo = 100
    try:
        c.send(b"second peer")
    except zmq.Again:
        pass
    assert not a.poll(300)
    a.send(b"reply")
    assert b.recv() == b"reply"
    for s in (a, b, c):
        s.close()


def test_send_before_connection_is_queued(ctx: zmq.Context) -> None:
    probe = ctx.socket(zmq.PULL)
    port = probe.bind_to_random_port("tcp://127.0.0.1")
    probe.close(0)
    push = make_socket(ctx, zmq.PUSH)
    push.reconnect_ivl = 20
    push.connect(f"tcp://127.0.0.1:{port}")
    push.send(b"early")  # nobody listens yet: queued in the pipe, as libzmq
    pull = make_socket(ctx, zmq.PULL)
    bind_when_free(pull, f"tcp://127.0.0.1:{port}")
    assert pull.recv() == b"early"
    push.close()
    pull.close()


def test_immediate_does_not_queue_to_absent_peer(ctx: zmq.Context) -> None:
    push = make_socket(ctx, zmq.PUSH)
    push.immediate = 1
    push.connect("tcp://127.0.0.1:1")  # nothing there
    with pytest.raises(zmq.Again):
        push.send(b"x", zmq.NOBLOCK)
    push.close()


def test_inproc_connect_before_bind(ctx: zmq.Context) -> None:
    push = make_socket(ctx, zmq.PUSH)
    push.connect("inproc://later")
    push.send(b"sent before bind")
    pull = make_socket(ctx, zmq.PULL)
    pull.bind("inproc://later")
    assert pull.recv() == b"sent before bind"
    push.close()
    pull.close()


def test_inproc_duplicate_bind(ctx: zmq.Context) -> None:
    a = ctx.socket(zmq.PAIR)
    a.bind("inproc://dup")
    b = ctx.socket(zmq.PAIR)
    with pytest.raises(zmq.ZMQError) as info:
        b.bind("inproc://dup")
    assert info.value.errno == zmq.EADDRINUSE
    a.close()
    b.bind("inproc://dup")  # free again once the binder closed
    b.close()


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_push_blocks_at_hwm_and_multipart_is_atomic(
    ctx: zmq.Context, transport: str, ipc_dir: str
) -> None:
    """With the peer not reading, sends stop after a bounded number of
    messages (HWM plus what the kernel buffers), then EAGAIN."""
    ep = {
        "tcp": "tcp://127.0.0.1:0",
        "ipc": "ipc://" + os.path.join(ipc_dir, "hwm"),
        "inproc": "inproc://hwm",
    }[transport]
    pull = make_socket(ctx, zmq.PULL)
    pull.rcvhwm = 10
    ep = bind(pull, ep)
    push = make_socket(ctx, zmq.PUSH)
    push.sndhwm = 10
    monitor = watch(push)
    push.connect(ep)
    if transport != "inproc":
        wait_connected(monitor)
    monitor.close()
    sent = 0
    payload = b"z" * 100_000
    with pytest.raises(zmq.Again):
        for _ in range(10_000):
            push.send_multipart([b"part1", payload], zmq.NOBLOCK)
            sent += 1
    # at least the pipe's share of SNDHWM (a pump may hold a few in flight)
    assert sent >= 8
    if transport == "inproc":
        assert sent == 20  # inproc HWM is the sum of both sides' (libzmq)
    got = 0
    while pull.poll(500):
        msg = pull.recv_multipart()
        assert msg == [b"part1", payload]
        got += 1
    assert got == sent
    push.close()
    pull.close()


def test_blocking_send_resumes_when_reader_drains(ctx: zmq.Context) -> None:
    pull = make_socket(ctx, zmq.PULL)
    pull.rcvhwm = 5
    pull.bind("inproc://drain")
    push = make_socket(ctx, zmq.PUSH)
    push.sndhwm = 5
    push.connect("inproc://drain")
    total = 500
    received = []

    def reader() -> None:
        for _ in range(total):
            received.append(pull.recv())

    t = threading.Thread(target=reader)
    t.start()
    for i in range(total):
        push.send(b"%d" % i)  # blocks whenever the pipe is full
    t.join(10)
    assert received == [b"%d" % i for i in range(total)]
    push.close()
    pull.close()


def test_disconnect_and_unbind(ctx: zmq.Context) -> None:
    pull = make_socket(ctx, zmq.PULL)
    port = pull.bind_to_random_port("tcp://127.0.0.1")
    ep = f"tcp://127.0.0.1:{port}"
    push = make_socket(ctx, zmq.PUSH)
    push.connect(ep)
    push.send(b"one")
    assert pull.recv() == b"one"
    push.disconnect(ep)
    with pytest.raises(zmq.Again):
        push.send(b"two", zmq.NOBLOCK)  # no peers any more
    with pytest.raises(zmq.ZMQError):
        push.disconnect(ep)
    pull.unbind(ep)
    other = make_socket(ctx, zmq.PULL)
    bind_when_free(other, ep)  # unbind released the port
    for s in (push, pull, other):
        s.close()


def test_linger_flushes_queued_messages_on_close(ctx: zmq.Context) -> None:
    pull = make_socket(ctx, zmq.PULL)
    port = pull.bind_to_random_port("tcp://127.0.0.1")
    push = ctx.socket(zmq.PUSH)
    push.linger = 2000
    push.connect(f"tcp://127.0.0.1:{port}")
    for i in range(100):
        push.send(b"%d" % i)
    push.close()  # returns at once; the I/O thread keeps sending
    assert [pull.recv() for _ in range(100)] == [b"%d" % i for i in range(100)]
    pull.close()


def test_term_waits_for_linger_then_finishes(ctx: zmq.Context) -> None:
    push = ctx.socket(zmq.PUSH)
    push.linger = 200
    push.connect("tcp://127.0.0.1:1")  # never connects
    push.send(b"stuck")
    start = time.monotonic()
    push.close()
    ctx.term()
    assert 0.15 <= time.monotonic() - start < 5


def _has_ipv6_loopback() -> bool:
    import socket

    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _has_ipv6_loopback(), reason="no IPv6 loopback on this machine")
def test_tcp_ipv6(ctx: zmq.Context) -> None:
    pull = make_socket(ctx, zmq.PULL)
    pull.ipv6 = 1
    pull.bind("tcp://[::1]:0")
    ep = pull.last_endpoint.decode()
    assert ep.startswith("tcp://[::1]:")
    push = make_socket(ctx, zmq.PUSH)
    push.ipv6 = 1
    push.connect(ep)
    push.send(b"over ipv6")
    assert pull.recv() == b"over ipv6"
    push.close()
    pull.close()


def test_tcp_connect_by_hostname(ctx: zmq.Context) -> None:
    pull = make_socket(ctx, zmq.PULL)
    port = pull.bind_to_random_port("tcp://127.0.0.1")
    push = make_socket(ctx, zmq.PUSH)
    push.connect(f"tcp://localhost:{port}")
    push.send(b"by name")
    assert pull.recv() == b"by name"
    push.close()
    pull.close()
