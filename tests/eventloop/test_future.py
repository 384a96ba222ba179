"""zmq.eventloop.future: sockets and Poller returning tornado Futures, the same
assertions against purezmq and pyzmq.

Each test runs on a fresh loop: tornado's own runner (``IOLoop.run_sync`` with
a timeout) or ``asyncio.run`` with ``IOLoop.current()`` wrapping the running
loop. Every await of a zmq future is bounded by `w`, which waits with
``asyncio.wait`` and never cancels the future itself: pyzmq's tornado Future
cannot be cancelled by a Task (its ``cancel()`` takes no message; see
`test_task_cancel_while_awaiting`).
"""

from __future__ import annotations

import asyncio
import errno
import gc
import importlib
import socket as pysocket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from tests.testing import load_lib, terminate

tornado_concurrent = pytest.importorskip("tornado.concurrent", reason="needs tornado")
tornado_ioloop = pytest.importorskip("tornado.ioloop", reason="needs tornado")
tornado_util = pytest.importorskip("tornado.util", reason="needs tornado")

T = 5.0  # seconds: the bound of every await


@pytest.fixture(params=["purezmq", "zmq"])
def ev(request: Any) -> Iterator[SimpleNamespace]:
    """The library, its eventloop.future module and a fresh future Context."""
    lib = load_lib(request.param)
    future = importlib.import_module(f"{request.param}.eventloop.future")
    ctx = future.Context()
    yield SimpleNamespace(zmq=lib, future=future, ctx=ctx, pure=request.param == "purezmq")
    terminate(ctx)


def run(coro_fn: Any, timeout: float = 20.0) -> Any:
    """Run `coro_fn()` with asyncio.run, bounded (IOLoop.current() wraps the loop)."""

    async def main() -> Any:
        return await asyncio.wait_for(coro_fn(), timeout)

    return asyncio.run(main())


async def w(fut: Any, timeout: float = T) -> Any:
    """The result of `fut` (a future of the socket or poller), failing after `timeout`."""
    done, _ = await asyncio.wait([fut], timeout=timeout)
    assert done, f"{fut!r} not done within {timeout} s"
    return fut.result()


def pair(ev: SimpleNamespace, kinds: tuple[str, str] = ("PUSH", "PULL")) -> tuple[Any, Any]:
    z = ev.zmq
    a = ev.ctx.socket(getattr(z, kinds[0]))
    b = ev.ctx.socket(getattr(z, kinds[1]))
    for s in (a, b):
        s.linger = 0
    port = a.bind_to_random_port("tcp://127.0.0.1")
    b.connect(f"tcp://127.0.0.1:{port}")
    return a, b


def close_all(*socks: Any) -> None:
    for s in socks:
        s.close(linger=0)


def is_tornado_future(f: Any) -> bool:
    return isinstance(f, tornado_concurrent.Future)


# -- basics ------------------------------------------------------------------------


def test_req_rep_on_tornado_run_sync(ev: SimpleNamespace) -> None:
    z = ev.zmq

    async def main() -> None:
        rep, req = pair(ev, ("REP", "REQ"))
        assert isinstance(req, ev.future.Socket) and isinstance(rep, ev.future.Socket)
        sent = req.send(b"ping")
        assert is_tornado_future(sent)
        await w(sent)
        got = rep.recv()
        assert is_tornado_future(got)
        assert await w(got) == b"ping"
        await w(rep.send_multipart([b"a", b"b"]))
        assert await w(req.recv_multipart()) == [b"a", b"b"]
        await w(req.send_json({"n": 1}))
        assert await w(rep.recv_json()) == {"n": 1}
        await w(rep.send_string("\u00e9t\u00e9"))
        assert await w(req.recv_string()) == "\u00e9t\u00e9"
        await w(req.send_pyobj((1, "x")))
        assert await w(rep.recv_pyobj()) == (1, "x")
        await w(rep.send(b"frame"))
        frame = await w(req.recv(copy=False))
        assert isinstance(frame, z.Frame) and frame.bytes == b"frame"
        close_all(req, rep)

    loop = tornado_ioloop.IOLoop()
    try:
        loop.run_sync(main, timeout=20)
    finally:
        loop.close()


def test_tornado_gen_coroutine_yields_the_futures(ev: SimpleNamespace) -> None:
    """pyzmq's documented use: a ``tornado.gen.coroutine`` yielding the futures."""
    gen = pytest.importorskip("tornado.gen", reason="needs tornado")

    @gen.coroutine  # type: ignore[misc]
    def exchange() -> Any:
        rep, req = pair(ev, ("REP", "REQ"))
        yield req.send_multipart([b"topic", b"data"])
        request = yield rep.recv_multipart()
        yield rep.send(b"reply")
        reply = yield req.recv()
        polled = yield req.poll(10)
        close_all(rep, req)
        return request, reply, polled

    loop = tornado_ioloop.IOLoop()
    try:
        request, reply, polled = loop.run_sync(exchange, timeout=20)
    finally:
        loop.close()
    assert (request, reply, polled) == ([b"topic", b"data"], b"reply", 0)


