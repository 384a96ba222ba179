"""zmq.decorators: @context() and @socket(...) with pyzmq's argument rules (the
name given positionally or as name=, the rest passed to the factory, where the
socket's Context comes from, closing on return and on error). Every test runs
the same assertions against purezmq and real pyzmq."""

from __future__ import annotations

import importlib
from typing import Any

import pytest


@pytest.fixture
def dec(lib: Any) -> Any:
    return importlib.import_module(f"{lib.__name__}.decorators")


def test_context_appended_positionally(lib: Any, dec: Any) -> None:
    @dec.context()
    def work(a: int, ctx: Any) -> Any:
        assert a == 1
        assert isinstance(ctx, lib.Context) and not ctx.closed
        return ctx

    ctx = work(1)
    assert ctx.closed  # terminated on return
    assert work.__name__ == "work"


def test_context_by_name(lib: Any, dec: Any) -> None:
    @dec.context("ctx")
    def positional_name(ctx: Any) -> Any:
        return ctx

    @dec.context(name="ctx")
    def keyword_name(*, ctx: Any) -> Any:
        return ctx

    for fn in (positional_name, keyword_name):
        ctx = fn()
        assert isinstance(ctx, lib.Context) and ctx.closed


def test_context_args_reach_the_constructor(lib: Any, dec: Any) -> None:
    @dec.context("ctx", 2)
    def work(ctx: Any) -> int:
        return int(ctx.get(lib.IO_THREADS))

    assert work() == 2


def test_name_given_twice(lib: Any, dec: Any) -> None:
    @dec.context("ctx")
    def work(ctx: Any) -> None:
        raise AssertionError("not called")

    with pytest.raises(TypeError, match="work\\(\\) got multiple values for argument 'ctx'"):
        work(ctx=1)

    @dec.socket("sock", lib.PUSH)
    def send(sock: Any) -> None:
        raise AssertionError("not called")

    with pytest.raises(TypeError, match="multiple values for argument 'sock'"):
        send(sock=1)


def test_context_and_socket(lib: Any, dec: Any) -> None:
    @dec.context()
    @dec.socket(lib.PUSH)
    def work(ctx: Any, push: Any) -> tuple[Any, Any]:
        assert push.type == lib.PUSH
        assert push.context is ctx
        assert not push.closed
        return ctx, push

    ctx, push = work()
    assert push.closed and ctx.closed


def test_socket_names_and_context_name(lib: Any, dec: Any) -> None:
    @dec.socket("pub", lib.PUB, context_name="c")
    @dec.socket(name="sub", socket_type=lib.SUB, context_name="c")
    def work(*, c: Any, pub: Any, sub: Any) -> tuple[Any, Any]:
        assert pub.context is c and sub.context is c
        return pub, sub

    pub, sub = work(c=lib.test_ctx)
    assert (pub.type, sub.type) == (lib.PUB, lib.SUB)
    assert pub.closed and sub.closed


def test_socket_finds_a_positional_context(lib: Any, dec: Any) -> None:
    @dec.socket(lib.PAIR)
    def work(label: str, ctx: Any, sock: Any) -> Any:
        assert label == "x" and sock.context is ctx
        return sock

    assert work("x", lib.test_ctx).closed


def test_socket_keyword_context_wins_only_if_a_context(lib: Any, dec: Any) -> None:
    @dec.socket("sock", lib.PAIR)
    def work(context: Any, other: Any, sock: Any) -> Any:
        return sock.context

    # 'context' holds no Context: the first positional Context is used instead
    assert work(other=None, context="nope") is lib.Context.instance()
    assert work(lib.test_ctx, None) is lib.test_ctx
    assert work(context=lib.test_ctx, other=None) is lib.test_ctx


def test_socket_defaults_to_the_instance(lib: Any, dec: Any) -> None:
    @dec.socket(lib.PUSH)
    def work(sock: Any) -> Any:
        return sock

    sock = work()
    assert sock.context is lib.Context.instance()
    assert sock.closed


def test_closed_when_the_function_raises(lib: Any, dec: Any) -> None:
    made: list[Any] = []

    @dec.context()
    @dec.socket(lib.REQ)
    def work(ctx: Any, req: Any) -> None:
        made.extend([ctx, req])
        raise KeyError("inside")

    with pytest.raises(KeyError, match="inside"):
        work()
    ctx, req = made
    assert req.closed and ctx.closed


def test_a_working_pair(lib: Any, dec: Any) -> None:
    @dec.context()
    @dec.socket("a", lib.PAIR)
    @dec.socket("b", lib.PAIR)
    def work(ctx: Any, a: Any, b: Any) -> bytes:
        for s in (a, b):
            s.setsockopt(lib.RCVTIMEO, 5000)
            s.setsockopt(lib.LINGER, 0)
        a.bind("inproc://decorated")
        b.connect("inproc://decorated")
        a.send(b"hi")
        return bytes(b.recv())

    assert work() == b"hi"
