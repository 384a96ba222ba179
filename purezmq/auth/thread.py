"""`ThreadAuthenticator`: the ZAP handler of `purezmq.auth.base`, answering on a thread of its own.

The thread polls two sockets: the ZAP REP socket and one end of a PAIR pipe
on which `stop` sends ``TERMINATE``. Requests are answered one at a time, in
arrival order. A credentials provider that returns an awaitable is run to
completion on an asyncio event loop private to the thread (made on first
need), so async callbacks work here as they do in pyzmq.

Unlike pyzmq, an exception from user code while deciding (a credentials
provider that raises, say) does not end the thread: it is logged through the
authenticator's ``log`` and the client refused with status 500, so the REP
socket stays usable and later clients are still answered.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable
from typing import Any, Optional

from .. import constants as C
from ..error import ContextTerminated, ZMQError
from ..sugar.context import Context
from ..sugar.poll import Poller
from ..sugar.socket import Socket
from .base import VERSION, Authenticator


async def _wait_for(awaitable: Awaitable[Any]) -> Any:
    return await awaitable


class AuthenticationThread(threading.Thread):
    """The thread behind a `ThreadAuthenticator` (started by it)."""

    pipe: Socket
    authenticator: Authenticator

    def __init__(self, authenticator: Authenticator, pipe: Socket) -> None:
        super().__init__(daemon=True, name="purezmq-auth")
        self.authenticator = authenticator
        self.log = authenticator.log
        self.pipe = pipe
        self.started = threading.Event()
        self._loop: Optional[asyncio.AbstractEventLoop] = None

    def run(self) -> None:
        try:
            self._run()
        finally:
            if self.pipe:
                self.pipe.close()
                self.pipe = None  # type: ignore[assignment]
            if self._loop is not None:
                self._loop.close()
                self._loop = None

    def _run(self) -> None:
        zap = self.authenticator.zap_socket
        poller = Poller()
        poller.register(self.pipe, C.POLLIN)
        poller.register(zap, C.POLLIN)
        self.started.set()
        while True:
            try:
                events = dict(poller.poll())
                if self.pipe in events and self._handle_pipe_message(self.pipe.recv_multipart()):
                    return
                if zap in events:
                    self._answer(zap.recv_multipart())
            except ContextTerminated:
                return

    def _answer(self, msg: list[bytes]) -> None:
        try:
            self.authenticator._handle_zap_blocking(msg, self._resolve)
        except ZMQError:
            raise
        except Exception:
            self.log.exception("ZAP handler failed on %r", msg)
            # REP owes a reply: refuse the client rather than wedge the socket
            request_id = bytes(msg[1]) if len(msg) > 1 else b""
            self.authenticator.zap_socket.send_multipart(
                [VERSION, request_id, b"500", b"Internal error", b"", b""]
            )

    def _resolve(self, awaitable: Awaitable[Any]) -> Any:
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
        return self._loop.run_until_complete(_wait_for(awaitable))

    def _handle_pipe_message(self, msg: list[bytes]) -> bool:
        command = msg[0]
        self.log.debug("auth received API command %r", command)
        if command == b"TERMINATE":
            return True
        self.log.error("Invalid auth command from API: %r", command)
        self.pipe.send(b"ERROR")
        return False


class ThreadAuthenticator(Authenticator):
    """Run ZAP authentication in a background thread."""

    pipe: Socket
    pipe_endpoint: str = ""
    thread: AuthenticationThread

    def __init__(
        self, context: Optional[Context] = None, encoding: str = "utf-8", log: Any = None
    ) -> None:
        super().__init__(context=context, encoding=encoding, log=log)
        self.pipe = None  # type: ignore[assignment]
        self.pipe_endpoint = f"inproc://{id(self)}.inproc"
        self.thread = None  # type: ignore[assignment]

    def start(self) -> None:
        """Bind the ZAP socket and start answering on the thread."""
        super().start()
        self.pipe = self.context.socket(C.PAIR, socket_class=Socket)
        self.pipe.linger = 1
        self.pipe.bind(self.pipe_endpoint)
        thread_pipe = self.context.socket(C.PAIR, socket_class=Socket)
        thread_pipe.linger = 1
        thread_pipe.connect(self.pipe_endpoint)
        self.thread = AuthenticationThread(authenticator=self, pipe=thread_pipe)
        self.thread.start()
        if not self.thread.started.wait(timeout=10):
            raise RuntimeError("Authenticator thread failed to start")

    def stop(self) -> None:
        """Stop the thread, then close the ZAP socket."""
        if self.pipe:
            self.pipe.send(b"TERMINATE")
            if self.is_alive():
                self.thread.join()
            self.thread = None  # type: ignore[assignment]
            self.pipe.close()
            self.pipe = None  # type: ignore[assignment]
        super().stop()

    def is_alive(self) -> bool:
        """Whether the thread is running."""
        return bool(self.thread and self.thread.is_alive())

    def __del__(self) -> None:
        try:
            self.stop()
        except Exception:  # interpreter shutdown, a context already gone
            pass


__all__ = ["ThreadAuthenticator"]
