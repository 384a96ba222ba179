"""Z85 (ZeroMQ RFC 32): 4 bytes of binary as 5 printable characters.

Each 4-byte group is read as a big-endian unsigned 32-bit number and written as five
base-85 digits, most significant first, from the alphabet below. Binary input must be
a multiple of 4 bytes long and text a multiple of 5, else ``ValueError``; a character
outside the alphabet raises ``KeyError`` and a group above 2**32 - 1 raises
``struct.error``, the exception types pyzmq's decoder raises (both with a message
that names the offending input and are ``ValueError`` too).
"""

from __future__ import annotations

import struct
from typing import Union

_Binary = Union[bytes, bytearray, memoryview]

Z85CHARS = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#"
# character code -> digit value
Z85MAP = {code: digit for digit, code in enumerate(Z85CHARS)}

_MAX_GROUP = 0xFFFFFFFF


class _BadCharacter(KeyError, ValueError):
    def __str__(self) -> str:  # KeyError would show the repr of the whole message
        return str(self.args[0])


class _GroupTooLarge(struct.error, ValueError):
    pass


def encode(rawbytes: _Binary) -> bytes:
    """Z85 text (ASCII bytes) for `rawbytes`, whose length must be a multiple of 4."""
    if isinstance(rawbytes, str):
        raise TypeError("z85.encode takes bytes, not str")
    data = memoryview(rawbytes).cast("B")
    if len(data) % 4:
        raise ValueError(f"length must be multiple of 4, not {len(data)}")
    out = bytearray()
    for start in range(0, len(data), 4):
        value = int.from_bytes(data[start : start + 4], "big")
        digits = bytearray(5)
        for i in range(4, -1, -1):
            value, digit = divmod(value, 85)
            digits[i] = Z85CHARS[digit]
        out += digits
    return bytes(out)


def decode(z85bytes: str | _Binary) -> bytes:
    """The binary behind Z85 text (str or bytes) whose length is a multiple of 5."""
    if isinstance(z85bytes, str):
        try:
            text = z85bytes.encode("ascii")
        except UnicodeEncodeError:
            raise ValueError("string argument should contain only ASCII characters") from None
    else:
        text = bytes(z85bytes)
    if len(text) % 5:
        raise ValueError(f"Z85 length must be multiple of 5, not {len(text)}")
    out = bytearray()
    for start in range(0, len(text), 5):
        value = 0
        for pos in range(start, start + 5):
            code = text[pos]
            digit = Z85MAP.get(code)
            if digit is None:
                raise _BadCharacter(f"{chr(code)!r} at offset {pos} is not a Z85 character")
            value = value * 85 + digit
        if value > _MAX_GROUP:
            group = text[start : start + 5].decode("ascii")
            raise _GroupTooLarge(f"Z85 group {group!r} at offset {start} exceeds 32 bits")
        out += value.to_bytes(4, "big")
    return bytes(out)


__all__ = ["Z85CHARS", "Z85MAP", "decode", "encode"]
