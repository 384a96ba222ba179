"""Socket: the pyzmq-compatible socket API (zmq.sugar.socket).

Theory of operation
-------------------
A Socket owns a socket-type core (`patterns/`), an `Options` object and a
`Mailbox`. Pipes deliver their notifications (activation, termination) to
the mailbox; the app thread runs them whenever it enters a send, recv, poll
or EVENTS call. Blocking means sleeping on the mailbox fd (which is also
``Socket.FD``) until a notification may have changed what is possible.

Multipart: frames sent with SNDMORE are collected here and handed to the
core as one message when the last frame comes, so everything below sees
whole messages. As in libzmq, only the first frame of a message can block or
fail with EAGAIN; later frames cannot.

This object is also the "owner" the I/O layer talks to (`attach_pipe`,
`monitor_event`, `session_started`/`session_finished`, `authenticate`).
"""

from __future__ import annotations

import codecs
import errno
import json
import pickle
import random
import struct
import threading
import time
import weakref
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Callable, Optional

from .. import constants as C
from ..constants import SocketOption as O
from ..error import Again, ContextTerminated, ZMQBindError, ZMQError
from ..patterns.options import PATTERN, Options, check_get, check_set, coerce, option_name
from ..patterns.registry import make_core
from ..reactor.endpoint import parse
from ..reactor.mailbox import Mailbox
from ..routing.pipe import Pipe
from .frame import Frame, MessageTracker, _TrackedBuffer

if TYPE_CHECKING:
    from ._option_attrs import SocketOptionAttributes as _OptionAttributes
    from .context import Context
else:
    _OptionAttributes = object  # the option properties are made below the class

_NOBLOCK = int(C.NOBLOCK)
_SNDMORE = int(C.SNDMORE)
_DONE_TRACKER_EVENT = threading.Event()
_DONE_TRACKER_EVENT.set()
_MONITOR_HEADER = struct.Struct("=HI")


def _frame_bytes(data: Any, copy: bool, track: bool) -> Any:
    """Normalise one outgoing frame to what the pipes carry."""
    t = type(data)
    if t is bytes:
        return _TrackedBuffer(data) if track else data
    if isinstance(data, Frame):
        data = data._data
        if type(data) is _TrackedBuffer:
            return data
        return _frame_bytes(data, copy, track)
    if isinstance(data, str):
        raise TypeError("unicode not allowed, use send_string")
    if track:
        return _TrackedBuffer(data)
    try:
        view = memoryview(data)
    except TypeError:
        raise TypeError(f"Expected bytes or a buffer, got {type(data).__name__}") from None
    if copy or view.nbytes < 65536:
        return view.tobytes()
    return view.cast("B") if view.format != "B" or view.ndim != 1 else view


class _SocketContext:
    """What ``bind``/``connect`` return: a context manager that undoes them."""

    def __init__(self, socket: Socket, kind: str, addr: str) -> None:
        self.socket = socket
        self.kind = kind
        self.addr = addr

    def __enter__(self) -> Socket:
        return self.socket

    def __exit__(self, *exc: Any) -> None:
        if self.socket.closed:
            return
        if self.kind == "bind":
            self.socket.unbind(self.addr)
        else:
            self.socket.disconnect(self.addr)

    def __repr__(self) -> str:
        return f"<SocketContext({self.kind}={self.addr!r})>"


