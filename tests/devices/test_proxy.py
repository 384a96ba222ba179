"""proxy, proxy_steerable, device and monitored_queue with purezmq sockets.

Each relay runs on a thread of its own (it owns its sockets there) and is
stopped by terminating its context or by TERMINATE. Relay and clients share
one context (inproc needs that): `bench.stop` closes the clients, then
terminates the context, which is what ends the relay.
"""

from __future__ import annotations

import struct
import threading
import time
from typing import Any

import pytest

import purezmq as zmq
from purezmq.devices import monitored_queue
from purezmq.sugar.proxy import ProxyStatistics
from tests.testing import (
    RelayThread,
    eventually,
    innermost,
    io_barrier,
    make_socket,
    on_stack,
    settle_subscriptions,
    term_in_thread,
    terminate,
)


class Bench:
    """One context for a relay and its clients."""

    def __init__(self) -> None:
        self.ctx = zmq.Context()
        self.clients: list[Any] = []

    def socket(self, kind: int) -> Any:
        """A socket for the relay itself (closed by the relay thread)."""
        sock = self.ctx.socket(kind)
        sock.linger = 0
        return sock

    def client(self, kind: int, timeout_ms: int = 5000) -> Any:
        sock = make_socket(self.ctx, kind, timeout_ms)
        self.clients.append(sock)
        return sock

    def stop(self, relay: RelayThread) -> None:
        """Close the clients, terminate the context: the relay must end."""
        for sock in self.clients:
            sock.close()
        term_in_thread(self.ctx)
        relay.join()


@pytest.fixture
def bench() -> Any:
    b = Bench()
    yield b
    if not b.ctx.closed:
        terminate(b.ctx)


def _bind(sock: Any, transport: str, name: str) -> str:
    if transport == "tcp":
        sock.bind("tcp://127.0.0.1:0")
    else:
        sock.bind(f"inproc://{name}")
    return sock.last_endpoint.decode()


def _relay_sockets(
    bench: Bench, front_type: int, back_type: int, transport: str
) -> tuple[Any, Any, str, str]:
    front = bench.socket(front_type)
    back = bench.socket(back_type)
    return front, back, _bind(front, transport, "front"), _bind(back, transport, "back")


TRANSPORTS = ["inproc", "tcp"]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_streamer_keeps_order_and_multipart(bench: Bench, transport: str) -> None:
    front, back, fe, be = _relay_sockets(bench, zmq.PULL, zmq.PUSH, transport)
    relay = RelayThread(zmq.proxy, front, back, close=[front, back])
    push = bench.client(zmq.PUSH)
    pull = bench.client(zmq.PULL)
    push.connect(fe)
    pull.connect(be)
    sent = [[b"%d" % i, b"", b"x" * (i % 7)] for i in range(500)]
    for msg in sent:
        push.send_multipart(msg)
    got = [pull.recv_multipart() for _ in sent]
    assert got == sent
    bench.stop(relay)
    assert isinstance(relay.error, zmq.ContextTerminated)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_queue_req_clients_rep_workers(bench: Bench, transport: str) -> None:
    """N REQ clients -> ROUTER/DEALER proxy -> M REP workers: each request once."""
    front, back, fe, be = _relay_sockets(bench, zmq.ROUTER, zmq.DEALER, transport)
    relay = RelayThread(zmq.proxy, front, back, close=[front, back])
    n_clients, n_workers, per_client = 5, 3, 20
    stop = threading.Event()
    served: list[tuple[int, bytes]] = []
    lock = threading.Lock()

    def worker(w: int) -> None:
        rep = bench.client(zmq.REP, timeout_ms=100)
        rep.connect(be)
        try:
            while not stop.is_set():
                try:
                    body = rep.recv()
                except zmq.Again:
                    continue
                with lock:
                    served.append((w, body))
                rep.send(body + b" by %d" % w)
        finally:
            rep.close()

    workers = [threading.Thread(target=worker, args=(w,), daemon=True) for w in range(n_workers)]
    for t in workers:
        t.start()
    clients = [bench.client(zmq.REQ) for _ in range(n_clients)]
    for c in clients:
        c.connect(fe)
    answers: dict[bytes, bytes] = {}
    for i in range(per_client):
        for c_id, c in enumerate(clients):
            c.send(b"req %d.%d" % (c_id, i))
        for c_id, c in enumerate(clients):
            reply = c.recv()
            assert reply.startswith(b"req %d.%d by " % (c_id, i))
            answers[b"req %d.%d" % (c_id, i)] = reply
    stop.set()
    for t in workers:
        t.join(5)
    assert len(answers) == n_clients * per_client
    bodies = [body for _, body in served]
    assert sorted(bodies) == sorted(answers)  # every request served exactly once
    assert len({w for w, _ in served}) > 1  # and spread over the workers
    for c in clients:
        c.close()
    bench.stop(relay)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_forwarder_subscriptions_flow_upstream(bench: Bench, transport: str) -> None:
    front, back, fe, be = _relay_sockets(bench, zmq.XSUB, zmq.XPUB, transport)
    relay = RelayThread(zmq.proxy, front, back, close=[front, back])
    upstream = bench.client(zmq.XPUB)  # an XPUB publisher shows what reaches it
    upstream.connect(fe)
    sub = bench.client(zmq.SUB)
    sub.connect(be)
    sub.subscribe(b"weather")
    assert upstream.recv() == b"\x01weather"  # the subscription crossed the device
    settle_subscriptions(upstream, sub, b"weather")
    upstream.send_multipart([b"weather", b"sunny"])
    upstream.send_multipart([b"sport", b"lost"])  # no subscriber: filtered upstream
    upstream.send_multipart([b"weather", b"rain"])
    assert sub.recv_multipart() == [b"weather", b"sunny"]
    assert sub.recv_multipart() == [b"weather", b"rain"]
    sub.unsubscribe(b"weather")
    assert upstream.recv() == b"\x00weather"
    bench.stop(relay)


