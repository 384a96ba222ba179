"""Small differences that break real pyzmq programs, each run with the same
assertions against purezmq and real pyzmq: option attributes in both cases,
misspelt attributes, option value types, bytes endpoints, generic classes,
Context._socket_class, context options, repr."""

from __future__ import annotations

import copy
import errno
import gc
import re
import sys
from typing import Any

import pytest

import purezmq


def test_upper_case_option_attributes(lib: Any) -> None:
    s = lib.test_ctx.socket(lib.PUSH)
    s.LINGER = 0
    assert s.LINGER == 0 and s.getsockopt(lib.LINGER) == 0
    s.SNDHWM = 7
    assert s.sndhwm == 7
    assert isinstance(s.FD, int) and s.getsockopt(lib.FD) == s.FD
    assert "LINGER" in dir(s)
    s.close()


def test_a_misspelt_attribute_raises(lib: Any) -> None:
    s = lib.test_ctx.socket(lib.PUSH)
    with pytest.raises(AttributeError):
        s.lingr = 0  # type: ignore[attr-defined]
    with pytest.raises(AttributeError):
        lib.test_ctx.lingr = 0
    s.close()


@pytest.mark.parametrize("value", [1.5, "1", None, [1]])
def test_an_int_option_refuses_other_types(lib: Any, value: Any) -> None:
    if lib.__name__ == "zmq" and sys.implementation.name == "pypy":
        pytest.skip("pyzmq's cffi backend (PyPy) takes None as 0")
    s = lib.test_ctx.socket(lib.PUSH)
    with pytest.raises(TypeError):
        s.setsockopt(lib.LINGER, value)
    s.close()


def test_bytes_endpoints(lib: Any) -> None:
    pull = lib.test_ctx.socket(lib.PULL)
    push = lib.test_ctx.socket(lib.PUSH)
    for sock in (pull, push):
        sock.linger = 0
        sock.rcvtimeo = sock.sndtimeo = 5000
    pull.bind(b"tcp://127.0.0.1:*")
    endpoint = pull.getsockopt(lib.LAST_ENDPOINT)
    assert isinstance(endpoint, bytes)
    push.connect(endpoint)
    push.send(b"hi")
    assert pull.recv() == b"hi"
    push.disconnect(endpoint)
    pull.unbind(endpoint)
    push.close()
    pull.close()


def test_generic_classes(lib: Any) -> None:
    assert lib.Socket[bytes].__origin__ is lib.Socket
    assert lib.Context[lib.Socket].__origin__ is lib.Context


def test_context_socket_class(lib: Any) -> None:
    class MySocket(lib.Socket):  # type: ignore[name-defined,misc]
        pass

    class MyContext(lib.Context):  # type: ignore[name-defined,misc]
        _socket_class = MySocket

    ctx = MyContext()
    s = ctx.socket(lib.PUSH)
    assert type(s) is MySocket
    s.close()
    ctx.term()


_CTX_CASES = [
    # (option name, default, value to set, read back after set or the errno)
    ("IO_THREADS", 1, 2, 2),
    ("MAX_SOCKETS", 1023, 10, 10),
    ("SOCKET_LIMIT", 65535, 1, 65535),
    ("THREAD_SCHED_POLICY", -1, 1, 1),
    ("MAX_MSGSZ", 2**31 - 1, 1000, 1000),
    ("THREAD_NAME_PREFIX", 0, 1, 1),
    ("IPV6", 0, 1, 1),
    ("BLOCKY", 1, 0, 0),
]


@pytest.mark.parametrize("name, default, value, after", _CTX_CASES, ids=[c[0] for c in _CTX_CASES])
def test_context_options(lib: Any, name: str, default: int, value: int, after: int) -> None:
    if lib.__name__ == "zmq" and sys.implementation.name == "pypy":
        pytest.skip("pyzmq's cffi backend (PyPy) gives other context-option defaults")
    ctx = lib.Context()
    opt = getattr(lib, name)
    assert ctx.get(opt) == default
    ctx.set(opt, value)
    assert ctx.get(opt) == after
    ctx.term()


def test_context_option_errors(lib: Any) -> None:
    ctx = lib.Context()
    for opt, value in ((lib.MSG_T_SIZE, 1), (lib.IO_THREADS, -1), (lib.MAX_SOCKETS, 0)):
        with pytest.raises(lib.ZMQError) as info:
            ctx.set(opt, value)
        assert info.value.errno == lib.EINVAL
    assert ctx.get(lib.MSG_T_SIZE) == 64
    with pytest.raises(lib.ZMQError):
        ctx.get(lib.THREAD_AFFINITY_CPU_ADD)  # write-only
    with pytest.raises(lib.ZMQError):
        ctx.get(12345)
    ctx.term()


def test_blocky_0_makes_new_sockets_linger_0(lib: Any) -> None:
    ctx = lib.Context()
    ctx.set(lib.BLOCKY, 0)
    s = ctx.socket(lib.PUSH)
    assert s.linger == 0
    s.close()
    ctx.term()


def test_repr(lib: Any) -> None:
    name = lib.__name__
    ctx = lib.Context()
    assert re.fullmatch(rf"<{name}\.Context\(\) at 0x[0-9a-f]+>", repr(ctx))
    s = ctx.socket(lib.PUSH)
    s2 = ctx.socket(lib.PULL)
    assert re.fullmatch(rf"<{name}\.Context\(2 sockets\) at 0x[0-9a-f]+>", repr(ctx))
    s2.close()
    assert re.fullmatch(rf"<{name}\.Context\(1 socket\) at 0x[0-9a-f]+>", repr(ctx))
    assert re.fullmatch(rf"<{name}\.Socket\({name}\.PUSH\) at 0x[0-9a-f]+>", repr(s))
    s.close()
    assert re.fullmatch(rf"<{name}\.Socket\({name}\.PUSH\) at 0x[0-9a-f]+ closed>", repr(s))
    ctx.term()
    assert re.fullmatch(rf"<{name}\.Context\(\) at 0x[0-9a-f]+ closed>", repr(ctx))


