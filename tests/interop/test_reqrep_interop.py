"""REQ/REP, REQ->ROUTER and DEALER->REP against libzmq (pyzmq), both
directions, tcp and ipc. Envelopes are compared with what a libzmq socket in
the same place produces, byte for byte."""

from __future__ import annotations

import struct
from typing import Any

import pytest

import purezmq
from tests.testing import bind

zmq = pytest.importorskip("zmq")

TRANSPORTS = ["tcp", "ipc"]
LIBS = ["pz", "py"]


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("req_side,rep_side", [("pz", "py"), ("py", "pz")])
@pytest.mark.parametrize("bind_rep", [True, False])
def test_req_rep(
    libs: Any, ipc_dir: str, transport: str, req_side: str, rep_side: str, bind_rep: bool
) -> None:
    req = libs(req_side, "REQ")
    rep = libs(rep_side, "REP")
    if bind_rep:
        req.connect(bind(rep, transport, ipc_dir))
    else:
        rep.connect(bind(req, transport, ipc_dir))
    for i in range(10):
        req.send_multipart([b"req", b"%d" % i])
        assert rep.recv_multipart() == [b"req", b"%d" % i]
        rep.send_multipart([b"rep", b"%d" % i])
        assert req.recv_multipart() == [b"rep", b"%d" % i]


def _req_to_router(
    libs: Any, ipc_dir: str, transport: str, req_side: str, router_side: str, correlate: bool
) -> list[bytes]:
    router = libs(router_side, "ROUTER")
    req = libs(req_side, "REQ")
    req.setsockopt(purezmq.ROUTING_ID, b"R1")
    if correlate:
        req.setsockopt(purezmq.REQ_CORRELATE, 1)
    req.connect(bind(router, transport, ipc_dir))
    req.send_multipart([b"a", b"b"])
    msg: list[bytes] = router.recv_multipart()
    router.send_multipart(msg[:-2] + [b"reply"])
    assert req.recv() == b"reply"
    return msg


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("correlate", [False, True])
def test_req_to_router_envelope_matches_libzmq(
    libs: Any, ipc_dir: str, transport: str, correlate: bool
) -> None:
    for router_side in LIBS:
        ours = _req_to_router(libs, ipc_dir, transport, "pz", router_side, correlate)
        theirs = _req_to_router(libs, ipc_dir, transport, "py", router_side, correlate)
        if correlate:
            # request ids start at a random value: compare the shape
            assert len(ours[1]) == len(theirs[1]) == 4
            ours[1] = theirs[1] = b"<id>"
        assert ours == theirs
        assert ours[0] == b"R1" and ours[-3:] == [b"", b"a", b"b"]


def _dealer_to_rep(
    libs: Any, ipc_dir: str, transport: str, dealer_side: str, rep_side: str
) -> list[list[bytes]]:
    rep = libs(rep_side, "REP")
    dealer = libs(dealer_side, "DEALER")
    dealer.connect(bind(rep, transport, ipc_dir))
    dealer.send(b"no delimiter: REP drops it")
    dealer.send_multipart([b"only", b"hops", b""])  # delimiter with no body: dropped
    dealer.send_multipart([b"h2", b"h1", b"", b"q", b"q2"])
    replies = []
    assert rep.recv_multipart() == [b"q", b"q2"]
    rep.send_multipart([b"r", b"r2"])
    replies.append(dealer.recv_multipart())
    dealer.send_multipart([b"", b"second"])
    assert rep.recv() == b"second"
    rep.send(b"ok")
    replies.append(dealer.recv_multipart())
    return replies


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_dealer_to_rep_envelope_matches_libzmq(libs: Any, ipc_dir: str, transport: str) -> None:
    for dealer_side in LIBS:
        ours = _dealer_to_rep(libs, ipc_dir, transport, dealer_side, "pz")
        theirs = _dealer_to_rep(libs, ipc_dir, transport, dealer_side, "py")
        assert ours == theirs == [[b"h2", b"h1", b"", b"r", b"r2"], [b"", b"ok"]]


@pytest.mark.parametrize("rep_side", LIBS)
def test_purezmq_req_correlate_with_libzmq_router_replies(
    libs: Any, ipc_dir: str, rep_side: str
) -> None:
    """REQ_RELAXED + REQ_CORRELATE: a stale reply is skipped, the fresh one taken."""
    router = libs(rep_side, "ROUTER")
    req = libs("pz", "REQ")
    req.setsockopt(purezmq.REQ_RELAXED, 1)
    req.setsockopt(purezmq.REQ_CORRELATE, 1)
    req.connect(bind(router, "tcp", ipc_dir))
    req.send(b"one")
    first = router.recv_multipart()
    req.send(b"two")
    second = router.recv_multipart()
    (a,) = struct.unpack("=I", first[1])
    (b,) = struct.unpack("=I", second[1])
    assert b == (a + 1) & 0xFFFFFFFF  # host order, as libzmq's memcpy
    router.send_multipart(first[:3] + [b"stale"])
    router.send_multipart(second[:3] + [b"fresh"])
    assert req.recv() == b"fresh"


def test_libzmq_req_to_purezmq_router_and_back(libs: Any, ipc_dir: str) -> None:
    router = libs("pz", "ROUTER")
    req = libs("py", "REQ")
    req.connect(bind(router, "tcp", ipc_dir))
    req.send(b"hello")
    rid, empty, body = router.recv_multipart()
    assert empty == b"" and body == b"hello" and rid[:1] == b"\x00" and len(rid) == 5
    router.send_multipart([rid, b"", b"world"])
    assert req.recv() == b"world"
