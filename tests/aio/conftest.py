"""Fixtures for the asyncio tests: the same test against ``purezmq.asyncio``
and pyzmq's ``zmq.asyncio``."""

from __future__ import annotations

import importlib
import types
from collections.abc import Iterator
from typing import Any

import pytest

from tests.testing import terminate


@pytest.fixture(params=["purezmq", "purezmq-notify", "zmq"])
def aio(request: Any, monkeypatch: Any) -> Iterator[Any]:
    """``aio.zmq`` (the library), ``aio.asyncio`` (its asyncio module),
    ``aio.ctx`` (a fresh async Context, destroyed afterwards), ``aio.pure``.

    "purezmq-notify" is purezmq with its wake-up path for loops without
    add_reader (the mailbox notify hook) forced on every loop."""
    name = request.param.split("-")[0]
    mod = pytest.importorskip(name, reason=f"{name} is not installed")
    amod = importlib.import_module(name + ".asyncio")
    if request.param == "purezmq-notify":
        monkeypatch.setattr(amod._AsyncSocket, "_use_reader", False)
    ctx = amod.Context()
    yield types.SimpleNamespace(zmq=mod, asyncio=amod, ctx=ctx, pure=name == "purezmq")
    terminate(ctx)
