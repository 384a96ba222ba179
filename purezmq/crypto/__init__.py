"""The NaCl primitives CurveZMQ needs (RFC 26), behind one small API.

Two backends give identical results: ``python`` (the standard library only,
`purezmq.crypto.pure`) and ``sodium`` (libsodium through PyNaCl, when it is
importable). ``PUREZMQ_CURVE_BACKEND`` chooses: ``python``, ``sodium`` or
``auto`` (the default: sodium when PyNaCl imports, else python). Asking for
``sodium`` without PyNaCl raises ImportError at import time, so a forced
choice never silently falls back.

Boxes are in NaCl's "easy" layout, as CurveZMQ puts them on the wire: the
16-byte Poly1305 tag, then the ciphertext. Every open that fails to
authenticate raises `CryptoError` and returns nothing.
"""

from __future__ import annotations

import os
import sys
from typing import Callable, Optional

from .errors import CryptoError
from .spans import OpenSpans, SealSpans

KEY_SIZE = 32  # public, secret and precomputed keys
NONCE_SIZE = 24
MAC_SIZE = 16


def _load_backend() -> str:
    choice = os.environ.get("PUREZMQ_CURVE_BACKEND", "auto").strip().lower() or "auto"
    if choice not in ("auto", "python", "sodium"):
        raise ImportError(
            f"PUREZMQ_CURVE_BACKEND must be 'auto', 'python' or 'sodium', not {choice!r}"
        )
    if choice == "python":
        return "python"
    try:
        import nacl.bindings  # noqa: F401
    except ImportError:
        if choice == "sodium":
            raise ImportError(
                "PUREZMQ_CURVE_BACKEND=sodium needs PyNaCl (pip install 'purezmq[curve-fast]')"
            ) from None
        return "python"
    return "sodium"


BACKEND = _load_backend()

if BACKEND == "sodium":
    from .sodium import (
        Opener,
        Sealer,
        afternm_codec,
        box,
        box_afternm,
        box_beforenm,
        box_open,
        box_open_afternm,
        scalarmult,
        scalarmult_base,
        secretbox,
        secretbox_open,
    )
else:
    from .pure import (
        Opener,
        Sealer,
        afternm_codec,
        box,
        box_afternm,
        box_beforenm,
        box_open,
        box_open_afternm,
        scalarmult,
        scalarmult_base,
        secretbox,
        secretbox_open,
    )


# libsodium's in-place MESSAGE boxing (`sodium.inplace_codec`); the pure
# backend has none (None), and callers use `afternm_codec` instead.
inplace_codec: Callable[[bytes], Optional[tuple[SealSpans, OpenSpans]]]


def _no_inplace_codec(key: bytes) -> Optional[tuple[SealSpans, OpenSpans]]:
    return None


if BACKEND == "sodium":
    from . import sodium as _sodium

    inplace_codec = _sodium.inplace_codec
else:
    inplace_codec = _no_inplace_codec


def clear_cache() -> None:
    """Drop the pure backend's cached subkeys and keystream (secrets, kept to
    speed up a connection's boxes); nothing to do for libsodium."""
    pure = sys.modules.get(__name__ + ".pure")
    if pure is not None:
        pure.clear_cache()


def keypair() -> tuple[bytes, bytes]:
    """A fresh (public, secret) Curve25519 key pair from the OS's randomness."""
    secret = os.urandom(KEY_SIZE)
    return scalarmult_base(secret), secret


__all__ = [
    "BACKEND",
    "KEY_SIZE",
    "MAC_SIZE",
    "NONCE_SIZE",
    "CryptoError",
    "OpenSpans",
    "Opener",
    "SealSpans",
    "Sealer",
    "afternm_codec",
    "box",
    "box_afternm",
    "box_beforenm",
    "box_open",
    "box_open_afternm",
    "clear_cache",
    "inplace_codec",
    "keypair",
    "scalarmult",
    "scalarmult_base",
    "secretbox",
    "secretbox_open",
]
