"""CURVE key helpers of the package root: ``curve_keypair()`` and ``curve_public()``.

Keys travel as Z85 text (RFC 32), 40 ASCII characters for 32 bytes, as in
libzmq's ``zmq_curve_keypair`` / ``zmq_curve_public``. The key arithmetic is
X25519 from `purezmq.crypto` (imported on first use, so importing purezmq never
pays for it); if no crypto backend can be loaded both functions raise
``ZMQError(ENOTSUP)``, what libzmq does when built without CURVE.
"""

from __future__ import annotations

import errno
from typing import Any

from ..error import ZMQError
from ..utils import z85

_SECRET_Z85_LEN = 40  # Z85 text of a 32-byte key


def _crypto() -> Any:
    try:
        from .. import crypto
    except ImportError as exc:
        raise ZMQError(errno.ENOTSUP, f"CURVE keys need a crypto backend: {exc}") from None
    return crypto


def curve_keypair() -> tuple[bytes, bytes]:
    """A new CURVE key pair: ``(public, secret)``, each 40 bytes of Z85 text."""
    public, secret = _crypto().keypair()
    return z85.encode(public), z85.encode(secret)


def curve_public(secret_key: Any) -> bytes:
    """The Z85 public key (40 bytes) that belongs to a Z85 secret key.

    `secret_key` is str or bytes(-like) Z85 text of exactly 40 characters
    (``ValueError`` otherwise); text that is not valid Z85 raises
    ``ZMQError(EINVAL)``, as libzmq's decoder refuses it.
    """
    if isinstance(secret_key, str):
        secret_key = secret_key.encode("utf-8")
    if len(secret_key) != _SECRET_Z85_LEN:
        raise ValueError("secret key must be a 40 byte z85 encoded string")
    if not isinstance(secret_key, (bytes, bytearray)):
        raise TypeError(f"expected bytes, {type(secret_key).__name__} found")
    try:
        secret = z85.decode(bytes(secret_key))
    except ValueError:  # a character outside the alphabet, or a group above 32 bits
        raise ZMQError(errno.EINVAL, "secret key is not valid Z85") from None
    return z85.encode(_crypto().scalarmult_base(secret))


__all__ = ["curve_keypair", "curve_public"]
