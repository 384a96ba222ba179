"""zmq.green: the same assertions against purezmq.green and pyzmq's zmq.green.

These run in the pytest process without monkey-patching (zmq.green needs
none); the monkey-patched scenarios run in subprocesses, so patching never
leaks into the test process. Every wait is bounded: greenlets are joined with
a timeout, sockets have RCVTIMEO/SNDTIMEO where the library honours them.
"""

from __future__ import annotations

import errno
import importlib
import os
import subprocess
import sys
import textwrap
import threading
import time
import warnings
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from tests.testing import load_lib

gevent = pytest.importorskip("gevent", reason="zmq.green runs on gevent")

JOIN = 10.0  # seconds a group of greenlets may take


@pytest.fixture(params=["purezmq", "zmq"])
def green(request: Any) -> Iterator[SimpleNamespace]:
    """The green module (`zmq`), the plain library (`lib`) and a green context."""
    lib = load_lib(request.param)
    gz = importlib.import_module(f"{request.param}.green")
    ctx = gz.Context()
    made: list[Any] = []

    def sock(kind: str) -> Any:
        s = ctx.socket(getattr(gz, kind))
        s.linger = 0
        made.append(s)
        return s

    yield SimpleNamespace(zmq=gz, lib=lib, ctx=ctx, sock=sock, name=request.param)
    for s in made:
        if not s.closed:
            s.close(linger=0)
    ctx.destroy(linger=0)


def pair(g: SimpleNamespace, a: str, b: str) -> tuple[Any, Any]:
    sa, sb = g.sock(a), g.sock(b)
    port = sa.bind_to_random_port("tcp://127.0.0.1")
    sb.connect(f"tcp://127.0.0.1:{port}")
    return sa, sb


def join_all(*greenlets: Any) -> None:
    done = gevent.joinall(list(greenlets), timeout=JOIN, raise_error=True)
    if len(done) != len(greenlets):
        for glet in greenlets:
            glet.kill(block=False)
        pytest.fail(f"greenlets did not finish within {JOIN}s")


def test_green_context_makes_green_sockets(green: SimpleNamespace) -> None:
    sock = green.sock("PAIR")
    assert isinstance(sock, green.zmq.Socket)
    assert isinstance(sock, green.lib.Socket)
    assert green.zmq.Context is not green.lib.Context
    assert green.zmq.Context.instance() is not green.lib.Context.instance()
    assert isinstance(green.zmq.Context.instance().socket(green.zmq.PAIR), green.zmq.Socket)
    # the rest of the library is there too
    assert green.zmq.REQ == green.lib.REQ and green.zmq.Again is green.lib.Again


def test_req_rep_ping_pong_yields_to_a_third_greenlet(green: SimpleNamespace) -> None:
    """The server answers only after a third greenlet has run while the client
    is blocked in recv: if recv blocked the thread, nothing would move."""
    from gevent.event import Event

    rep, req = pair(green, "REP", "REQ")
    rounds = 30
    server_has_request = Event()
    go_ahead = Event()
    helper_ran: list[int] = []
    replies: list[bytes] = []

    def server() -> None:
        for _ in range(rounds):
            msg = rep.recv()
            server_has_request.set()
            assert go_ahead.wait(JOIN)
            go_ahead.clear()
            rep.send(msg.upper())

    def client() -> None:
        for i in range(rounds):
            req.send(b"ping %d" % i)
            replies.append(req.recv())

    def helper() -> None:
        for i in range(rounds):
            assert server_has_request.wait(JOIN)
            server_has_request.clear()
            helper_ran.append(i)
            go_ahead.set()

    join_all(gevent.spawn(server), gevent.spawn(client), gevent.spawn(helper))
    assert replies == [b"PING %d" % i for i in range(rounds)]
    assert helper_ran == list(range(rounds))


def test_recv_and_send_on_one_socket_from_two_greenlets(green: SimpleNamespace) -> None:
    """One greenlet blocked in recv while another sends on the same DEALER:
    the sender consumes the fd's signal, and the receiver must still wake."""
    router, dealer = pair(green, "ROUTER", "DEALER")
    n = 200
    got: list[bytes] = []

    def echo() -> None:
        for _ in range(n):
            router.send_multipart(router.recv_multipart())

    def receiver() -> None:
        for _ in range(n):
            got.append(dealer.recv())

    def sender() -> None:
        for i in range(n):
            dealer.send(b"%d" % i)
            if i % 7 == 0:
                gevent.sleep(0)

    join_all(gevent.spawn(echo), gevent.spawn(receiver), gevent.spawn(sender))
    assert got == [b"%d" % i for i in range(n)]


