"""The pyzmq Socket/Context API: names, defaults, errno values and messages.

Where behaviour is compared with pyzmq, both libraries run the same code in
the same test (the `both` fixture), so the expectation is never from memory.
"""

from __future__ import annotations

import errno
import inspect
import json
import os
import select
import sys
import threading
import time
from typing import Any

import pytest

import purezmq
from tests.testing import eventually, innermost, make_socket, terminate

zmq = purezmq


@pytest.fixture(params=["purezmq", "pyzmq"])
def lib(request: Any) -> Any:
    if request.param == "pyzmq":
        return pytest.importorskip("zmq")
    return purezmq


@pytest.fixture
def lctx(lib: Any) -> Any:
    c = lib.Context()
    yield c
    terminate(c)


def _errno_of(fn: Any, *args: Any) -> Any:
    try:
        fn(*args)
    except purezmq.ZMQError as exc:  # purezmq
        return ("ZMQError", exc.errno)
    except Exception as exc:
        if type(exc).__name__ in ("ZMQError", "Again", "ContextTerminated"):
            return ("ZMQError", exc.errno)  # type: ignore[attr-defined]
        return (type(exc).__name__, None)
    return ("ok", None)


OPTIONS_TO_READ = [
    "SNDHWM",
    "RCVHWM",
    "LINGER",
    "ROUTING_ID",
    "RCVTIMEO",
    "SNDTIMEO",
    "RECONNECT_IVL",
    "RECONNECT_IVL_MAX",
    "IMMEDIATE",
    "CONFLATE",
    "MAXMSGSIZE",
    "LAST_ENDPOINT",
    "TYPE",
    "RCVMORE",
    "BACKLOG",
    "TCP_KEEPALIVE",
    "TCP_KEEPALIVE_IDLE",
    "TCP_KEEPALIVE_INTVL",
    "TCP_KEEPALIVE_CNT",
    "IPV6",
    "HEARTBEAT_IVL",
    "HEARTBEAT_TTL",
    "HEARTBEAT_TIMEOUT",
    "HANDSHAKE_IVL",
    "PLAIN_SERVER",
    "PLAIN_USERNAME",
    "PLAIN_PASSWORD",
    "MECHANISM",
    "ROUTER_MANDATORY",
    "ROUTER_HANDOVER",
    "PROBE_ROUTER",
    "SNDBUF",
    "RCVBUF",
]


@pytest.mark.parametrize("kind", ["PUSH", "PULL", "DEALER", "ROUTER", "PAIR"])
def test_option_defaults_match_pyzmq(kind: str, pyctx: Any) -> None:
    import zmq as pyzmq

    ours = purezmq.Context()
    try:
        a = ours.socket(getattr(purezmq, kind))
        b = pyctx.socket(getattr(pyzmq, kind))
        for name in OPTIONS_TO_READ:
            got = _errno_of(a.get, getattr(purezmq, name))
            want = _errno_of(b.get, getattr(pyzmq, name))
            if want[0] == "ok":
                assert a.get(getattr(purezmq, name)) == b.get(getattr(pyzmq, name)), name
            else:
                assert got == want, name
        b.close(0)
        a.close(0)
    finally:
        terminate(ours)


BAD_CALLS = [
    ("bind", "tcp://foo"),
    ("bind", "xyz://a"),
    ("bind", "inproc://"),
    ("bind", "ipc://"),
    ("connect", "tcp://127.0.0.1"),
    ("connect", "nonsense"),
    ("unbind", "tcp://127.0.0.1:5"),
    ("disconnect", "tcp://127.0.0.1:5"),
]


@pytest.mark.parametrize("method,arg", BAD_CALLS)
def test_bad_endpoints_raise_like_pyzmq(method: str, arg: str, pyctx: Any) -> None:
    import zmq as pyzmq

    ours = purezmq.Context()
    try:
        a = ours.socket(purezmq.DEALER)
        b = pyctx.socket(pyzmq.DEALER)
        assert _errno_of(getattr(a, method), arg) == _errno_of(getattr(b, method), arg)
        a.close(0)
        b.close(0)
    finally:
        terminate(ours)


