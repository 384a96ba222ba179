"""NULL mechanism (RFC 23, "The NULL Security Mechanism").

Each side sends READY with its metadata and waits for the peer's READY. An
ERROR from the peer ends the handshake.

With a ZAP domain set (``zap=True``), a side first asks ZAP about the peer
(RFC 27, mechanism "NULL", no credentials), as libzmq 4.3 does on either
side: READY goes out only once the answer is 200. A refusal sends ERROR
with the status code, except 300 (a temporary failure), which closes
silently.
"""

from __future__ import annotations

from typing import Optional

from ..errors import AuthenticationFailed, LocalProtocolError, UnexpectedCommand
from ..events import AuthRequest
from ..framing import decode_metadata
from .base import Mechanism
from .common import error_body, parse_error_reason


class NullMechanism(Mechanism):
    name = b"NULL"

    def __init__(self, zap: bool = False) -> None:
        super().__init__()
        self._zap_pending = zap  # READY waits for the ZAP verdict
        self._peer_ready = False
        self._failed = False

    def on_start(self) -> Optional[AuthRequest]:
        if self._zap_pending:
            return AuthRequest("NULL", ())
        self.send_command(b"READY", self._metadata)
        return None

    def handle(self, name: bytes, data: bytes) -> Optional[AuthRequest]:
        if name == b"READY" and not self._peer_ready:
            self.peer_properties = decode_metadata(data)
            self._peer_ready = True
            self.done = not self._zap_pending and not self._failed
            return None
        if name == b"ERROR":
            raise AuthenticationFailed.from_reason(parse_error_reason(data))
        raise UnexpectedCommand(f"unexpected {name!r} command in NULL handshake")

    def auth_reply(self, ok: bool, status_code: bytes, user_id: bytes) -> None:
        if not self._zap_pending:
            raise LocalProtocolError("auth_reply without a pending AuthRequest")
        self._zap_pending = False
        if ok:
            self.user_id = user_id
            self.send_command(b"READY", self._metadata)
            self.done = self._peer_ready
        else:
            self._failed = True
            if status_code != b"300":
                self.send_command(b"ERROR", error_body(status_code.decode("ascii", "replace")))
