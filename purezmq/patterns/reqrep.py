"""DEALER, ROUTER, REQ and REP (RFC 28; libzmq src/dealer.cpp, router.cpp,
req.cpp, rep.cpp).

Theory of operation (REQ/REP)
-----------------------------
REQ is a DEALER that wraps each request in an envelope and alternates
strictly: send a request, receive its reply. REP is a ROUTER that keeps the
envelope of the request it handed out and puts it back in front of the
reply. The alternation is a table ``(state, op) -> next state``; a missing
key is EFSM, and REQ_RELAXED only adds entries.

On the wire (RFC 28 "The Request-Reply Envelope", spec/interop.md #8):

* REQ sends ``[b"", *body]`` round-robin, or ``[request_id, b"", *body]``
  with REQ_CORRELATE (4 bytes, host byte order, as libzmq's memcpy). A reply
  is taken only from the pipe the request went to and only if it has the
  same shape (and id); anything else is dropped silently. Before a new
  request goes out, stale replies already queued are discarded.
* REP reads ``[routing_id, *hops, b"", *body]`` from its ROUTER part: the
  envelope is everything up to and including the first empty frame, which
  must not be the last frame. A request without one is dropped silently,
  as libzmq's rollback does. The reply is ``envelope + reply`` through the
  ROUTER, so it retraces every hop byte for byte.
"""

from __future__ import annotations

import errno
import random
import struct
from typing import Any, Optional

from ..constants import EFSM
from ..constants import SocketOption as O
from ..error import ZMQError
from ..routing.fq import FairQueue
from ..routing.lb import LoadBalancer
from ..routing.pipe import Pipe
from .base import Msg, RoutedReceiver, SocketCore
from .options import Options


class Dealer(SocketCore):
    """DEALER: load-balances out, fair-queues in; libzmq src/dealer.cpp."""

    socket_type_name = "DEALER"
    compact_inbound = True

    def __init__(self, options: Options) -> None:
        super().__init__(options)
        self._fq = FairQueue()
        self._lb = LoadBalancer()
        self._probe_router = False
        if type(self) is Dealer:  # not for REQ, a subclass (as libzmq req_t)
            # Hot path: the routing objects' bound methods replace ours per
            # instance, so a send or recv costs no extra Python call.
            self.send = self._lb.send  # type: ignore[method-assign]
            self.recv = self._fq.recv  # type: ignore[method-assign]
            self.has_in = self._fq.has_in  # type: ignore[method-assign]
            self.has_out = self._lb.has_out  # type: ignore[method-assign]

    def xattach(self, pipe: Pipe) -> None:
        if self._probe_router:
            pipe.write([b""])
        self._fq.attach(pipe)
        self._lb.attach(pipe)

    def xread_activated(self, pipe: Pipe) -> None:
        self._fq.activated(pipe)

    def xwrite_activated(self, pipe: Pipe) -> None:
        self._lb.activated(pipe)

    def xpipe_terminated(self, pipe: Pipe) -> None:
        self._fq.pipe_terminated(pipe)
        self._lb.pipe_terminated(pipe)

    def send(self, msg: Msg) -> bool:  # replaced per instance by the LoadBalancer's
        return self._lb.send(msg)

    def xset_option(self, option: int, value: Any) -> bool:
        if option == O.PROBE_ROUTER:
            self._probe_router = bool(value)
            return True
        return False


_U32 = struct.Struct(">I")


