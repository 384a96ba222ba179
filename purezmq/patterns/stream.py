"""STREAM: plain TCP peers addressed by routing id (libzmq src/stream.cpp).

Theory of operation
-------------------
A STREAM socket talks to peers that speak no ZMTP: each connection's engine
is `reactor/raw_engine.py`, which turns every read into a one-frame message
``[data]`` and writes what it is given as raw bytes. Here the socket is a
ROUTER-like composition: a `FairQueue` in, a routing-id table out.

* Every pipe gets a routing id when it is attached: the CONNECT_ROUTING_ID
  the app named for a connect, else ``0x00`` + a 32-bit big-endian counter
  starting at a random value. As libzmq does, a generated id is also copied
  into the ROUTING_ID option, so ``getsockopt(ROUTING_ID)`` right after
  ``connect`` tells the app the id of that connection.
* Receiving: ``[routing_id, data]``. The engine announces a new connection
  and a lost one with an empty data frame (STREAM_NOTIFY, on by default).
* Sending goes frame by frame through libzmq's two-state machine, which is
  not reset between messages: a first frame with MORE names the peer
  (unknown: EHOSTUNREACH; its pipe full: "not now", the caller blocks or gets
  EAGAIN), the next frame is the data, whatever its MORE flag says; a first
  frame without MORE is swallowed and the frame after it is taken as data for
  nobody, so a lone ``send(b"x")`` shifts the pairing of every later frame,
  exactly as in libzmq. An empty data frame closes that connection:
  `CLOSE_PEER` goes down the pipe behind the data already queued, the engine
  flushes that data, closes the TCP connection and the session stops (a
  connecting session does not reconnect). The routing id is unreachable at
  once and what the peer still sends is dropped.

libzmq 4.3.5 (the one pyzmq 27 bundles) forgets the routing id on an empty
data frame but leaves the TCP connection open until the socket closes
(observed; tests/patterns/test_stream.py pins both behaviours). We
close it, as its documentation says.
"""

from __future__ import annotations

import errno
import random
import struct
from typing import Any, Optional

from ..error import ZMQError
from ..routing.fq import FairQueue
from ..routing.pipe import Pipe
from .base import Msg, RoutedReceiver
from .options import Options

_U32 = struct.Struct(">I")


class _ClosePeer:
    """The pipe item asking a raw engine to flush, then close its connection."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "CLOSE_PEER"


CLOSE_PEER = _ClosePeer()


class Stream(RoutedReceiver):
    """STREAM: raw peers by routing id; libzmq stream_t."""

    socket_type_name = "STREAM"

    def __init__(self, options: Options) -> None:
        super().__init__(options)
        self._fq = FairQueue()
        self._routes: dict[bytes, Pipe] = {}
        self._closing: set[Pipe] = set()  # closed by the app, the session not done yet
        self._next_id = random.getrandbits(32)
        self._more_out = False  # the next frame is data (libzmq stream_t more_out)
        self._current: Optional[Pipe] = None  # where that data frame goes; None: dropped
        # A message whose frame `i` could not go (its peer's pipe was full):
        # the caller retries with the same list, and we go on from frame `i`.
        self._resume: Optional[tuple[Msg, int]] = None
        # Hot path: the FairQueue's bound method replaces ours per instance.
        self.has_in = self._fq.has_in  # type: ignore[method-assign]

    # -- pipes ---------------------------------------------------------------

    def xattach(self, pipe: Pipe) -> None:
        rid = pipe.routing_id  # CONNECT_ROUTING_ID, claimed by the connect
        if not rid or rid in self._routes:
            # libzmq asserts on a duplicate CONNECT_ROUTING_ID; we number the
            # peer instead (the app's name for it was already taken).
            rid = self._generate_id()
            self.options.routing_id = rid  # libzmq copies it there too
        pipe.routing_id = rid
        self._routes[rid] = pipe
        self._fq.attach(pipe)

    def _generate_id(self) -> bytes:
        while True:
            rid = b"\x00" + _U32.pack(self._next_id)
            self._next_id = (self._next_id + 1) & 0xFFFFFFFF
            if rid not in self._routes:
                return rid

    def xread_activated(self, pipe: Pipe) -> None:
        if pipe in self._closing:
            _drop_input(pipe)
            return
        self._fq.activated(pipe)

    def xpipe_terminated(self, pipe: Pipe) -> None:
        self._closing.discard(pipe)
        if self._routes.get(pipe.routing_id) is pipe:
            del self._routes[pipe.routing_id]
        self._fq.pipe_terminated(pipe)
        if pipe is self._current:
            self._current = None

    # -- messages -------------------------------------------------------------

    def send(self, msg: Msg) -> bool:
        start = 0
        resume = self._resume
        if resume is not None:
            self._resume = None
            if resume[0] is msg:
                start = resume[1]
        last = len(msg) - 1
        for i in range(start, last + 1):
            if not self.send_frame(msg[i], i < last):
                self._resume = (msg, i)
                return False
        return True

    def send_frame(self, frame: Any, more: bool) -> bool:
        """One frame through libzmq's stream_t::xsend state machine.

        False: the peer's pipe is full (nothing consumed, try again later)."""
        if not self._more_out:
            if more:
                rid = frame if type(frame) is bytes else bytes(frame)
                pipe = self._routes.get(rid)
                if pipe is not None and pipe.in_closed() and not pipe.has_in():
                    # The connection is gone and we read all it sent, its
                    # disconnect notification included: the termination the
                    # session posted need not be waited for.
                    pipe.deliver_terminated()
                    pipe = self._routes.get(rid)
                if pipe is None:
                    raise ZMQError(errno.EHOSTUNREACH, f"No peer with routing id {rid!r}")
                if not pipe.check_write():
                    return False
                self._current = pipe
            self._more_out = True  # a first frame without MORE: swallowed, as libzmq
            return True
        self._more_out = False
        pipe = self._current
        self._current = None
        if pipe is None:
            return True  # data for no peer: dropped
        if len(frame) == 0:
            self._close_peer(pipe)
        else:
            pipe.write([frame])  # False only if the pipe closed meanwhile: dropped
        return True

    def _close_peer(self, pipe: Pipe) -> None:
        """An empty data frame: forget the peer, close its connection."""
        if self._routes.get(pipe.routing_id) is pipe:
            del self._routes[pipe.routing_id]
        _drop_input(pipe)
        self._fq.pipe_terminated(pipe)  # holds nothing now: forgotten at once
        if pipe.endpoint.startswith("inproc://"):
            self.detach(pipe)  # another socket's pipe, no engine: just close it
            return
        self._closing.add(pipe)
        pipe.force_write(CLOSE_PEER)  # behind the data already queued

    def has_out(self) -> bool:
        return True  # whether a message can go depends on its peer (libzmq)


def _drop_input(pipe: Pipe) -> None:
    while pipe.read() is not None:
        pass
