"""libsodium's in-place codec (`sodium.inplace_codec`): many boxes sealed in
one bytearray, many opened out of one buffer, each box the bytes
`box_afternm` makes, on both sides of every scratch-buffer size."""

from __future__ import annotations

import itertools
import os
from typing import Any

import pytest

from purezmq import crypto
from purezmq.crypto import CryptoError, pure

pytest.importorskip("nacl.bindings", reason="PyNaCl (libsodium) is not installed")
from purezmq.crypto import sodium

# around the small/large split (1024), the first scratch (4096) and the kept one (256 KiB)
SIZES = [1, 2, 64, 1024, 1025, 4096, 4097, 9000, 256 * 1024, 256 * 1024 + 1, 300000]


def codec(key: bytes) -> tuple[Any, Any]:
    pair = sodium.inplace_codec(key)
    assert pair is not None
    return pair


def layout(plains: list[bytes], gap: int = 5) -> tuple[bytearray, list[int], list[int]]:
    """The plaintexts in one bytearray, each after 16 bytes for its tag and
    with ``gap`` bytes of other data between boxes."""
    buf = bytearray(b"\xee" * gap)
    offsets, ends = [], []
    for plain in plains:
        offsets.append(len(buf))
        buf += bytes(16) + plain
        ends.append(len(buf))
        buf += b"\xee" * gap
    return buf, offsets, ends


def test_seal_spans_seals_each_box_in_place_as_box_afternm() -> None:
    key = os.urandom(32)
    seal_spans, _ = codec(key)
    plains = [os.urandom(size) for size in SIZES]
    nonces = [os.urandom(24) for _ in plains]
    buf, offsets, ends = layout(plains)
    spans: list[Any] = []
    for off, end, nonce in zip(offsets, ends, nonces):
        spans += (off, end, nonce)
    seal_spans(buf, spans)
    for off, end, plain, nonce in zip(offsets, ends, plains, nonces):
        assert bytes(buf[off:end]) == pure.box_afternm(plain, nonce, key)
        assert buf[off - 5 : off] == b"\xee" * 5  # nothing outside the box moved
    buf += b"grows"  # the buffer is released again
    seal_spans(bytearray(), [])


def test_open_spans_opens_every_box_of_a_buffer() -> None:
    key = os.urandom(32)
    _, open_spans = codec(key)
    plains = [os.urandom(size) for size in SIZES + [3, 70000, 5]]  # scratch regrown, then kept
    nonces = [os.urandom(24) for _ in plains]
    boxes = [crypto.box_afternm(p, n, key) for p, n in zip(plains, nonces)]
    data = b""
    starts, stops = [], []
    for box in boxes:
        data += b"HEAD"
        starts.append(len(data) - 4)
        data += box
        stops.append(len(data))
    firsts = bytearray()
    rests: list[bytes] = []
    assert open_spans(data, starts, stops, 4, nonces, firsts, rests)
    assert list(firsts) == [p[0] for p in plains]
    assert rests == [p[1:] for p in plains]
    assert all(type(r) is bytes for r in rests)


@pytest.fixture(scope="module")
def one_codec() -> tuple[bytes, Any, Any]:
    """One key and its codec, for every case of a parametrized test."""
    key = os.urandom(32)
    return (key, *codec(key))


@pytest.mark.parametrize("count", [3, 40, 20, sodium._NONCES_KEEP + 7, 50])
def test_packed_nonces_of_any_count_open_and_seal_their_boxes(
    one_codec: tuple[bytes, Any, Any], count: int
) -> None:
    """Packed nonces, fewer and more than the codec keeps pointers for (the
    same codec throughout: kept pointers grow, an oversize batch gets its own,
    the next small one uses the kept ones again)."""
    key, seal_spans, open_spans = one_codec
    plains = [os.urandom(1 + i % 50) for i in range(count)]
    nonces = [os.urandom(24) for _ in plains]
    packed = bytearray(b"".join(nonces))
    boxes = [crypto.box_afternm(p, n, key) for p, n in zip(plains, nonces)]
    data = b"".join(boxes)
    stops = list(itertools.accumulate(map(len, boxes)))
    starts = [0, *stops[:-1]]
    firsts = bytearray()
    rests: list[bytes] = []
    assert open_spans(data, starts, stops, 0, packed, firsts, rests)
    assert [bytes([f]) + r for f, r in zip(firsts, rests)] == plains
    buf = bytearray(b"".join(p + bytes(16) for p in plains))
    seal_spans(buf, [(0, [len(p) + 16 for p in plains], [len(p) for p in plains], packed)])
    assert bytes(buf) == data


@pytest.mark.parametrize("bad_size", [1, 2000, 300000])
def test_open_spans_stops_at_the_first_box_that_does_not_open(bad_size: int) -> None:
    key = os.urandom(32)
    _, open_spans = codec(key)
    plains = [b"\x01one", os.urandom(bad_size), b"\x00three"]
    nonces = [os.urandom(24) for _ in plains]
    boxes = [bytearray(crypto.box_afternm(p, n, key)) for p, n in zip(plains, nonces)]
    boxes[1][-1] ^= 1
    data = b"".join(bytes(b) for b in boxes)
    stops = [len(boxes[0]), len(boxes[0]) + len(boxes[1]), len(data)]
    starts = [0, stops[0], stops[1]]
    firsts = bytearray()
    rests: list[bytes] = []
    assert not open_spans(data, starts, stops, 0, nonces, firsts, rests)
    assert (bytes(firsts), rests) == (b"\x01", [b"one"])
    # only the nonces given are opened: the bad box is never reached
    firsts, rests = bytearray(), []
    assert open_spans(data, starts, stops, 0, nonces[:1], firsts, rests)
    assert rests == [b"one"]


def test_open_spans_refuses_a_box_with_no_first_byte() -> None:
    key, nonce = os.urandom(32), os.urandom(24)
    _, open_spans = codec(key)
    empty = crypto.box_afternm(b"", nonce, key)  # a tag and nothing else
    firsts = bytearray()
    rests: list[bytes] = []
    assert not open_spans(empty, [0], [16], 0, [nonce], firsts, rests)
    assert not firsts and not rests


def test_inplace_codec_checks_its_key_once() -> None:
    with pytest.raises(CryptoError):
        sodium.inplace_codec(bytes(31))
