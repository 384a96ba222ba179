"""Socket type number -> core class (libzmq socket_base_t::create)."""

from __future__ import annotations

import errno
from typing import Any

from ..constants import SocketType as T
from ..error import ZMQError
from .base import SocketCore
from .options import Options
from .pair import Pair
from .pipeline import Pull, Push
from .pubsub import Pub, Sub, XPub, XSub
from .reqrep import Dealer, Rep, Req, Router
from .stream import Stream

CORES: dict[int, Any] = {
    T.PAIR: Pair,
    T.PUB: Pub,
    T.SUB: Sub,
    T.REQ: Req,
    T.REP: Rep,
    T.DEALER: Dealer,
    T.ROUTER: Router,
    T.PULL: Pull,
    T.PUSH: Push,
    T.XPUB: XPub,
    T.XSUB: XSub,
    T.STREAM: Stream,
}

# libzmq get_effective_conflate_option: CONFLATE applies to these types only.
_CONFLATE_TYPES = frozenset({int(T.DEALER), int(T.PULL), int(T.PUSH), int(T.PUB), int(T.SUB)})


def conflates(options: Options) -> bool:
    """Whether this socket's pipes keep only the newest message (ZMQ_CONFLATE)."""
    return bool(options.conflate) and options.socket_type in _CONFLATE_TYPES


def make_core(socket_type: int, options: Options) -> SocketCore:
    cls = CORES.get(socket_type)
    if cls is None:
        try:
            name = T(socket_type).name
        except ValueError:
            raise ZMQError(errno.EINVAL, f"Invalid socket type {socket_type}") from None
        raise ZMQError(errno.EINVAL, f"Socket type {name} is not supported by purezmq")
    core: SocketCore = cls(options)
    return core
