"""One ZMTP 3.x connection, sans-IO (RFC 23 and 37).

Theory of operation
-------------------
`Connection` is fed the bytes read from a stream (`receive_data`) and
returns events; what it wants written accumulates until the I/O layer takes
it (`take_output` / `data_to_send`). It never touches a socket, a thread or a
clock: heartbeat timing, ZAP round-trips and reconnects belong to the layer
above, which learns what it needs from `Ping`, `AuthRequest` and `Ready`.

Phases: GREETING -> HANDSHAKE -> TRAFFIC, or CLOSED. What may happen in each
phase, and which phase it leads to, is one table, `TRANSITIONS`, keyed by
``(phase, Input)`` (the shape of h11's ``_state.py``). `_advance` is the one
place that moves ``self.phase``. An input the table does not list is refused:
`RemoteProtocolError` (with the code a libzmq monitor would show) when the
peer sent it, `LocalProtocolError` when our caller asked for it. The hot
paths do not look the table up per frame: each phase change derives from the
table the few flags they test (`_enter`).

Each phase passes the bytes it did not use to the next one, so a greeting,
READY and the first messages arriving in one read just work. Our own greeting
(all 64 bytes, which libzmq accepts) is queued at construction.

Decoding is the hot path: frames are sliced straight out of the chunk handed
in, a short tail waits in ``_pending``, and a large body arriving across many
reads is collected into one bytearray that grows with what arrived (at most
double what has arrived, plus `BIG_STEP`), never sized by the peer's length
field. The I/O layer can read such a body straight into that buffer
(`receive_big_into`), and the finished body is one copy of it as ``bytes``.
The buffer is kept for the next large body (up to `BIG_KEEP` bytes), so its
memory is already mapped: a fresh buffer per body costs a page fault per 4
KiB, which is most of what receiving a large message costs. A length
is judged at the header, before any of its body is kept: it must not exceed
MAXMSGSIZE, `HANDSHAKE_FRAME_MAX` before TRAFFIC, or ``sys.maxsize``.

Encoding has one path, `send_messages` (`send_message` is a batch of one).
It coalesces small frames into one bytearray; a body of ``LARGE_FRAME`` bytes
or more is not copied but queued as its own chunk, so the I/O layer can hand
the list to ``sendmsg``.

Subscriptions: the peer's minor version decides the wire form (RFC 37
"Subscriptions"). 3.1 peers get SUBSCRIBE/CANCEL commands, 3.0 peers
``\\x01topic`` / ``\\x00topic`` messages. Only a PUB/XPUB connection turns
either form into `Subscribe`/`Cancel` events; any other socket type drops the
commands and keeps such messages as messages.
"""

from __future__ import annotations

import enum
import sys
from collections.abc import Iterable, Sequence
from typing import Any, Callable, NoReturn, Optional

from .errors import (
    ZMTP_INVALID_SEQUENCE,
    ZMTP_MALFORMED_COMMAND_UNSPECIFIED,
    InvalidMetadata,
    LocalProtocolError,
    MalformedCommand,
    MessageTooLarge,
    ProtocolError,
    UnexpectedCommand,
)
from .events import (
    AuthRequest,
    Cancel,
    Closed,
    Event,
    Message,
    PeerError,
    Ping,
    Pong,
    Ready,
    Subscribe,
    ZmtpEvent,
)
from .framing import COMMAND, LONG, MORE, U16, U64, encode_command, get_property, split_command
from .greeting import GreetingParser, build_greeting
from .mechanisms.base import Mechanism
from .mechanisms.common import error_body, parse_error_reason
from .mechanisms.null import NullMechanism
from .socktypes import COMPATIBLE, SENDS_IDENTITY, compatible

LARGE_FRAME = 32 * 1024  # bodies at least this big are queued, not copied
# A large body's buffer grows by at most max(what arrived, BIG_STEP) at a time.
BIG_STEP = 256 * 1024
BIG_KEEP = 4 * 1024 * 1024  # a larger large-body buffer is not kept for the next one
_ZEROS = bytes(64 * 1024)  # what a growing large-body buffer is extended with
# Before TRAFFIC only handshake commands travel. The largest legal one is a
# READY/INITIATE carrying metadata (Socket-Type, an Identity of at most 255
# bytes, a few application properties) or a CURVE INITIATE (a few hundred
# bytes plus that metadata): kilobytes. A frame header claiming more than this
# during the greeting or handshake drops the peer before any body is kept.
HANDSHAKE_FRAME_MAX = 64 * 1024
_SUB_RECEIVERS = frozenset({"PUB", "XPUB"})
# libzmq 4.3's PLAIN server writes its ERROR name as the C string "\x05ERROR",
# a hex escape that swallows the E: the body starts b"\x5eRROR" (no name
# length). libzmq's own PLAIN client matches the same 5 bytes, so we do too.
_LIBZMQ_PLAIN_ERROR = b"\x5eRROR"

