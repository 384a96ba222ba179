"""Poller and select (zmq.sugar.poll): wait on purezmq sockets and plain fds.

Theory of operation
-------------------
A purezmq socket is level-ready when its core says so (EVENTS); its mailbox
fd becomes readable whenever a command arrives that may change that answer.
Asking EVENTS runs the pending commands and, when the answer is "not
ready", arms the pipes' wake-ups (`FairQueue.has_in`, `LoadBalancer.has_out`)
so the next change is sure to post a command. So a round is:

1. ask EVENTS of every socket whose mailbox fired (all of them the first
   time): nothing else can change a socket's readiness while this thread is
   in `poll`;
2. if something is ready and no plain fd is registered, return at once;
3. otherwise sleep in ``select.poll`` on every mailbox fd plus the plain fds
   (no timeout if something is ready: only collect the fds' state), then go
   back to 1 for the sockets whose mailbox fired.

An idle ``poll(-1)`` therefore sleeps in the kernel: no busy waiting. The
``select.poll`` object is built once per registration change and reused by
every later `poll` call (a mailbox fd is fixed for the socket's life).
Plain fds follow libzmq's zmq_poll: POLLIN/POLLOUT/POLLPRI map across, any
other revents (HUP, ERR, NVAL) is reported as POLLERR.
"""

from __future__ import annotations

import math
import select
import time
from collections.abc import Sequence
from typing import Any, Optional

from .. import constants as C
from .socket import Socket

_POLLIN = int(C.POLLIN)
_POLLOUT = int(C.POLLOUT)
_POLLERR = int(C.POLLERR)
_POLLPRI = int(C.POLLPRI)
_OS_KNOWN = select.POLLIN | select.POLLOUT | select.POLLPRI


def _os_mask(flags: int) -> int:
    mask = 0
    if flags & _POLLIN:
        mask |= select.POLLIN
    if flags & _POLLOUT:
        mask |= select.POLLOUT
    if flags & _POLLPRI:
        mask |= select.POLLPRI
    return mask


def _zmq_mask(revents: int) -> int:
    """zmq_poll's view of a plain fd's revents."""
    mask = 0
    if revents & select.POLLIN:
        mask |= _POLLIN
    if revents & select.POLLOUT:
        mask |= _POLLOUT
    if revents & select.POLLPRI:
        mask |= _POLLPRI
    if revents & ~_OS_KNOWN:
        mask |= _POLLERR
    return mask


def _fileno(obj: Any) -> int:
    if isinstance(obj, int):
        return obj
    try:
        fileno = obj.fileno
    except AttributeError:
        raise TypeError(
            f"Cannot poll {obj!r}: not a socket, an int fd or an object with fileno()"
        ) from None
    return int(fileno())


class _Plan:
    """What one registration compiles to; rebuilt only when it changes."""

    __slots__ = ("fd_items", "os_poll", "sockets")

    def __init__(self, registered: list[tuple[Any, int]]) -> None:
        self.os_poll = select.poll()
        # purezmq sockets: (socket, flags, mailbox fd)
        self.sockets: list[tuple[Socket, int, int]] = []
        # fd -> [(original object, flags)] for plain fds; [] marks a mailbox fd
        self.fd_items: dict[int, list[tuple[Any, int]]] = {}
        masks: dict[int, int] = {}
        for obj, flags in registered:
            if isinstance(obj, Socket):
                fd = obj.mailbox_fd
                self.sockets.append((obj, flags, fd))
                self.fd_items.setdefault(fd, [])
                masks[fd] = select.POLLIN
            else:
                fd = _fileno(obj)
                self.fd_items.setdefault(fd, []).append((obj, flags))
                masks[fd] = masks.get(fd, 0) | _os_mask(flags)
        for fd, mask in masks.items():
            self.os_poll.register(fd, mask)


