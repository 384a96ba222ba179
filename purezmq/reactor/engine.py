"""StreamEngine: a non-blocking stream socket <-> zmtp.Connection (libzmq
stream_engine_t / zmtp_engine_t). Lives on the I/O thread.

Theory of operation
-------------------
Reads: one ``recv`` of up to ``_RECV_SIZE`` bytes per readiness event,
decoded into a batch of events for the session. While the codec is in the
middle of a large body, the read goes straight into that body's buffer
(``recv_into``, `Connection.receive_big_into`): no intermediate chunk, no
join, and the buffer only grows with what arrived. The session can pause
reading when its pipe to the socket is full (HWM backpressure then reaches
the peer through TCP).

Writes: the session queues messages into the Connection and calls `flush`,
which sends at once and registers for writability only if the kernel did not
take everything. Chunks go out with one ``sendmsg`` (no joining, so large
bodies are never copied). A chunk that is a tracked frame (send with
``track=True``) is released to its MessageTracker once the kernel has taken
all of it, or when the engine closes with it unsent.

Timers: HANDSHAKE_IVL until READY; with HEARTBEAT_IVL a PING every interval
and a close after HEARTBEAT_TIMEOUT of silence; a peer's PING TTL likewise.

Any OSError or ProtocolError closes this engine only; the session decides
whether to reconnect. Errors are reported to the socket's monitor.

Threads: every method runs with the session's lock held. The I/O thread
calls all of them; an app thread writing through (spec/threading.md) calls
only `flush`, and whatever that would change in the selector or the
session's state (`_update_interest`, `fail`) is handed to the I/O thread
with ``loop.call_in_loop``.
"""

from __future__ import annotations

import platform
import socket
import struct
import sys
import time
from typing import Any, Optional

from .. import constants as C
from ..routing import pipe as _pipe
from ..routing.pipe import TrackedBuffer
from ..zmtp.connection import Connection, Phase
from ..zmtp.errors import InvalidMetadata, MessageTooLarge, ProtocolError
from ..zmtp.events import AuthRequest, Ping, Ready, ZmtpEvent
from ..zmtp.framing import decode_metadata
from .contracts import EngineOwner
from .loop import EVENT_READ, EVENT_WRITE, IOThread, Timer

# Read 64 KiB at a time while traffic is light: CPython's recv(n) allocates n
# bytes up front, and above glibc's mmap threshold (128 KiB) that is an mmap +
# page faults + munmap per call (recv(256 KiB) ~20 us for 100 bytes, recv(64
# KiB) ~2 us). After two reads of 64 KiB or more in a row the peer is
# streaming: read 256 KiB, where fewer wake-ups and decode calls outweigh the
# mmap (64 KiB messages streamed: 7.3 k/s -> 10.6 k/s).
_RECV_SIZE = 64 * 1024
_RECV_SIZE_BULK = 256 * 1024
_IOV_MAX = 512
# Bytes offered to one send/sendmsg call. The kernel takes at most a socket
# buffer's worth anyway; PyPy copies every buffer it is handed on each call,
# so offering a deep queue there costs a copy of all of it per call.
_SEND_MAX = 256 * 1024 if sys.implementation.name == "pypy" else 4 * 1024 * 1024


# PyPy's socket module lacks SO_PEERCRED; Linux numbers it 17 on these machines.
_LINUX_SO_PEERCRED = (
    17
    if sys.platform.startswith("linux")
    and platform.machine() in ("x86_64", "aarch64", "i686", "armv7l", "riscv64")
    else None
)


