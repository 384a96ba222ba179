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
from .reqrep import Dealer, Router

CORES: dict[int, Any] = {
    T.PAIR: Pair,
    T.PUSH: Push,
    T.PULL: Pull,
    T.DEALER: Dealer,
    T.ROUTER: Router,
}


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
