"""zmq.eventloop.zmqstream.ZMQStream: the same assertions against purezmq and
pyzmq. Each test runs its own asyncio loop (tornado's IOLoop wraps it); every
wait is a future awaited with a timeout, and "the loop went round" is proved
by a callback scheduled behind the events, never by sleeping."""

from __future__ import annotations

import asyncio
import errno
import importlib
import json
import logging
import pickle
import subprocess
import sys
import textwrap
import warnings
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any, Callable

import pytest

from tests.testing import load_lib, make_socket, terminate

pytest.importorskip("tornado", reason="ZMQStream runs on tornado's IOLoop")

WAIT = 5.0


@pytest.fixture(params=["purezmq", "zmq"])
def ev(request: Any) -> Iterator[SimpleNamespace]:
    """The library, its zmqstream module and a fresh context (destroyed after)."""
    lib = load_lib(request.param)
    zmqstream = importlib.import_module(f"{request.param}.eventloop.zmqstream")
    ctx = lib.Context()
    made: list[Any] = []

    def sock(kind: str) -> Any:
        s = make_socket(ctx, getattr(lib, kind))
        made.append(s)
        return s

    yield SimpleNamespace(zmq=lib, zmqstream=zmqstream, ctx=ctx, sock=sock, name=request.param)
    for s in made:
        if not s.closed:
            s.close(linger=0)
    terminate(ctx)


