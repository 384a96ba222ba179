"""zmq.utils.strtypes (deprecated in pyzmq 23, still importable) and zmq.utils.interop.
Same assertions against purezmq and pyzmq."""

from __future__ import annotations

import importlib
from typing import Any

import pytest


@pytest.fixture(params=["purezmq", "zmq"])
def lib(request: Any) -> Any:
    return pytest.importorskip(request.param)


@pytest.fixture
def strtypes(lib: Any) -> Any:
    return importlib.import_module(f"{lib.__name__}.utils.strtypes")


@pytest.fixture
def interop(lib: Any) -> Any:
    return importlib.import_module(f"{lib.__name__}.utils.interop")


def test_names(strtypes: Any) -> None:
    assert strtypes.bytes is bytes
    assert strtypes.unicode is str
    assert strtypes.basestring == (str,)
    assert strtypes.b is strtypes.asbytes is strtypes.cast_bytes
    assert strtypes.u is strtypes.cast_unicode
    assert set(strtypes.__all__) >= {"asbytes", "b", "u", "cast_bytes", "cast_unicode"}


def test_casts_warn_and_convert(strtypes: Any) -> None:
    with pytest.warns(DeprecationWarning, match="deprecated in pyzmq 23"):
        assert strtypes.cast_bytes("\u00e9") == b"\xc3\xa9"
    with pytest.warns(DeprecationWarning):
        assert strtypes.cast_bytes(b"x") == b"x"
    with pytest.warns(DeprecationWarning):
        assert strtypes.cast_bytes("\u00e9", "latin-1") == b"\xe9"
    with pytest.warns(DeprecationWarning):
        assert strtypes.cast_unicode(b"\xc3\xa9") == "\u00e9"
    with pytest.warns(DeprecationWarning):
        assert strtypes.cast_unicode(b"\xff", errors="replace") == "\ufffd"
    with pytest.warns(DeprecationWarning):
        assert strtypes.cast_unicode("s") == "s"


def test_casts_reject_other_types(strtypes: Any) -> None:
    for cast in (strtypes.cast_bytes, strtypes.cast_unicode):
        with pytest.warns(DeprecationWarning), pytest.raises(TypeError, match="unicode or bytes"):
            cast(5)


def test_cast_int_addr(interop: Any) -> None:
    assert interop.cast_int_addr(0) == 0
    assert interop.cast_int_addr(2**63) == 2**63
    for bad in ("12", 1.5, None, b"\x01"):
        with pytest.raises(ValueError, match="Cannot cast"):
            interop.cast_int_addr(bad)


def test_cast_int_addr_cffi_pointer(interop: Any) -> None:
    cffi = pytest.importorskip("cffi")
    ffi = cffi.FFI()
    buf = ffi.new("char[8]")
    ptr = ffi.cast("void *", buf)
    assert interop.cast_int_addr(ptr) == int(ffi.cast("size_t", buf)) != 0
