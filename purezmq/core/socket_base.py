"""SocketBase: a ZeroMQ socket below the pyzmq API (libzmq socket_base_t).

Theory of operation
-------------------
A socket is a `SocketHub` (what other threads may reach: options, the
socket type's pattern, the mailbox, sessions, listeners, monitor) plus the
state only its own thread touches, kept here: frames of a message being
sent with SNDMORE or handed out frame by frame, and the endpoints it
connected and bound. The pyzmq façade (`sugar.socket.Socket`) derives from
this class and only translates arguments.

Where a message goes: `send_msg` gives a whole message to the pattern
(`patterns/`), which writes it into a pipe (`routing/pipe.py`); the pipe's
other end belongs to a session (`reactor/session.py`) that encodes it with
the codec (`zmtp/`) and sends it through its engine (`reactor/engine.py`).
Received messages come back the same way into the socket's pipes, and
`recv_msg` takes them from the pattern.

Blocking: the pattern never blocks; it answers False / None. Then
`_block_until` sleeps on the mailbox fd (also ``Socket.FD``) and retries
whenever a command (a pipe activated, attached or terminated) may have
changed the answer, until SNDTIMEO/RCVTIMEO, NOBLOCK, close or term.

Multipart: frames sent with SNDMORE are collected and handed to the pattern
as one message when the last frame comes, so everything below sees whole
messages. As in libzmq, only the first frame of a message can block or fail
with EAGAIN.
"""

from __future__ import annotations

import errno
import time
from typing import TYPE_CHECKING, Any, Callable, Optional

from .. import constants as C
from ..constants import SocketOption as O
from ..error import Again, ContextTerminated, ZMQError
from ..patterns.options import PATTERN, check_get, check_set, coerce, option_name
from ..reactor.endpoint import parse
from ..routing.pipe import Pipe
from ..zmtp.events import frames_of
from .hub import SocketHub
from .inproc import claim_connect_routing_id

if TYPE_CHECKING:
    from ..reactor.session import Session
    from .context_base import ContextBase

Msg = list[Any]  # a whole multipart message: a list of frames

_NOBLOCK = int(C.NOBLOCK)
_SNDMORE = int(C.SNDMORE)


