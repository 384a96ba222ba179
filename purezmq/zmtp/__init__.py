"""Sans-IO ZMTP 3.1 codec: bytes in, events out (RFC 23, 37, 24)."""

from .connection import HANDSHAKE_FRAME_MAX, LARGE_FRAME, TRANSITIONS, Connection, Input, Phase
from .errors import LocalProtocolError, ProtocolError, RemoteProtocolError
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
)
from .mechanisms import Mechanism, NullMechanism, PlainClient, PlainServer

__all__ = [
    "HANDSHAKE_FRAME_MAX",
    "LARGE_FRAME",
    "TRANSITIONS",
    "AuthRequest",
    "Cancel",
    "Closed",
    "Connection",
    "Event",
    "Input",
    "LocalProtocolError",
    "Mechanism",
    "Message",
    "NullMechanism",
    "PeerError",
    "Phase",
    "Ping",
    "PlainClient",
    "PlainServer",
    "Pong",
    "ProtocolError",
    "Ready",
    "RemoteProtocolError",
    "Subscribe",
]
