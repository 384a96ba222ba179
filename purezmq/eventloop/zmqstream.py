"""ZMQStream: callbacks on a purezmq socket, run by tornado's IOLoop.

The API and behaviour are pyzmq's ``zmq.eventloop.zmqstream.ZMQStream``:
`on_recv` registers a callback for every incoming message (always a list of
frames), `send` and friends queue a message that goes when the socket can
take it (then `on_send`'s callback hears of it), `flush` handles what is
ready now, `close` unregisters and closes.

Theory of operation
-------------------
The stream registers the socket's ``FD`` (its mailbox fd) with the IOLoop for
reading. That fd is edge-style, like libzmq's ZMQ_FD: it becomes readable when
something *may* have changed, and reading EVENTS consumes the signal. So one
round is: read EVENTS; receive one message if POLLIN is wanted and ready,
send one queued message if POLLOUT is wanted and ready; then read EVENTS
again, and if something wanted is still ready, schedule another round with
``add_callback`` rather than wait for an fd signal that will not come. One
message per round keeps the loop fair to other handlers, as in pyzmq.

A callback may return an awaitable (a coroutine): it is scheduled with
`asyncio.ensure_future` and its exception, if any, is logged. An exception
raised by a callback is logged, then raised on for the IOLoop to log too.
"""

from __future__ import annotations

import asyncio
import pickle
import warnings
from collections import deque
from collections.abc import Awaitable, Sequence
from typing import Any, Callable, Optional

from .. import constants as C
from ..error import ContextTerminated, ZMQError
from ..sugar.frame import MessageTracker
from ..sugar.poll import Poller
from ..sugar.socket import Socket
from ..utils import jsonapi
from ._tornado import IOLoop, gen_log

_POLLIN = int(C.POLLIN)
_POLLOUT = int(C.POLLOUT)

RecvCallback = Callable[[list[Any]], Any]
SendCallback = Callable[[list[Any], Any], Any]


def _is_async_socket(socket: Any) -> bool:
    """Whether `socket` is a future-returning socket (zmq.asyncio and the like),
    whose recv would hand callbacks futures instead of messages."""
    cls = type(socket)
    module = cls.__module__
    if module.startswith(("purezmq.asyncio", "purezmq._future", "purezmq.eventloop.future")):
        return True
    return hasattr(cls, "_Future")  # the mark of pyzmq-style future sockets


