"""The one module of test helpers; tests import ``from tests.testing import ...``
(conftest.py holds only fixtures).

* Waiting on a condition, never on time: `eventually`, `wait_for_event`,
  `watch`, `wait_connected`, `io_barrier`, `bind_when_free`, `on_stack`,
  `innermost`, `until`, `settle_subscriptions`.
* Real sockets and contexts, either library: `make_socket`, `terminate`,
  `term_in_thread`, `bind`, `drain_socket`, `efsm`, `RelayThread`, `fd_count`.
* The I/O thread: `FakeClock`, `context_on_clock`, `on_loop`, `sync`, `advance`.
* Cores and routing objects on in-memory pipes, no threads: `run_now`,
  `CorePeer`, `drain_pipe`, `recv_all`, `check_pipe_array`.
* The sans-IO codec: vectors (`libzmq`, `rfc`), raw wire builders written from
  the RFC text independently of purezmq (`greeting`, `frame`, `command`,
  `metadata`, `ready`), feeders, and `pair`/`pump` for two Connections.
"""

from __future__ import annotations

import errno
import json
import os
import socket as pysocket
import struct
import sys
import threading
import time
import traceback
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import Any, Callable, Optional, TypeVar

import pytest

import purezmq
from purezmq.reactor.loop import IOThread
from purezmq.routing.array import PipeArray
from purezmq.routing.pipe import Pipe, pipe_pair
from purezmq.zmtp import Connection, Phase
from purezmq.zmtp.events import AuthRequest, Message, Ready
from purezmq.zmtp.framing import encode_command, encode_metadata

T = TypeVar("T")

TERM_TIMEOUT = 10.0
JOIN_TIMEOUT = 10.0
WAIT_TIMEOUT = 5.0

# ---------------------------------------------------------------------------
# Waiting on a condition
# ---------------------------------------------------------------------------


