"""PLAIN mechanism (RFC 24).

    client                         server
    HELLO(username, password) -->
                              <--  WELCOME           (or ERROR)
    INITIATE(metadata)        -->
                              <--  READY(metadata)

The server does not judge credentials itself: it emits an `AuthRequest` and
waits for `auth_reply` (the layer above asks ZAP, RFC 27). On refusal it sends
ERROR with the ZAP status code as reason, as libzmq does.
"""

from __future__ import annotations

import enum
from typing import Optional

from ..errors import (
    ZMTP_MALFORMED_COMMAND_HELLO,
    ZMTP_MALFORMED_COMMAND_WELCOME,
    AuthenticationFailed,
    LocalProtocolError,
    MalformedCommand,
    UnexpectedCommand,
)
from ..events import AuthRequest
from ..framing import decode_metadata
from .base import Mechanism
from .common import error_body, parse_error_reason


class _State(enum.Enum):
    SEND_HELLO = 0
    EXPECT_HELLO = 1
    EXPECT_WELCOME = 2
    WAIT_ZAP = 3
    EXPECT_INITIATE = 4
    EXPECT_READY = 5
    READY = 6
    FAILED = 7


class PlainClient(Mechanism):
    name = b"PLAIN"
    as_server = False

    def __init__(self, username: bytes, password: bytes) -> None:
        super().__init__()
        if len(username) > 255 or len(password) > 255:
            raise ValueError("PLAIN username and password are at most 255 bytes")
        self.username = username
        self.password = password
        self._state = _State.SEND_HELLO

    def on_start(self) -> None:
        u, p = self.username, self.password
        self.send_command(b"HELLO", bytes((len(u),)) + u + bytes((len(p),)) + p)
        self._state = _State.EXPECT_WELCOME

    def handle(self, name: bytes, data: bytes) -> Optional[AuthRequest]:
        if name == b"ERROR":
            self._state = _State.FAILED
            raise AuthenticationFailed.from_reason(parse_error_reason(data))
        if self._state is _State.EXPECT_WELCOME and name == b"WELCOME":
            if data:
                raise MalformedCommand("WELCOME must be empty", ZMTP_MALFORMED_COMMAND_WELCOME)
            self.send_command(b"INITIATE", self._metadata)
            self._state = _State.EXPECT_READY
            return None
        if self._state is _State.EXPECT_READY and name == b"READY":
            self.peer_properties = decode_metadata(data)
            self._state = _State.READY
            self.done = True
            return None
        raise UnexpectedCommand(f"unexpected {name!r} command in PLAIN client handshake")


class PlainServer(Mechanism):
    name = b"PLAIN"
    as_server = True

    def __init__(self) -> None:
        super().__init__()
        self._state = _State.EXPECT_HELLO

    def handle(self, name: bytes, data: bytes) -> Optional[AuthRequest]:
        if self._state is _State.EXPECT_HELLO and name == b"HELLO":
            username, password = _parse_hello(data)
            self._state = _State.WAIT_ZAP
            return AuthRequest("PLAIN", (username, password))
        if self._state is _State.EXPECT_INITIATE and name == b"INITIATE":
            self.peer_properties = decode_metadata(data)
            self.send_command(b"READY", self._metadata)
            self._state = _State.READY
            self.done = True
            return None
        if name == b"ERROR":
            raise AuthenticationFailed(f"PLAIN client sent ERROR: {parse_error_reason(data)}")
        raise UnexpectedCommand(f"unexpected {name!r} command in PLAIN server handshake")

    def auth_reply(self, ok: bool, status_code: bytes, user_id: bytes) -> None:
        if self._state is not _State.WAIT_ZAP:
            raise LocalProtocolError("auth_reply without a pending AuthRequest")
        if ok:
            self.user_id = user_id
            self.send_command(b"WELCOME")
            self._state = _State.EXPECT_INITIATE
        else:
            if status_code != b"300":  # 300: a temporary failure closes silently
                self.send_command(b"ERROR", error_body(status_code.decode("ascii", "replace")))
            self._state = _State.FAILED


def _parse_hello(data: bytes) -> tuple[bytes, bytes]:
    """HELLO body: exactly len user len pass, as libzmq 4.3 checks it."""
    if not data:
        raise MalformedCommand("empty PLAIN HELLO", ZMTP_MALFORMED_COMMAND_HELLO)
    ulen = data[0]
    if 1 + ulen >= len(data):
        raise MalformedCommand("PLAIN HELLO username truncated", ZMTP_MALFORMED_COMMAND_HELLO)
    username = data[1 : 1 + ulen]
    plen = data[1 + ulen]
    if 2 + ulen + plen != len(data):
        raise MalformedCommand("PLAIN HELLO password length mismatch", ZMTP_MALFORMED_COMMAND_HELLO)
    return bytes(username), bytes(data[2 + ulen :])
