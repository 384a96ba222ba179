"""Turning a foreign handle into a plain integer address."""

from __future__ import annotations

import importlib
from typing import Any


def cast_int_addr(n: Any) -> int:
    """The integer address in `n`: an ``int`` as it is, or a cffi pointer (``void *``).

    Anything else raises ``ValueError``. cffi is optional: without it only ints pass.
    """
    if isinstance(n, int):
        return n
    try:
        cffi: Any = importlib.import_module("cffi")
    except ImportError:
        pass
    else:
        ffi = cffi.FFI()
        if isinstance(n, ffi.CData):
            return int(ffi.cast("size_t", n))
    raise ValueError(f"Cannot cast {n!r} to int")


__all__ = ["cast_int_addr"]
