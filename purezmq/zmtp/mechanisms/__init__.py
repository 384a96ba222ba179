"""Security mechanisms: NULL, PLAIN and CURVE."""

from .base import Mechanism
from .curve import CurveClient, CurveServer
from .null import NullMechanism
from .plain import PlainClient, PlainServer

__all__ = ["CurveClient", "CurveServer", "Mechanism", "NullMechanism", "PlainClient", "PlainServer"]
