"""NULL mechanism (RFC 23, "The NULL Security Mechanism").

Each side sends READY with its metadata and waits for the peer's READY. An
ERROR from the peer ends the handshake.
"""

from __future__ import annotations

from typing import Optional

from ..errors import AuthenticationFailed, UnexpectedCommand
from ..events import AuthRequest
from ..framing import decode_metadata
from .base import Mechanism
from .common import parse_error_reason


class NullMechanism(Mechanism):
    name = b"NULL"

    def on_start(self) -> None:
        self.send_command(b"READY", self._metadata)

    def handle(self, name: bytes, data: bytes) -> Optional[AuthRequest]:
        if name == b"READY" and not self.done:
            self.peer_properties = decode_metadata(data)
            self.done = True
            return None
        if name == b"ERROR":
            raise AuthenticationFailed(f"peer refused the handshake: {parse_error_reason(data)}")
        raise UnexpectedCommand(f"unexpected {name!r} command in NULL handshake")
