"""purezmq.asyncio: sockets whose send/recv/poll return asyncio Futures
(pyzmq's ``zmq.asyncio``).

Theory of operation
-------------------
An async socket is an ordinary `sugar.socket.Socket` whose pyzmq-level
calls (``send``, ``recv``, ``poll``, the helpers) return futures. A call
first tries the operation at once with NOBLOCK; when that succeeds (most
sends, and a recv with a message waiting) the future is returned already
done. Otherwise a `_Waiter` joins the socket's receive or send queue (FIFO),
with a timer when RCVTIMEO/SNDTIMEO is set (the future then fails with
``Again``).

Wake-ups: the socket's mailbox (`reactor/mailbox.py`) gets a command
whenever something may have changed the socket's readiness (a pipe
activated, attached or terminated), and signals its fd on the empty ->
non-empty transition. On a loop with ``add_reader`` the fd is watched there
(the fastest path). On a loop without it (Windows Proactor) the mailbox's
`notify` hook posts `_handle_events` to the loop with
``call_soon_threadsafe``: purezmq's I/O thread hands the wake-up to the loop
directly, so no selector thread is needed. `_Wakeups` does both;
spec/asyncio.md gives the measured reasons.

`_handle_events` (on the loop's thread) runs the mailbox's commands, then,
for each direction with waiters, asks readiness (which re-arms the pipes'
wake-ups when not ready) and serves the first live waiter, until no
progress: the signal is edge-style, so one wake-up may cover several
messages. A waiter whose future is already done (cancelled, timed out) is
dropped without touching a message, so cancelling a pending ``recv`` loses
nothing: the next ``recv`` gets the message.

Reuse with another Future class (tornado's, for ``zmq.eventloop.future``):
`_AsyncSocket` and `_AsyncPoller` need only an asyncio-compatible loop
(``call_soon``, ``call_soon_threadsafe``, ``call_later``, ``add_reader``
and its family, ``is_closed``). A subclass sets ``_Future`` and overrides
`_default_loop` (for tornado 6: ``IOLoop.current().asyncio_loop``); see
`Socket`, `Poller` and `Context` below, and spec/asyncio.md.
"""

from __future__ import annotations

import asyncio
import errno
import json
import pickle
import select
import sys
import threading
import warnings
import weakref
from collections import deque
from collections.abc import Sequence
from typing import Any, Callable, Optional

from . import constants as C
from .error import Again, ContextTerminated, ZMQError
from .sugar.context import Context as _SyncContext
from .sugar.poll import Poller as _SyncPoller
from .sugar.socket import Socket as _SyncSocket

_NOBLOCK = int(C.NOBLOCK)
_POLLIN = int(C.POLLIN)
_POLLOUT = int(C.POLLOUT)

# The sync methods a waiter ends up calling, by kind.
_RECV_KINDS: dict[str, Callable[..., Any]] = {
    "recv": _SyncSocket.recv,
    "recv_multipart": _SyncSocket.recv_multipart,
    "recv_into": _SyncSocket.recv_into,
}
_SEND_KINDS: dict[str, Callable[..., Any]] = {
    "send": _SyncSocket.send,
    "send_multipart": _SyncSocket.send_multipart,
}


