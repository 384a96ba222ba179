"""Shared fixtures (helpers live in tests/testing.py). Every context is torn
down with a bound, so a hang fails a test instead of blocking the suite; ports
come from port 0, ipc paths from temporary directories."""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from collections.abc import Iterator
from typing import Any, Callable

import pytest

import purezmq
from tests.testing import make_socket, terminate


class _ErrorRecords(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name == "purezmq":  # the I/O thread's own (not zmq.auth's, ...)
            self.records.append(record)


@pytest.fixture(autouse=True)
def no_io_thread_errors(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail a test during which an I/O thread logged an error: the loop
    survives any exception a handler lets out, so nothing else would show
    the bug (`IOThread._handler_failed`)."""
    handler = _ErrorRecords()
    logger = logging.getLogger("purezmq")
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
    if handler.records and request.node.get_closest_marker("io_errors_expected") is None:
        first = handler.records[0]
        pytest.fail(
            f"{len(handler.records)} error(s) logged by purezmq's I/O thread, first: "
            f"{first.getMessage()}\n{logging.Formatter().formatException(first.exc_info) if first.exc_info else ''}"
        )


@pytest.fixture
def ctx() -> Iterator[purezmq.Context]:
    context = purezmq.Context()
    yield context
    terminate(context)


@pytest.fixture
def pyzmq() -> Any:
    return pytest.importorskip("zmq")


@pytest.fixture
def pyctx(pyzmq: Any) -> Iterator[Any]:
    context = pyzmq.Context()
    yield context
    terminate(context)


@pytest.fixture
def ipc_dir() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="purezmq-") as d:
        yield d


@pytest.fixture
def new(ctx: Any) -> Iterator[Callable[[int], Any]]:
    """new(kind): a purezmq socket (`make_socket`), closed before `ctx` goes."""
    made: list[Any] = []

    def factory(kind: int) -> Any:
        sock = make_socket(ctx, kind)
        made.append(sock)
        return sock

    yield factory
    for sock in made:
        sock.close(linger=0)


@pytest.fixture
def libs(ctx: Any, pyctx: Any, pyzmq: Any) -> Iterator[Callable[[str, str], Any]]:
    """libs(side, kind): side 'pz' (purezmq) or 'py' (pyzmq), kind a type name
    such as "PUB"; sockets are closed before the contexts go."""
    made: list[Any] = []

    def factory(side: str, kind: str) -> Any:
        if side == "pz":
            sock = make_socket(ctx, getattr(purezmq, kind))
        else:
            sock = make_socket(pyctx, getattr(pyzmq, kind))
        made.append(sock)
        return sock

    yield factory
    for sock in made:
        sock.close(linger=0)


@pytest.fixture(params=["purezmq", "zmq"])
def lib(request: Any) -> Iterator[Any]:
    """The same test against purezmq and real pyzmq: the module, with a fresh
    context as ``lib.test_ctx`` (destroyed afterwards)."""
    mod = pytest.importorskip(request.param)
    ctx = mod.Context()
    mod.test_ctx = ctx
    yield mod
    ctx.destroy(linger=0)


# PyPy: pyzmq's cffi backend has segfaulted the interpreter during its
# teardown after a run whose every test passed (no Python stack: it happens
# after pytest has reported). Under PyPy only, end the process with pytest's
# own exit status once everything is reported and flushed.
_exit_status: list[int] = []


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    _exit_status[:] = [int(exitstatus)]


def pytest_unconfigure(config: Any) -> None:
    if sys.implementation.name == "pypy" and _exit_status and "zmq" in sys.modules:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_exit_status[0])
