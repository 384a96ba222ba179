"""Socket: the pyzmq-compatible socket API (zmq.sugar.socket).

A façade over `core.SocketBase`, which does the work (endpoints, options,
whole-message send/recv with blocking, monitor). This module translates
pyzmq's arguments: frames given as bytes, buffers or `Frame`s, ``copy`` and
``track``, the string/json/pyobj/serialized helpers, option attributes
(``s.linger = 0``), ``HWM``, and the context managers ``bind`` and
``connect`` return.

`send` and `recv` repeat the first lines of `SocketBase.send_msg` /
`recv_msg` for a plain one-frame message: that saves a call per message on
the hot path.
"""

from __future__ import annotations

import codecs
import errno
import json
import pickle
import random
import types
import weakref
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Callable, Optional

from .. import constants as C
from ..constants import SocketOption as O
from ..core.socket_base import SocketBase
from ..error import ZMQBindError, ZMQError
from .frame import _FINISHED_TRACKER, COPY_THRESHOLD, Frame, MessageTracker, _TrackedBuffer

if TYPE_CHECKING:
    from ._option_attrs import SocketOptionAttributes as _OptionAttributes
    from .context import Context
else:
    _OptionAttributes = object  # the option properties are made below the class

_NOBLOCK = int(C.NOBLOCK)
_SNDMORE = int(C.SNDMORE)
# Live sockets by `underlying`, for shadow(address).
_live: weakref.WeakValueDictionary[int, Socket] = weakref.WeakValueDictionary()


def _outgoing(
    data: Any, copy: bool, track: bool, threshold: int
) -> tuple[Any, Optional[MessageTracker]]:
    """One outgoing frame as the pipes carry it, and what pyzmq's send returns
    for it: None when copied, the finished tracker when a frame below the copy
    threshold was copied anyway, a live tracker for a tracked zero-copy frame."""
    if isinstance(data, Frame):
        return data._outgoing(track), data.tracker
    if type(data) is bytes:
        body: Any = data
        size = len(data)
    else:
        if isinstance(data, str):
            raise TypeError("unicode not allowed, use send_string")
        try:
            body = memoryview(data)
        except TypeError:
            raise TypeError(
                f"a bytes-like object is required, not {type(data).__name__!r}"
            ) from None
        size = body.nbytes
    if copy:
        return (body if body is data else body.tobytes()), None
    if size < threshold:
        return (body if body is data else body.tobytes()), _FINISHED_TRACKER
    if track:
        tracked = _TrackedBuffer(body)
        return tracked, MessageTracker.watch(tracked)
    if body is not data and (body.format != "B" or body.ndim != 1):
        body = body.cast("B")
    return body, None


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


