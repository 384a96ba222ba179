"""Devices against libzmq: pyzmq clients on both sides of a purezmq device,
and a pyzmq (libzmq) device between purezmq clients.

For the three classic devices: QUEUE (N REQ clients, M REP workers, every
request answered exactly once), FORWARDER (subscriptions flow upstream
through the device), STREAMER; plus capture/monitor copies, steering, and
STATISTICS compared number for number with libzmq's zmq_proxy_steerable
(spec/interop.md #13: only TERMINATE and STATISTICS behave the same there).
"""

from __future__ import annotations

import struct
import threading
from typing import Any

import pytest

import purezmq
from purezmq import devices as pdevices
from tests.testing import (
    eventually,
    make_socket,
    settle_subscriptions,
    term_in_thread,
    wait_connected,
    watch,
)

zmq = pytest.importorskip("zmq")
zmq_devices = pytest.importorskip("zmq.devices")

LOCAL = "tcp://127.0.0.1"
N_CLIENTS, N_WORKERS, PER_CLIENT = 4, 3, 15


def _purezmq_device(cls: Any, *types: Any) -> tuple[Any, Any]:
    dev = cls(*types)
    context = purezmq.Context()
    dev.context_factory = lambda: context
    return dev, context


def _pyzmq_device(cls: Any, *types: Any) -> tuple[Any, Any]:
    dev = cls(*types)
    context = zmq.Context()
    dev.context_factory = lambda: context
    return dev, context


def _stop(dev: Any, context: Any) -> None:
    term_in_thread(context)
    dev.join(10)
    assert not dev.launcher.is_alive()


def _req_rep_load(
    lib_clients: Any, cctx: Any, lib_workers: Any, wctx: Any, fe: str, be: str
) -> None:
    """N REQ clients and M REP workers through a queue: each request once."""
    stop = threading.Event()
    served: list[bytes] = []
    lock = threading.Lock()
    failures: list[BaseException] = []

    def worker(w: int) -> None:
        try:
            rep = make_socket(wctx, lib_workers.REP, timeout_ms=100)
            rep.connect(be)
            while not stop.is_set():
                try:
                    body = rep.recv()
                except lib_workers.Again:
                    continue
                with lock:
                    served.append(body)
                rep.send(body + b"|w%d" % w)
            rep.close()
        except BaseException as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=worker, args=(w,), daemon=True) for w in range(N_WORKERS)]
    for t in threads:
        t.start()
    clients = [make_socket(cctx, lib_clients.REQ, timeout_ms=10000) for _ in range(N_CLIENTS)]
    for c in clients:
        c.connect(fe)
    answered = []
    try:
        for i in range(PER_CLIENT):
            for k, c in enumerate(clients):
                c.send(b"c%d-r%d" % (k, i))
            for k, c in enumerate(clients):
                reply = c.recv()
                body, _, who = reply.partition(b"|")
                assert body == b"c%d-r%d" % (k, i) and who.startswith(b"w")
                answered.append(body)
    finally:
        stop.set()
        for t in threads:
            t.join(5)
        for c in clients:
            c.close()
    assert not failures
    assert len(answered) == N_CLIENTS * PER_CLIENT
    assert sorted(served) == sorted(answered)  # exactly once each


# -- pyzmq clients around a purezmq device --------------------------------------------------


def test_queue_pyzmq_clients_purezmq_device(pyctx: Any) -> None:
    dev, context = _purezmq_device(
        pdevices.ThreadDevice, purezmq.QUEUE, purezmq.ROUTER, purezmq.DEALER
    )
    in_port = dev.bind_in_to_random_port(LOCAL)
    out_port = dev.bind_out_to_random_port(LOCAL)
    dev.start()
    try:
        _req_rep_load(zmq, pyctx, zmq, pyctx, f"{LOCAL}:{in_port}", f"{LOCAL}:{out_port}")
    finally:
        _stop(dev, context)