def eventually(
    predicate: Callable[[], T],
    timeout: float = WAIT_TIMEOUT,
    interval: float = 0.005,
    what: str = "",
) -> T:
    """Call `predicate` until it returns something truthy and return that; fail
    the test if it has not within `timeout` seconds. `what` names the awaited
    condition in the failure (default: the predicate's name or source)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        left = deadline - time.monotonic()
        if left <= 0:
            break
        time.sleep(min(interval, left))  # a poll interval, not a settle
    pytest.fail(f"timed out after {timeout}s waiting for {what or _describe(predicate)}")


def _describe(fn: Callable[..., Any]) -> str:
    name = getattr(fn, "__qualname__", repr(fn))
    if "<lambda>" not in name:
        return name
    try:
        import inspect

        return inspect.getsource(fn).strip()
    except (OSError, TypeError):
        return name


MONITOR_HEADER = struct.Struct("=HI")


def _again_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [purezmq.Again]
    zmq = sys.modules.get("zmq")  # pyzmq, if a test uses it
    if zmq is not None:
        errors.append(zmq.Again)
    return tuple(errors)


def event_name(event: int) -> str:
    try:
        return purezmq.Event(event).name
    except ValueError:
        return hex(event)


def recv_event(monitor: Any, timeout: float = WAIT_TIMEOUT) -> Optional[tuple[int, int, str]]:
    """The next monitor event as (event, value, endpoint), or None if none
    arrives within `timeout` seconds. Works with purezmq and pyzmq monitor
    sockets: frame 1 is struct "=HI" (event, value), frame 2 the endpoint."""
    monitor.setsockopt(purezmq.RCVTIMEO, max(1, int(timeout * 1000)))
    try:
        frames = monitor.recv_multipart()
    except _again_errors():
        return None
    event, value = MONITOR_HEADER.unpack(frames[0][: MONITOR_HEADER.size])
    endpoint = frames[1].decode() if len(frames) > 1 else ""
    return event, value, endpoint


def wait_for_event(
    monitor: Any, event: int, timeout: float = WAIT_TIMEOUT, count: int = 1
) -> list[tuple[int, int, str]]:
    """Read `monitor` until `event` has been seen `count` times; returns every
    event read, in order, as (event, value, endpoint). Fails the test, listing
    what was seen, if that takes longer than `timeout` seconds."""
    seen: list[tuple[int, int, str]] = []
    hits = 0
    deadline = time.monotonic() + timeout
    while hits < count:
        left = deadline - time.monotonic()
        got = recv_event(monitor, left) if left > 0 else None
        if got is None:
            pytest.fail(
                f"timed out after {timeout}s waiting for {count} x {event_name(event)};"
                f" saw {[event_name(e) for e, _, _ in seen]}"
            )
        seen.append(got)
        if got[0] == event:
            hits += 1
    return seen


def watch(sock: Any, events: Optional[int] = None) -> Any:
    """A monitor socket for `sock` (either library). Call it before bind or
    connect so no event is missed; close it (linger 0) before `sock`'s context
    goes."""
    monitor = sock.get_monitor_socket(events)
    monitor.setsockopt(purezmq.LINGER, 0)
    return monitor


def wait_connected(monitor: Any, count: int = 1, timeout: float = WAIT_TIMEOUT) -> None:
    """Wait until `count` more connections of the socket `monitor` watches (see
    `watch`) have finished their ZMTP handshake and been handed to the socket,
    so the next send can route to every one of them. Not for inproc, which has
    no handshake: an inproc connect is wired when connect() returns."""
    wait_for_event(monitor, purezmq.EVENT_HANDSHAKE_SUCCEEDED, timeout, count)
    if isinstance(monitor, purezmq.Socket):
        io_barrier(monitor.context)


def io_barrier(ctx: purezmq.Context) -> None:
    """Return once a purezmq context's I/O thread has run everything queued
    before this call. The I/O thread reports HANDSHAKE_SUCCEEDED from inside
    the callback that goes on to post the new pipe to the socket, so after
    this barrier that post has happened and the socket's next send or recv
    attaches the pipe."""
    on_loop(ctx.io(), lambda: None)


def bind_when_free(sock: Any, addr: str, timeout: float = WAIT_TIMEOUT) -> None:
    """Bind `sock` to `addr` as soon as the address is free: a closed or
    unbound socket's listener goes away on its I/O thread, a moment later."""

    def bound() -> bool:
        try:
            sock.bind(addr)
        except Exception as exc:
            if getattr(exc, "errno", None) == errno.EADDRINUSE:
                return False
            raise
        return True

    eventually(bound, timeout, what=f"{addr} free to bind")


def on_stack(thread: threading.Thread, name: str) -> bool:
    """True while a function called `name` is on `thread`'s Python stack (to
    wait until a thread is inside a blocking call). Code in C, such as
    pyzmq's recv, has no frame of its own: there the caller's frame is the
    innermost one."""
    frame = sys._current_frames().get(thread.ident or 0)
    while frame is not None:
        if frame.f_code.co_name == name:
            return True
        frame = frame.f_back
    return False


def innermost(thread: threading.Thread) -> str:
    """The name of the function `thread` is running (its innermost Python frame)."""
    frame = sys._current_frames().get(thread.ident or 0)
    return "" if frame is None else frame.f_code.co_name