def test_capture_sees_both_directions(bench: Bench) -> None:
    front, back, fe, be = _relay_sockets(bench, zmq.ROUTER, zmq.DEALER, "inproc")
    capture = bench.socket(zmq.PUSH)
    capture.bind("inproc://capture")
    relay = RelayThread(zmq.proxy, front, back, capture, close=[front, back, capture])
    tap = bench.client(zmq.PULL)
    tap.connect("inproc://capture")
    client = bench.client(zmq.DEALER)
    client.setsockopt(zmq.IDENTITY, b"client")
    client.connect(fe)
    worker = bench.client(zmq.DEALER)
    worker.connect(be)
    client.send_multipart([b"", b"question"])
    request = worker.recv_multipart()
    assert request == [b"client", b"", b"question"]
    worker.send_multipart([b"client", b"", b"answer"])
    assert client.recv_multipart() == [b"", b"answer"]
    assert tap.recv_multipart() == request
    assert tap.recv_multipart() == [b"client", b"", b"answer"]
    bench.stop(relay)


def test_backpressure_no_unbounded_buffering(bench: Bench) -> None:
    """A consumer that stops reading stops the producer, within the HWMs."""
    hwm = 10
    front = bench.socket(zmq.PULL)
    back = bench.socket(zmq.PUSH)
    for s in (front, back):
        s.linger = 0
        s.hwm = hwm
    front.bind("tcp://127.0.0.1:0")
    back.bind("tcp://127.0.0.1:0")
    relay = RelayThread(zmq.proxy, front, back, close=[front, back])
    producer = bench.client(zmq.PUSH)
    producer.hwm = hwm
    producer.connect(front.last_endpoint.decode())
    consumer = bench.client(zmq.PULL)
    consumer.hwm = hwm
    consumer.connect(back.last_endpoint.decode())
    payload = b"p" * 100_000  # big enough that socket buffers hold few
    sent = 0
    # Pushed back means no send succeeds for 0.5 s: that stretch of time is
    # the measurement, so this loop polls the clock on purpose.
    deadline = time.monotonic() + 3
    stalled_since = None
    while time.monotonic() < deadline:
        try:
            producer.send_multipart([b"%d" % sent, payload], zmq.NOBLOCK)
            sent += 1
            stalled_since = None
        except zmq.Again:
            stalled_since = stalled_since or time.monotonic()
            if time.monotonic() - stalled_since > 0.5:
                break
            time.sleep(0.005)
    assert stalled_since is not None, "the producer was never pushed back"
    # 4 pipes of `hwm` plus what the kernel buffers hold: far below unbounded
    assert sent < 400, sent
    for i in range(sent):  # and nothing was lost or reordered
        assert consumer.recv_multipart() == [b"%d" % i, payload]
    bench.stop(relay)