def test_forwarder_pyzmq_clients_purezmq_device(pyctx: Any) -> None:
    dev, context = _purezmq_device(
        pdevices.ThreadDevice, purezmq.FORWARDER, purezmq.XSUB, purezmq.XPUB
    )
    in_port = dev.bind_in_to_random_port(LOCAL)
    out_port = dev.bind_out_to_random_port(LOCAL)
    dev.start()
    try:
        upstream = make_socket(pyctx, zmq.XPUB)
        upstream.connect(f"{LOCAL}:{in_port}")
        subs = [make_socket(pyctx, zmq.SUB) for _ in range(2)]
        for s, topic in zip(subs, (b"a", b"b")):
            s.connect(f"{LOCAL}:{out_port}")
            s.subscribe(topic)
        # each subscription crossed the purezmq XPUB -> XSUB to the libzmq XPUB
        assert sorted(upstream.recv() for _ in range(2)) == [b"\x01a", b"\x01b"]
        settle_subscriptions(upstream, subs[0], b"a")
        settle_subscriptions(upstream, subs[1], b"b")
        for i in range(20):
            upstream.send_multipart([b"a", b"%d" % i])
            upstream.send_multipart([b"b", b"%d" % i])
            upstream.send_multipart([b"c", b"%d" % i])
        assert [subs[0].recv_multipart() for _ in range(20)] == [
            [b"a", b"%d" % i] for i in range(20)
        ]
        assert [subs[1].recv_multipart() for _ in range(20)] == [
            [b"b", b"%d" % i] for i in range(20)
        ]
        subs[0].close()  # its last subscription goes away upstream too
        assert upstream.recv() == b"\x00a"
        subs[1].close()
        upstream.close()
    finally:
        _stop(dev, context)


def test_streamer_pyzmq_clients_purezmq_device(pyctx: Any) -> None:
    dev, context = _purezmq_device(
        pdevices.ThreadDevice, purezmq.STREAMER, purezmq.PULL, purezmq.PUSH
    )
    in_port = dev.bind_in_to_random_port(LOCAL)
    out_port = dev.bind_out_to_random_port(LOCAL)
    dev.start()
    try:
        pushers = [make_socket(pyctx, zmq.PUSH) for _ in range(2)]
        pullers = [make_socket(pyctx, zmq.PULL) for _ in range(2)]
        monitors = [watch(s) for s in pullers]
        for s in pushers:
            s.connect(f"{LOCAL}:{in_port}")
        for s in pullers:
            s.connect(f"{LOCAL}:{out_port}")
        for m in monitors:  # both pullers connected, so the device's PUSH round-robins
            wait_connected(m)
            m.close()
        sent = {(p, i) for p in range(2) for i in range(100)}
        for i in range(100):
            for p, s in enumerate(pushers):
                s.send_multipart([b"%d" % p, b"%d" % i, b"z" * 1000])
        got = []
        poller = zmq.Poller()
        for s in pullers:
            poller.register(s, zmq.POLLIN)
        per_puller = [0, 0]
        while len(got) < len(sent):
            ready = dict(poller.poll(5000))
            assert ready, f"only {len(got)} of {len(sent)} arrived"
            for k, s in enumerate(pullers):
                if s in ready:
                    p, i, body = s.recv_multipart()
                    assert body == b"z" * 1000
                    got.append((int(p), int(i)))
                    per_puller[k] += 1
        assert set(got) == sent and len(got) == len(sent)
        assert min(per_puller) > 0
        for s in pushers + pullers:
            s.close()
    finally:
        _stop(dev, context)