def test_context_and_socket_classes(ev: SimpleNamespace) -> None:
    z, future = ev.zmq, ev.future

    async def main() -> None:
        inst = future.Context.instance()
        assert isinstance(inst, future.Context)
        assert inst is future.Context.instance()
        assert inst is not z.Context.instance()  # not shared with the sync Context's
        assert isinstance(inst.socket(z.PAIR), future.Socket)
        inst.destroy(linger=0)
        sync = z.Socket(ev.ctx, z.PULL)
        view = future.Socket.from_socket(sync)
        assert isinstance(view, future.Socket) and view.underlying == sync.underlying
        sync.close(linger=0)
        assert issubclass(
            future.Socket, importlib.import_module(f"{z.__name__}._future")._AsyncSocket
        )
        assert issubclass(
            future.Poller, importlib.import_module(f"{z.__name__}._future")._AsyncPoller
        )
        with pytest.warns(DeprecationWarning):
            future.Context(io_loop=tornado_ioloop.IOLoop.current()).term()

    run(main)


def test_future_module_names(ev: SimpleNamespace) -> None:
    for name in ("Context", "Socket", "Poller", "CancelledError"):
        assert hasattr(ev.future, name), name
    assert issubclass(ev.future.CancelledError, Exception)
    fut = importlib.import_module(f"{ev.zmq.__name__}._future")
    assert fut.Future is asyncio.Future


# -- timeouts, cancellation, close, order -------------------------------------------


def test_rcvtimeo_and_sndtimeo_fail_with_again(ev: SimpleNamespace) -> None:
    z = ev.zmq

    async def main() -> None:
        push, pull = pair(ev)
        pull.rcvtimeo = 20
        with pytest.raises(z.Again):
            await w(pull.recv())
        lonely = ev.ctx.socket(z.PUSH)  # no peer: the send cannot go
        lonely.linger = 0
        lonely.sndtimeo = 20
        with pytest.raises(z.Again):
            await w(lonely.send(b"x"))
        close_all(push, pull, lonely)

    run(main)


def test_cancel_holds_cancelled_error_and_loses_no_message(ev: SimpleNamespace) -> None:
    async def main() -> None:
        push, pull = pair(ev)
        first = pull.recv()
        await asyncio.sleep(0)  # one loop pass, not a settle: the recv is pending
        assert not first.done()
        assert first.cancel() is True
        assert first.cancelled() and first.done()
        assert isinstance(first.exception(), ev.future.CancelledError)
        with pytest.raises(ev.future.CancelledError):
            first.result()
        assert first.cancel() is False  # already done
        await w(push.send(b"kept"))
        assert await w(pull.recv()) == b"kept"
        # a cancelled recv_json cancels its inner recv: the next one gets the message
        j = pull.recv_json()
        j.cancel()
        await w(push.send_json({"a": 1}))
        assert await w(pull.recv_json()) == {"a": 1}
        close_all(push, pull)

    run(main)


def test_wait_for_timeout_loses_no_message(ev: SimpleNamespace) -> None:
    """asyncio.wait_for cancels the future on timeout: purezmq raises TimeoutError
    (but on 3.12); pyzmq lets its CancelledError out (spec/pyzmq.md). Either way
    nothing is lost."""

    async def main() -> None:
        push, pull = pair(ev)
        with pytest.raises((asyncio.TimeoutError, ev.future.CancelledError)) as info:
            await asyncio.wait_for(pull.recv(), 0.02)
        if ev.pure and sys.version_info[:2] != (3, 12):
            # 3.12's wait_for tells a timeout by the exact class asyncio.CancelledError
            assert info.type is asyncio.TimeoutError
        await w(push.send(b"kept"))
        assert await w(pull.recv()) == b"kept"
        close_all(push, pull)

    run(main)


def test_task_cancel_while_awaiting(ev: SimpleNamespace) -> None:
    """Cancelling a Task that awaits a recv: purezmq's Task ends cancelled and the
    message goes to the next recv; pyzmq's future rejects the Task's cancel message
    (TypeError), so the Task is not cancelled (spec/pyzmq.md)."""

    async def main() -> None:
        push, pull = pair(ev)

        async def receive() -> Any:
            return await pull.recv()

        task = asyncio.ensure_future(receive())
        await asyncio.sleep(0)  # one loop pass: the task awaits the recv
        if not ev.pure:
            with pytest.raises(TypeError):
                task.cancel()
            await w(push.send(b"taken by the task"))
            assert await w(task) == b"taken by the task"
            close_all(push, pull)
            return
        assert task.cancel()
        done, _ = await asyncio.wait([task], timeout=T)
        assert done and task.cancelled()
        await w(push.send(b"kept"))
        assert await w(pull.recv()) == b"kept"
        close_all(push, pull)

    run(main)


