"""Small differences that break real pyzmq programs, each run with the same
assertions against purezmq and real pyzmq: option attributes in both cases,
misspelt attributes, option value types, bytes endpoints, generic classes,
Context._socket_class, context options, repr."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(params=["purezmq", "zmq"])
def lib(request: Any) -> Iterator[Any]:
    mod = pytest.importorskip(request.param)
    ctx = mod.Context()
    mod.test_ctx = ctx
    yield mod
    ctx.destroy(linger=0)


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
