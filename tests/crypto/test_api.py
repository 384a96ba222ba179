"""The API's contract on each backend (PyPy runs the pure half): wrong sizes
and short boxes raise CryptoError, bytes-likes are taken, any flipped bit is
refused."""

from __future__ import annotations

import os
from types import ModuleType

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from purezmq.crypto import CryptoError

BAD_SIZES = [0, 1, 16, 23, 25, 31, 33, 64]


@pytest.mark.parametrize("size", BAD_SIZES)
def test_wrong_sizes(impl: ModuleType, size: int) -> None:
    ok32, ok24 = os.urandom(32), os.urandom(24)
    bad = os.urandom(size)
    boxed = impl.secretbox(b"hello", ok24, ok32)
    calls = [
        lambda: impl.scalarmult_base(bad),
        lambda: impl.scalarmult(bad, ok32),
        lambda: impl.scalarmult(ok32, bad),
        lambda: impl.box_beforenm(bad, ok32),
        lambda: impl.box_beforenm(ok32, bad),
        lambda: impl.secretbox(b"hello", ok24, bad),
        lambda: impl.secretbox_open(boxed, ok24, bad),
        lambda: impl.box_afternm(b"hello", ok24, bad),
        lambda: impl.box_open_afternm(boxed, ok24, bad),
        lambda: impl.box(b"hello", ok24, bad, ok32),
        lambda: impl.box(b"hello", ok24, ok32, bad),
        lambda: impl.box_open(boxed, ok24, bad, ok32),
        lambda: impl.box_open(boxed, ok24, ok32, bad),
    ]
    if size != 24:
        calls += [
            lambda: impl.secretbox(b"hello", bad, ok32),
            lambda: impl.secretbox_open(boxed, bad, ok32),
            lambda: impl.box(b"hello", bad, ok32, ok32),
            lambda: impl.box_open(boxed, bad, ok32, ok32),
        ]
    for call in calls:
        with pytest.raises(CryptoError):
            call()


@pytest.mark.parametrize("size", range(16))
def test_shorter_than_tag(impl: ModuleType, size: int) -> None:
    with pytest.raises(CryptoError):
        impl.secretbox_open(bytes(size), bytes(24), bytes(32))


def test_accepts_bytes_likes(impl: ModuleType) -> None:
    key, nonce = os.urandom(32), os.urandom(24)
    boxed = impl.secretbox(bytearray(b"abc"), memoryview(nonce), bytearray(key))
    assert isinstance(boxed, bytes)
    assert impl.secretbox_open(memoryview(boxed), nonce, key) == b"abc"


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(message=st.binary(max_size=200), where=st.integers(0), bit=st.integers(0, 7))
def test_flipped_bit_refused(impl: ModuleType, message: bytes, where: int, bit: int) -> None:
    # (impl is a module, the same for every example: nothing to reset.)
    key, nonce = os.urandom(32), os.urandom(24)
    boxed = bytearray(impl.secretbox(message, nonce, key))
    boxed[where % len(boxed)] ^= 1 << bit
    with pytest.raises(CryptoError):
        impl.secretbox_open(bytes(boxed), nonce, key)


def test_package_clear_cache_reaches_the_pure_backend() -> None:
    import purezmq.crypto as crypto
    from purezmq.crypto import pure

    pure.secretbox(b"m", os.urandom(24), os.urandom(32))
    assert pure._SUBKEYS
    crypto.clear_cache()
    assert not pure._SUBKEYS and not pure._streams and not pure._last_nonce