def test_rcvtimeo(green: SimpleNamespace) -> None:
    """purezmq.green honours RCVTIMEO (zmq.Again, other greenlets running
    meanwhile); pyzmq's green socket ignores it and warns that it does."""
    pull = green.sock("PULL")
    pull.bind_to_random_port("tcp://127.0.0.1")
    ticks: list[int] = []

    def ticker() -> None:
        while True:
            ticks.append(1)
            gevent.sleep(0.001)

    tick = gevent.spawn(ticker)
    try:
        if green.name == "purezmq":
            pull.rcvtimeo = 100
            start = time.monotonic()
            with gevent.Timeout(JOIN), pytest.raises(green.zmq.Again):
                pull.recv()
            assert time.monotonic() - start >= 0.09
            assert ticks, "the ticker never ran while recv waited"
            pull.rcvtimeo = 0
            with pytest.raises(green.zmq.Again):
                pull.recv_multipart()
        else:
            with pytest.warns(UserWarning, match="no effect in zmq.green"):
                pull.rcvtimeo = 100
            # no Again: the recv is still waiting when our own timer fires
            with gevent.Timeout(0.3, False):
                pull.recv()
                pytest.fail("recv returned")
            assert ticks
    finally:
        tick.kill()


def test_sndtimeo(green: SimpleNamespace) -> None:
    push = green.sock("PUSH")
    push.bind_to_random_port("tcp://127.0.0.1")  # no peer: nothing can be sent
    if green.name != "purezmq":
        pytest.skip("pyzmq's zmq.green ignores SNDTIMEO (it warns so)")
    push.sndtimeo = 50
    with gevent.Timeout(JOIN), pytest.raises(green.zmq.Again):
        push.send(b"x")
    with gevent.Timeout(JOIN), pytest.raises(green.zmq.Again):
        push.send_multipart([b"x", b"y"])


def test_noblock_raises_again_at_once(green: SimpleNamespace) -> None:
    pull = green.sock("PULL")
    pull.bind_to_random_port("tcp://127.0.0.1")
    with pytest.raises(green.zmq.Again):
        pull.recv(green.zmq.NOBLOCK)


def test_close_wakes_a_blocked_recv(green: SimpleNamespace) -> None:
    pull = green.sock("PULL")
    pull.bind_to_random_port("tcp://127.0.0.1")
    errors: list[BaseException] = []

    def blocked() -> None:
        try:
            pull.recv()
        except green.zmq.ZMQError as exc:
            errors.append(exc)

    waiter = gevent.spawn(blocked)
    gevent.sleep(0)  # let it block
    pull.close()
    join_all(waiter)
    assert len(errors) == 1 and errors[0].errno == errno.ENOTSOCK


def test_poller(green: SimpleNamespace) -> None:
    push, pull = pair(green, "PUSH", "PULL")
    poller = green.zmq.Poller()
    poller.register(pull, green.zmq.POLLIN)
    ticks: list[int] = []

    def ticker() -> None:
        while True:
            ticks.append(1)
            gevent.sleep(0.001)

    tick = gevent.spawn(ticker)
    try:
        with gevent.Timeout(JOIN):
            assert poller.poll(50) == []  # times out, green
        assert ticks
        assert poller.poll(0) == []

        waiter = gevent.spawn(poller.poll, 5000)
        gevent.sleep(0)  # the poll is waiting now

        def send_later() -> None:
            push.send(b"hi")

        gevent.spawn(send_later)
        join_all(waiter)
        assert waiter.value == [(pull, green.zmq.POLLIN)]
        assert pull.recv() == b"hi"
        assert pull.poll(0) == 0
        # Socket.poll is green too
        sender = gevent.spawn(push.send, b"again")
        assert pull.poll(5000) == green.zmq.POLLIN
        join_all(sender)
    finally:
        tick.kill()


def test_poller_with_a_plain_fd(green: SimpleNamespace) -> None:
    rfd, wfd = os.pipe()
    try:
        pull = green.sock("PULL")
        pull.bind_to_random_port("tcp://127.0.0.1")
        poller = green.zmq.Poller()
        poller.register(pull, green.zmq.POLLIN)
        poller.register(rfd, green.zmq.POLLIN)
        waiter = gevent.spawn(poller.poll, 5000)
        gevent.sleep(0)
        gevent.spawn(os.write, wfd, b"x")
        join_all(waiter)
        assert waiter.value == [(rfd, green.zmq.POLLIN)]
    finally:
        os.close(rfd)
        os.close(wfd)


@pytest.mark.parametrize("green_side", ["REQ", "REP"])
def test_interop_with_sync_libzmq(green: SimpleNamespace, green_side: str) -> None:
    """A green socket talking to a plain libzmq (pyzmq) socket in a real thread."""
    zmq = pytest.importorskip("zmq")
    other = "REP" if green_side == "REQ" else "REQ"
    gsock = green.sock(green_side)
    port = gsock.bind_to_random_port("tcp://127.0.0.1")
    rounds = 20
    errors: list[BaseException] = []

    def plain_peer() -> None:
        try:
            with zmq.Context() as pctx, pctx.socket(getattr(zmq, other)) as s:
                s.linger = 0
                s.rcvtimeo = s.sndtimeo = 5000
                s.connect(f"tcp://127.0.0.1:{port}")
                for i in range(rounds):
                    if other == "REQ":
                        s.send(b"q%d" % i)
                        assert s.recv() == b"Q%d" % i
                    else:
                        s.send(s.recv().upper())
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=plain_peer, daemon=True)
    thread.start()
    ticks: list[int] = []

    def ticker() -> None:
        while True:
            ticks.append(1)
            gevent.sleep(0.001)

    def green_loop() -> None:
        for i in range(rounds):
            if green_side == "REQ":
                gsock.send(b"q%d" % i)
                assert gsock.recv() == b"Q%d" % i
            else:
                gsock.send(gsock.recv().upper())

    tick = gevent.spawn(ticker)
    try:
        join_all(gevent.spawn(green_loop))
    finally:
        tick.kill()
    thread.join(JOIN)
    assert not thread.is_alive()
    assert not errors, errors


