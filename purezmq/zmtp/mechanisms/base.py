"""The interface every security mechanism implements (RFC 23, "Security").

A mechanism is a small state machine driven by the commands of the
handshake. It never sees raw bytes: the Connection splits frames and hands it
``(name, data)``; the mechanism answers through ``send_command`` and by
returning a status. CURVE also sets ``wraps_traffic`` and implements
``wrap``/``unwrap`` so every traffic frame travels inside a MESSAGE command,
and their batch forms ``wrap_into``/``unwrap_spans``, which the Connection
uses; NULL and PLAIN leave traffic alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Callable, Optional

from ..errors import LocalProtocolError
from ..events import AuthRequest
from ..framing import encode_metadata

SendCommand = Callable[[bytes, bytes], None]


class Mechanism:
    name: bytes = b""
    as_server: bool = False
    wraps_traffic = False

    def __init__(self) -> None:
        self._send: Optional[SendCommand] = None
        self._metadata: bytes = b""
        self.peer_properties: dict[str, bytes] = {}
        self.done = False
        self.user_id = b""

    def start(self, send: SendCommand, metadata: list[tuple[str, bytes]]) -> Optional[AuthRequest]:
        """Begin the handshake once the greeting is exchanged; may ask the
        layer above for a verdict at once (NULL with a ZAP domain)."""
        self._send = send
        self._metadata = encode_metadata(metadata)
        return self.on_start()

    def on_start(self) -> Optional[AuthRequest]:
        """Send whatever this side sends first."""
        return None

    def handle(self, name: bytes, data: bytes) -> Optional[AuthRequest]:
        """Process one handshake command; may ask the layer above for a verdict."""
        raise NotImplementedError

    def auth_reply(self, ok: bool, status_code: bytes, user_id: bytes) -> None:
        """The verdict on an AuthRequest (server side only)."""
        raise LocalProtocolError(f"{self.name.decode()} has no AuthRequest to answer")

    def detach(self) -> None:
        """Forget the connection's send function (it refers back to it)."""
        self._send = None

    def send_command(self, name: bytes, data: bytes = b"") -> None:
        assert self._send is not None
        self._send(name, data)

    # Hooks for mechanisms that encrypt traffic (CURVE).
    def wrap(self, flags: int, data: bytes) -> bytes:  # pragma: no cover - CURVE
        raise NotImplementedError

    def unwrap(self, data: bytes) -> tuple[int, bytes]:  # pragma: no cover - CURVE
        raise NotImplementedError

    def wrap_into(
        self, out: bytearray, chunks: list[Any], messages: Iterable[Sequence[Any]]
    ) -> bytearray:  # pragma: no cover - CURVE
        """Append `messages` as whole wire frames to `out` (or to `chunks`
        after it); return the bytearray to append to next."""
        raise NotImplementedError

    def unwrap_spans(
        self, data: bytes, starts: Sequence[int], stops: Sequence[int]
    ) -> tuple[bytearray, list[bytes], Optional[Exception]]:  # pragma: no cover - CURVE
        """Open the boxes ``data[starts[i]:stops[i]]`` in order: (their wire
        flags, their frames, the error at the first bad one or None). A run
        of same-size boxes at a fixed step may come as two ranges."""
        raise NotImplementedError
