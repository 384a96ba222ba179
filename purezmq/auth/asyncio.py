"""`AsyncioAuthenticator`: the ZAP handler of `purezmq.auth.base`, answering on an asyncio loop.

`start` binds the ZAP REP socket (a plain socket, as the base class makes
it) and starts a task on the event loop that receives each request through
a `purezmq.asyncio` view of that socket (``Socket.from_socket``) and awaits
`handle_zap_message`, so a credentials provider's coroutine runs on the
same loop, and nothing blocks it. Requests are answered one at a time, in
arrival order (a REP socket owes each reply before the next request).
`stop` cancels the task and closes the socket.

As pyzmq's, the task is made with ``asyncio.ensure_future``: call `start`
from a coroutine on the loop that should serve (or before running the
loop that ``asyncio.get_event_loop()`` returns). The ``loop`` argument is
deprecated and ignored, as in pyzmq.

Unlike pyzmq, an exception from user code while deciding (a credentials
provider that raises) does not end the task: it is logged through ``log``
and the client refused with status 500, as `ThreadAuthenticator` does.
"""

from __future__ import annotations

import asyncio
import warnings
from typing import Any, Optional

from ..asyncio import Socket as _AsyncioSocket
from ..error import ContextTerminated, ZMQError
from ..sugar.context import Context
from .base import VERSION, Authenticator


class AsyncioAuthenticator(Authenticator):
    """ZAP authentication served by a task of the running asyncio loop."""

    def __init__(
        self,
        context: Optional[Context] = None,
        loop: Any = None,
        encoding: str = "utf-8",
        log: Any = None,
    ) -> None:
        super().__init__(context, encoding, log)
        if loop is not None:
            warnings.warn(
                f"{type(self).__name__}(loop) is deprecated and ignored (as in pyzmq):"
                " the running loop is used",
                DeprecationWarning,
                stacklevel=2,
            )
        self._task: Any = None
        self._reader: Optional[_AsyncioSocket] = None

    def start(self) -> None:
        """Bind the ZAP socket and start answering on the event loop."""
        super().start()
        reader = _AsyncioSocket.from_socket(self.zap_socket)
        self._reader = reader
        self._task = asyncio.ensure_future(self._serve(reader))

    def stop(self) -> None:
        """Stop answering and close the ZAP socket (no handler afterwards)."""
        task, self._task = self._task, None
        reader, self._reader = self._reader, None
        if task is not None and not task.done():
            try:
                task.cancel()
            except RuntimeError:  # its loop is closed: nothing runs it any more
                pass
        if reader is not None and not reader.closed:
            reader.close()  # cancels the pending receive; the same socket as zap_socket
        super().stop()

    async def _serve(self, reader: _AsyncioSocket) -> None:
        while True:
            try:
                msg = await reader.recv_multipart()
            except ContextTerminated:
                return
            except ZMQError:
                if reader.closed:
                    return
                raise
            await self._answer(msg)

    async def _answer(self, msg: list[bytes]) -> None:
        try:
            await self.handle_zap_message(msg)
        except (ZMQError, asyncio.CancelledError):
            raise
        except Exception:
            self.log.exception("ZAP handler failed on %r", msg)
            # REP owes a reply: refuse the client rather than wedge the socket
            request_id = bytes(msg[1]) if len(msg) > 1 else b""
            self.zap_socket.send_multipart(
                [VERSION, request_id, b"500", b"Internal error", b"", b""]
            )


__all__ = ["AsyncioAuthenticator"]
