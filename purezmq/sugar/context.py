"""Context: the pyzmq-compatible context (zmq.sugar.context).

A façade over `core.ContextBase` (the I/O thread, socket registry, inproc
endpoints and termination): this module adds pyzmq's conveniences, the
shared `instance()`, default socket options (``ctx.linger = 0``) and context
options.
"""

from __future__ import annotations

import errno
import os
import threading
from typing import Any, Optional

from .. import constants as C
from ..constants import ContextOption
from ..core.context_base import ContextBase
from ..error import ContextTerminated, ZMQError
from .socket import Socket


class Context(ContextBase):
    """A ZeroMQ context: create sockets with ``ctx.socket(zmq.PUSH)``."""

    _instance: Optional[Context] = None
    _instance_lock = threading.Lock()
    _instance_pid: Optional[int] = None
    socket_class = Socket

    def __init__(self, io_threads: int = 1, shadow: Any = 0, **kwargs: Any) -> None:
        ContextBase.__init__(self, io_threads)
        self.sockopts: dict[int, Any] = {}

    @classmethod
    def instance(cls, io_threads: int = 1) -> Context:
        """The process-wide shared Context (a new one after fork or term)."""
        with cls._instance_lock:
            inst = cls._instance
            if inst is None or inst.closed or cls._instance_pid != os.getpid():
                inst = cls(io_threads=io_threads)
                cls._instance = inst
                cls._instance_pid = os.getpid()
            return inst

    @classmethod
    def shadow(cls, address: Any) -> Context:
        raise ZMQError(errno.ENOTSUP, "purezmq contexts cannot shadow a libzmq context")

    @property
    def underlying(self) -> int:
        return id(self)

    def __enter__(self) -> Context:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.term()

    def __repr__(self) -> str:
        state = " closed" if self._closed else f" {len(self._hubs)} socket(s)"
        return f"<purezmq.Context(){state} at {hex(id(self))}>"

    def _debug_state(self) -> str:
        return self.debug_state()

    def __copy__(self) -> Context:
        return self

    def __deepcopy__(self, memo: Any) -> Context:
        return self

    def socket(self, socket_type: int, socket_class: Any = None, **kwargs: Any) -> Socket:
        """Create a socket of `socket_type` (zmq.PUSH, zmq.ROUTER, ...)."""
        if self._closed or self._terminating:
            raise ContextTerminated()
        cls = socket_class or self.socket_class
        sock: Socket = cls(self, socket_type, **kwargs)
        for opt, value in self.sockopts.items():
            try:
                sock.set(opt, value)
            except ZMQError as exc:
                if exc.errno != errno.EINVAL:
                    raise
        return sock

    def set(self, option: int, optval: int) -> None:
        option = int(option)
        if option == ContextOption.IO_THREADS:
            self._io_threads = optval
        elif option in (ContextOption.MAX_SOCKETS, ContextOption.SOCKET_LIMIT):
            self._max_sockets = optval
        elif option in (C.BLOCKY, ContextOption.MAX_MSGSZ, ContextOption.THREAD_NAME_PREFIX):
            pass
        else:
            raise ZMQError(errno.EINVAL, f"Unknown context option {option}")

    def get(self, option: int) -> int:
        option = int(option)
        if option == ContextOption.IO_THREADS:
            return self._io_threads
        if option == ContextOption.MAX_SOCKETS:
            return self._max_sockets
        if option == ContextOption.SOCKET_LIMIT:
            return 65535
        if option == ContextOption.MAX_MSGSZ:
            return 2**31 - 1
        raise ZMQError(errno.EINVAL, f"Unknown context option {option}")

    def setsockopt(self, opt: int, value: Any) -> None:
        """Default option for sockets created after this call."""
        self.sockopts[int(opt)] = value

    def getsockopt(self, opt: int) -> Any:
        return self.sockopts[int(opt)]

    def __setattr__(self, key: str, value: Any) -> None:
        if not key.startswith("_") and key not in ("sockopts", "socket_class", "inproc"):
            opt = getattr(C.SocketOption, key.upper(), None)
            if opt is not None:
                self.sockopts[int(opt)] = value
                return
        object.__setattr__(self, key, value)

    def __getattr__(self, key: str) -> Any:
        if not key.startswith("_"):
            opt = getattr(C.SocketOption, key.upper(), None)
            if opt is not None and int(opt) in self.sockopts:
                return self.sockopts[int(opt)]
        raise AttributeError(f"{type(self).__name__} has no attribute {key!r}")