def test_device_same_socket_echoes(bench: Bench) -> None:
    echo = bench.socket(zmq.ROUTER)
    echo.linger = 0
    echo.bind("inproc://echo")
    relay = RelayThread(zmq.device, zmq.QUEUE, echo, echo, close=[echo])
    clients = [bench.client(zmq.DEALER) for _ in range(3)]
    for i, c in enumerate(clients):
        c.connect("inproc://echo")
        c.send_multipart([b"ping", b"%d" % i])
    for i, c in enumerate(clients):
        assert c.recv_multipart() == [b"ping", b"%d" % i]
    bench.stop(relay)
    assert isinstance(relay.error, zmq.ContextTerminated)


@pytest.mark.parametrize("kind", [zmq.QUEUE, zmq.FORWARDER, zmq.STREAMER])
def test_device_types_relay(bench: Bench, kind: int) -> None:
    types = {
        zmq.QUEUE: (zmq.ROUTER, zmq.DEALER, zmq.DEALER, zmq.DEALER),
        zmq.FORWARDER: (zmq.XSUB, zmq.XPUB, zmq.PUB, zmq.SUB),
        zmq.STREAMER: (zmq.PULL, zmq.PUSH, zmq.PUSH, zmq.PULL),
    }[kind]
    front, back, fe, be = _relay_sockets(bench, types[0], types[1], "inproc")
    relay = RelayThread(zmq.device, kind, front, back, close=[front, back])
    src = bench.client(types[2])
    dst = bench.client(types[3])
    src.connect(fe)
    dst.connect(be)
    if kind == zmq.FORWARDER:
        dst.subscribe(b"")
        settle_subscriptions(src, dst)
    src.send_multipart([b"", b"hello"] if kind == zmq.QUEUE else [b"hello"])
    got = dst.recv_multipart()
    assert got[-1] == b"hello"
    bench.stop(relay)
    assert isinstance(relay.error, zmq.ContextTerminated)


def test_proxy_rejects_foreign_and_closed_sockets(ctx: Any) -> None:
    a = ctx.socket(zmq.PULL)
    b = ctx.socket(zmq.PUSH)
    with pytest.raises(TypeError):
        zmq.proxy(a, object())  # type: ignore[arg-type]
    b.close()
    with pytest.raises(zmq.ZMQError) as info:
        zmq.proxy(a, b)
    assert info.value.errno == zmq.ENOTSOCK
    a.close()


def test_proxy_ends_when_a_socket_is_closed_under_it(bench: Bench) -> None:
    front, back, fe, be = _relay_sockets(bench, zmq.PULL, zmq.PUSH, "inproc")
    relay = RelayThread(zmq.proxy, front, back)
    # under it: the caller waits in proxy() and the I/O thread serves the relay
    eventually(
        lambda: innermost(relay.thread) == "wait" and on_stack(relay.thread, "run_on_loop"),
        what="proxy() waiting for its relay",
    )
    io_barrier(bench.ctx)  # the relay's start, posted before that wait, has run
    bench.ctx.destroy(linger=0)  # closes the relay's sockets from this thread
    relay.join()
    assert isinstance(relay.error, zmq.ZMQError)
    assert relay.error.errno in (zmq.ENOTSOCK, zmq.ETERM)


def test_partially_read_message_is_forwarded_whole(bench: Bench) -> None:
    front, back, fe, be = _relay_sockets(bench, zmq.PULL, zmq.PUSH, "inproc")
    push = bench.client(zmq.PUSH)
    pull = bench.client(zmq.PULL)
    push.connect(fe)
    pull.connect(be)
    push.send_multipart([b"a", b"b", b"c"])
    front.rcvtimeo = 5000
    assert front.recv() == b"a"  # the caller read one frame before starting the proxy
    relay = RelayThread(zmq.proxy, front, back, close=[front, back])
    assert pull.recv_multipart() == [b"b", b"c"]
    push.send_multipart([b"d", b"e"])
    assert pull.recv_multipart() == [b"d", b"e"]
    bench.stop(relay)


