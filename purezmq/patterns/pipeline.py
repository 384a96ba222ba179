"""PUSH and PULL (RFC 30; libzmq src/push.cpp, pull.cpp)."""

from __future__ import annotations

from typing import Optional

from ..routing.fq import FairQueue
from ..routing.lb import LoadBalancer
from ..routing.pipe import Pipe
from .base import Msg, Received, SocketCore
from .options import Options


class Push(SocketCore):
    """PUSH: round-robin to PULL peers; counterpart of libzmq src/push.cpp."""

    socket_type_name = "PUSH"

    def __init__(self, options: Options) -> None:
        super().__init__(options)
        self._lb = LoadBalancer()
        # Hot path: the LoadBalancer's bound methods replace ours per instance.
        self.send = self._lb.send  # type: ignore[method-assign]
        self.has_out = self._lb.has_out  # type: ignore[method-assign]

    def xattach(self, pipe: Pipe) -> None:
        self._lb.attach(pipe)

    def xwrite_activated(self, pipe: Pipe) -> None:
        self._lb.activated(pipe)

    def xpipe_terminated(self, pipe: Pipe) -> None:
        self._lb.pipe_terminated(pipe)

    def send(self, msg: Msg) -> bool:  # replaced per instance by the LoadBalancer's
        return self._lb.send(msg)


class Pull(SocketCore):
    """PULL: fair-queues from PUSH peers; counterpart of libzmq src/pull.cpp."""

    socket_type_name = "PULL"
    compact_inbound = True
    sends = False

    def __init__(self, options: Options) -> None:
        super().__init__(options)
        self._fq = FairQueue()
        # Hot path: the FairQueue's bound methods replace ours per instance.
        self.recv = self._fq.recv  # type: ignore[method-assign]
        self.has_in = self._fq.has_in  # type: ignore[method-assign]

    def xattach(self, pipe: Pipe) -> None:
        self._fq.attach(pipe)

    def xread_activated(self, pipe: Pipe) -> None:
        self._fq.activated(pipe)

    def xpipe_terminated(self, pipe: Pipe) -> None:
        self._fq.pipe_terminated(pipe)

    def recv(self) -> Optional[Received]:  # replaced per instance by the FairQueue's
        return self._fq.recv()
