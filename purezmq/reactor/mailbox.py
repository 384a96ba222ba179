"""Mailbox: a command queue with a file descriptor that signals it.

Any thread may `post`; the owner thread `process`es. The fd becomes readable
on the empty -> non-empty transition only (one byte per batch, not per
command), which is what makes a socket's ``FD`` usable in `select`/asyncio and
lets a blocked ``recv`` sleep in the kernel.

Ordering of the two sides (why no wake-up is lost): `post` appends *before*
testing ``_signaled``; setting the flag with its write, and draining the fd
with clearing the flag, each happen under one lock, so the flag is True
exactly when a byte is pending. `process` pops commands only after that, so
a command posted concurrently is either popped by this `process` or finds the
flag clear and writes a byte. The lock is taken once per batch, not per
command.

Notify hook (for event loops): `notify`, when set, is called after the fd
is signalled, on the posting thread, outside the lock, so once per batch as
well. ``purezmq.asyncio`` sets it to hand a wake-up to an asyncio loop with
``call_soon_threadsafe``, which works on loops without ``add_reader``. It
must be cheap, must not raise, and must not call back into the mailbox.
The fd is still signalled, so blocking calls and pollers keep working.
`on_close`, when set, is called once by `close`, on the closing thread,
before the fd is closed: an event loop watching the fd learns that it goes
(so it can unregister it while the number is still ours).
"""

from __future__ import annotations

import os
import select
import sys
import threading
from collections import deque
from typing import Any, Callable, Optional

_HAS_EVENTFD = hasattr(os, "eventfd") and sys.platform.startswith("linux")


class Mailbox:
    __slots__ = (
        "_cmds",
        "_signaled",
        "_rfd",
        "_wfd",
        "_poller",
        "closed",
        "_lock",
        "notify",
        "on_close",
    )

    def __init__(self) -> None:
        self._cmds: deque[tuple[Callable[..., Any], tuple[Any, ...]]] = deque()
        self._signaled = False
        if _HAS_EVENTFD:
            fd = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)  # type: ignore[attr-defined, unused-ignore]  # 3.10+
            self._rfd = self._wfd = fd
        else:
            self._rfd, self._wfd = os.pipe()
            os.set_blocking(self._rfd, False)
            os.set_blocking(self._wfd, False)
        self._poller: Any = None
        self.closed = False
        # Only signalling and closing take the lock (a signal is once per
        # batch), so a late post can never write into a reused fd number.
        self._lock = threading.Lock()
        self.notify: Optional[Callable[[], None]] = None  # see "Notify hook" above
        self.on_close: Optional[Callable[[], None]] = None  # ditto

    def fileno(self) -> int:
        return self._rfd

    @property
    def pending(self) -> bool:
        return bool(self._cmds)

    def post(self, fn: Callable[..., Any], *args: Any) -> None:
        self._cmds.append((fn, args))
        if not self._signaled:
            self._signal()

    def _signal(self) -> None:
        with self._lock:
            if self._signaled or self.closed:
                return
            self._signaled = True
            self._write_signal()
        notify = self.notify
        if notify is not None:
            notify()

    def _write_signal(self) -> None:
        try:
            if _HAS_EVENTFD:
                os.eventfd_write(self._wfd, 1)  # type: ignore[attr-defined, unused-ignore]  # 3.10+
            else:
                os.write(self._wfd, b"\x01")
        except (BlockingIOError, OSError):
            pass  # already readable, or closed during shutdown

    def _drain(self) -> None:
        try:
            if _HAS_EVENTFD:
                os.eventfd_read(self._rfd)  # type: ignore[attr-defined, unused-ignore]  # 3.10+
            else:
                while os.read(self._rfd, 4096):
                    pass
        except (BlockingIOError, OSError):
            pass

    def process(self) -> int:
        """Run every queued command on the calling (owner) thread."""
        if self._signaled:
            with self._lock:
                if not self.closed:
                    self._drain()
                self._signaled = False
        cmds = self._cmds
        n = 0
        while cmds:
            fn, args = cmds.popleft()
            fn(*args)
            n += 1
        return n

    def wait(self, timeout: float | None) -> bool:
        """Block until a command may be queued or `timeout` seconds pass.

        Returns True if the fd was readable. Does not process commands."""
        if self._cmds:
            return True
        poller = self._poller
        if poller is None:
            poller = self._poller = select.poll()
            poller.register(self._rfd, select.POLLIN)
        ms = -1 if timeout is None else max(0, int(timeout * 1000 + 0.999))
        while True:
            try:
                return bool(poller.poll(ms))
            except InterruptedError:  # pragma: no cover - PEP 475 retries for us
                continue

    def close(self) -> None:
        on_close = self.on_close
        if on_close is not None and not self.closed:
            self.on_close = None
            on_close()
        with self._lock:
            if self.closed:
                return
            self.closed = True
            self.notify = None
            self._cmds.clear()
            os.close(self._rfd)
            if self._wfd != self._rfd:
                os.close(self._wfd)