# -- proxy_steerable -----------------------------------------------------------------


def _steerable(bench: Bench, control_type: int) -> tuple[RelayThread, Any, Any, Any]:
    front, back, fe, be = _relay_sockets(bench, zmq.PULL, zmq.PUSH, "inproc")
    control = bench.socket(control_type)
    control.linger = 0
    control.bind("inproc://control")
    relay = RelayThread(
        zmq.proxy_steerable, front, back, None, control, close=[front, back, control]
    )
    src = bench.client(zmq.PUSH)
    dst = bench.client(zmq.PULL, timeout_ms=300)
    src.connect(fe)
    dst.connect(be)
    steer = bench.client(zmq.REQ if control_type == zmq.REP else zmq.PAIR)
    steer.connect("inproc://control")
    return relay, src, dst, steer


def _stats(steer: Any) -> list[int]:
    steer.send(b"STATISTICS")
    frames = steer.recv_multipart()
    assert [len(f) for f in frames] == [8] * 8
    return [struct.unpack("=Q", f)[0] for f in frames]


@pytest.mark.parametrize("control_type", [zmq.PAIR, zmq.REP])
def test_steerable_pause_resume_terminate(bench: Bench, control_type: int) -> None:
    relay, src, dst, steer = _steerable(bench, control_type)
    reply_expected = control_type == zmq.REP

    def command(cmd: bytes) -> None:
        steer.send(cmd)
        if reply_expected:
            assert steer.recv() == b""
        elif cmd != b"TERMINATE":
            # A PAIR gets no reply: STATISTICS, answered in order, shows the
            # relay has run the command. Without it a message sent next on
            # another socket can be relayed in the same pass that found the
            # control queue still empty (no order holds across sockets).
            _stats(steer)

    src.send(b"one")
    assert dst.recv() == b"one"
    command(b"PAUSE")
    src.send(b"two")
    with pytest.raises(zmq.Again):
        dst.recv()  # paused: nothing forwarded
    command(b"RESUME")
    assert dst.recv() == b"two"
    command(b"NONSENSE")  # unknown commands are ignored (REP still answers)
    src.send(b"three")
    assert dst.recv() == b"three"
    if not reply_expected:
        with pytest.raises(zmq.Again):
            steer.recv(zmq.NOBLOCK)  # PAIR control: no stray replies
    command(b"TERMINATE")
    relay.join()
    assert relay.error is None and relay.result == 0


def test_steerable_statistics_exact(bench: Bench) -> None:
    front, back, fe, be = _relay_sockets(bench, zmq.ROUTER, zmq.DEALER, "inproc")
    control = bench.socket(zmq.PAIR)
    control.bind("inproc://control")
    relay = RelayThread(
        zmq.proxy_steerable, front, back, None, control, close=[front, back, control]
    )
    steer = bench.client(zmq.PAIR)
    steer.connect("inproc://control")
    client = bench.client(zmq.DEALER)
    client.setsockopt(zmq.IDENTITY, b"cli")
    client.connect(fe)
    worker = bench.client(zmq.DEALER)
    worker.connect(be)
    assert _stats(steer) == [0] * 8
    for i in range(3):
        client.send_multipart([b"", b"request-%d" % i])  # frontend receives 3 frames (id added)
        msg = worker.recv_multipart()
        worker.send_multipart(msg + [b"reply"])  # backend receives 4 frames
        client.recv_multipart()
    req = 3 * (3 + 0 + 9)  # "cli" + "" + "request-N" per request
    rep = 3 * (3 + 0 + 9 + 5)
    assert _stats(steer) == [9, req, 12, rep, 12, rep, 9, req]
    values = ProxyStatistics.parse(
        [struct.pack("=Q", v) for v in [9, req, 12, rep, 12, rep, 9, req]]
    )
    assert values["frontend_recv_msgs"] == 9 and values["backend_sent_bytes"] == req
    steer.send(b"TERMINATE")
    relay.join()
    assert relay.result == 0


