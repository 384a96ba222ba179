"""The pure layer's lane code at its boundaries.

Salsa20's wide layout keeps four blocks per 17-byte group and packs them down
on the way out, so every block count modulo 4 and the pass size (_WIDE_CHUNK)
are tried against one block at a time. Poly1305's row path picks a row width
from the message length and leaves the rest to the chunked and block-by-block
code, and adds the pad bits of all the rows at once: lengths on each side of
those switches, the largest values (all-ones key and message) and degenerate
keys (r = 0, r = 1) are checked against the textbook loop, and whole
secretboxes against libsodium when PyNaCl is there.
"""

from __future__ import annotations

import os
import random

import pytest

from purezmq.crypto import CryptoError, pure

P1305 = 2**130 - 5


def _poly1305_ref(key: bytes, msg: bytes) -> bytes:
    r = int.from_bytes(key[:16], "little") & 0x0FFFFFFC0FFFFFFC0FFFFFFC0FFFFFFF
    h = 0
    for i in range(0, len(msg), 16):
        h = (h + int.from_bytes(msg[i : i + 16] + b"\x01", "little")) * r % P1305
    return ((h + int.from_bytes(key[16:], "little")) % 2**128).to_bytes(16, "little")


@pytest.mark.parametrize("count", [4, 5, 6, 7, 8, 61, 62, 63, 64, 65, 127, 1025, 1026, 1027])
def test_wide_blocks_every_group_remainder(count: int) -> None:
    rnd = random.Random(count)
    key, nonce8 = rnd.randbytes(32), rnd.randbytes(8)
    for counter in (0, 2**32 - count, rnd.randrange(2**64 - count)):
        expected = pure._ref_blocks(key, nonce8, counter, count)
        assert pure._wide_blocks(key, nonce8, counter, count) == expected, counter


@pytest.mark.parametrize("extra", [-1, 0, 1, 3, pure._WIDE_CHUNK + 2])
def test_salsa20_across_the_pass_size(extra: int) -> None:
    # More blocks than one pass makes: the passes must join seamlessly,
    # including a 32-bit counter wrap inside the run.
    count = pure._WIDE_CHUNK + extra
    rnd = random.Random(extra)
    key, nonce8 = rnd.randbytes(32), rnd.randbytes(8)
    for counter in (7, 2**32 - 1000):
        expected = pure._ref_blocks(key, nonce8, counter, count)
        assert pure._salsa20_blocks(key, nonce8, count, counter) == expected


def test_wide_constants_align_every_lane() -> None:
    # After the two packing steps, lane j's word sits at bit 136 * (j // 4) +
    # 32 * (j % 4) and nothing else is set: checked on all-ones words.
    for n in (1, 2, 3, 4, 5, 9, 64, 1025):
        rep, _, m = pure._wide_consts(n)[:3]
        keep1, move1, keep2, move2 = pure._wide_consts(n)[11:15]
        y = (keep1 & m) | ((move1 & m) >> 2)
        y = (y & keep2) | ((y & move2) >> 4)
        expected = sum(0xFFFFFFFF << (136 * (j // 4) + 32 * (j % 4)) for j in range(n))
        assert y == expected, n
        assert (keep1 | move1) == m and not keep1 & move1


LENGTHS = [
    16 * (pure._POLY_ROWS_FROM - 1) + 5,  # below the row path
    16 * pure._POLY_ROWS_FROM,  # the shortest on the row path
    16 * (pure._POLY_ROWS_FROM + 63) + 15,  # rows, then single blocks and a tail
    16 * 64 * 12,  # rows exactly
    16 * 2048,  # the last width-64 length
    16 * 2049,  # width 128
    16 * 2049 + 16 * 127 + 9,  # width 128 with the chunked middle path after it
    65537,  # a 64 KiB CurveZMQ frame and its flags byte
    16 * 8193 + 1,  # width 256
]


@pytest.mark.parametrize("size", LENGTHS)
def test_poly1305_rows_match_textbook(size: int) -> None:
    rnd = random.Random(size)
    key, msg = rnd.randbytes(32), rnd.randbytes(size)
    assert pure._poly1305(key, msg) == _poly1305_ref(key, msg)


@pytest.mark.parametrize("size", [16 * pure._POLY_ROWS_FROM, 65537, 16 * 70000 + 3])
def test_poly1305_rows_largest_values(size: int) -> None:
    # All-ones: the largest r, s and blocks, so every lane bound is met exactly.
    key = b"\xff" * 32
    assert pure._poly1305(key, b"\xff" * size) == _poly1305_ref(key, b"\xff" * size)


@pytest.mark.parametrize("r", [0, 1, 2, 5])
def test_poly1305_rows_degenerate_r(r: int) -> None:
    # r = 0 and r = 1: every power of r the same.
    key = r.to_bytes(16, "little") + os.urandom(16)
    for size in (16 * pure._POLY_ROWS_FROM, 16 * pure._POLY_ROWS_FROM + 7, 65537):
        msg = os.urandom(size)
        assert pure._poly1305(key, msg) == _poly1305_ref(key, msg), (r, size)


SECRETBOX_LENGTHS = [
    0,
    31,
    32,
    33,
    96,
    97,
    16 * pure._POLY_ROWS_FROM - 32,
    16 * pure._POLY_ROWS_FROM - 31,
    16 * pure._POLY_ROWS_FROM - 1,  # the last box whose MAC takes no rows
    16 * pure._POLY_ROWS_FROM,  # the first that does (seal and open share them)
    16 * pure._POLY_ROWS_FROM + 15,
    65536,
    65537,
    64 * 2048 - 32,
    64 * 2048 - 31,
]


@pytest.mark.parametrize("size", SECRETBOX_LENGTHS)
def test_secretbox_boundaries_agree_with_libsodium(size: int) -> None:
    # Sizes where the keystream's block count or Poly1305's path changes
    # (the box's keystream is 32 bytes longer than the message).
    bindings = pytest.importorskip("nacl.bindings", reason="PyNaCl (libsodium) is not installed")
    rnd = random.Random(size)
    key, nonce, msg = rnd.randbytes(32), rnd.randbytes(24), rnd.randbytes(size)
    boxed = pure.secretbox(msg, nonce, key)
    assert boxed == bindings.crypto_secretbox(msg, nonce, key)
    assert pure.secretbox_open(boxed, nonce, key) == msg


@pytest.mark.parametrize("size", [16 * pure._POLY_ROWS_FROM + 100, 65537])
def test_long_boxes_refuse_any_tampering(size: int) -> None:
    # Seal and open on the row path keep the MAC's row integers for the xor:
    # a flipped bit in the tag, in a row or in the rest must still be refused,
    # by secretbox_open and by the codec alike.
    key, nonce = os.urandom(32), os.urandom(24)
    msg = os.urandom(size)
    boxed = pure.secretbox(msg, nonce, key)
    assert pure.secretbox_open(boxed, nonce, key) == msg
    seal, open_ = pure.afternm_codec(key)
    sealed = seal(b"H", msg[:1], msg[1:], nonce)
    assert sealed == b"H" + boxed
    for where in (0, 15, 16, 17, 16 + 16 * 64 + 3, len(boxed) - 1):
        bad = bytearray(boxed)
        bad[where] ^= 0x80
        with pytest.raises(CryptoError):
            pure.secretbox_open(bytes(bad), nonce, key)
        with pytest.raises(CryptoError):
            open_(b"H" + bytes(bad), 1, nonce)
    assert open_(sealed, 1, nonce) == (msg[0], msg[1:])
