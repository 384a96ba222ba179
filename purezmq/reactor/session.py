"""Session: one peer of a socket, between its pipe and its engine (libzmq
session_base_t). Lives on the I/O thread.

Theory of operation
-------------------
The pipe pair joins the socket (app thread) to this session. The session is
the sink of its pipe end: ``read_activated`` means the socket queued
messages, which the session moves into the engine's Connection in batches
(one ``read_batch`` + ``send_messages`` + one ``send`` syscall per batch).
Inbound events go the other way; when the socket's pipe is full the engine
stops reading until ``write_activated``.

A connecting session outlives its engines: the pipe is created at connect
time (so the app can send before the connection is up, unless IMMEDIATE),
and after a disconnect it reconnects with RECONNECT_IVL doubling up to
RECONNECT_IVL_MAX. A bound session lives and dies with its one engine, and
its pipe is created once the handshake tells us who the peer is.

Closing: the socket closes its pipe end; we get ``pipe_terminated`` and then
linger: keep flushing what the pipe still holds for LINGER ms (-1: until
done), then close.

Threads: the session and its engine belong to the I/O thread, with one
documented exception, write-through (spec/threading.md): when the socket
writes into an empty pipe, `write_through` runs on the app thread and, if
the connection is idle and `lock` is free, encodes and sends the messages
itself. `lock` is the one guard of the engine's Connection and write queue:
the I/O thread holds it for all work on this session, the app thread only
ever try-acquires it.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import TYPE_CHECKING, Any, Optional, cast

from .. import constants as C
from ..patterns.options import Options
from ..patterns.registry import conflates
from ..routing import pipe as _pipe
from ..routing.pipe import Pipe, TrackedBuffer, pipe_pair
from ..zmtp.connection import LARGE_FRAME, Connection
from ..zmtp.events import AuthRequest, Cancel, Message, Ping, Ready, Subscribe, ZmtpEvent
from ..zmtp.mechanisms import CurveClient, CurveServer, NullMechanism, PlainClient, PlainServer
from ..zmtp.mechanisms.base import Mechanism
from .contracts import SocketOwner
from .engine import StreamEngine
from .loop import IOThread, Timer
from .raw_engine import RawEngine

if TYPE_CHECKING:
    from .transport import Connecter

_BATCH = 512
# Write through from the app thread only when the connection has been quiet
# this long: a lone request goes out at once (no I/O-thread wake-up), while a
# stream of sends is left to the I/O thread, which batches it.
_DIRECT_GAP = 0.00005
_monotonic = time.monotonic
_DELIVERABLE = frozenset({Message, bytes, Subscribe, Cancel})


def make_mechanism(options: Options) -> Mechanism:
    """The mechanism the options ask for (MECHANISM, set by the security
    options as libzmq 4.3.5 sets it); NULL asks ZAP when ZAP_DOMAIN is set,
    PLAIN and CURVE servers always do (the ZAP client applies libzmq's rules
    when no handler is bound)."""
    if options.mechanism == C.CURVE:
        if options.curve_server:
            return CurveServer(_curve_public(options), options.curve_secretkey)
        return CurveClient(options.curve_serverkey, _curve_public(options), options.curve_secretkey)
    if options.plain_server:
        return PlainServer()
    if options.plain_username or options.plain_password:
        return PlainClient(options.plain_username, options.plain_password)
    return NullMechanism(zap=bool(options.zap_domain))


def _curve_public(options: Options) -> bytes:
    """Our CURVE public key. libzmq sends whatever CURVE_PUBLICKEY holds (32
    zero bytes when unset); a key that does not match the secret fails at the
    peer. Unset, we derive it from the secret key, which is what it must be."""
    if options.curve_publickey:
        return options.curve_publickey
    from ..crypto import scalarmult_base

    return scalarmult_base(options.curve_secretkey or bytes(32))


def out_batch(sndhwm: int) -> int:
    """How many messages one pump moves from the pipe into the engine."""
    return _BATCH if sndhwm == 0 else max(1, min(_BATCH, sndhwm // 4))


# An encrypting connection (CURVE) costs CPU per byte to send, so its pump
# seals about this much per batch: the kernel (and the peer, which opens
# what it reads) gets the first boxes while the next are being sealed. A
# whole batch of large messages (250 of 64 KiB, half a second of pure-Python
# sealing) would leave the peer idle for as long, then the sender.
_SEAL_BYTES = 256 * 1024


def sealed_batch(messages: int, sealed: int, most: int) -> int:
    """The next batch size for an encrypting connection whose last batch
    of ``messages`` came to ``sealed`` bytes on the wire: about
    `_SEAL_BYTES`, at least one message and at most ``most``."""
    return max(1, min(most, messages * _SEAL_BYTES // max(sealed, 1)))


def make_pipes(opts: Options) -> tuple[Pipe, Pipe]:
    """(socket end, session end) with SNDHWM outbound and RCVHWM inbound.

    A pump takes up to `out_batch` messages out of the pipe into the engine,
    where the kernel may leave some unsent; those stay counted against the
    pipe's HWM (`Pipe.set_in_flight`) until the kernel has them, so a socket
    queues exactly SNDHWM messages and a stalled peer costs at most SNDHWM
    messages in user space (plus kernel buffers)."""
    return pipe_pair(opts.sndhwm, opts.rcvhwm, conflates(opts))


class Session:
    """One peer of a socket (libzmq session_base_t); the engine's `EngineOwner`."""

    def __init__(self, loop: IOThread, owner: SocketOwner, endpoint: str) -> None:
        self.loop = loop
        self.owner = owner
        self.options = owner.options
        self.endpoint = endpoint
        self.connecter: Optional[Connecter] = None  # reconnect logic; None on the bind side
        self.engine: Optional[StreamEngine] = None
        self.pipe: Optional[Pipe] = None  # our end
        self._stalled: list[ZmtpEvent] = []  # inbound events the full pipe refused
        self._closing = False  # the socket closed its end; linger then stop
        self._linger_timer: Optional[Timer] = None
        self.finished = False
        # Guards the engine's Connection and write queue. The I/O thread holds
        # it while it works for this session; the app thread only ever
        # try-acquires it, to write through to an idle connection.
        self.lock = threading.RLock()
        self._last_pump = 0.0
        self._batch = out_batch(self.options.sndhwm)
        self._seal_batch = 1  # grows to `sealed_batch` once a batch shows its size
        owner.session_started(self)  # Context.term waits for us to finish

    # -- pipe ------------------------------------------------------------------

    def create_pipe(self) -> Pipe:
        """Make the pipe pair; returns the socket's end (not yet attached)."""
        sock_end, ours = make_pipes(self.options)
        ours.bind(self, self.loop.post)
        ours.direct_read = self.write_through
        ours.drain = self.drain_for_writer
        ours.endpoint = sock_end.endpoint = self.endpoint
        self.pipe = ours
        return sock_end

    def read_activated(self, pipe: Pipe) -> None:
        if pipe is self.pipe:
            with self.lock:
                self._pump_out()

    def write_through(self, pipe: Pipe) -> bool:
        """App thread, inside Pipe.write: send at once if the link is idle.

        True if this call sent the pipe's messages; False leaves them to the
        I/O thread (woken by ``read_activated`` as usual)."""
        if _monotonic() - self._last_pump < _DIRECT_GAP:
            return False  # a stream: the I/O thread batches it
        return pipe is self.pipe and self._pump_from_app()

    def drain_for_writer(self) -> bool:
        """App thread, inside Pipe.write at HWM: move what the kernel will
        take now, so a ROUTER or PUB drops only when the peer is really
        behind (libzmq's I/O thread drains in parallel with the writer)."""
        return self._pump_from_app()

    def _pump_from_app(self) -> bool:
        """Pump on the app thread if the connection can take bytes and the
        lock is free (spec/threading.md, write-through)."""
        engine = self.engine
        if engine is None or not engine.ready or engine.write_blocked or self._closing:
            return False
        lock = self.lock
        if not lock.acquire(False):
            return False
        try:
            if self.engine is not engine or engine.closed:
                return False
            self._pump_out()
            # The gap counts from the end of this pump: a send syscall to a
            # loopback peer takes tens of us, and a publisher sending flat out
            # would otherwise write through again on its next message, one
            # small syscall per few messages on the app thread.
            self._last_pump = _monotonic()
        finally:
            lock.release()
        return True

    def write_activated(self, pipe: Pipe) -> None:
        if pipe is self.pipe and self._stalled:
            with self.lock:
                stalled, self._stalled = self._stalled, []
                self.engine_events(stalled)
                if not self._stalled and self.engine is not None:
                    self.engine.resume_reading()

    def pipe_terminated(self, pipe: Pipe) -> None:
        """The socket closed (close, disconnect or unbind): linger, then stop."""
        if pipe is not self.pipe:
            return
        with self.lock:
            self._linger(pipe)

    def _linger(self, pipe: Pipe) -> None:
        self._closing = True
        linger = self.options.linger
        engine = self.engine
        pending = pipe.has_in() or (engine is not None and engine.write_blocked)
        if linger == 0 or not pending or (engine is None and self.connecter is None):
            self.finish()
            return
        if linger > 0:
            self._linger_timer = self.loop.call_later(linger / 1000.0, self.finish)
        self._pump_out()

    def _pump_out(self) -> None:
        engine = self.engine
        pipe = self.pipe
        if engine is None or pipe is None or not engine.ready or engine.closed:
            return
        if engine.write_blocked:
            return  # resumed by engine_writable
        self._last_pump = _monotonic()
        pipe.set_in_flight(0)  # the kernel took every earlier batch
        conn = engine.conn
        batch: list[Any] = []
        seals = conn.encrypts
        size = self._seal_batch if seals else self._batch
        while True:
            n = pipe.read_batch(batch, size)
            if not n:
                break
            if seals:
                before = conn.output_size()
                conn.send_messages(batch)
                size = self._seal_batch = sealed_batch(n, conn.output_size() - before, self._batch)
            else:
                conn.send_messages(batch)  # messages, and Subscribe/Cancel items
            if _pipe.tracked_live:
                _release_copied(batch)
            batch.clear()
            engine.flush()
            if engine.closed:
                return
            if engine.write_blocked:
                pipe.set_in_flight(n)  # (some of) this batch waits for the kernel
                return
        if self._closing and not engine.write_blocked and not pipe.has_in():
            self.finish()

    # -- engine callbacks --------------------------------------------------------

    def attach_engine(self, sock: socket.socket) -> None:
        if self.owner.socket_type_name == "STREAM":  # plain TCP peers: no ZMTP
            with self.lock:
                self.engine = RawEngine(self.loop, sock, self, self.endpoint)
                self.engine.start()
            return
        opts = self.options
        conn = Connection(
            make_mechanism(opts),
            socket_type=self.owner.socket_type_name,
            identity=opts.routing_id,
            maxmsgsize=opts.maxmsgsize,
        )
        # A conflating pipe holds one message: no backlog to spare the GC.
        if self.owner.compact_inbound and not conflates(opts):
            conn.compact = True
        with self.lock:
            self.engine = StreamEngine(self.loop, sock, self, conn, self.endpoint)
            self.engine.start()

    def engine_ready(self, engine: StreamEngine, ready: Ready) -> None:
        owner = self.owner
        handshaked = not isinstance(engine, RawEngine)  # a raw peer makes no handshake (libzmq)
        if owner.closed and self.pipe is None:
            if handshaked:
                owner.monitor_event(C.EVENT_HANDSHAKE_SUCCEEDED, 0, self.endpoint)
            self.finish()  # the socket closed during the handshake: no pipe to serve
            return
        if self.pipe is None:
            sock_end = self.create_pipe()
            sock_end.peer_identity = ready.identity
            if handshaked:
                sock_end.metadata = engine.message_properties(ready)
            owner.post(owner.attach_pipe, sock_end)
        else:
            sock_end = self.pipe.peer
            reconnected = sock_end.peer_identity is not None
            sock_end.peer_identity = ready.identity
            if handshaked:
                sock_end.metadata = engine.message_properties(ready)
            # A reconnect is a "hiccup": SUB/XSUB replay their subscriptions
            # into the pipe (spec/interop.md #14).
            owner.post(owner.pipe_ready, sock_end, reconnected)
        # After the post: whoever sees the event and then uses the socket finds
        # the pipe attached (the socket runs its commands first).
        if handshaked:
            owner.monitor_event(C.EVENT_HANDSHAKE_SUCCEEDED, 0, self.endpoint)
        self._pump_out()
        engine.flush()

    def engine_events(self, events: list[ZmtpEvent]) -> None:
        pipe = self.pipe
        if pipe is None:
            return
        total = len(events)
        if _DELIVERABLE.issuperset(map(type, events)):
            # The usual read: messages only (one C-level scan, no Python
            # loop per message); queue them with one call.
            i = pipe.write_many(events, 0, total) if total else 0
            if i < total:  # the pipe is full: hold the rest, stop reading
                self._stalled = events[i:]
                if self.engine is not None:
                    self.engine.pause_reading()
            return
        i = 0
        while i < total:
            t = type(events[i])
            if t in _DELIVERABLE:
                # a run of deliverable events goes into the pipe in one call
                j = i + 1
                while j < total and type(events[j]) in _DELIVERABLE:
                    j += 1
                i += pipe.write_many(events, i, j)
                if i < j:  # the pipe is full: hold the rest, stop reading
                    self._stalled = events[i:]
                    if self.engine is not None:
                        self.engine.pause_reading()
                    return
                continue
            if t is Ping and self.engine is not None:
                self.engine.peer_ping(cast(Ping, events[i]))
            # PeerError: the engine closes the connection next
            i += 1

    def engine_auth(self, engine: StreamEngine, request: AuthRequest) -> None:
        self.owner.authenticate(engine, request)

    def engine_writable(self, engine: StreamEngine) -> None:
        if engine is self.engine:
            self._pump_out()

    def engine_failed(
        self, engine: StreamEngine, event: int, value: int, reason: str, protocol: bool
    ) -> None:
        if engine is not self.engine:
            return
        self.engine = None
        self._stalled = []
        owner = self.owner
        # The cause (a handshake failure), then DISCONNECTED, as libzmq does.
        if event != C.EVENT_DISCONNECTED:
            owner.monitor_event(event, value, self.endpoint)
        owner.monitor_event(C.EVENT_DISCONNECTED, engine.fd, self.endpoint)
        if self._closing:
            self.finish()
            return
        if self.connecter is None or protocol:
            # Bound side: this peer is gone. Connecting side after a protocol
            # error or an authentication failure: libzmq does not retry (the
            # same peer would refuse again); the connect's pipe closes.
            self.finish()
            return
        if self.options.immediate and self.pipe is not None:
            self._close_pipe()
        self.connecter.reconnect_later()

    # -- teardown ----------------------------------------------------------------

    def _close_pipe(self) -> None:
        pipe = self.pipe
        if pipe is not None:
            self.pipe = None
            pipe.close()
            # The two ends refer to each other and this end to us: unhook, so
            # the pair and this session go with their last outside reference.
            pipe.sink = pipe.direct_read = pipe.drain = None

    def finish(self) -> None:
        """Stop for good: close engine, pipe and connecter."""
        if self.finished:
            return
        with self.lock:
            self._finish()

    def _finish(self) -> None:
        self.finished = True
        if self._linger_timer is not None:
            self._linger_timer.cancel()
        if self.engine is not None:
            engine = self.engine
            self.engine = None
            engine.close()
            if engine.ready:
                self.owner.monitor_event(C.EVENT_DISCONNECTED, engine.fd, self.endpoint)
        if self.connecter is not None:
            self.connecter.stop()
        self._close_pipe()
        self.owner.session_finished(self)


def _release_copied(batch: list[Any]) -> None:
    """Tracked frames the codec copied are done with; larger bodies are queued
    whole, and the engine releases them once the kernel has them."""
    for msg in batch:
        if isinstance(msg, list):
            for frame in msg:
                if type(frame) is TrackedBuffer and len(frame) < LARGE_FRAME:
                    frame.track.release()
