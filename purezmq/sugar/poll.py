"""Poller and select (zmq.sugar.poll): wait on purezmq sockets and plain fds.

A purezmq socket is ready when its core says so; its mailbox fd becomes
readable whenever that may have changed. So one `poll` round checks every
socket's EVENTS (which runs its pending commands), and only if nothing is
ready sleeps in the kernel on all mailbox fds plus the plain fds, then looks
again. No busy waiting: an idle poll(-1) sleeps in ``select.poll``.
"""

from __future__ import annotations

import select
import time
from typing import Any, Optional

from .. import constants as C
from .socket import Socket

_ZMQ_TO_OS = ((C.POLLIN, select.POLLIN), (C.POLLOUT, select.POLLOUT), (C.POLLERR, select.POLLERR))
_OS_IN = select.POLLIN | select.POLLPRI | select.POLLHUP
_OS_ERR = select.POLLERR | select.POLLNVAL


def _os_mask(flags: int) -> int:
    mask = 0
    for zflag, oflag in _ZMQ_TO_OS:
        if flags & zflag:
            mask |= oflag
    return mask


def _zmq_mask(revents: int) -> int:
    mask = 0
    if revents & _OS_IN:
        mask |= C.POLLIN
    if revents & select.POLLOUT:
        mask |= C.POLLOUT
    if revents & _OS_ERR:
        mask |= C.POLLERR
    return mask


def _fileno(obj: Any) -> int:
    if isinstance(obj, int):
        return obj
    return int(obj.fileno())


class Poller:
    """Poll purezmq sockets, Python sockets and file descriptors together."""

    def __init__(self) -> None:
        self.sockets: list[tuple[Any, int]] = []
        self._map: dict[Any, int] = {}

    def __contains__(self, socket: Any) -> bool:
        return socket in self._map

    def register(self, socket: Any, flags: int = C.POLLIN | C.POLLOUT) -> None:
        """Watch `socket` for `flags`; flags=0 unregisters it."""
        if not flags:
            if socket in self._map:
                self.unregister(socket)
            return
        if socket in self._map:
            self.sockets[self._map[socket]] = (socket, flags)
        else:
            self._map[socket] = len(self.sockets)
            self.sockets.append((socket, flags))

    modify = register

    def unregister(self, socket: Any) -> None:
        idx = self._map.pop(socket)
        self.sockets.pop(idx)
        for sock, i in list(self._map.items()):
            if i > idx:
                self._map[sock] = i - 1

    def poll(self, timeout: Optional[float] = None) -> list[tuple[Any, int]]:
        """Wait up to `timeout` ms (None or negative: forever); returns [(socket, events)]."""
        if timeout is None or timeout < 0:
            deadline = None
        else:
            deadline = time.monotonic() + timeout / 1000.0
        while True:
            ready: list[tuple[Any, int]] = []
            os_poll = select.poll()
            fds: dict[int, tuple[Any, int]] = {}
            for sock, flags in self.sockets:
                if isinstance(sock, Socket):
                    events = sock._events() & flags
                    if events:
                        ready.append((sock, events))
                    else:
                        fds[sock._mailbox.fileno()] = (sock, 0)
                        os_poll.register(sock._mailbox.fileno(), select.POLLIN)
                else:
                    fd = _fileno(sock)
                    fds[fd] = (sock, flags)
                    os_poll.register(fd, _os_mask(flags))
            if ready:
                wait_ms: Optional[float] = 0
            elif deadline is None:
                wait_ms = None
            else:
                wait_ms = max(0.0, (deadline - time.monotonic()) * 1000.0)
            results = os_poll.poll(None if wait_ms is None else int(wait_ms + 0.999))
            woke_zmq = False
            for fd, revents in results:
                sock, flags = fds[fd]
                if not flags:
                    woke_zmq = True
                    continue
                events = _zmq_mask(revents) & (flags | C.POLLERR)
                if events:
                    ready.append((sock, events))
            if ready:
                return ready
            if woke_zmq:
                continue
            if deadline is not None and time.monotonic() >= deadline:
                return []


def select_(rlist: list[Any], wlist: list[Any], xlist: list[Any], timeout: Optional[float] = None) -> tuple[list[Any], list[Any], list[Any]]:
    """zmq.select: like select.select, for purezmq sockets too; timeout in seconds."""
    poller = Poller()
    for sock in rlist:
        poller.register(sock, C.POLLIN)
    for sock in wlist:
        flags = C.POLLOUT | (C.POLLIN if sock in poller else 0)
        poller.register(sock, flags)
    for sock in xlist:
        poller.register(sock, C.POLLERR | (dict(poller.sockets).get(sock, 0)))
    ms = None if timeout is None or timeout < 0 else timeout * 1000.0
    ready = dict(poller.poll(ms))
    return (
        [s for s in rlist if ready.get(s, 0) & C.POLLIN],
        [s for s in wlist if ready.get(s, 0) & C.POLLOUT],
        [s for s in xlist if ready.get(s, 0) & C.POLLERR],
    )