def test_proxy_monitor_with_pyzmq_subscriber(pyctx: Any) -> None:
    dev, context = _purezmq_device(pdevices.ThreadProxy, purezmq.PULL, purezmq.PUSH)
    in_port = dev.bind_in_to_random_port(LOCAL)
    out_port = dev.bind_out_to_random_port(LOCAL)
    mon_port = dev.bind_mon_to_random_port(LOCAL)
    dev.start()
    try:
        mon = make_socket(pyctx, zmq.SUB)
        mon.subscribe(b"")
        mon.connect(f"{LOCAL}:{mon_port}")
        push = make_socket(pyctx, zmq.PUSH)
        pull = make_socket(pyctx, zmq.PULL)
        push.connect(f"{LOCAL}:{in_port}")
        pull.connect(f"{LOCAL}:{out_port}")

        def monitor_joined() -> bool:  # slow joiner on the monitor PUB
            if mon.poll(50):
                return True
            push.send(b"probe")
            pull.recv()
            return False

        eventually(monitor_joined, interval=0, what="the monitor SUB joining")
        while mon.poll(100):
            mon.recv_multipart()
        for i in range(30):
            push.send_multipart([b"m", b"%d" % i])
        assert [pull.recv_multipart() for _ in range(30)] == [[b"m", b"%d" % i] for i in range(30)]
        assert [mon.recv_multipart() for _ in range(30)] == [[b"m", b"%d" % i] for i in range(30)]
        for s in (mon, push, pull):
            s.close()
    finally:
        _stop(dev, context)


# -- a libzmq device between purezmq clients --------------------------------------------------


def test_queue_purezmq_clients_pyzmq_device(ctx: Any) -> None:
    dev, context = _pyzmq_device(zmq_devices.ThreadDevice, zmq.QUEUE, zmq.ROUTER, zmq.DEALER)
    in_port = dev.bind_in_to_random_port(LOCAL)
    out_port = dev.bind_out_to_random_port(LOCAL)
    dev.start()
    try:
        _req_rep_load(purezmq, ctx, purezmq, ctx, f"{LOCAL}:{in_port}", f"{LOCAL}:{out_port}")
    finally:
        _stop(dev, context)


def test_forwarder_purezmq_clients_pyzmq_device(ctx: Any) -> None:
    dev, context = _pyzmq_device(zmq_devices.ThreadDevice, zmq.FORWARDER, zmq.XSUB, zmq.XPUB)
    in_port = dev.bind_in_to_random_port(LOCAL)
    out_port = dev.bind_out_to_random_port(LOCAL)
    dev.start()
    try:
        upstream = make_socket(ctx, purezmq.XPUB)
        upstream.connect(f"{LOCAL}:{in_port}")
        sub = make_socket(ctx, purezmq.SUB)
        sub.connect(f"{LOCAL}:{out_port}")
        sub.subscribe(b"news")
        assert upstream.recv() == b"\x01news"
        settle_subscriptions(upstream, sub, b"news")
        upstream.send_multipart([b"sports", b"x"])
        upstream.send_multipart([b"news", b"y"])
        assert sub.recv_multipart() == [b"news", b"y"]
        upstream.close()
        sub.close()
    finally:
        _stop(dev, context)


def test_streamer_purezmq_clients_pyzmq_device(ctx: Any) -> None:
    dev, context = _pyzmq_device(zmq_devices.ThreadDevice, zmq.STREAMER, zmq.PULL, zmq.PUSH)
    in_port = dev.bind_in_to_random_port(LOCAL)
    out_port = dev.bind_out_to_random_port(LOCAL)
    dev.start()
    try:
        push = make_socket(ctx, purezmq.PUSH)
        pull = make_socket(ctx, purezmq.PULL)
        push.connect(f"{LOCAL}:{in_port}")
        pull.connect(f"{LOCAL}:{out_port}")
        for i in range(200):
            push.send_multipart([b"%d" % i, b""])
        assert [pull.recv_multipart() for _ in range(200)] == [[b"%d" % i, b""] for i in range(200)]
        push.close()
        pull.close()
    finally:
        _stop(dev, context)


# -- steering and statistics, compared with libzmq ---------------------------------------------


