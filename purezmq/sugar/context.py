"""Context: the pyzmq-compatible context (zmq.sugar.context).

A Context owns one I/O thread (started on first tcp/ipc use), the inproc
endpoint registry, and the bookkeeping that lets `term` wait for every
socket to close and every session to finish lingering.

inproc: ``bind`` registers the socket under its name; ``connect`` makes a
pipe pair and attaches one end to each socket directly, so messages move as
Python objects, never bytes. Connecting before the bind works (libzmq 4):
the binder's end waits in ``_inproc_pending`` until the name is bound.
"""

from __future__ import annotations

import atexit
import errno
import os
import threading
import weakref
from typing import Any, Optional

from .. import constants as C
from ..constants import ContextOption
from ..error import ContextTerminated, ZMQError
from ..patterns.registry import conflates
from ..reactor.loop import IOThread
from ..routing.pipe import Pipe, pipe_pair
from .socket import Socket

_ZAP_ENDPOINT = "zeromq.zap.01"


def _inproc_hwm(sndhwm: int, rcvhwm: int) -> int:
    """libzmq: an inproc pipe's HWM is the sum of both sides', 0 if either is 0."""
    if sndhwm == 0 or rcvhwm == 0:
        return 0
    return sndhwm + rcvhwm


class Context:
    """A ZeroMQ context: create sockets with ``ctx.socket(zmq.PUSH)``."""

    _instance: Optional[Context] = None
    _instance_lock = threading.Lock()
    _instance_pid: Optional[int] = None
    socket_class = Socket

    def __init__(self, io_threads: int = 1, shadow: Any = 0, **kwargs: Any) -> None:
        if io_threads < 0:
            raise ZMQError(errno.EINVAL, "io_threads must be >= 0")
        self._io_threads = io_threads
        self._loop: Optional[IOThread] = None
        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        self._sockets: weakref.WeakSet[Socket] = weakref.WeakSet()
        self._open_sockets = 0
        self._sessions_alive = 0
        self._closed = False
        self._terminating = False
        # Weak references: a bound socket dropped without close() can still be
        # collected (and closed by __del__), as with pyzmq.
        self._inproc: dict[str, weakref.ref[Socket]] = {}
        self._inproc_pending: dict[str, list[tuple[weakref.ref[Socket], Pipe]]] = {}
        self._zap: Any = None
        self._max_sockets = 1023
        self.sockopts: dict[int, Any] = {}
        _live_contexts.add(self)

    # -- pyzmq surface ---------------------------------------------------------

    @classmethod
    def instance(cls, io_threads: int = 1) -> Context:
        """The process-wide shared Context (a new one after fork or term)."""
        with cls._instance_lock:
            inst = cls._instance
            if inst is None or inst.closed or cls._instance_pid != os.getpid():
                inst = cls(io_threads=io_threads)
                cls._instance = inst
                cls._instance_pid = os.getpid()
            return inst

    @classmethod
    def shadow(cls, address: Any) -> Context:
        raise ZMQError(errno.ENOTSUP, "purezmq contexts cannot shadow a libzmq context")

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def underlying(self) -> int:
        return id(self)

    def __enter__(self) -> Context:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.term()

    def __repr__(self) -> str:
        state = " closed" if self._closed else f" {self._open_sockets} socket(s)"
        return f"<purezmq.Context(){state} at {hex(id(self))}>"

    def _debug_state(self) -> str:
        """What term() is still waiting for (shown when a test's teardown hangs)."""
        return f"(open sockets: {self._open_sockets}, live sessions: {self._sessions_alive})"

    def __copy__(self) -> Context:
        return self

    def __deepcopy__(self, memo: Any) -> Context:
        return self

    def socket(self, socket_type: int, socket_class: Any = None, **kwargs: Any) -> Socket:
        """Create a socket of `socket_type` (zmq.PUSH, zmq.ROUTER, ...)."""
        if self._closed or self._terminating:
            raise ContextTerminated()
        cls = socket_class or self.socket_class
        sock: Socket = cls(self, socket_type, **kwargs)
        for opt, value in self.sockopts.items():
            try:
                sock.set(opt, value)
            except ZMQError as exc:
                if exc.errno != errno.EINVAL:
                    raise
        return sock

    def set(self, option: int, optval: int) -> None:
        option = int(option)
        if option == ContextOption.IO_THREADS:
            self._io_threads = optval
        elif option in (ContextOption.MAX_SOCKETS, ContextOption.SOCKET_LIMIT):
            self._max_sockets = optval
        elif option in (C.BLOCKY, ContextOption.MAX_MSGSZ, ContextOption.THREAD_NAME_PREFIX):
            pass
        else:
            raise ZMQError(errno.EINVAL, f"Unknown context option {option}")

    def get(self, option: int) -> int:
        option = int(option)
        if option == ContextOption.IO_THREADS:
            return self._io_threads
        if option == ContextOption.MAX_SOCKETS:
            return self._max_sockets
        if option == ContextOption.SOCKET_LIMIT:
            return 65535
        if option == ContextOption.MAX_MSGSZ:
            return 2**31 - 1
        raise ZMQError(errno.EINVAL, f"Unknown context option {option}")

    def setsockopt(self, opt: int, value: Any) -> None:
        """Default option for sockets created after this call."""
        self.sockopts[int(opt)] = value

    def getsockopt(self, opt: int) -> Any:
        return self.sockopts[int(opt)]

    def __setattr__(self, key: str, value: Any) -> None:
        if not key.startswith("_") and key not in ("sockopts", "socket_class"):
            opt = getattr(C.SocketOption, key.upper(), None)
            if opt is not None:
                self.sockopts[int(opt)] = value
                return
        object.__setattr__(self, key, value)

    def __getattr__(self, key: str) -> Any:
        if not key.startswith("_"):
            opt = getattr(C.SocketOption, key.upper(), None)
            if opt is not None and int(opt) in self.sockopts:
                return self.sockopts[int(opt)]
        raise AttributeError(f"{type(self).__name__} has no attribute {key!r}")

    def term(self) -> None:
        """Wait for every socket to close and finish lingering, then release resources.

        Blocking calls on this context's sockets in other threads raise
        ContextTerminated; those threads must then close their sockets."""
        if self._closed:
            return
        for sock in self._start_terminating():
            sock._context_terminating()
        with self._cond:
            while self._open_sockets > 0:
                self._cond.wait()
            while self._sessions_alive > 0:
                self._cond.wait()
        self._shutdown()

    def destroy(self, linger: Optional[int] = None) -> None:
        """Close every socket (with `linger` if given), then terminate."""
        if self._closed:
            return
        for sock in self._start_terminating():
            if not sock.closed:
                sock.close(linger=linger)
        self.term()

    def _start_terminating(self) -> list[Socket]:
        """No new sockets from now on; the sockets open at this moment."""
        with self._cond:
            self._terminating = True
            return list(self._sockets)

    def _shutdown(self) -> None:
        loop = self._loop
        self._loop = None
        if loop is not None:
            loop.stop(timeout=10)
        if self._zap is not None:
            self._zap = None
        self._closed = True
        _live_contexts.discard(self)

    # -- bookkeeping used by sockets and sessions -------------------------------

    def _add_socket(self, sock: Socket) -> None:
        with self._cond:
            if self._open_sockets >= self._max_sockets:
                raise ZMQError(errno.EMFILE, "Too many open sockets in this context")
            self._sockets.add(sock)
            self._open_sockets += 1

    def _remove_socket(self, sock: Socket) -> None:
        with self._cond:
            if sock in self._sockets:
                self._sockets.discard(sock)
                self._open_sockets -= 1
                self._cond.notify_all()

    def _session_started(self) -> None:
        with self._cond:
            self._sessions_alive += 1

    def _session_finished(self) -> None:
        with self._cond:
            self._sessions_alive -= 1
            self._cond.notify_all()

    def _io(self) -> IOThread:
        if self._closed or self._terminating:
            raise ContextTerminated()
        loop = self._loop
        if loop is None:
            with self._lock:
                loop = self._loop
                if loop is None:
                    loop = IOThread()
                    loop.start()
                    self._loop = loop
        return loop

    def _io_if_started(self) -> Optional[IOThread]:
        return self._loop

    # -- inproc -----------------------------------------------------------------

    def _bind_inproc(self, sock: Socket, name: str) -> None:
        with self._lock:
            if self._live_binder(name) is not None:
                raise ZMQError(errno.EADDRINUSE, f"Address already in use (addr='inproc://{name}')")
            self._inproc[name] = weakref.ref(sock)
            pending = self._inproc_pending.pop(name, [])
        for _connecter, end in pending:
            self._introduce(sock, end)
            sock.post(sock.attach_pipe, end)

    def _unbind_inproc(self, sock: Socket, name: str) -> None:
        with self._lock:
            if self._live_binder(name) is sock:
                del self._inproc[name]

    def _unregister_inproc(self, sock: Socket) -> None:
        with self._lock:
            for name in [n for n, ref in self._inproc.items() if ref() in (sock, None)]:
                del self._inproc[name]
            for name, waiting in list(self._inproc_pending.items()):
                kept = [(ref, p) for ref, p in waiting if ref() not in (sock, None)]
                if kept:
                    self._inproc_pending[name] = kept
                else:
                    del self._inproc_pending[name]

    def _connect_inproc(self, sock: Socket, name: str) -> Pipe:
        """Wire `sock` to the socket bound at inproc://name (now or when it binds)."""
        with self._lock:
            binder = self._live_binder(name)
            opts = sock.options
            if binder is not None:
                bopts = binder.options
                ours, theirs = pipe_pair(
                    _inproc_hwm(opts.sndhwm, bopts.rcvhwm),
                    _inproc_hwm(bopts.sndhwm, opts.rcvhwm),
                    conflates(opts) or conflates(bopts),
                )
            else:
                ours, theirs = pipe_pair(opts.sndhwm, opts.rcvhwm, conflates(opts))
                self._inproc_pending.setdefault(name, []).append((weakref.ref(sock), theirs))
        endpoint = f"inproc://{name}"
        ours.endpoint = theirs.endpoint = endpoint
        theirs.peer_identity = opts.routing_id
        theirs.properties = {"Socket-Type": sock.core.socket_type_name.encode()}
        sock._claim_connect_routing_id(ours)
        if binder is not None:
            ours.peer_identity = b""
            self._introduce(binder, theirs)
            sock.attach_pipe(ours)
            binder.post(binder.attach_pipe, theirs)
        else:
            ours.peer_identity = b""  # the binder is unknown until it binds
            sock.attach_pipe(ours)
        return ours

    @staticmethod
    def _introduce(binder: Socket, binder_end: Pipe) -> None:
        """Tell the connecting side's pipe end who the binder is."""
        peer_end = binder_end.peer
        peer_end.properties = {"Socket-Type": binder.core.socket_type_name.encode()}
        if not peer_end.peer_identity:
            peer_end.peer_identity = binder.options.routing_id

    def _inproc_binder(self, name: str) -> Optional[Socket]:
        with self._lock:
            return self._live_binder(name)

    def _live_binder(self, name: str) -> Optional[Socket]:
        """The socket bound at inproc://name, if it is still alive (lock held)."""
        ref = self._inproc.get(name)
        if ref is None:
            return None
        sock = ref()
        if sock is None or sock.closed:
            del self._inproc[name]
            return None
        return sock

    # -- ZAP (RFC 27) --------------------------------------------------------------

    def _zap_authenticate(self, sock: Socket, session: Any, engine: Any, request: Any) -> None:
        """I/O thread: ask the ZAP handler at inproc://zeromq.zap.01 about a peer."""
        from ..reactor.zap import ZapClient

        if self._zap is None:
            self._zap = ZapClient(session.loop, self)
        self._zap.request(sock, session, engine, request)


_live_contexts: weakref.WeakSet[Context] = weakref.WeakSet()


@atexit.register
def _stop_io_threads() -> None:
    """At exit, stop I/O threads without waiting for linger (as a daemon would)."""
    for ctx in list(_live_contexts):
        loop = ctx._loop
        if loop is not None:
            try:
                loop.stop(timeout=1)
            except Exception:
                pass