# Precomputed short headers: _SHORT[flags][size] == bytes((flags, size)).
_SHORT = [[bytes((f, n)) for n in range(256)] for f in (0, MORE)]
# A compact connection splits a run of at least this many one-frame messages
# of one short size in C (`_uniform_run`); a shorter run ends the attempts
# for the rest of that read.
_RUN_MIN = 8


def _uniform_run(data: bytes, pos: int, end: int, size: int) -> int:
    """How many whole one-frame messages with a short ``size``-byte body
    follow each other from ``pos``: headers ``00 size`` every ``size + 2``
    bytes. Two strided slices and two strips, all in C; 0 if fewer than
    `_RUN_MIN` could fit."""
    step = size + 2
    k = (end - pos) // step
    if k < _RUN_MIN:
        return 0
    flags = data[pos : pos + k * step : step]
    run = k - len(flags.lstrip(b"\x00"))  # frames without MORE, LONG or COMMAND
    if run < _RUN_MIN:
        return run
    sizes = data[pos + 1 : pos + run * step : step]
    return run - len(sizes.lstrip(_SHORT[0][size][1:]))  # and all ``size`` long


class Phase(enum.Enum):
    GREETING = 0
    HANDSHAKE = 1
    TRAFFIC = 2
    CLOSED = 3


class Input(enum.Enum):
    """What can happen to a connection: the peer's doing, then our caller's."""

    PEER_GREETING = "the peer's greeting"
    PEER_HANDSHAKE_COMMAND = "a handshake command"
    PEER_READY = "the end of the handshake"  # mechanism done, metadata accepted
    PEER_MESSAGE_FRAME = "a message frame"
    PEER_TRAFFIC_COMMAND = "a traffic command"  # PING, PONG, SUBSCRIBE, CANCEL, unknown
    PEER_ERROR = "an ERROR command"
    PEER_EOF = "the end of the stream"
    PEER_VIOLATION = "a protocol violation"
    SEND_HANDSHAKE_COMMAND = "send a handshake command"
    SEND_MESSAGE = "send a message"
    SEND_TRAFFIC_COMMAND = "send a traffic command"
    SEND_ERROR = "send ERROR"
    AUTH_ACCEPT = "accept the peer's credentials"
    AUTH_REFUSE = "refuse the peer's credentials"


_G, _H, _T, _X = Phase.GREETING, Phase.HANDSHAKE, Phase.TRAFFIC, Phase.CLOSED

# (phase, input) -> next phase. Nothing else is allowed. CLOSED accepts no
# input at all: receive_data discards what a closed connection is fed.
TRANSITIONS: dict[tuple[Phase, Input], Phase] = {
    (_G, Input.PEER_GREETING): _H,
    (_H, Input.PEER_HANDSHAKE_COMMAND): _H,
    (_H, Input.PEER_READY): _T,
    (_H, Input.SEND_HANDSHAKE_COMMAND): _H,
    (_H, Input.SEND_ERROR): _H,
    (_H, Input.AUTH_ACCEPT): _H,
    (_H, Input.AUTH_REFUSE): _X,
    (_T, Input.PEER_MESSAGE_FRAME): _T,
    (_T, Input.PEER_TRAFFIC_COMMAND): _T,
    (_T, Input.PEER_ERROR): _X,
    (_T, Input.SEND_MESSAGE): _T,
    (_T, Input.SEND_TRAFFIC_COMMAND): _T,
    (_T, Input.SEND_ERROR): _T,
}
for _phase in (_G, _H, _T):
    TRANSITIONS[(_phase, Input.PEER_EOF)] = _X
    TRANSITIONS[(_phase, Input.PEER_VIOLATION)] = _X
del _phase

_LOCAL_INPUTS = frozenset(
    {
        Input.SEND_HANDSHAKE_COMMAND,
        Input.SEND_MESSAGE,
        Input.SEND_TRAFFIC_COMMAND,
        Input.SEND_ERROR,
        Input.AUTH_ACCEPT,
        Input.AUTH_REFUSE,
    }
)


class OutputQueue:
    """Bytes waiting for the wire: small writes coalesce in ``_out``; finished
    pieces (full bytearrays, large bodies kept whole, never copied) wait in
    ``_chunks``, in order. Shared by the ZMTP codec and STREAM's raw codec."""

    _out: bytearray
    _chunks: list[Any]
    # Sending costs CPU per byte (CURVE seals every frame): the session then
    # bounds its batches by bytes, not only by count.
    encrypts = False

    def has_output(self) -> bool:
        return bool(self._out) or bool(self._chunks)

    def output_size(self) -> int:
        """How many bytes are queued for the wire."""
        return len(self._out) + sum(map(len, self._chunks))

    def take_output(self) -> list[Any]:
        """Everything queued for the wire, as a list of bytes-like chunks."""
        chunks = self._chunks
        if self._out:
            chunks.append(self._out)
            self._out = bytearray()
        self._chunks = []
        return chunks


