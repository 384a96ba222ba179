"""What the I/O layer requires of the objects it serves (libzmq i_poll_events,
i_engine, own_t/socket_base_t hooks), as Protocols that mypy checks.

The reactor never imports the socket core: it is handed objects that satisfy
these contracts. Each method says which thread calls it.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Callable, Optional, Protocol

if TYPE_CHECKING:
    from ..patterns.options import Options
    from ..routing.pipe import Pipe
    from ..zmtp.events import AuthRequest, Ready, ZmtpEvent
    from .engine import StreamEngine
    from .session import Session


class IOHandler(Protocol):
    """An fd's owner, as the loop sees it (libzmq i_poll_events). I/O thread."""

    def on_readable(self) -> None: ...

    def on_writable(self) -> None: ...

    def on_loop_error(self, exc: Exception) -> None:
        """A callback above raised: close this handler (the loop carries on)."""

    def force_close(self) -> None:
        """The loop is stopping: release the fd now, without lingering."""


class ContextOwner(Protocol):
    """What the I/O layer may ask of a socket's context. Any thread."""

    def inproc_binder(self, name: str) -> Optional[SocketOwner]:
        """The socket bound at inproc://name, if any (the ZAP handler's)."""


class SocketOwner(Protocol):
    """What sessions, listeners, connecters and the ZAP client may call on
    the socket they serve (libzmq: own_t + socket_base_t's hooks).

    `post` is the only way onto the socket's own thread; `attach_pipe` and
    `pipe_ready` run there. Everything else is safe from any thread.
    """

    options: Options
    socket_type_name: str
    compact_inbound: bool  # the pattern takes one-frame messages as bare bytes

    @property
    def closed(self) -> bool: ...

    def post(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` on the socket's thread (its mailbox)."""

    def attach_pipe(self, pipe: Pipe) -> None:
        """Socket thread: a new peer's pipe end (accept, connect or inproc)."""

    def pipe_ready(self, pipe: Pipe, reconnected: bool) -> None:
        """Socket thread: the handshake on an attached pipe completed; after
        a reconnect `reconnected` is True (SUB/XSUB replay subscriptions)."""

    def monitor_event(self, event: int, value: int, endpoint: str) -> None:
        """Report an event to the socket's monitor, if one listens for it."""

    def session_started(self, session: Session) -> None:
        """A session now exists: the context's term() waits for it."""

    def session_finished(self, session: Session) -> None:
        """The session released everything (idempotent)."""

    def authenticate(self, engine: StreamEngine, request: AuthRequest) -> None:
        """I/O thread: ask ZAP about the peer; the answer goes to
        ``engine.auth_result``."""


class EngineOwner(Protocol):
    """What an engine calls on its session (libzmq: session_base_t as the
    engine's owner). I/O thread, with `lock` held."""

    options: Options
    lock: threading.RLock  # guards the engine's Connection and write queue (spec/threading.md)

    def engine_ready(self, engine: StreamEngine, ready: Ready) -> None: ...

    def engine_events(self, events: list[ZmtpEvent]) -> None: ...

    def engine_auth(self, engine: StreamEngine, request: AuthRequest) -> None: ...

    def engine_writable(self, engine: StreamEngine) -> None: ...

    def engine_failed(
        self, engine: StreamEngine, event: int, value: int, reason: str, protocol: bool
    ) -> None:
        """The connection is gone; `protocol`: because the peer broke the
        protocol or refused us, so it must not be retried."""
