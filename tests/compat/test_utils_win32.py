"""zmq.utils.win32.allow_interrupt: importable everywhere; off Windows a context
manager that does nothing (the action is never called). Same assertions against
purezmq and pyzmq."""

from __future__ import annotations

import importlib
import os
from typing import Any

import pytest


@pytest.fixture(params=["purezmq", "zmq"])
def win32(request: Any) -> Any:
    pytest.importorskip(request.param)
    return importlib.import_module(f"{request.param}.utils.win32")


@pytest.mark.skipif(os.name == "nt", reason="checks the no-op used off Windows")
def test_allow_interrupt_is_a_no_op_off_windows(win32: Any) -> None:
    called = []
    with win32.allow_interrupt(lambda: called.append(1)) as value:
        assert value is None
    with win32.allow_interrupt():
        pass
    guard = win32.allow_interrupt(lambda: called.append(2))
    with guard:
        pass
    with guard:  # reusable
        pass
    assert called == []


@pytest.mark.skipif(os.name == "nt", reason="checks the no-op used off Windows")
def test_exceptions_pass_through(win32: Any) -> None:
    with pytest.raises(KeyError), win32.allow_interrupt():
        raise KeyError("inside")
