"""REQ and REP cores with in-memory pipes: envelopes, state tables, and a
Hypothesis state machine against a model (valid sequences succeed, invalid
ones raise EFSM and leave the sockets usable)."""

from __future__ import annotations

import struct
from collections import deque
from typing import Optional

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

import purezmq as zmq
from purezmq.patterns.options import Options
from purezmq.patterns.reqrep import Rep, Req
from purezmq.routing.pipe import pipe_pair
from purezmq.zmtp.events import Message
from tests.testing import CorePeer, efsm, run_now


class Peer(CorePeer):
    """The far end of a pipe attached to a core; sends whole messages."""

    def send(self, frames: list[bytes]) -> bool:
        assert self.pipe.write(Message(frames))
        return True


def wire(req: Req, rep: Rep) -> None:
    """Connect a REQ core straight to a REP core (inproc in miniature)."""
    a, b = pipe_pair(0, 0)
    a.bind(req, run_now)
    b.bind(rep, run_now)
    a.peer_identity = b""
    b.peer_identity = b""
    req.attach(a)
    rep.attach(b)


# ---------------------------------------------------------------------------
# REQ
# ---------------------------------------------------------------------------


def test_req_envelope_and_alternation() -> None:
    req = Req(Options(zmq.REQ))
    peer = Peer(req)
    efsm(req.recv)
    assert not req.has_in()
    assert req.send([b"hello", b"world"])
    assert peer.drain() == [[b"", b"hello", b"world"]]
    efsm(req.send, [b"again"])
    assert not req.can_send() and not req.has_out()
    assert req.recv() is None  # would block
    peer.send([b"", b"reply"])
    assert req.has_in()
    assert req.recv() == [b"reply"]
    assert req.can_send()
    efsm(req.recv)


def test_req_round_robins_requests() -> None:
    req = Req(Options(zmq.REQ))
    peers = [Peer(req) for _ in range(3)]
    seen = []
    for i in range(6):
        req.send([b"%d" % i])
        for j, p in enumerate(peers):
            got = p.drain()
            if got:
                seen.append(j)
                p.send([b"", b"ok"])
        assert req.recv() == [b"ok"]
    assert sorted(seen[:3]) == [0, 1, 2] and seen[3:] == seen[:3]


def test_req_drops_malformed_and_foreign_replies() -> None:
    req = Req(Options(zmq.REQ))
    a, b = Peer(req), Peer(req)
    req.send([b"q"])
    target, other = (a, b) if a.drain() else (b, a)
    other.drain()
    other.send([b"", b"not from the reply pipe"])
    target.send([b"no delimiter"])
    target.send([b""])  # delimiter but no body
    target.send([b"", b"good"])
    assert req.recv() == [b"good"]


def test_req_relaxed_resends_and_ignores_stale_replies() -> None:
    req = Req(Options(zmq.REQ))
    req.set_option(zmq.REQ_RELAXED, 1)
    req.set_option(zmq.REQ_CORRELATE, 1)
    peer = Peer(req)
    req.send([b"first"])
    (first,) = peer.drain()
    assert first[1:] == [b"", b"first"] and len(first[0]) == 4
    req.send([b"second"])  # allowed in relaxed mode
    (second,) = peer.drain()
    (id1,) = struct.unpack("=I", first[0])
    (id2,) = struct.unpack("=I", second[0])
    assert id2 == (id1 + 1) & 0xFFFFFFFF
    peer.send([first[0], b"", b"stale"])
    assert req.recv() is None
    peer.send([second[0], b"", b"fresh"])
    assert req.recv() == [b"fresh"]


def test_req_without_correlate_drops_replies_queued_before_a_request() -> None:
    req = Req(Options(zmq.REQ))
    req.set_option(zmq.REQ_RELAXED, 1)
    peer = Peer(req)
    req.send([b"1"])
    peer.send([b"", b"late reply to 1"])
    req.send([b"2"])  # eats what is queued
    peer.send([b"", b"reply to 2"])
    assert req.recv() == [b"reply to 2"]


def test_req_strict_send_is_efsm_not_blocking() -> None:
    req = Req(Options(zmq.REQ))
    assert not req.send([b"no peers"])  # would block, state unchanged
    efsm(req.recv)
    Peer(req)
    assert req.send([b"now"])


# ---------------------------------------------------------------------------
# REP
# ---------------------------------------------------------------------------


def test_rep_replies_along_the_saved_envelope() -> None:
    rep = Rep(Options(zmq.REP))
    peer = Peer(rep, identity=b"client")
    efsm(rep.send, [b"too early"])
    peer.send([b"hop2", b"hop1", b"", b"req", b"more"])
    assert rep.recv() == [b"req", b"more"]
    efsm(rep.recv)
    assert rep.send([b"rep", b"parts"])
    assert peer.drain() == [[b"hop2", b"hop1", b"", b"rep", b"parts"]]


