"""SocketHub: the part of a socket that its sessions, listeners and inproc
peers hold on to (the reactor's `SocketOwner` contract).

Why a separate object: the I/O thread must reference something of every
socket it serves, but if it referenced the user's socket object, a socket
dropped without ``close()`` could never be collected (and ``term()`` would
wait for it forever). So the user holds a `SocketBase` (the façade's base),
which holds this hub; the I/O thread and the context hold only the hub. When
the user's object is collected its finaliser closes the hub.

State lives here when another thread may need it: the options, the socket
type's pattern, the mailbox (the socket's command queue, whose fd is
``Socket.FD``), the live sessions, the listeners, the monitor and the
closed/terminated flags. The hub never blocks.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Callable

from ..patterns.base import SocketCore
from ..patterns.options import Options
from ..patterns.registry import make_core
from ..reactor.mailbox import Mailbox
from ..routing.pipe import Pipe
from ..zmtp.events import AuthRequest
from .monitor import Monitor

if TYPE_CHECKING:
    from ..reactor.engine import StreamEngine
    from ..reactor.session import Session
    from ..reactor.transport import Listener
    from .context_base import ContextBase


class SocketHub:
    """One socket's shared state; implements `reactor.contracts.SocketOwner`."""

    def __init__(self, context: ContextBase, socket_type: int) -> None:
        self.context = context
        self.socket_type = socket_type
        self.options = Options(socket_type)
        self.pattern: SocketCore = make_core(socket_type, self.options)
        self.socket_type_name = self.pattern.socket_type_name
        self.compact_inbound = self.pattern.compact_inbound
        self.mailbox = Mailbox()
        self.post: Callable[..., None] = self.mailbox.post
        self.closed = False
        self.terminated = False  # the context is terminating
        self.ok = True  # neither closed nor terminated: fast paths may run
        self.monitor = Monitor()
        self.listeners: dict[str, Listener] = {}  # endpoint -> listener (I/O thread object)
        self._sessions: set[Session] = set()
        self._lock = threading.Lock()  # guards _sessions (both threads touch it)

    # -- SocketOwner: what the I/O layer calls ------------------------------------

    def attach_pipe(self, pipe: Pipe) -> None:
        """Socket thread: a new peer's pipe (from an accept, a connect or inproc)."""
        if self.closed:
            pipe.close()
            return
        pipe.bind(self.pattern, self.post)
        self.pattern.attach(pipe)
        if pipe.in_closed():
            # The peer left before we heard of the pipe: take the news now, so
            # the pipe is not routed to (or counted as a duplicate id) meanwhile.
            pipe.deliver_terminated()

    def pipe_ready(self, pipe: Pipe, reconnected: bool) -> None:
        if reconnected:
            self.pattern.hiccuped(pipe)
        else:
            self.pattern.peer_ready(pipe)

    def monitor_event(self, event: int, value: int, endpoint: str) -> None:
        self.monitor.emit(event, value, endpoint)

    def session_started(self, session: Session) -> None:
        with self._lock:
            self._sessions.add(session)
        self.context.session_started()

    def session_finished(self, session: Session) -> None:
        with self._lock:
            if session not in self._sessions:
                return
            self._sessions.discard(session)
        self.context.session_finished()

    def authenticate(self, engine: StreamEngine, request: AuthRequest) -> None:
        self.context.zap_authenticate(self, engine, request)

    # -- lifecycle ------------------------------------------------------------------

    def sessions(self) -> list[Session]:
        with self._lock:
            return list(self._sessions)

    def close(self) -> None:
        """Close the socket: pipes close (sessions linger per LINGER), listeners
        stop, the mailbox fd is released. Any thread that owns the socket."""
        if self.closed:
            return
        self.mailbox.process()  # attach pipes still in flight, so they get closed too
        self.closed = True
        self.ok = False
        self.monitor.stop()
        context = self.context
        context.inproc.forget(self)
        for pipe in list(self.pattern.pipes):
            self.pattern.detach(pipe)
        loop = context.io_if_started()
        if loop is not None:
            loop.post(self._close_io)
        self.mailbox.close()
        context.remove_socket(self)

    def _close_io(self) -> None:
        """I/O thread: stop listening; stop sessions that have no pipe to linger on.

        A session whose pipe never reached the socket (the handshake finished
        while we closed, so its attach command found a closed mailbox) has
        nothing to linger on either."""
        for listener in list(self.listeners.values()):
            listener.close()
        for session in self.sessions():
            pipe = session.pipe
            if pipe is None or pipe.peer.sink is None or self.options.linger == 0:
                session.finish()

    def terminating(self) -> None:
        """Context.term(): blocking calls now raise ContextTerminated."""
        self.terminated = True
        self.ok = False
        try:
            self.post(_noop)  # wake a thread blocked on this socket
        except Exception:  # the mailbox may already be closed
            pass

    def run_commands(self) -> None:
        """Run what the mailbox holds (pipe attach, activation, termination)."""
        self.mailbox.process()

    def __repr__(self) -> str:
        state = " closed" if self.closed else ""
        return f"<SocketHub {self.socket_type_name}{state} at {hex(id(self))}>"


def _noop(*_: Any) -> None:
    pass
