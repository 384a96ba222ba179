"""Pipe: HWM/LWM, wake-ups exactly on transitions, close, cross-thread use."""

from __future__ import annotations

import queue
import sys
import threading
from typing import Any, Callable

import pytest

from purezmq.routing.pipe import Pipe, compute_lwm, pipe_pair


class Sink:
    """Counts the notifications an owner gets."""

    def __init__(self) -> None:
        self.readable = 0
        self.writable = 0
        self.terminated = 0

    def read_activated(self, pipe: Pipe) -> None:
        self.readable += 1

    def write_activated(self, pipe: Pipe) -> None:
        self.writable += 1

    def pipe_terminated(self, pipe: Pipe) -> None:
        self.terminated += 1


def bound_pair(hwm_ab: int = 0, hwm_ba: int = 0) -> tuple[Pipe, Sink, Pipe, Sink]:
    a, b = pipe_pair(hwm_ab, hwm_ba)
    sa, sb = Sink(), Sink()
    a.bind(sa, a.post)  # the default post runs the call at once
    b.bind(sb, b.post)
    return a, sa, b, sb


def test_compute_lwm() -> None:
    assert compute_lwm(0) == 0
    assert compute_lwm(1) == 1
    assert compute_lwm(4) == 2
    assert compute_lwm(5) == 3
    assert compute_lwm(1000) == 500
    assert compute_lwm(2048) == 1024
    assert compute_lwm(5000) == 5000 - 1024


def test_hwm_bounds_writes() -> None:
    a, _sa, b, _sb = bound_pair(3, 0)
    assert [a.write([b"%d" % i]) for i in range(5)] == [True, True, True, False, False]
    assert not a.check_write()
    assert a.queued_out() == 3 and b.queued_in() == 3
    assert b.read() == [b"0"]
    assert a.check_write()
    assert a.write([b"3"])
    assert [b.read() for _ in range(4)] == [[b"1"], [b"2"], [b"3"], None]


def test_hwm_zero_is_unbounded() -> None:
    a, _, b, _ = bound_pair(0, 0)
    assert all(a.write([b"x"]) for _ in range(10_000))
    assert b.queued_in() == 10_000


def test_each_direction_has_its_own_hwm() -> None:
    a, _, b, _ = bound_pair(1, 2)
    assert a.write([b"a"]) and not a.write([b"a"])
    assert b.write([b"b"]) and b.write([b"b"]) and not b.write([b"b"])


def test_write_wakeup_exactly_at_lwm() -> None:
    a, sa, b, sb = bound_pair(4, 0)  # lwm 2
    for _ in range(4):
        assert a.write([b"m"])
    assert not a.write([b"m"])
    assert not a.write([b"m"])  # a second refusal does not add a wake-up
    assert sa.writable == 0
    b.read()  # 3 left: above the LWM
    assert sa.writable == 0
    b.read()  # 2 left: at the LWM
    assert sa.writable == 1
    b.read()
    b.read()
    b.read()
    assert sa.writable == 1
    assert sb.readable == 0  # reader never slept while messages were queued


def test_no_write_wakeup_without_a_refused_write() -> None:
    a, sa, b, _ = bound_pair(4, 0)
    for _ in range(4):
        a.write([b"m"])
    while b.read() is not None:
        pass
    assert sa.writable == 0


def test_check_write_arms_the_write_wakeup() -> None:
    a, sa, b, _ = bound_pair(2, 0)  # lwm 1
    a.write([b"1"])
    a.write([b"2"])
    assert not a.check_write()
    b.read()
    assert sa.writable == 1


def test_read_wakeup_only_after_the_reader_slept() -> None:
    a, _sa, b, sb = bound_pair()
    a.write([b"1"])  # the reader never looked: no wake-up (owner polls on attach)
    assert sb.readable == 0
    assert b.read() == [b"1"]
    assert b.read() is None  # now asleep
    a.write([b"2"])
    assert sb.readable == 1
    a.write([b"3"])  # already awake: no second wake-up
    assert sb.readable == 1
    assert b.read() == [b"2"]
    assert b.read() == [b"3"]
    assert b.read() is None
    assert b.read() is None  # sleeping twice is still one transition
    a.write([b"4"])
    a.write([b"5"])
    assert sb.readable == 2


def test_has_in_does_not_sleep() -> None:
    a, _, b, sb = bound_pair()
    assert b.read() is None
    assert not b.has_in()
    a.write([b"x"])
    assert b.has_in()
    assert sb.readable == 1


def test_wakeups_go_through_post() -> None:
    a, b = pipe_pair(1, 0)
    sa, sb = Sink(), Sink()
    calls: list[tuple[Callable[..., None], tuple[Any, ...]]] = []

    def record(fn: Callable[..., None], *args: Any) -> None:
        calls.append((fn, args))

    a.bind(sa, record)
    b.bind(sb, record)
    assert b.read() is None
    a.write([b"x"])
    assert not a.write([b"y"])
    assert sb.readable == 0  # nothing runs until the owner runs its post queue
    assert calls == [(sb.read_activated, (b,))]
    b.read()
    assert calls[1] == (sa.write_activated, (a,))
    for fn, args in calls:
        fn(*args)
    assert (sa.writable, sb.readable) == (1, 1)


def test_unbound_sink_gets_nothing_and_does_not_fail() -> None:
    a, b = pipe_pair(1, 1)
    assert b.read() is None
    assert a.write([b"x"])
    assert not a.write([b"x"])
    assert b.read() == [b"x"]
    a.close()
    assert not b.terminated  # nobody to tell


