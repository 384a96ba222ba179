"""The primitives through libsodium (PyNaCl's low-level bindings).

Only imported when PyNaCl is; `purezmq.crypto` picks it. Argument checks and
the error raised match `purezmq.crypto.pure`, so callers see one behaviour.
"""

from __future__ import annotations

import nacl.bindings as _nb
import nacl.exceptions as _nx

from .errors import CryptoError

_ZERO32 = bytes(32)
_ZERO16 = bytes(16)


def _check(value: bytes, size: int, what: str) -> None:
    if len(value) != size:
        raise CryptoError(f"{what} must be {size} bytes, not {len(value)}")


def scalarmult_base(secret: bytes) -> bytes:
    """X25519(secret, 9): the public key of a secret key."""
    _check(secret, 32, "secret key")
    return bytes(_nb.crypto_scalarmult_base(bytes(secret)))


def scalarmult(secret: bytes, public: bytes) -> bytes:
    """X25519(secret, public): the raw shared point (unhashed)."""
    _check(secret, 32, "secret key")
    _check(public, 32, "public key")
    try:
        return bytes(_nb.crypto_scalarmult(bytes(secret), bytes(public)))
    except _nx.RuntimeError as exc:  # libsodium refuses an all-zero result
        raise CryptoError("X25519 gave the all-zero point (a low-order public key)") from exc


def box_beforenm(public: bytes, secret: bytes) -> bytes:
    """HSalsa20(X25519(secret, public)): the key both sides of a box share."""
    _check(secret, 32, "secret key")
    _check(public, 32, "public key")
    try:
        return bytes(_nb.crypto_box_beforenm(bytes(public), bytes(secret)))
    except _nx.RuntimeError as exc:
        raise CryptoError("X25519 gave the all-zero point (a low-order public key)") from exc


def secretbox(message: bytes, nonce: bytes, key: bytes) -> bytes:
    """XSalsa20-Poly1305: tag(16) + ciphertext."""
    _check(nonce, 24, "nonce")
    _check(key, 32, "key")
    return bytes(_nb.crypto_secretbox_easy(bytes(message), bytes(nonce), bytes(key)))


def secretbox_open(boxed: bytes, nonce: bytes, key: bytes) -> bytes:
    _check(nonce, 24, "nonce")
    _check(key, 32, "key")
    if len(boxed) < 16:
        raise CryptoError("box shorter than its 16-byte tag")
    try:
        return bytes(_nb.crypto_secretbox_open_easy(bytes(boxed), bytes(nonce), bytes(key)))
    except _nx.CryptoError as exc:
        raise CryptoError("box failed to authenticate") from exc


box_afternm = secretbox  # a box with a precomputed key is a secretbox under it
box_open_afternm = secretbox_open


def box(message: bytes, nonce: bytes, public: bytes, secret: bytes) -> bytes:
    return secretbox(message, nonce, box_beforenm(public, secret))


def box_open(boxed: bytes, nonce: bytes, public: bytes, secret: bytes) -> bytes:
    return secretbox_open(boxed, nonce, box_beforenm(public, secret))
