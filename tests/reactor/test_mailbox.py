"""Mailbox: a post from any thread wakes the owner's `wait`; one signal per
batch; `process` runs commands in order; no wake-up is lost when posts race
with processing."""

from __future__ import annotations

import select
import sys
import threading
import time
from typing import Any

import pytest

from purezmq.reactor.mailbox import Mailbox
from tests.testing import eventually, innermost

JOIN = 10.0


@pytest.fixture
def mailbox() -> Any:
    mb = Mailbox()
    yield mb
    mb.close()


def readable(mb: Mailbox) -> bool:
    """The fd says 'something is queued' (the kernel's view, no side effect)."""
    p = select.poll()
    p.register(mb.fileno(), select.POLLIN)
    return bool(p.poll(0))


def test_post_from_another_thread_wakes_a_blocked_wait(mailbox: Mailbox) -> None:
    result: list[Any] = []

    def owner() -> None:
        start = time.monotonic()
        woke = mailbox.wait(JOIN)
        result.append((woke, time.monotonic() - start))

    t = threading.Thread(target=owner, daemon=True)
    t.start()
    # blocked in the kernel: poll() is C, so Mailbox.wait is the innermost frame
    eventually(lambda: innermost(t) == "wait", what="the owner blocked in Mailbox.wait")
    poster = threading.Thread(target=mailbox.post, args=(result.append, "cmd"), daemon=True)
    poster.start()
    poster.join(JOIN)
    t.join(JOIN)
    assert not t.is_alive(), "a post did not wake the blocked wait"
    (woke, waited), *_ = result
    assert woke is True and waited < JOIN
    assert mailbox.process() == 1
    assert result[-1] == "cmd"


def test_wait_times_out_when_nothing_is_posted(mailbox: Mailbox) -> None:
    start = time.monotonic()
    assert mailbox.wait(0.05) is False  # the timeout is what is under test
    assert time.monotonic() - start >= 0.04
    assert mailbox.wait(0) is False


def test_wait_returns_at_once_with_commands_queued(mailbox: Mailbox) -> None:
    mailbox.post(lambda: None)
    assert mailbox.wait(None) is True  # no timeout: must not block
    assert mailbox.wait(0) is True


def test_one_signal_per_batch(mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch) -> None:
    writes: list[int] = []
    real = Mailbox._write_signal

    def counting(self: Mailbox) -> None:
        writes.append(1)
        real(self)

    monkeypatch.setattr(Mailbox, "_write_signal", counting)
    assert not readable(mailbox)
    for i in range(100):
        mailbox.post(lambda i=i: None)
    assert len(writes) == 1 and readable(mailbox)
    assert mailbox.process() == 100
    assert not readable(mailbox), "process drains the signal"
    mailbox.post(lambda: None)
    mailbox.post(lambda: None)
    assert len(writes) == 2 and readable(mailbox)
    assert mailbox.process() == 2
    assert mailbox.process() == 0 and not mailbox.pending


def test_process_runs_commands_in_order(mailbox: Mailbox) -> None:
    seen: list[Any] = []
    for i in range(50):
        mailbox.post(seen.append, i)
    mailbox.post(seen.extend, ("a", "b"))
    assert mailbox.pending
    assert mailbox.process() == 51
    assert seen == [*range(50), "a", "b"]
    assert not mailbox.pending


def test_commands_posted_while_processing_run_in_the_same_call(mailbox: Mailbox) -> None:
    seen: list[str] = []

    def first() -> None:
        seen.append("first")
        mailbox.post(seen.append, "posted by first")

    mailbox.post(first)
    assert mailbox.process() == 2
    assert seen == ["first", "posted by first"]


def test_post_after_close_is_ignored() -> None:
    mb = Mailbox()
    mb.close()
    mb.post(lambda: None)  # no write into a closed (maybe reused) fd
    mb.close()  # idempotent


def test_no_lost_wake_up_under_concurrent_posts(mailbox: Mailbox) -> None:
    """Producers post while the owner alternates a kernel wait on the fd (as
    the I/O thread's selector does) with `process`. A lost wake-up leaves
    commands queued behind a silent fd: the wait then times out with work
    pending, which fails the test (bounded, no hang). Every few posts a
    producer waits for its own command to run, so a lost wake-up is not
    rescued by the next post; a tiny switch interval multiplies the
    interleavings."""
    poller = select.poll()
    poller.register(mailbox.fileno(), select.POLLIN)

    def fd_ready(seconds: float) -> bool:
        return bool(poller.poll(int(seconds * 1000)))

    producers, per_producer, every = 2, 3000, 1
    total = producers * (per_producer + per_producer // every)
    last = [-1] * producers
    out_of_order: list[tuple[int, int]] = []
    go = threading.Barrier(producers + 1)

    def record(p: int, i: int) -> None:
        if i != last[p] + 1:
            out_of_order.append((p, i))
        last[p] = i

    def produce(p: int) -> None:
        go.wait(JOIN)
        for i in range(per_producer):
            mailbox.post(record, p, i)
            if i % every == every - 1:
                ran = threading.Event()
                mailbox.post(ran.set)
                if not ran.wait(JOIN):
                    return  # the owner fails the test

    threads = [threading.Thread(target=produce, args=(p,), daemon=True) for p in range(producers)]
    for t in threads:
        t.start()
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    try:
        go.wait(JOIN)
        done = 0
        deadline = time.monotonic() + 60
        while done < total:
            assert time.monotonic() < deadline, f"only {done} of {total} commands ran"
            if not fd_ready(5.0):
                # quiet for 5 s: only right if nothing is queued (a post between
                # its append and its signal makes the fd readable a moment later)
                lost = mailbox.pending and not fd_ready(1.0)
                assert not lost, f"lost wake-up: commands queued, fd silent ({done} run)"
            done += mailbox.process()
    finally:
        sys.setswitchinterval(switch)
    for t in threads:
        t.join(JOIN)
    assert done == total
    assert not out_of_order, out_of_order[:5]
    assert last == [per_producer - 1] * producers
    # A producer's signal may land after its command already ran (a spurious
    # wake-up, harmless by design): one more process() clears it.
    assert mailbox.process() == 0
    assert not readable(mailbox) and not mailbox.pending
