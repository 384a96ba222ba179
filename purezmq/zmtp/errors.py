"""Errors raised by the sans-IO codec.

Two kinds, as in h11: `RemoteProtocolError` when the peer breaks ZMTP (every
malformed input ends in one, carrying the libzmq ``PROTOCOL_ERROR_ZMTP_*`` code
that a monitor would report with ``EVENT_HANDSHAKE_FAILED_PROTOCOL``), and
`LocalProtocolError` when our own caller asks for something the current phase
does not allow. Both derive from `ProtocolError`. The codec never lets an
IndexError, struct.error or UnicodeDecodeError escape for bad peer input.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .events import ZmtpEvent

# Codes as libzmq's zmq.h defines them (ZMQ_PROTOCOL_ERROR_ZMTP_*).
ZMTP_UNSPECIFIED = 0x10000000
ZMTP_UNEXPECTED_COMMAND = 0x10000001
ZMTP_INVALID_SEQUENCE = 0x10000002
ZMTP_KEY_EXCHANGE = 0x10000003
ZMTP_MALFORMED_COMMAND_UNSPECIFIED = 0x10000011
ZMTP_MALFORMED_COMMAND_MESSAGE = 0x10000012
ZMTP_MALFORMED_COMMAND_HELLO = 0x10000013
ZMTP_MALFORMED_COMMAND_INITIATE = 0x10000014
ZMTP_MALFORMED_COMMAND_ERROR = 0x10000015
ZMTP_MALFORMED_COMMAND_READY = 0x10000016
ZMTP_MALFORMED_COMMAND_WELCOME = 0x10000017
ZMTP_INVALID_METADATA = 0x10000018
ZMTP_CRYPTOGRAPHIC = 0x11000001
ZMTP_MECHANISM_MISMATCH = 0x11000002


class ProtocolError(Exception):
    """The common base of the codec's errors (the I/O layer catches this one).

    ``code`` is the ``PROTOCOL_ERROR_ZMTP_*`` value; ``auth`` is True when the
    handshake failed on credentials (reported as EVENT_HANDSHAKE_FAILED_AUTH).
    """

    def __init__(self, message: str, code: int = ZMTP_UNSPECIFIED, auth: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.auth = auth
        # Events decoded from the same input before the error (set by
        # Connection.receive_data): the caller delivers them, then closes.
        self.events: list[ZmtpEvent] = []


class LocalProtocolError(ProtocolError):
    """Our caller misused the codec (e.g. sent a message before TRAFFIC).

    The connection is left as it was: the peer did nothing wrong."""


class RemoteProtocolError(ProtocolError):
    """The peer broke ZMTP; the connection is CLOSED and must be dropped."""


class GreetingError(RemoteProtocolError):
    """The 64-byte greeting is not a ZMTP 3.x greeting we can speak."""


class MechanismMismatch(RemoteProtocolError):
    """The peer asked for another security mechanism."""

    def __init__(self, message: str) -> None:
        super().__init__(message, ZMTP_MECHANISM_MISMATCH)


class MalformedCommand(RemoteProtocolError):
    """A command frame or its body does not parse."""


class InvalidMetadata(RemoteProtocolError):
    """READY/INITIATE metadata is malformed or names an incompatible socket type."""

    def __init__(self, message: str) -> None:
        super().__init__(message, ZMTP_INVALID_METADATA)


class UnexpectedCommand(RemoteProtocolError):
    """A command (or a message frame) arrived that the current phase does not allow."""

    def __init__(self, message: str) -> None:
        super().__init__(message, ZMTP_UNEXPECTED_COMMAND)


class MessageTooLarge(RemoteProtocolError):
    """A frame header announced more than the connection accepts: MAXMSGSIZE,
    the handshake bound, or more than this platform can address.

    libzmq has no ZMTP code for this (its decoder fails with EMSGSIZE and the
    monitor sees only DISCONNECTED), so the code is ZMTP_UNSPECIFIED."""


class AuthenticationFailed(RemoteProtocolError):
    """The peer refused our credentials, or we refused theirs.

    When the peer's ERROR reason is a ZAP status code ("300", "400", "500"),
    ``code`` is that number, the value libzmq's HANDSHAKE_FAILED_AUTH event
    carries on the refused side."""

    def __init__(self, message: str, code: int = ZMTP_UNSPECIFIED) -> None:
        super().__init__(message, code, auth=True)

    @classmethod
    def from_reason(cls, reason: str) -> AuthenticationFailed:
        code = int(reason) if reason in ("300", "400", "500") else ZMTP_UNSPECIFIED
        return cls(f"the peer refused the handshake: {reason}", code)
