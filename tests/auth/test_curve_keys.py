"""``curve_keypair()`` and ``curve_public()``: Z85 keys as libzmq's, same answers as pyzmq."""

from __future__ import annotations

import sys
from typing import Any

import pytest

import purezmq
from purezmq.utils import z85


def _purezmq_keys_work() -> bool:
    try:
        import purezmq.crypto  # noqa: F401
    except ImportError:
        return False
    return True


needs_keys = pytest.mark.skipif(
    not _purezmq_keys_work(), reason="no purezmq crypto backend here (PyNaCl absent, no pure one)"
)


def _skip_cffi_curve_public(lib: Any) -> None:
    if lib is not purezmq and sys.implementation.name == "pypy":
        pytest.skip(
            "pyzmq's cffi backend (PyPy) fails inside curve_public (a TypeError in its cffi call)"
        )


def _skip_without_keys(lib: Any) -> None:
    if lib is purezmq and not _purezmq_keys_work():
        pytest.skip("no purezmq crypto backend here (PyNaCl absent, no pure one)")


def test_keypair_is_two_z85_keys(lib: Any) -> None:
    _skip_without_keys(lib)
    public, secret = lib.curve_keypair()
    assert type(public) is bytes and type(secret) is bytes
    assert len(public) == len(secret) == 40
    assert len(z85.decode(public)) == len(z85.decode(secret)) == 32
    assert lib.curve_public(secret) == public
    assert lib.curve_keypair() != (public, secret)  # fresh randomness each call


def test_public_of_a_fixed_secret(lib: Any) -> None:
    _skip_cffi_curve_public(lib)
    _skip_without_keys(lib)
    # the same answer from libzmq and purezmq, as str or bytes
    assert lib.curve_public(b"x" * 40) == b"o&#KPV6O&4Chmu8spM}R[6Hni1ig{ZuGb[[i#m#y"
    assert lib.curve_public("x" * 40) == b"o&#KPV6O&4Chmu8spM}R[6Hni1ig{ZuGb[[i#m#y"
    assert lib.curve_public(bytearray(b"x" * 40)) == lib.curve_public(b"x" * 40)


@needs_keys
def test_public_from_secret_matches_libzmq_both_ways(pyzmq: Any) -> None:
    for _ in range(5):
        public, secret = pyzmq.curve_keypair()
        assert purezmq.curve_public(secret) == public
        public, secret = purezmq.curve_keypair()
        assert pyzmq.curve_public(secret) == public


@pytest.mark.parametrize(
    ("secret", "error"),
    [
        (b"", ValueError),
        (b"0" * 39, ValueError),
        (b"0" * 41, ValueError),
        ("\u00e9" * 40, ValueError),  # 80 bytes once UTF-8
        (None, TypeError),
        (5, TypeError),
    ],
    ids=["empty", "short", "long", "non-ascii", "none", "int"],
)
def test_curve_public_bad_argument(lib: Any, secret: Any, error: type[BaseException]) -> None:
    _skip_cffi_curve_public(lib)
    _skip_without_keys(lib)
    with pytest.raises(error):
        lib.curve_public(secret)


@pytest.mark.parametrize(
    "secret", [b'"' * 40, b" " * 40, b"#" * 40], ids=["not-z85", "space", "over-32-bits"]
)
def test_curve_public_invalid_z85_is_einval(lib: Any, secret: bytes) -> None:
    _skip_without_keys(lib)
    with pytest.raises(lib.ZMQError) as info:
        lib.curve_public(secret)
    assert info.value.errno == lib.EINVAL


def test_exported_from_the_package_root() -> None:
    assert "curve_keypair" in purezmq.__all__ and "curve_public" in purezmq.__all__