class SocketBase:
    """One ZeroMQ socket: endpoints, options, whole-message send/recv with
    blocking, frame-by-frame state, monitor. No pyzmq conveniences."""

    # Slots: faster attribute access on the hot path, and a misspelt option
    # attribute (``s.lingr = 0``) raises instead of silently doing nothing.
    __slots__ = (
        "_hub",
        "_pattern",
        "_options",
        "_mailbox",
        "_cmds",
        "_pattern_send",
        "_pattern_recv",
        "_send_parts",
        "_recv_msg",
        "_recv_index",
        "_rcvmore",
        "_connects",
        "_inproc_bound",
        "_owner",
        "__weakref__",
    )

    def __init__(self, context: ContextBase, socket_type: int) -> None:
        hub = SocketHub(context, socket_type)
        context.add_socket(hub)
        self._hub = hub
        self._pattern = hub.pattern
        self._options = hub.options
        self._mailbox = hub.mailbox
        self._cmds = hub.mailbox._cmds  # truthy when commands wait (hot-path check)
        # Takes a whole message: a list of frames, or a tuple (`Socket.send`'s
        # one-frame fast path: untracked by the GC once a collection saw it).
        self._pattern_send: Callable[[Any], bool] = hub.pattern.send
        # A whole message or None: a list of frames, or one bare frame (bytes)
        # from a compact connection (zmtp/events.py), made a list here.
        self._pattern_recv: Callable[[], Any] = hub.pattern.recv
        self._send_parts: Msg = []  # frames of a message sent with SNDMORE so far
        self._recv_msg: Optional[Msg] = None  # message being handed out frame by frame
        self._recv_index = 0
        self._rcvmore = 0
        self._connects: dict[str, list[tuple[Optional[Session], Optional[Pipe]]]] = {}
        self._inproc_bound: list[str] = []
        self._owner = True  # False for a shadow: collecting it leaves the socket open

    def _share(self, other: SocketBase) -> None:
        """Become a shadow of `other`: the same socket (hub, pipes, endpoints),
        not its owner. A half-sent or half-read multipart message stays with
        the object that started it."""
        for name in SocketBase.__slots__:
            if name != "__weakref__":
                setattr(self, name, getattr(other, name))
        self._send_parts = []
        self._recv_msg = None
        self._recv_index = 0
        self._rcvmore = 0
        self._owner = False

    def __del__(self) -> None:
        # As pyzmq: a socket dropped without close() is closed, so that
        # Context.term() does not wait for it forever; a shadow never is. A
        # finaliser may run on any thread, even one inside our locks (PyPy, or
        # a reference cycle), so it only hands the socket to its context.
        hub = getattr(self, "_hub", None)
        if hub is not None and not hub.closed and getattr(self, "_owner", False):
            hub.context.adopt(hub)

    # -- lifecycle ---------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._hub.closed

    def check_open(self) -> None:
        """Raise ENOTSOCK if closed, ContextTerminated if the context is ending."""
        hub = self._hub
        if hub.closed:
            raise ZMQError(errno.ENOTSOCK, "Socket operation on non-socket (the socket is closed)")
        if hub.terminated:
            raise ContextTerminated()

    def close(self, linger: Optional[int] = None) -> None:
        """Close; queued messages linger per LINGER (or `linger` ms)."""
        hub = self._hub
        if hub.closed:
            return
        if linger is not None:
            self._options.linger = coerce(O.LINGER, "int", linger)
        hub.close()

    @property
    def mailbox_fd(self) -> int:
        """The fd that becomes readable when the socket's state may change (FD)."""
        return self._mailbox.fileno()

    def run_commands(self) -> None:
        """Run the commands other threads posted (pipe activation and such)."""
        self._mailbox.process()

    # -- endpoints ---------------------------------------------------------------

    def bind(self, addr: str) -> str:
        """Bind to tcp://iface:port, ipc://path or inproc://name; returns the
        resolved endpoint (the real port for tcp port 0 or ``*``)."""
        self.check_open()
        hub = self._hub
        ep = parse(addr)
        if ep.transport == "inproc":
            hub.context.close_orphans()  # a dropped socket may still hold the name
            hub.context.inproc.bind(hub, ep.address)
            self._inproc_bound.append(ep.address)
            self._options.last_endpoint = addr.encode()
            return addr
        from ..reactor.transport import Listener, open_listener

        try:
            sock, name = open_listener(ep, self._options)
        except ZMQError as exc:
            hub.monitor_event(C.EVENT_BIND_FAILED, exc.errno or 0, addr)
            raise
        loop = hub.context.io()
        listener = Listener(loop, hub, ep, sock, name)
        hub.listeners[name] = listener
        if name != addr:
            hub.listeners.setdefault(addr, listener)
        loop.post(listener.start)
        self._options.last_endpoint = name.encode()
        hub.monitor_event(C.EVENT_LISTENING, sock.fileno(), name)
        return name

    def connect(self, addr: str) -> None:
        """Connect; the connection is made (and remade) in the background."""
        self.check_open()
        hub = self._hub
        ep = parse(addr)
        if ep.transport == "tcp" and (ep.host == "*" or ep.port == 0):
            raise ZMQError(errno.EINVAL, f"Cannot connect to a wildcard address {addr!r}")
        if ep.transport == "inproc":
            pipe = hub.context.inproc.connect(hub, ep.address)
            self._connects.setdefault(addr, []).append((None, pipe))
            self._options.last_endpoint = addr.encode()
            return
        from ..reactor.session import Session
        from ..reactor.transport import start_connect

        loop = hub.context.io()
        session = Session(loop, hub, addr)
        sock_end: Optional[Pipe] = None
        if not self._options.immediate:
            sock_end = session.create_pipe()
            claim_connect_routing_id(hub, sock_end)
            hub.attach_pipe(sock_end)
        self._connects.setdefault(addr, []).append((session, sock_end))
        self._options.last_endpoint = addr.encode()
        loop.post(start_connect, loop, hub, ep, session)

    def unbind(self, addr: str) -> None:
        """Stop listening on `addr` and drop the connections it accepted."""
        self.check_open()
        hub = self._hub
        ep = parse(addr)
        if ep.transport == "inproc":
            if ep.address not in self._inproc_bound:
                raise ZMQError(errno.ENOENT, f"Not bound to {addr!r}")
            self._inproc_bound.remove(ep.address)
            hub.context.inproc.unbind(hub, ep.address)
            return
        listener = hub.listeners.pop(addr, None)
        if listener is None:
            raise ZMQError(errno.ENOENT, f"Not bound to {addr!r}")
        for key in [k for k, v in hub.listeners.items() if v is listener]:
            del hub.listeners[key]
        name = listener.name
        for pipe in [p for p in self._pattern.pipes if p.endpoint == name]:
            self._pattern.detach(pipe)

        def stop() -> None:
            listener.close()
            for session in hub.sessions():
                if session.endpoint == name and session.connecter is None:
                    session.finish()

        listener.loop.post(stop)

    def disconnect(self, addr: str) -> None:
        """Drop the connection(s) made by ``connect(addr)``."""
        self.check_open()
        parse(addr)
        entries = self._connects.pop(addr, None)
        if not entries:
            raise ZMQError(errno.ENOENT, f"Not connected to {addr!r}")
        for session, pipe in entries:
            if pipe is not None:
                self._pattern.detach(pipe)
            if session is not None:
                session.loop.post(session.finish)

    # -- monitor --------------------------------------------------------------------

    def monitor(self, addr: Optional[str], events: int = C.EVENT_ALL) -> None:
        """Publish this socket's events on a PAIR bound at `addr` (inproc);
        None stops monitoring."""
        self.check_open()
        hub = self._hub
        if addr is None:
            hub.monitor.stop()
            return
        ep = parse(addr)
        if ep.transport != "inproc":
            raise ZMQError(errno.EPROTONOSUPPORT, "Monitor endpoints must be inproc://")
        hub.monitor.stop()
        target = SocketHub(hub.context, C.PAIR)
        hub.context.add_socket(target)
        target.options.linger = 0
        try:
            hub.context.inproc.bind(target, ep.address)
        except Exception:
            target.close()
            raise
        hub.monitor.start(target, events)

    def disable_monitor(self) -> None:
        self._hub.monitor.stop()

    # -- options ---------------------------------------------------------------------

    def set_option(self, option: int, value: Any) -> None:
        """Set an option, checked against the option table (patterns/options.py)."""
        if self._hub.closed:
            self.check_open()
        row, value = check_set(int(option), self._hub.socket_type, value)
        if row.held_by == PATTERN:
            pattern = self._pattern
            if not pattern.xset_option(option, value):  # XPUB SUBSCRIBE without XPUB_MANUAL
                name, kind = option_name(option), pattern.socket_type_name
                raise ZMQError(errno.EINVAL, f"Option {name} is refused by this {kind} socket now")
        else:
            self._options.store(option, value)

    def get_option(self, option: int) -> Any:
        if self._hub.closed:
            self.check_open()
        option = int(option)
        if option == O.EVENTS:
            return self.poll_events()
        if option == O.FD:
            return self._mailbox.fileno()
        if option == O.TYPE:
            return self._hub.socket_type
        if option == O.RCVMORE:
            return self._rcvmore
        row = check_get(option, self._hub.socket_type)
        if row.held_by == PATTERN:
            return self._pattern.xget_option(option)
        return getattr(self._options, row.attr)

    # -- sending -------------------------------------------------------------------------

    def send_msg(self, msg: Msg, flags: int = 0) -> None:
        """Send a whole message (after any frames queued with SNDMORE); with
        SNDMORE in `flags` the message stays open for more frames (pyzmq's
        ``send_multipart(parts, flags=SNDMORE)``)."""
        if flags & _SNDMORE:
            for frame in msg:
                self.send_part(frame, flags)
            return
        if not self._hub.ok:
            self.check_open()
        parts = self._send_parts
        if parts:
            parts.extend(msg)
            self._send_parts = []
            msg = parts
        if self._cmds:
            self._mailbox.process()  # a PUB never blocks: learn subscriptions here
        if not self._pattern_send(msg):
            if not self._pattern.can_send():
                raise ZMQError(C.EFSM, "Operation cannot be accomplished in current state")
            self._send_blocking(msg, flags)

    def send_part(self, frame: Any, flags: int = 0) -> None:
        """Send one frame; with SNDMORE in `flags` more frames follow."""
        if not flags & _SNDMORE:
            self.send_msg([frame], flags)
            return
        if not self._hub.ok:
            self.check_open()
        parts = self._send_parts
        if not parts:
            pattern = self._pattern
            if not pattern.sends:
                pattern.send([])  # a receive-only type: raises ENOTSUP
            if not pattern.can_send():
                raise ZMQError(C.EFSM, "Operation cannot be accomplished in current state")
            if not pattern.has_out():
                self._block_until(
                    lambda: True if pattern.has_out() else None, flags, self._options.sndtimeo
                )
        parts.append(frame)

    @property
    def sending_more(self) -> bool:
        """True while a message started with SNDMORE is not finished."""
        return bool(self._send_parts)

    def _send_blocking(self, msg: Any, flags: int) -> None:
        send = self._pattern_send
        self._block_until(lambda: True if send(msg) else None, flags, self._options.sndtimeo)

    def _block_until(self, attempt: Callable[[], Any], flags: int, timeo: int) -> Any:
        """The slow path of every blocking call: retry `attempt` whenever the
        mailbox says something changed, until it returns non-None; Again
        under NOBLOCK or once `timeo` ms have passed."""
        if self._cmds:
            self._mailbox.process()
            result = attempt()
            if result is not None:
                return result
        if not self._hub.ok:
            self.check_open()
        if flags & _NOBLOCK or timeo == 0:
            raise Again()
        deadline = None if timeo < 0 else time.monotonic() + timeo / 1000.0
        mailbox = self._mailbox
        while True:
            if not mailbox.pending:
                timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
                mailbox.wait(timeout)
            if not self._hub.ok:
                self.check_open()
            mailbox.process()
            result = attempt()
            if result is not None:
                return result
            if deadline is not None and time.monotonic() >= deadline:
                raise Again()

    # -- receiving -----------------------------------------------------------------------

    def recv_msg(self, flags: int = 0) -> Msg:
        """The next whole message (the rest of one being read frame by frame
        first). Frames are what the pipes carry: bytes or buffers."""
        if not self._hub.ok:
            self.check_open()
        pending = self._recv_msg
        if pending is not None:
            self._recv_msg = None
            self._rcvmore = 0
            return pending[self._recv_index :]
        if self._cmds:
            self._mailbox.process()
        msg = self._pattern_recv()
        if msg is None:
            msg = self._block_until(self._pattern_recv, flags, self._options.rcvtimeo)
        self._rcvmore = 0
        return frames_of(msg)

    def recv_part(self, flags: int = 0) -> Any:
        """The next frame; RCVMORE then says whether more of its message follow."""
        msg = self._recv_msg
        if msg is None:
            msg = self.recv_msg(flags)
            if len(msg) == 1:
                return msg[0]
            self._recv_msg = msg
            self._recv_index = 0
        elif not self._hub.ok:
            self.check_open()
        i = self._recv_index
        frame = msg[i]
        i += 1
        if i >= len(msg):
            self._recv_msg = None
            self._rcvmore = 0
        else:
            self._recv_index = i
            self._rcvmore = 1
        return frame

    def poll_events(self) -> int:
        """POLLIN / POLLOUT as they stand now (arms wake-ups when not ready)."""
        if not self._hub.ok:
            self.check_open()
        self._mailbox.process()
        events = 0
        pattern = self._pattern
        if self._recv_msg is not None or pattern.has_in():
            events |= C.POLLIN
        if self._send_parts or pattern.has_out():
            events |= C.POLLOUT
        return events

    # -- relay hooks (core.contracts.RelaySocket) -----------------------------------------

    def relay_recv(self) -> Optional[Msg]:
        """A whole message if one is there now (never blocks)."""
        msg = self._pattern_recv()
        return None if msg is None else frames_of(msg)

    def relay_send(self, msg: Msg) -> bool:
        """Hand a whole message to the pattern; False if it cannot go now."""
        return self._pattern_send(msg)

    def relay_has_out(self) -> bool:
        """Whether a message could go now (arms the write wake-up if not)."""
        return self._pattern.has_out()

    def take_partial(self) -> Optional[Msg]:
        """The unread frames of a message the caller started reading, if any."""
        pending = self._recv_msg
        if pending is None:
            return None
        self._recv_msg = None
        self._rcvmore = 0
        return pending[self._recv_index :]

    @property
    def socket_type_name(self) -> str:
        return self._hub.socket_type_name
