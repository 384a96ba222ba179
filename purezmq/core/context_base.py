"""ContextBase: what a context is below the pyzmq API (libzmq ctx_t).

It owns the I/O thread (started on first tcp/ipc use), the registry of open
sockets (their hubs), the inproc endpoints, the ZAP client, and termination.

Termination: ``term()`` marks every open socket terminated (blocking calls
raise ContextTerminated), then waits until every socket is closed and every
session has finished lingering. A socket the user dropped without
``close()`` is handed here by its finaliser (`adopt`) and closed on the I/O
thread, by the next socket created, or by ``term()``: a finaliser can run on
any thread, even inside one of our locks, so it must not close anything
itself. A socket in a reference cycle, or on an interpreter without
reference counting (PyPy), is finalised only by the cycle collector, so
while it waits ``term()`` runs ``gc.collect()`` now and then. It holds no
reference to any user socket object itself.
"""

from __future__ import annotations

import atexit
import errno
import gc
import threading
import weakref
from collections import deque
from typing import TYPE_CHECKING, Callable, Optional

from ..error import ContextTerminated, ZMQError
from ..reactor.loop import IOThread
from ..reactor.zap import ZapClient
from ..zmtp.events import AuthRequest
from .inproc import InprocRegistry

if TYPE_CHECKING:
    from ..reactor.engine import StreamEngine
    from .hub import SocketHub

_GC_AFTER = (0.05, 0.25, 1.0)  # term(): seconds of no progress before each gc.collect()


class ContextBase:
    """A context's sockets, I/O thread, inproc endpoints and termination."""

    def __init__(self, io_threads: int = 1) -> None:
        if io_threads < 0:
            raise ZMQError(errno.EINVAL, "io_threads must be >= 0")
        self._io_threads = io_threads
        self._max_sockets = 1023
        self._loop: Optional[IOThread] = None
        self._cond = threading.Condition(threading.RLock())
        self._hubs: set[SocketHub] = set()
        self._sessions_alive = 0
        self._closed = False
        self._terminating = False
        self.inproc = InprocRegistry()
        self._orphans: deque[SocketHub] = deque()  # dropped without close(): to close
        self._zap: Optional[ZapClient] = None
        _live_contexts.add(self)

    @property
    def closed(self) -> bool:
        return self._closed

    # -- sockets ----------------------------------------------------------------

    def add_socket(self, hub: SocketHub) -> None:
        if self._orphans:
            self.close_orphans()
        with self._cond:
            if self._closed or self._terminating:
                raise ContextTerminated()
            if len(self._hubs) >= self._max_sockets:
                raise ZMQError(errno.EMFILE, "Too many open sockets in this context")
            self._hubs.add(hub)

    def remove_socket(self, hub: SocketHub) -> None:
        with self._cond:
            if hub in self._hubs:
                self._hubs.discard(hub)
                self._cond.notify_all()

    def adopt(self, hub: SocketHub) -> None:
        """A finaliser's hand-over of a socket dropped without close(); any
        thread, takes no lock of ours (a deque append, then the I/O thread's
        mailbox)."""
        self._orphans.append(hub)
        loop = self._loop
        if loop is not None:
            loop.post(self.close_orphans)

    def close_orphans(self) -> None:
        """Close the sockets handed over by `adopt`."""
        orphans = self._orphans
        while orphans:
            try:
                hub = orphans.popleft()
            except IndexError:
                return
            hub.close()

    def open_sockets(self) -> list[SocketHub]:
        with self._cond:
            return list(self._hubs)

    # -- sessions (SocketHub reports them) --------------------------------------

    def session_started(self) -> None:
        with self._cond:
            self._sessions_alive += 1

    def session_finished(self) -> None:
        with self._cond:
            self._sessions_alive -= 1
            self._cond.notify_all()

    # -- the I/O thread ------------------------------------------------------------

    def io(self) -> IOThread:
        """The I/O thread, started on first use."""
        if self._closed or self._terminating:
            raise ContextTerminated()
        loop = self._loop
        if loop is None:
            with self._cond:
                loop = self._loop
                if loop is None:
                    loop = IOThread()
                    loop.start()
                    self._loop = loop
        return loop

    def io_if_started(self) -> Optional[IOThread]:
        return self._loop

    # -- termination -----------------------------------------------------------------

    def start_terminating(self) -> list[SocketHub]:
        """No new sockets from now on; every open socket is told. Returns them."""
        with self._cond:
            self._terminating = True
            hubs = list(self._hubs)
        for hub in hubs:
            hub.terminating()
        return hubs

    def term(self) -> None:
        """Wait for every socket to close and finish lingering, then release
        the I/O thread. Blocking calls on this context's sockets in other
        threads raise ContextTerminated; those threads must then close them."""
        if self._closed:
            return
        self.start_terminating()
        self._wait_until(lambda: not self._hubs and self._sessions_alive <= 0)
        self._shutdown()

    def destroy(self, linger: Optional[int] = None) -> None:
        """Close every socket (with `linger` ms if given), then terminate."""
        if self._closed:
            return
        for hub in self.start_terminating():
            if linger is not None:
                hub.options.linger = linger
            hub.close()
        self.term()

    def _wait_until(self, done: Callable[[], bool]) -> None:
        """Wait on the condition; after a while with no progress, collect
        garbage: dropped sockets in cycles (or on PyPy) close when finalised."""
        pauses = iter(_GC_AFTER)
        while True:
            self.close_orphans()
            with self._cond:
                if done():
                    return
                if self._cond.wait(next(pauses, _GC_AFTER[-1])):
                    continue  # something changed: look again
            gc.collect()  # outside the lock: finalisers hand sockets to `adopt`

    def _shutdown(self) -> None:
        loop = self._loop
        self._loop = None
        if loop is not None:
            loop.stop(timeout=10)
        self._zap = None
        self._closed = True
        _live_contexts.discard(self)

    # -- ContextOwner: what the I/O layer asks ---------------------------------------

    def inproc_binder(self, name: str) -> Optional[SocketHub]:
        return self.inproc.binder(name)

    def zap_authenticate(self, hub: SocketHub, engine: StreamEngine, request: AuthRequest) -> None:
        """I/O thread: ask the ZAP handler at inproc://zeromq.zap.01 about a peer."""
        if self._zap is None:
            self._zap = ZapClient(engine.loop, self)
        self._zap.request(hub, engine, request)

    def debug_state(self) -> str:
        """What term() is still waiting for (shown when a test's teardown hangs)."""
        return f"(open sockets: {len(self._hubs)}, live sessions: {self._sessions_alive})"


_live_contexts: weakref.WeakSet[ContextBase] = weakref.WeakSet()


@atexit.register
def _stop_io_threads() -> None:
    """At exit, stop I/O threads without waiting for linger (as a daemon would)."""
    for ctx in list(_live_contexts):
        loop = ctx.io_if_started()
        if loop is not None:
            try:
                loop.stop(timeout=1)
            except Exception:
                pass
