"""Hypothesis stateful test: ROUTER/DEALER routing against a simple model.

Real purezmq sockets over inproc (no timing): several DEALERs with fixed
identities around one ROUTER. The model says where every message must end
up; after each step the sockets must agree with it exactly.
"""

from __future__ import annotations

from collections import deque

import hypothesis.strategies as st
from hypothesis import settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

import purezmq as zmq
from tests.testing import terminate

NAMES = [b"d0", b"d1", b"d2", b"d3"]
frames = st.lists(st.binary(max_size=8), min_size=1, max_size=3)


class RouterDealerModel(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.ctx = zmq.Context()
        self.router = self.ctx.socket(zmq.ROUTER)
        self.router.linger = 0
        self.router.router_mandatory = 1
        self.router.bind("inproc://model")
        self.dealers: dict[bytes, zmq.Socket] = {}
        # name -> one queue per connection generation: order holds within a
        # connection, not across two connections that used the same identity
        self.per_dealer_pending: dict[bytes, list[deque[list[bytes]]]] = {}
        self.to_dealer: dict[bytes, deque[list[bytes]]] = {}

    @precondition(lambda self: len(self.dealers) < len(NAMES))
    @rule(data=st.data())
    def connect_dealer(self, data: st.DataObject) -> None:
        name = data.draw(st.sampled_from([n for n in NAMES if n not in self.dealers]))
        d = self.ctx.socket(zmq.DEALER)
        d.linger = 0
        d.identity = name
        d.connect("inproc://model")
        self.dealers[name] = d
        self.per_dealer_pending.setdefault(name, []).append(deque())
        self.to_dealer[name] = deque()

    @precondition(lambda self: bool(self.dealers))
    @rule(data=st.data(), msg=frames)
    def dealer_sends(self, data: st.DataObject, msg: list[bytes]) -> None:
        name = data.draw(st.sampled_from(sorted(self.dealers)))
        self.dealers[name].send_multipart(msg)
        self.per_dealer_pending[name][-1].append(msg)

    def _pending(self) -> bool:
        return any(q for gens in self.per_dealer_pending.values() for q in gens)

    @precondition(lambda self: self._pending())
    @rule()
    def router_receives(self) -> None:
        rid, *body = self.router.recv_multipart(zmq.NOBLOCK)
        assert rid in self.per_dealer_pending, rid
        # per-connection order is preserved; which comes first is fair-queued
        heads = [q for q in self.per_dealer_pending[rid] if q and q[0] == body]
        assert heads, f"{body!r} is not next from any connection of {rid!r}"
        heads[0].popleft()

    @rule(data=st.data(), msg=frames)
    def router_sends(self, data: st.DataObject, msg: list[bytes]) -> None:
        name = data.draw(st.sampled_from(NAMES))
        if name in self.dealers:
            self.router.send_multipart([name, *msg])
            self.to_dealer[name].append(msg)
        else:
            try:
                self.router.send_multipart([name, *msg])
            except zmq.ZMQError as exc:
                assert exc.errno == zmq.EHOSTUNREACH
            else:
                raise AssertionError("ROUTER_MANDATORY accepted an unknown peer")

    @precondition(lambda self: any(self.to_dealer.values()))
    @rule(data=st.data())
    def dealer_receives(self, data: st.DataObject) -> None:
        name = data.draw(st.sampled_from(sorted(n for n, q in self.to_dealer.items() if q)))
        assert self.dealers[name].recv_multipart(zmq.NOBLOCK) == self.to_dealer[name].popleft()

    @precondition(lambda self: bool(self.dealers))
    @rule(data=st.data())
    def dealer_leaves(self, data: st.DataObject) -> None:
        name = data.draw(st.sampled_from(sorted(self.dealers)))
        self.dealers.pop(name).close()
        # What it sent before leaving is still delivered (nothing delivered is
        # lost); what the ROUTER queued for it goes with it.
        self.to_dealer.pop(name)

    @invariant()
    def nothing_unexpected(self) -> None:
        if not self._pending():
            try:
                extra = self.router.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                return
            raise AssertionError(f"ROUTER got an unexpected message {extra!r}")

    def teardown(self) -> None:
        for d in self.dealers.values():
            d.close()
        self.router.close()
        terminate(self.ctx)


RouterDealerModel.TestCase.settings = settings(
    max_examples=40, stateful_step_count=30, deadline=None
)
TestRouterDealerModel = RouterDealerModel.TestCase
