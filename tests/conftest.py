"""Shared fixtures. Every context is torn down with a bound, so a hang fails a
test instead of blocking the suite; ports come from port 0, ipc paths from
temporary directories."""

from __future__ import annotations

import sys
import tempfile
import threading
import traceback
from collections.abc import Iterator
from typing import Any, Callable

import pytest

import purezmq

TERM_TIMEOUT = 10.0


def terminate(ctx: Any, timeout: float = TERM_TIMEOUT) -> None:
    """Destroy a context (purezmq or pyzmq) in a helper thread; fail if it hangs."""
    done = threading.Event()
    error: list[BaseException] = []

    def run() -> None:
        try:
            ctx.destroy(linger=0)
        except BaseException as exc:  # reported below
            error.append(exc)
        finally:
            done.set()

    threading.Thread(target=run, daemon=True, name="terminate-context").start()
    if not done.wait(timeout):
        state = getattr(ctx, "_debug_state", lambda: "")()
        pytest.fail(f"context {ctx!r} did not terminate within {timeout}s {state}\n{_stacks()}")
    if error:
        raise error[0]


def _stacks() -> str:
    """Every thread's stack, to show where a hang sits."""
    names = {t.ident: t.name for t in threading.enumerate()}
    out = []
    for ident, frame in sys._current_frames().items():
        out.append(f"--- thread {names.get(ident, ident)}")
        out.extend(traceback.format_stack(frame)[-6:])
    return "".join(out)


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


def make_socket(context: Any, kind: int, timeout_ms: int = 5000) -> Any:
    """A socket with send/recv timeouts and linger 0, for either library."""
    sock = context.socket(kind)
    sock.setsockopt(purezmq.RCVTIMEO, timeout_ms)
    sock.setsockopt(purezmq.SNDTIMEO, timeout_ms)
    sock.setsockopt(purezmq.LINGER, 0)
    return sock


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
