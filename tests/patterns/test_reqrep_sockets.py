"""REQ/REP (and REQ<->ROUTER, DEALER<->REP) between purezmq sockets over
tcp, ipc and inproc."""

from __future__ import annotations

from typing import Any

import pytest

import purezmq as zmq
from tests.testing import bind, efsm

TRANSPORTS = ["tcp", "ipc", "inproc"]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_req_rep_round_trips(new: Any, ipc_dir: str, transport: str) -> None:
    rep = new(zmq.REP)
    req = new(zmq.REQ)
    req.connect(bind(rep, transport, ipc_dir))
    for i in range(20):
        req.send_multipart([b"q", b"%d" % i])
        assert rep.recv_multipart() == [b"q", b"%d" % i]
        rep.send_string(f"a{i}")
        assert req.recv_string() == f"a{i}"


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_out_of_turn_calls_raise_efsm_and_keep_the_socket_usable(
    new: Any, ipc_dir: str, transport: str
) -> None:
    rep = new(zmq.REP)
    req = new(zmq.REQ)
    req.connect(bind(rep, transport, ipc_dir))
    efsm(req.recv)
    efsm(rep.send, b"x")
    efsm(rep.send, b"x", zmq.SNDMORE)
    assert req.poll(0, zmq.POLLIN) == 0 and rep.poll(0, zmq.POLLOUT) == 0
    req.send(b"ping")
    efsm(req.send, b"again")
    efsm(req.send, b"again", zmq.SNDMORE)
    efsm(req.send_multipart, [b"a", b"b"])
    assert rep.poll(1000) == zmq.POLLIN
    assert rep.recv() == b"ping"
    efsm(rep.recv)
    assert rep.poll(0, zmq.POLLOUT) == zmq.POLLOUT
    rep.send(b"pong", zmq.SNDMORE)
    rep.send(b"!")
    assert req.recv_multipart() == [b"pong", b"!"]
    req.send(b"next")
    assert rep.recv() == b"next"


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_req_round_robins_over_reps(new: Any, ipc_dir: str, transport: str) -> None:
    reps = [new(zmq.REP) for _ in range(3)]
    req = new(zmq.REQ)
    for rep in reps:
        req.connect(bind(rep, transport, ipc_dir))
    served = []
    for i in range(6):
        req.send(b"%d" % i)
        poller = zmq.Poller()
        for rep in reps:
            poller.register(rep, zmq.POLLIN)
        ((sock, _ev),) = poller.poll(2000)
        served.append(reps.index(sock))
        sock.send(sock.recv())
        assert req.recv() == b"%d" % i
    assert served == [0, 1, 2, 0, 1, 2]  # pipes exist from connect(): strict turns


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_req_to_router_envelope(new: Any, ipc_dir: str, transport: str) -> None:
    router = new(zmq.ROUTER)
    req = new(zmq.REQ)
    req.setsockopt(zmq.ROUTING_ID, b"client-1")
    req.connect(bind(router, transport, ipc_dir))
    req.send_multipart([b"a", b"b"])
    assert router.recv_multipart() == [b"client-1", b"", b"a", b"b"]
    router.send_multipart([b"client-1", b"", b"reply"])
    assert req.recv() == b"reply"


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_dealer_to_rep_envelope(new: Any, ipc_dir: str, transport: str) -> None:
    rep = new(zmq.REP)
    dealer = new(zmq.DEALER)
    dealer.connect(bind(rep, transport, ipc_dir))
    dealer.send(b"no delimiter: dropped")
    dealer.send_multipart([b"hop", b"", b"q1"])
    assert rep.recv() == b"q1"
    rep.send(b"r1")
    assert dealer.recv_multipart() == [b"hop", b"", b"r1"]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_req_relaxed_correlate_survives_a_lost_reply(
    new: Any, ipc_dir: str, transport: str
) -> None:
    router = new(zmq.ROUTER)
    req = new(zmq.REQ)
    req.setsockopt(zmq.REQ_RELAXED, 1)
    req.setsockopt(zmq.REQ_CORRELATE, 1)
    req.connect(bind(router, transport, ipc_dir))
    req.send(b"first")
    first = router.recv_multipart()
    req.send(b"second")  # the first reply never came: relaxed lets us go on
    second = router.recv_multipart()
    router.send_multipart(first[:3] + [b"stale"])
    router.send_multipart(second[:3] + [b"fresh"])
    assert req.recv() == b"fresh"


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_rep_serves_several_reqs(new: Any, ipc_dir: str, transport: str) -> None:
    rep = new(zmq.REP)
    addr = bind(rep, transport, ipc_dir)
    reqs = [new(zmq.REQ) for _ in range(4)]
    for i, req in enumerate(reqs):
        req.connect(addr)
        req.send(b"%d" % i)
    for _ in reqs:
        rep.send(b"re:" + rep.recv())
    for i, req in enumerate(reqs):
        assert req.recv() == b"re:%d" % i