def test_close_delivers_queued_then_terminates() -> None:
    a, sa, b, sb = bound_pair()
    a.write([b"1", b"more"])
    a.write([b"2"])
    a.close()
    assert a.closed
    assert sb.terminated == 1 and b.terminated
    assert sa.terminated == 0 and not a.terminated
    assert b.in_closed()
    assert not a.write([b"3"])  # closed: refused
    a.force_write([b"4"])  # also dropped
    assert b.read() == [b"1", b"more"]
    assert b.read() == [b"2"]
    assert b.read() is None
    a.close()  # idempotent
    assert sb.terminated == 1


def test_check_write_false_towards_a_terminated_peer() -> None:
    a, _, b, _ = bound_pair()
    a.close()
    assert b.terminated
    assert not b.check_write()
    assert not a.check_write()


def test_terminated_delivered_once_through_post() -> None:
    a, b = pipe_pair(0, 0)
    sb = Sink()
    posted: list[tuple[Callable[..., None], tuple[Any, ...]]] = []
    b.bind(sb, lambda fn, *args: posted.append((fn, args)))
    a.close()
    assert not b.terminated  # not until the owner's thread runs it
    for fn, args in posted * 2:  # even run twice, delivered once
        fn(*args)
    assert b.terminated and sb.terminated == 1


def test_force_write_ignores_hwm() -> None:
    a, _, b, _ = bound_pair(1, 0)
    a.write([b"1"])
    assert not a.write([b"2"])
    a.force_write([b"sub"])
    assert b.queued_in() == 2


def test_read_batch() -> None:
    a, sa, b, sb = bound_pair(10, 0)  # lwm 5
    for i in range(10):
        a.write([i])
    assert not a.write([10])
    out: list[Any] = []
    assert b.read_batch(out, 4) == 4
    assert out == [[0], [1], [2], [3]]
    assert sa.writable == 0  # 6 left, above the LWM
    assert b.read_batch(out, 1) == 1
    assert sa.writable == 1  # 5 left: at the LWM
    assert b.read_batch(out, 100) == 5
    assert out == [[i] for i in range(10)]
    assert b.read_batch(out, 100) == 0
    a.write([b"late"])  # the batch that ran dry put the reader to sleep
    assert sb.readable == 1
    assert b.read_batch(out, 0) == 0
    assert b.read_batch(out, 5) == 1


def test_read_batch_limit_does_not_sleep() -> None:
    a, _, b, sb = bound_pair()
    assert b.read() is None  # asleep
    a.write([1])
    a.write([2])
    assert sb.readable == 1
    out: list[Any] = []
    assert b.read_batch(out, 2) == 2  # stopped by the limit, never saw empty
    a.write([3])
    assert sb.readable == 1  # so no new wake-up is owed
    assert b.read_batch(out, 2) == 1


def test_repr() -> None:
    a, _, _, _ = bound_pair()
    a.routing_id = b"id"
    a.write([b"x"])
    assert "id" in repr(a) and "out=1" in repr(a)


# -- cross-thread stress ---------------------------------------------------------


def _stress(n: int, hwm: int, batch: int) -> None:
    """A writer and a reader thread move n messages through one pipe.

    Each side waits only on its own post queue, as a socket waits on its
    mailbox; a lost wake-up shows up as a timeout, not a hang."""
    a, b = pipe_pair(hwm, hwm)
    qa: queue.SimpleQueue[Any] = queue.SimpleQueue()
    qb: queue.SimpleQueue[Any] = queue.SimpleQueue()
    sa, sb = Sink(), Sink()
    a.bind(sa, lambda fn, *args: qa.put((fn, args)))
    b.bind(sb, lambda fn, *args: qb.put((fn, args)))
    errors: list[BaseException] = []
    received: list[int] = []
    stop = threading.Event()

    def writer() -> None:
        try:
            i = 0
            write = a.write
            while i < n:
                if write(i):
                    i += 1
                    continue
                if stop.is_set():
                    return
                fn, args = qa.get(timeout=5)  # queue.Empty: lost wake-up
                fn(*args)
            a.close()
        except BaseException as e:
            errors.append(e)
            stop.set()

    def reader() -> None:
        try:
            expected = 0
            out: list[Any] = []
            while True:
                if batch:
                    got = b.read_batch(out, batch)
                    for m in out:
                        if m != expected:
                            raise AssertionError(f"got {m}, expected {expected}")
                        expected += 1
                    out.clear()
                else:
                    m = b.read()
                    got = m is not None
                    if got:
                        if m != expected:
                            raise AssertionError(f"got {m}, expected {expected}")
                        expected += 1
                if got:
                    continue
                if b.terminated:
                    break
                if stop.is_set():
                    return
                fn, args = qb.get(timeout=5)  # queue.Empty: lost wake-up
                fn(*args)
            received.append(expected)
        except BaseException as e:
            errors.append(e)
            stop.set()

    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-4)  # interleave the two threads more often
    try:
        threads = [threading.Thread(target=f, daemon=True) for f in (writer, reader)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        stop.set()
        assert not any(t.is_alive() for t in threads), "stress test hung"
    finally:
        sys.setswitchinterval(old)
    if errors:
        raise errors[0]
    assert received == [n]
    assert sb.terminated == 1
    assert b.read() is None and not a.has_in()


def test_stress_cross_thread_200k() -> None:
    _stress(200_000, hwm=1000, batch=0)


def test_stress_cross_thread_read_batch() -> None:
    _stress(200_000, hwm=1000, batch=64)


@pytest.mark.parametrize("hwm", [1, 2, 3])
def test_stress_cross_thread_tiny_hwm(hwm: int) -> None:
    _stress(5_000, hwm=hwm, batch=0)
