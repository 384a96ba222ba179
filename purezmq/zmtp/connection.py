"""One ZMTP 3.x connection, sans-IO (RFC 23 and 37).

Theory of operation
-------------------
`Connection` is fed the bytes read from a stream (`receive_data`) and
returns events; what it wants written accumulates until the I/O layer takes
it (`take_output` / `data_to_send`). It never touches a socket, a thread or a
clock: heartbeat timing, ZAP round-trips and reconnects belong to the layer
above, which learns what it needs from `Ping`, `AuthRequest` and `Ready`.

Phases: GREETING -> HANDSHAKE -> TRAFFIC, or CLOSED. Each phase passes the
bytes it did not use to the next one, so a greeting, READY and the first
messages arriving in one read just work. Our own greeting (all 64 bytes, which
libzmq accepts) is queued at construction.

Decoding is the hot path: frames are sliced straight out of the chunk handed
in, a short tail waits in ``_pending``, and a large body arriving across many
reads is collected as a list of parts and joined once, so nothing is copied
more than once and no buffer is sized by the peer's length field.

Encoding coalesces small frames into one bytearray; a body of
``LARGE_FRAME`` bytes or more is not copied but queued as its own chunk, so
the I/O layer can hand the list to ``sendmsg``.

Subscriptions: the peer's minor version decides the wire form (INTEROP.md #4,
RFC 37 "Subscriptions"). 3.1 peers get SUBSCRIBE/CANCEL commands, 3.0 peers
``\\x01topic`` / ``\\x00topic`` messages. On a PUB/XPUB connection both forms
arrive as `Subscribe`/`Cancel` events.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from typing import Any, Optional

from .errors import (
    ZMTP_INVALID_SEQUENCE,
    ZMTP_MALFORMED_COMMAND_UNSPECIFIED,
    InvalidMetadata,
    MalformedCommand,
    MessageTooLarge,
    ProtocolError,
    UnexpectedCommand,
)
from .events import Cancel, Closed, Event, Message, PeerError, Ping, Pong, Ready, Subscribe
from .framing import COMMAND, LONG, MORE, U16, U64, encode_command, get_property, split_command
from .greeting import GreetingParser, build_greeting
from .mechanisms.base import Mechanism
from .mechanisms.common import error_body, parse_error_reason
from .mechanisms.null import NullMechanism
from .socktypes import COMPATIBLE, SENDS_IDENTITY, compatible

LARGE_FRAME = 32 * 1024  # bodies at least this big are queued, not copied
_SUB_RECEIVERS = frozenset({"PUB", "XPUB"})
# libzmq 4.3's PLAIN server writes its ERROR name as the C string "\x05ERROR",
# a hex escape that swallows the E: the body starts b"\x5eRROR" (no name
# length). libzmq's own PLAIN client matches the same 5 bytes, so we do too.
_LIBZMQ_PLAIN_ERROR = b"\x5eRROR"

# Precomputed short headers: _SHORT[flags][size] == bytes((flags, size)).
_SHORT = [[bytes((f, n)) for n in range(256)] for f in (0, MORE)]
_LONG_HDR = [bytes((LONG,)), bytes((LONG | MORE,))]


class Phase(enum.Enum):
    GREETING = 0
    HANDSHAKE = 1
    TRAFFIC = 2
    CLOSED = 3


class Connection:
    """A ZMTP connection's state, fed bytes and asked for bytes."""

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
        self.socket_type = socket_type
        self.identity = identity
        self.maxmsgsize = maxmsgsize
        self._extra_properties = list(properties)
        self._check_socket_type = check_socket_type
        self.phase = Phase.GREETING
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
        self._big_parts: list[bytes] = []  # pieces of a large body in flight
        self._big_need = 0  # bytes of that body still to come
        self._big_flags = 0

    # ------------------------------------------------------------------
    # Output
    # ------------------------------------------------------------------

    def has_output(self) -> bool:
        return bool(self._out) or bool(self._chunks)

    def take_output(self) -> list[Any]:
        """Everything queued for the wire, as a list of bytes-like chunks."""
        chunks = self._chunks
        if self._out:
            chunks.append(self._out)
            self._out = bytearray()
        self._chunks = []
        return chunks

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

    def send_command(self, name: bytes, data: bytes = b"") -> None:
        if self.mechanism.wraps_traffic and self.phase is Phase.TRAFFIC:
            cmd = bytes((len(name),)) + name + data
            self._write_frame(COMMAND, self.mechanism.wrap(COMMAND, cmd))
            return
        self._out += encode_command(name, data)

    def send_message(self, frames: Sequence[Any]) -> None:
        """Queue one multipart message (a sequence of bytes-like frames)."""
        if self.phase is not Phase.TRAFFIC:
            raise ProtocolError("cannot send messages before the handshake completes")
        if self.mechanism.wraps_traffic:
            self._send_wrapped(frames)
            return
        last = len(frames) - 1
        if last == 0:
            body = frames[0]
            size = len(body)
            if size < 256:
                out = self._out
                out += _SHORT[0][size]
                out += body
                return
            self._write_frame(0, body)
            return
        out = self._out
        for i, body in enumerate(frames):
            size = len(body)
            if size < 256:
                out += _SHORT[1 if i < last else 0][size]
                out += body
            else:
                self._write_frame(MORE if i < last else 0, body)
                out = self._out

    def send_messages(self, messages: Iterable[Any]) -> None:
        """Queue many messages; one call per batch on the I/O thread's hot path.

        Items are messages (lists of frames) or Subscribe/Cancel events, as a
        socket's pipe carries them."""
        if self.phase is not Phase.TRAFFIC or self.mechanism.wraps_traffic:
            for frames in messages:
                if isinstance(frames, Event):
                    self.send(frames)
                else:
                    self.send_message(frames)
            return
        short0 = _SHORT[0]
        short1 = _SHORT[1]
        for frames in messages:
            out = self._out
            t = type(frames)
            if t is not list and t is not Message:
                self.send(frames)  # a subscription, in the peer's dialect
                continue
            if len(frames) == 1:
                body = frames[0]
                size = len(body)
                if size < 256:
                    out += short0[size]
                    out += body
                else:
                    self._write_frame(0, body)
                continue
            last = len(frames) - 1
            for i, body in enumerate(frames):
                size = len(body)
                if size < 256:
                    out += (short1 if i < last else short0)[size]
                    out += body
                else:
                    self._write_frame(MORE if i < last else 0, body)
                    out = self._out

    def _send_wrapped(self, frames: Sequence[Any]) -> None:  # pragma: no cover - CURVE
        last = len(frames) - 1
        for i, body in enumerate(frames):
            flags = MORE if i < last else 0
            self._write_frame(COMMAND, self.mechanism.wrap(flags, bytes(body)))

    def send(self, event: Event | Message) -> None:
        """Queue an event: Message, Subscribe, Cancel, Ping or Pong."""
        if isinstance(event, Message):
            self.send_message(event)
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
            self.send_message((b"\x01" + topic,))
        else:
            self.send_command(b"SUBSCRIBE", topic)

    def send_cancel(self, topic: bytes) -> None:
        if self._legacy_subscriptions:
            self.send_message((b"\x00" + topic,))
        else:
            self.send_command(b"CANCEL", topic)

    def send_ping(self, ttl: int = 0, context: bytes = b"") -> None:
        """PING with a TTL in deciseconds and up to 16 bytes of context."""
        if not 0 <= ttl <= 0xFFFF:
            raise ValueError("PING TTL is a 16-bit count of deciseconds")
        self.send_command(b"PING", U16.pack(ttl) + context[:16])

    def send_error(self, reason: str) -> None:
        self.send_command(b"ERROR", error_body(reason))

    def auth_reply(
        self, ok: bool, status_code: bytes = b"200", user_id: bytes = b""
    ) -> list[Event]:
        """Answer an AuthRequest. A refusal queues ERROR and closes the connection."""
        self.mechanism.auth_reply(ok, status_code, user_id)
        if not ok:
            self.phase = Phase.CLOSED
        return []

    # ------------------------------------------------------------------
    # Input
    # ------------------------------------------------------------------

    def receive_data(self, data: Any) -> list[Any]:
        """Feed bytes read from the peer; b"" means EOF.

        Returns events (Message, Ready, Subscribe, ...). Raises ProtocolError
        (after queuing an ERROR where the spec asks for one); the caller then
        sends what is queued and closes.
        """
        if type(data) is not bytes:
            data = bytes(data)
        if not data:
            if self.phase is Phase.CLOSED:
                return []
            self.phase = Phase.CLOSED
            return [Closed()]
        events: list[Any] = []
        phase = self.phase
        if phase is Phase.CLOSED:
            return events
        try:
            if phase is Phase.TRAFFIC:
                self._decode(data, events)
                return events
            if phase is Phase.GREETING:
                rest = self._greeting.feed(data)
                if rest is None:
                    return events
                self._on_greeting()
                data = rest
            if data or self._pending:
                self._decode(data, events)
        except ProtocolError as exc:
            # What decoded cleanly before the bad frame still counts.
            exc.events = events
            self.phase = Phase.CLOSED
            raise
        return events

    def _on_greeting(self) -> None:
        self.peer_version = self._greeting.version
        self._legacy_subscriptions = self.peer_version < (3, 1)
        self.phase = Phase.HANDSHAKE
        props = [("Socket-Type", self.socket_type.encode())]
        if self.socket_type in SENDS_IDENTITY:
            props.append(("Identity", self.identity))
        props.extend(self._extra_properties)
        self.mechanism.start(self.send_command, props)

    def _decode(self, data: bytes, events: list[Any]) -> None:
        """Split frames out of ``_pending + data``; the hot path."""
        if self._big_need:
            data = self._continue_big(data, events)
            if not data:
                return
        if self._pending:
            data = self._pending + data
            self._pending = b""
        pos = 0
        end = len(data)
        frames = self._frames
        maxsize = self.maxmsgsize
        limit = maxsize if maxsize >= 0 else 1 << 64  # one comparison per frame
        traffic = self.phase is Phase.TRAFFIC
        # PUB/XPUB turn \x01/\x00 messages into events; everyone else emits
        # messages directly, without a call per message.
        emit = events.append if not self._sub_receiver else None
        while True:
            avail = end - pos
            if avail < 2:
                break
            flags = data[pos]
            if flags & LONG:
                if avail < 9:
                    break
                (size,) = U64.unpack_from(data, pos + 1)
                start = pos + 9
            else:
                size = data[pos + 1]
                start = pos + 2
            if size > limit:
                raise MessageTooLarge(f"peer sent a {size}-byte frame; MAXMSGSIZE is {maxsize}")
            stop = start + size
            if stop > end:
                if size >= LARGE_FRAME:
                    self._big_flags = flags
                    self._big_parts = [data[start:]]
                    self._big_need = stop - end
                    pos = end
                break
            body = data[start:stop]
            pos = stop
            if flags & COMMAND:
                self._frames = frames
                self._on_command(flags, body, events)
                traffic = self.phase is Phase.TRAFFIC
                if self.phase is Phase.CLOSED:
                    return
                frames = self._frames
            elif not traffic:
                raise UnexpectedCommand("message frame before the handshake completed")
            elif flags & MORE:
                frames.append(body)
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

    def _emit(self, frames: Message, events: list[Any]) -> None:
        if self._sub_receiver and len(frames) == 1:
            body = frames[0]
            if body and body[0] <= 1:
                topic = body[1:]
                events.append(Subscribe(topic) if body[0] else Cancel(topic))
                return
        events.append(frames)

    def _continue_big(self, data: bytes, events: list[Any]) -> bytes:
        need = self._big_need
        if len(data) < need:
            self._big_parts.append(data)
            self._big_need = need - len(data)
            return b""
        self._big_parts.append(data[:need])
        body = b"".join(self._big_parts)
        self._big_parts = []
        self._big_need = 0
        flags = self._big_flags
        if flags & COMMAND:
            self._on_command(flags, body, events)
        elif self.phase is not Phase.TRAFFIC:
            raise UnexpectedCommand("message frame before the handshake completed")
        else:
            frames = self._frames
            frames.append(body)
            if not flags & MORE:
                self._emit(frames, events)
                self._frames = Message()
        if self.phase is Phase.CLOSED:
            return b""
        return data[need:]

    # ------------------------------------------------------------------
    # Commands
    # ------------------------------------------------------------------

    def _on_command(self, flags: int, body: bytes, events: list[Any]) -> None:
        if flags & MORE:
            raise MalformedCommand("command frame with the MORE flag", ZMTP_INVALID_SEQUENCE)
        if self.phase is Phase.HANDSHAKE:
            if body[:5] == _LIBZMQ_PLAIN_ERROR:
                name, data = b"ERROR", body[5:]
            else:
                name, data = split_command(body)
            request = self.mechanism.handle(name, data)
            if request is not None:
                events.append(request)
            elif self.mechanism.done:
                self._on_handshake_done(events)
            return
        if self.mechanism.wraps_traffic:  # pragma: no cover - CURVE
            flags, body = self.mechanism.unwrap(body)
            if not flags & COMMAND:
                self._frames.append(body)
                if not flags & MORE:
                    self._emit(self._frames, events)
                    self._frames = Message()
                return
        name, data = split_command(body)
        if name == b"PING":
            if len(data) < 2:
                raise MalformedCommand("PING without a TTL", ZMTP_MALFORMED_COMMAND_UNSPECIFIED)
            (ttl,) = U16.unpack_from(data, 0)
            context = data[2:18]
            self.send_command(b"PONG", context)
            events.append(Ping(ttl, context))
        elif name == b"PONG":
            events.append(Pong(data))
        elif name == b"SUBSCRIBE":
            events.append(Subscribe(data))
        elif name == b"CANCEL":
            events.append(Cancel(data))
        elif name == b"ERROR":
            reason = parse_error_reason(data)
            self.phase = Phase.CLOSED
            events.append(PeerError(reason))
        # RFC 37: unknown commands are ignored.

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
        self.phase = Phase.TRAFFIC
        events.append(Ready(peer_type, identity, props, self.peer_version))

    def _fail_metadata(self, reason: str) -> None:
        # RFC 23: an invalid socket type gets an ERROR command, then close.
        self.send_error(reason[:255])
        self.phase = Phase.CLOSED
        raise InvalidMetadata(reason)
