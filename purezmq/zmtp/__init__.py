"""Sans-IO ZMTP 3.1 codec: bytes in, events out (RFC 23, 37, 24)."""

from .connection import LARGE_FRAME, Connection, Phase
from .errors import ProtocolError
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
    "LARGE_FRAME",
    "AuthRequest",
    "Cancel",
    "Closed",
    "Connection",
    "Event",
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
    "Subscribe",
]
