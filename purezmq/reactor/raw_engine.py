"""RawEngine: a plain stream socket for a STREAM socket's peer (libzmq
raw_engine_t, raw_encoder_t, raw_decoder_t). Lives on the I/O thread.

Theory of operation
-------------------
No greeting, no handshake, no heartbeats: the engine is ready as soon as it
starts. It tells its session at once (`engine_ready`, which makes or reuses
the pipe to the socket) and, with STREAM_NOTIFY on, queues the connect
notification, an empty message, into that pipe.

Reads: one ``recv`` of at most 8192 bytes (libzmq's in_batch_size, the raw
decoder's buffer) per readiness event becomes one message ``[data]``.

Writes: it is a `StreamEngine` whose codec is `RawCodec`, so the session's
pump, write-through, HWM accounting, partial writes and tracked frames work
exactly as for ZMTP: only the encoding differs (a frame's bytes, nothing
around them). `CLOSE_PEER` in the pipe (the app sent an empty data frame)
makes the engine close once everything before it reached the kernel; the
session then stops without reconnecting.

When the connection fails (the peer closed it, an error), the disconnect
notification (STREAM_NOTIFY) goes into the pipe before the session hears of
it; the monitor sees HANDSHAKE_FAILED_NO_DETAIL then DISCONNECTED, as libzmq
reports every raw disconnect. A connecting session reconnects with the same
pipe, so the peer keeps its routing id and is announced again.

Threads: as `StreamEngine` (every method runs with the session's lock held;
an app thread writing through calls only `flush`).
"""

from __future__ import annotations

import socket
from collections.abc import Iterable
from typing import Any, cast

from .. import constants as C
from ..patterns.stream import CLOSE_PEER
from ..zmtp.connection import LARGE_FRAME, Connection, OutputQueue
from ..zmtp.events import Message, Ready
from .contracts import EngineOwner
from .engine import StreamEngine
from .loop import EVENT_READ, IOThread

_READ_SIZE = 8192  # libzmq: one raw message per read, at most in_batch_size bytes


class RawCodec(OutputQueue):
    """What the session and `StreamEngine` use of a `Connection`, for raw bytes.

    Frames shorter than LARGE_FRAME are copied into one bytearray (so the
    session may release a tracked one at once, as with ZMTP); larger ones are
    queued whole, and the engine releases them once the kernel has them."""

    __slots__ = ("_out", "_chunks", "close_requested")

    def __init__(self) -> None:
        self._out = bytearray()
        self._chunks: list[Any] = []
        self.close_requested = False  # CLOSE_PEER was read: nothing follows it

    def send_messages(self, messages: Iterable[Any]) -> None:
        out = self._out
        for msg in messages:
            if msg is CLOSE_PEER:
                self.close_requested = True
                continue
            for frame in msg:
                if len(frame) < LARGE_FRAME:
                    out += frame
                else:
                    if out:
                        self._chunks.append(out)
                        out = self._out = bytearray()
                    self._chunks.append(frame)

    def discard(self) -> None:
        """The connection is over: drop what was not sent (Connection.discard)."""
        self._out = bytearray()
        self._chunks = []


# What a raw peer "says" in place of a handshake: nothing.
_RAW_READY = Ready("", b"", {}, (0, 0))


class RawEngine(StreamEngine):
    """A STREAM socket's connection: bytes in, bytes out."""

    def __init__(
        self, loop: IOThread, sock: socket.socket, session: EngineOwner, endpoint: str
    ) -> None:
        self.codec = RawCodec()
        # The codec has every method of Connection the session and the
        # StreamEngine methods used here call (send_messages, has_output,
        # take_output); the ZMTP-only paths (decode, handshake, heartbeats,
        # ZAP) are overridden below or never started.
        super().__init__(loop, sock, session, cast(Connection, self.codec), endpoint)

    def start(self) -> None:
        self.loop.add_handler(self.sock, EVENT_READ, self)
        self.loop.handlers.add(self)
        self.ready = True
        session = self.session
        session.engine_ready(self, _RAW_READY)  # the pipe; queued output goes out
        if not self.closed and session.options.stream_notify:
            session.engine_events([Message([b""])])

    # -- reading ---------------------------------------------------------------

    def on_readable(self) -> None:
        with self.lock:
            if self.closed:
                return
            try:
                data = self.sock.recv(_READ_SIZE)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                self.fail(C.EVENT_DISCONNECTED, exc.errno or 0, str(exc))
                return
            if not data:
                self.fail(C.EVENT_DISCONNECTED, 0, "peer closed the connection")
                return
            self.session.engine_events([Message([data])])

    # -- writing ---------------------------------------------------------------

    def flush(self) -> None:
        super().flush()
        self._close_if_asked()

    def on_writable(self) -> None:
        super().on_writable()
        with self.lock:
            self._close_if_asked()

    def _close_if_asked(self) -> None:
        if self.codec.close_requested and not self.closed and not self.write_blocked:
            self.fail(C.EVENT_DISCONNECTED, 0, "closed by the application")

    # -- failing -----------------------------------------------------------------

    def fail(self, event: int, value: int, reason: str, protocol: bool = False) -> None:
        if not self.closed:
            self.loop.call_in_loop(self._fail_raw, value, reason)

    def _fail_raw(self, value: int, reason: str) -> None:
        with self.lock:
            if self.closed:
                return
            session = self.session
            if self.codec.close_requested:
                # The app closed this peer: no notification, no reconnect.
                self.close()
                session.engine_failed(self, C.EVENT_DISCONNECTED, 0, reason, True)
                return
            if session.options.stream_notify:
                session.engine_events([Message([b""])])
            self.close()
            session.engine_failed(self, C.EVENT_HANDSHAKE_FAILED_NO_DETAIL, value, reason, False)
