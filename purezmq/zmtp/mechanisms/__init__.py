"""Security mechanisms: NULL and PLAIN (CURVE to come)."""

from .base import Mechanism
from .null import NullMechanism
from .plain import PlainClient, PlainServer

__all__ = ["Mechanism", "NullMechanism", "PlainClient", "PlainServer"]
