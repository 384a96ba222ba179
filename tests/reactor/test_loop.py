"""IOThread: timers on an injected clock (order, cancel), commands from many
threads, and a failing handler, timer or command never stops the loop."""

from __future__ import annotations

import inspect
import logging
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from purezmq.reactor.loop import EVENT_READ, IOThread
from tests.testing import JOIN_TIMEOUT, FakeClock, advance, on_loop, sync


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def loop(clock: FakeClock) -> Iterator[IOThread]:
    io = IOThread(name="test-io", clock=clock)
    io.start()
    yield io
    io.stop(JOIN_TIMEOUT)
    assert not io.alive


def test_the_clock_is_the_injected_one(loop: IOThread, clock: FakeClock) -> None:
    assert loop.clock is clock
    default = inspect.signature(IOThread).parameters["clock"].default
    assert default is time.monotonic


def test_timers_fire_by_due_time_then_by_scheduling_order(loop: IOThread, clock: FakeClock) -> None:
    fired: list[str] = []

    def schedule() -> None:
        loop.call_later(3.0, fired.append, "c")
        loop.call_later(1.0, fired.append, "a")
        loop.call_later(2.0, fired.append, "b")
        loop.call_later(1.0, fired.append, "a2")  # same time as "a", scheduled after it
        loop.call_later(0.0, fired.append, "now")

    on_loop(loop, schedule)
    sync(loop)
    assert fired == ["now"]
    advance(loop, clock, 0.999)
    assert fired == ["now"], "a timer ran before its time"
    advance(loop, clock, 0.001)
    assert fired == ["now", "a", "a2"]
    advance(loop, clock, 3600.0)  # an hour of fake time, no real waiting
    assert fired == ["now", "a", "a2", "b", "c"]


def test_a_late_timer_runs_once_however_far_the_clock_jumps(
    loop: IOThread, clock: FakeClock
) -> None:
    fired: list[int] = []
    on_loop(loop, loop.call_later, 5.0, fired.append, 1)
    advance(loop, clock, 1e6)
    advance(loop, clock, 1e6)
    assert fired == [1]


def test_cancelled_timers_do_not_fire(loop: IOThread, clock: FakeClock) -> None:
    fired: list[str] = []

    def schedule() -> Any:
        keep = loop.call_later(1.0, fired.append, "kept")
        drop = loop.call_later(1.0, fired.append, "cancelled")
        first = loop.call_later(0.5, fired.append, "cancelled first")
        drop.cancel()
        first.cancel()  # at the head of the heap
        return keep

    keep = on_loop(loop, schedule)
    advance(loop, clock, 2.0)
    assert fired == ["kept"]
    on_loop(loop, keep.cancel)  # cancelling a fired timer is harmless
    advance(loop, clock, 2.0)
    assert fired == ["kept"]


def test_a_timer_can_schedule_and_cancel_timers(loop: IOThread, clock: FakeClock) -> None:
    fired: list[str] = []
    later: list[Any] = []

    def first() -> None:
        fired.append("first")
        loop.call_later(1.0, fired.append, "second")
        later.append(loop.call_later(1.0, fired.append, "never"))
        later[0].cancel()

    on_loop(loop, loop.call_later, 1.0, first)
    advance(loop, clock, 1.0)
    assert fired == ["first"]
    advance(loop, clock, 1.0)
    assert fired == ["first", "second"]


