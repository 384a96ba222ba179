"""Both backends give the same bytes, refuse the same tampering and the same
wrong sizes; the pure layer's fast Salsa20 paths agree with its one-block
reference at every size and counter."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from purezmq.crypto import CryptoError, pure

nacl_bindings = pytest.importorskip("nacl.bindings", reason="PyNaCl (libsodium) is not installed")
from purezmq.crypto import sodium  # after the importorskip: needs PyNaCl

keys = st.binary(min_size=32, max_size=32)
nonces = st.binary(min_size=24, max_size=24)
# Lengths 0..3000, with the block edges (16-byte Poly1305 blocks, 64-byte
# Salsa20 blocks offset by the 32 bytes of Poly1305 key) drawn on purpose.
EDGES = [0, 1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 95, 96, 97, 127, 128, 129, 1023, 1024, 2047]
lengths = st.one_of(st.sampled_from(EDGES), st.integers(0, 3000))
messages = lengths.flatmap(lambda n: st.binary(min_size=n, max_size=n))

SETTINGS = settings(max_examples=150, deadline=None)


@settings(max_examples=50, deadline=None)
@given(secret=keys, public=keys)
def test_scalarmult_same(secret: bytes, public: bytes) -> None:
    try:
        expected = sodium.scalarmult(secret, public)
    except CryptoError:
        with pytest.raises(CryptoError):
            pure.scalarmult(secret, public)
        return
    assert pure.scalarmult(secret, public) == expected
    assert pure.scalarmult_base(secret) == sodium.scalarmult_base(secret)


@pytest.mark.parametrize("u", range(19))
def test_scalarmult_non_canonical_u(u: int) -> None:
    # p + u and 2**255 - 19 + u (the top bit is masked off) read as u mod p.
    secret = os.urandom(32)
    for value in ((2**255 - 19 + u) % 2**256, 2**255 + u, (2**255 - 19 + u) | 2**255):
        public = (value % 2**256).to_bytes(32, "little")
        try:
            expected = sodium.scalarmult(secret, public)
        except CryptoError:
            with pytest.raises(CryptoError):
                pure.scalarmult(secret, public)
            continue
        assert pure.scalarmult(secret, public) == expected


@SETTINGS
@given(message=messages, nonce=nonces, key=keys)
def test_secretbox_same(message: bytes, nonce: bytes, key: bytes) -> None:
    boxed = pure.secretbox(message, nonce, key)
    assert boxed == sodium.secretbox(message, nonce, key)
    assert len(boxed) == 16 + len(message)
    assert pure.secretbox_open(boxed, nonce, key) == message
    assert sodium.secretbox_open(boxed, nonce, key) == message
    assert pure.box_afternm(message, nonce, key) == boxed
    assert pure.box_open_afternm(boxed, nonce, key) == message


@settings(max_examples=25, deadline=None)
@given(message=messages, nonce=nonces, alice=keys, bob=keys)
def test_box_same(message: bytes, nonce: bytes, alice: bytes, bob: bytes) -> None:
    bob_pk = sodium.scalarmult_base(bob)
    alice_pk = pure.scalarmult_base(alice)
    k = pure.box_beforenm(bob_pk, alice)
    assert k == sodium.box_beforenm(bob_pk, alice)
    assert pure.box_beforenm(alice_pk, bob) == k
    boxed = pure.box(message, nonce, bob_pk, alice)
    assert boxed == sodium.box(message, nonce, bob_pk, alice)
    assert pure.box_open(boxed, nonce, alice_pk, bob) == message
    assert sodium.box_open(boxed, nonce, alice_pk, bob) == message


@SETTINGS
@given(
    message=st.binary(max_size=300),
    nonce=nonces,
    key=keys,
    where=st.integers(0),
    bit=st.integers(0, 7),
)
def test_any_flipped_bit_is_refused(
    message: bytes, nonce: bytes, key: bytes, where: int, bit: int
) -> None:
    boxed = bytearray(pure.secretbox(message, nonce, key))
    boxed[where % len(boxed)] ^= 1 << bit
    for impl in (pure, sodium):
        with pytest.raises(CryptoError):
            impl.secretbox_open(bytes(boxed), nonce, key)


@settings(max_examples=60, deadline=None)
@given(message=st.binary(max_size=200), nonce=nonces, key=keys, cut=st.integers(1, 300))
def test_truncated_is_refused(message: bytes, nonce: bytes, key: bytes, cut: int) -> None:
    boxed = pure.secretbox(message, nonce, key)
    short = boxed[: max(0, len(boxed) - cut)]
    for impl in (pure, sodium):
        with pytest.raises(CryptoError):
            impl.secretbox_open(short, nonce, key)


def _other(value: bytes) -> bytes:
    return bytes([value[0] ^ 1]) + value[1:]


def test_wrong_nonce_key_or_peer_is_refused() -> None:
    nonce, key, message = os.urandom(24), os.urandom(32), b"attack at dawn" * 5
    boxed = pure.secretbox(message, nonce, key)
    alice, bob, eve = os.urandom(32), os.urandom(32), os.urandom(32)
    alice_pk, bob_pk, eve_pk = (pure.scalarmult_base(s) for s in (alice, bob, eve))
    sealed = pure.box(message, nonce, bob_pk, alice)
    for impl in (pure, sodium):
        for bad_nonce in (_other(nonce), nonce[:23] + bytes([nonce[23] ^ 0x80]), bytes(24)):
            with pytest.raises(CryptoError):
                impl.secretbox_open(boxed, bad_nonce, key)
            with pytest.raises(CryptoError):
                impl.box_open(sealed, bad_nonce, alice_pk, bob)
        with pytest.raises(CryptoError):
            impl.secretbox_open(boxed, nonce, _other(key))
        with pytest.raises(CryptoError):
            impl.box_open(sealed, nonce, eve_pk, bob)  # wrong sender
        with pytest.raises(CryptoError):
            impl.box_open(sealed, nonce, alice_pk, eve)  # wrong receiver
        with pytest.raises(CryptoError):
            impl.box_open_afternm(sealed, nonce, impl.box_beforenm(eve_pk, bob))
        assert impl.box_open(sealed, nonce, alice_pk, bob) == message


def test_subkey_cache_is_bounded_and_clearable() -> None:
    pure.clear_cache()
    nonce = os.urandom(24)
    for _ in range(pure._SUBKEYS_MAX + 10):
        key = os.urandom(32)
        assert pure.secretbox(b"m", nonce, key) == sodium.secretbox(b"m", nonce, key)
    assert len(pure._SUBKEYS) == pure._SUBKEYS_MAX
    pure.clear_cache()
    assert not pure._SUBKEYS


@pytest.mark.parametrize("start", [0, 1000, 2**32 - 5, 2**64 - 40])
def test_counting_nonces_as_curvezmq_sends_them(start: int) -> None:
    # CurveZMQ's MESSAGE nonces: a fixed 16-byte prefix and a big-endian
    # counter. The pure layer precomputes keystream for the next ones; every
    # box must still be libsodium's, whatever the sizes and skips in between.
    pure.clear_cache()
    key = os.urandom(32)
    sizes = [0, 1, 64, 96, 97, 500, 64, 5, 33]
    count = start
    for i in range(120):
        nonce = b"CurveZMQMESSAGEC" + (count % 2**64).to_bytes(8, "big")
        message = os.urandom(sizes[i % len(sizes)])
        boxed = pure.box_afternm(message, nonce, key)
        assert boxed == sodium.box_afternm(message, nonce, key), (i, len(message))
        assert pure.box_open_afternm(boxed, nonce, key) == message
        with pytest.raises(CryptoError):
            pure.box_open_afternm(boxed, b"CurveZMQMESSAGES" + nonce[16:], key)
        count += 3 if i % 40 == 39 else 1  # now and then a gap
    # Opening in order, on a fresh cache, as a receiver does.
    pure.clear_cache()
    boxes = []
    for i in range(70):
        nonce = b"CurveZMQMESSAGES" + ((start + i) % 2**64).to_bytes(8, "big")
        boxes.append((nonce, sodium.box_afternm(bytes([i]) * 40, nonce, key)))
    for i, (nonce, boxed) in enumerate(boxes):
        assert pure.box_open_afternm(boxed, nonce, key) == bytes([i]) * 40
        with pytest.raises(CryptoError):  # tampered, though its keystream was made ahead
            pure.box_open_afternm(boxed[:-1] + bytes([boxed[-1] ^ 1]), nonce, key)
    assert len(pure._streams) <= pure._AHEAD_MAX
    pure.clear_cache()
    assert not pure._streams and not pure._SUBKEYS and not pure._last_nonce


def test_caches_under_threads() -> None:
    # Four threads box counting nonces under one key, two of them sharing a
    # prefix (so they race on the same subkey, keystream and counters): every
    # box is still libsodium's.
    import threading

    pure.clear_cache()
    key = os.urandom(32)
    failures: list[str] = []

    def worker(prefix: bytes, start: int, step: int) -> None:
        for i in range(start, start + 200 * step, step):
            nonce = prefix + i.to_bytes(8, "big")
            message = bytes([i & 0xFF]) * (i % 90)
            if pure.box_afternm(message, nonce, key) != sodium.box_afternm(message, nonce, key):
                failures.append(f"{prefix!r} {i}")

    threads = [
        threading.Thread(target=worker, args=(b"CurveZMQMESSAGEC", 0, 2)),
        threading.Thread(target=worker, args=(b"CurveZMQMESSAGEC", 1, 2)),
        threading.Thread(target=worker, args=(b"CurveZMQMESSAGES", 0, 1)),
        threading.Thread(target=worker, args=(b"CurveZMQMESSAGES", 50, 1)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
        assert not t.is_alive()
    assert not failures
    pure.clear_cache()
