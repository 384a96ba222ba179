"""The one error the crypto layer raises."""

from __future__ import annotations


class CryptoError(ValueError):
    """A box failed to authenticate, or a key or nonce has the wrong size."""
