"""Frames, commands and metadata (RFC 23/37, "Framing", "Commands").

    frame   = flags size body
    flags   = bit 0 MORE, bit 1 LONG (8-byte size), bit 2 COMMAND
    size    = 1 byte, or 8 bytes big-endian when LONG

We write the short form whenever size <= 255, as libzmq does, and accept the
long form for any size. Other flag bits are ignored, as libzmq ignores them.

A command body is ``name-length name data``; READY, INITIATE and the like
carry metadata: repeated ``name-length(1) name value-length(4, BE) value``.
"""

from __future__ import annotations

from collections.abc import Iterable
from struct import Struct

from .errors import ZMTP_MALFORMED_COMMAND_UNSPECIFIED, InvalidMetadata, MalformedCommand

MORE = 0x01
LONG = 0x02
COMMAND = 0x04

U64 = Struct(">Q")
U32 = Struct(">I")
U16 = Struct(">H")


def frame_header(flags: int, size: int) -> bytes:
    if size < 256:
        return bytes((flags, size))
    return bytes((flags | LONG,)) + U64.pack(size)


def encode_command(name: bytes, data: bytes = b"") -> bytes:
    body = bytes((len(name),)) + name + data
    return frame_header(COMMAND, len(body)) + body


def split_command(
    body: bytes, code: int = ZMTP_MALFORMED_COMMAND_UNSPECIFIED
) -> tuple[bytes, bytes]:
    """Split a command frame body into (name, data)."""
    if not body:
        raise MalformedCommand("empty command frame", code)
    n = body[0]
    if 1 + n > len(body):
        raise MalformedCommand("command name runs past the frame", code)
    return bytes(body[1 : 1 + n]), bytes(body[1 + n :])


def encode_metadata(properties: Iterable[tuple[str, bytes]]) -> bytes:
    out = bytearray()
    for name, value in properties:
        raw = name.encode("ascii")
        if not 0 < len(raw) < 256:
            raise ValueError(f"bad metadata property name {name!r}")
        out.append(len(raw))
        out += raw
        out += U32.pack(len(value))
        out += value
    return bytes(out)


_NAME_CHARS = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.+")


def decode_metadata(data: bytes) -> dict[str, bytes]:
    """Parse metadata properties; raises InvalidMetadata on any inconsistency."""
    props: dict[str, bytes] = {}
    pos = 0
    end = len(data)
    while pos < end:
        n = data[pos]
        pos += 1
        if n == 0 or pos + n + 4 > end:
            raise InvalidMetadata("metadata property name truncated")
        raw = data[pos : pos + n]
        if not all(c in _NAME_CHARS for c in raw):
            raise InvalidMetadata(f"metadata property name {bytes(raw)!r} has invalid characters")
        pos += n
        (size,) = U32.unpack_from(data, pos)
        pos += 4
        if pos + size > end:
            raise InvalidMetadata("metadata property value runs past the command")
        props[bytes(raw).decode("ascii")] = bytes(data[pos : pos + size])
        pos += size
    return props


def get_property(props: dict[str, bytes], name: str) -> bytes | None:
    """Property names are case-insensitive (RFC 23, "The READY command")."""
    value = props.get(name)
    if value is not None:
        return value
    lname = name.lower()
    for key, value in props.items():
        if key.lower() == lname:
            return value
    return None
