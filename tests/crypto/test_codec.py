"""The per-connection MESSAGE codec (`afternm_codec`) and the fast paths made
for CURVE speed: the codec's boxes are box_afternm's bytes on both backends,
a tampered or short box is refused, the fixed-base X25519 agrees with the
ladder, and Poly1305's lane path (8 KiB and more) agrees with libsodium."""

from __future__ import annotations

import os
from types import ModuleType

import pytest

from purezmq.crypto import CryptoError, pure

HEADER = b"\x07MESSAGE" + bytes(range(8))
SIZES = [0, 1, 63, 64, 1023, 1024, 1025, 5000, 70000]


@pytest.mark.parametrize("size", SIZES)
def test_codec_seals_what_box_afternm_seals_and_opens_it(impl: ModuleType, size: int) -> None:
    key, nonce, data = os.urandom(32), os.urandom(24), os.urandom(size)
    seal, open_ = impl.afternm_codec(key)
    sealed = seal(HEADER, b"\x03", data, nonce)
    assert sealed == HEADER + impl.box_afternm(b"\x03" + data, nonce, key)
    assert open_(sealed, len(HEADER), nonce) == (3, data)
    # a view of a bigger buffer opens the same way (the connection passes one)
    view = memoryview(b"junk" + sealed)[4:]
    assert open_(view, len(HEADER), nonce) == (3, data)


@pytest.mark.parametrize("size", [0, 64, 5000])
def test_codec_refuses_tampering_and_short_boxes(impl: ModuleType, size: int) -> None:
    key, nonce = os.urandom(32), os.urandom(24)
    seal, open_ = impl.afternm_codec(key)
    sealed = seal(HEADER, b"\x00", os.urandom(size), nonce)
    for where in (len(HEADER), len(HEADER) + 16, len(sealed) - 1):
        bad = bytearray(sealed)
        bad[where] ^= 1
        with pytest.raises(CryptoError):
            open_(bytes(bad), len(HEADER), nonce)
    with pytest.raises(CryptoError):
        open_(sealed, len(HEADER), os.urandom(24))
    with pytest.raises(CryptoError):  # a tag and no flags byte
        open_(HEADER + bytes(16), len(HEADER), nonce)


def test_codec_checks_its_key_once(impl: ModuleType) -> None:
    with pytest.raises(CryptoError):
        impl.afternm_codec(bytes(31))


def test_fixed_base_agrees_with_the_ladder() -> None:
    for _ in range(30):
        secret = os.urandom(32)
        assert pure.scalarmult_base(secret) == pure._x25519(secret, pure._BASE)


@pytest.mark.parametrize("size", [8191, 8192, 8193, 8192 + 1024 + 7, 65537, 200003])
def test_long_poly1305_agrees_with_libsodium(size: int) -> None:
    pytest.importorskip("nacl.bindings", reason="PyNaCl (libsodium) is not installed")
    from purezmq.crypto import sodium

    key, nonce, message = os.urandom(32), os.urandom(24), os.urandom(size)
    boxed = pure.secretbox(message, nonce, key)
    assert boxed == sodium.secretbox(message, nonce, key)
    assert pure.secretbox_open(boxed, nonce, key) == message
    with pytest.raises(CryptoError):
        pure.secretbox_open(boxed[:-1] + bytes([boxed[-1] ^ 0x80]), nonce, key)
