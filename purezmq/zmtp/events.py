"""Events the codec hands to the layer above (named after ZMTP nouns).

`Message` is a list subclass holding the frames, so the hot path makes one
object per message and the pipes can carry it as is.

Compact messages: a connection whose `compact` flag its session set (socket
types whose patterns take either form) emits a one-frame message as the bare
frame, a ``bytes`` object, rather than a one-item `Message`. Such a message
costs one object instead of two, and none the garbage collector tracks: a
list is tracked, so a backlog of queued lists is walked by every older-
generation collection, while ``bytes`` never are. Whatever reads a pipe that
a session writes to takes an `Inbound` item: ``bytes`` (one frame) or a list
of frames; `frames_of` turns either into a list.
"""

from __future__ import annotations

from typing import Any, Union


class Event:
    __slots__: tuple[str, ...] = ()

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, s) == getattr(other, s) for s in self.__slots__)

    def __hash__(self) -> int:
        return hash((type(self),) + tuple(getattr(self, s) for s in self.__slots__))

    def __repr__(self) -> str:
        fields = ", ".join(f"{s}={getattr(self, s)!r}" for s in self.__slots__)
        return f"{type(self).__name__}({fields})"


class Message(list):  # type: ignore[type-arg]
    """A whole multipart message: the list of its frames (bytes)."""

    __slots__ = ()


class Ready(Event):
    """Handshake complete. ``properties`` is the peer's metadata."""

    __slots__ = ("socket_type", "identity", "properties", "version")

    def __init__(
        self,
        socket_type: str,
        identity: bytes,
        properties: dict[str, bytes],
        version: tuple[int, int],
    ) -> None:
        self.socket_type = socket_type
        self.identity = identity
        self.properties = properties
        self.version = version


class Subscribe(Event):
    __slots__ = ("topic",)

    def __init__(self, topic: bytes) -> None:
        self.topic = topic


class Cancel(Event):
    __slots__ = ("topic",)

    def __init__(self, topic: bytes) -> None:
        self.topic = topic


class Ping(Event):
    """Peer sent PING; the codec has already queued the PONG.

    ``ttl`` is in deciseconds (0: none)."""

    __slots__ = ("ttl", "context")

    def __init__(self, ttl: int, context: bytes) -> None:
        self.ttl = ttl
        self.context = context


class Pong(Event):
    __slots__ = ("context",)

    def __init__(self, context: bytes) -> None:
        self.context = context


class PeerError(Event):
    """Peer sent an ERROR command; the connection is finished."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


class AuthRequest(Event):
    """A server mechanism needs a verdict (ZAP); answer with Connection.auth_reply."""

    __slots__ = ("mechanism", "credentials")

    def __init__(self, mechanism: str, credentials: tuple[Any, ...]) -> None:
        self.mechanism = mechanism
        self.credentials = credentials


class Closed(Event):
    """The peer closed the stream (EOF)."""

    __slots__ = ()


# A received message as the pipes carry it: a list of frames, or one frame
# as bare bytes (a compact connection's one-frame message).
Inbound = Union[bytes, list[Any]]


def frames_of(msg: Inbound) -> list[Any]:
    """The frames of a received message, as a list (a fresh one for bytes)."""
    return [msg] if type(msg) is bytes else msg  # type: ignore[return-value]


# What `Connection.receive_data` returns: events, and messages (a Message is
# the list of frames itself, for speed; a compact connection's one-frame
# message is its bare frame).
ZmtpEvent = Union[Event, Message, bytes]
