"""inproc:// endpoints of one context (libzmq ctx_t's endpoint registry).

``bind`` registers a socket under its name; ``connect`` makes a pipe pair and
attaches one end to each socket directly, so messages move as Python
objects, never bytes. Connecting before the bind works (libzmq 4): the
binder's end waits in `_pending` until the name is bound.

An inproc pipe's HWM is the sum of both sides' (0 if either is 0), as in
libzmq. Registered sockets are hubs, which a socket's close removes.
"""

from __future__ import annotations

import errno
import threading
from typing import TYPE_CHECKING, Optional

from ..error import ZMQError
from ..patterns.registry import conflates
from ..routing.pipe import Pipe, pipe_pair

if TYPE_CHECKING:
    from .hub import SocketHub


def _inproc_hwm(sndhwm: int, rcvhwm: int) -> int:
    if sndhwm == 0 or rcvhwm == 0:
        return 0
    return sndhwm + rcvhwm


class InprocRegistry:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._bound: dict[str, SocketHub] = {}
        self._pending: dict[str, list[tuple[SocketHub, Pipe]]] = {}  # connects awaiting a bind

    def binder(self, name: str) -> Optional[SocketHub]:
        """The open socket bound at inproc://name, if any."""
        with self._lock:
            return self._live_binder(name)

    def bind(self, hub: SocketHub, name: str) -> None:
        with self._lock:
            if self._live_binder(name) is not None:
                raise ZMQError(errno.EADDRINUSE, f"Address already in use (addr='inproc://{name}')")
            self._bound[name] = hub
            pending = self._pending.pop(name, [])
        for _connecter, end in pending:
            _introduce(hub, end)
            hub.post(hub.attach_pipe, end)

    def unbind(self, hub: SocketHub, name: str) -> None:
        with self._lock:
            if self._live_binder(name) is hub:
                del self._bound[name]

    def forget(self, hub: SocketHub) -> None:
        """The socket closed: drop its names and its connects still waiting."""
        with self._lock:
            for name in [n for n, h in self._bound.items() if h is hub]:
                del self._bound[name]
            for name, waiting in list(self._pending.items()):
                kept = [(h, p) for h, p in waiting if h is not hub]
                if kept:
                    self._pending[name] = kept
                else:
                    del self._pending[name]

    def connect(self, hub: SocketHub, name: str) -> Pipe:
        """Wire `hub` to the socket bound at inproc://name (now or when it
        binds); returns the connecting socket's pipe end, already attached."""
        opts = hub.options
        with self._lock:
            binder = self._live_binder(name)
            if binder is not None:
                bopts = binder.options
                ours, theirs = pipe_pair(
                    _inproc_hwm(opts.sndhwm, bopts.rcvhwm),
                    _inproc_hwm(bopts.sndhwm, opts.rcvhwm),
                    conflates(opts) or conflates(bopts),
                )
            else:
                ours, theirs = pipe_pair(opts.sndhwm, opts.rcvhwm, conflates(opts))
                self._pending.setdefault(name, []).append((hub, theirs))
        ours.endpoint = theirs.endpoint = f"inproc://{name}"
        theirs.peer_identity = opts.routing_id
        claim_connect_routing_id(hub, ours)
        ours.peer_identity = b""  # the binder's identity, if any, comes with _introduce
        if binder is not None:
            _introduce(binder, theirs)
            hub.attach_pipe(ours)
            binder.post(binder.attach_pipe, theirs)
        else:
            hub.attach_pipe(ours)
        return ours

    def _live_binder(self, name: str) -> Optional[SocketHub]:
        """(lock held)"""
        hub = self._bound.get(name)
        if hub is not None and hub.closed:
            del self._bound[name]
            return None
        return hub


def claim_connect_routing_id(hub: SocketHub, pipe: Pipe) -> None:
    """CONNECT_ROUTING_ID names the peer of the next connect only (libzmq)."""
    rid = hub.options.connect_routing_id
    if rid:
        pipe.routing_id = rid
        hub.options.connect_routing_id = b""


def _introduce(binder: SocketHub, binder_end: Pipe) -> None:
    """Tell the connecting side's pipe end who the binder is."""
    peer_end = binder_end.peer
    if not peer_end.peer_identity:
        peer_end.peer_identity = binder.options.routing_id
