"""Helpers shared by tests in more than one directory.

The test directories have no __init__.py and share one import namespace, so
this module sits beside conftest.py and is imported as ``from helpers import
...`` (zmtp/ and devices/ keep their own zmtp_helpers and device_helpers).

* Cores and routing objects on in-memory pipes, no threads: `run_now`,
  `CorePeer`, `drain_pipe`, `recv_all`, `check_pipe_array`.
* Real sockets, either library: `bind`, `until`, `drain_socket`, `efsm`.
"""

from __future__ import annotations

import os
import time
from typing import Any, Callable

import pytest

import purezmq
from purezmq.routing.array import PipeArray
from purezmq.routing.pipe import Pipe, pipe_pair

# ---------------------------------------------------------------------------
# In-memory pipes
# ---------------------------------------------------------------------------


def run_now(fn: Callable[..., Any], *args: Any) -> None:
    """A pipe's ``post`` that runs the notification at once (no mailbox)."""
    fn(*args)


def drain_pipe(pipe: Pipe) -> list[Any]:
    """Everything queued for `pipe` to read, in order."""
    out = []
    while True:
        item = pipe.read()
        if item is None:
            return out
        out.append(item)


def recv_all(source: Any) -> list[Any]:
    """Call ``source.recv()`` (a core, a FairQueue) until it returns None."""
    out = []
    while True:
        msg = source.recv()
        if msg is None:
            return out
        out.append(msg)


def check_pipe_array(arr: PipeArray) -> None:
    """The list/index invariants every `PipeArray` keeps."""
    pipes, index = arr._pipes, arr._index
    assert len(pipes) == len(index) == len(set(map(id, pipes)))
    for i, p in enumerate(pipes):
        assert index[p] == i
    assert 0 <= arr._active <= len(pipes)


class CorePeer:
    """The far end of a pipe attached to a socket core (what a session would
    be). Notifications on both ends run at once, so every call is synchronous."""

    def __init__(
        self, core: Any, hwm: int = 0, identity: bytes = b"", conflate: bool = False
    ) -> None:
        ours, theirs = pipe_pair(hwm, hwm, conflate)
        self.core = core
        self.pipe: Pipe = theirs
        self.sock_end = ours
        theirs.bind(self, run_now)
        ours.bind(core, run_now)
        ours.peer_identity = identity
        core.attach(ours)

    # PipeSink
    def read_activated(self, pipe: Pipe) -> None:
        pass

    def write_activated(self, pipe: Pipe) -> None:
        pass

    def pipe_terminated(self, pipe: Pipe) -> None:
        pass

    def send(self, item: Any) -> bool:
        return self.pipe.write(item)

    def drain(self) -> list[Any]:
        return drain_pipe(self.pipe)

    def close(self) -> None:
        self.pipe.close()


# ---------------------------------------------------------------------------
# Real sockets
# ---------------------------------------------------------------------------


def bind(sock: Any, transport: str, ipc_dir: str, name: str = "sock") -> str:
    """Bind `sock` on a fresh endpoint of `transport`; returns the address."""
    if transport == "tcp":
        port = sock.bind_to_random_port("tcp://127.0.0.1")
        return f"tcp://127.0.0.1:{port}"
    if transport == "ipc":
        addr = "ipc://" + os.path.join(ipc_dir, f"{name}-{id(sock)}")
    else:
        addr = f"inproc://{name}-{id(sock)}"
    sock.bind(addr)
    return addr


def until(pub_send: Callable[[], Any], sub: Any, timeout: float = 5.0) -> list[bytes]:
    """Publish until the subscriber gets something (the slow joiner)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pub_send()
        if sub.poll(20):
            return sub.recv_multipart()  # type: ignore[no-any-return]
    raise AssertionError("subscription never propagated")


def drain_socket(sock: Any, wait_ms: int = 50) -> list[list[bytes]]:
    """Every message that arrives with no gap longer than `wait_ms`."""
    out = []
    while sock.poll(wait_ms):
        out.append(sock.recv_multipart())
    return out


def efsm(fn: Any, *args: Any) -> None:
    """``fn(*args)`` raises ZMQError(EFSM)."""
    with pytest.raises(purezmq.ZMQError) as exc:
        fn(*args)
    assert exc.value.errno == purezmq.EFSM