class ZMQStream:
    """Callbacks on a socket's messages, for tornado's IOLoop.

    ``stream.on_recv(callback)``: `callback(msg)` runs with every message
    received (a list of frames). ``stream.send_multipart(msg)`` (and `send`,
    `send_string`, `send_json`, `send_pyobj`): queued, sent when the socket
    can take it; `on_send`'s callback then runs with ``(msg, status)``.
    `bind`, `connect`, `setsockopt` and the like are the socket's own methods.
    """

    socket: Socket
    io_loop: IOLoop
    poller: Poller

    def __init__(self, socket: Socket, io_loop: Optional[IOLoop] = None) -> None:
        if _is_async_socket(socket):
            warnings.warn(
                "ZMQStream works on plain zmq.Socket objects, not on "
                f"{type(socket).__module__}.{type(socket).__name__}: using a plain "
                "shadow of it. Make one yourself with zmq.Socket(shadow=sock) or "
                "ctx.socket(socket_type, socket_class=zmq.Socket).",
                RuntimeWarning,
                stacklevel=2,
            )
            socket = Socket(shadow=socket)
        self._fd: int = socket.FD  # ZMQError(ENOTSOCK) on a closed socket, as pyzmq
        self.socket = socket
        self.io_loop = io_loop or IOLoop.current()
        self.poller = Poller()
        self._send_queue: deque[tuple[Sequence[Any], dict[str, Any]]] = deque()
        self._recv_callback: Optional[RecvCallback] = None
        self._send_callback: Optional[SendCallback] = None
        self._close_callback: Optional[Callable[[], Any]] = None
        self._recv_copy = False
        self._flushed = False  # flush() handled this loop iteration's events
        self._state = 0  # the events wanted: POLLIN while receiving, POLLOUT while sending
        self._round_scheduled = False

        # The socket's own methods, as attributes (as pyzmq: stream.bind is socket.bind).
        self.bind = socket.bind
        self.bind_to_random_port = socket.bind_to_random_port
        self.connect = socket.connect
        self.setsockopt = socket.setsockopt
        self.getsockopt = socket.getsockopt
        self.setsockopt_string = socket.setsockopt_string
        self.getsockopt_string = socket.getsockopt_string
        self.setsockopt_unicode = socket.setsockopt_unicode
        self.getsockopt_unicode = socket.getsockopt_unicode

        self.io_loop.add_handler(socket, self._on_fd, IOLoop.READ)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self.socket!r}>"

    # -- callbacks ------------------------------------------------------------------

    def on_recv(self, callback: Optional[RecvCallback], copy: bool = True) -> None:
        """Call `callback(msg)` with every message received (a list of bytes, or
        of Frames when `copy` is False); None stops receiving. One callback at
        a time: a new one replaces the old."""
        self._check_closed()
        assert callback is None or callable(callback), "the callback must be callable"
        self._recv_callback = callback
        self._recv_copy = copy
        if callback is None:
            self._set_state(self._state & ~_POLLIN)
        else:
            self._set_state(self._state | _POLLIN)

    def on_recv_stream(
        self, callback: Optional[Callable[[ZMQStream, list[Any]], Any]], copy: bool = True
    ) -> None:
        """As `on_recv`, with the stream as the callback's first argument:
        ``callback(stream, msg)``."""
        if callback is None:
            self.stop_on_recv()
            return
        stream_cb = callback

        def with_stream(msg: list[Any]) -> Any:
            return stream_cb(self, msg)

        self.on_recv(with_stream, copy=copy)

    def on_send(self, callback: Optional[SendCallback]) -> None:
        """Call `callback(msg, status)` after each queued message is sent:
        `status` is what ``send_multipart`` returned (a MessageTracker or
        None), or the ZMQError the send raised. None stops it."""
        self._check_closed()
        assert callback is None or callable(callback), "the callback must be callable"
        self._send_callback = callback

    def on_send_stream(
        self, callback: Optional[Callable[[ZMQStream, list[Any], Any], Any]]
    ) -> None:
        """As `on_send`, with the stream as the callback's first argument."""
        if callback is None:
            self.stop_on_send()
            return
        stream_cb = callback

        def with_stream(msg: list[Any], status: Any) -> Any:
            return stream_cb(self, msg, status)

        self.on_send(with_stream)

    def stop_on_recv(self) -> None:
        """Stop receiving (messages stay queued in the socket)."""
        self.on_recv(None)

    def stop_on_send(self) -> None:
        """Stop calling the send callback."""
        self.on_send(None)

    def on_err(self, callback: Any) -> None:
        """Deprecated in pyzmq, does nothing."""
        gen_log.warning("on_err does nothing, and will be removed")

    def stop_on_err(self) -> None:
        """Deprecated in pyzmq, does nothing."""
        gen_log.warning("on_err does nothing, and will be removed")

    def set_close_callback(self, callback: Optional[Callable[[], Any]]) -> None:
        """Call `callback()` when the stream closes."""
        self._close_callback = callback

    # -- sending --------------------------------------------------------------------

    def send_multipart(
        self,
        msg: Sequence[Any],
        flags: int = 0,
        copy: bool = True,
        track: bool = False,
        callback: Optional[SendCallback] = None,
        **kwargs: Any,
    ) -> None:
        """Queue a multipart message; it goes when the socket can take it.
        A `callback` given here becomes the stream's send callback (`on_send`)."""
        kwargs.update(flags=flags, copy=copy, track=track)
        self._send_queue.append((msg, kwargs))
        # As pyzmq: the callback given replaces on_send's; without one, the
        # current one stays (or a no-op is installed).
        self.on_send(callback or self._send_callback or _ignore)
        self._set_state(self._state | _POLLOUT)

    def send(
        self,
        msg: Any,
        flags: int = 0,
        copy: bool = True,
        track: bool = False,
        callback: Optional[SendCallback] = None,
        **kwargs: Any,
    ) -> None:
        """Queue a one-frame message (see `send_multipart`)."""
        self.send_multipart([msg], flags=flags, copy=copy, track=track, callback=callback, **kwargs)

    def send_string(
        self,
        u: str,
        flags: int = 0,
        encoding: str = "utf-8",
        callback: Optional[SendCallback] = None,
        **kwargs: Any,
    ) -> None:
        """Queue `u` encoded with `encoding`."""
        if not isinstance(u, str):
            raise TypeError("unicode/str objects only")
        self.send(u.encode(encoding), flags=flags, callback=callback, **kwargs)

    send_unicode = send_string

    def send_json(
        self, obj: Any, flags: int = 0, callback: Optional[SendCallback] = None, **kwargs: Any
    ) -> None:
        """Queue `obj` as JSON."""
        self.send(jsonapi.dumps(obj), flags=flags, callback=callback, **kwargs)

    def send_pyobj(
        self,
        obj: Any,
        flags: int = 0,
        protocol: int = -1,
        callback: Optional[SendCallback] = None,
        **kwargs: Any,
    ) -> None:
        """Queue `obj` pickled with `protocol` (-1: the highest)."""
        self.send(pickle.dumps(obj, protocol), flags, callback=callback, **kwargs)

    # -- state ----------------------------------------------------------------------

    def receiving(self) -> bool:
        """Whether a receive callback is registered."""
        return self._recv_callback is not None

    def sending(self) -> bool:
        """Whether messages are queued to send."""
        return bool(self._send_queue)

    def closed(self) -> bool:
        """Whether the stream is closed. A socket closed behind the stream's
        back closes the stream here."""
        socket = self.socket
        if socket is None:
            return True
        if socket.closed:
            self.close()
            return True
        return False

    def close(self, linger: Optional[int] = None) -> None:
        """Unregister from the IOLoop, close the socket (with `linger` ms, or its
        LINGER), then run the close callback."""
        socket = self.socket
        if socket is None:
            return
        if socket.closed:
            # Closed directly: its fd number is stale (and may be reused already).
            warnings.warn(
                f"Unregistering FD {self._fd} after closing socket. "
                "This could result in unregistering handlers for the wrong socket. "
                "Close the stream (stream.close()) rather than its socket.",
                stacklevel=2,
            )
            self.io_loop.remove_handler(self._fd)
        else:
            self.io_loop.remove_handler(socket)
            socket.close(linger)
        self.socket = None  # type: ignore[assignment]
        if self._close_callback is not None:
            self._run_callback(self._close_callback)

    # -- flush ----------------------------------------------------------------------

    def flush(self, flag: int = _POLLIN | _POLLOUT, limit: Optional[int] = None) -> int:
        """Handle what is ready now, bypassing the IOLoop: receive (even with
        no callback: the messages are then dropped) if `flag` has POLLIN,
        send queued messages if it has POLLOUT, until nothing more is ready or
        `limit` messages were handled. Returns how many were. The callbacks
        for this loop iteration's events are then skipped."""
        self._check_closed()
        was_flushed = self._flushed
        self._flushed = False
        count = 0
        poller = self.poller
        while not limit or count < limit:
            wanted = (flag & _POLLIN) | (flag & _POLLOUT if self.sending() else 0)
            if not wanted:
                break
            poller.register(self.socket, wanted)
            ready = poller.poll(0)
            if not ready:
                break
            events = ready[0][1]
            if events & _POLLIN:
                self._recv_one()
                count += 1
                if self.socket is None:
                    break
            if events & _POLLOUT and self.sending():
                self._send_one()
                count += 1
                if self.socket is None:
                    break
        if count:
            # Skip the IOLoop's handling until the loop comes round again.
            self._flushed = True
            if not was_flushed:
                self.io_loop.add_callback(self._end_flush)
        elif was_flushed:
            self._flushed = True
        self._reset_state()
        return count

    def _end_flush(self) -> None:
        self._flushed = False

    # -- the IOLoop side --------------------------------------------------------------

    def _on_fd(self, fd: Any, events: int) -> None:
        """The IOLoop's handler: the socket's fd fired (or a round was scheduled)."""
        socket = self.socket
        if socket is None:
            gen_log.warning("Got events for closed stream %s", self)
            return
        try:
            ready = socket.poll_events()
        except ContextTerminated:
            gen_log.warning("Got events for stream %s after terminating context", self)
            self.closed()
            return
        except ZMQError as exc:
            if self.closed():  # a shadow whose socket was closed elsewhere: ENOTSOCK
                gen_log.warning("Got events for stream %s attached to closed socket: %s", self, exc)
            else:
                gen_log.error("Error getting events for %s: %s", self, exc)
            return
        try:
            if ready & _POLLIN and self.receiving():
                self._recv_one()
                if self.socket is None:
                    return
            if ready & _POLLOUT and self.sending():
                self._send_one()
                if self.socket is None:
                    return
            self._reset_state()
        except Exception:
            gen_log.error("Uncaught exception in zmqstream callback", exc_info=True)
            raise

    def _scheduled_round(self) -> None:
        self._round_scheduled = False
        if self.socket is not None:
            self._on_fd(self.socket, 0)

    def _recv_one(self) -> None:
        if self._flushed:
            return
        try:
            msg = self.socket.recv_multipart(C.NOBLOCK, copy=self._recv_copy)
        except ZMQError as exc:
            if exc.errno == C.EAGAIN:
                return  # taken meanwhile (another reader of a shadow)
            raise
        callback = self._recv_callback
        if callback is not None:
            self._run_callback(callback, msg)

    def _send_one(self) -> None:
        if self._flushed:
            return
        if not self._send_queue:
            gen_log.error("Shouldn't have handled a send event")
            return
        msg, kwargs = self._send_queue.popleft()
        status: Optional[MessageTracker] | ZMQError
        try:
            status = self.socket.send_multipart(msg, **kwargs)
        except ZMQError as exc:
            gen_log.error("SEND Error: %s", exc)
            status = exc
        callback = self._send_callback
        if callback is not None:
            self._run_callback(callback, msg, status)

    def _run_callback(self, callback: Callable[..., Any], *args: Any) -> None:
        try:
            result = callback(*args)
        except Exception:
            gen_log.error("Uncaught exception in ZMQStream callback", exc_info=True)
            raise  # and the IOLoop logs it too
        if isinstance(result, Awaitable):
            future = asyncio.ensure_future(result)
            future.add_done_callback(_log_callback_error)

    def _set_state(self, state: int) -> None:
        self._state = state
        self._schedule_if_ready()

    def _reset_state(self) -> None:
        """Want POLLIN while receiving, POLLOUT while sending."""
        if self.socket is None:
            return
        self._state = (_POLLIN if self.receiving() else 0) | (_POLLOUT if self.sending() else 0)
        self._schedule_if_ready()

    def _schedule_if_ready(self) -> None:
        """The fd is edge-style: if something wanted is ready already, no fd
        signal will come for it, so schedule a round now."""
        socket = self.socket
        if socket is None or not self._state or self._round_scheduled:
            return
        if socket.poll_events() & self._state:
            self._round_scheduled = True
            self.io_loop.add_callback(self._scheduled_round)

    def _check_closed(self) -> None:
        if self.socket is None:
            raise OSError("Stream is closed")


def _ignore(*args: Any) -> None:
    pass


def _log_callback_error(future: asyncio.Future[Any]) -> None:
    if future.cancelled():
        return
    exc = future.exception()
    if exc is not None:
        gen_log.error(
            "Uncaught exception in ZMQStream callback",
            exc_info=(type(exc), exc, exc.__traceback__),
        )


__all__ = ["IOLoop", "ZMQStream", "gen_log"]
