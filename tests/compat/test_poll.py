"""Poller, zmq.select, Socket.poll and EVENTS: purezmq sockets from several
contexts mixed with plain fds and Python sockets; timeouts; no busy waiting."""

from __future__ import annotations

import os
import resource
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

import purezmq as zmq
from tests.testing import eventually, make_socket, terminate


@pytest.fixture
def ctx2() -> Iterator[zmq.Context]:
    context = zmq.Context()
    yield context
    terminate(context)


@pytest.fixture
def new(ctx: Any, ctx2: Any) -> Any:
    made: list[Any] = []

    def factory(kind: int, context: Any = None) -> Any:
        sock = make_socket(context if context is not None else ctx, kind)
        made.append(sock)
        return sock

    yield factory
    for sock in made:
        sock.close(linger=0)


@pytest.fixture
def fds() -> Iterator[tuple[int, int, socket.socket, socket.socket]]:
    r, w = os.pipe()
    a, b = socket.socketpair()
    yield r, w, a, b
    for fd in (r, w):
        try:
            os.close(fd)
        except OSError:
            pass
    a.close()
    b.close()


def pair(new: Any, context: Any = None, name: str = "") -> tuple[Any, Any]:
    a = new(zmq.PAIR, context)
    b = new(zmq.PAIR, context)
    addr = f"inproc://poll-{id(a)}{name}"
    a.bind(addr)
    b.connect(addr)
    return a, b


def cpu_seconds() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def test_mixed_registration(new: Any, ctx2: Any, fds: Any) -> None:
    r, w, sa, sb = fds
    a, b = pair(new)
    c, d = pair(new, ctx2)  # another context
    pull = new(zmq.PULL, ctx2)
    port = pull.bind_to_random_port("tcp://127.0.0.1")
    push = new(zmq.PUSH)
    push.connect(f"tcp://127.0.0.1:{port}")
    poller = zmq.Poller()
    for s in (a, c, pull, r, sa):
        poller.register(s, zmq.POLLIN)
    assert poller.poll(20) == []
    b.send(b"1")
    assert poller.poll(1000) == [(a, zmq.POLLIN)]
    d.send(b"2")
    push.send(b"3")
    os.write(w, b"4")
    sb.send(b"5")
    seen: dict[Any, int] = {}

    def all_ready() -> bool:
        seen.update(poller.poll(1000))
        return len(seen) >= 5

    eventually(all_ready, interval=0, what="all five ready")
    assert seen == {a: zmq.POLLIN, c: zmq.POLLIN, pull: zmq.POLLIN, r: zmq.POLLIN, sa: zmq.POLLIN}
    # results come in registration order
    assert [s for s, _ in poller.poll(0)] == [a, c, pull, r, sa]
    assert a.recv() == b"1" and c.recv() == b"2" and pull.recv() == b"3"
    assert os.read(r, 1) == b"4" and sa.recv(1) == b"5"
    assert poller.poll(0) == []


def test_register_modify_unregister(new: Any, fds: Any) -> None:
    r, w, sa, sb = fds
    a, b = pair(new)
    poller = zmq.Poller()
    poller.register(a)  # default POLLIN|POLLOUT
    assert poller.poll(0) == [(a, zmq.POLLOUT)]
    poller.modify(a, zmq.POLLIN)
    assert poller.poll(0) == []
    poller.register(sb, zmq.POLLOUT)
    assert poller.poll(0) == [(sb, zmq.POLLOUT)]
    b.send(b"x")
    assert dict(poller.poll(1000)) == {a: zmq.POLLIN, sb: zmq.POLLOUT}
    poller.unregister(sb)
    assert poller.poll(1000) == [(a, zmq.POLLIN)]
    assert a in poller and sb not in poller
    poller.register(a, 0)  # flags 0: unregister
    assert a not in poller and poller.sockets == []
    with pytest.raises(KeyError):
        poller.unregister(a)
    with pytest.raises(TypeError):
        poller.register(object(), zmq.POLLIN)


@pytest.mark.parametrize("timeout_ms", [0, 10, 50, 200])
def test_timeouts_are_honoured(new: Any, fds: Any, timeout_ms: int) -> None:
    r, _w, _sa, _sb = fds
    a, _b = pair(new)
    poller = zmq.Poller()
    poller.register(a, zmq.POLLIN)
    poller.register(r, zmq.POLLIN)
    # best of three, so a loaded machine's scheduling hiccup does not fail it
    for waiter in (lambda: poller.poll(timeout_ms), lambda: a.poll(timeout_ms)):
        elapsed = []
        for _ in range(3):
            t = time.monotonic()
            assert not waiter()
            elapsed.append((time.monotonic() - t) * 1000)
        assert min(elapsed) >= timeout_ms - 1
        assert min(elapsed) <= timeout_ms + 10, elapsed