def test_run_sync_timeout_while_awaiting_a_recv() -> None:
    """purezmq only: tornado's run_sync timeout cancels the coroutine's Task; with
    pyzmq the cancel raises TypeError inside tornado's callback and run_sync
    waits for ever (see test_task_cancel_while_awaiting)."""
    import purezmq
    from purezmq.eventloop import future

    ctx = future.Context()
    pull = ctx.socket(purezmq.PULL)
    pull.linger = 0
    pull.bind("inproc://run-sync-timeout")

    async def main() -> None:
        await pull.recv()

    loop = tornado_ioloop.IOLoop()
    try:
        with pytest.raises(tornado_util.TimeoutError):  # TimeoutError from 3.11 on
            loop.run_sync(main, timeout=0.05)
    finally:
        loop.close()
        pull.close()
        terminate(ctx)


def test_close_cancels_pending_futures(ev: SimpleNamespace) -> None:
    async def main() -> None:
        push, pull = pair(ev)
        futs = [pull.recv(), pull.recv_multipart()]
        await asyncio.sleep(0)
        pull.close()
        for f in futs:
            done, _ = await asyncio.wait([f], timeout=T)
            assert done and f.cancelled()
            assert isinstance(f.exception(), ev.future.CancelledError)
        push.close()

    run(main)


def test_dropped_cancelled_future_is_not_reported(ev: SimpleNamespace) -> None:
    """A cancelled future holds an exception; purezmq does not report it as "never
    retrieved" when the future is dropped, pyzmq does (spec/pyzmq.md)."""

    if not ev.pure and sys.implementation.name == "pypy":
        pytest.skip("pyzmq's report comes when the future is collected, later on PyPy's GC")

    async def main() -> None:
        reported: list[Any] = []
        asyncio.get_running_loop().set_exception_handler(lambda loop, c: reported.append(c))
        pull = ev.ctx.socket(ev.zmq.PULL)
        pull.linger = 0
        pull.bind(f"inproc://dropped-{id(pull)}")
        f = pull.recv()
        await asyncio.sleep(0)
        f.cancel()
        del f
        gc.collect()
        await asyncio.sleep(0)
        pull.close()
        assert bool(reported) is not ev.pure, reported

    run(main)


def test_pending_recvs_are_served_in_order(ev: SimpleNamespace) -> None:
    async def main() -> None:
        push, pull = pair(ev)
        futs = [pull.recv() for _ in range(5)]
        for i in range(5):
            await w(push.send(b"%d" % i))
        assert [await w(f) for f in futs] == [b"0", b"1", b"2", b"3", b"4"]
        close_all(push, pull)

    run(main)


def test_closed_socket(ev: SimpleNamespace) -> None:
    z = ev.zmq

    async def main() -> None:
        s = ev.ctx.socket(z.PULL)
        s.close()
        with pytest.raises(z.ZMQError) as info:
            s.recv()
        assert info.value.errno == errno.ENOTSOCK
        with pytest.raises(z.ZMQError) as info:
            await w(s.send(b"x"))
        assert info.value.errno == errno.ENOTSOCK

    run(main)


# -- poll -----------------------------------------------------------------------------


def test_socket_poll(ev: SimpleNamespace) -> None:
    z = ev.zmq

    async def main() -> None:
        push, pull = pair(ev)
        polled = pull.poll(10)
        assert is_tornado_future(polled)
        assert await w(polled) == 0
        assert await w(push.poll(5000, z.POLLOUT)) == z.POLLOUT
        waiting = pull.poll(5000)
        await w(push.send(b"x"))
        assert await w(waiting) == z.POLLIN
        assert await w(pull.recv()) == b"x"  # poll consumed nothing
        close_all(push, pull)

    run(main)


def test_poller_with_sockets_and_a_plain_fd(ev: SimpleNamespace) -> None:
    z = ev.zmq

    async def main() -> None:
        push, pull = pair(ev)
        a, b = pysocket.socketpair()
        poller = ev.future.Poller()
        poller.register(pull, z.POLLIN)
        poller.register(a.fileno(), z.POLLIN)
        first = poller.poll(10)
        assert is_tornado_future(first)
        assert await w(first) == []
        b.send(b"x")
        assert await w(poller.poll(5000)) == [(a.fileno(), z.POLLIN)]
        a.recv(1)
        pending = poller.poll(5000)
        await w(push.send(b"m"))
        assert await w(pending) == [(pull, z.POLLIN)]
        assert await w(pull.recv()) == b"m"
        a.close()
        b.close()
        close_all(push, pull)

    run(main)


def test_poll_cancelled_by_close(ev: SimpleNamespace) -> None:
    async def main() -> None:
        push, pull = pair(ev)
        polled = pull.poll(5000)
        await asyncio.sleep(0)
        pull.close()
        done, _ = await asyncio.wait([polled], timeout=T)
        assert done and polled.cancelled()
        push.close()

    run(main)


# -- without tornado -----------------------------------------------------------------


def test_import_without_tornado_says_so() -> None:
    code = textwrap.dedent(
        """
        import sys
        sys.modules["tornado"] = None  # as if tornado were not installed
        try:
            import purezmq.eventloop.future
        except ImportError as exc:
            print("ImportError:", exc)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    assert out.startswith("ImportError:") and "tornado" in out and "pip install" in out