def _pair(lib: Any, name: str) -> tuple[Any, Any]:
    a = lib.test_ctx.socket(lib.PAIR)
    b = lib.test_ctx.socket(lib.PAIR)
    for s in (a, b):
        s.linger = 0
        s.rcvtimeo = s.sndtimeo = 5000
    a.bind(f"inproc://{name}")
    b.connect(f"inproc://{name}")
    return a, b


def test_recv_into(lib: Any) -> None:
    a, b = _pair(lib, "into")
    a.send(b"abcdef")
    buf = bytearray(4)
    assert b.recv_into(buf) == 6 and buf == b"abcd"  # truncated; the full size returned
    a.send(b"xy")
    buf = bytearray(4)
    assert b.recv_into(buf) == 2 and buf == b"xy\0\0"
    a.send(b"abcdef")
    buf = bytearray(10)
    assert b.recv_into(buf, nbytes=3) == 6 and buf == b"abc" + b"\0" * 7
    a.send_multipart([b"p1", b"p2"])
    buf = bytearray(4)
    assert b.recv_into(buf) == 2 and b.rcvmore
    assert b.recv_into(buf) == 2 and not b.rcvmore
    window = memoryview(bytearray(8))[2:6]
    a.send(b"123456")
    assert b.recv_into(window) == 6 and bytes(window.obj) == b"\0\x001234\0\0"


def test_recv_into_errors(lib: Any) -> None:
    if lib.__name__ == "zmq" and sys.implementation.name == "pypy":
        pytest.skip("pyzmq's cffi backend (PyPy) words its recv_into errors differently")
    a, b = _pair(lib, "into-errors")
    with pytest.raises(BufferError):
        b.recv_into(b"immutable")
    for nbytes in (-1, 10):
        with pytest.raises(ValueError, match=f"nbytes={nbytes} too big"):
            b.recv_into(bytearray(4), nbytes=nbytes)
    with pytest.raises(lib.Again):
        b.recv_into(bytearray(4), flags=lib.NOBLOCK)
    b.close()
    with pytest.raises(lib.ZMQError) as info:
        b.recv_into(bytearray(4))
    assert info.value.errno == lib.ENOTSOCK


def test_shadow_socket(lib: Any) -> None:
    a, b = _pair(lib, "shadow")
    view = lib.Socket.shadow(a.underlying)
    assert view is not a and view.underlying == a.underlying
    view.send(b"via the shadow")
    assert b.recv() == b"via the shadow"
    copied = copy.copy(a)  # a shadow too
    assert copied is not a and copied.underlying == a.underlying
    del copied, view
    gc.collect()
    assert not a.closed  # collecting a view leaves the socket open
    a.send(b"still open")
    assert b.recv() == b"still open"
    lib.Socket.shadow(a.underlying).close()  # an explicit close closes the socket
    assert a.closed


def test_shadow_context(lib: Any) -> None:
    ctx = lib.Context()
    view = lib.Context.shadow(ctx.underlying)
    assert view is not ctx and view.underlying == ctx.underlying
    s = view.socket(lib.PUSH)  # a socket of the same context
    s.close()
    copied = copy.copy(ctx)
    assert copied is not ctx and copied.underlying == ctx.underlying
    ctx.term()


def test_finished_tracker(lib: Any) -> None:
    assert lib._FINISHED_TRACKER.done
    a, b = _pair(lib, "tracker")
    tracker = a.send(b"x", copy=False)
    assert tracker.done
    b.recv()


def test_an_ipc_path_longer_than_the_limit(lib: Any) -> None:
    if lib.__name__ == "zmq" and sys.implementation.name == "pypy":
        pytest.skip("pyzmq's cffi backend (PyPy) passes a mangled endpoint to libzmq")
    s = lib.test_ctx.socket(lib.PUSH)
    too_long = "ipc:///tmp/" + "x" * lib.IPC_PATH_MAX_LEN
    for call in (s.bind, s.connect):
        with pytest.raises(lib.ZMQError) as info:
            call(too_long)
        assert info.value.errno == errno.ENAMETOOLONG
    s.close()


def test_every_name_pyzmq_exports_is_here() -> None:
    zmq = pytest.importorskip("zmq")
    assert set(zmq.__all__) <= set(purezmq.__all__)
    for name in purezmq.__all__:
        assert hasattr(purezmq, name), name


def test_small_names(lib: Any) -> None:
    assert issubclass(lib.DraftFDWarning, RuntimeWarning)
    assert lib.PYZMQ_DRAFT_API is False
    assert lib.SyncContext is lib.Context or lib.SyncContext.__origin__ is lib.Context
    with pytest.warns(DeprecationWarning):
        watch = lib.Stopwatch()
    watch.start()
    first = watch.stop()
    assert isinstance(first, int) and first >= 0
    assert watch.stop() >= first  # stop() does not reset
    ctx = lib.Context()
    try:
        a = ctx.socket(lib.PAIR)
        b = ctx.socket(lib.PAIR)
        a.bind("inproc://zmq-poll")
        b.connect("inproc://zmq-poll")
        assert lib.zmq_poll([(a, lib.POLLIN)], 0) == []
        b.send(b"x")
        assert lib.zmq_poll([(a, lib.POLLIN), (b, lib.POLLOUT)], 1000) == [
            (a, lib.POLLIN),
            (b, lib.POLLOUT),
        ]
        a.close(linger=0)
        b.close(linger=0)
    finally:
        ctx.term()