class StreamEngine:
    # A large body is in flight that `_read_big` reads straight into the
    # codec's buffer (`Connection.big_need`, refreshed after every read).
    _big_body = 0

    def __init__(
        self,
        loop: IOThread,
        sock: socket.socket,
        session: EngineOwner,
        conn: Connection,
        endpoint: str,
    ) -> None:
        self.loop = loop
        self.sock = sock
        self.fd = sock.fileno()  # what DISCONNECTED reports, as libzmq does
        self.session = session
        self.lock = session.lock  # see Session.lock: held for all work on conn/_wq
        self.conn = conn
        self.endpoint = endpoint
        self.closed = False
        self.ready = False
        self.zap_properties: dict[str, bytes] = {}  # from an accepting ZAP reply
        self._events = EVENT_READ
        self._reading = True
        self._recv_size = _RECV_SIZE  # grows to _RECV_SIZE_BULK while streaming
        self._big_reads = 0  # consecutive reads of _RECV_SIZE or more
        self._wq: list[Any] = []  # chunks waiting for the kernel
        # (rest of a partly sent tracked frame, that frame): see _chunk_done
        self._partial: Optional[tuple[memoryview, TrackedBuffer]] = None
        self._handshake_timer: Optional[Timer] = None
        self._heartbeat_timer: Optional[Timer] = None
        self._timeout_timer: Optional[Timer] = None
        self._last_recv = time.monotonic()

    # -- lifecycle -------------------------------------------------------------

    def start(self) -> None:
        self.loop.add_handler(self.sock, EVENT_READ, self)
        self.loop.handlers.add(self)
        ivl = self.session.options.handshake_ivl
        if ivl > 0:
            self._handshake_timer = self.loop.call_later(ivl / 1000.0, self._handshake_expired)
        self.flush()

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        for timer in (self._handshake_timer, self._heartbeat_timer, self._timeout_timer):
            if timer is not None:
                timer.cancel()
        self.loop.remove_handler(self.sock)
        self.loop.handlers.discard(self)
        try:
            self.sock.close()
        except OSError:
            pass
        if _pipe.tracked_live:
            for chunk in self._wq:
                self._chunk_done(chunk)  # never sent: dropped
        self._wq = []
        self.conn.discard()  # a hostile peer's half-sent frame goes now

    force_close = close

    def fail(self, event: int, value: int, reason: str, protocol: bool = False) -> None:
        """Close the connection and tell the session why (`event` for the
        monitor). `protocol`: the peer broke the protocol or refused us
        (libzmq's protocol_error: the session does not reconnect)."""
        if not self.closed:
            # A failed write-through: the I/O thread owns the session's recovery.
            self.loop.call_in_loop(self._fail_locked, event, value, reason, protocol)

    def _fail_locked(self, event: int, value: int, reason: str, protocol: bool) -> None:
        with self.lock:
            if self.closed:
                return
            self.close()
            self.session.engine_failed(self, event, value, reason, protocol)

    def _lost_event(self) -> int:
        """A connection lost before the handshake ends is a handshake failure
        (libzmq reports HANDSHAKE_FAILED_NO_DETAIL, then DISCONNECTED)."""
        return C.EVENT_DISCONNECTED if self.ready else C.EVENT_HANDSHAKE_FAILED_NO_DETAIL

    def on_loop_error(self, exc: Exception) -> None:
        self.fail(C.EVENT_DISCONNECTED, 0, f"internal error: {exc!r}")

    def auth_result(self, ok: bool, status: bytes, user_id: bytes, metadata: bytes = b"") -> None:
        """I/O thread: the ZAP verdict on the peer (RFC 27 status code), the
        User-Id and metadata its messages will carry as properties."""
        with self.lock:
            if self.closed:
                return
            if ok:
                try:
                    props = decode_metadata(metadata)
                except InvalidMetadata:
                    self.fail(
                        C.EVENT_HANDSHAKE_FAILED_PROTOCOL,
                        C.PROTOCOL_ERROR_ZAP_INVALID_METADATA,
                        "ZAP reply metadata is malformed",
                        protocol=True,
                    )
                    return
                if user_id:
                    props["User-Id"] = user_id
                self.zap_properties = props
            try:
                events = self.conn.auth_reply(ok, status, user_id)
            except ProtocolError as exc:  # e.g. the peer's READY names an incompatible type
                self._protocol_error(exc)
                return
            self.flush()
            if not ok:
                code = int(status) if status.isdigit() else 0
                reason = f"ZAP refused the peer ({status.decode(errors='replace')})"
                self.fail(C.EVENT_HANDSHAKE_FAILED_AUTH, code, reason, protocol=True)
            elif events:
                self._handshake_events(events)

    def message_properties(self, ready: Ready) -> dict[str, bytes]:
        """What every message from this peer reports (libzmq's message
        metadata): ZAP's User-Id and metadata, the peer's handshake
        properties, and Peer-Address for tcp."""
        props = dict(self.zap_properties)
        for name, value in ready.properties.items():
            props.setdefault(name, value)
        address = self.peer_address() or self._peer_credentials()
        if address:
            props.setdefault("Peer-Address", address.encode())
        return props

    def _peer_credentials(self) -> str:
        """An ipc peer as libzmq names it: ``localhost:uid:gid:pid`` (Linux)."""
        peercred = getattr(socket, "SO_PEERCRED", _LINUX_SO_PEERCRED)
        if peercred is None or self.sock.family != getattr(socket, "AF_UNIX", None):
            return ""
        try:
            pid, uid, gid = struct.unpack(
                "3i", self.sock.getsockopt(socket.SOL_SOCKET, peercred, 12)
            )
        except OSError:
            return ""
        return f"localhost:{uid}:{gid}:{pid}"

    def peer_address(self) -> str:
        """The peer's IP address ("" for ipc), as ZAP requests carry it."""
        try:
            host = self.sock.getpeername()
        except OSError:
            return ""
        return str(host[0]) if isinstance(host, tuple) else ""

    # -- reading ---------------------------------------------------------------

    def on_readable(self) -> None:
        with self.lock:
            self._on_readable()

    def _on_readable(self) -> None:
        if self._big_body:
            self._read_big(self.conn)
            return
        size = self._recv_size
        try:
            data = self.sock.recv(size)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            self.fail(self._lost_event(), exc.errno or 0, str(exc))
            return
        if not data:
            self.fail(self._lost_event(), 0, "peer closed the connection")
            return
        self._last_recv = time.monotonic()
        if len(data) >= _RECV_SIZE:
            self._big_reads += 1
            if self._big_reads >= 2:  # not one large message: a stream
                self._recv_size = _RECV_SIZE_BULK
        else:
            self._big_reads = 0
            self._recv_size = _RECV_SIZE
        conn = self.conn
        conn.answer_pings = not self._wq  # the peer reads what we send: answer PINGs
        try:
            events = conn.receive_data(data)
        except ProtocolError as exc:
            self._protocol_error(exc)
            return
        self._big_body = conn.big_need
        self._deliver(events)

    def _read_big(self, conn: Connection) -> None:
        """Read more of a large body straight into its buffer."""
        try:
            events = conn.receive_big_into(self.sock.recv_into)
        except (BlockingIOError, InterruptedError):
            return
        except ProtocolError as exc:
            self._protocol_error(exc)
            return
        except OSError as exc:
            self.fail(self._lost_event(), exc.errno or 0, str(exc))
            return
        if events is None:
            self.fail(self._lost_event(), 0, "peer closed the connection")
            return
        self._last_recv = time.monotonic()
        self._big_body = conn.big_need
        if not self._big_body:
            # The body is complete. The next read holds the next header and
            # the start of its body: read it small (a large fresh buffer is an
            # mmap and a page fault per 4 KiB); the rest of a large body comes
            # here again, into the codec's warm buffer.
            self._recv_size = _RECV_SIZE
            self._big_reads = 0
        if events:
            self._deliver(events)

    def _deliver(self, events: list[ZmtpEvent]) -> None:
        if self.ready:
            self.session.engine_events(events)
        else:
            self._handshake_events(events)
        if not self.closed and self.conn.has_output():
            self.flush()
        if not self.closed and self.conn.phase is Phase.CLOSED:
            self.fail(C.EVENT_DISCONNECTED, 0, "peer sent ERROR", protocol=True)

    def _handshake_events(self, events: list[ZmtpEvent]) -> None:
        for i, ev in enumerate(events):
            if isinstance(ev, Ready):
                self.ready = True
                if self._handshake_timer is not None:
                    self._handshake_timer.cancel()
                    self._handshake_timer = None
                self._start_heartbeats()
                self.session.engine_ready(self, ev)
                rest = events[i + 1 :]
                if rest and not self.closed:
                    self.session.engine_events(rest)
                return
            if isinstance(ev, AuthRequest):
                self.session.engine_auth(self, ev)
                if self.closed:
                    return

    def _protocol_error(self, exc: ProtocolError) -> None:
        # Nothing the peer sent before the error is lost: the handshake may
        # have completed, and messages arrived, in the read that failed.
        if exc.events and self.ready:
            self.session.engine_events(exc.events)
        elif exc.events and any(isinstance(ev, Ready) for ev in exc.events):
            self._handshake_events([ev for ev in exc.events if not isinstance(ev, AuthRequest)])
        # Send what the codec queued (an ERROR command) before closing.
        if self.conn.has_output():
            try:
                self.sock.sendmsg(self.conn.take_output()[:_IOV_MAX])
            except OSError:
                pass
        if exc.auth:
            event = C.EVENT_HANDSHAKE_FAILED_AUTH
        elif isinstance(exc, MessageTooLarge) or (
            self.ready and not self.conn.mechanism.wraps_traffic
        ):
            # libzmq's decoder fails an oversized frame with EMSGSIZE, which its
            # monitor shows only as DISCONNECTED, even during the handshake. A
            # CURVE box that fails after the handshake is a protocol failure.
            event = C.EVENT_DISCONNECTED
        else:
            event = C.EVENT_HANDSHAKE_FAILED_PROTOCOL
        self.fail(event, exc.code, str(exc), protocol=True)

    def pause_reading(self) -> None:
        if self._reading:
            self._reading = False
            self._update_interest()

    def resume_reading(self) -> None:
        if not self._reading and not self.closed:
            self._reading = True
            self._update_interest()

    def _update_interest(self) -> None:
        events = (EVENT_READ if self._reading else 0) | (EVENT_WRITE if self._wq else 0)
        if events == self._events or self.closed:
            return
        if not self.loop.in_thread():  # write-through left data: the loop registers it
            self.loop.post(self._update_interest_locked)
            return
        if self._events == 0:
            self.loop.add_handler(self.sock, events, self)
        elif events == 0:
            self.loop.remove_handler(self.sock)
        else:
            self.loop.modify_handler(self.sock, events, self)
        self._events = events

    def _update_interest_locked(self) -> None:
        with self.lock:
            self._update_interest()

    # -- writing ---------------------------------------------------------------

    @property
    def write_blocked(self) -> bool:
        return bool(self._wq)

    def flush(self) -> None:
        """Send whatever the Connection has queued; keep the rest for later."""
        if self.closed or not self.conn.has_output():
            return
        chunks = self.conn.take_output()
        if self._wq:
            # Waiting for EVENT_WRITE: only on_writable sends now, because it
            # also tells the session to pump again. Sending here could empty
            # the queue with nobody told, and the pipe would never drain.
            self._wq.extend(chunks)
            return
        self._wq = chunks
        self._send_queued()

    def _send_queued(self) -> None:
        wq = self._wq
        sock = self.sock
        while wq:
            try:
                first = wq[0]
                if len(wq) == 1 or len(first) >= _SEND_MAX:
                    sent = sock.send(
                        first if len(first) <= _SEND_MAX else memoryview(first)[:_SEND_MAX]
                    )
                else:
                    sent = sock.sendmsg(_head(wq))
            except (BlockingIOError, InterruptedError):
                break
            except OSError as exc:
                self.fail(self._lost_event(), exc.errno or 0, str(exc))
                return
            # drop what went out
            while sent:
                first = wq[0]
                n = len(first)
                if sent >= n:
                    sent -= n
                    del wq[0]
                    if type(first) is not bytearray and _pipe.tracked_live:
                        self._chunk_done(first)
                else:
                    rest = memoryview(first)[sent:]
                    if type(first) is TrackedBuffer:
                        self._partial = (rest, first)
                    elif self._partial is not None and first is self._partial[0]:
                        self._partial = (rest, self._partial[1])
                    wq[0] = rest
                    sent = 0
        self._update_interest()

    def _chunk_done(self, chunk: Any) -> None:
        """A chunk left the write queue: a tracked frame (or the rest of one
        that went out in parts) is released to its MessageTracker."""
        if type(chunk) is TrackedBuffer:
            chunk.track.release()
        elif self._partial is not None and chunk is self._partial[0]:
            frame = self._partial[1]
            self._partial = None
            frame.track.release()

    def on_writable(self) -> None:
        with self.lock:
            self._send_queued()
            if not self._wq and not self.closed:
                self.session.engine_writable(self)

    # -- timers ----------------------------------------------------------------

    def _handshake_expired(self) -> None:
        with self.lock:
            self._handshake_timer = None
            if not self.ready:
                self.fail(C.EVENT_HANDSHAKE_FAILED_NO_DETAIL, 0, "handshake timed out")

    def _start_heartbeats(self) -> None:
        ivl = self.session.options.heartbeat_ivl
        if ivl > 0:
            self._heartbeat_timer = self.loop.call_later(ivl / 1000.0, self._send_heartbeat)

    def _send_heartbeat(self) -> None:
        with self.lock:
            self._heartbeat()

    def _heartbeat(self) -> None:
        if self.closed:
            return
        opts = self.session.options
        ttl_ds = opts.heartbeat_ttl // 100
        self.conn.send_ping(min(ttl_ds, 0xFFFF))
        self.flush()
        timeout = opts.heartbeat_timeout if opts.heartbeat_timeout >= 0 else opts.heartbeat_ivl
        if self._timeout_timer is None and timeout > 0:
            sent_at = time.monotonic()
            self._timeout_timer = self.loop.call_later(
                timeout / 1000.0, self._check_timeout, sent_at
            )
        self._heartbeat_timer = self.loop.call_later(
            opts.heartbeat_ivl / 1000.0, self._send_heartbeat
        )

    def _check_timeout(self, since: float) -> None:
        with self.lock:
            self._timeout_timer = None
            if self._last_recv < since:
                self.fail(C.EVENT_DISCONNECTED, 0, "heartbeat timed out")

    def peer_ping(self, ping: Ping) -> None:
        """The peer's PING asks us to drop the link after TTL of silence."""
        if ping.ttl and self._timeout_timer is None:
            self._timeout_timer = self.loop.call_later(
                ping.ttl / 10.0, self._check_timeout, time.monotonic()
            )


def _head(wq: list[Any]) -> list[Any]:
    """The leading chunks of the write queue, up to about _SEND_MAX bytes."""
    total = 0
    for i, chunk in enumerate(wq):
        total += len(chunk)
        if total >= _SEND_MAX or i + 1 >= _IOV_MAX:
            return wq[: i + 1]
    return wq