def run(coro_fn: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Run `coro_fn()` on a new event loop, failing if it takes over `timeout` s."""

    async def main() -> Any:
        return await asyncio.wait_for(coro_fn(), timeout)

    return asyncio.run(main())


async def loop_turns(n: int = 5) -> None:
    """Let the loop go round `n` times (each turn runs what was scheduled before it)."""
    for _ in range(n):
        await asyncio.sleep(0)


def connected_pair(ev: SimpleNamespace, a: str, b: str, transport: str = "tcp") -> tuple[Any, Any]:
    sa, sb = ev.sock(a), ev.sock(b)
    if transport == "tcp":
        port = sa.bind_to_random_port("tcp://127.0.0.1")
        sb.connect(f"tcp://127.0.0.1:{port}")
    else:
        name = f"inproc://zmqstream-{id(sa)}"
        sa.bind(name)
        sb.connect(name)
    return sa, sb


def test_echo_via_on_recv(ev: SimpleNamespace) -> None:
    async def main() -> list[list[bytes]]:
        rep, req = connected_pair(ev, "REP", "REQ")
        server = ev.zmqstream.ZMQStream(rep)
        client = ev.zmqstream.ZMQStream(req)
        server.on_recv_stream(lambda stream, msg: stream.send_multipart(msg))
        replies: list[list[bytes]] = []
        done = asyncio.get_running_loop().create_future()

        def on_reply(msg: list[bytes]) -> None:
            replies.append(msg)
            if len(replies) == 20:
                done.set_result(None)
            else:
                client.send_multipart([b"ping", b"%d" % len(replies)])

        client.on_recv(on_reply)
        client.send_multipart([b"ping", b"0"])
        await asyncio.wait_for(done, WAIT)
        server.close()
        client.close()
        return replies

    replies = run(main)
    assert replies == [[b"ping", b"%d" % i] for i in range(20)]


def test_on_recv_copy_false_gives_frames(ev: SimpleNamespace) -> None:
    async def main() -> list[Any]:
        push, pull = connected_pair(ev, "PUSH", "PULL")
        stream = ev.zmqstream.ZMQStream(pull)
        got = asyncio.get_running_loop().create_future()
        stream.on_recv(got.set_result, copy=False)
        push.send_multipart([b"a", b"bc"])
        msg: list[Any] = await asyncio.wait_for(got, WAIT)
        stream.close()
        return msg

    msg = run(main)
    assert all(isinstance(f, ev.zmq.Frame) for f in msg)
    assert [f.bytes for f in msg] == [b"a", b"bc"]


def test_on_send_callbacks_and_helpers(ev: SimpleNamespace) -> None:
    async def main() -> tuple[list[Any], list[Any], list[Any]]:
        push, pull = connected_pair(ev, "PUSH", "PULL")
        stream = ev.zmqstream.ZMQStream(push)
        sent: list[Any] = []
        stream.on_send(lambda msg, status: sent.append((msg, status)))
        stream.send(b"raw")
        stream.send_string("text")
        stream.send_json({"k": 1})
        stream.send_pyobj((1, 2))
        while stream.sending():  # each turn of the loop sends one
            await asyncio.sleep(0)
        per_call: list[Any] = []
        # a callback given to send replaces the stream's send callback, for good
        stream.send_multipart([b"x", b"y"], callback=lambda m, s: per_call.append(m))
        stream.send(b"z")
        while stream.sending():
            await asyncio.sleep(0)
        await loop_turns()
        received = [pull.recv_multipart() for _ in range(6)]
        stream.close()
        return sent, per_call, received

    sent, per_call, received = run(main)
    assert [status for _msg, status in sent] == [None] * 4  # copy=True: no tracker
    assert [msg for msg, _status in sent][:2] == [[b"raw"], [b"text"]]
    assert per_call == [[b"x", b"y"], [b"z"]]
    assert received[0] == [b"raw"] and received[1] == [b"text"]
    assert json.loads(received[2][0]) == {"k": 1}
    assert pickle.loads(received[3][0]) == (1, 2)
    assert received[4:] == [[b"x", b"y"], [b"z"]]


def test_on_send_stream_gets_the_stream(ev: SimpleNamespace) -> None:
    async def main() -> list[Any]:
        push, pull = connected_pair(ev, "PUSH", "PULL")
        stream = ev.zmqstream.ZMQStream(push)
        done = asyncio.get_running_loop().create_future()
        stream.on_send_stream(lambda s, msg, status: done.set_result((s is stream, msg)))
        stream.send(b"m")
        result = await asyncio.wait_for(done, WAIT)
        assert pull.recv() == b"m"
        stream.close()
        return list(result)

    assert run(main) == [True, [b"m"]]


def test_sends_are_queued_until_the_socket_can_send(ev: SimpleNamespace) -> None:
    async def main() -> tuple[bool, list[bytes], bool]:
        push = ev.sock("PUSH")
        port = push.bind_to_random_port("tcp://127.0.0.1")
        stream = ev.zmqstream.ZMQStream(push)
        for i in range(3):
            stream.send(b"%d" % i)
        queued = stream.sending()  # nothing is sent right away
        await loop_turns()
        pull = ev.sock("PULL")
        pull.connect(f"tcp://127.0.0.1:{port}")
        got: list[bytes] = []
        done = asyncio.get_running_loop().create_future()
        pull_stream = ev.zmqstream.ZMQStream(pull)

        def on_msg(msg: list[bytes]) -> None:
            got.append(msg[0])
            if len(got) == 3:
                done.set_result(None)

        pull_stream.on_recv(on_msg)
        await asyncio.wait_for(done, WAIT)
        still = stream.sending()
        stream.close()
        pull_stream.close()
        return queued, got, still

    queued, got, still = run(main)
    assert queued
    assert got == [b"0", b"1", b"2"]
    assert not still


def test_flush(ev: SimpleNamespace) -> None:
    async def main() -> dict[str, Any]:
        push, pull = connected_pair(ev, "PUSH", "PULL", transport="inproc")
        stream = ev.zmqstream.ZMQStream(pull)
        got: list[list[bytes]] = []
        stream.on_recv(got.append)
        for i in range(4):
            push.send(b"%d" % i)
        out: dict[str, Any] = {}
        out["limited"] = stream.flush(limit=1)
        out["after_limit"] = list(got)
        out["rest"] = stream.flush()
        out["all"] = list(got)
        out["nothing_left"] = stream.flush()
        # with no callback, flush(POLLIN) still takes (and drops) messages
        stream.stop_on_recv()
        push.send(b"dropped")
        assert pull.poll(5000) == ev.zmq.POLLIN
        out["dropped"] = stream.flush(ev.zmq.POLLIN)
        with pytest.raises(ev.zmq.Again):
            pull.recv(ev.zmq.NOBLOCK)
        # POLLOUT: queued sends go now, without the loop
        out_stream = ev.zmqstream.ZMQStream(push)
        out_stream.send(b"q1")
        out_stream.send(b"q2")
        out["sent"] = out_stream.flush(ev.zmq.POLLOUT)
        out["sending"] = out_stream.sending()
        out["recv"] = [pull.recv(), pull.recv()]
        await loop_turns()
        stream.close()
        out_stream.close()
        return out

    out = run(main)
    assert out["limited"] == 1 and out["after_limit"] == [[b"0"]]
    assert out["rest"] == 3 and out["all"] == [[b"0"], [b"1"], [b"2"], [b"3"]]
    assert out["nothing_left"] == 0
    assert out["dropped"] == 1
    assert out["sent"] == 2 and out["sending"] is False
    assert out["recv"] == [b"q1", b"q2"]


def test_stop_on_recv(ev: SimpleNamespace) -> None:
    async def main() -> tuple[list[list[bytes]], bool, bytes]:
        push, pull = connected_pair(ev, "PUSH", "PULL")
        stream = ev.zmqstream.ZMQStream(pull)
        got: list[list[bytes]] = []
        first = asyncio.get_running_loop().create_future()

        def on_msg(msg: list[bytes]) -> None:
            got.append(msg)
            if not first.done():
                first.set_result(None)

        stream.on_recv(on_msg)
        push.send(b"one")
        await asyncio.wait_for(first, WAIT)
        stream.stop_on_recv()
        receiving = stream.receiving()
        push.send(b"two")
        assert pull.poll(5000) == ev.zmq.POLLIN  # it is there...
        await loop_turns(10)  # ...and the loop went round without taking it
        left = pull.recv(ev.zmq.NOBLOCK)
        stream.close()
        return got, receiving, left

    got, receiving, left = run(main)
    assert got == [[b"one"]]
    assert receiving is False
    assert left == b"two"


def test_close_closed_and_close_callback(ev: SimpleNamespace) -> None:
    async def main() -> dict[str, Any]:
        push, pull = connected_pair(ev, "PUSH", "PULL")
        stream = ev.zmqstream.ZMQStream(pull)
        calls: list[str] = []
        stream.set_close_callback(lambda: calls.append("closed"))
        stream.on_recv(lambda msg: None)
        out: dict[str, Any] = {"before": stream.closed(), "receiving": stream.receiving()}
        stream.close()
        out["after"] = stream.closed()
        out["socket_closed"] = pull.closed
        out["calls"] = list(calls)
        stream.close()  # twice: nothing more happens
        out["calls_again"] = list(calls)
        for action in (lambda: stream.on_recv(print), stream.flush, lambda: stream.on_send(print)):
            with pytest.raises(OSError, match="Stream is closed"):
                action()
        await loop_turns()
        return out

    out = run(main)
    assert out == {
        "before": False,
        "receiving": True,
        "after": True,
        "socket_closed": True,
        "calls": ["closed"],
        "calls_again": ["closed"],
    }


def test_socket_closed_behind_the_streams_back(ev: SimpleNamespace) -> None:
    async def main() -> tuple[bool, list[str], list[str]]:
        push, pull = connected_pair(ev, "PUSH", "PULL")
        stream = ev.zmqstream.ZMQStream(pull)
        calls: list[str] = []
        stream.set_close_callback(lambda: calls.append("closed"))
        pull.close()
        with warnings.catch_warnings(record=True) as records:
            warnings.simplefilter("always")
            closed = stream.closed()  # notices, and closes the stream
        await loop_turns()
        return closed, calls, [str(r.message) for r in records]

    closed, calls, messages = run(main)
    assert closed
    assert calls == ["closed"]
    assert any("after closing socket" in m for m in messages)


def test_stream_on_a_closed_socket(ev: SimpleNamespace) -> None:
    async def main() -> None:
        sock = ev.sock("PULL")
        sock.close()
        with pytest.raises(ev.zmq.ZMQError) as info:
            ev.zmqstream.ZMQStream(sock)
        assert info.value.errno == errno.ENOTSOCK

    run(main)


def test_callback_must_be_callable(ev: SimpleNamespace) -> None:
    async def main() -> None:
        stream = ev.zmqstream.ZMQStream(ev.sock("PULL"))
        for bad in (1, "x"):
            with pytest.raises(AssertionError):
                stream.on_recv(bad)
            with pytest.raises(AssertionError):
                stream.on_send(bad)
        stream.close()

    run(main)


def test_coroutine_callback_and_its_error_is_logged(
    ev: SimpleNamespace, caplog: pytest.LogCaptureFixture
) -> None:
    async def main() -> list[bytes]:
        push, pull = connected_pair(ev, "PUSH", "PULL")
        stream = ev.zmqstream.ZMQStream(pull)
        got = asyncio.get_running_loop().create_future()
        logged = asyncio.get_running_loop().create_future()

        async def callback(msg: list[bytes]) -> None:
            await asyncio.sleep(0)
            got.set_result(msg)
            asyncio.get_running_loop().call_soon(logged.set_result, None)
            raise ZeroDivisionError("in the callback")

        stream.on_recv(callback)
        push.send(b"c")
        msg: list[bytes] = await asyncio.wait_for(got, WAIT)
        await asyncio.wait_for(logged, WAIT)
        await loop_turns()
        stream.close()
        return msg

    with caplog.at_level(logging.ERROR, logger="tornado.general"):
        assert run(main) == [b"c"]
    assert "Uncaught exception in ZMQStream callback" in caplog.text


def test_socket_methods_are_the_sockets(ev: SimpleNamespace) -> None:
    async def main() -> None:
        sock = ev.sock("PULL")
        stream = ev.zmqstream.ZMQStream(sock)
        assert stream.socket is sock
        assert stream.bind == sock.bind and stream.connect == sock.connect
        stream.setsockopt(ev.zmq.LINGER, 7)
        assert stream.getsockopt(ev.zmq.LINGER) == 7
        assert stream.io_loop is ev.zmqstream.IOLoop.current()
        stream.close()

    run(main)


def test_async_socket_is_shadowed_with_a_warning(ev: SimpleNamespace) -> None:
    aio = pytest.importorskip(
        f"{ev.name}.asyncio", reason=f"{ev.name}.asyncio is not on this branch yet"
    )

    async def main() -> None:
        sock = ev.ctx.socket(ev.zmq.PUSH, socket_class=aio.Socket)
        with pytest.warns(RuntimeWarning):
            stream = ev.zmqstream.ZMQStream(sock)
        assert type(stream.socket) is ev.zmq.Socket
        assert stream.socket.underlying == sock.underlying
        stream.close()
        sock.close()

    run(main)


def test_ioloop_module(ev: SimpleNamespace) -> None:
    import tornado.ioloop

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # on import: tested below
        ioloop = importlib.import_module(f"{ev.name}.eventloop.ioloop")
    assert ioloop.IOLoop is tornado.ioloop.IOLoop
    assert ioloop.ZMQIOLoop is tornado.ioloop.IOLoop
    assert ioloop.PeriodicCallback is tornado.ioloop.PeriodicCallback  # tornado's names too
    eventloop = importlib.import_module(f"{ev.name}.eventloop")
    assert eventloop.IOLoop is tornado.ioloop.IOLoop
    with pytest.warns(DeprecationWarning, match="deprecated in pyzmq 17"):
        ioloop.install()


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("name", ["purezmq", "zmq"])
def test_importing_ioloop_warns(name: str) -> None:
    load_lib(name)
    proc = _python(
        f"""
        import warnings
        with warnings.catch_warnings(record=True) as records:
            warnings.simplefilter("always")
            import {name}.eventloop.ioloop
        print([r.category.__name__ for r in records if "deprecated" in str(r.message)])
        """
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "['DeprecationWarning']"


@pytest.mark.parametrize("name", ["purezmq", "zmq"])
def test_without_tornado_import_fails_clearly(name: str) -> None:
    load_lib(name)
    proc = _python(
        f"""
        import sys
        sys.modules["tornado"] = None  # as if tornado were not installed
        import {name}
        try:
            import {name}.eventloop.zmqstream
        except ImportError as exc:
            print("ImportError:", exc)
        else:
            print("imported")
        """
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("ImportError:")
    assert "tornado" in proc.stdout
    if name == "purezmq":
        assert "needs tornado" in proc.stdout


# pyzmq's documented ZMQStream examples (docs, "Eventloops and PyZMQ"), unchanged
# but for the endpoints (a free port here instead of 12345 / 54321) and the client
# that drives them and stops the loop.
_DOC_EXAMPLE = """
import threading
import zmq
from zmq.eventloop import ioloop
from zmq.eventloop.zmqstream import ZMQStream

ctx = zmq.Context()
with zmq.Context() as probe_ctx:
    ports = []
    for _ in range(2):
        probe = probe_ctx.socket(zmq.REP)
        ports.append(probe.bind_to_random_port("tcp://127.0.0.1"))
        probe.close()
    ENDPOINT, ENDPOINT2 = ("tcp://127.0.0.1:%d" % p for p in ports)

# -- the documented on_recv example --
s = ctx.socket(zmq.REP)
s.bind(ENDPOINT)
stream = ZMQStream(s)


def echo(msg):
    stream.send_multipart(msg)


stream.on_recv(echo)

# -- the documented on_recv_stream example --
s1 = ctx.socket(zmq.REP)
s1.bind(ENDPOINT2)
stream1 = ZMQStream(s1)


def echo(stream, msg):
    stream.send_multipart(msg)


stream1.on_recv_stream(echo)

# -- a client in a thread, which stops the loop when done --
loop = ioloop.IOLoop.instance()
replies = []


def client():
    try:
        with ctx.socket(zmq.REQ) as req, ctx.socket(zmq.REQ) as req2:
            for sock, ep in ((req, ENDPOINT), (req2, ENDPOINT2)):
                sock.rcvtimeo = sock.sndtimeo = 5000
                sock.linger = 0
                sock.connect(ep)
                sock.send_multipart([b"hello", ep.encode()])
                replies.append(sock.recv_multipart())
    finally:
        loop.add_callback(loop.stop)


threading.Thread(target=client, daemon=True).start()
timeout = loop.call_later(20, loop.stop)
ioloop.IOLoop.instance().start()
print(replies == [[b"hello", ENDPOINT.encode()], [b"hello", ENDPOINT2.encode()]])
stream.close(linger=0)
stream1.close(linger=0)
ctx.term()
"""


@pytest.mark.parametrize("name", ["purezmq", "zmq"])
def test_documented_example_unchanged(name: str) -> None:
    load_lib(name)
    code = _DOC_EXAMPLE
    if name == "purezmq":
        code = code.replace("import zmq\n", "import purezmq as zmq\n", 1)
        code = code.replace("from zmq.eventloop", "from purezmq.eventloop")
    proc = _python(code)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "True", proc.stderr


def test_burst_from_another_thread_is_all_received(ev: SimpleNamespace) -> None:
    """The fd is edge-style: a burst signals once, and the stream must keep
    going round until the socket is empty."""
    import threading

    async def main() -> list[bytes]:
        push, pull = connected_pair(ev, "PUSH", "PULL")
        stream = ev.zmqstream.ZMQStream(pull)
        got: list[bytes] = []
        done = asyncio.get_running_loop().create_future()
        loop = asyncio.get_running_loop()

        def on_msg(msg: list[bytes]) -> None:
            got.append(msg[0])
            if len(got) == 500:
                done.set_result(None)

        stream.on_recv(on_msg)
        await loop_turns()
        sender = threading.Thread(target=lambda: [push.send(b"%d" % i) for i in range(500)])
        await loop.run_in_executor(None, sender.run)
        await asyncio.wait_for(done, WAIT)
        stream.close()
        return got

    assert run(main) == [b"%d" % i for i in range(500)]


def test_shadow_socket_closed_elsewhere(
    ev: SimpleNamespace, caplog: pytest.LogCaptureFixture
) -> None:
    """A stream on a shadow whose socket is closed elsewhere notices at its next
    event: it closes itself with a warning and logs what happened."""

    async def main() -> tuple[list[str], bool]:
        push, pull = connected_pair(ev, "PUSH", "PULL")
        stream = ev.zmqstream.ZMQStream(ev.zmq.Socket.shadow(pull))
        for i in range(5):
            push.send(b"%d" % i)
        assert pull.recv() == b"0"
        assert pull.poll(5000) == ev.zmq.POLLIN  # more are waiting (tcp: wait for them)
        with warnings.catch_warnings(record=True) as records:
            warnings.simplefilter("always")
            stream.on_recv(lambda msg: None)  # the next turn handles what is waiting...
            pull.close()  # ...but the socket is gone by then
            await loop_turns(10)
            closed = stream.closed()
        return [str(r.message) for r in records], closed

    with caplog.at_level(logging.WARNING, logger="tornado.general"):
        messages, closed = run(main)
    assert closed
    assert any("after closing socket" in m for m in messages)
    assert "closed socket" in caplog.text