def test_rep_drops_requests_without_delimiter() -> None:
    rep = Rep(Options(zmq.REP))
    peer = Peer(rep)
    peer.send([b"no delimiter"])
    peer.send([b"a", b"b"])
    peer.send([b"x", b""])  # delimiter last: no body
    assert not rep.has_in()
    peer.send([b"", b"fine"])
    assert rep.has_in()
    assert rep.recv() == [b"fine"]


def test_rep_fair_queues_and_answers_each_peer() -> None:
    rep = Rep(Options(zmq.REP))
    peers = [Peer(rep) for _ in range(3)]
    for i, p in enumerate(peers):
        p.send([b"", b"%d" % i])
    for _ in range(3):
        (body,) = rep.recv()
        rep.send([b"re:" + body])
    for i, p in enumerate(peers):
        assert p.drain() == [[b"", b"re:%d" % i]]


def test_rep_reply_to_a_gone_peer_is_dropped() -> None:
    rep = Rep(Options(zmq.REP))
    peer = Peer(rep)
    peer.send([b"", b"q"])
    assert rep.recv() == [b"q"]
    peer.pipe.close()
    assert rep.send([b"nobody"])  # silently dropped, state flips back
    efsm(rep.send, [b"x"])


# ---------------------------------------------------------------------------
# REQ <-> REP state machine against a model
# ---------------------------------------------------------------------------

bodies = st.lists(st.binary(max_size=8), min_size=1, max_size=3)


class ReqRepMachine(RuleBasedStateMachine):
    """Model: REQ state, REP state, requests in flight, replies in flight."""

    @initialize(relaxed=st.booleans(), correlate=st.booleans())
    def setup(self, relaxed: bool, correlate: bool) -> None:
        self.req = Req(Options(zmq.REQ))
        self.rep = Rep(Options(zmq.REP))
        if relaxed:
            self.req.set_option(zmq.REQ_RELAXED, 1)
        if correlate:
            self.req.set_option(zmq.REQ_CORRELATE, 1)
        wire(self.req, self.rep)
        self.relaxed = relaxed
        self.correlate = correlate
        self.req_waiting = False  # REQ has sent, wants the reply
        self.rep_owes = False  # REP has received, owes the reply
        self.seq = 0
        self.current = -1  # the request REQ waits for
        self.requests: deque[tuple[int, list[bytes]]] = deque()
        self.answering = -1  # request REP is answering
        self.replies: deque[tuple[int, list[bytes]]] = deque()

    @rule(body=bodies)
    def req_send(self, body: list[bytes]) -> None:
        if self.req_waiting and not self.relaxed:
            efsm(self.req.send, body)
            return
        assert self.req.send(body)
        self.replies.clear()  # queued replies are eaten before sending
        self.seq += 1
        self.current = self.seq
        self.requests.append((self.seq, body))
        self.req_waiting = True

    @rule()
    def req_recv(self) -> None:
        if not self.req_waiting:
            efsm(self.req.recv)
            return
        expected: Optional[list[bytes]] = None
        while self.replies:
            tag, body = self.replies.popleft()
            if self.correlate and tag != self.current:
                continue  # dropped: wrong request id
            expected = body
            break
        got = self.req.recv()
        assert got == expected
        if got is not None:
            self.req_waiting = False

    @rule()
    def rep_recv(self) -> None:
        if self.rep_owes:
            efsm(self.rep.recv)
            return
        got = self.rep.recv()
        if not self.requests:
            assert got is None
            return
        tag, body = self.requests.popleft()
        assert got == body
        self.answering = tag
        self.rep_owes = True

    @rule(body=bodies)
    def rep_send(self, body: list[bytes]) -> None:
        if not self.rep_owes:
            efsm(self.rep.send, body)
            return
        assert self.rep.send(body)
        self.replies.append((self.answering, body))
        self.rep_owes = False

    @invariant()
    def readiness_matches_the_model(self) -> None:
        if not hasattr(self, "req"):
            return
        assert self.req.can_send() == (not self.req_waiting or self.relaxed)
        assert self.rep.can_send() == self.rep_owes
        assert self.rep.has_out() == self.rep_owes
        if self.rep_owes:
            assert not self.rep.has_in()
        else:
            assert self.rep.has_in() == bool(self.requests)


ReqRepMachine.TestCase.settings = settings(max_examples=150, stateful_step_count=30, deadline=None)
test_req_rep_state_machine = ReqRepMachine.TestCase