class Socket(SocketBase, _OptionAttributes):
    """A ZeroMQ socket; create it with ``Context.socket(socket_type)``."""

    __slots__ = ("context", "_socket_type", "copy_threshold")
    context: Context
    _socket_type: int
    copy_threshold: int

    def __class_getitem__(cls, item: Any) -> Any:
        return types.GenericAlias(cls, item)  # Socket[bytes] in type hints, as pyzmq

    def __init__(
        self,
        context: Optional[Context] = None,
        socket_type: int = -1,
        *,
        shadow: Any = 0,
        copy_threshold: Optional[int] = None,
        **kwargs: Any,
    ) -> None:
        if isinstance(context, Socket) and not shadow:
            context, shadow = None, context  # Socket(other_socket): a shadow, as pyzmq
        if shadow:
            original = _resolve_shadow(shadow)
            self._share(original)
            self.context = original.context
            self._socket_type = original._socket_type
            self.copy_threshold = original.copy_threshold
            return
        if context is None:
            from .context import Context

            context = Context.instance()
        self.context = context
        SocketBase.__init__(self, context, int(socket_type))
        self._socket_type = (
            C.SocketType(socket_type)
            if socket_type in C.SocketType._value2member_map_
            else socket_type
        )
        self.copy_threshold = COPY_THRESHOLD if copy_threshold is None else copy_threshold
        _live[id(self)] = self

    @classmethod
    def shadow(cls, address: Any) -> Socket:
        """A non-owning view of the socket at `address` (its `underlying`, or
        the socket): the same socket, but collecting the view leaves it open."""
        return cls(shadow=address)

    # ------------------------------------------------------------------
    # pyzmq attribute-style options (s.linger = 0, s.identity, s.rcvtimeo)
    # are class-level properties made below the class, so setting an
    # ordinary attribute costs no Python call on the hot path.
    # ------------------------------------------------------------------

    @property
    def socket_type(self) -> int:
        return self._socket_type

    @property
    def type(self) -> int:
        return self._socket_type

    @property
    def underlying(self) -> int:
        """An address that `Socket.shadow` accepts (the owning object's id)."""
        return id(self) if self._owner else _underlying(self)

    def fileno(self) -> int:
        self.check_open()
        return self.mailbox_fd

    def __repr__(self) -> str:
        name = getattr(self._socket_type, "name", str(self._socket_type))
        cls = type(self)
        mod = "purezmq" if cls.__module__.startswith("purezmq.") else cls.__module__
        state = " closed" if self.closed else ""
        return f"<{mod}.{cls.__name__}(purezmq.{name}) at {hex(id(self))}{state}>"

    def __enter__(self) -> Socket:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __copy__(self) -> Socket:
        return type(self).shadow(self.underlying)  # as pyzmq: a shadow

    def __deepcopy__(self, memo: Any) -> Socket:
        return self.__copy__()

    # ------------------------------------------------------------------
    # bind / connect
    # ------------------------------------------------------------------

    def bind(self, addr: str | bytes) -> _SocketContext:  # type: ignore[override]
        """Bind to an endpoint: tcp://iface:port, ipc://path, inproc://name."""
        return _SocketContext(self, "bind", SocketBase.bind(self, _endpoint(addr)))

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

    def connect(self, addr: str | bytes) -> _SocketContext:  # type: ignore[override]
        """Connect to an endpoint; the connection is made (and remade) in the background."""
        addr = _endpoint(addr)
        SocketBase.connect(self, addr)
        return _SocketContext(self, "connect", addr)

    def unbind(self, addr: str | bytes) -> None:
        """Stop listening on `addr` and drop the connections it accepted."""
        SocketBase.unbind(self, _endpoint(addr))

    def disconnect(self, addr: str | bytes) -> None:
        """Drop the connection(s) made by ``connect(addr)``."""
        SocketBase.disconnect(self, _endpoint(addr))

    # ------------------------------------------------------------------
    # Options
    # ------------------------------------------------------------------

    def set(self, option: int, optval: Any) -> None:
        """Set a socket option (``setsockopt``)."""
        if option == C.HWM:
            self.set_hwm(optval)
            return
        self.set_option(option, optval)

    setsockopt = set

    def get(self, option: int) -> Any:
        """Get a socket option (``getsockopt``)."""
        if option == C.HWM:
            if self.closed:
                self.check_open()
            return self.get_hwm()
        return self.get_option(option)

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
        if (
            type(data) is bytes
            and not flags
            and not track
            and self._hub.ok
            and not self._send_parts
        ):
            # Fast path (SocketBase.send_msg inlined): one bytes frame, no options.
            if self._cmds:
                self._mailbox.process()
            # A tuple: its first collection untracks it (it holds only bytes),
            # so a backlog of queued messages (a PUB at SNDHWM 0) is not
            # walked by every older-generation collection, as lists would be.
            msg = (data,)
            if not self._pattern_send(msg):
                self._send_blocking(msg, flags)
            return None if copy or len(data) >= self.copy_threshold else _FINISHED_TRACKER
        if not self._hub.ok:
            self.check_open()
        if routing_id is not None or group is not None:
            raise ZMQError(errno.ENOTSUP, "routing_id/group are for draft socket types")
        frame, tracker = _outgoing(data, copy, track, self.copy_threshold)
        self.send_part(frame, flags)
        if type(frame) is _TrackedBuffer and not flags & C.SNDMORE:
            _finish_unheld([frame])
        return tracker

    def send_multipart(
        self,
        msg_parts: Sequence[Any],
        flags: int = 0,
        copy: bool = True,
        track: bool = False,
        **kwargs: Any,
    ) -> Optional[MessageTracker]:
        """Send a whole multipart message (a sequence of frames)."""
        if not self._hub.ok:
            self.check_open()
        if not msg_parts:
            raise ValueError("send_multipart needs at least one frame")
        msg: list[Any] = []
        tracker: Optional[MessageTracker] = None  # pyzmq returns the last frame's
        tracked = False
        threshold = self.copy_threshold
        for part in msg_parts:
            if type(part) is bytes and copy:
                msg.append(part)
                tracker = None
            else:
                frame, tracker = _outgoing(part, copy, track, threshold)
                msg.append(frame)
                tracked = tracked or type(frame) is _TrackedBuffer
        self.send_msg(msg, flags)
        if tracked and not flags & C.SNDMORE:
            _finish_unheld(msg)
        return tracker

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

    def recv(self, flags: int = 0, copy: bool = True, track: bool = False) -> Any:
        """Receive one frame: bytes, or a Frame when ``copy=False``."""
        if self._recv_msg is None and self._hub.ok:
            # Fast path (SocketBase.recv_msg inlined): take a whole message.
            if self._cmds:
                self._mailbox.process()
            msg = self._pattern_recv()
            if type(msg) is bytes:
                # A compact one-frame message (zmtp/events.py): the frame itself.
                if self._rcvmore:
                    self._rcvmore = 0
                if copy:
                    return msg
                return _make_frame(msg, False, self._received_properties())
            if msg is None:
                msg = self.recv_msg(flags)
            if len(msg) == 1:
                if self._rcvmore:
                    self._rcvmore = 0
                data = msg[0]
                if type(data) is not bytes:
                    data = bytes(data)
                if copy:
                    return data
                return _make_frame(data, False, self._received_properties())
            self._recv_msg = msg
            self._recv_index = 0
        data = self.recv_part(flags)
        if type(data) is not bytes:
            data = bytes(data)
        if copy:
            return data
        return _make_frame(data, bool(self._rcvmore), self._received_properties())

    def _received_properties(self) -> Optional[dict[str, bytes]]:
        """The metadata of the connection the last message came from."""
        pipe = self._pattern.last_in()
        return pipe.metadata if pipe is not None else None

    def recv_into(self, buffer: Any, /, *, nbytes: int = 0, flags: int = 0) -> int:
        """Receive one frame into `buffer` (any writable buffer); returns the
        frame's full size. A frame larger than `nbytes` (0: the buffer's
        size) is truncated, as zmq_recv does."""
        view = memoryview(buffer)
        if view.readonly:
            raise BufferError("memoryview: underlying buffer is not writable")
        if view.format != "B" or view.ndim != 1:
            view = view.cast("B")
        size = view.nbytes
        if nbytes < 0 or nbytes > size:
            raise ValueError(f"nbytes={nbytes} too big for memoryview of {size}B")
        frame = self.recv_part(flags)
        n = min(nbytes or size, len(frame))
        view[:n] = memoryview(frame)[:n]
        return len(frame)

    def recv_multipart(self, flags: int = 0, copy: bool = True, track: bool = False) -> list[Any]:
        """Receive all frames of the next message."""
        msg = self.recv_msg(flags)
        out = [f if type(f) is bytes else bytes(f) for f in msg]
        if copy:
            return out
        props = self._received_properties()
        frames = [_make_frame(f, True, props) for f in out]
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
    # Polling and monitoring
    # ------------------------------------------------------------------

    def poll(self, timeout: Optional[int] = None, flags: int = C.POLLIN) -> int:
        """Wait up to `timeout` ms (None: forever) for `flags`; returns the events ready."""
        self.check_open()
        from .poll import Poller

        poller = Poller()
        poller.register(self, flags)
        events = dict(poller.poll(timeout))
        return int(events.get(self, 0))

    def get_monitor_socket(
        self, events: Optional[int] = None, addr: Optional[str] = None
    ) -> Socket:
        """Monitor this socket; returns a PAIR connected to the monitor."""
        if addr is None:
            addr = f"inproc://monitor.s-{id(self)}"
        if events is None:
            events = C.EVENT_ALL
        self.monitor(addr, events)
        sock = self.context.socket(C.PAIR)
        sock.connect(addr)
        return sock