def test_idle_poll_uses_no_cpu(new: Any, fds: Any) -> None:
    r, _w, _sa, _sb = fds
    a, _b = pair(new)
    sub = new(zmq.SUB)
    sub.subscribe(b"")
    sub.bind("tcp://127.0.0.1:*")
    poller = zmq.Poller()
    for s in (a, sub, r):
        poller.register(s, zmq.POLLIN)
    before = cpu_seconds()
    assert poller.poll(400) == []
    assert cpu_seconds() - before < 0.05


def test_poll_forever_wakes_on_a_message_from_another_thread(new: Any) -> None:
    pull = new(zmq.PULL)
    port = pull.bind_to_random_port("tcp://127.0.0.1")
    push = new(zmq.PUSH)
    push.connect(f"tcp://127.0.0.1:{port}")
    poller = zmq.Poller()
    poller.register(pull, zmq.POLLIN)
    timer = threading.Timer(0.1, lambda: push.send(b"late"))
    timer.start()
    try:
        t = time.monotonic()
        before = cpu_seconds()
        assert poller.poll() == [(pull, zmq.POLLIN)]  # None: forever
        assert 0.09 < time.monotonic() - t < 3
        assert cpu_seconds() - before < 0.05
    finally:
        timer.join()
    assert pull.recv() == b"late"


def test_pollout_follows_hwm(new: Any) -> None:
    push = new(zmq.PUSH)
    push.sndhwm = 1
    pull = new(zmq.PULL)
    pull.rcvhwm = 1
    push.bind("inproc://hwm-poll")
    pull.connect("inproc://hwm-poll")
    poller = zmq.Poller()
    poller.register(push, zmq.POLLOUT)
    sent = 0
    while poller.poll(0):
        push.send(b"x")
        sent += 1
        assert sent < 100
    assert push.events & zmq.POLLOUT == 0
    pull.recv()
    assert poller.poll(1000) == [(push, zmq.POLLOUT)]


def test_sub_pollin_only_for_matching_messages(new: Any) -> None:
    pub = new(zmq.PUB)
    sub = new(zmq.SUB)
    pub.bind("inproc://filter-poll")
    sub.connect("inproc://filter-poll")
    sub.subscribe(b"yes")
    pub.send(b"no")
    assert sub.poll(50) == 0
    pub.send(b"yes")
    assert sub.poll(1000) == zmq.POLLIN
    assert sub.recv() == b"yes"


def test_events_option_and_req_rep_readiness(new: Any) -> None:
    rep = new(zmq.REP)
    req = new(zmq.REQ)
    rep.bind("inproc://events-rr")
    req.connect("inproc://events-rr")
    assert req.getsockopt(zmq.EVENTS) == zmq.POLLOUT
    assert rep.getsockopt(zmq.EVENTS) == 0
    req.send(b"q")
    assert req.events == 0
    assert rep.poll(1000) == zmq.POLLIN
    rep.recv()
    assert rep.events == zmq.POLLOUT
    rep.send(b"a")
    assert req.poll(1000) == zmq.POLLIN


def test_select(new: Any, fds: Any) -> None:
    r, w, _sa, _sb = fds
    a, b = pair(new)
    assert zmq.select([a, r], [], [], 0.02) == ([], [], [])
    b.send(b"x")
    os.write(w, b"y")
    rl, wl, xl = zmq.select([a, r], [b], [a], 1)
    assert rl == [a, r] and wl == [b] and xl == []


def test_closed_socket_in_poller_raises(new: Any) -> None:
    a, _b = pair(new)
    poller = zmq.Poller()
    poller.register(a, zmq.POLLIN)
    a.close()
    with pytest.raises(zmq.ZMQError) as exc:
        poller.poll(0)
    assert exc.value.errno == zmq.ENOTSOCK


def test_hangup_on_a_plain_fd_is_reported(fds: Any) -> None:
    _r, _w, sa, sb = fds
    poller = zmq.Poller()
    poller.register(sa, zmq.POLLIN)
    sb.close()
    events = dict(poller.poll(1000))
    assert events[sa] & zmq.POLLIN  # EOF reads as readable, as with zmq_poll


def test_objects_with_fileno_are_returned_as_registered(lib: Any) -> None:
    """The issue asks for the object back, as pyzmq's docs describe; pyzmq 27's
    backend hands back the number its fileno() returned (a kept difference,
    spec/pyzmq.md)."""
    a, b = socket.socketpair()
    try:
        b.send(b"x")
        poller = lib.Poller()
        poller.register(a, lib.POLLIN)
        expected = a if lib is zmq else a.fileno()
        assert poller.poll(1000) == [(expected, lib.POLLIN)]
        assert lib.select([a], [], [], 1) == ([expected], [], [])
        poller.unregister(a)
        poller.register(a.fileno(), lib.POLLIN)
        assert poller.poll(1000) == [(a.fileno(), lib.POLLIN)]  # a number stays a number
    finally:
        a.close()
        b.close()