def test_steerable_without_control_is_proxy(bench: Bench) -> None:
    front, back, fe, be = _relay_sockets(bench, zmq.PULL, zmq.PUSH, "inproc")
    relay = RelayThread(zmq.proxy_steerable, front, back, close=[front, back])
    push = bench.client(zmq.PUSH)
    pull = bench.client(zmq.PULL)
    push.connect(fe)
    pull.connect(be)
    push.send(b"x")
    assert pull.recv() == b"x"
    bench.stop(relay)
    assert isinstance(relay.error, zmq.ContextTerminated)


def test_paused_proxy_does_not_spin(bench: Bench) -> None:
    relay, src, dst, steer = _steerable(bench, zmq.PAIR)
    steer.send(b"PAUSE")
    for i in range(50):
        src.send(b"%d" % i)
    steer.send(b"STATISTICS")  # commands run in order: once it answers, PAUSE is in force
    steer.recv_multipart()
    cpu0 = time.thread_time()  # this thread idles; measure process CPU instead
    proc0 = time.process_time()
    time.sleep(0.5)  # the test: CPU used over half a second of pause
    used = time.process_time() - proc0
    assert used < 0.25, f"a paused proxy burned {used:.2f}s of CPU in 0.5s"
    assert time.thread_time() - cpu0 < 0.25
    steer.send(b"RESUME")
    assert [dst.recv() for _ in range(50)] == [b"%d" % i for i in range(50)]
    steer.send(b"TERMINATE")
    relay.join()


# -- monitored_queue --------------------------------------------------------------------


def test_monitored_queue_prefixes(bench: Bench) -> None:
    front, back, fe, be = _relay_sockets(bench, zmq.ROUTER, zmq.DEALER, "inproc")
    mon = bench.socket(zmq.PUSH)
    mon.bind("inproc://mon")
    relay = RelayThread(monitored_queue, front, back, mon, b"IN", b"OUT", close=[front, back, mon])
    tap = bench.client(zmq.PULL)
    tap.connect("inproc://mon")
    client = bench.client(zmq.REQ)
    client.setsockopt(zmq.IDENTITY, b"c1")
    client.connect(fe)
    worker = bench.client(zmq.REP)
    worker.connect(be)
    client.send(b"hi")
    assert worker.recv() == b"hi"
    worker.send(b"ho")
    assert client.recv() == b"ho"
    assert tap.recv_multipart() == [b"IN", b"c1", b"", b"hi"]
    assert tap.recv_multipart() == [b"OUT", b"c1", b"", b"ho"]
    bench.stop(relay)
    assert isinstance(relay.error, zmq.ContextTerminated)


def test_monitored_queue_router_router_swaps_ids(bench: Bench) -> None:
    front, back, fe, be = _relay_sockets(bench, zmq.ROUTER, zmq.ROUTER, "inproc")
    mon = bench.socket(zmq.PUSH)
    mon.bind("inproc://mon")
    relay = RelayThread(monitored_queue, front, back, mon, close=[front, back, mon])
    tap = bench.client(zmq.PULL)
    tap.connect("inproc://mon")
    alice = bench.client(zmq.DEALER)
    alice.setsockopt(zmq.IDENTITY, b"alice")
    alice.connect(fe)
    bob = bench.client(zmq.DEALER)
    bob.setsockopt(zmq.IDENTITY, b"bob")
    bob.connect(be)

    # An inproc connect hands its pipe, with the connecter's identity, to the
    # bound ROUTER's mailbox, which the relay runs before every step; a step
    # already past that point can still relay (and the ROUTER drop) a first
    # message addressed to bob, so it is sent until bob has one.
    def hello() -> bool:
        alice.send_multipart([b"bob", b"hello bob"])  # addressed by the far side's id
        return bool(bob.poll(50))

    eventually(hello, what="bob routable through the relay")
    assert bob.recv_multipart() == [b"alice", b"hello bob"]
    bob.send_multipart([b"alice", b"hi alice"])
    assert alice.recv_multipart() == [b"bob", b"hi alice"]
    tapped = tap.recv_multipart()
    while tapped[0] == b"in":  # one per attempt, each with the ids swapped
        assert tapped == [b"in", b"bob", b"alice", b"hello bob"]
        tapped = tap.recv_multipart()
    assert tapped == [b"out", b"alice", b"bob", b"hi alice"]
    bench.stop(relay)


