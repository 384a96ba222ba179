"""MessageTracker: when is a message sent with ``track=True`` done?

Each test runs the same assertions against purezmq and real pyzmq (libzmq):
a tracked message is done once the library is finished with it (the receiver
took it, the bytes went to the kernel, it was dropped), and a tracked Frame
keeps it until the Frame itself goes. Apart from the last two tests, nothing
here relies on the garbage collector: purezmq counts the places that hold a
tracked frame, so the results are the same on PyPy.
"""

from __future__ import annotations

import gc
import socket
import sys
from collections.abc import Iterator
from typing import Any

import pytest

import purezmq
from tests.testing import make_socket, terminate

WAIT = 5.0  # seconds a tracker may take to become done
# pyzmq copies a message smaller than its copy threshold (64 KiB) even with
# copy=False and hands back a tracker that is already done, so every "not
# done yet" assertion below uses a body at least that big.
BIG = b"0123456789abcdef" * 6250  # 100_000 bytes


@pytest.fixture(params=["purezmq", "pyzmq"])
def lib(request: Any) -> Any:
    if request.param == "pyzmq":
        if sys.implementation.name == "pypy":
            pytest.skip(
                "pyzmq's cffi backend hands zero-copy sends to its garbage-collector "
                "thread, which has crashed the PyPy process (segfault) in a later test"
            )
        return pytest.importorskip("zmq")
    return purezmq


@pytest.fixture
def lctx(lib: Any) -> Iterator[Any]:
    c = lib.Context()
    yield c
    terminate(c)


def _pair(lctx: Any, lib: Any, bind_kind: str, connect_kind: str, addr: str) -> tuple[Any, Any]:
    a = make_socket(lctx, getattr(lib, bind_kind))
    b = make_socket(lctx, getattr(lib, connect_kind))
    if addr.startswith("tcp"):
        port = a.bind_to_random_port(addr)
        b.connect(f"{addr}:{port}")
    else:
        a.bind(addr)
        b.connect(addr)
    return a, b