class Socket(_OptionAttributes):
    """A ZeroMQ socket; create it with ``Context.socket(socket_type)``."""

    _shadow = False

    def __init__(
        self, context: Optional[Context] = None, socket_type: int = -1, **kwargs: Any
    ) -> None:
        if context is None:
            from .context import Context

            context = Context.instance()
        self.context = context
        self._socket_type = (
            C.SocketType(socket_type)
            if socket_type in C.SocketType._value2member_map_
            else socket_type
        )
        self._options = Options(int(socket_type))
        self.core = make_core(int(socket_type), self._options)
        self._mailbox = Mailbox()
        self.post = self._mailbox.post
        self._cmds = self._mailbox._cmds  # truthy when commands wait (hot-path check)
        self._core_send = self.core.send
        self._core_recv = self.core.recv
        self._ok = True  # neither closed nor terminated: the fast paths may run
        # What the I/O thread holds: a weak proxy, so a socket the app drops
        # without close() is still collected (and closed by __del__).
        self._proxy = weakref.proxy(self)
        self._closed = False
        self._terminated = False  # the context is terminating
        self._send_parts: list[Any] = []
        self._recv_msg: Optional[list[Any]] = None  # message being handed out frame by frame
        self._recv_index = 0
        self._rcvmore = 0
        self._listeners: dict[str, Any] = {}  # endpoint -> Listener (I/O thread object)
        self._connects: dict[str, list[tuple[Any, Optional[Pipe]]]] = {}
        self._inproc_bound: list[str] = []
        self._monitor: Optional[Socket] = None
        self._monitor_mask = 0
        self._sessions: set[Any] = set()  # I/O thread only
        self._lock = threading.Lock()  # guards _sessions (touched by both threads)
        self._monitor_lock = threading.Lock()
        self.copy_threshold = 65536
        context._add_socket(self)

    # ------------------------------------------------------------------
    # pyzmq attribute-style options (s.linger = 0, s.identity, s.rcvtimeo)
    # are class-level properties made below the class, so setting an
    # ordinary attribute costs no Python call on the hot path.
    # ------------------------------------------------------------------

    # ------------------------------------------------------------------
    # Properties
    # ------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def socket_type(self) -> int:
        return self._socket_type

    @property
    def type(self) -> int:
        return self._socket_type

    @property
    def underlying(self) -> int:
        return id(self)

    def fileno(self) -> int:
        self._check_open()
        return self._mailbox.fileno()

    def __repr__(self) -> str:
        name = getattr(self._socket_type, "name", str(self._socket_type))
        state = " closed" if self._closed else ""
        return f"<purezmq.Socket({name}){state} at {hex(id(self))}>"

    def __del__(self) -> None:
        # As pyzmq: a socket dropped without close() is closed, so that
        # Context.term() does not wait for it forever.
        try:
            if not self._closed:
                self.close()
        except Exception:
            pass

    def __enter__(self) -> Socket:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __copy__(self) -> Socket:
        return self

    def __deepcopy__(self, memo: Any) -> Socket:
        return self

    # ------------------------------------------------------------------
    # Lifecycle
    # ------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise ZMQError(errno.ENOTSOCK, "Socket operation on non-socket (the socket is closed)")
        if self._terminated:
            raise ContextTerminated()

    def close(self, linger: Optional[int] = None) -> None:
        """Close the socket; queued messages linger per LINGER (or `linger` ms)."""
        if self._closed:
            return
        if linger is not None:
            self._options.linger = coerce(O.LINGER, "int", linger)
        self._mailbox.process()  # attach pipes still in flight, so they get closed too
        self._closed = True
        self._ok = False
        self.disable_monitor()
        self.context._unregister_inproc(self)
        for pipe in list(self.core.pipes):
            self.core.detach(pipe)
        loop = self.context._io_if_started()
        if loop is not None:
            loop.post(self._close_io)
        self._mailbox.close()
        self.context._remove_socket(self)

    def _close_io(self) -> None:
        """I/O thread: stop listening; stop sessions that have no pipe to linger on.

        A session whose pipe never reached the socket (the handshake finished
        while we closed, so its attach command found a closed mailbox) has
        nothing to linger on either."""
        for listener in list(self._listeners.values()):
            listener.close()
        for session in self._sessions_snapshot():
            pipe = session.pipe
            if pipe is None or pipe.peer.sink is None or self._options.linger == 0:
                session.finish()

    def _context_terminating(self) -> None:
        """Context.term(): blocking calls now raise ContextTerminated."""
        self._terminated = True
        self._ok = False
        try:
            self.post(_noop)
        except Exception:  # the mailbox may already be closed
            pass

    # ------------------------------------------------------------------
    # Owner interface for the I/O layer
    # ------------------------------------------------------------------

    @property
    def options(self) -> Options:
        return self._options

    def attach_pipe(self, pipe: Pipe) -> None:
        """App thread: a new peer's pipe (from an accept, a connect or inproc)."""
        if self._closed:
            pipe.close()
            return
        pipe.bind(self.core, self.post)
        self.core.attach(pipe)
        if pipe.in_closed():
            # The peer left before we heard of the pipe: take the news now, so
            # the pipe is not routed to (or counted as a duplicate id) meanwhile.
            pipe.deliver_terminated()

    def _claim_connect_routing_id(self, pipe: Pipe) -> None:
        """CONNECT_ROUTING_ID names the peer of the next connect only (libzmq)."""
        rid = self._options.connect_routing_id
        if rid:
            pipe.routing_id = rid
            self._options.connect_routing_id = b""

    def session_started(self, session: Any) -> None:
        with self._lock:
            self._sessions.add(session)
        self.context._session_started()

    def session_finished(self, session: Any) -> None:
        with self._lock:
            if session not in self._sessions:
                return
            self._sessions.discard(session)
        self.context._session_finished()

    def _sessions_snapshot(self) -> list[Any]:
        with self._lock:
            return list(self._sessions)

    def monitor_event(self, event: int, value: int, endpoint: str) -> None:
        monitor = self._monitor
        if monitor is None or not (self._monitor_mask & event):
            return
        header = _MONITOR_HEADER.pack(int(event) & 0xFFFF, int(value) & 0xFFFFFFFF)
        # The monitor PAIR has no thread of its own: whoever emits runs its
        # commands (pipe attach/activation), under the lock. With no reader
        # attached, or a full pipe, the event is dropped, as in libzmq.
        with self._monitor_lock:
            try:
                monitor._mailbox.process()
                monitor.core.send([header, endpoint.encode()])
            except Exception:
                pass

    def authenticate(self, session: Any, engine: Any, request: Any) -> None:
        self.context._zap_authenticate(self, session, engine, request)

    # ------------------------------------------------------------------
    # bind / connect
    # ------------------------------------------------------------------

    def bind(self, addr: str) -> _SocketContext:
        """Bind to an endpoint: tcp://iface:port, ipc://path, inproc://name."""
        self._check_open()
        ep = parse(addr)
        if ep.transport == "inproc":
            self.context._bind_inproc(self, ep.address)
            self._inproc_bound.append(ep.address)
            self._options.last_endpoint = addr.encode()
            return _SocketContext(self, "bind", addr)
        from ..reactor.transport import Listener, open_listener

        try:
            sock, name = open_listener(ep, self._options)
        except ZMQError as exc:
            self.monitor_event(C.EVENT_BIND_FAILED, exc.errno or 0, addr)
            raise
        loop = self.context._io()
        listener = Listener(loop, self._proxy, ep, sock, name)
        self._listeners[name] = listener
        if name != addr:
            self._listeners.setdefault(addr, listener)
        loop.post(listener.start)
        self._options.last_endpoint = name.encode()
        self.monitor_event(C.EVENT_LISTENING, sock.fileno(), name)
        return _SocketContext(self, "bind", name)

    def bind_to_random_port(
        self,
        addr: str,
        min_port: int = 49152,
        max_port: int = 65536,
        max_tries: int = 100,
    ) -> int:
        """Bind to a random port of `addr` and return the port number."""
        if min_port == 49152 and max_port == 65536:
            self.bind(f"{addr}:*")
            url = self._options.last_endpoint.decode()
            return int(url.rsplit(":", 1)[-1])
        for _ in range(max_tries):
            port = random.randrange(min_port, max_port)
            try:
                self.bind(f"{addr}:{port}")
            except ZMQError as exc:
                if exc.errno not in (errno.EADDRINUSE, errno.EACCES):
                    raise
            else:
                return port
        raise ZMQBindError("Could not bind socket to random port.")

    def connect(self, addr: str) -> _SocketContext:
        """Connect to an endpoint; the connection is made (and remade) in the background."""
        self._check_open()
        ep = parse(addr)
        if ep.transport == "tcp" and (ep.host == "*" or ep.port == 0):
            raise ZMQError(errno.EINVAL, f"Cannot connect to a wildcard address {addr!r}")
        if ep.transport == "inproc":
            pipe = self.context._connect_inproc(self, ep.address)
            self._connects.setdefault(addr, []).append((None, pipe))
            self._options.last_endpoint = addr.encode()
            return _SocketContext(self, "connect", addr)
        from ..reactor.session import Session
        from ..reactor.transport import start_connect

        loop = self.context._io()
        session = Session(loop, self._proxy, addr)
        sock_end: Optional[Pipe] = None
        if not self._options.immediate:
            sock_end = session.create_pipe()
            self._claim_connect_routing_id(sock_end)
            self.attach_pipe(sock_end)
        self._connects.setdefault(addr, []).append((session, sock_end))
        self._options.last_endpoint = addr.encode()

        loop.post(start_connect, loop, self._proxy, ep, session)
        return _SocketContext(self, "connect", addr)

    def unbind(self, addr: str) -> None:
        """Stop listening on `addr` and drop the connections it accepted."""
        self._check_open()
        ep = parse(addr)
        if ep.transport == "inproc":
            if ep.address not in self._inproc_bound:
                raise ZMQError(errno.ENOENT, f"Not bound to {addr!r}")
            self._inproc_bound.remove(ep.address)
            self.context._unbind_inproc(self, ep.address)
            return
        listener = self._listeners.pop(addr, None)
        if listener is None:
            raise ZMQError(errno.ENOENT, f"Not bound to {addr!r}")
        for key in [k for k, v in self._listeners.items() if v is listener]:
            del self._listeners[key]
        name = listener.name
        for pipe in [p for p in self.core.pipes if p.endpoint == name]:
            self.core.detach(pipe)

        def stop() -> None:
            listener.close()
            for session in self._sessions_snapshot():
                if session.endpoint == name and session.connecter is None:
                    session.finish()

        listener.loop.post(stop)

    def disconnect(self, addr: str) -> None:
        """Drop the connection(s) made by ``connect(addr)``."""
        self._check_open()
        parse(addr)
        entries = self._connects.pop(addr, None)
        if not entries:
            raise ZMQError(errno.ENOENT, f"Not connected to {addr!r}")
        for session, pipe in entries:
            if pipe is not None:
                self.core.detach(pipe)
            if session is not None:
                session.loop.post(session.finish)

    # ------------------------------------------------------------------
    # Options
    # ------------------------------------------------------------------

    def set(self, option: int, optval: Any) -> None:
        """Set a socket option (``setsockopt``)."""
        if self._closed:
            raise ZMQError(errno.ENOTSOCK, "Socket operation on non-socket (the socket is closed)")
        option = int(option)
        if option == C.HWM:
            self.set_hwm(optval)
            return
        row, value = check_set(option, self._socket_type, optval)
        if row.held_by == PATTERN:
            if not self.core.xset_option(option, value):
                name, kind = option_name(option), self.core.socket_type_name
                raise ZMQError(errno.EINVAL, f"Option {name} is refused by this {kind} socket now")
        else:
            self._options.store(option, value)

    setsockopt = set

    def get(self, option: int) -> Any:
        """Get a socket option (``getsockopt``)."""
        if self._closed:
            raise ZMQError(errno.ENOTSOCK, "Socket operation on non-socket (the socket is closed)")
        option = int(option)
        if option == O.EVENTS:
            return self._events()
        if option == O.FD:
            return self._mailbox.fileno()
        if option == O.TYPE:
            return int(self._socket_type)
        if option == O.RCVMORE:
            return self._rcvmore
        if option == C.HWM:
            return self.get_hwm()
        row = check_get(option, self._socket_type)
        if row.held_by == PATTERN:
            return self.core.xget_option(option)
        return getattr(self._options, row.attr)

    getsockopt = get

    def set_string(self, option: int, optval: str, encoding: str = "utf-8") -> None:
        if not isinstance(optval, str):
            raise TypeError(f"strings only, not {type(optval)}")
        self.set(option, optval.encode(encoding))

    setsockopt_string = setsockopt_unicode = set_string

    def get_string(self, option: int, encoding: str = "utf-8") -> str:
        if C.option_type(option) != "bytes":
            raise TypeError(f"option {option} will not return a string to be decoded")
        value = self.get(option)
        return bytes(value).decode(encoding)

    getsockopt_string = getsockopt_unicode = get_string

    def set_hwm(self, value: int) -> None:
        self.set(O.SNDHWM, value)
        self.set(O.RCVHWM, value)

    def get_hwm(self) -> int:
        return int(self.get(O.SNDHWM))

    hwm = property(get_hwm, set_hwm)

    def subscribe(self, topic: Any) -> None:
        if isinstance(topic, str):
            topic = topic.encode("utf-8")
        self.set(O.SUBSCRIBE, topic)

    def unsubscribe(self, topic: Any) -> None:
        if isinstance(topic, str):
            topic = topic.encode("utf-8")
        self.set(O.UNSUBSCRIBE, topic)

    # ------------------------------------------------------------------
    # Sending
    # ------------------------------------------------------------------

    def send(
        self,
        data: Any,
        flags: int = 0,
        copy: bool = True,
        track: bool = False,
        routing_id: Optional[int] = None,
        group: Optional[str] = None,
    ) -> Optional[MessageTracker]:
        """Send one frame; with SNDMORE more frames of the same message follow."""
        if type(data) is bytes and not flags and not track and self._ok and not self._send_parts:
            # Fast path: one bytes frame, no options.
            if self._cmds:
                self._mailbox.process()
            msg = [data]
            if not self._core_send(msg):
                self._send_blocking(msg, flags)
            return None if copy else MessageTracker(_DONE_TRACKER_EVENT)
        if self._closed or self._terminated:
            self._check_open()
        if routing_id is not None or group is not None:
            raise ZMQError(errno.ENOTSUP, "routing_id/group are for draft socket types")
        frame = _frame_bytes(data, copy, track)
        parts = self._send_parts
        if flags & _SNDMORE:
            if not parts:
                core = self.core
                if not core.sends:
                    core.send([])  # a receive-only type: raises ENOTSUP
                if not core.can_send():
                    raise ZMQError(C.EFSM, "Operation cannot be accomplished in current state")
                if not core.has_out():
                    self._wait_writable(flags)
            parts.append(frame)
        else:
            if parts:
                parts.append(frame)
                self._send_parts = []
                msg = parts
            else:
                msg = [frame]
            if self._mailbox.pending:
                self._mailbox.process()  # a PUB never blocks: learn subscriptions here
            if not self.core.send(msg):
                self._send_blocking(msg, flags)
        if track:
            return MessageTracker.watch(frame)
        if not copy:
            return MessageTracker(_DONE_TRACKER_EVENT)
        return None

    def _send_blocking(self, msg: list[Any], flags: int) -> None:
        send = self.core.send
        self._block_until(lambda: True if send(msg) else None, flags, self._options.sndtimeo)

    def _wait_writable(self, flags: int) -> None:
        has_out = self.core.has_out
        self._block_until(lambda: True if has_out() else None, flags, self._options.sndtimeo)

    def _block_until(self, attempt: Callable[[], Any], flags: int, timeo: int) -> Any:
        """The slow path of every blocking call: retry `attempt` whenever the
        mailbox says something changed, until it returns non-None; Again
        under NOBLOCK or once `timeo` ms have passed."""
        if self._cmds:
            self._mailbox.process()
            result = attempt()
            if result is not None:
                return result
        if self._closed or self._terminated:
            self._check_open()
        if flags & _NOBLOCK or timeo == 0:
            raise Again()
        deadline = None if timeo < 0 else time.monotonic() + timeo / 1000.0
        while True:
            self._sleep(deadline)
            result = attempt()
            if result is not None:
                return result
            if deadline is not None and time.monotonic() >= deadline:
                raise Again()

    def _sleep(self, deadline: Optional[float]) -> None:
        """Wait for the mailbox, run what arrived; raise if closed meanwhile."""
        mailbox = self._mailbox
        if not mailbox.pending:
            timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
            mailbox.wait(timeout)
        if self._closed or self._terminated:
            self._check_open()
        mailbox.process()

    def send_multipart(
        self,
        msg_parts: Sequence[Any],
        flags: int = 0,
        copy: bool = True,
        track: bool = False,
        **kwargs: Any,
    ) -> Optional[MessageTracker]:
        """Send a whole multipart message (a sequence of frames)."""
        if self._closed or self._terminated:
            self._check_open()
        if self._send_parts:
            # finish a message started with SNDMORE, as pyzmq would
            for part in msg_parts[:-1]:
                self.send(part, _SNDMORE | flags, copy=copy, track=track)
            return self.send(msg_parts[-1], flags, copy=copy, track=track)
        if not msg_parts:
            raise ValueError("send_multipart needs at least one frame")
        msg: list[Any] = []
        for part in msg_parts:
            if type(part) is bytes and not track:
                msg.append(part)
            else:
                msg.append(_frame_bytes(part, copy, track))
        core = self.core
        if self._mailbox.pending:
            self._mailbox.process()
        if not core.send(msg):
            if not core.can_send():
                raise ZMQError(C.EFSM, "Operation cannot be accomplished in current state")
            self._send_blocking(msg, flags)
        if track:
            return MessageTracker(
                *[MessageTracker.watch(f) for f in msg if type(f) is _TrackedBuffer]
            )
        if not copy:
            return MessageTracker(_DONE_TRACKER_EVENT)
        return None

    def send_string(
        self, u: str, flags: int = 0, copy: bool = True, encoding: str = "utf-8", **kw: Any
    ) -> Any:
        if not isinstance(u, str):
            raise TypeError("str objects only")
        return self.send(u.encode(encoding), flags=flags, copy=copy, **kw)

    send_unicode = send_string

    def send_pyobj(
        self, obj: Any, flags: int = 0, protocol: int = pickle.DEFAULT_PROTOCOL, **kw: Any
    ) -> Any:
        return self.send(pickle.dumps(obj, protocol), flags=flags, **kw)

    def send_json(self, obj: Any, flags: int = 0, **kwargs: Any) -> Any:
        send_kwargs = {
            k: kwargs.pop(k) for k in ("copy", "track", "routing_id", "group") if k in kwargs
        }
        msg = json.dumps(obj, **kwargs).encode("utf-8")
        return self.send(msg, flags=flags, **send_kwargs)

    def send_serialized(
        self,
        msg: Any,
        serialize: Callable[[Any], Sequence[Any]],
        flags: int = 0,
        copy: bool = True,
        **kw: Any,
    ) -> Any:
        frames = serialize(msg)
        return self.send_multipart(frames, flags=flags, copy=copy, **kw)

    # ------------------------------------------------------------------
    # Receiving
    # ------------------------------------------------------------------

    def _next_message(self, flags: int) -> list[Any]:
        if self._cmds:
            self._mailbox.process()
        msg = self.core.recv()
        if msg is not None:
            return msg
        result: list[Any] = self._block_until(self.core.recv, flags, self._options.rcvtimeo)
        return result

    def recv(self, flags: int = 0, copy: bool = True, track: bool = False) -> Any:
        """Receive one frame: bytes, or a Frame when ``copy=False``."""
        msg = self._recv_msg
        if msg is None:
            if not self._ok:
                self._check_open()  # closed or terminated: raises
            # Fast path: take a whole message straight from the core.
            if self._cmds:
                self._mailbox.process()
            msg = self._core_recv()
            if msg is None:
                msg = self._next_message(flags)
            if len(msg) == 1:
                if self._rcvmore:
                    self._rcvmore = 0
                data = msg[0]
                if type(data) is not bytes:
                    data = bytes(data)
                if copy:
                    return data
                return self._make_frame(data, False)
            self._recv_msg = msg
            self._recv_index = 0
        if self._closed or self._terminated:
            self._check_open()
        i = self._recv_index
        data = msg[i]
        if type(data) is not bytes:
            data = bytes(data)
        i += 1
        if i >= len(msg):
            self._recv_msg = None
            self._rcvmore = 0
        else:
            self._recv_index = i
            self._rcvmore = 1
        if copy:
            return data
        return self._make_frame(data, bool(self._rcvmore))

    def _make_frame(self, data: bytes, more: bool) -> Frame:
        frame = Frame(data)
        frame.more = more
        return frame

    def recv_multipart(self, flags: int = 0, copy: bool = True, track: bool = False) -> list[Any]:
        """Receive all frames of the next message."""
        if self._closed or self._terminated:
            self._check_open()
        if self._recv_msg is not None:
            parts = [self.recv(flags, copy, track)]
            while self._rcvmore:
                parts.append(self.recv(flags, copy, track))
            return parts
        msg = self._next_message(flags)
        self._rcvmore = 0
        out = [f if type(f) is bytes else bytes(f) for f in msg]
        if copy:
            return out
        frames = [self._make_frame(f, True) for f in out]
        frames[-1].more = False
        return frames

    def recv_string(self, flags: int = 0, encoding: str = "utf-8") -> str:
        return codecs.decode(self.recv(flags=flags), encoding)

    recv_unicode = recv_string

    def recv_pyobj(self, flags: int = 0) -> Any:
        return pickle.loads(self.recv(flags))

    def recv_json(self, flags: int = 0, **kwargs: Any) -> Any:
        return json.loads(self.recv(flags).decode("utf-8"), **kwargs)

    def recv_serialized(
        self, deserialize: Callable[[list[Any]], Any], flags: int = 0, copy: bool = True
    ) -> Any:
        return deserialize(self.recv_multipart(flags, copy=copy))

    # ------------------------------------------------------------------
    # Polling
    # ------------------------------------------------------------------

    def _events(self) -> int:
        if self._closed or self._terminated:
            self._check_open()
        self._mailbox.process()
        events = 0
        core = self.core
        if self._recv_msg is not None or core.has_in():
            events |= C.POLLIN
        if self._send_parts or core.has_out():
            events |= C.POLLOUT
        return events

    def poll(self, timeout: Optional[int] = None, flags: int = C.POLLIN) -> int:
        """Wait up to `timeout` ms (None: forever) for `flags`; returns the events ready."""
        self._check_open()
        from .poll import Poller

        poller = Poller()
        poller.register(self, flags)
        events = dict(poller.poll(timeout))
        return int(events.get(self, 0))

    # ------------------------------------------------------------------
    # Monitoring
    # ------------------------------------------------------------------

    def monitor(self, addr: Optional[str], events: int = C.EVENT_ALL) -> None:
        """Publish this socket's events as 2-frame messages on a PAIR at `addr` (inproc)."""
        self._check_open()
        if addr is None:
            self.disable_monitor()
            return
        ep = parse(addr)
        if ep.transport != "inproc":
            raise ZMQError(errno.EPROTONOSUPPORT, "Monitor endpoints must be inproc://")
        self.disable_monitor()
        mon = self.context.socket(C.PAIR)
        mon.set(O.LINGER, 0)
        try:
            mon.bind(addr)
        except Exception:
            mon.close()
            raise
        self._monitor_mask = int(events)
        self._monitor = mon

    def disable_monitor(self) -> None:
        mon = self._monitor
        if mon is None:
            return
        self.monitor_event(C.EVENT_MONITOR_STOPPED, 0, "")  # if the mask asks for it
        with self._monitor_lock:
            self._monitor = None
            self._monitor_mask = 0
            mon.close()

    def get_monitor_socket(
        self, events: Optional[int] = None, addr: Optional[str] = None
    ) -> Socket:
        if addr is None:
            addr = f"inproc://monitor.s-{id(self)}"
        if events is None:
            events = C.EVENT_ALL
        self.monitor(addr, events)
        sock = self.context.socket(C.PAIR)
        sock.connect(addr)
        return sock


def _noop() -> None:
    pass


def _option_property(option: int) -> property:
    def fget(self: Socket) -> Any:
        return self.get(option)

    def fset(self: Socket, value: Any) -> None:
        self.set(option, value)

    return property(fget, fset, doc=f"The {C.SocketOption(option).name} socket option.")


# s.linger, s.identity, s.rcvtimeo ...: one property per option name that is
# not already a method or attribute of Socket (subscribe(), type, ...).
for _name, _member in C.SocketOption.__members__.items():
    _attr = _name.lower()
    if not hasattr(Socket, _attr):
        setattr(Socket, _attr, _option_property(int(_member)))