def test_green_device(green: SimpleNamespace) -> None:
    """zmq.green.device relays ROUTER <-> DEALER in a greenlet."""
    frontend, backend = green.sock("ROUTER"), green.sock("DEALER")
    fport = frontend.bind_to_random_port("tcp://127.0.0.1")
    bport = backend.bind_to_random_port("tcp://127.0.0.1")
    req, rep = green.sock("REQ"), green.sock("REP")
    req.connect(f"tcp://127.0.0.1:{fport}")
    rep.connect(f"tcp://127.0.0.1:{bport}")
    dev = gevent.spawn(green.zmq.device, green.zmq.QUEUE, frontend, backend)
    replies: list[bytes] = []

    def server() -> None:
        for _ in range(5):
            rep.send(rep.recv() + b"!")

    def client() -> None:
        for i in range(5):
            req.send(b"%d" % i)
            replies.append(req.recv())

    try:
        join_all(gevent.spawn(server), gevent.spawn(client))
    finally:
        dev.kill()
    assert replies == [b"%d!" % i for i in range(5)]


def test_green_eventloop_modules(green: SimpleNamespace) -> None:
    pytest.importorskip("tornado", reason="zmq.green.eventloop runs on tornado")
    import tornado.ioloop

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the ioloop module's
        ioloop = importlib.import_module(f"{green.name}.green.eventloop.ioloop")
        zmqstream = importlib.import_module(f"{green.name}.green.eventloop.zmqstream")
        plain = importlib.import_module(f"{green.name}.eventloop.zmqstream")
    assert ioloop.IOLoop is tornado.ioloop.IOLoop
    assert issubclass(zmqstream.ZMQStream, plain.ZMQStream)


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=90,
    )


@pytest.mark.parametrize("name", ["purezmq", "zmq"])
def test_without_gevent_import_fails_clearly(name: str) -> None:
    load_lib(name)
    proc = _python(
        f"""
        import sys
        sys.modules["gevent"] = None  # as if gevent were not installed
        try:
            import {name}.green
        except ImportError as exc:
            print("ImportError:", exc)
        else:
            print("imported")
        """
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("ImportError:")
    assert "gevent" in proc.stdout
    if name == "purezmq":
        assert "needs gevent" in proc.stdout


_MONKEY = """
from gevent import monkey

monkey.patch_all()

import gevent
import {name}.green as zmq

ctx = zmq.Context()
rep = ctx.socket(zmq.REP)
port = rep.bind_to_random_port("tcp://127.0.0.1")
req = ctx.socket(zmq.REQ)
req.connect("tcp://127.0.0.1:%d" % port)
ticks = []


def ticker():
    while True:
        ticks.append(1)
        gevent.sleep(0.001)


def server():
    for _ in range(50):
        rep.send(rep.recv())


def client():
    out = []
    for i in range(50):
        req.send(b"%d" % i)
        out.append(req.recv())
    return out


t = gevent.spawn(ticker)
s, c = gevent.spawn(server), gevent.spawn(client)
gevent.joinall([s, c], timeout=30, raise_error=True)
t.kill()
ok = c.value == [b"%d" % i for i in range(50)]
poller = zmq.Poller()
poller.register(rep, zmq.POLLIN)
ok = ok and poller.poll(20) == []
print(ok and len(ticks) > 0)
for sock in (req, rep):
    sock.close(linger=0)
ctx.term()
"""


@pytest.mark.parametrize("name", ["purezmq", "zmq"])
def test_monkey_patched_process(name: str) -> None:
    """With gevent's monkey.patch_all() (in a subprocess: patching must not leak here)."""
    load_lib(name)
    proc = _python(_MONKEY.format(name=name))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "True", proc.stderr


def test_green_has_what_the_package_has() -> None:
    """zmq.green is zmq with a few classes replaced: each name pyzmq's zmq.green
    offers that purezmq offers at the top is in purezmq.green too."""
    pyzmq_green = pytest.importorskip("zmq.green")
    import purezmq
    import purezmq.green

    names = {n for n in dir(pyzmq_green) if not n.startswith("__")}
    missing = sorted(n for n in names if hasattr(purezmq, n) and not hasattr(purezmq.green, n))
    assert missing == []
    for name in ("Context", "Socket", "Poller", "device"):
        assert getattr(purezmq.green, name) is not getattr(purezmq, name)
