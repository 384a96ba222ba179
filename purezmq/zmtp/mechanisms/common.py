"""Helpers shared by the mechanisms."""

from __future__ import annotations

from ..errors import ZMTP_MALFORMED_COMMAND_ERROR, MalformedCommand


def parse_error_reason(data: bytes) -> str:
    """ERROR body: reason-length(1) reason (RFC 23, "The ERROR command")."""
    if not data or 1 + data[0] != len(data):
        raise MalformedCommand("malformed ERROR command", ZMTP_MALFORMED_COMMAND_ERROR)
    return data[1:].decode("utf-8", "replace")


def error_body(reason: str) -> bytes:
    raw = reason.encode("utf-8")[:255]
    return bytes((len(raw),)) + raw