class _Waiter:
    """One pending call: its future, what to call, and its timeout timer."""

    __slots__ = ("future", "kind", "msg", "args", "kwargs", "timer")

    def __init__(
        self, future: Any, kind: str, msg: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> None:
        self.future = future
        self.kind = kind
        self.msg = msg
        self.args = args
        self.kwargs = kwargs
        self.timer: Any = None


def _fail_later(future: Any) -> None:
    """A timer fired: the pending call fails with EAGAIN (pyzmq's behaviour)."""
    if not future.done():
        future.set_exception(Again())


def _complete(future: Any, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    try:
        result = fn(*args, **kwargs)
    except Exception as exc:
        future.set_exception(exc)
    else:
        future.set_result(result)


class _Wakeups:
    """How one socket's mailbox wakes the async objects on it (usually one;
    a ``from_socket`` view or a Poller's temporary wrapper may add more).

    On a loop with ``add_reader`` the mailbox fd is watched there and
    `_dispatch` runs the targets of that loop. On a loop without it
    (Proactor) the target is woken by this object's ``__call__``, the
    mailbox's notify hook, which posts to its loop with
    ``call_soon_threadsafe`` from the thread that signalled the mailbox.
    Targets are held weakly: a dropped socket is still collected.

    When the mailbox closes without our socket's close() (the socket was
    collected, or ``Context.destroy``), `closing` unregisters the fd from
    every loop and lets the targets cancel their futures."""

    __slots__ = ("_fd", "_posts", "_readers")

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._posts: dict[int, Callable[[], None]] = {}  # notify-hook targets
        self._readers: dict[Any, dict[int, Any]] = {}  # loop -> {id: weakref} (add_reader)

    def add(self, sock: _AsyncSocket, loop: Any) -> None:
        ref = weakref.ref(sock)
        key = id(sock)
        targets = self._readers.get(loop)
        if targets is None and sock._use_reader:
            try:
                _add_reader(loop, self._fd, self)
            except NotImplementedError:
                pass
            else:
                targets = self._readers[loop] = {}
        if targets is not None:
            targets[key] = ref
            loop.call_soon(_handle, ref)  # a signal before this has nothing queued
            return

        def on_signal() -> None:
            _handle(ref)

        post = sock._call_soon_threadsafe

        def wake() -> None:
            try:
                post(loop, on_signal)
            except RuntimeError:  # the loop is closed: nobody waits there
                pass

        self._posts[key] = wake
        wake()

    def remove(self, sock: _AsyncSocket, loop: Any) -> None:
        key = id(sock)
        self._posts.pop(key, None)
        targets = self._readers.get(loop)
        if targets is not None and targets.pop(key, None) is not None and not targets:
            del self._readers[loop]
            _remove_reader(loop, self._fd, self)

    def _dispatch(self, loop: Any) -> None:
        targets = self._readers.get(loop)
        if not targets:
            return
        live = False
        for ref in list(targets.values()):
            sock = ref()
            if sock is not None:
                live = True
                sock._handle_events()
        if not live:  # every socket here was dropped: stop watching
            del self._readers[loop]
            _remove_reader(loop, self._fd, self)

    def closing(self) -> None:
        """The mailbox is closing (any thread; the fd is still open)."""
        self()  # notify-hook targets see the socket closed and cancel
        for loop, targets in list(self._readers.items()):
            refs = list(targets.values())
            running: Any = asyncio._get_running_loop()  # None off any loop's thread
            if running is loop:
                _remove_reader(loop, self._fd, self)
                for ref in refs:
                    loop.call_soon(_handle, ref)
                continue
            try:
                loop.call_soon_threadsafe(_remove_reader, loop, self._fd, self)
                for ref in refs:
                    loop.call_soon_threadsafe(_handle, ref)
            except RuntimeError:  # the loop is closed: only forget it
                if _reader_owner.get((loop, self._fd)) is self:
                    _reader_owner.pop((loop, self._fd), None)
        self._readers.clear()

    def __call__(self) -> None:
        if self._posts:
            for wake in list(self._posts.values()):
                wake()


# Which _Wakeups registered (loop, fd) with add_reader: a late removal must not
# unregister a newer mailbox that got the same fd number. Loop thread only.
_reader_owner: dict[tuple[Any, int], _Wakeups] = {}


def _add_reader(loop: Any, fd: int, owner: _Wakeups) -> None:
    # A mailbox closed behind the loop's back may have left a registration
    # under this fd number (the kernel forgot it; the loop did not): drop it,
    # or add_reader would only update it and never watch the new fd.
    loop.remove_reader(fd)
    loop.add_reader(fd, owner._dispatch, loop)
    _reader_owner[(loop, fd)] = owner


def _remove_reader(loop: Any, fd: int, owner: _Wakeups) -> None:
    if _reader_owner.get((loop, fd)) is owner:
        del _reader_owner[(loop, fd)]
        if not loop.is_closed():
            loop.remove_reader(fd)


def _handle(ref: Any) -> None:
    sock = ref()
    if sock is not None:
        sock._handle_events()


def _prune(q: deque[_Waiter]) -> None:
    """Drop the waiters whose future is done (cancelled, timed out)."""
    if any(w.future.done() for w in q):
        live = [w for w in q if not w.future.done()]
        q.clear()
        q.extend(live)


class _AsyncSocket(_SyncSocket):
    """The future-returning socket, independent of the Future class."""

    __slots__ = ("_recv_q", "_send_q", "_current_loop", "_watched")
    _Future: Any = asyncio.Future
    _poller_class: Any = None  # set below: the Poller that `poll` uses
    # Watch the mailbox fd with the loop's add_reader when it has one (the
    # fastest, spec/asyncio.md); False: always the notify hook. Not on
    # Windows, where the mailbox is a pipe, which select() cannot watch.
    _use_reader = sys.platform != "win32"

    def __init__(
        self,
        context: Any = None,
        socket_type: int = -1,
        io_loop: Any = None,
        _from_socket: Optional[_SyncSocket] = None,
        **kwargs: Any,
    ) -> None:
        if isinstance(context, _SyncSocket):
            context, _from_socket = None, context
        if _from_socket is not None:
            _SyncSocket.__init__(self, shadow=_from_socket)
        else:
            _SyncSocket.__init__(self, context, socket_type, **kwargs)
        if io_loop is not None:
            warnings.warn(
                f"{type(self).__name__}(io_loop) is deprecated (as in pyzmq 22.2): the running"
                " loop is always used",
                DeprecationWarning,
                stacklevel=2,
            )
        self._recv_q: deque[_Waiter] = deque()
        self._send_q: deque[_Waiter] = deque()
        self._current_loop: Any = None
        self._watched: Any = None  # (its _Wakeups, the loop) while watched

    def __repr__(self) -> str:
        # <purezmq.asyncio.Socket(purezmq.PAIR) at 0x...>, as pyzmq names its class
        cls = type(self)
        text = _SyncSocket.__repr__(self)
        return f"<{cls.__module__}.{cls.__qualname__}" + text[text.index("(") :]

    @classmethod
    def from_socket(cls, socket: _SyncSocket, io_loop: Any = None) -> Any:
        """An async socket on the same ZeroMQ socket as `socket` (a shadow)."""
        return cls(_from_socket=socket, io_loop=io_loop)

    # -- the loop ------------------------------------------------------------

    def _default_loop(self) -> Any:
        """The loop to use now; a subclass for another loop kind overrides it."""
        try:
            return asyncio.get_running_loop()
        except RuntimeError:
            warnings.warn(
                "No running event loop: purezmq.asyncio should be used inside an asyncio loop",
                RuntimeWarning,
                stacklevel=4,
            )
        return asyncio.get_event_loop_policy().get_event_loop()

    def _new_future(self, loop: Any) -> Any:
        return self._Future(loop=loop)

    def _call_later(self, loop: Any, delay: float, callback: Callable[..., Any], arg: Any) -> Any:
        """Schedule `callback(arg)`; returns something with ``cancel()``."""
        return loop.call_later(delay, callback, arg)

    def _call_soon_threadsafe(self, loop: Any, callback: Callable[[], Any]) -> None:
        loop.call_soon_threadsafe(callback)

    def _get_loop(self) -> Any:
        """The running loop; the socket follows it when it changes (as pyzmq:
        a socket may be used by one loop after another, never by two at once)."""
        loop = self._default_loop()
        if loop is not self._current_loop or self._watched is None:
            self._current_loop = loop
            self._watch(loop)
        return loop

    def _watch(self, loop: Any) -> None:
        """Have this socket's mailbox wake it on `loop` (see `_Wakeups`)."""
        self._unwatch()
        mailbox = self._mailbox
        fanout = mailbox.notify
        if not isinstance(fanout, _Wakeups):
            fanout = _Wakeups(mailbox.fileno())
            mailbox.notify = fanout
            mailbox.on_close = fanout.closing
        self._watched = (fanout, loop)
        fanout.add(self, loop)

    def _unwatch(self) -> None:
        watched = self._watched
        if watched is not None:
            self._watched = None
            watched[0].remove(self, watched[1])

    # -- the engine ------------------------------------------------------------

    def _ready_in(self) -> bool:
        """POLLIN now (runs pending commands; arms the wake-up when False)."""
        if self._cmds:
            self._mailbox.process()
        return self._recv_msg is not None or self._pattern.has_in()

    def _ready_out(self) -> bool:
        """POLLOUT now (arms the wake-up when False)."""
        return bool(self._send_parts) or self._pattern.has_out()

    def _handle_events(self) -> None:
        """Serve waiters while the socket is ready (on the loop's thread).

        Readiness is asked only for a direction with waiters, so an idle
        socket arms no wake-up and costs nothing."""
        hub = self._hub
        if not hub.ok:
            if hub.closed:
                self._cancel_all()
            else:
                self._fail_all(ContextTerminated())
            return
        self._mailbox.process()  # once per wake-up: also drains the fd
        recv_q, send_q = self._recv_q, self._send_q
        while recv_q or send_q:
            progress = False
            if recv_q and self._ready_in():
                progress = self._serve(recv_q, _RECV_KINDS)
            if send_q and self._ready_out():
                progress = self._serve(send_q, _SEND_KINDS) or progress
            if not progress or not hub.ok:
                return

    def _serve(self, q: deque[_Waiter], kinds: dict[str, Callable[..., Any]]) -> bool:
        """Complete the first live waiter of `q`; False if none was live."""
        while q:
            w = q.popleft()
            future = w.future
            if future.done():
                continue  # cancelled or timed out: it took nothing
            if w.timer is not None:
                w.timer.cancel()
            if w.kind == "poll":
                future.set_result(None)
                return True
            kwargs = w.kwargs
            kwargs["flags"] = kwargs.get("flags", 0) | _NOBLOCK
            fn = kinds[w.kind]
            try:
                if w.msg is None:
                    result = fn(self, *w.args, **kwargs)
                else:
                    result = fn(self, w.msg, *w.args, **kwargs)
            except Again:
                q.appendleft(w)  # not ready after all
                return False
            except Exception as exc:
                future.set_exception(exc)
            else:
                future.set_result(result)
            return True
        return False

    def _enqueue(
        self, q: deque[_Waiter], w: _Waiter, timeo: int, loop: Any, check: bool = True
    ) -> None:
        q.append(w)
        if timeo >= 0:
            w.timer = self._call_later(loop, timeo / 1000.0, _fail_later, w.future)
        if check:
            self._handle_events()  # ready already? (this also arms the wake-ups)

    def _add_recv(
        self,
        kind: str,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        future: Any = None,
    ) -> Any:
        flags = kwargs.get("flags", 0)
        if flags & _NOBLOCK and future is None:
            f = self._Future()
            _complete(f, _RECV_KINDS[kind], self, *args, **kwargs)
            if self._send_q or self._recv_q:
                self._handle_events()  # we may have taken the fd's signal
            return f
        hub = self._hub
        if hub.closed:
            self.check_open()  # raises now, as pyzmq's recv on a closed socket does
        loop = self._get_loop()
        f = self._new_future(loop) if future is None else future
        q = self._recv_q
        if q:
            _prune(q)
        check = True
        if not q and hub.ok:
            if not self._ready_in():
                check = bool(self._send_q)  # not ready; the wake-up is armed
            elif kind != "poll":
                kwargs["flags"] = flags | _NOBLOCK
                _complete(f, _RECV_KINDS[kind], self, *args, **kwargs)
                if self._send_q:
                    self._handle_events()
                return f
        self._enqueue(q, _Waiter(f, kind, None, args, kwargs), self._options.rcvtimeo, loop, check)
        return f

    def _add_send(self, kind: str, msg: Any, kwargs: dict[str, Any], future: Any = None) -> Any:
        q = self._send_q
        if q:
            _prune(q)
        if not q and kind != "poll":
            flags = kwargs.get("flags", 0)
            f = self._Future() if future is None else future
            kwargs["flags"] = flags | _NOBLOCK
            try:
                result = _SEND_KINDS[kind](self, msg, **kwargs)
            except Again as exc:
                if flags & _NOBLOCK:
                    f.set_exception(exc)
                    if self._recv_q:
                        self._handle_events()
                    return f
            except Exception as exc:
                f.set_exception(exc)
                return f
            else:
                f.set_result(result)
                if self._recv_q:
                    self._handle_events()
                return f
            kwargs["flags"] = flags
            loop = self._get_loop()
        else:
            if self._hub.closed:
                self.check_open()
            loop = self._get_loop()
            f = self._new_future(loop) if future is None else future
        self._enqueue(q, _Waiter(f, kind, msg, (), kwargs), self._options.sndtimeo, loop)
        return f

    def _fail_all(self, exc: BaseException) -> None:
        for q in (self._recv_q, self._send_q):
            while q:
                w = q.popleft()
                if w.timer is not None:
                    w.timer.cancel()
                if not w.future.done():
                    w.future.set_exception(exc)

    def _cancel_all(self) -> None:
        for q in (self._recv_q, self._send_q):
            while q:
                w = q.popleft()
                if w.timer is not None:
                    w.timer.cancel()
                if not w.future.done():
                    try:
                        w.future.cancel()
                    except RuntimeError:  # its loop is closed (teardown)
                        pass
        self._unwatch()

    def poll_events(self) -> int:
        """EVENTS; if waiters could now be served, they are, soon (the
        query may have taken the mailbox fd's signal, as pyzmq's get does)."""
        events = _SyncSocket.poll_events(self)
        loop = self._current_loop
        if loop is not None and (
            (self._recv_q and events & _POLLIN) or (self._send_q and events & _POLLOUT)
        ):
            loop.call_soon(self._handle_events)
        return events

    # -- lifecycle -------------------------------------------------------------

    def close(self, linger: Optional[int] = None) -> None:
        """Close; pending futures are cancelled (as pyzmq)."""
        if not self.closed:
            self._cancel_all()
        _SyncSocket.close(self, linger)

    # -- pyzmq's future-returning API ------------------------------------------

    def recv(self, flags: int = 0, copy: bool = True, track: bool = False) -> Any:
        """A future of the next frame (bytes, or a Frame with copy=False)."""
        return self._add_recv("recv", (), {"flags": flags, "copy": copy, "track": track})

    def recv_multipart(self, flags: int = 0, copy: bool = True, track: bool = False) -> Any:
        """A future of the next whole message (a list of frames)."""
        return self._add_recv("recv_multipart", (), {"flags": flags, "copy": copy, "track": track})

    def recv_into(self, buffer: Any, /, *, nbytes: int = 0, flags: int = 0) -> Any:
        """A future of the size of the next frame, written into `buffer`."""
        return self._add_recv("recv_into", (buffer,), {"nbytes": nbytes, "flags": flags})

    def send(  # type: ignore[override]
        self, data: Any, flags: int = 0, copy: bool = True, track: bool = False, **kwargs: Any
    ) -> Any:
        """A future that completes when the frame is queued (its MessageTracker
        or None, as the sync send returns)."""
        if (
            type(data) is bytes
            and not flags
            and copy
            and not track
            and not kwargs
            and self._hub.ok
            and not self._send_parts
            and not self._send_q
        ):
            # Fast path: one bytes frame that can go now (the sync send's own
            # fast path needs flags == 0, and NOBLOCK is not 0).
            if self._cmds:
                self._mailbox.process()
            if self._pattern_send([data]):
                f = self._Future()
                f.set_result(None)
                if self._recv_q:
                    self._handle_events()
                return f
        kwargs.update(flags=flags, copy=copy, track=track)
        return self._add_send("send", data, kwargs)

    def send_multipart(
        self,
        msg_parts: Sequence[Any],
        flags: int = 0,
        copy: bool = True,
        track: bool = False,
        **kwargs: Any,
    ) -> Any:
        """A future that completes when the whole message is queued."""
        kwargs.update(flags=flags, copy=copy, track=track)
        return self._add_send("send_multipart", msg_parts, kwargs)

    def _deserialize(self, received: Any, load: Callable[[Any], Any]) -> Any:
        """A future of `load(result of received)`; cancelling it cancels
        `received` (so a pending recv gives its message to the next one)."""
        f = self._Future()

        def chain(_: Any) -> None:
            if f.done():
                if not received.cancelled() and received.exception() is None:
                    warnings.warn(
                        f"Future {f} was done before {received}: a message was dropped",
                        RuntimeWarning,
                        stacklevel=1,
                    )
                return
            if received.cancelled():
                f.cancel()
                return
            exc = received.exception()
            if exc is not None:
                f.set_exception(exc)
            else:
                _complete(f, load, received.result())

        def cancel_back(_: Any) -> None:
            if f.cancelled() and not received.done():
                received.cancel()

        received.add_done_callback(chain)
        f.add_done_callback(cancel_back)
        return f

    def recv_string(self, flags: int = 0, encoding: str = "utf-8") -> Any:
        return self._deserialize(self.recv(flags), lambda b: b.decode(encoding))

    recv_unicode = recv_string

    def recv_pyobj(self, flags: int = 0) -> Any:
        return self._deserialize(self.recv(flags), pickle.loads)

    def recv_json(self, flags: int = 0, **kwargs: Any) -> Any:
        return self._deserialize(self.recv(flags), lambda b: json.loads(b.decode(), **kwargs))

    def recv_serialized(
        self, deserialize: Callable[[list[Any]], Any], flags: int = 0, copy: bool = True
    ) -> Any:
        return self._deserialize(self.recv_multipart(flags, copy=copy), deserialize)

    def poll(self, timeout: Optional[int] = None, flags: int = C.POLLIN) -> Any:
        """A future of the events ready within `timeout` ms (None: no limit)."""
        if self.closed:
            raise ZMQError(errno.ENOTSUP, "poll on a closed socket")
        poller = self._poller_class()
        poller.register(self, flags)
        polled = poller.poll(timeout)
        f = self._Future()

        def unwrap(_: Any) -> None:
            if f.done():
                return
            if polled.cancelled():
                f.cancel()
            elif polled.exception() is not None:
                f.set_exception(polled.exception())
            else:
                f.set_result(dict(polled.result()).get(self, 0))

        def cancel_back(_: Any) -> None:
            if not polled.done():
                polled.cancel()

        if polled.done():
            unwrap(polled)
        else:
            polled.add_done_callback(unwrap)
        f.add_done_callback(cancel_back)
        return f


class _AsyncPoller(_SyncPoller):
    """A Poller whose `poll` returns a future of ``[(socket, events)]``."""

    _Future: Any = asyncio.Future
    _socket_class: Any = None  # the async socket class (set below)

    def _default_loop(self) -> Any:
        return asyncio.get_running_loop()

    def poll(self, timeout: Optional[float] = -1) -> Any:
        """Resolve with the ready ``(socket, events)`` once one is, or with []
        after `timeout` ms (None or negative: no limit)."""
        future = self._Future()
        if timeout == 0:
            _complete(future, _SyncPoller.poll, self, 0)
            return future
        loop = self._default_loop()
        watcher = self._Future()  # done when something may be ready
        wrapped: list[_AsyncSocket] = []
        raw: list[tuple[Any, int]] = []
        for sock, mask in self.sockets:
            if isinstance(sock, _SyncSocket):
                if not isinstance(sock, _AsyncSocket):
                    sock = self._socket_class.from_socket(sock)  # wrapped for this poll only
                    wrapped.append(sock)
                if mask & _POLLIN:
                    sock._add_recv("poll", (), {}, future=watcher)
                if mask & _POLLOUT:
                    sock._add_send("poll", None, {}, future=watcher)
            else:
                raw.append((sock, mask))
        stop_raw = _watch_raw(loop, raw, watcher) if raw else None

        def finish(_: Any) -> None:
            if stop_raw is not None:
                stop_raw()
            for s in wrapped:
                s._cancel_all()
            if future.done():
                return
            if watcher.cancelled():
                future.cancel()
                return
            exc = watcher.exception()
            if exc is not None:  # RCVTIMEO/SNDTIMEO of a socket ran out (as pyzmq)
                future.set_exception(exc)
                return
            _complete(future, _SyncPoller.poll, self, 0)

        watcher.add_done_callback(finish)
        if timeout is not None and timeout > 0:
            timer = loop.call_later(timeout / 1000.0, _resolve, watcher)
            future.add_done_callback(lambda _: timer.cancel())

        def cancel_watcher(_: Any) -> None:
            if not watcher.done():
                watcher.cancel()

        future.add_done_callback(cancel_watcher)
        return future


def _resolve(future: Any) -> None:
    if not future.done():
        future.set_result(None)


def _watch_raw(loop: Any, raw: list[tuple[Any, int]], watcher: Any) -> Callable[[], None]:
    """Resolve `watcher` when one of the plain fds is ready; returns the undo.

    With ``add_reader``/``add_writer`` when the loop has them; otherwise a
    short-lived thread waits in ``select`` and posts to the loop."""
    try:
        added: list[tuple[Callable[[Any], Any], Any]] = []
        for obj, mask in raw:
            if mask & _POLLIN:
                loop.add_reader(obj, _resolve, watcher)
                added.append((loop.remove_reader, obj))
            if mask & _POLLOUT:
                loop.add_writer(obj, _resolve, watcher)
                added.append((loop.remove_writer, obj))
    except NotImplementedError:
        for remove, obj in added:
            remove(obj)
        return _select_thread(loop, raw, watcher)

    def undo() -> None:
        for remove, obj in added:
            remove(obj)

    return undo


def _select_thread(loop: Any, raw: list[tuple[Any, int]], watcher: Any) -> Callable[[], None]:
    """For loops without add_reader (Proactor): select in a helper thread,
    woken to stop through a socket pair (Windows selects sockets only)."""
    import socket

    stop_r, stop_w = socket.socketpair()
    rlist = [obj for obj, mask in raw if mask & _POLLIN] + [stop_r]
    wlist = [obj for obj, mask in raw if mask & _POLLOUT]

    def run() -> None:
        try:
            r, _w, _x = select.select(rlist, wlist, [])
            if stop_r not in r:
                loop.call_soon_threadsafe(_resolve, watcher)
        except (OSError, ValueError, RuntimeError):
            pass  # an fd closed under us, or the loop closed: nobody waits
        finally:
            stop_r.close()

    threading.Thread(target=run, name="purezmq-asyncio-select", daemon=True).start()

    def undo() -> None:
        try:
            stop_w.send(b"x")  # the thread may have returned already
        except OSError:
            pass
        stop_w.close()

    return undo


class Poller(_AsyncPoller):
    """Poller returning asyncio futures from `poll`."""


class Socket(_AsyncSocket):
    """Socket returning asyncio futures from send/recv/poll (zmq.asyncio.Socket)."""

    __slots__ = ()  # a misspelt option attribute raises, as on the sync Socket

    _poller_class = Poller


Poller._socket_class = Socket
_AsyncSocket._poller_class = Poller
_AsyncPoller._socket_class = Socket


class Context(_SyncContext):
    """A Context whose sockets are `purezmq.asyncio.Socket`s."""

    _socket_class = Socket
    _instance: Optional[Context] = None  # not shared with the sync Context's
    _instance_pid: Optional[int] = None


class ZMQEventLoop(asyncio.SelectorEventLoop):
    """Deprecated (as in pyzmq 17): any asyncio loop works."""

    def __init__(self, selector: Any = None) -> None:
        _deprecated()
        super().__init__(selector)


_warned = [False]


def _deprecated() -> None:
    if not _warned[0]:
        _warned[0] = True
        warnings.warn(
            "ZMQEventLoop and purezmq.asyncio.install are deprecated (pyzmq 17): any asyncio"
            " loop works without them",
            DeprecationWarning,
            stacklevel=3,
        )


def install() -> None:
    """Deprecated: not needed (pyzmq 17)."""
    _deprecated()


__all__ = ["Context", "Poller", "Socket", "ZMQEventLoop", "install"]