class Router(RoutedReceiver):
    """ROUTER: addresses peers by routing id; libzmq src/router.cpp.

    Received messages get the sending peer's routing id as first frame; sent
    messages are routed by their first frame. A peer without an Identity gets
    ``0x00`` + a 32-bit counter (spec/interop.md #7)."""

    socket_type_name = "ROUTER"
    compact_inbound = True

    def __init__(self, options: Options) -> None:
        super().__init__(options)
        self._fq = FairQueue()
        self._routes: dict[bytes, Pipe] = {}
        self._anonymous: set[Pipe] = set()  # handshake pending or duplicate id
        self._next_id = random.getrandbits(32)
        self._mandatory = False
        self._handover = False
        self._probe_router = False
        if type(self) is Router:  # not for REP, a subclass (as libzmq rep_t)
            # Hot path: the FairQueue's bound method replaces ours per instance.
            self.has_in = self._fq.has_in  # type: ignore[method-assign]

    # -- pipes ---------------------------------------------------------------

    def xattach(self, pipe: Pipe) -> None:
        if self._probe_router:
            pipe.write([b""])
        if not self._identify(pipe):
            self._anonymous.add(pipe)

    def xpeer_ready(self, pipe: Pipe) -> None:
        if pipe in self._anonymous and self._identify(pipe):
            self._anonymous.discard(pipe)

    def _identify(self, pipe: Pipe) -> bool:
        identity = pipe.peer_identity
        if identity is None:
            return False  # handshake still running
        if pipe.routing_id:
            rid = pipe.routing_id  # chosen locally with CONNECT_ROUTING_ID
        elif identity:
            rid = identity
            old = self._routes.get(rid)
            if old is not None and old is not pipe:
                if not self._handover:
                    return False  # libzmq ignores a peer with a duplicate id
                del self._routes[rid]
                old.routing_id = self._generate_id()
                self._routes[old.routing_id] = old
                self.detach(old)
        else:
            rid = self._generate_id()
        pipe.routing_id = rid
        self._routes[rid] = pipe
        self._fq.attach(pipe)
        return True

    def _generate_id(self) -> bytes:
        while True:
            self._next_id = (self._next_id + 1) & 0xFFFFFFFF
            rid = b"\x00" + _U32.pack(self._next_id)
            if rid not in self._routes:
                return rid

    def xread_activated(self, pipe: Pipe) -> None:
        if pipe in self._anonymous:
            while pipe.read() is not None:  # an ignored duplicate: drop its input
                pass
            return
        self._fq.activated(pipe)

    def xpipe_terminated(self, pipe: Pipe) -> None:
        self._anonymous.discard(pipe)
        if self._routes.get(pipe.routing_id) is pipe:
            del self._routes[pipe.routing_id]
        self._fq.pipe_terminated(pipe)

    # -- messages -------------------------------------------------------------

    def send(self, msg: Msg) -> bool:
        if not msg:
            return True
        rid = msg[0]
        pipe = self._routes.get(rid if type(rid) is bytes else bytes(rid))
        if pipe is None:
            if self._mandatory:
                raise ZMQError(errno.EHOSTUNREACH, f"No peer with routing id {bytes(rid)!r}")
            return True  # unroutable: dropped, as libzmq
        body = msg[1:]
        if not body:
            return True
        if pipe.write(body):
            return True
        # full pipe: EAGAIN / block under ROUTER_MANDATORY (as libzmq), else dropped
        return not self._mandatory

    def has_out(self) -> bool:
        return True

    def xset_option(self, option: int, value: Any) -> bool:
        if option == O.ROUTER_MANDATORY:
            self._mandatory = bool(value)
        elif option == O.ROUTER_HANDOVER:
            self._handover = bool(value)
        elif option == O.PROBE_ROUTER:
            self._probe_router = bool(value)
        else:
            return False
        return True


# ---------------------------------------------------------------------------
# REQ and REP
# ---------------------------------------------------------------------------


class _State:
    """The states, plain strings: the transition tables hash them per call,
    and an Enum member hashes in Python."""

    SEND = "send-state"  # REQ: may send a request / REP: owes a reply
    RECV = "recv-state"  # REQ: waits for the reply / REP: waits for a request


_SEND = "send"
_RECV = "recv"

# (state, op) -> next state; no entry: EFSM.
_REQ_STRICT: dict[tuple[str, str], str] = {
    (_State.SEND, _SEND): _State.RECV,
    (_State.RECV, _RECV): _State.SEND,
}
# REQ_RELAXED: a new request may replace the one still waiting for its reply.
_REQ_RELAXED = {**_REQ_STRICT, (_State.RECV, _SEND): _State.RECV}
_REP: dict[tuple[str, str], str] = {
    (_State.RECV, _RECV): _State.SEND,
    (_State.SEND, _SEND): _State.RECV,
}

_REQUEST_ID = struct.Struct("=I")  # libzmq memcpys a uint32_t: host order


def _efsm() -> ZMQError:
    return ZMQError(EFSM, "Operation cannot be accomplished in current state")