def _finish_unheld(frames: Sequence[Any]) -> None:
    """Tracked frames of a message just sent that no pipe holds are done."""
    for frame in frames:
        if type(frame) is _TrackedBuffer:
            frame.track.finish_if_unheld()


def _resolve_shadow(address: Any) -> Socket:
    """The live socket a shadow address names."""
    if isinstance(address, Socket):
        address = address.underlying
    original = _live.get(int(address))
    if original is None:
        raise ZMQError(errno.ENOTSOCK, f"No socket at address {address!r} to shadow")
    return original


def _underlying(shadow: Socket) -> int:
    for address, sock in list(_live.items()):
        if sock._hub is shadow._hub:
            return address
    return id(shadow)


def _endpoint(addr: Any) -> str:
    """Endpoints may be given as bytes, as LAST_ENDPOINT returns them."""
    if isinstance(addr, bytes):
        return addr.decode("utf-8")
    if not isinstance(addr, str):
        raise TypeError(f"an endpoint is a str or bytes, not {type(addr).__name__}")
    return addr


_make_frame = Frame._received


def _option_property(option: int) -> property:
    def fget(self: Socket) -> Any:
        return self.get(option)

    def fset(self: Socket, value: Any) -> None:
        self.set(option, value)

    return property(fget, fset, doc=f"The {C.SocketOption(option).name} socket option.")


# s.linger / s.LINGER, s.identity, s.rcvtimeo ...: one property per option
# name, lower and upper case, that is not already a method or attribute of
# Socket (subscribe(), type, ...).
for _name, _member in C.SocketOption.__members__.items():
    for _attr in (_name.lower(), _name):
        if not hasattr(Socket, _attr):
            setattr(Socket, _attr, _option_property(int(_member)))