def _steered_traffic(
    lib: Any, cctx: Any, dev: Any, in_port: int, out_port: int, ctrl_port: int
) -> list[int]:
    """Fixed traffic through a ROUTER/DEALER steerable proxy; returns STATISTICS."""
    client = make_socket(cctx, lib.DEALER)
    client.setsockopt(lib.IDENTITY, b"client-7")
    client.connect(f"{LOCAL}:{in_port}")
    worker = make_socket(cctx, lib.DEALER)
    worker.connect(f"{LOCAL}:{out_port}")
    ctrl = make_socket(cctx, lib.PAIR)
    ctrl.connect(f"{LOCAL}:{ctrl_port}")
    for i in range(7):
        client.send_multipart([b"", b"q" * i, b"tail"])
        msg = worker.recv_multipart()
        worker.send_multipart(msg + [b"r" * (3 * i)])
        client.recv_multipart()
    ctrl.send(b"STATISTICS")
    values = [struct.unpack("=Q", f)[0] for f in ctrl.recv_multipart()]
    ctrl.send(b"TERMINATE")
    dev.join(10)  # TERMINATE taken before ctrl closes (linger 0 would drop it)
    for s in (client, worker, ctrl):
        s.close()
    return values


def test_statistics_equal_libzmq(ctx: Any, pyctx: Any) -> None:
    results = []
    for lib, cls in (
        (purezmq, pdevices.ThreadProxySteerable),
        (zmq, zmq_devices.ThreadProxySteerable),
    ):
        maker = _purezmq_device if lib is purezmq else _pyzmq_device
        dev, context = maker(cls, lib.ROUTER, lib.DEALER, lib.PUB, lib.PAIR)
        in_port = dev.bind_in_to_random_port(LOCAL)
        out_port = dev.bind_out_to_random_port(LOCAL)
        ctrl_port = dev.bind_ctrl_to_random_port(LOCAL)
        dev.start()
        try:
            results.append(_steered_traffic(purezmq, ctx, dev, in_port, out_port, ctrl_port))
            dev.join(10)
            assert not dev.launcher.is_alive()  # TERMINATE ended it
        finally:
            _stop(dev, context)
    ours, libzmq = results
    assert ours == libzmq
    assert ours[0] == 7 * 4 and ours[2] == 7 * 5  # frames, as libzmq counts them


def test_steerable_rep_control_from_pyzmq_req(pyctx: Any) -> None:
    dev, context = _purezmq_device(
        pdevices.ThreadProxySteerable, purezmq.PULL, purezmq.PUSH, purezmq.PUB, purezmq.REP
    )
    in_port = dev.bind_in_to_random_port(LOCAL)
    out_port = dev.bind_out_to_random_port(LOCAL)
    ctrl_port = dev.bind_ctrl_to_random_port(LOCAL)
    dev.start()
    try:
        push = make_socket(pyctx, zmq.PUSH)
        pull = make_socket(pyctx, zmq.PULL, timeout_ms=300)
        ctrl = make_socket(pyctx, zmq.REQ)
        push.connect(f"{LOCAL}:{in_port}")
        pull.connect(f"{LOCAL}:{out_port}")
        ctrl.connect(f"{LOCAL}:{ctrl_port}")
        push.send(b"a")
        assert pull.recv() == b"a"
        ctrl.send(b"PAUSE")
        assert ctrl.recv() == b""
        push.send(b"b")
        with pytest.raises(zmq.Again):
            pull.recv()
        ctrl.send(b"RESUME")
        assert ctrl.recv() == b""
        assert pull.recv() == b"b"
        ctrl.send(b"STATISTICS")
        stats = [struct.unpack("=Q", f)[0] for f in ctrl.recv_multipart()]
        assert stats == [2, 2, 0, 0, 0, 0, 2, 2]
        ctrl.send(b"TERMINATE")
        assert ctrl.recv() == b""
        dev.join(10)
        assert not dev.launcher.is_alive()
        for s in (push, pull, ctrl):
            s.close()
    finally:
        _stop(dev, context)
