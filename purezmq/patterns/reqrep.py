"""DEALER and ROUTER (RFC 28; libzmq src/dealer.cpp, router.cpp)."""

from __future__ import annotations

import errno
import random
import struct
from typing import Any, Optional

from ..constants import SocketOption as O
from ..error import ZMQError
from ..routing.fq import FairQueue
from ..routing.lb import LoadBalancer
from ..routing.pipe import Pipe
from .base import Msg, SocketCore
from .options import coerce


class Dealer(SocketCore):
    """DEALER: load-balances out, fair-queues in; libzmq src/dealer.cpp."""

    socket_type_name = "DEALER"

    def __init__(self, options: Any) -> None:
        super().__init__(options)
        self._fq = FairQueue()
        self._lb = LoadBalancer()
        self._probe_router = False
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

    def set_option(self, option: int, value: Any) -> bool:
        if option == O.PROBE_ROUTER:
            self._probe_router = bool(coerce(option, "int", value))
            return True
        return False


_U32 = struct.Struct(">I")


class Router(SocketCore):
    """ROUTER: addresses peers by routing id; libzmq src/router.cpp.

    Received messages get the sending peer's routing id as first frame; sent
    messages are routed by their first frame. A peer without an Identity gets
    ``0x00`` + a 32-bit counter (INTEROP.md #7)."""

    socket_type_name = "ROUTER"
    needs_routing_id = True

    def __init__(self, options: Any) -> None:
        super().__init__(options)
        self._fq = FairQueue()
        self._routes: dict[bytes, Pipe] = {}
        self._anonymous: set[Pipe] = set()  # handshake pending or duplicate id
        self._next_id = random.getrandbits(32)
        self._mandatory = False
        self._handover = False
        self._probe_router = False
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
        if identity and pipe.user != "connect-rid":
            rid = identity
            old = self._routes.get(rid)
            if old is not None and old is not pipe:
                if not self._handover:
                    return False  # libzmq ignores a peer with a duplicate id
                del self._routes[rid]
                old.routing_id = self._generate_id()
                self._routes[old.routing_id] = old
                self.detach(old)
        elif not pipe.routing_id:
            rid = self._generate_id()
        else:
            rid = pipe.routing_id  # CONNECT_ROUTING_ID
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
        if self._mandatory:
            return False  # full pipe: EAGAIN / block, as libzmq
        return True  # full pipe: dropped

    def recv(self) -> Optional[Msg]:
        got = self._fq.recv_pipe()
        if got is None:
            return None
        msg, pipe = got
        return [pipe.routing_id, *msg]

    def has_out(self) -> bool:
        return True

    def can_route(self, rid: bytes) -> bool:
        pipe = self._routes.get(rid)
        return pipe is not None and pipe.check_write()

    def set_option(self, option: int, value: Any) -> bool:
        if option == O.ROUTER_MANDATORY:
            self._mandatory = bool(coerce(option, "int", value))
        elif option == O.ROUTER_HANDOVER:
            self._handover = bool(coerce(option, "int", value))
        elif option == O.PROBE_ROUTER:
            self._probe_router = bool(coerce(option, "int", value))
        else:
            return False
        return True
