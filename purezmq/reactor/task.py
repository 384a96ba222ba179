"""LoopTask: run a step function on the I/O thread, woken by fds.

Library code that wants to do its work on the I/O thread (the proxy: so a
message is decoded, relayed and re-encoded by one thread) hands over the fds
whose readability means "maybe work to do" and a `step` that does a bounded
amount of it. Only this module and the rest of `reactor/` touch the selector.

`step` returns IDLE (wait for an fd), MORE (run again after the loop's other
work, so a busy task never starves the engines it feeds) or DONE. The task
ends on DONE or on an exception from `step`; its fds leave the selector
before `done` is set, so the waiting caller may close the owners at once.
"""

from __future__ import annotations

import threading
from typing import Callable, Optional

from .loop import EVENT_READ, IOThread

IDLE, MORE, DONE = 0, 1, 2


class LoopTask:
    def __init__(self, loop: IOThread, fds: list[int], step: Callable[[], int]) -> None:
        self.loop = loop
        self.step = step
        self.done = threading.Event()
        self.error: Optional[BaseException] = None
        self._fds = fds
        self._registered: list[int] = []
        self._finished = False
        self._scheduled = False

    def start(self) -> None:
        """Ask the loop to register the fds and run a first step."""
        self.loop.call_soon_threadsafe(self._start)

    def kick(self) -> None:
        """Run a step soon, even without a wake-up (any thread)."""
        self.loop.call_soon_threadsafe(self._kick)

    def cancel(self, error: Optional[BaseException] = None) -> None:
        """End the task from any thread."""
        self.loop.call_soon_threadsafe(self._finish, error)

    def _start(self) -> None:
        if self._finished:
            return
        try:
            for fd in self._fds:
                self.loop.add_handler(fd, EVENT_READ, self)
                self._registered.append(fd)
        except BaseException as exc:
            self._finish(exc)
            return
        self._kick()

    def on_readable(self) -> None:
        self._kick()

    def on_writable(self) -> None:  # never registered for writing
        pass

    def on_loop_error(self, exc: Exception) -> None:
        self._finish(exc)

    def force_close(self) -> None:
        self._finish(None)

    def _kick(self) -> None:
        if self._finished:
            return
        try:
            status = self.step()
        except BaseException as exc:
            self._finish(exc)
            return
        if status == DONE:
            self._finish(None)
        elif status == MORE and not self._scheduled:
            self._scheduled = True
            self.loop.call_soon_threadsafe(self._again)

    def _again(self) -> None:
        self._scheduled = False
        self._kick()

    def _finish(self, error: Optional[BaseException]) -> None:
        if self._finished:
            return
        self._finished = True
        for fd in self._registered:
            self.loop.remove_handler(fd)
        self._registered = []
        self.error = error
        self.done.set()
