"""The purezmq.devices classes: Device, ThreadDevice, ProcessDevice, Proxy*,
ProxySteerable*, MonitoredQueue*.

Thread devices get their own context through `context_factory` and are
stopped by terminating it; process devices are stopped with TERMINATE or
SIGTERM (``launcher.terminate()``), which the child turns into a clean exit.
Clients talk to them over tcp from the `ctx` fixture's context.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import threading
import time
from typing import Any

import pytest

import purezmq as zmq
from purezmq import devices
from purezmq.devices import (
    BackgroundDevice,
    Device,
    MonitoredQueue,
    ProcessDevice,
    ProcessMonitoredQueue,
    ProcessProxy,
    ProcessProxySteerable,
    Proxy,
    ProxySteerable,
    ThreadDevice,
    ThreadMonitoredQueue,
    ThreadProxy,
    ThreadProxySteerable,
)
from tests.testing import eventually, fd_count, make_socket, settle_subscriptions, term_in_thread

LOCAL = "tcp://127.0.0.1"
PROC_TIMEOUT = 20.0


def _own_context(dev: Any) -> Any:
    """Give a thread device a private context; returns it."""
    context = zmq.Context()
    dev.context_factory = lambda: context
    return context


def _stop_thread_device(dev: Any, context: Any) -> None:
    term_in_thread(context)
    dev.join(10)
    assert not dev.launcher.is_alive()
    assert dev.done


def _stop_process(dev: Any) -> None:
    """SIGTERM the child; it must exit by itself with code 0."""
    proc = dev.launcher
    try:
        if proc.is_alive():
            proc.terminate()
        proc.join(PROC_TIMEOUT)
        assert not proc.is_alive()
        assert proc.exitcode == 0, proc.exitcode
    finally:
        if proc.is_alive():
            proc.kill()
            proc.join(5)


def _round_trip(ctx: Any, in_port: int, out_port: int, n: int = 5) -> None:
    """DEALER -> device(ROUTER/DEALER) -> DEALER worker echo, n requests."""
    client = make_socket(ctx, zmq.DEALER)
    worker = make_socket(ctx, zmq.DEALER)
    client.connect(f"{LOCAL}:{in_port}")
    worker.connect(f"{LOCAL}:{out_port}")
    for i in range(n):
        client.send_multipart([b"", b"job %d" % i])
        envelope = worker.recv_multipart()
        assert envelope[-1] == b"job %d" % i
        worker.send_multipart(envelope[:-1] + [b"done %d" % i])
        assert client.recv_multipart() == [b"", b"done %d" % i]
    client.close()
    worker.close()


def _probe(sock: Any, msg: list[bytes]) -> bool:
    sock.send_multipart(msg)
    if not sock.poll(50):
        return False
    while sock.poll(50):  # drain duplicate probes
        sock.recv_multipart()
    return True


# -- API surface ------------------------------------------------------------------------


def test_exports_match_pyzmq() -> None:
    expected = [
        "Device", "ThreadDevice", "ProcessDevice", "Proxy", "ThreadProxy", "ProcessProxy",
        "ProxySteerable", "ThreadProxySteerable", "ProcessProxySteerable", "monitored_queue",
        "MonitoredQueue", "ThreadMonitoredQueue", "ProcessMonitoredQueue",
    ]  # fmt: skip
    assert set(expected) <= set(devices.__all__)
    for name in expected:
        assert getattr(zmq.devices, name) is getattr(devices, name)
    assert zmq.devices.proxy is zmq.proxy
    assert issubclass(ThreadDevice, BackgroundDevice) and issubclass(
        ProcessDevice, BackgroundDevice
    )


def test_defaults_and_context_factories() -> None:
    dev = ThreadDevice(zmq.QUEUE, zmq.ROUTER, zmq.DEALER)
    assert dev.daemon is True and dev.done is False and dev.launcher is None
    assert dev.device_type == zmq.QUEUE and dev.in_type == zmq.ROUTER and dev.out_type == zmq.DEALER
    assert Device.context_factory() is zmq.Context.instance()
    assert ThreadDevice.context_factory() is zmq.Context.instance()
    assert ProcessDevice.context_factory is zmq.Context  # a fresh context in the child
    assert ThreadProxy(zmq.ROUTER, zmq.DEALER).mon_type == zmq.PUB
    steer = ThreadProxySteerable(zmq.ROUTER, zmq.DEALER, ctrl_type=zmq.PAIR)
    assert steer.mon_type == zmq.PUB and steer.ctrl_type == zmq.PAIR
    with pytest.raises(TypeError):
        Device(zmq.QUEUE, zmq.ROUTER)
    with pytest.raises(TypeError):
        Device(zmq.QUEUE, None, zmq.DEALER)


def test_process_device_pickles_for_spawn() -> None:
    dev = ProcessProxySteerable(zmq.ROUTER, zmq.DEALER, zmq.PUB, zmq.PAIR)
    dev.bind_in(f"{LOCAL}:5555")
    dev.setsockopt_out(zmq.SNDHWM, 7)
    dev.connect_ctrl("ipc:///tmp/x")
    clone = pickle.loads(pickle.dumps(dev))
    assert clone._in_binds == [f"{LOCAL}:5555"]
    assert clone._out_sockopts == [(zmq.SNDHWM, 7)]
    assert clone._ctrl_connects == ["ipc:///tmp/x"]
    assert clone.ctrl_type == zmq.PAIR


def test_bind_to_random_port_reserves_distinct_ports() -> None:
    dev = ThreadProxySteerable(zmq.ROUTER, zmq.DEALER, zmq.PUB, zmq.PAIR)
    ports = [
        dev.bind_in_to_random_port(LOCAL),
        dev.bind_out_to_random_port(LOCAL),
        dev.bind_mon_to_random_port(LOCAL),
        dev.bind_ctrl_to_random_port(LOCAL),
    ]
    assert len(set(ports)) == 4
    assert dev._in_binds == [f"{LOCAL}:{ports[0]}"]
    assert dev._ctrl_binds == [f"{LOCAL}:{ports[3]}"]


# -- Device: runs in the caller ------------------------------------------------------------


def test_device_runs_in_the_caller_until_its_context_ends(ctx: Any) -> None:
    dev = Device(zmq.QUEUE, zmq.ROUTER, zmq.DEALER)
    context = _own_context(dev)
    in_port = dev.bind_in_to_random_port(LOCAL)
    out_port = dev.bind_out_to_random_port(LOCAL)
    runner: list[int] = []

    def run() -> None:
        runner.append(threading.get_ident())
        dev.start()  # blocks in this thread until the context ends

    t = threading.Thread(target=run, daemon=True)
    t.start()
    _round_trip(ctx, in_port, out_port)
    assert not dev.done
    term_in_thread(context)
    dev.join(10)
    t.join(10)
    assert dev.done and not t.is_alive()
    assert all(s.closed for s in dev._sockets)


def test_device_join_timeout_returns() -> None:
    dev = Device(zmq.QUEUE, zmq.ROUTER, zmq.DEALER)
    t0 = time.monotonic()
    dev.join(0.05)  # never started: returns after the timeout (the wait under test)
    assert time.monotonic() - t0 < 2 and not dev.done


# -- ThreadDevice ---------------------------------------------------------------------------


class _RecordingThreadDevice(ThreadDevice):
    ran_on: int = 0

    def run_device(self) -> None:
        self.ran_on = threading.get_ident()
        super().run_device()


def test_thread_device_runs_in_another_thread_and_leaves_nothing(ctx: Any) -> None:
    # warm up: the fixture context's I/O thread and fds exist before we count
    warm = make_socket(ctx, zmq.DEALER)
    warm.connect(f"{LOCAL}:1")
    warm.close()
    threads_before = set(threading.enumerate())
    fds_before = fd_count()
    dev = _RecordingThreadDevice(zmq.QUEUE, zmq.ROUTER, zmq.DEALER)
    context = _own_context(dev)
    dev.setsockopt_in(zmq.RCVHWM, 50)
    in_port = dev.bind_in_to_random_port(LOCAL)
    out_port = dev.bind_out_to_random_port(LOCAL)
    dev.start()
    assert isinstance(dev.launcher, threading.Thread) and dev.launcher.daemon
    _round_trip(ctx, in_port, out_port, n=20)
    assert dev.ran_on == dev.launcher.ident != threading.get_ident()
    assert dev._sockets[0].rcvhwm == 50  # the queued option was replayed
    _stop_thread_device(dev, context)
    eventually(lambda: set(threading.enumerate()) <= threads_before, 5)
    eventually(lambda: fd_count() <= fds_before, 5, what=f"the fd count back to {fds_before}")


def test_thread_device_with_context_instance_stops_on_term(ctx: Any) -> None:
    dev = ThreadDevice(zmq.STREAMER, zmq.PULL, zmq.PUSH)
    in_port = dev.bind_in_to_random_port(LOCAL)
    out_port = dev.bind_out_to_random_port(LOCAL)
    dev.start()
    push = make_socket(ctx, zmq.PUSH)
    pull = make_socket(ctx, zmq.PULL)
    push.connect(f"{LOCAL}:{in_port}")
    pull.connect(f"{LOCAL}:{out_port}")
    push.send_multipart([b"a", b"b"])
    assert pull.recv_multipart() == [b"a", b"b"]
    eventually(lambda: dev._context is not None)
    assert dev._context is zmq.Context.instance()
    term_in_thread(zmq.Context.instance())  # the shared instance: a new one comes next time
    dev.join(10)
    assert dev.done and not dev.launcher.is_alive()
    assert zmq.Context.instance() is not dev._context


def test_thread_device_connects_and_echoes_with_one_socket(ctx: Any) -> None:
    """out_type < 0: the in-socket serves both sides (an echo device)."""
    server = make_socket(ctx, zmq.ROUTER)
    port = server.bind_to_random_port(LOCAL)
    dev = ThreadDevice(zmq.QUEUE, zmq.DEALER, -1)
    context = _own_context(dev)
    dev.setsockopt_in(zmq.IDENTITY, b"echo-device")
    dev.connect_in(f"{LOCAL}:{port}")
    dev.start()
    # a ROUTER drops messages for a peer it does not know yet: probe until it does
    eventually(lambda: _probe(server, [b"echo-device", b"probe"]))
    for i in range(3):
        server.send_multipart([b"echo-device", b"ping %d" % i])
        assert server.recv_multipart() == [b"echo-device", b"ping %d" % i]
    assert len(dev._sockets) == 1
    _stop_thread_device(dev, context)


def test_thread_device_setup_error_propagates_to_the_thread() -> None:
    dev = ThreadDevice(zmq.QUEUE, zmq.ROUTER, zmq.DEALER)
    context = _own_context(dev)
    dev.bind_in("nonsense://endpoint")
    errors: list[BaseException] = []
    original = threading.excepthook
    threading.excepthook = lambda args: errors.append(args.exc_value)  # type: ignore[assignment]
    try:
        dev.start()
        dev.join(10)
    finally:
        threading.excepthook = original
    assert dev.done and errors and isinstance(errors[0], zmq.ZMQError)
    assert all(s.closed for s in dev._sockets)
    term_in_thread(context)


# -- ProcessDevice -------------------------------------------------------------------------


class _PidTaggingDevice(ProcessDevice):
    """Tags its out socket with the pid of the process it runs in."""

    def _setup_sockets(self) -> Any:
        self.setsockopt_out(zmq.IDENTITY, b"pid-%d" % os.getpid())
        return super()._setup_sockets()


def _process_device_round_trip(ctx: Any, start_method: str) -> None:
    worker = make_socket(ctx, zmq.ROUTER, timeout_ms=int(PROC_TIMEOUT * 1000))
    out_port = worker.bind_to_random_port(LOCAL)
    dev = _PidTaggingDevice(zmq.QUEUE, zmq.ROUTER, zmq.DEALER)
    dev._launch_class = multiprocessing.get_context(start_method).Process
    in_port = dev.bind_in_to_random_port(LOCAL)
    dev.connect_out(f"{LOCAL}:{out_port}")
    dev.start()
    try:
        assert isinstance(dev.launcher, multiprocessing.process.BaseProcess)
        assert dev.launcher.pid != os.getpid()
        client = make_socket(ctx, zmq.REQ, timeout_ms=int(PROC_TIMEOUT * 1000))
        client.connect(f"{LOCAL}:{in_port}")
        client.send(b"who runs you?")
        frames = worker.recv_multipart()
        assert frames[0] == b"pid-%d" % dev.launcher.pid  # the device's out socket lives there
        assert frames[-1] == b"who runs you?"
        worker.send_multipart(frames[:-1] + [b"a child process"])
        assert client.recv() == b"a child process"
        assert not dev.done
    finally:
        _stop_process(dev)
    assert dev.done  # the parent learns it from the launcher


def test_process_device_runs_in_a_child_process(ctx: Any) -> None:
    _process_device_round_trip(ctx, multiprocessing.get_start_method())


def test_process_device_with_spawn(ctx: Any) -> None:
    _process_device_round_trip(ctx, "spawn")


def test_process_proxy_steerable_terminate_and_statistics(ctx: Any) -> None:
    dev = ProcessProxySteerable(zmq.PULL, zmq.PUSH, zmq.PUB, zmq.REP)
    in_port = dev.bind_in_to_random_port(LOCAL)
    out_port = dev.bind_out_to_random_port(LOCAL)
    ctrl_port = dev.bind_ctrl_to_random_port(LOCAL)
    dev.start()
    try:
        push = make_socket(ctx, zmq.PUSH, timeout_ms=int(PROC_TIMEOUT * 1000))
        pull = make_socket(ctx, zmq.PULL, timeout_ms=int(PROC_TIMEOUT * 1000))
        ctrl = make_socket(ctx, zmq.REQ, timeout_ms=int(PROC_TIMEOUT * 1000))
        push.connect(f"{LOCAL}:{in_port}")
        pull.connect(f"{LOCAL}:{out_port}")
        ctrl.connect(f"{LOCAL}:{ctrl_port}")
        for i in range(10):
            push.send_multipart([b"x", b"%02d" % i])
        for i in range(10):
            assert pull.recv_multipart() == [b"x", b"%02d" % i]
        ctrl.send(b"STATISTICS")
        stats = zmq.sugar.proxy.ProxyStatistics.parse(ctrl.recv_multipart())
        assert stats["frontend_recv_msgs"] == 20 and stats["frontend_recv_bytes"] == 30
        assert stats["backend_sent_msgs"] == 20 and stats["backend_sent_bytes"] == 30
        assert stats["backend_recv_msgs"] == stats["frontend_sent_msgs"] == 0
        ctrl.send(b"TERMINATE")
        assert ctrl.recv() == b""
        dev.join(PROC_TIMEOUT)
        assert dev.launcher.exitcode == 0
    finally:
        _stop_process(dev)


# -- Proxy / MonitoredQueue in threads and processes -----------------------------------------


def _monitored_round_trip(
    ctx: Any, dev: Any, in_port: int, out_port: int, mon_port: int
) -> list[list[bytes]]:
    mon = make_socket(ctx, zmq.SUB)
    mon.subscribe(b"")
    mon.connect(f"{LOCAL}:{mon_port}")
    client = make_socket(ctx, zmq.DEALER)
    client.setsockopt(zmq.IDENTITY, b"client")
    client.connect(f"{LOCAL}:{in_port}")
    worker = make_socket(ctx, zmq.DEALER)
    worker.connect(f"{LOCAL}:{out_port}")

    # the monitor PUB drops until the SUB's subscription arrives: probe first
    def monitor_saw_traffic() -> bool:
        client.send_multipart([b"", b"probe"])
        probe = worker.recv_multipart()
        worker.send_multipart(probe)
        client.recv_multipart()
        return bool(mon.poll(100))

    eventually(monitor_saw_traffic, PROC_TIMEOUT, interval=0, what="the monitor seeing traffic")
    while mon.poll(200):
        mon.recv_multipart()
    client.send_multipart([b"", b"request"])
    request = worker.recv_multipart()
    worker.send_multipart(request[:-1] + [b"reply"])
    assert client.recv_multipart() == [b"", b"reply"]
    seen = [mon.recv_multipart(), mon.recv_multipart()]
    for s in (mon, client, worker):
        s.close()
    return seen


@pytest.mark.parametrize("cls", [ThreadProxy, ProcessProxy])
def test_proxy_monitor_sees_both_directions(ctx: Any, cls: Any) -> None:
    dev = cls(zmq.ROUTER, zmq.DEALER)
    context = _own_context(dev) if cls is ThreadProxy else None
    in_port = dev.bind_in_to_random_port(LOCAL)
    out_port = dev.bind_out_to_random_port(LOCAL)
    mon_port = dev.bind_mon_to_random_port(LOCAL)
    dev.setsockopt_mon(zmq.SNDHWM, 100000)
    dev.start()
    try:
        seen = _monitored_round_trip(ctx, dev, in_port, out_port, mon_port)
    finally:
        if context is not None:
            _stop_thread_device(dev, context)
        else:
            _stop_process(dev)
    assert seen == [[b"client", b"", b"request"], [b"client", b"", b"reply"]]


@pytest.mark.parametrize("cls", [ThreadMonitoredQueue, ProcessMonitoredQueue])
def test_monitored_queue_device_prefixes(ctx: Any, cls: Any) -> None:
    dev = cls(zmq.ROUTER, zmq.DEALER, zmq.PUB, b"IN", b"OUT")
    context = _own_context(dev) if cls is ThreadMonitoredQueue else None
    in_port = dev.bind_in_to_random_port(LOCAL)
    out_port = dev.bind_out_to_random_port(LOCAL)
    mon_port = dev.bind_mon_to_random_port(LOCAL)
    dev.start()
    try:
        seen = _monitored_round_trip(ctx, dev, in_port, out_port, mon_port)
    finally:
        if context is not None:
            _stop_thread_device(dev, context)
        else:
            _stop_process(dev)
    assert seen == [[b"IN", b"client", b"", b"request"], [b"OUT", b"client", b"", b"reply"]]


def test_monitored_queue_device_router_router(ctx: Any) -> None:
    dev = ThreadMonitoredQueue(zmq.ROUTER, zmq.ROUTER, zmq.PUB)
    context = _own_context(dev)
    in_port = dev.bind_in_to_random_port(LOCAL)
    out_port = dev.bind_out_to_random_port(LOCAL)
    mon_port = dev.bind_mon_to_random_port(LOCAL)
    dev.start()
    mon = make_socket(ctx, zmq.SUB)
    mon.subscribe(b"")
    mon.connect(f"{LOCAL}:{mon_port}")
    alice = make_socket(ctx, zmq.DEALER)
    alice.setsockopt(zmq.IDENTITY, b"alice")
    alice.connect(f"{LOCAL}:{in_port}")
    bob = make_socket(ctx, zmq.DEALER)
    bob.setsockopt(zmq.IDENTITY, b"bob")
    bob.connect(f"{LOCAL}:{out_port}")

    # routing needs both handshakes done: retry until bob hears alice
    def bob_hears_alice() -> bool:
        alice.send_multipart([b"bob", b"hello"])
        return bool(bob.poll(100))

    eventually(bob_hears_alice, interval=0, what="bob hearing alice")
    assert bob.recv_multipart() == [b"alice", b"hello"]
    while bob.poll(100):
        bob.recv_multipart()
    bob.send_multipart([b"alice", b"hi"])
    assert alice.recv_multipart() == [b"bob", b"hi"]
    _stop_thread_device(dev, context)
    assert MonitoredQueue is not None and Proxy is not None and ProxySteerable is not None


def test_thread_proxy_steerable_pause_resume(ctx: Any) -> None:
    dev = ThreadProxySteerable(zmq.XSUB, zmq.XPUB, zmq.PUB, zmq.PAIR)
    context = _own_context(dev)
    in_port = dev.bind_in_to_random_port(LOCAL)
    out_port = dev.bind_out_to_random_port(LOCAL)
    ctrl_port = dev.bind_ctrl_to_random_port(LOCAL)
    dev.start()
    pub = make_socket(ctx, zmq.PUB)
    pub.connect(f"{LOCAL}:{in_port}")
    sub = make_socket(ctx, zmq.SUB, timeout_ms=300)
    sub.subscribe(b"t")
    sub.connect(f"{LOCAL}:{out_port}")
    ctrl = make_socket(ctx, zmq.PAIR)
    ctrl.connect(f"{LOCAL}:{ctrl_port}")
    settle_subscriptions(pub, sub, b"t")
    ctrl.send(b"PAUSE")
    ctrl.send(b"STATISTICS")  # commands run in order: once it answers, PAUSE is in force
    ctrl.recv_multipart()
    pub.send(b"t1")
    with pytest.raises(zmq.Again):
        sub.recv()
    ctrl.send(b"RESUME")
    assert sub.recv() == b"t1"
    ctrl.send(b"TERMINATE")
    dev.join(10)
    assert dev.done and not dev.launcher.is_alive()
    term_in_thread(context)


def test_proxy_steerable_without_ctrl_type_fails_at_start() -> None:
    dev = ThreadProxySteerable(zmq.PULL, zmq.PUSH)
    context = _own_context(dev)
    errors: list[BaseException] = []
    original = threading.excepthook
    threading.excepthook = lambda args: errors.append(args.exc_value)  # type: ignore[assignment]
    try:
        dev.start()
        dev.join(10)
    finally:
        threading.excepthook = original
    assert errors and isinstance(errors[0], TypeError) and "ctrl_type" in str(errors[0])
    assert dev.done and all(s.closed for s in dev._sockets)
    term_in_thread(context)