def test_bind_unknown_interface_is_enodev(ctx: purezmq.Context) -> None:
    s = ctx.socket(zmq.ROUTER)
    with pytest.raises(zmq.ZMQError) as info:
        s.bind("tcp://no-such-host.invalid:5555")
    assert info.value.errno == errno.ENODEV
    s.close(0)


BAD_OPTIONS = [
    ("SNDHWM", -1),
    ("LINGER", -5),
    ("RCVTIMEO", -2),
    ("ROUTING_ID", b"x" * 256),
    ("LINGER", "a"),
    ("ROUTING_ID", "text"),
    ("SNDHWM", 2**40),
    ("SUBSCRIBE", b"a"),
]


@pytest.mark.parametrize("name,value", BAD_OPTIONS)
def test_bad_option_values_raise_like_pyzmq(name: str, value: Any, pyctx: Any) -> None:
    import zmq as pyzmq

    ours = purezmq.Context()
    try:
        a = ours.socket(purezmq.PUSH)
        b = pyctx.socket(pyzmq.PUSH)
        got = _errno_of(a.set, getattr(purezmq, name), value)
        want = _errno_of(b.set, getattr(pyzmq, name), value)
        assert got == want
        a.close(0)
        b.close(0)
    finally:
        terminate(ours)


def test_unknown_option_is_einval(ctx: purezmq.Context) -> None:
    s = ctx.socket(zmq.PUSH)
    with pytest.raises(zmq.ZMQError) as info:
        s.set(9999, 1)
    assert info.value.errno == errno.EINVAL
    with pytest.raises(zmq.ZMQError):
        s.get(9999)
    s.close(0)


def test_wrong_direction_is_enotsup(lctx: Any, lib: Any) -> None:
    push = lctx.socket(lib.PUSH)
    pull = lctx.socket(lib.PULL)
    with pytest.raises(lib.ZMQError) as info:
        push.recv(lib.NOBLOCK)
    assert info.value.errno == errno.ENOTSUP
    with pytest.raises(lib.ZMQError) as info:
        pull.send(b"x", lib.NOBLOCK)
    assert info.value.errno == errno.ENOTSUP
    push.close(0)
    pull.close(0)


def test_closed_socket_is_enotsock(lctx: Any, lib: Any) -> None:
    s = lctx.socket(lib.PUSH)
    s.close()
    assert s.closed
    for call, args in [(s.send, (b"x",)), (s.get, (lib.LINGER,)), (s.bind, ("tcp://127.0.0.1:0",))]:
        with pytest.raises(lib.ZMQError) as info:
            call(*args)
        assert info.value.errno == lib.ENOTSOCK
    s.close()  # closing twice is fine


def test_attribute_options(lctx: Any, lib: Any) -> None:
    s = lctx.socket(lib.DEALER)
    s.linger = 0
    s.identity = b"me"
    s.rcvtimeo = 123
    assert s.linger == 0
    assert s.identity == b"me"
    assert s.routing_id == b"me"
    assert s.rcvtimeo == 123
    assert s.getsockopt(lib.IDENTITY) == b"me"
    s.hwm = 7
    assert s.sndhwm == 7 and s.rcvhwm == 7
    s.setsockopt_string(lib.IDENTITY, "ü")
    assert s.getsockopt_string(lib.IDENTITY) == "ü"
    with pytest.raises(AttributeError):
        s.no_such_option  # noqa: B018
    s.close()


