"""Green Context, Socket and Poller: blocking calls that block one greenlet.

Theory of operation
-------------------
A blocking send or recv is made non-blocking (NOBLOCK) and retried; between
tries the greenlet waits on the socket's ``FD`` (its mailbox fd) with a gevent
watcher, so the hub runs other greenlets meanwhile. RCVTIMEO / SNDTIMEO bound
the wait as they bound a plain socket's: past them the call raises
``zmq.Again``.

The FD is edge-style, like libzmq's ZMQ_FD: it becomes readable when the
socket's state *may* have changed, and whoever next reads EVENTS (or sends,
or receives) consumes that signal. Two rules keep a wake-up from being lost:

1. before waiting, a greenlet reads EVENTS itself (which also arms the
   pipes' wake-ups), and waits only if what it wants is not ready;
2. every operation on a green socket ends by reading EVENTS again and
   waking the greenlets (recv, send, green Poller) waiting on this socket
   for what is now ready: another greenlet's send may have consumed the
   signal a waiting recv needed.

Closing a green socket stops the watchers on its fd before the fd is closed
and wakes its waiters, which then raise ENOTSOCK.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Optional, TypeVar

import gevent  # type: ignore[import-untyped, import-not-found, unused-ignore]
from gevent.event import Event  # type: ignore[import-untyped, import-not-found, unused-ignore]

from .. import constants as C
from ..error import Again, ZMQError
from ..sugar.context import Context
from ..sugar.poll import Poller, _fileno
from ..sugar.socket import Socket

_NOBLOCK = int(C.NOBLOCK)
_POLLIN = int(C.POLLIN)
_POLLOUT = int(C.POLLOUT)
_POLLERR = int(C.POLLERR)
_READ = 1  # libev/libuv watcher events, as gevent names them
_WRITE = 2

T = TypeVar("T")


class _Wait:
    """One greenlet waiting: the event that wakes it, the events it wants from
    each green socket, and its fd watchers."""

    __slots__ = ("event", "watchers")

    def __init__(self) -> None:
        self.event = Event()
        self.watchers: list[Any] = []

    def watch(self, fd: int, events: int) -> None:
        watcher = gevent.get_hub().loop.io(fd, events)
        watcher.start(self.event.set)
        self.watchers.append(watcher)

    def stop_fd(self, fd: int) -> None:
        """Stop the watchers on `fd` (about to be closed) and wake the waiter."""
        for watcher in self.watchers:
            if watcher.fd == fd:
                _stop(watcher)
        self.event.set()

    def stop(self) -> None:
        for watcher in self.watchers:
            _stop(watcher)
        self.watchers = []


def _stop(watcher: Any) -> None:
    watcher.stop()
    close = getattr(watcher, "close", None)
    if close is not None:
        close()


class _Socket(Socket):
    """A purezmq Socket whose blocking calls block only the calling greenlet.

    `send`, `recv`, `send_multipart`, `recv_multipart`, `recv_into` (and so the
    string/json/pyobj/serialized helpers) and `poll` cooperate with gevent;
    RCVTIMEO and SNDTIMEO are honoured (``zmq.Again`` when they run out)."""

    _waits: dict[_Wait, int]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._waits = {}  # greenlets waiting on this socket -> the events they want

    def __repr__(self) -> str:
        name = getattr(self._socket_type, "name", str(self._socket_type))
        state = " closed" if self.closed else ""
        return f"<purezmq.green.Socket(purezmq.{name}) at {hex(id(self))}{state}>"

    # -- readiness ------------------------------------------------------------------

    def poll_events(self) -> int:
        events = super().poll_events()
        waits = self._waits
        if waits:
            for wait, wanted in list(waits.items()):
                if events & wanted:
                    wait.event.set()
        return events

    def _state_changed(self) -> None:
        """After an operation: wake the waiters for what is now ready."""
        if not self._waits:
            return
        if self.closed:
            self._wake_all()
            return
        try:
            self.poll_events()
        except ZMQError:
            self._wake_all()  # terminated: let them retry and raise

    def _wake_all(self) -> None:
        for wait in list(self._waits):
            wait.event.set()

    def _wait_for(self, wanted: int, timeout: Optional[float]) -> None:
        """Block this greenlet until `wanted` may be ready (or `timeout` s)."""
        if self.poll_events() & wanted:
            return
        wait = _Wait()
        self._waits[wait] = wanted
        try:
            wait.watch(self.mailbox_fd, _READ)
            wait.event.wait(timeout)
        finally:
            wait.stop()
            self._waits.pop(wait, None)

    def _green(self, op: Callable[[int], T], flags: int, wanted: int, timeo: int) -> T:
        """Run `op(flags)`; unless NOBLOCK, retry it as the socket changes,
        waiting green, until `timeo` ms (-1: no limit) have passed."""
        if flags & _NOBLOCK:
            try:
                return op(flags)
            finally:
                self._state_changed()
        deadline = None if timeo < 0 else time.monotonic() + timeo / 1000.0
        flags |= _NOBLOCK
        while True:
            try:
                result = op(flags)
            except Again:
                pass
            except BaseException:
                self._state_changed()
                raise
            else:
                self._state_changed()
                return result
            if deadline is None:
                remaining = None
            else:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self._state_changed()
                    raise Again()
            self._wait_for(wanted, remaining)

    # -- the blocking calls -----------------------------------------------------------

    def send(
        self,
        data: Any,
        flags: int = 0,
        copy: bool = True,
        track: bool = False,
        routing_id: Optional[int] = None,
        group: Optional[str] = None,
    ) -> Any:
        send = super().send
        return self._green(
            lambda f: send(data, f, copy, track, routing_id, group),
            flags,
            _POLLOUT,
            self._options.sndtimeo,
        )

    def send_multipart(
        self, msg_parts: Any, flags: int = 0, copy: bool = True, track: bool = False, **kw: Any
    ) -> Any:
        send_multipart = super().send_multipart
        return self._green(
            lambda f: send_multipart(msg_parts, f, copy, track, **kw),
            flags,
            _POLLOUT,
            self._options.sndtimeo,
        )

    def recv(self, flags: int = 0, copy: bool = True, track: bool = False) -> Any:
        recv = super().recv
        return self._green(lambda f: recv(f, copy, track), flags, _POLLIN, self._options.rcvtimeo)

    def recv_multipart(self, flags: int = 0, copy: bool = True, track: bool = False) -> list[Any]:
        recv_multipart = super().recv_multipart
        return self._green(
            lambda f: recv_multipart(f, copy, track), flags, _POLLIN, self._options.rcvtimeo
        )

    def recv_into(self, buffer: Any, /, *, nbytes: int = 0, flags: int = 0) -> int:
        recv_into = super().recv_into
        return self._green(
            lambda f: recv_into(buffer, nbytes=nbytes, flags=f),
            flags,
            _POLLIN,
            self._options.rcvtimeo,
        )

    def poll(self, timeout: Optional[int] = None, flags: int = C.POLLIN) -> int:
        """Wait (green) up to `timeout` ms (None: forever) for `flags`."""
        self.check_open()
        poller = _Poller()
        poller.register(self, flags)
        return int(dict(poller.poll(timeout)).get(self, 0))

    def close(self, linger: Optional[int] = None) -> None:
        if not self.closed:
            fd = self.mailbox_fd
            for wait in list(self._waits):
                wait.stop_fd(fd)  # before the fd is closed under the watchers
        super().close(linger)


class _Context(Context):
    """A purezmq Context whose sockets are green (`Socket` of zmq.green)."""

    _socket_class = _Socket
    _instance: Optional[Context] = None  # not shared with the plain Context's
    _instance_pid: Optional[int] = None


class _Poller(Poller):
    """A Poller whose `poll` blocks only the calling greenlet."""

    def poll(self, timeout: Optional[float] = None) -> list[tuple[Any, int]]:
        """Wait up to `timeout` ms (None or negative: forever) for an event;
        ``[(socket, events)]`` as `zmq.Poller.poll`."""
        forever = timeout is None or timeout < 0
        deadline = None if timeout is None or forever else time.monotonic() + timeout / 1000.0
        while True:
            ready = super().poll(0)
            if ready or timeout == 0:
                return ready
            if deadline is None:
                remaining = None
            else:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return []
            self._wait(remaining)

    def _wait(self, timeout: Optional[float]) -> None:
        wait = _Wait()
        fd_events: dict[int, int] = {}
        green: list[_Socket] = []
        for obj, flags in self.sockets:
            if isinstance(obj, Socket):
                fd_events[obj.mailbox_fd] = fd_events.get(obj.mailbox_fd, 0) | _READ
                if isinstance(obj, _Socket):
                    obj._waits[wait] = flags
                    green.append(obj)
                continue
            events = 0
            if flags & (_POLLIN | _POLLERR):
                events |= _READ
            if flags & _POLLOUT:
                events |= _WRITE
            if events:
                fd = _fileno(obj)
                fd_events[fd] = fd_events.get(fd, 0) | events
        try:
            for fd, events in fd_events.items():
                wait.watch(fd, events)
            wait.event.wait(timeout)
        finally:
            wait.stop()
            for sock in green:
                sock._waits.pop(wait, None)


__all__ = ["_Context", "_Poller", "_Socket"]
