"""Names kept from the Python 2 days: ``bytes``, ``unicode``, ``basestring`` and casts.

pyzmq deprecated this module in release 23: the cast functions still work and emit a
:class:`DeprecationWarning` that points at the caller.
"""

from __future__ import annotations

import warnings

bytes = bytes  # re-exported under its own name
unicode = str
basestring = (str,)

_DEPRECATED = "zmq.utils.strtypes is deprecated in pyzmq 23."


def _wrong_type(s: object) -> TypeError:
    return TypeError(f"Expected unicode or bytes, got {s!r}")


def cast_bytes(s: str | bytes, encoding: str = "utf8", errors: str = "strict") -> bytes:
    """`s` as bytes: a str is encoded, bytes come back unchanged."""
    warnings.warn(_DEPRECATED, DeprecationWarning, stacklevel=2)
    if isinstance(s, bytes):
        return s
    if isinstance(s, str):
        return s.encode(encoding, errors)
    raise _wrong_type(s)


def cast_unicode(s: str | bytes, encoding: str = "utf8", errors: str = "strict") -> str:
    """`s` as str: bytes are decoded, a str comes back unchanged."""
    warnings.warn(_DEPRECATED, DeprecationWarning, stacklevel=2)
    if isinstance(s, bytes):
        return s.decode(encoding, errors)
    if isinstance(s, str):
        return s
    raise _wrong_type(s)


b = asbytes = cast_bytes
u = cast_unicode

__all__ = [
    "asbytes",
    "b",
    "basestring",
    "bytes",
    "cast_bytes",
    "cast_unicode",
    "u",
    "unicode",
]