def test_typed_option_attributes_match_the_properties() -> None:
    """sugar/_option_attrs.py (what mypy sees) lists exactly the option
    properties socket.py makes at run time, with each option's value type."""
    from purezmq.sugar._option_attrs import SocketOptionAttributes
    from purezmq.sugar.socket import Socket

    typed = dict(SocketOptionAttributes.__annotations__)
    for name, member in vars(SocketOptionAttributes).items():
        if isinstance(member, property):
            typed[name] = member.fget.__annotations__["return"]
    made = {}
    for name, option in purezmq.SocketOption.__members__.items():
        for attr in (name.lower(), name):  # s.linger and s.LINGER
            prop = inspect.getattr_static(Socket, attr)
            if isinstance(prop, property) and prop.fget.__qualname__.startswith("_option_property"):
                made[attr] = "bytes" if purezmq.constants.option_type(option) == "bytes" else "int"
    assert typed == made


def test_options_annotations_cover_the_table() -> None:
    from purezmq.patterns.options import _TABLE, Options

    kinds = {attr: "bytes" if kind == "bytes" else "int" for attr, kind, *_ in _TABLE.values()}
    declared = dict(Options.__annotations__)
    assert declared.pop("socket_type") == "int"
    assert declared == kinds


def test_no_block_and_timeouts_raise_again(ctx: purezmq.Context) -> None:
    pull = ctx.socket(zmq.PULL)
    with pytest.raises(zmq.Again):
        pull.recv(zmq.NOBLOCK)
    pull.rcvtimeo = 50
    start = time.monotonic()
    with pytest.raises(zmq.Again) as info:
        pull.recv()
    elapsed = time.monotonic() - start
    assert 0.04 <= elapsed < 1.0
    assert info.value.errno == errno.EAGAIN
    push = ctx.socket(zmq.PUSH)  # no peer: a send would block
    push.sndtimeo = 30
    with pytest.raises(zmq.Again):
        push.send(b"x")
    with pytest.raises(zmq.Again):
        push.send(b"x", zmq.DONTWAIT)
    pull.close(0)
    push.close(0)


def test_last_endpoint_and_wildcards(ctx: purezmq.Context) -> None:
    s = ctx.socket(zmq.PULL)
    s.bind("tcp://127.0.0.1:*")
    ep = s.last_endpoint.decode()
    assert ep.startswith("tcp://127.0.0.1:") and not ep.endswith(":*")
    port = s.bind_to_random_port("tcp://127.0.0.1")
    assert s.last_endpoint == f"tcp://127.0.0.1:{port}".encode()
    other = ctx.socket(zmq.PULL)
    with pytest.raises(zmq.ZMQError) as info:
        other.bind(ep)
    assert info.value.errno == errno.EADDRINUSE
    s.bind("tcp://*:0")
    assert s.last_endpoint.startswith(b"tcp://0.0.0.0:")
    s.close(0)
    other.close(0)


def test_bind_to_random_port_range(ctx: purezmq.Context) -> None:
    s = ctx.socket(zmq.PULL)
    port = s.bind_to_random_port("tcp://127.0.0.1", min_port=30000, max_port=40000)
    assert 30000 <= port < 40000
    s.close(0)


def test_bind_returns_context_manager(ctx: purezmq.Context) -> None:
    s = ctx.socket(zmq.PULL)
    with s.bind("tcp://127.0.0.1:0") as same:
        assert same is s
        ep = s.last_endpoint.decode()
    with pytest.raises(zmq.ZMQError) as info:
        s.unbind(ep)  # already unbound by the with block
    assert info.value.errno == errno.ENOENT
    s.close(0)


def test_fd_and_events_work_with_select(ctx: purezmq.Context) -> None:
    pull = ctx.socket(zmq.PULL)
    push = ctx.socket(zmq.PUSH)
    pull.bind("inproc://fd-test")
    push.connect("inproc://fd-test")
    assert pull.getsockopt(zmq.EVENTS) & zmq.POLLIN == 0
    fd = pull.getsockopt(zmq.FD)
    assert fd == pull.fileno()
    push.send(b"wake")
    r, _, _ = select.select([fd], [], [], 2.0)
    assert r == [fd]
    assert pull.getsockopt(zmq.EVENTS) & zmq.POLLIN
    assert pull.recv() == b"wake"
    assert push.getsockopt(zmq.EVENTS) & zmq.POLLOUT
    pull.close(0)
    push.close(0)