class Connection(OutputQueue):
    """A ZMTP connection's state, fed bytes and asked for bytes."""

    # Set by a socket's session when its socket type takes compact messages
    # (`events.Inbound`): then a one-frame message decoded in the clear comes
    # out as its bare frame (``bytes``) instead of a one-item `Message`. Off
    # by default, so `receive_data` yields `Message` objects as documented.
    compact = False

    def __init__(
        self,
        mechanism: Optional[Mechanism] = None,
        socket_type: str = "DEALER",
        identity: bytes = b"",
        maxmsgsize: int = -1,
        properties: Iterable[tuple[str, bytes]] = (),
        check_socket_type: bool = True,
    ) -> None:
        if socket_type not in COMPATIBLE:
            raise ValueError(f"unknown socket type {socket_type!r}")
        self.mechanism = mechanism if mechanism is not None else NullMechanism()
        self.encrypts = self.mechanism.wraps_traffic
        self.socket_type = socket_type
        self.identity = identity
        self._maxmsgsize = maxmsgsize
        # PINGs get a PONG only while this is True. The layer above clears it
        # while the peer is not reading what we send, so a PING flood from a
        # peer that never reads cannot pile PONGs up here (libzmq keeps at
        # most one pending PONG).
        self.answer_pings = True
        self._extra_properties = list(properties)
        self._check_socket_type = check_socket_type
        self.peer_version: tuple[int, int] = (0, 0)
        self.peer_socket_type = ""
        self.peer_identity = b""
        self.peer_properties: dict[str, bytes] = {}
        self._greeting = GreetingParser(self.mechanism.name)
        # True when the peer wants 3.0 subscription messages rather than commands.
        self._legacy_subscriptions = False
        self._sub_receiver = socket_type in _SUB_RECEIVERS
        # Output: ``_out`` coalesces small writes; ``_chunks`` holds finished
        # pieces (full bytearrays and large bodies) in order.
        self._out = bytearray(build_greeting(self.mechanism.name, self.mechanism.as_server))
        self._chunks: list[Any] = []
        # Input state.
        self._pending = b""  # unparsed tail, shorter than a header + LARGE_FRAME
        self._frames = Message()  # frames of the message being received
        self._big_buf = bytearray()  # a large body in flight, kept for the next
        self._big_have = 0  # bytes of the body in flight received
        self._big_need = 0  # bytes of that body still to come
        self._big_direct = False  # in _big_buf, offered to receive_big_into
        self._big_parts: list[bytes] = []  # or, for a smaller one, its parts
        self._big_flags = 0
        self._enter(Phase.GREETING)

    def discard(self) -> None:
        """The connection is over: drop what is buffered either way, and the
        mechanism's link back to us, so the memory goes at once rather than
        at the next cycle collection."""
        self._out = bytearray()
        self._chunks = []
        self._pending = b""
        self._frames = Message()
        self._big_buf = bytearray()
        self._big_parts = []
        self._big_have = 0
        self._big_need = 0
        self._big_direct = False
        self.mechanism.detach()

    # ------------------------------------------------------------------
    # Phases
    # ------------------------------------------------------------------

    def _enter(self, phase: Phase) -> None:
        """Move to ``phase`` and derive the flags the hot paths test."""
        self.phase = phase
        self._accepts_messages = (phase, Input.PEER_MESSAGE_FRAME) in TRANSITIONS
        self._handshaking = (phase, Input.PEER_HANDSHAKE_COMMAND) in TRANSITIONS
        # The fast path sends messages as they are: not before TRAFFIC, not for CURVE.
        sends = (phase, Input.SEND_MESSAGE) in TRANSITIONS
        self._fast_send = sends and not self.mechanism.wraps_traffic
        # CURVE: in TRAFFIC every frame the peer sends is a MESSAGE box.
        self._wrapped = self._accepts_messages and self.mechanism.wraps_traffic
        self._decode_traffic = self._decode_wrapped if self._wrapped else self._decode
        self._limit = self._frame_limit()

    def _check(self, what: Input) -> Phase:
        """The phase ``what`` leads to; raises if the current phase refuses it."""
        nxt = TRANSITIONS.get((self.phase, what))
        if nxt is None:
            self._refuse(what)
        return nxt

    def _advance(self, what: Input) -> None:
        nxt = self._check(what)
        if nxt is not self.phase:
            self._enter(nxt)

    def _refuse(self, what: Input) -> NoReturn:
        where = self.phase.name
        if what in _LOCAL_INPUTS:
            raise LocalProtocolError(f"cannot {what.value} in phase {where}")
        # The peer's input out of place (a message frame before READY): libzmq
        # reports UNEXPECTED_COMMAND for whatever the handshake did not expect.
        raise UnexpectedCommand(f"{what.value} is not allowed in phase {where}")

    @property
    def maxmsgsize(self) -> int:
        return self._maxmsgsize

    @maxmsgsize.setter
    def maxmsgsize(self, value: int) -> None:
        self._maxmsgsize = value
        self._limit = self._frame_limit()

    def _frame_limit(self) -> int:
        """The largest frame body a header may announce in this phase."""
        maxsize = self._maxmsgsize
        if self._accepts_messages:
            return maxsize if 0 <= maxsize < sys.maxsize else sys.maxsize
        return maxsize if 0 <= maxsize < HANDSHAKE_FRAME_MAX else HANDSHAKE_FRAME_MAX

    def _too_large(self, size: int) -> MessageTooLarge:
        if self._limit == self._maxmsgsize:
            why = f"MAXMSGSIZE is {self._maxmsgsize}"
        elif not self._accepts_messages:
            why = f"at most {HANDSHAKE_FRAME_MAX} bytes are accepted before TRAFFIC"
        else:
            why = "more than this platform can address"
        return MessageTooLarge(f"peer announced a {size}-byte frame; {why}")

    # ------------------------------------------------------------------
    # Output
    # ------------------------------------------------------------------

    def data_to_send(self) -> bytes:
        """Everything queued for the wire, joined into one bytes object."""
        return b"".join(self.take_output())

    def _write_frame(self, flags: int, body: Any) -> None:
        size = len(body)
        out = self._out
        if size < 256:
            out.append(flags)
            out.append(size)
            out += body
        elif size < LARGE_FRAME:
            out.append(flags | LONG)
            out += U64.pack(size)
            out += body
        else:
            out.append(flags | LONG)
            out += U64.pack(size)
            self._chunks.append(out)
            self._chunks.append(body)
            self._out = bytearray()

    def _send_handshake_command(self, name: bytes, data: bytes = b"") -> None:
        """The mechanism's way out (HELLO, WELCOME, INITIATE, READY, ERROR)."""
        self._check(Input.SEND_HANDSHAKE_COMMAND)
        self._out += encode_command(name, data)

    def _write_command(self, name: bytes, data: bytes) -> None:
        if self.mechanism.wraps_traffic and self.phase is Phase.TRAFFIC:
            cmd = bytes((len(name),)) + name + data
            self._write_frame(0, self.mechanism.wrap(COMMAND, cmd))  # see _send_wrapped
            return
        self._out += encode_command(name, data)

    def send_command(self, name: bytes, data: bytes = b"") -> None:
        """Queue a traffic command (PING, PONG, SUBSCRIBE, ... or any other name)."""
        self._check(Input.SEND_TRAFFIC_COMMAND)
        self._write_command(name, data)

    def send_message(self, frames: Sequence[Any]) -> None:
        """Queue one multipart message (a sequence of bytes-like frames)."""
        self.send_messages((frames,))

    def send_messages(self, messages: Iterable[Any]) -> None:
        """Queue many messages; the one encoding path, hot on the I/O thread.

        Items are messages (sequences of frames) or Subscribe/Cancel events,
        as a socket's pipe carries them."""
        if not self._fast_send:
            self._check(Input.SEND_MESSAGE)  # raises before TRAFFIC and after CLOSED
            self._send_wrapped(messages)
            return
        short0 = _SHORT[0]
        short1 = _SHORT[1]
        out = self._out
        for frames in messages:
            t = type(frames)
            if t is not list and t is not Message and isinstance(frames, Event):
                self.send(frames)  # a subscription, in the peer's dialect
                out = self._out
                continue
            last = len(frames) - 1
            if last == 0:
                body = frames[0]
                size = len(body)
                if size < 256:
                    out += short0[size]
                    out += body
                else:
                    self._write_frame(0, body)
                    out = self._out
                continue
            for i, body in enumerate(frames):
                size = len(body)
                if size < 256:
                    out += (short1 if i < last else short0)[size]
                    out += body
                else:
                    self._write_frame(MORE if i < last else 0, body)
                    out = self._out

    def _send_wrapped(self, messages: Iterable[Any]) -> None:
        """The encrypting path (CURVE): the mechanism seals each frame, with
        its MORE/COMMAND flags inside the box, into a MESSAGE body. libzmq
        4.3.5 sends that body as a data frame with no flags (neither MORE nor
        COMMAND on the wire) and takes the wire's flags as the message's, so
        we send it the same way (spec/interop.md #12). Runs of messages go
        to the mechanism's ``wrap_into`` whole (it writes the frames into our
        output); a subscription between them is sent in its place, in order."""
        wrap_into = self.mechanism.wrap_into
        run: list[Any] = []
        for frames in messages:
            t = type(frames)
            if t is not list and t is not Message and isinstance(frames, Event):
                if run:
                    self._out = wrap_into(self._out, self._chunks, run)
                    run = []
                self.send(frames)  # a subscription, in the peer's dialect
                continue
            run.append(frames)
        if run:
            self._out = wrap_into(self._out, self._chunks, run)

    def send(self, event: Event | Message) -> None:
        """Queue an event: Message, Subscribe, Cancel, Ping or Pong."""
        if isinstance(event, Message):
            self.send_messages((event,))
        elif isinstance(event, Subscribe):
            self.send_subscribe(event.topic)
        elif isinstance(event, Cancel):
            self.send_cancel(event.topic)
        elif isinstance(event, Ping):
            self.send_ping(event.ttl, event.context)
        elif isinstance(event, Pong):
            self.send_command(b"PONG", event.context)
        else:
            raise TypeError(f"cannot send {event!r}")

    def send_subscribe(self, topic: bytes) -> None:
        if self._legacy_subscriptions:
            self.send_messages(((b"\x01" + topic,),))
        else:
            self.send_command(b"SUBSCRIBE", topic)

    def send_cancel(self, topic: bytes) -> None:
        if self._legacy_subscriptions:
            self.send_messages(((b"\x00" + topic,),))
        else:
            self.send_command(b"CANCEL", topic)

    def send_ping(self, ttl: int = 0, context: bytes = b"") -> None:
        """PING with a TTL in deciseconds and up to 16 bytes of context."""
        if not 0 <= ttl <= 0xFFFF:
            raise ValueError("PING TTL is a 16-bit count of deciseconds")
        self.send_command(b"PING", U16.pack(ttl) + context[:16])

    def send_error(self, reason: str) -> None:
        self._check(Input.SEND_ERROR)
        self._write_command(b"ERROR", error_body(reason))

    def auth_reply(
        self, ok: bool, status_code: bytes = b"200", user_id: bytes = b""
    ) -> list[ZmtpEvent]:
        """Answer an AuthRequest. A refusal queues ERROR and closes the connection."""
        what = Input.AUTH_ACCEPT if ok else Input.AUTH_REFUSE
        self._check(what)
        self.mechanism.auth_reply(ok, status_code, user_id)
        self._advance(what)
        events: list[ZmtpEvent] = []
        if ok and self.mechanism.done:  # the peer's READY came first (NULL with ZAP)
            self._on_handshake_done(events)
        return events

    # ------------------------------------------------------------------
    # Input
    # ------------------------------------------------------------------

    def receive_data(self, data: Any) -> list[ZmtpEvent]:
        """Feed bytes read from the peer; b"" means EOF.

        Returns events (Message, Ready, Subscribe, ...). Raises
        RemoteProtocolError (after queuing an ERROR where the spec asks for
        one) and the connection is CLOSED; the caller then sends what is
        queued and closes. A CLOSED connection discards what it is fed.
        """
        if type(data) is not bytes:
            data = bytes(data)
        phase = self.phase
        if phase is Phase.CLOSED:
            return []
        if not data:
            self._advance(Input.PEER_EOF)
            return [Closed()]
        events: list[ZmtpEvent] = []
        try:
            if self._accepts_messages:
                self._decode_traffic(data, events)
                return events
            if phase is Phase.GREETING:
                rest = self._greeting.feed(data)
                if rest is None:
                    return events
                request = self._on_greeting()
                if request is not None:
                    events.append(request)
                data = rest
            if data or self._pending:
                self._decode(data, events)
        except ProtocolError as exc:
            # What decoded cleanly before the bad frame still counts.
            exc.events = events
            if self.phase is not Phase.CLOSED:
                self._advance(Input.PEER_VIOLATION)
            raise
        return events

    def _on_greeting(self) -> Optional[AuthRequest]:
        self.peer_version = self._greeting.version
        self._legacy_subscriptions = self.peer_version < (3, 1)
        self._advance(Input.PEER_GREETING)
        props = [("Socket-Type", self.socket_type.encode())]
        if self.socket_type in SENDS_IDENTITY:
            props.append(("Identity", self.identity))
        props.extend(self._extra_properties)
        return self.mechanism.start(self._send_handshake_command, props)

    def buffered(self) -> int:
        """Bytes of the peer's input held here (partial frames and messages).

        Never more than the peer actually sent: nothing is sized by a length
        field."""
        held = len(self._pending) + self._big_have
        return held + sum(len(f) for f in self._frames)

    def _decode(self, data: bytes, events: list[ZmtpEvent]) -> None:
        """Split frames out of ``_pending + data``; the hot path."""
        if self._big_need:
            data = self._continue_big(data, events)
            if not data:
                return
            if self._wrapped:  # that large command ended CURVE's handshake
                self._decode_wrapped(data, events)
                return
        if self._pending:
            data = self._pending + data
            self._pending = b""
        pos = 0
        end = len(data)
        frames = self._frames
        limit = self._limit  # one comparison per frame
        traffic = self._accepts_messages
        # PUB/XPUB turn \x01/\x00 messages into events; everyone else emits
        # messages directly, without a call per message.
        emit = events.append if not self._sub_receiver else None
        # Compact: a one-frame message is emitted as its bare frame. A bytes
        # object is never tracked by the garbage collector, where a list is,
        # and a busy receiver's backlog would be walked by every collection.
        compact = self.compact and emit is not None
        bulk = compact  # look for runs of same-size messages (`_uniform_run`)
        while True:
            avail = end - pos
            if avail < 2:
                break
            flags = data[pos]
            if not flags and emit is not None and traffic:
                # The hot case: a short last frame of a message (flags 0).
                size = data[pos + 1]
                if size > limit:
                    raise self._too_large(size)
                start = pos + 2
                stop = start + size
                if stop > end:
                    break  # short: never the large-frame path
                if compact and not frames:
                    if bulk:
                        run = _uniform_run(data, pos, end, size)
                        if run >= _RUN_MIN:
                            # Slice every body of the run in C: no bytecode
                            # per message (its size was checked once above).
                            span = run * (size + 2)
                            starts = range(start, start + span, size + 2)
                            stops = range(stop, stop + span, size + 2)
                            events.extend(map(data.__getitem__, map(slice, starts, stops)))
                            pos += span
                            continue
                        bulk = False  # mixed traffic: message by message
                    emit(data[start:stop])
                    pos = stop
                    continue
                frames.append(data[start:stop])
                pos = stop
                emit(frames)
                frames = Message()
                continue
            if flags & LONG:
                if avail < 9:
                    break
                (size,) = U64.unpack_from(data, pos + 1)
                start = pos + 9
            else:
                size = data[pos + 1]
                start = pos + 2
            if size > limit:
                raise self._too_large(size)
            stop = start + size
            if stop > end:
                if size >= LARGE_FRAME:
                    self._big_flags = flags
                    direct = size >= BIG_STEP and not self.mechanism.wraps_traffic
                    if direct:
                        self._big_buf[: end - start] = memoryview(data)[start:]
                    else:
                        self._big_parts = [data[start:]]
                    self._big_direct = direct
                    self._big_have = end - start
                    self._big_need = stop - end
                    pos = end
                break
            body = data[start:stop]
            pos = stop
            if flags & COMMAND:
                self._frames = frames
                self._on_command(flags, body, events)
                if self.phase is Phase.CLOSED:
                    return
                if self._wrapped:  # CURVE's handshake just ended: boxes follow
                    if pos < end:
                        self._decode_wrapped(data[pos:], events)
                    return
                traffic = self._accepts_messages
                limit = self._limit
                frames = self._frames
            elif not traffic:
                self._advance(Input.PEER_MESSAGE_FRAME)  # refused: raises
            elif flags & MORE:
                frames.append(body)
            elif compact and not frames:
                events.append(body)
            else:
                frames.append(body)
                if emit is not None:
                    emit(frames)
                else:
                    self._emit(frames, events)
                frames = Message()
        self._frames = frames
        if pos < end:
            self._pending = data[pos:]

    def _decode_wrapped(self, data: bytes, events: list[ZmtpEvent]) -> None:
        """`_decode` for CURVE traffic: every frame, whatever its wire flags,
        is a MESSAGE box (libzmq 4.3.5 runs every frame through the mechanism).

        The whole frames of this read are found first; the mechanism opens
        them in one call (`unwrap_spans`), then they become messages and
        traffic commands, in order. A bad frame (too large, or refused by the
        mechanism) raises only after the frames before it are dealt with."""
        if self._big_need:
            data = self._continue_big(data, events)
            if not data:
                return
        if self._pending:
            data = self._pending + data
            self._pending = b""
        pos = 0
        end = len(data)
        limit = self._limit
        starts: list[int] = []
        stops: list[int] = []
        error: Optional[ProtocolError] = None
        bulk = True  # look for runs of same-size short frames (`_uniform_run`)
        while True:
            avail = end - pos
            if avail < 2:
                break
            if bulk and not data[pos]:
                size = data[pos + 1]
                run = _uniform_run(data, pos, end, size) if size <= limit else 0
                if run >= _RUN_MIN:
                    # Handed over as two ranges: the mechanism checks and
                    # opens a run column by column (`unwrap_spans`).
                    if starts:  # the frames before the run first, in order
                        self._on_wrapped_run(data, starts, stops, events)
                        if self.phase is Phase.CLOSED:
                            return
                        starts = []
                        stops = []
                    step = size + 2
                    first = pos + 2
                    pos += run * step  # the last box ends here
                    self._on_wrapped_run(
                        data, range(first, pos, step), range(first + size, pos + 1, step), events
                    )
                    if self.phase is Phase.CLOSED:
                        return
                    continue
                bulk = False  # mixed traffic: frame by frame
            if data[pos] & LONG:
                if avail < 9:
                    break
                (size,) = U64.unpack_from(data, pos + 1)
                start = pos + 9
            else:
                size = data[pos + 1]
                start = pos + 2
            if size > limit:
                error = self._too_large(size)
                break
            stop = start + size
            if stop > end:
                if size >= LARGE_FRAME:
                    self._big_flags = data[pos]
                    part: Any = memoryview(data)[start:]  # joined when whole
                    self._big_parts = [part]
                    self._big_need = stop - end
                    pos = end
                break
            starts.append(start)
            stops.append(stop)
            pos = stop
        if error is None and pos < end:
            self._pending = data[pos:]
        if starts:
            self._on_wrapped_run(data, starts, stops, events)
        if error is not None:
            raise error

    def _on_wrapped_run(
        self, data: bytes, starts: Sequence[int], stops: Sequence[int], events: list[ZmtpEvent]
    ) -> None:
        """The MESSAGE boxes ``data[starts[i]:stops[i]]``, opened together:
        message frames and traffic commands."""
        flags, bodies, error = self.mechanism.unwrap_spans(data, starts, stops)
        frames = self._frames
        emit = events.append if not self._sub_receiver else None
        compact = self.compact and emit is not None
        if compact and not frames and flags.count(0) == len(flags):
            events.extend(bodies)  # one-frame messages only: bare, in C
            if error is not None:
                raise error
            return
        for f, body in zip(flags, bodies):
            if not f:  # the last (or only) frame of a message: the common case
                if emit is None:
                    frames.append(body)
                    self._emit(frames, events)
                    frames = Message()
                elif compact and not frames:
                    emit(body)  # a one-frame message, bare (see `_decode`)
                else:
                    frames.append(body)
                    emit(frames)
                    frames = Message()
            elif f == MORE:
                frames.append(body)
            else:  # COMMAND, with or without MORE
                self._frames = frames
                self._on_traffic_command(body, events)
                if self.phase is Phase.CLOSED:
                    return
                frames = self._frames
        self._frames = frames
        if error is not None:
            raise error

    def _on_wrapped(self, box: bytes, events: list[ZmtpEvent]) -> None:
        """One MESSAGE box: a message frame or a traffic command."""
        flags, body = self.mechanism.unwrap(box)
        if flags & COMMAND:
            self._on_traffic_command(body, events)
            return
        self._frames.append(body)
        if not flags & MORE:
            frames = self._frames
            self._frames = Message()
            self._emit(frames, events)

    def _emit(self, frames: Message, events: list[ZmtpEvent]) -> None:
        if self._sub_receiver and len(frames) == 1:
            body = frames[0]
            if body and body[0] <= 1:
                topic = body[1:]
                events.append(Subscribe(topic) if body[0] else Cancel(topic))
                return
        events.append(frames)

    def _continue_big(self, data: bytes, events: list[ZmtpEvent]) -> bytes:
        need = self._big_need
        have = self._big_have
        piece = data if len(data) <= need else data[:need]
        n = len(piece)
        if self._big_direct:
            self._big_buf[have : have + n] = piece  # grows by what arrived
        else:
            self._big_parts.append(piece)
        self._big_have = have + n
        self._big_need = need - n
        if n < need:
            return b""
        self._big_done(events)
        if self.phase is Phase.CLOSED:
            return b""
        return data[need:]

    @property
    def big_need(self) -> int:
        """Bytes of a large body still to come that `receive_big_into` may
        read straight into its buffer: 0 if none, if traffic is wrapped
        (CURVE), or if the body is under `BIG_STEP` (a stream of such
        bodies is cheaper to read in large chunks, several per read)."""
        return self._big_need if self._big_direct else 0

    def receive_big_into(self, recv_into: Callable[[memoryview], int]) -> Optional[list[ZmtpEvent]]:
        """Read more of the large body in flight with ``recv_into(view)``
        (e.g. ``socket.recv_into``) straight into its buffer; only while
        `big_need` is non-zero. Returns the events (the message, once its
        body is complete), or None at EOF (`recv_into` returned 0). The
        buffer grows by at most max(what arrived, BIG_STEP) per call, so a
        peer's length claim never sizes it. OSErrors propagate."""
        need = self._big_need
        have = self._big_have
        buf = self._big_buf
        room = len(buf) - have
        if room <= 0:
            grow = min(need, max(have, BIG_STEP))
            while grow > 0:
                k = min(grow, len(_ZEROS))
                buf += _ZEROS if k == len(_ZEROS) else _ZEROS[:k]
                grow -= k
            room = len(buf) - have
        whole = memoryview(buf)
        tail = whole[have : have + min(room, need)]
        try:
            n = recv_into(tail)
        finally:
            tail.release()
            whole.release()
        if not n:
            return None
        self._big_have = have + n
        self._big_need = need - n
        events: list[ZmtpEvent] = []
        if n == need:
            try:
                self._big_done(events)
            except ProtocolError as exc:
                exc.events = events
                if self.phase is not Phase.CLOSED:
                    self._advance(Input.PEER_VIOLATION)
                raise
        return events

    def _big_done(self, events: list[ZmtpEvent]) -> None:
        """The large body in flight is complete: dispatch it."""
        if self._big_direct:
            buf = self._big_buf
            whole = memoryview(buf)
            part = whole[: self._big_have]
            body = bytes(part)  # the one copy: the buffer is kept, its pages mapped
            part.release()
            whole.release()
            if len(buf) > BIG_KEEP:
                self._big_buf = bytearray()
            self._big_direct = False
        else:
            body = b"".join(self._big_parts)
            self._big_parts = []
        self._big_have = 0
        self._big_need = 0
        flags = self._big_flags
        if self._wrapped:
            self._on_wrapped(body, events)
        elif flags & COMMAND:
            self._on_command(flags, body, events)
        elif not self._accepts_messages:
            self._advance(Input.PEER_MESSAGE_FRAME)  # refused: raises
        else:
            frames = self._frames
            frames.append(body)
            if not flags & MORE:
                self._emit(frames, events)
                self._frames = Message()

    # ------------------------------------------------------------------
    # Commands
    # ------------------------------------------------------------------

    def _on_command(self, flags: int, body: bytes, events: list[ZmtpEvent]) -> None:
        if flags & MORE:
            raise MalformedCommand("command frame with the MORE flag", ZMTP_INVALID_SEQUENCE)
        if self._handshaking:
            self._on_handshake_command(body, events)
        else:
            self._advance(Input.PEER_TRAFFIC_COMMAND)
            self._on_traffic_command(body, events)

    def _on_handshake_command(self, body: bytes, events: list[ZmtpEvent]) -> None:
        if body[:5] == _LIBZMQ_PLAIN_ERROR:
            name, data = b"ERROR", body[5:]
        else:
            name, data = split_command(body)
        request = self.mechanism.handle(name, data)
        if request is not None:
            events.append(request)
        elif self.mechanism.done:
            self._on_handshake_done(events)

    def _on_traffic_command(self, body: bytes, events: list[ZmtpEvent]) -> None:
        """PING, PONG, SUBSCRIBE, CANCEL and ERROR; RFC 37: others are ignored.
        (With CURVE they come out of a MESSAGE box: `_on_wrapped`.)"""
        name, data = split_command(body)
        if name == b"PING":
            if len(data) < 2:
                raise MalformedCommand("PING without a TTL", ZMTP_MALFORMED_COMMAND_UNSPECIFIED)
            (ttl,) = U16.unpack_from(data, 0)
            context = data[2:18]
            if self.answer_pings:
                self._write_command(b"PONG", context)
            events.append(Ping(ttl, context))
        elif name == b"PONG":
            events.append(Pong(data))
        elif name == b"SUBSCRIBE":
            # Only a publisher has subscribers; anyone else drops the command
            # (libzmq 4.3.5 would hand its raw body to the application).
            if self._sub_receiver:
                events.append(Subscribe(data))
        elif name == b"CANCEL":
            if self._sub_receiver:
                events.append(Cancel(data))
        elif name == b"ERROR":
            reason = parse_error_reason(data)
            self._advance(Input.PEER_ERROR)
            events.append(PeerError(reason))

    def _on_handshake_done(self, events: list[Any]) -> None:
        props = self.mechanism.peer_properties
        socket_type = get_property(props, "Socket-Type")
        if socket_type is None:
            self._fail_metadata("peer sent no Socket-Type property")
        peer_type = bytes(socket_type or b"").decode("ascii", "replace")
        if self._check_socket_type and not compatible(self.socket_type, peer_type):
            self._fail_metadata(f"a {self.socket_type} socket cannot talk to a {peer_type} peer")
        identity = get_property(props, "Identity") or b""
        if len(identity) > 255:
            self._fail_metadata("peer Identity is longer than 255 bytes")
        self.peer_socket_type = peer_type
        self.peer_identity = identity
        self.peer_properties = props
        self._advance(Input.PEER_READY)
        events.append(Ready(peer_type, identity, props, self.peer_version))

    def _fail_metadata(self, reason: str) -> NoReturn:
        # RFC 23: an invalid socket type gets an ERROR command, then close.
        self.send_error(reason[:255])
        raise InvalidMetadata(reason)
