"""Helpers shared by the device tests: run a relay on a thread, stop it by
terminating its context, and check nothing is left behind."""

from __future__ import annotations

import os
import threading
import time
from typing import Any, Callable, Optional

import purezmq

JOIN_TIMEOUT = 10.0


def fd_count() -> int:
    return len(os.listdir("/proc/self/fd"))


class RelayThread:
    """Run `fn(*args)` (proxy, proxy_steerable, monitored_queue...) on a thread
    and record how it ended."""

    def __init__(
        self, fn: Callable[..., Any], *args: Any, close: Optional[list[Any]] = None
    ) -> None:
        self.result: Any = None
        self.error: Optional[BaseException] = None
        self._close = close or []
        self.thread = threading.Thread(target=self._run, args=(fn, args), daemon=True, name="relay")
        self.thread.start()

    def _run(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        try:
            self.result = fn(*args)
        except BaseException as exc:  # inspected by the test
            self.error = exc
        finally:
            for sock in self._close:
                sock.close()

    def join(self, timeout: float = JOIN_TIMEOUT) -> None:
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "relay thread still running"


def term_in_thread(ctx: Any, timeout: float = JOIN_TIMEOUT) -> None:
    """ctx.term() from a helper thread, failing (not hanging) if it blocks."""
    t = threading.Thread(target=ctx.term, daemon=True, name="term")
    t.start()
    t.join(timeout)
    assert not t.is_alive(), f"{ctx!r}.term() did not return within {timeout}s"


def wait_for(predicate: Callable[[], bool], timeout: float = 5.0, interval: float = 0.01) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def settle_subscriptions(pub: Any, sub: Any, topic: bytes = b"", timeout: float = 5.0) -> None:
    """Publish probes until `sub` gets one (slow joiner), then drain probes."""
    deadline = time.monotonic() + timeout
    probe = topic + b"\x00probe"
    while time.monotonic() < deadline:
        pub.send(probe)
        if sub.poll(50):
            break
    else:
        raise AssertionError("subscription never reached the publisher")
    while sub.poll(100):
        sub.recv_multipart()


__all__ = [
    "RelayThread",
    "fd_count",
    "purezmq",
    "settle_subscriptions",
    "term_in_thread",
    "wait_for",
]