def _dead_port() -> tuple[socket.socket, int]:
    """A TCP port that refuses connections (bound, never listening)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    return s, s.getsockname()[1]


def test_inproc_done_when_the_receiver_takes_it(lib: Any, lctx: Any) -> None:
    a, b = _pair(lctx, lib, "PAIR", "PAIR", "inproc://tracker-inproc")
    tracker = a.send(BIG, copy=False, track=True)
    assert isinstance(tracker, lib.MessageTracker)
    assert not tracker.done  # still queued towards b
    with pytest.raises(lib.NotDone):
        tracker.wait(0.05)
    assert b.recv() == BIG
    tracker.wait(WAIT)
    assert tracker.done
    a.close()
    b.close()


@pytest.mark.parametrize("size", [100, 40_000, 200_000])
def test_tcp_done_once_sent(lib: Any, lctx: Any, size: int) -> None:
    pull, push = _pair(lctx, lib, "PULL", "PUSH", "tcp://127.0.0.1")
    body = bytes(range(256)) * (size // 256 + 1)
    tracker = push.send(body[:size], copy=False, track=True)
    assert pull.recv() == body[:size]
    tracker.wait(WAIT)
    assert tracker.done
    multi = push.send_multipart([b"a" * 10, body[:size], b""], copy=False, track=True)
    assert pull.recv_multipart() == [b"a" * 10, body[:size], b""]
    multi.wait(WAIT)
    assert multi.done
    push.close()
    pull.close()


def test_tcp_not_done_while_part_of_it_waits_for_the_kernel(lib: Any, lctx: Any) -> None:
    pull = make_socket(lctx, lib.PULL)
    push = make_socket(lctx, lib.PUSH)
    pull.setsockopt(lib.RCVHWM, 1)
    for s in (pull, push):  # small kernel buffers: 2 MB cannot wait in them
        s.setsockopt(lib.SNDBUF, 65536)
        s.setsockopt(lib.RCVBUF, 65536)
    port = pull.bind_to_random_port("tcp://127.0.0.1")
    push.connect(f"tcp://127.0.0.1:{port}")
    body = BIG * 20
    # The first message fills PULL's queue and the second stalls its reader,
    # so the tracked third one sits partly sent behind the kernel's buffers.
    push.send(b"first")
    push.send(body)
    tracker = push.send(body[::-1], copy=False, track=True)
    with pytest.raises(lib.NotDone):
        tracker.wait(0.2)
    assert pull.recv() == b"first"
    assert pull.recv() == body
    assert pull.recv() == body[::-1]
    tracker.wait(WAIT)
    assert tracker.done
    push.close()
    pull.close()


def test_fan_out_done_when_every_subscriber_took_it(lib: Any, lctx: Any) -> None:
    pub = make_socket(lctx, lib.PUB)
    pub.bind("inproc://tracker-fanout")
    subs = [make_socket(lctx, lib.SUB) for _ in range(2)]
    for sub in subs:
        sub.connect("inproc://tracker-fanout")
        sub.setsockopt(lib.SUBSCRIBE, b"")
    for sub in subs:  # wait until both subscriptions reached the PUB
        while not sub.poll(20):
            pub.send(b"probe")
    for sub in subs:
        while sub.poll(50):
            sub.recv()
    tracker = pub.send(BIG, copy=False, track=True)
    assert subs[0].recv() == BIG
    assert not tracker.done  # the second subscriber's pipe still holds it
    assert subs[1].recv() == BIG
    tracker.wait(WAIT)
    assert tracker.done
    for s in [pub, *subs]:
        s.close()


def test_done_when_dropped_at_close(lib: Any, lctx: Any) -> None:
    guard, port = _dead_port()
    try:
        push = make_socket(lctx, lib.PUSH)
        push.connect(f"tcp://127.0.0.1:{port}")  # queued: the peer never answers
        tracker = push.send(BIG, copy=False, track=True)
        with pytest.raises(lib.NotDone):
            tracker.wait(0.05)
        push.close(linger=0)
        tracker.wait(WAIT)
        assert tracker.done
    finally:
        guard.close()


def test_conflate_drops_the_older_message(lib: Any, lctx: Any) -> None:
    guard, port = _dead_port()
    try:
        push = make_socket(lctx, lib.PUSH)
        push.setsockopt(lib.CONFLATE, 1)
        push.connect(f"tcp://127.0.0.1:{port}")
        old = push.send(BIG, copy=False, track=True)
        new = push.send(BIG[::-1], copy=False, track=True)
        old.wait(WAIT)  # replaced by the newer one
        assert old.done
        assert not new.done
        both = lib.MessageTracker(old, new)
        assert not both.done
        push.close(linger=0)
        new.wait(WAIT)
        both.wait(WAIT)
        assert both.done
    finally:
        guard.close()


def test_a_tracked_frame_holds_its_data_until_collected(lib: Any, lctx: Any) -> None:
    a, b = _pair(lctx, lib, "PAIR", "PAIR", "inproc://tracker-frame")
    frame = lib.Frame(BIG, track=True)
    assert not frame.tracker.done
    tracker = a.send(frame, copy=False, track=True)
    assert b.recv() == BIG
    with pytest.raises(lib.NotDone):
        tracker.wait(0.05)  # sent and received, but the Frame still holds it
    del frame
    gc.collect()  # the Frame's own hold goes with the Frame, as in pyzmq
    tracker.wait(WAIT)
    assert tracker.done
    a.close()
    b.close()


def test_done_when_no_peer_takes_it(lib: Any, lctx: Any) -> None:
    pub = make_socket(lctx, lib.PUB)
    pub.bind("inproc://tracker-nobody")
    tracker = pub.send(BIG, copy=False, track=True)
    # No pipe took it: purezmq learns that when the frame is collected.
    gc.collect()
    tracker.wait(WAIT)
    assert tracker.done
    pub.close()