class Poller:
    """Poll purezmq sockets, Python sockets and file descriptors together.

    The same interface as pyzmq's ``zmq.Poller``: `register`, `modify`,
    `unregister` and `poll`, which returns ``[(socket, events)]``."""

    def __init__(self) -> None:
        self.sockets: list[tuple[Any, int]] = []
        self._map: dict[Any, int] = {}
        self._plan: Optional[_Plan] = None  # compiled registration; None: stale

    def __contains__(self, socket: Any) -> bool:
        return socket in self._map

    def register(self, socket: Any, flags: int = C.POLLIN | C.POLLOUT) -> None:
        """Watch `socket` (purezmq Socket, int fd or object with fileno())
        for `flags` (POLLIN, POLLOUT, POLLERR); flags=0 unregisters it."""
        if not flags:
            if socket in self._map:
                self.unregister(socket)
            return
        if not isinstance(socket, Socket):
            _fileno(socket)  # fail now (TypeError), not at poll time
        if socket in self._map:
            self.sockets[self._map[socket]] = (socket, int(flags))
        else:
            self._map[socket] = len(self.sockets)
            self.sockets.append((socket, int(flags)))
        self._plan = None

    def modify(self, socket: Any, flags: int = C.POLLIN | C.POLLOUT) -> None:
        """Change the flags of a registered socket (same as `register`)."""
        self.register(socket, flags)

    def unregister(self, socket: Any) -> None:
        """Stop watching `socket`; KeyError if it is not registered."""
        idx = self._map.pop(socket)
        self.sockets.pop(idx)
        for sock, _flags in self.sockets[idx:]:
            self._map[sock] -= 1
        self._plan = None

    def poll(self, timeout: Optional[float] = None) -> list[tuple[Any, int]]:
        """Wait up to `timeout` ms (None or negative: forever) for an event.

        Returns a list of ``(socket, events)`` for every registered socket or
        fd with one of its events ready (empty on timeout)."""
        deadline = None if timeout is None or timeout < 0 else time.monotonic() + timeout / 1000.0
        plan = self._plan
        if plan is None:
            plan = self._plan = _Plan(self.sockets)
        sockets = plan.sockets
        fd_items = plan.fd_items
        has_fds = len(sockets) != len(self.sockets)
        ready: dict[Any, int] = {}  # socket -> events, for the zmq sockets
        to_check = sockets
        os_poll = plan.os_poll.poll
        while True:
            for sock, flags, _fd in to_check:
                events = sock.poll_events() & flags
                if events:
                    ready[sock] = events
                else:
                    ready.pop(sock, None)
            if ready and not has_fds:
                return [(s, ready[s]) for s, _f, _d in sockets if s in ready]
            if ready:
                wait_ms: Optional[int] = 0
            elif deadline is None:
                wait_ms = None
            else:
                wait_ms = max(0, math.ceil((deadline - time.monotonic()) * 1000.0))
            results = os_poll(wait_ms)
            fired: set[int] = set()
            fd_ready: list[tuple[Any, int]] = []
            for fd, revents in results:
                items = fd_items.get(fd)
                if items is None:
                    continue
                if not items:
                    fired.add(fd)  # a mailbox: recheck its socket
                    continue
                zevents = _zmq_mask(revents)
                for obj, flags in items:
                    events = zevents & (flags | _POLLERR)
                    if events:
                        fd_ready.append((obj, events))
            if ready or fd_ready:
                # Report in registration order, as zmq_poll does.
                got = dict(fd_ready)
                got.update(ready)
                return [(obj, got[obj]) for obj, _flags in self.sockets if obj in got]
            if fired:
                to_check = [entry for entry in sockets if entry[2] in fired]
                continue
            if deadline is not None and time.monotonic() >= deadline:
                return []
            to_check = []


def select_(
    rlist: list[Any], wlist: list[Any], xlist: list[Any], timeout: Optional[float] = None
) -> tuple[list[Any], list[Any], list[Any]]:
    """zmq.select: like `select.select`, for purezmq sockets too.

    Parameters
    ----------
    rlist, wlist, xlist : lists of sockets or fds
        Watched for readability, writability and errors.
    timeout : float, optional
        Seconds to wait; None (or negative) waits forever.

    Returns
    -------
    (rlist, wlist, xlist) : the ready subsets of each list.
    """
    poller = Poller()
    flags: dict[Any, int] = {}
    order: list[Any] = []
    for group, flag in ((rlist, C.POLLIN), (wlist, C.POLLOUT), (xlist, C.POLLERR)):
        for sock in group:
            if sock not in flags:
                order.append(sock)
                flags[sock] = 0
            flags[sock] |= int(flag)
    for sock in order:
        poller.register(sock, flags[sock])
    ms = None if timeout is None or timeout < 0 else timeout * 1000.0
    ready = dict(poller.poll(ms))
    return (
        [s for s in rlist if ready.get(s, 0) & C.POLLIN],
        [s for s in wlist if ready.get(s, 0) & C.POLLOUT],
        [s for s in xlist if ready.get(s, 0) & C.POLLERR],
    )


def zmq_poll(sockets: Sequence[tuple[Any, int]], timeout: Optional[float] = -1) -> list[Any]:
    """pyzmq's backend function: poll ``(socket, flags)`` pairs for `timeout`
    ms (negative or None: forever); returns the ready ``(socket, events)``."""
    poller = Poller()
    for sock, flags in sockets:
        poller.register(sock, flags)
    return poller.poll(None if timeout is None or timeout < 0 else timeout)