def until(pub_send: Callable[[], Any], sub: Any, timeout: float = WAIT_TIMEOUT) -> list[bytes]:
    """Publish until the subscriber gets something (the slow joiner); returns
    the first message received."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pub_send()
        if sub.poll(20):
            return sub.recv_multipart()  # type: ignore[no-any-return]
    pytest.fail(f"subscription never propagated within {timeout}s")


def settle_subscriptions(
    pub: Any, sub: Any, topic: bytes = b"", timeout: float = WAIT_TIMEOUT
) -> None:
    """Publish probes until `sub` gets one (slow joiner), then drain probes."""
    probe = topic + b"\x00probe"
    until(lambda: pub.send(probe), sub, timeout)
    drain_socket(sub, 100)


# ---------------------------------------------------------------------------
# Real sockets and contexts
# ---------------------------------------------------------------------------


def make_socket(context: Any, kind: int, timeout_ms: int = 5000) -> Any:
    """A socket with send/recv timeouts and linger 0, for either library."""
    sock = context.socket(kind)
    sock.setsockopt(purezmq.RCVTIMEO, timeout_ms)
    sock.setsockopt(purezmq.SNDTIMEO, timeout_ms)
    sock.setsockopt(purezmq.LINGER, 0)
    return sock


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
        pytest.fail(f"context {ctx!r} did not terminate within {timeout}s {state}\n{stacks()}")
    if error:
        raise error[0]


def term_in_thread(ctx: Any, timeout: float = JOIN_TIMEOUT) -> None:
    """ctx.term() from a helper thread, failing (not hanging) if it blocks."""
    t = threading.Thread(target=ctx.term, daemon=True, name="term")
    t.start()
    t.join(timeout)
    assert not t.is_alive(), f"{ctx!r}.term() did not return within {timeout}s"


def stacks() -> str:
    """Every thread's stack, to show where a hang sits."""
    names = {t.ident: t.name for t in threading.enumerate()}
    out = []
    for ident, frame in sys._current_frames().items():
        out.append(f"--- thread {names.get(ident, ident)}")
        out.extend(traceback.format_stack(frame)[-6:])
    return "".join(out)


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


def fd_count() -> int:
    return len(os.listdir("/proc/self/fd"))


