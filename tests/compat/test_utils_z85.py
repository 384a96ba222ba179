"""zmq.utils.z85 (ZeroMQ RFC 32): the spec's test vector, round trips, libzmq's own
Z85 text, and the errors for bad lengths and characters. Every test runs against
purezmq and real pyzmq."""

from __future__ import annotations

import importlib
import os
import struct
from typing import Any

import pytest


@pytest.fixture(params=["purezmq", "zmq"])
def z85(request: Any) -> Any:
    pytest.importorskip(request.param)
    return importlib.import_module(f"{request.param}.utils.z85")


# RFC 32's worked example: these 8 bytes are "HelloWorld".
RFC_BINARY = bytes([0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B])
RFC_TEXT = b"HelloWorld"


def test_rfc32_vector(z85: Any) -> None:
    assert z85.encode(RFC_BINARY) == RFC_TEXT
    assert z85.decode(RFC_TEXT) == RFC_BINARY
    assert z85.decode(RFC_TEXT.decode()) == RFC_BINARY  # str is accepted


def test_alphabet_order(z85: Any) -> None:
    # 0 is "00000"; 84 * 85**k in each position gives "#" there (the last symbol).
    assert z85.encode(b"\0\0\0\0") == b"00000"
    assert z85.encode(b"\xff\xff\xff\xff") == b"%nSc0"
    assert len(z85.Z85CHARS) == 85 and len(set(z85.Z85CHARS)) == 85
    assert z85.Z85CHARS[:10] == b"0123456789" and z85.Z85CHARS.endswith(b"@%$#")
    assert all(z85.Z85MAP[c] == i for i, c in enumerate(z85.Z85CHARS))


@pytest.mark.parametrize("size", [0, 4, 8, 32, 64, 400])
def test_round_trip(z85: Any, size: int) -> None:
    data = os.urandom(size)
    text = z85.encode(data)
    assert isinstance(text, bytes) and len(text) == size * 5 // 4
    assert z85.decode(text) == data
    assert z85.encode(bytearray(data)) == text
    assert z85.encode(memoryview(data)) == text
    assert z85.decode(bytearray(text)) == data


def test_libzmq_curve_keys_round_trip(z85: Any) -> None:
    """Keys encoded by libzmq itself (zmq_curve_keypair) decode to 32 bytes and back."""
    zmq = pytest.importorskip("zmq")
    if not zmq.has("curve"):
        pytest.skip("this libzmq has no CURVE, so no libzmq-made Z85 keys")
    for key in zmq.curve_keypair():
        raw = z85.decode(key)
        assert len(raw) == 32
        assert z85.encode(raw) == key


@pytest.mark.parametrize("size", [1, 2, 3, 5, 31])
def test_encode_length_error(z85: Any, size: int) -> None:
    with pytest.raises(ValueError, match=f"multiple of 4, not {size}"):
        z85.encode(b"x" * size)


@pytest.mark.parametrize("size", [1, 4, 6, 39])
def test_decode_length_error(z85: Any, size: int) -> None:
    with pytest.raises(ValueError, match=f"multiple of 5, not {size}"):
        z85.decode(b"0" * size)


def test_decode_non_ascii_str(z85: Any) -> None:
    with pytest.raises(ValueError, match="ASCII"):
        z85.decode("Hell\u00f6")


@pytest.mark.parametrize("text", [b"Hell~", b"00 00", b'"0000', b"0000\x80"])
def test_decode_bad_character(z85: Any, text: bytes) -> None:
    with pytest.raises(KeyError):
        z85.decode(text)


def test_decode_group_over_32_bits(z85: Any) -> None:
    # "%nSc1" is 2**32: one more than the largest 4-byte group.
    with pytest.raises(struct.error):
        z85.decode(b"%nSc1")
    assert z85.decode(b"%nSc0") == b"\xff\xff\xff\xff"


def test_purezmq_error_messages_name_the_input() -> None:
    from purezmq.utils import z85

    with pytest.raises(KeyError, match=r"'~' at offset 4 is not a Z85 character"):
        z85.decode(b"Hell~")
    with pytest.raises(ValueError, match=r"'%nSc1' at offset 5 exceeds 32 bits"):
        z85.decode(b"00000%nSc1")
    with pytest.raises(TypeError, match="bytes, not str"):
        z85.encode("abcd")  # type: ignore[arg-type]
