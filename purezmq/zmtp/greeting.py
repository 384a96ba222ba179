"""The 64-byte ZMTP greeting (RFC 23/37, "Greeting").

    signature  10 bytes  0xFF, 8 bytes padding, 0x7F
    version     2 bytes  major, minor (we send 3.1)
    mechanism  20 bytes  ASCII name, NUL padded
    as-server   1 byte   0x00 or 0x01
    filler     31 bytes  zeros

libzmq puts ``identity_size + 1`` in the padding (ZMTP 1.0 back-compat), so
only byte 0 and bit 0 of byte 9 are checked. A ZMTP 1.0/2.0 peer never sends
the whole 64 bytes, so the version byte is judged as soon as it arrives.
"""

from __future__ import annotations

from .errors import GreetingError, MechanismMismatch

GREETING_SIZE = 64
SIGNATURE_SIZE = 10
VERSION_MAJOR = 3
VERSION_MINOR = 1


def pad_mechanism(name: bytes) -> bytes:
    if len(name) > 20:
        raise ValueError(f"mechanism name too long: {name!r}")
    return name.ljust(20, b"\x00")


def build_greeting(mechanism: bytes, as_server: bool, minor: int = VERSION_MINOR) -> bytes:
    return (
        b"\xff\x00\x00\x00\x00\x00\x00\x00\x01\x7f"
        + bytes((VERSION_MAJOR, minor))
        + pad_mechanism(mechanism)
        + (b"\x01" if as_server else b"\x00")
        + bytes(31)
    )


class GreetingParser:
    """Accumulates the peer's greeting from any chunking.

    `feed` returns the bytes left over after the greeting once it is complete
    (possibly empty), or None while more are needed.
    """

    __slots__ = ("_buf", "_mechanism", "version", "as_server")

    def __init__(self, mechanism: bytes) -> None:
        self._buf = bytearray()
        self._mechanism = pad_mechanism(mechanism)
        self.version: tuple[int, int] = (0, 0)
        self.as_server = False

    def feed(self, data: bytes) -> bytes | None:
        buf = self._buf
        before = len(buf)
        need = GREETING_SIZE - before
        buf += data[:need]
        n = len(buf)
        if before < 1 <= n and buf[0] != 0xFF:
            raise GreetingError("peer is not a ZMTP 3 peer (bad signature byte 0)")
        if before < SIGNATURE_SIZE <= n and not buf[9] & 1:
            raise GreetingError("peer speaks ZMTP 1.0, which is not supported")
        if before < 11 <= n and buf[10] < VERSION_MAJOR:
            raise GreetingError(f"peer speaks ZMTP {buf[10]}.x; only ZMTP 3.x is supported")
        if n < GREETING_SIZE:
            return None
        self.version = (buf[10], buf[11])
        mech = bytes(buf[12:32])
        if mech != self._mechanism:
            theirs = mech.rstrip(b"\x00").decode("ascii", "replace")
            ours = self._mechanism.rstrip(b"\x00").decode("ascii")
            raise MechanismMismatch(f"peer uses mechanism {theirs!r}, we use {ours!r}")
        self.as_server = bool(buf[32])
        return bytes(data[need:])
