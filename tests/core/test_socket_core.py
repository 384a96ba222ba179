"""The socket core's ownership rules: the I/O thread and the context hold a
socket's hub, never the user's socket object, so a socket dropped without
close() is finalised and closed, and term() returns, also when the socket
sits in a reference cycle or its connections are live. term() is bounded
here by running it in a thread with a deadline."""

from __future__ import annotations

import gc
import logging
import threading
import weakref
from typing import Any

import pytest

import purezmq as zmq
from purezmq.core.hub import SocketHub
from purezmq.reactor.contracts import SocketOwner

TERM_BOUND = 5.0


def _term_within(ctx: zmq.Context, bound: float = TERM_BOUND) -> float:
    """Run ctx.term() in a thread; fail if it has not returned within `bound` s."""
    import time

    done = threading.Event()
    started = time.monotonic()
    threading.Thread(target=lambda: (ctx.term(), done.set()), daemon=True).start()
    assert done.wait(bound), f"term() still waiting after {bound}s {ctx.debug_state()}"
    return time.monotonic() - started


def _connected_pair(ctx: zmq.Context) -> tuple[zmq.Socket, zmq.Socket]:
    pull = ctx.socket(zmq.PULL)
    pull.linger = 0
    port = pull.bind_to_random_port("tcp://127.0.0.1")
    push = ctx.socket(zmq.PUSH)
    push.linger = 0
    push.sndtimeo = 5000
    pull.rcvtimeo = 5000
    push.connect(f"tcp://127.0.0.1:{port}")
    push.send(b"hello")
    assert pull.recv() == b"hello"  # the tcp connection is up on both sides
    return push, pull


def test_nothing_of_ours_keeps_a_dropped_socket_alive() -> None:
    ctx = zmq.Context()
    push, pull = _connected_pair(ctx)
    refs = [weakref.ref(push), weakref.ref(pull)]
    del push, pull
    gc.collect()  # PyPy finalises only on collection
    assert [r() for r in refs] == [None, None]
    # their finalisers handed them to the context, whose I/O thread closes them
    _wait_for(lambda: ctx.open_sockets() == [])
    _term_within(ctx)


def test_term_returns_for_sockets_dropped_in_a_reference_cycle(caplog: Any) -> None:
    ctx = zmq.Context()
    push, pull = _connected_pair(ctx)
    cycle: list[Any] = [push, pull]
    cycle.append(cycle)  # the sockets are reachable only from a reference cycle
    del push, pull, cycle
    gc.disable()  # only term() itself may collect them
    try:
        with caplog.at_level(logging.ERROR, logger="purezmq"):
            _term_within(ctx)
    finally:
        gc.enable()
    assert not [r for r in caplog.records if "weakly referenced" in r.getMessage()]


def test_term_returns_once_another_thread_drops_its_socket() -> None:
    """A thread blocked in recv gets ContextTerminated and drops its socket
    without close(): term() returns (pyzmq closes such a socket in __del__)."""
    ctx = zmq.Context()
    got: list[str] = []

    def worker() -> None:
        sock = ctx.socket(zmq.PULL)
        sock.bind("inproc://dropped")
        try:
            sock.recv()
        except zmq.ContextTerminated:
            got.append("ContextTerminated")  # not the exception: its traceback holds `sock`
        # sock goes out of scope here, never closed

    thread = threading.Thread(target=worker, daemon=True)
    thread.start()
    _wait_for(lambda: len(ctx.open_sockets()) == 1)
    _term_within(ctx)
    thread.join(TERM_BOUND)
    assert len(got) == 1


def test_destroy_closes_sockets_with_live_connections() -> None:
    ctx = zmq.Context()
    push, pull = _connected_pair(ctx)
    done = threading.Event()
    threading.Thread(target=lambda: (ctx.destroy(linger=0), done.set()), daemon=True).start()
    assert done.wait(TERM_BOUND)
    assert push.closed and pull.closed


def test_hub_is_the_reactors_socket_owner() -> None:
    """What the reactor holds of a socket is the hub, which satisfies the
    SocketOwner contract (mypy checks the signatures; this checks the wiring)."""
    ctx = zmq.Context()
    try:
        sock = ctx.socket(zmq.DEALER)
        hub = sock._hub
        assert isinstance(hub, SocketHub)
        owner: SocketOwner = hub
        assert owner.options is sock._options
        assert owner.socket_type_name == "DEALER"
        assert not owner.closed
        sock.close()
        assert owner.closed
    finally:
        _term_within(ctx)


def _wait_for(predicate: Any, timeout: float = TERM_BOUND) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() >= deadline:
            pytest.fail("condition not reached in time")
        time.sleep(0.005)