class Req(Dealer):
    """REQ: strict request/reply client over DEALER plumbing; libzmq req_t."""

    socket_type_name = "REQ"
    compact_inbound = False  # parses the envelope of every message

    def __init__(self, options: Options) -> None:
        super().__init__(options)
        self._table = _REQ_STRICT
        self._state = _State.SEND
        self._correlate = False  # REQ_CORRELATE
        self._request_id = random.getrandbits(32)
        self._reply_pipe: Optional[Pipe] = None  # where the last request went
        self._stash: Optional[Msg] = None  # a valid reply found by has_in

    # -- pipes ---------------------------------------------------------------

    def xpipe_terminated(self, pipe: Pipe) -> None:
        if pipe is self._reply_pipe:
            self._reply_pipe = None  # libzmq: then a reply from any peer will do
        super().xpipe_terminated(pipe)

    # -- messages ----------------------------------------------------------------

    def send(self, msg: Msg) -> bool:
        nxt = self._table.get((self._state, _SEND))
        if nxt is None:
            raise _efsm()
        # Replies already queued belong to older requests: drop them first
        # (libzmq req_t::xsend eats everything readable).
        self._stash = None
        for pipe in self.pipes:
            while pipe.read() is not None:
                pass
        if self._correlate:
            request_id = (self._request_id + 1) & 0xFFFFFFFF
            sent = self._lb.send_pipe([_REQUEST_ID.pack(request_id), b"", *msg])
            if sent is None:
                return False
            self._request_id = request_id
        else:
            sent = self._lb.send_pipe([b"", *msg])
            if sent is None:
                return False
        self._reply_pipe = sent
        self._state = nxt
        return True

    def recv(self) -> Optional[Msg]:
        nxt = self._table.get((self._state, _RECV))
        if nxt is None:
            raise _efsm()
        msg = self._stash
        if msg is None:
            msg = self._next_reply()
            if msg is None:
                return None
        else:
            self._stash = None
        self._state = nxt
        return msg

    def _next_reply(self) -> Optional[Msg]:
        """The next well-formed reply to the current request, or None."""
        recv_pipe = self._fq.recv_pipe
        while True:
            got = recv_pipe()
            if got is None:
                return None
            msg, pipe = got
            reply_pipe = self._reply_pipe
            if reply_pipe is not None and pipe is not reply_pipe:
                continue
            if isinstance(msg, bytes):
                continue  # one bare frame (REQ's sessions send none): no envelope
            if self._correlate:
                if len(msg) < 3 or len(msg[1]) or msg[0] != _REQUEST_ID.pack(self._request_id):
                    continue
                return msg[2:]
            if len(msg) < 2 or len(msg[0]):
                continue
            return msg[1:]

    def has_in(self) -> bool:
        if self._state is not _State.RECV:
            return False  # nothing can arrive that we would hand out
        if self._stash is not None:
            return True
        msg = self._next_reply()  # None: pipes parked with wake-ups armed
        if msg is None:
            return False
        self._stash = msg
        return True

    def has_out(self) -> bool:
        return (self._state, _SEND) in self._table and self._lb.has_out()

    def can_send(self) -> bool:
        return (self._state, _SEND) in self._table

    # -- options --------------------------------------------------------------------

    def xset_option(self, option: int, value: Any) -> bool:
        if option == O.REQ_RELAXED:
            self._table = _REQ_RELAXED if value else _REQ_STRICT
        elif option == O.REQ_CORRELATE:
            self._correlate = bool(value)
        else:
            return super().xset_option(option, value)  # PROBE_ROUTER
        return True


class Rep(Router):
    """REP: replies along the saved envelope of each request; libzmq rep_t."""

    socket_type_name = "REP"
    compact_inbound = False  # parses the envelope of every message

    def __init__(self, options: Options) -> None:
        super().__init__(options)
        self._state = _State.RECV
        self._envelope: Optional[Msg] = None  # [routing_id, *hops, b""] of the request
        self._stash: Optional[tuple[Msg, Msg]] = None  # (envelope, body) found by has_in

    def recv(self) -> Optional[Msg]:
        nxt = _REP.get((self._state, _RECV))
        if nxt is None:
            raise _efsm()
        got = self._stash
        if got is None:
            got = self._next_request()
            if got is None:
                return None
        else:
            self._stash = None
        self._envelope, body = got
        self._state = nxt
        return body

    def _next_request(self) -> Optional[tuple[Msg, Msg]]:
        """(envelope, body) of the next well-formed request, or None."""
        recv_pipe = self._fq.recv_pipe
        while True:
            got = recv_pipe()
            if got is None:
                return None
            msg, pipe = got
            if isinstance(msg, bytes):
                continue  # one bare frame (REP's sessions send none): no delimiter
            try:
                i = msg.index(b"")  # frames compare by value, memoryviews too
            except ValueError:
                continue  # no delimiter: dropped (spec/interop.md #8)
            i += 1
            if i == len(msg):
                continue  # delimiter with no body after it: libzmq rolls back
            return [pipe.routing_id, *msg[:i]], msg[i:]

    def has_in(self) -> bool:
        if self._state is not _State.RECV:
            return False
        if self._stash is not None:
            return True
        got = self._next_request()  # None: pipes parked with wake-ups armed
        if got is None:
            return False
        self._stash = got
        return True

    def send(self, msg: Msg) -> bool:
        nxt = _REP.get((self._state, _SEND))
        if nxt is None:
            raise _efsm()
        envelope = self._envelope
        assert envelope is not None
        if not Router.send(self, [*envelope, *msg]):  # msg may be a tuple
            return False  # ROUTER_MANDATORY and the peer's pipe is full
        self._envelope = None
        self._state = nxt
        return True

    def has_out(self) -> bool:
        return self._state is _State.SEND

    def can_send(self) -> bool:
        return self._state is _State.SEND
