"""The pure layer's fast paths against its plain reference code: the Salsa20
layouts (diagonal, wide) against one block at a time at every size and
counter (including the 32-bit and 64-bit counter wraps), HSalsa20 likewise,
Poly1305's chunked sum against the textbook loop. No PyNaCl needed, so these
run on PyPy too."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from purezmq.crypto import pure

keys = st.binary(min_size=32, max_size=32)


@settings(max_examples=60, deadline=None)
@given(
    key=keys,
    nonce8=st.binary(min_size=8, max_size=8),
    count=st.one_of(st.integers(1, 5), st.sampled_from([8, 16, 17, 33])),
    counter=st.one_of(
        st.integers(0, 100),
        st.integers(2**32 - 20, 2**32 + 3),
        st.integers(2**64 - 10, 2**64 - 1),
        st.integers(0, 2**64 - 1),
    ),
)
def test_salsa20_layouts_match_reference(
    key: bytes, nonce8: bytes, count: int, counter: int
) -> None:
    expected = pure._ref_blocks(key, nonce8, counter, count)
    assert pure._salsa20_blocks(key, nonce8, count, counter) == expected
    if (counter & 0xFFFFFFFF) + count <= 2**32:  # the layouts themselves do not wrap
        assert pure._diag_blocks(key, nonce8, counter, count) == expected
        assert pure._wide_blocks(key, nonce8, counter, count) == expected


@settings(max_examples=60, deadline=None)
@given(key=keys, inp=st.binary(min_size=16, max_size=16))
def test_hsalsa20_matches_reference(key: bytes, inp: bytes) -> None:
    assert pure._hsalsa20(key, inp) == pure._hsalsa20_ref(key, inp)


def _poly1305_ref(key: bytes, msg: bytes) -> bytes:
    r = int.from_bytes(key[:16], "little") & 0x0FFFFFFC0FFFFFFC0FFFFFFC0FFFFFFF
    h, p = 0, 2**130 - 5
    for i in range(0, len(msg), 16):
        block = msg[i : i + 16]
        h = (h + int.from_bytes(block + b"\x01", "little")) * r % p
    return ((h + int.from_bytes(key[16:], "little")) % 2**128).to_bytes(16, "little")


@settings(max_examples=50, deadline=None)
@given(key=keys, msg=st.one_of(st.binary(max_size=200), st.binary(min_size=1000, max_size=5000)))
def test_poly1305_matches_textbook(key: bytes, msg: bytes) -> None:
    assert pure._poly1305(key, msg) == _poly1305_ref(key, msg)


@settings(max_examples=12, deadline=None)
@given(key=keys, size=st.integers(8 * 1024 - 40, 80 * 1024), seed=st.integers(0, 2**32))
def test_poly1305_long_messages_match_textbook(key: bytes, size: int, seed: int) -> None:
    # The chunked path over many chunks, and the block-by-block rest.
    msg = random.Random(seed).randbytes(size)
    assert pure._poly1305(key, msg) == _poly1305_ref(key, msg)


def test_poly1305_extreme_values() -> None:
    # All-ones key and message: the largest r, s and blocks, long and short paths.
    key = b"\xff" * 32
    for n in (0, 1, 16, 17, 1024, 1040, 4099, 8192, 8192 + 16 * 130 + 3, 65536 + 33, 70000):
        assert pure._poly1305(key, b"\xff" * n) == _poly1305_ref(key, b"\xff" * n)


def test_wide_lane_constants() -> None:
    # Built in closed form (linear time); here against the plain sums.
    for n in (1, 2, 3, 4, 5, 17, 64, 100, 1025, 2048):
        rep, ramp = pure._wide_consts(n)[:2]
        assert rep == sum(1 << (pure._LANE * j) for j in range(n))
        assert ramp == sum(j << (pure._LANE * j) for j in range(n))