class RelayThread:
    """Run `fn(*args)` (proxy, proxy_steerable, monitored_queue...) on a thread
    and record how it ended."""

    def __init__(
        self, fn: Callable[..., Any], *args: Any, close: Optional[list[Any]] = None
    ) -> None:
        self.result: Any = None
        self.error: Optional[BaseException] = None
        self._close = close or []
        self.thread = threading.Thread(target=self._run, args=(fn, args), daemon=True, name="relay")
        self.thread.start()

    def _run(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        try:
            self.result = fn(*args)
        except BaseException as exc:  # inspected by the test
            self.error = exc
        finally:
            for sock in self._close:
                sock.close()

    def join(self, timeout: float = JOIN_TIMEOUT) -> None:
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "relay thread still running"


# ---------------------------------------------------------------------------
# An IOThread on a fake clock
# ---------------------------------------------------------------------------


ZapVerdict = Callable[[list[bytes]], "tuple[bytes, bytes, bytes]"]


class ZapHandler:
    """An RFC 27 handler answering on its own thread: a REP socket bound at
    inproc://zeromq.zap.01 in `ctx` (purezmq or pyzmq). `decide(request)`
    gets the request's frames (version, request id, domain, address,
    identity, mechanism, credentials...) and returns (status code, status
    text, user id). `requests` keeps every request answered."""

    def __init__(self, lib: Any, ctx: Any, decide: ZapVerdict) -> None:
        self.sock = ctx.socket(lib.REP)
        self.sock.linger = 0
        self.sock.bind("inproc://zeromq.zap.01")
        self.requests: list[list[bytes]] = []
        self._decide = decide
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            if not self.sock.poll(20):
                continue
            request = self.sock.recv_multipart()
            self.requests.append(request)
            code, text, user_id = self._decide(request)
            self.sock.send_multipart([b"1.0", request[1], code, text, user_id, b""])

    def close(self) -> None:
        self._stop.set()
        self._thread.join(JOIN_TIMEOUT)
        self.sock.close(0)


class FakeClock:
    """Seconds that move only when a test says so."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


def context_on_clock(clock: Callable[[], float]) -> purezmq.Context:
    """A purezmq Context whose I/O thread runs its timers (HANDSHAKE_IVL,
    LINGER, reconnects) on `clock`."""
    ctx = purezmq.Context()
    loop = IOThread(name="purezmq-io-fake-clock", clock=clock)
    loop.start()
    ctx._loop = loop
    return ctx


def on_loop(loop: IOThread, fn: Callable[..., Any], *args: Any) -> Any:
    """Run `fn(*args)` on the loop's thread and return its result."""
    done = threading.Event()
    out: list[Any] = []
    err: list[BaseException] = []

    def run() -> None:
        try:
            out.append(fn(*args))
        except BaseException as exc:  # handed to the caller
            err.append(exc)
        finally:
            done.set()

    loop.call_soon_threadsafe(run)
    if not done.wait(JOIN_TIMEOUT):
        pytest.fail(f"the I/O thread did not run {fn!r} within {JOIN_TIMEOUT}s")
    if err:
        raise err[0]
    return out[0]


def sync(loop: IOThread) -> None:
    """Return once the loop has been through a whole iteration that began
    after this call: commands, then due timers. (Commands run before timers
    in one iteration, so the first round trip lands before that iteration's
    timers, the second one after them.)"""
    on_loop(loop, lambda: None)
    on_loop(loop, lambda: None)


def advance(loop: IOThread, clock: FakeClock, seconds: float) -> None:
    """Move the fake clock on and let the loop run every timer now due."""
    clock.now += seconds
    sync(loop)


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
# The sans-IO codec: vectors
# ---------------------------------------------------------------------------

VECTORS = Path(__file__).resolve().parents[1] / "spec" / "vectors"


@cache
def vector_file(name: str) -> dict[str, Any]:
    with open(VECTORS / name) as f:
        doc: dict[str, Any] = json.load(f)
    return doc


def libzmq(name: str) -> bytes:
    """Bytes captured from libzmq 4.3.5 (spec/vectors/libzmq.json)."""
    return bytes.fromhex(vector_file("libzmq.json")["vectors"][name]["hex"])


def libzmq_entry(name: str) -> dict[str, Any]:
    entry: dict[str, Any] = vector_file("libzmq.json")["vectors"][name]
    return entry


def rfc(name: str) -> bytes:
    """Bytes transcribed from the RFC text (spec/vectors/rfc.json)."""
    return bytes.fromhex(vector_file("rfc.json")["vectors"][name]["hex"])


# ---------------------------------------------------------------------------
# The sans-IO codec: raw wire, from the RFCs
# ---------------------------------------------------------------------------


def greeting(
    mechanism: bytes = b"NULL",
    as_server: bool = False,
    major: int = 3,
    minor: int = 1,
    padding: bytes = bytes(8),
    sig9: int = 0x7F,
) -> bytes:
    return (
        b"\xff"
        + padding
        + bytes((sig9, major, minor))
        + mechanism.ljust(20, b"\x00")
        + bytes((int(as_server),))
        + bytes(31)
    )


def frame(flags: int, body: bytes, long: bool | None = None) -> bytes:
    if long is None:
        long = len(body) > 255
    if long:
        return bytes((flags | 0x02,)) + struct.pack(">Q", len(body)) + body
    return bytes((flags, len(body))) + body


def message(frames: Sequence[bytes]) -> bytes:
    last = len(frames) - 1
    return b"".join(frame(0x01 if i < last else 0x00, f) for i, f in enumerate(frames))


def command(name: bytes, data: bytes = b"", long: bool | None = None) -> bytes:
    return frame(0x04, bytes((len(name),)) + name + data, long)


def metadata(props: Iterable[tuple[bytes, bytes]]) -> bytes:
    return b"".join(bytes((len(n),)) + n + struct.pack(">I", len(v)) + v for n, v in props)


def ready(socket_type: bytes, identity: bytes | None = None, **extra: bytes) -> bytes:
    props = [(b"Socket-Type", socket_type)]
    if identity is not None:
        props.append((b"Identity", identity))
    props.extend((k.replace("_", "-").encode(), v) for k, v in extra.items())
    return command(b"READY", metadata(props))


def null_peer(
    socket_type: bytes = b"ROUTER", minor: int = 1, identity: bytes | None = None
) -> bytes:
    """What a NULL peer sends up to and including its READY."""
    return greeting(minor=minor) + ready(socket_type, identity)


def split_frames(data: bytes) -> list[tuple[int, bytes]]:
    """Parse whole frames (flags, body) out of wire bytes, independently of purezmq."""
    out = []
    pos = 0
    while pos < len(data):
        flags = data[pos]
        if flags & 0x02:
            (size,) = struct.unpack_from(">Q", data, pos + 1)
            pos += 9
        else:
            size = data[pos + 1]
            pos += 2
        out.append((flags, data[pos : pos + size]))
        pos += size
    assert pos == len(data), "trailing partial frame"
    return out


def commands_in(data: bytes) -> list[tuple[bytes, bytes]]:
    """(name, data) of every command frame in wire bytes."""
    out = []
    for flags, body in split_frames(data):
        if flags & 0x04:
            n = body[0]
            out.append((body[1 : 1 + n], body[1 + n :]))
    return out


# ---------------------------------------------------------------------------
# The sans-IO codec: feeding Connections
# ---------------------------------------------------------------------------


def feed_whole(conn: Connection, data: bytes) -> list[Any]:
    return conn.receive_data(data)


def feed_bytewise(conn: Connection, data: bytes) -> list[Any]:
    events: list[Any] = []
    for i in range(len(data)):
        events += conn.receive_data(data[i : i + 1])
    return events


def feed_chunks(conn: Connection, data: bytes, sizes: Sequence[int]) -> list[Any]:
    """Feed ``data`` in pieces of the given sizes (cycled; sizes >= 1)."""
    events: list[Any] = []
    pos = 0
    i = 0
    while pos < len(data):
        n = sizes[i % len(sizes)] if sizes else len(data)
        events += conn.receive_data(data[pos : pos + n])
        pos += n
        i += 1
    return events


def feed_halves(conn: Connection, data: bytes) -> list[Any]:
    mid = len(data) // 2
    return conn.receive_data(data[:mid]) + conn.receive_data(data[mid:])


FEEDERS: dict[str, Callable[[Connection, bytes], list[Any]]] = {
    "whole": feed_whole,
    "bytewise": feed_bytewise,
    "halves": feed_halves,
}


def traffic_conn(
    socket_type: str = "DEALER",
    peer_type: bytes = b"ROUTER",
    minor: int = 1,
    **kwargs: Any,
) -> Connection:
    """A Connection already in TRAFFIC with a hand-built NULL peer; output drained."""
    conn = Connection(socket_type=socket_type, **kwargs)
    events = conn.receive_data(null_peer(peer_type, minor))
    assert conn.phase is Phase.TRAFFIC, events
    assert isinstance(events[-1], Ready)
    conn.data_to_send()
    return conn


def pump(a: Connection, b: Connection, limit: int = 100) -> tuple[list[Any], list[Any]]:
    """Move bytes both ways until neither side has output; return (a_events, b_events).

    A ProtocolError propagates, so tests can assert on it."""
    ea: list[Any] = []
    eb: list[Any] = []
    for _ in range(limit):
        moved = False
        if a.has_output():
            eb += b.receive_data(a.data_to_send())
            moved = True
        if b.has_output():
            ea += a.receive_data(b.data_to_send())
            moved = True
        if not moved:
            return ea, eb
    raise AssertionError("pump did not settle")


def pair(
    client_type: str = "DEALER",
    server_type: str = "ROUTER",
    client_mechanism: Any = None,
    server_mechanism: Any = None,
    verdict: Callable[[AuthRequest], bool] | None = None,
    client_kwargs: dict[str, Any] | None = None,
    server_kwargs: dict[str, Any] | None = None,
) -> tuple[Connection, Connection, list[Any], list[Any]]:
    """Wire a client and a server Connection back to back and run the handshake.

    ``verdict`` answers AuthRequest events on the server (default: accept).
    Returns (client, server, client_events, server_events).
    """
    client = Connection(client_mechanism, socket_type=client_type, **(client_kwargs or {}))
    server = Connection(server_mechanism, socket_type=server_type, **(server_kwargs or {}))
    ce: list[Any] = []
    se: list[Any] = []
    for _ in range(10):
        a, b = pump(client, server)
        ce += a
        se += b
        pending = [e for e in b if isinstance(e, AuthRequest)]
        if not pending:
            break
        for req in pending:
            ok = True if verdict is None else verdict(req)
            server.auth_reply(ok, b"200" if ok else b"400")
    return client, server, ce, se


def messages(events: Iterable[Any]) -> list[list[bytes]]:
    return [list(e) for e in events if isinstance(e, Message)]


# ---------------------------------------------------------------------------
# Hostile raw peers against live sockets (tests/reliability)
# ---------------------------------------------------------------------------

RAW_EVENT = struct.Struct("=HI")

TYPES = ["PAIR", "PUB", "SUB", "REQ", "REP", "DEALER", "ROUTER", "PULL", "PUSH", "XPUB", "XSUB"]

# socket type under test -> the type a well-behaved peer has
PEER_TYPE = {
    "PAIR": "PAIR",
    "PUB": "SUB",
    "SUB": "PUB",
    "REQ": "REP",
    "REP": "REQ",
    "DEALER": "DEALER",
    "ROUTER": "DEALER",
    "PULL": "PUSH",
    "PUSH": "PULL",
    "XPUB": "SUB",
    "XSUB": "PUB",
}

# socket type under test -> a type it must refuse
INCOMPATIBLE = {
    "PAIR": "PUSH",
    "PUB": "PUB",
    "SUB": "SUB",
    "REQ": "REQ",
    "REP": "REP",
    "DEALER": "PUB",
    "ROUTER": "PUSH",
    "PULL": "PULL",
    "PUSH": "PUSH",
    "XPUB": "PUB",
    "XSUB": "SUB",
}


def load_lib(name: str) -> Any:
    """purezmq, or pyzmq (the test is skipped when pyzmq is missing)."""
    if name == "purezmq":
        import purezmq

        return purezmq
    import pytest

    return pytest.importorskip("zmq")


def rss_kib() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def raw_greeting(mechanism: bytes = b"NULL", minor: int = 1, as_server: bool = False) -> bytes:
    return (
        b"\xff"
        + bytes(8)
        + b"\x7f"
        + bytes((3, minor))
        + mechanism.ljust(20, b"\x00")
        + (b"\x01" if as_server else b"\x00")
        + bytes(31)
    )


def raw_ready(socket_type: str) -> bytes:
    return encode_command(b"READY", encode_metadata([("Socket-Type", socket_type.encode())]))


class Monitor:
    """Monitor events of one socket, read with deadlines."""

    def __init__(self, sock: Any) -> None:
        self.sock = sock.get_monitor_socket()
        self.seen: list[tuple[int, int]] = []

    def until(self, event: int, timeout: float = 5.0) -> list[tuple[int, int]]:
        """Events up to and including the next `event` (consumed)."""
        out: list[tuple[int, int]] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.sock.poll(20):
                continue
            frames = self.sock.recv_multipart()
            ev = RAW_EVENT.unpack(bytes(frames[0])[:6])
            out.append(ev)
            if ev[0] == event:
                return out
        raise AssertionError(f"no monitor event {event:#x} within {timeout}s; saw {out}")

    def close(self) -> None:
        self.sock.close(0)


class RawPeer:
    """A TCP peer that writes whatever it is told and can speak ZMTP via the codec."""

    def __init__(self, port: int, timeout: float = 3.0) -> None:
        self.sock = pysocket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.conn: Optional[Connection] = None
        self.inbox: list[Any] = []

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def handshake(self, socket_type: str, minor: int = 1) -> Connection:
        conn = Connection(socket_type=socket_type)
        ours = conn.data_to_send()  # our greeting (3.1) then, once theirs is in, READY
        if minor != 1:
            ours = ours[:11] + bytes((minor,)) + ours[12:]
        self.sock.sendall(ours)
        while conn.phase is not Phase.TRAFFIC:
            data = self.sock.recv(65536)
            assert data, "the socket closed the connection during the handshake"
            self.inbox.extend(conn.receive_data(data))
            if conn.has_output():
                self.sock.sendall(conn.data_to_send())
        self.conn = conn
        return conn

    def flush(self) -> None:
        assert self.conn is not None
        if self.conn.has_output():
            self.sock.sendall(self.conn.data_to_send())

    def next_event(self, kind: type, timeout: float = 3.0) -> Any:
        """The next codec event of `kind` the socket sends us (others kept aside)."""
        assert self.conn is not None
        deadline = time.monotonic() + timeout
        while True:
            for i, ev in enumerate(self.inbox):
                if isinstance(ev, kind):
                    del self.inbox[i]
                    return ev
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {kind.__name__} from the socket in {timeout}s")
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except pysocket.timeout:
                continue
            assert data, "the socket closed the connection"
            self.inbox.extend(self.conn.receive_data(data))

    def dropped(self, timeout: float = 3.0) -> bool:
        """True once the socket closes the connection (False: still open)."""
        self.sock.settimeout(timeout)
        try:
            while self.sock.recv(65536):
                pass
            return True
        except (ConnectionResetError, BrokenPipeError):
            return True
        except pysocket.timeout:
            return False

    def close(self) -> None:
        self.sock.close()


def through_raw(
    kind: str, lib: Any, sock: Any, raw: RawPeer, tag: bytes, legacy: bool = False
) -> None:
    """One real message over the raw peer's (handshaken) connection, in
    whichever direction the socket type allows; the socket's user sees it
    and nothing else. `legacy`: the raw peer announced ZMTP 3.0, so it
    subscribes with a message rather than a command."""
    assert raw.conn is not None

    def subscribe() -> None:
        assert raw.conn is not None
        if legacy:
            raw.conn.send_message([b"\x01"])
        else:
            raw.conn.send_subscribe(b"")
        raw.flush()

    if kind in ("PULL", "PAIR", "DEALER", "SUB", "XSUB"):
        raw.conn.send_message([tag])
        raw.flush()
        assert sock.recv() == tag
    elif kind == "ROUTER":
        raw.conn.send_message([tag])
        raw.flush()
        assert sock.recv_multipart()[1:] == [tag]
    elif kind == "REP":
        raw.conn.send_message([b"", tag])
        raw.flush()
        assert sock.recv() == tag
        sock.send(b"re:" + tag)
        assert list(raw.next_event(Message)) == [b"", b"re:" + tag]
    elif kind == "XPUB":
        subscribe()
        first = sock.recv()
        while first == b"\x00":  # an earlier good SUB's unsubscribe
            first = sock.recv()
        assert first == b"\x01"
        sock.send(tag)
        assert list(raw.next_event(Message)) == [tag]
    elif kind == "PUB":
        subscribe()
        deadline = time.monotonic() + 3
        while True:  # the subscription reaches the PUB some time after we send it
            sock.send(tag)
            try:
                assert list(raw.next_event(Message, timeout=0.05)) == [tag]
                return
            except AssertionError:
                if time.monotonic() > deadline:
                    raise
    elif kind == "PUSH":
        sock.send(tag)
        assert list(raw.next_event(Message)) == [tag]
    elif kind == "REQ":
        sock.send(tag)
        assert list(raw.next_event(Message)) == [b"", tag]
        raw.conn.send_message([b"", b"re:" + tag])
        raw.flush()
        assert sock.recv() == b"re:" + tag
    else:  # pragma: no cover
        raise AssertionError(kind)


def setup_socket(lib: Any, ctx: Any, kind: str, maxmsgsize: int = -1) -> tuple[Any, int]:
    """The socket under test, bound to a random tcp port."""
    sock = ctx.socket(getattr(lib, kind))
    sock.setsockopt(lib.MAXMSGSIZE, maxmsgsize)
    sock.setsockopt(lib.LINGER, 0)
    sock.setsockopt(lib.RCVTIMEO, 3000)
    sock.setsockopt(lib.SNDTIMEO, 3000)
    sock.setsockopt(lib.HANDSHAKE_IVL, 200)
    if kind == "SUB":
        sock.setsockopt(lib.SUBSCRIBE, b"")
    port = sock.bind_to_random_port("tcp://127.0.0.1")
    if kind == "XSUB":
        sock.send(b"\x01")
    return sock, port


def good_round_trip(lib: Any, ctx: Any, kind: str, sock: Any, port: int, tag: bytes) -> None:
    """A well-behaved peer of the right type connects, a real message goes
    each way the pattern allows, the peer closes."""
    peer = ctx.socket(getattr(lib, PEER_TYPE[kind]))
    peer.setsockopt(lib.LINGER, 0)
    peer.setsockopt(lib.RCVTIMEO, 3000)
    peer.setsockopt(lib.SNDTIMEO, 3000)
    if PEER_TYPE[kind] == "SUB":
        peer.setsockopt(lib.SUBSCRIBE, b"")
    try:
        peer.connect(f"tcp://127.0.0.1:{port}")
        if kind in ("PULL",):
            peer.send(tag)
            assert sock.recv() == tag
        elif kind == "PUSH":
            sock.send(tag)
            assert peer.recv() == tag
        elif kind in ("PAIR", "DEALER"):
            peer.send(tag)
            assert sock.recv() == tag
            sock.send(b"re:" + tag)
            assert peer.recv() == b"re:" + tag
        elif kind == "ROUTER":
            peer.send(tag)
            ident, body = sock.recv_multipart()
            assert body == tag
            sock.send_multipart([ident, b"re:" + tag])
            assert peer.recv() == b"re:" + tag
        elif kind == "REP":
            peer.send(tag)
            assert sock.recv() == tag
            sock.send(b"re:" + tag)
            assert peer.recv() == b"re:" + tag
        elif kind == "REQ":
            sock.send(tag)
            assert peer.recv() == tag
            peer.send(b"re:" + tag)
            assert sock.recv() == b"re:" + tag
        elif kind == "XPUB":
            first = sock.recv()
            while first == b"\x00":  # an earlier good SUB's unsubscribe
                first = sock.recv()
            assert first == b"\x01"
            sock.send(tag)
            assert peer.recv() == tag
        elif kind in ("PUB", "SUB", "XSUB"):
            sender, receiver = (sock, peer) if kind == "PUB" else (peer, sock)
            deadline = time.monotonic() + 3
            while True:  # subscriptions propagate asynchronously
                sender.send(tag)
                if receiver.poll(20):
                    assert receiver.recv() == tag
                    break
                assert time.monotonic() < deadline, "no message through the subscription"
        else:  # pragma: no cover
            raise AssertionError(kind)
    finally:
        peer.close(0)


def drain_extra(lib: Any, kind: str, sock: Any) -> list[Any]:
    """Whatever the user could still receive (should be nothing but the
    XPUB's unsubscribe from a departed good SUB)."""
    if kind in ("PUB", "PUSH", "REQ"):
        return []
    out = []
    while sock.poll(0):
        out.append(sock.recv_multipart(lib.NOBLOCK))
    if kind == "XPUB":
        out = [m for m in out if m not in ([b"\x00"], [b"\x01"])]
    return out
