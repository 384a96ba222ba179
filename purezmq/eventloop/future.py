"""zmq.eventloop.future: sockets whose send/recv/poll return tornado Futures.

pyzmq keeps this module for tornado coroutines. Since tornado 5 a tornado
Future *is* an asyncio Future and tornado's IOLoop runs on an asyncio loop,
so the classes here are `purezmq.asyncio`'s future-socket core
(`_AsyncSocket`, `_AsyncPoller`) bound to another Future class and to the
asyncio loop under ``IOLoop.current()`` (spec/asyncio.md, "Reusing the core
with another Future class"). Everything else (RCVTIMEO/SNDTIMEO failing the
future with ``Again``, cancellation losing no message, close cancelling
pending futures, FIFO order) is the asyncio socket's.

Cancellation is pyzmq's tornado flavour: ``cancel()`` completes the future
with this module's `CancelledError` as its exception (``cancelled()`` is then
True, ``exception()`` returns it, ``await`` raises it). purezmq's
`CancelledError` is an ``Exception``, as pyzmq's, and also an
``asyncio.CancelledError``, so a Task (and ``run_sync``'s timeout, and
``asyncio.wait_for``) cancelled while awaiting one of these futures ends
cancelled (``wait_for`` then raises TimeoutError, except on Python 3.12,
which recognises only the exact class). pyzmq's ``cancel()`` takes no
message argument, so there a Task's ``cancel()`` raises TypeError
(spec/pyzmq.md). A cancelled future that nobody looks at is not reported
as "exception was never retrieved" (pyzmq's is).

tornado is needed: importing this module without it raises ImportError
saying so, as the other modules of `purezmq.eventloop` do.
"""

from __future__ import annotations

import asyncio
import warnings
from typing import Any, Optional

from ._tornado import IOLoop  # first: a missing tornado is reported clearly

# isort: split
from tornado.concurrent import Future as _TornadoFutureBase

from ..asyncio import _AsyncPoller, _AsyncSocket
from ..sugar.context import Context as _SyncContext


class CancelledError(asyncio.CancelledError, Exception):
    """What a cancelled future of this module holds (``except Exception``
    catches it, as pyzmq's; so does ``except asyncio.CancelledError``)."""


class _TornadoFuture(_TornadoFutureBase[Any]):
    """A tornado Future whose cancellation is a `CancelledError` result."""

    def cancel(self, msg: Any = None) -> bool:
        """Complete with `CancelledError` unless already done (False then).

        `msg` (asyncio's, passed by a Task being cancelled) becomes the
        error's message."""
        if self.done():
            return False
        self.set_exception(CancelledError() if msg is None else CancelledError(msg))
        # cancelled, not failed: no "exception was never retrieved" when dropped
        self._log_traceback = False
        return True

    def cancelled(self) -> bool:
        return self.done() and isinstance(self.exception(), CancelledError)


def _tornado_loop() -> Any:
    """The asyncio loop under tornado's current IOLoop."""
    return IOLoop.current().asyncio_loop  # type: ignore[attr-defined]


class Poller(_AsyncPoller):
    """Poller whose `poll` returns a tornado Future of ``[(socket, events)]``."""

    _Future: Any = _TornadoFuture

    def _default_loop(self) -> Any:
        return _tornado_loop()


class Socket(_AsyncSocket):
    """Socket whose send/recv/poll return tornado Futures."""

    __slots__ = ()  # a misspelt option attribute raises, as on the sync Socket

    _Future: Any = _TornadoFuture
    _poller_class = Poller

    def _default_loop(self) -> Any:
        return _tornado_loop()


Poller._socket_class = Socket


class Context(_SyncContext):
    """A Context whose sockets are `purezmq.eventloop.future.Socket`s."""

    _socket_class = Socket
    _instance: Optional[Context] = None  # not shared with the other Contexts'
    _instance_pid: Optional[int] = None
    io_loop: Any = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        io_loop = kwargs.pop("io_loop", None)
        if io_loop is not None:
            warnings.warn(
                f"{type(self).__name__}(io_loop) is deprecated (as in pyzmq 22.2): the running"
                " loop is always used",
                DeprecationWarning,
                stacklevel=2,
            )
        super().__init__(*args, **kwargs)


__all__ = ["CancelledError", "Context", "Poller", "Socket"]