def test_serialisation_helpers(ctx: purezmq.Context) -> None:
    a = make_socket(ctx, zmq.PAIR)
    b = make_socket(ctx, zmq.PAIR)
    a.bind("inproc://ser")
    b.connect("inproc://ser")
    a.send_string("héllo")
    assert b.recv_string() == "héllo"
    a.send_json({"x": [1, 2]})
    assert b.recv_json() == {"x": [1, 2]}
    a.send_pyobj({"set": {1, 2}})
    assert b.recv_pyobj() == {"set": {1, 2}}
    a.send_serialized({"k": 1}, lambda m: [json.dumps(m).encode(), b"tail"])
    assert b.recv_serialized(lambda frames: (json.loads(frames[0]), frames[1])) == (
        {"k": 1},
        b"tail",
    )
    with pytest.raises(TypeError):
        a.send("text")  # type: ignore[arg-type]
    a.close()
    b.close()


def test_frames_copy_false_and_rcvmore(ctx: purezmq.Context) -> None:
    a = make_socket(ctx, zmq.PAIR)
    b = make_socket(ctx, zmq.PAIR)
    a.bind("inproc://frames")
    b.connect("inproc://frames")
    a.send(b"one", zmq.SNDMORE)
    a.send(zmq.Frame(b"two"), zmq.SNDMORE)
    a.send(memoryview(b"three"))
    f = b.recv(copy=False)
    assert isinstance(f, zmq.Frame) and f.bytes == b"one" and f.more
    assert b.getsockopt(zmq.RCVMORE) == 1
    assert b.recv() == b"two"
    assert b.rcvmore == 1
    last = b.recv(copy=False)
    assert last.bytes == b"three" and not last.more and last.get(zmq.MORE) == 0
    assert b.getsockopt(zmq.RCVMORE) == 0
    a.send_multipart([b"x", b"", b"z"])
    frames = b.recv_multipart(copy=False)
    assert [fr.bytes for fr in frames] == [b"x", b"", b"z"]
    assert [fr.more for fr in frames] == [True, True, False]
    a.close()
    b.close()


def test_track_reports_release(ctx: purezmq.Context) -> None:
    a = make_socket(ctx, zmq.PAIR)
    b = make_socket(ctx, zmq.PAIR)
    a.bind("inproc://track")
    b.connect("inproc://track")
    body = b"x" * 100_000  # at least copy_threshold: smaller ones are copied, done at once
    tracker = a.send(body, copy=False, track=True)
    assert isinstance(tracker, zmq.MessageTracker)
    assert not tracker.done  # the receiver's pipe still holds it
    assert b.recv() == body
    tracker.wait(2)
    assert tracker.done
    a.close()
    b.close()


def test_context_term_wakes_blocked_recv(lib: Any) -> None:
    if lib is not purezmq and sys.implementation.name == "pypy":
        pytest.skip("pyzmq's cffi backend (PyPy) raises ETERM from close(linger) after term()")
    c = lib.Context()
    s = c.socket(lib.PULL)
    s.bind("inproc://blocked")
    caught: list[Any] = []

    def blocked() -> None:
        try:
            s.recv()
        except lib.ContextTerminated as exc:
            caught.append(exc)
        finally:
            s.close(0)

    t = threading.Thread(target=blocked, daemon=True)
    t.start()
    # in the blocking recv: purezmq sleeps in Mailbox.wait (inside
    # SocketBase._block_until); pyzmq's recv is C code without a frame, so
    # there `blocked` itself is the innermost frame
    if lib is purezmq:
        eventually(lambda: innermost(t) == "wait", what="the thread asleep in recv")
    else:
        eventually(lambda: innermost(t) == "blocked", what="the thread in recv")
    termer = threading.Thread(target=c.term, daemon=True)
    termer.start()
    t.join(5)
    termer.join(5)
    assert not t.is_alive() and not termer.is_alive()
    assert caught and caught[0].errno == lib.ETERM
    with pytest.raises(lib.ZMQError):
        c.socket(lib.PUSH)