def test_monitored_queue_rejects_str_prefix(ctx: Any) -> None:
    a, b, m = (ctx.socket(zmq.PAIR) for _ in range(3))
    with pytest.raises(TypeError):
        monitored_queue(a, b, m, "in", b"out")  # type: ignore[arg-type]
    for s in (a, b, m):
        s.close()


def test_capture_backpressure_holds_the_relay(bench: Bench) -> None:
    """A full PUSH capture pauses the relay (no blocking, no loss), as a full
    destination does; draining the capture lets everything through."""
    front, back, fe, be = _relay_sockets(bench, zmq.PULL, zmq.PUSH, "inproc")
    capture = bench.socket(zmq.PUSH)
    capture.sndhwm = 5
    capture.bind("inproc://capture")
    tap = bench.client(zmq.PULL)
    tap.rcvhwm = 5
    tap.connect("inproc://capture")
    relay = RelayThread(zmq.proxy, front, back, capture, close=[front, back, capture])
    push = bench.client(zmq.PUSH)
    pull = bench.client(zmq.PULL, timeout_ms=300)
    push.connect(fe)
    pull.connect(be)
    for i in range(100):
        push.send(b"%d" % i)
    got = []
    while True:
        try:
            got.append(pull.recv())
        except zmq.Again:
            break
    assert 0 < len(got) < 100  # held back by the capture's HWM (5 + 5 on inproc)
    copies = [tap.recv() for _ in range(100)]  # draining the tap releases the rest
    got += [pull.recv() for _ in range(100 - len(got))]
    assert copies == got == [b"%d" % i for i in range(100)]
    bench.stop(relay)


def test_refused_message_is_kept_and_sent_first(bench: Bench) -> None:
    """A destination that says it has room and then refuses (REQ/REP state
    tables can) does not lose the message: it goes out first, later."""
    front, back, fe, be = _relay_sockets(bench, zmq.PULL, zmq.PUSH, "inproc")
    real_send = back._pattern_send  # what relay_send hands messages to
    refusals = [1]

    def flaky_send(msg: Any) -> bool:
        if refusals[0]:
            refusals[0] -= 1
            return False
        return bool(real_send(msg))

    back._pattern_send = flaky_send
    relay = RelayThread(zmq.proxy, front, back, close=[front, back])
    push = bench.client(zmq.PUSH)
    pull = bench.client(zmq.PULL)
    push.connect(fe)
    pull.connect(be)
    push.send(b"first")
    eventually(lambda: refusals[0] == 0, what="the relay's first send refused")
    push.send(b"second")  # any wake-up (at worst the 1 s safety net) retries
    assert [pull.recv(), pull.recv()] == [b"first", b"second"]
    assert refusals == [0]
    bench.stop(relay)


class _Interrupt(Exception):
    pass


def test_exception_in_the_waiting_caller_gives_the_sockets_back(bench: Bench) -> None:
    """A signal handler that raises (Ctrl-C) while proxy() waits: the relay
    stops first, so the caller can use and close its sockets at once."""
    import os
    import signal

    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals are delivered to the main thread")
    front, back, fe, be = _relay_sockets(bench, zmq.PULL, zmq.PUSH, "inproc")

    def interrupt(signum: int, frame: Any) -> None:
        raise _Interrupt()

    previous = signal.signal(signal.SIGUSR1, interrupt)
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGUSR1))
    timer.start()
    try:
        with pytest.raises(_Interrupt):
            zmq.proxy(front, back)
    finally:
        timer.cancel()
        signal.signal(signal.SIGUSR1, previous)
    push = bench.client(zmq.PUSH)
    push.connect(fe)
    push.send(b"mine again")
    front.rcvtimeo = 2000
    assert front.recv() == b"mine again"  # nobody else reads it any more
    front.close()
    back.close()
    for sock in bench.clients:
        sock.close()
    term_in_thread(bench.ctx)