def test_call_soon_threadsafe_from_many_threads(loop: IOThread) -> None:
    """Every call runs, on the loop's thread, in each poster's order."""
    seen: list[tuple[int, int]] = []
    threads_seen: set[int] = set()

    def record(t: int, i: int) -> None:
        threads_seen.add(threading.get_ident())
        seen.append((t, i))

    posters, per_poster = 4, 2000
    go = threading.Barrier(posters)

    def post(t: int) -> None:
        go.wait(JOIN_TIMEOUT)
        for i in range(per_poster):
            loop.call_soon_threadsafe(record, t, i)

    threads = [threading.Thread(target=post, args=(t,), daemon=True) for t in range(posters)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(JOIN_TIMEOUT)
        assert not t.is_alive()
    sync(loop)
    assert len(seen) == posters * per_poster
    for t in range(posters):
        assert [i for p, i in seen if p == t] == list(range(per_poster))
    loop_thread = on_loop(loop, threading.get_ident)
    assert threads_seen == {loop_thread}
    assert on_loop(loop, loop.in_thread) and not loop.in_thread()


@pytest.mark.io_errors_expected
def test_a_failing_timer_is_logged_and_the_loop_goes_on(
    loop: IOThread, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    fired: list[str] = []

    def boom() -> None:
        raise RuntimeError("timer boom")

    def schedule() -> None:
        loop.call_later(1.0, boom)
        loop.call_later(1.0, fired.append, "same tick")
        loop.call_later(2.0, fired.append, "later")

    on_loop(loop, schedule)
    with caplog.at_level(logging.ERROR, logger="purezmq"):
        advance(loop, clock, 1.0)
    assert fired == ["same tick"]
    assert any("timer boom" in r.getMessage() for r in caplog.records)
    advance(loop, clock, 1.0)
    assert fired == ["same tick", "later"]
    assert loop.alive


@pytest.mark.io_errors_expected
def test_a_failing_command_does_not_drop_the_rest_of_the_batch(
    loop: IOThread, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[int] = []
    gate = threading.Event()

    def boom() -> None:
        raise RuntimeError("command boom")

    with caplog.at_level(logging.ERROR, logger="purezmq"):
        # hold the loop so the three land in one batch
        loop.call_soon_threadsafe(gate.wait, JOIN_TIMEOUT)
        loop.call_soon_threadsafe(seen.append, 1)
        loop.call_soon_threadsafe(boom)
        loop.call_soon_threadsafe(seen.append, 2)
        gate.set()
        sync(loop)
    assert seen == [1, 2]
    assert any("command boom" in r.getMessage() for r in caplog.records)
    assert loop.alive


class _Reader:
    """A handler whose on_readable fails; on_loop_error unregisters it."""

    def __init__(self, loop: IOThread, sock: socket.socket, fail: bool) -> None:
        self.loop = loop
        self.sock = sock
        self.fail = fail
        self.data: list[bytes] = []
        self.errors: list[Exception] = []
        self.got = threading.Event()

    def on_readable(self) -> None:
        if self.fail:
            raise RuntimeError("handler boom")
        self.data.append(self.sock.recv(100))
        self.got.set()

    def on_writable(self) -> None:
        pass

    def on_loop_error(self, exc: Exception) -> None:
        self.errors.append(exc)
        self.loop.remove_handler(self.sock)
        self.got.set()


@pytest.mark.io_errors_expected
def test_a_failing_handler_is_logged_closed_and_others_are_served(
    loop: IOThread, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="purezmq")
    bad_r, bad_w = socket.socketpair()
    good_r, good_w = socket.socketpair()
    try:
        for s in (bad_r, good_r):
            s.setblocking(False)
        bad = _Reader(loop, bad_r, fail=True)
        good = _Reader(loop, good_r, fail=False)
        on_loop(loop, loop.add_handler, bad_r, EVENT_READ, bad)
        on_loop(loop, loop.add_handler, good_r, EVENT_READ, good)
        bad_w.send(b"x")
        assert bad.got.wait(JOIN_TIMEOUT)
        assert [str(e) for e in bad.errors] == ["handler boom"]
        # a handler's escaped exception is a bug: logged, with its traceback
        (record,) = [r for r in caplog.records if "handler boom" in r.getMessage()]
        assert record.exc_info is not None
        good_w.send(b"still served")
        assert good.got.wait(JOIN_TIMEOUT)
        assert good.data == [b"still served"] and not good.errors
        assert loop.alive
    finally:
        for s in (bad_r, bad_w, good_r, good_w):
            s.close()


def test_stop_ends_the_thread_and_force_closes_handlers(clock: FakeClock) -> None:
    loop = IOThread(name="test-io-stop", clock=clock)
    loop.start()
    closed = threading.Event()

    class Handler:
        def force_close(self) -> None:
            closed.set()

    on_loop(loop, loop.handlers.add, Handler())
    on_loop(loop, loop.call_later, 10.0, pytest.fail, "a timer ran after stop")
    loop.stop(JOIN_TIMEOUT)
    assert not loop.alive
    assert closed.is_set()


def test_sync_is_a_barrier(loop: IOThread) -> None:
    """The helper these tests rely on: commands posted before sync have run."""
    ran: list[int] = []
    for i in range(10):
        loop.call_soon_threadsafe(ran.append, i)
    sync(loop)
    assert ran == list(range(10))
