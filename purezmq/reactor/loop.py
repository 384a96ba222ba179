"""The I/O thread: one `selectors` loop per Context (libzmq io_thread_t).

Theory of operation
-------------------
Listeners, connecters, engines, sessions and timers live here, and only
this thread touches the selector. Other threads talk to it through
`call_soon_threadsafe`, which queues on a `Mailbox` whose fd sits in the
selector, so a burst of calls costs one wake-up. The one documented
exception is write-through (spec/threading.md): an app thread that holds a
session's lock may send on that session's idle connection itself; anything
it would change in the selector it hands back with `call_in_loop`.

Handlers (`contracts.IOHandler`) register with `add_handler(fileobj, events,
handler)`; the selector calls ``handler.on_readable()`` /
``handler.on_writable()``. A handler that raises is closed through
``handler.on_loop_error(exc)``: nothing a peer does can stop this thread.
Timers are a heap of `Timer` handles (cancelled lazily).
"""

from __future__ import annotations

import heapq
import itertools
import logging
import selectors
import threading
import time
from typing import Any, Callable, Optional

from .contracts import IOHandler
from .mailbox import Mailbox

log = logging.getLogger("purezmq")

EVENT_READ = selectors.EVENT_READ
EVENT_WRITE = selectors.EVENT_WRITE


def _noop(*_: Any) -> None:
    pass


class Timer:
    __slots__ = ("when", "seq", "fn", "args", "cancelled")

    def __init__(
        self, when: float, seq: int, fn: Callable[..., Any], args: tuple[Any, ...]
    ) -> None:
        self.when = when
        self.seq = seq
        self.fn = fn
        self.args = args
        self.cancelled = False

    def cancel(self) -> None:
        # Drop the callback now: a cancelled timer stays in the heap until its
        # time comes, and must not keep a closed engine (and its buffers) alive.
        self.cancelled = True
        self.fn = _noop
        self.args = ()

    def __lt__(self, other: Timer) -> bool:
        return (self.when, self.seq) < (other.when, other.seq)


class IOThread:
    def __init__(
        self, name: str = "purezmq-io", clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.clock = clock  # seconds; timers are due by it (tests may pass a fake)
        self._selector = selectors.DefaultSelector()
        self._mailbox = Mailbox()
        self._selector.register(self._mailbox.fileno(), EVENT_READ, None)
        self._timers: list[Timer] = []
        self._seq = itertools.count()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread_id: Optional[int] = None
        self.handlers: set[IOHandler] = set()  # live engines/listeners/connecters, for shutdown

    def start(self) -> None:
        self._thread.start()

    @property
    def alive(self) -> bool:
        """False once the thread has ended (after stop, or at interpreter exit)."""
        return self._thread.is_alive()

    def in_thread(self) -> bool:
        return threading.get_ident() == self._thread_id

    # -- cross-thread ---------------------------------------------------------

    def call_soon_threadsafe(self, fn: Callable[..., Any], *args: Any) -> None:
        self._mailbox.post(fn, *args)

    post = call_soon_threadsafe

    def call_in_loop(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` now if this is the I/O thread, else post it."""
        if threading.get_ident() == self._thread_id:
            fn(*args)
        else:
            self._mailbox.post(fn, *args)

    def stop(self, timeout: float | None = None) -> None:
        self.post(self._set_stopping)
        if threading.get_ident() != self._thread_id and self._thread.is_alive():
            self._thread.join(timeout)

    def _set_stopping(self) -> None:
        self._stopping = True

    # -- loop-thread only -------------------------------------------------------

    def add_handler(self, fileobj: Any, events: int, handler: IOHandler) -> None:
        self._selector.register(fileobj, events, handler)

    def modify_handler(self, fileobj: Any, events: int, handler: IOHandler) -> None:
        self._selector.modify(fileobj, events, handler)

    def remove_handler(self, fileobj: Any) -> None:
        try:
            self._selector.unregister(fileobj)
        except (KeyError, ValueError):
            pass

    def call_later(self, delay: float, fn: Callable[..., Any], *args: Any) -> Timer:
        timer = Timer(self.clock() + delay, next(self._seq), fn, args)
        heapq.heappush(self._timers, timer)
        return timer

    def _run(self) -> None:
        self._thread_id = threading.get_ident()
        select = self._selector.select
        registered = self._selector.get_map()  # a live view of what is registered
        mailbox = self._mailbox
        timers = self._timers
        clock = self.clock
        try:
            while not self._stopping:
                timeout: Optional[float] = None
                if timers:
                    while timers and timers[0].cancelled:
                        heapq.heappop(timers)
                    if timers:
                        timeout = max(0.0, timers[0].when - clock())
                if mailbox.pending:
                    timeout = 0
                for key, mask in select(timeout):
                    handler = key.data
                    if handler is None:
                        continue  # the mailbox: processed below
                    try:
                        if mask & EVENT_READ:
                            handler.on_readable()
                        if mask & EVENT_WRITE and key.fileobj in registered:
                            handler.on_writable()
                    except Exception as exc:  # never let a peer kill the loop
                        self._handler_failed(handler, exc)
                # Locals must not keep the last handler or timer (a closed
                # engine, its buffers) alive while the next select() sleeps.
                key = handler = None  # type: ignore[assignment]
                self._run_mailbox()
                if timers:
                    now = clock()
                    while timers and timers[0].when <= now:
                        timer = heapq.heappop(timers)
                        if timer.cancelled:
                            continue
                        try:
                            timer.fn(*timer.args)
                        except Exception as exc:
                            log.exception("purezmq: timer callback failed: %s", exc)
                    timer = None  # type: ignore[assignment]
        finally:
            self._shutdown()

    def _run_mailbox(self) -> None:
        mailbox = self._mailbox
        while True:
            try:
                mailbox.process()
                return
            except Exception as exc:  # keep going with the remaining commands
                log.exception("purezmq: I/O thread command failed: %s", exc)

    def _handler_failed(self, handler: IOHandler, exc: Exception) -> None:
        # Handlers deal with what peers and the kernel do where it happens;
        # an exception that gets out is a bug of ours. Say so, then let the
        # handler recover (an engine drops its connection, a connecter retries).
        log.error("purezmq: I/O handler %r failed: %r", handler, exc, exc_info=exc)
        try:
            handler.on_loop_error(exc)
        except Exception:
            log.exception("purezmq: I/O handler failed while closing")

    def _shutdown(self) -> None:
        for handler in list(self.handlers):
            try:
                handler.force_close()
            except Exception:
                log.exception("purezmq: error while closing %r", handler)
        self.handlers.clear()
        try:
            self._selector.close()
        finally:
            self._mailbox.close()