def test_context_instance_and_manager() -> None:
    inst = zmq.Context.instance()
    assert zmq.Context.instance() is inst
    with zmq.Context() as c:
        s = c.socket(zmq.PUSH)
        s.close()
    assert c.closed
    inst.term()
    assert zmq.Context.instance() is not inst
    zmq.Context.instance().term()


def test_context_default_sockopts(ctx: purezmq.Context) -> None:
    ctx.linger = 0
    ctx.setsockopt(zmq.SNDHWM, 5)
    s = ctx.socket(zmq.PUSH)
    assert s.linger == 0
    assert s.sndhwm == 5
    s.close()


def test_ipc_file_removed_on_unbind_and_close(ctx: purezmq.Context, ipc_dir: str) -> None:
    path = os.path.join(ipc_dir, "s1")
    s = ctx.socket(zmq.PULL)
    s.bind("ipc://" + path)
    assert os.path.exists(path)
    s.unbind("ipc://" + path)
    eventually(lambda: not os.path.exists(path), 2, what=f"{path} removed")
    assert not os.path.exists(path)
    s.bind("ipc://" + path)
    s.close()
    eventually(lambda: not os.path.exists(path), 2, what=f"{path} removed")
    assert not os.path.exists(path)


def test_ipc_abstract_namespace(ctx: purezmq.Context) -> None:
    name = f"ipc://@purezmq-test-{os.getpid()}-{time.monotonic_ns()}"
    pull = make_socket(ctx, zmq.PULL)
    push = make_socket(ctx, zmq.PUSH)
    pull.bind(name)
    push.connect(name)
    push.send(b"abstract")
    assert pull.recv() == b"abstract"
    pull.close()
    push.close()


def test_strerror_and_version() -> None:
    assert zmq.strerror(zmq.EFSM) == "Operation cannot be accomplished in current state"
    assert zmq.zmq_version_info()[0] == 4
    assert isinstance(zmq.zmq_version(), str)
    assert zmq.has("ipc")
    assert zmq.has("curve")


def test_dropped_sockets_do_not_block_term() -> None:
    """As with pyzmq, a socket the app drops without close() is closed when
    collected, so term() does not wait for it forever."""
    import gc

    c = zmq.Context()
    bound = c.socket(zmq.PULL)
    bound.bind("inproc://dropped")
    port = bound.bind_to_random_port("tcp://127.0.0.1")
    peer = c.socket(zmq.PUSH)
    peer.linger = 0
    peer.connect(f"tcp://127.0.0.1:{port}")
    peer.send(b"x")
    assert bound.recv() == b"x"
    del bound, peer
    gc.collect()
    terminate(c, timeout=5)


def test_receive_only_socket_refuses_sndmore(lctx: Any, lib: Any) -> None:
    pull = lctx.socket(lib.PULL)
    with pytest.raises(lib.ZMQError) as info:
        pull.send(b"x", lib.SNDMORE | lib.NOBLOCK)
    assert info.value.errno == errno.ENOTSUP
    pull.close(0)


@pytest.mark.parametrize("sender,receiver", [("PUSH", "PULL"), ("DEALER", "ROUTER")])
def test_sndmore_sends_no_extra_message(lctx: Any, lib: Any, sender: str, receiver: str) -> None:
    """A message started with SNDMORE arrives alone: the receive-only check in
    Socket.send must not send anything on types whose send is bound per instance."""
    rx = lctx.socket(getattr(lib, receiver))
    tx = lctx.socket(getattr(lib, sender))
    rx.rcvtimeo = 2000
    addr = f"inproc://sndmore-{sender}"
    rx.bind(addr)
    tx.connect(addr)
    tx.send(b"a", lib.SNDMORE)
    tx.send(b"b")
    got = rx.recv_multipart()
    assert got[-2:] == [b"a", b"b"]
    assert not rx.poll(50)
    tx.close(0)
    rx.close(0)
