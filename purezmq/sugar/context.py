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
import types
import weakref
from typing import Any, Optional

from .. import constants as C
from ..constants import ContextOption
from ..core.context_base import ContextBase
from ..error import ContextTerminated, ZMQError
from .socket import Socket

# Context options (libzmq zmq_ctx_set/get): option -> (default, settable,
# readable, check). Where purezmq has nothing to tune (thread scheduling),
# the value is kept and read back, as libzmq does.
_INT32_MAX = 2**31 - 1
_CTX_OPTIONS: dict[int, tuple[int, bool, bool, Any]] = {
    ContextOption.IO_THREADS: (1, True, True, lambda v: v >= 0),
    ContextOption.MAX_SOCKETS: (1023, True, True, lambda v: v >= 1),
    ContextOption.SOCKET_LIMIT: (65535, True, True, None),  # a set is accepted and ignored
    ContextOption.THREAD_SCHED_POLICY: (-1, True, True, None),
    ContextOption.MAX_MSGSZ: (_INT32_MAX, True, True, lambda v: v >= 0),
    ContextOption.MSG_T_SIZE: (64, False, True, None),
    ContextOption.THREAD_AFFINITY_CPU_ADD: (0, True, False, None),
    ContextOption.THREAD_AFFINITY_CPU_REMOVE: (0, True, False, None),
    ContextOption.THREAD_NAME_PREFIX: (0, True, True, None),
    C.IPV6: (0, True, True, None),  # the IPV6 default of new sockets
    C.BLOCKY: (1, True, True, None),  # 0: new sockets default to LINGER 0
}


class Context(ContextBase):
    """A ZeroMQ context: create sockets with ``ctx.socket(zmq.PUSH)``."""

    _instance: Optional[Context] = None
    _instance_lock = threading.Lock()
    _instance_pid: Optional[int] = None
    _socket_class: type[Socket] = Socket  # what socket() makes, as pyzmq

    def __class_getitem__(cls, item: Any) -> Any:
        return types.GenericAlias(cls, item)  # Context[Socket] in type hints, as pyzmq

    def __init__(self, io_threads: Any = 1, shadow: Any = 0, **kwargs: Any) -> None:
        if isinstance(io_threads, Context) and not shadow:
            io_threads, shadow = 1, io_threads  # Context(other_context): a shadow
        if shadow:
            # The same context (a shared __dict__): sockets, options, the I/O
            # thread. term() on it terminates that context, as in pyzmq.
            original = _resolve_shadow(shadow)
            object.__setattr__(self, "__dict__", original.__dict__)
            return
        ContextBase.__init__(self, io_threads)
        self.sockopts: dict[int, Any] = {}
        self._ctx_options = {opt: row[0] for opt, row in _CTX_OPTIONS.items()}
        self._ctx_options[ContextOption.IO_THREADS] = io_threads
        self._underlying = id(self)
        _live[id(self)] = self

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
        """Another view of the context at `address` (its `underlying`, or the
        context itself); a libzmq context cannot be shadowed."""
        return cls(shadow=address)

    @property
    def underlying(self) -> int:
        """An address that `Context.shadow` accepts."""
        return int(self._underlying)

    def __enter__(self) -> Context:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.term()

    def __repr__(self) -> str:
        n = len(self._hubs)
        count = "" if self._closed or not n else f"{n} socket" + ("s" if n > 1 else "")
        cls = type(self)
        mod = "purezmq" if cls.__module__.startswith("purezmq.") else cls.__module__
        state = " closed" if self._closed else ""
        return f"<{mod}.{cls.__name__}({count}) at {hex(id(self))}{state}>"

    def _debug_state(self) -> str:
        return self.debug_state()

    def __copy__(self) -> Context:
        return type(self).shadow(self)  # as pyzmq: a shadow

    def __deepcopy__(self, memo: Any) -> Context:
        return self.__copy__()

    def socket(self, socket_type: int, socket_class: Any = None, **kwargs: Any) -> Socket:
        """Create a socket of `socket_type` (zmq.PUSH, zmq.ROUTER, ...)."""
        if self._closed or self._terminating:
            raise ContextTerminated()
        cls = socket_class or self._socket_class
        sock: Socket = cls(self, socket_type, **kwargs)
        options = sock._options
        options.ipv6 = self._ctx_options[C.IPV6]
        if not self._ctx_options[C.BLOCKY]:
            options.linger = 0
        for opt, value in self.sockopts.items():
            try:
                sock.set(opt, value)
            except ZMQError as exc:
                if exc.errno != errno.EINVAL:
                    raise
        return sock

    def set(self, option: int, optval: int) -> None:
        """Set a context option (zmq_ctx_set)."""
        option = int(option)
        row = _CTX_OPTIONS.get(option)
        if row is None or not row[1]:
            raise ZMQError(errno.EINVAL, f"Context option {_ctx_name(option)} cannot be set")
        value = int(optval)
        check = row[3]
        if check is not None and not check(value):
            raise ZMQError(errno.EINVAL, f"Invalid value {value} for {_ctx_name(option)}")
        if option == ContextOption.SOCKET_LIMIT:
            return  # fixed, as in libzmq
        self._ctx_options[option] = value
        if option == ContextOption.IO_THREADS:
            self._io_threads = value
        elif option == ContextOption.MAX_SOCKETS:
            self._max_sockets = value

    def get(self, option: int) -> int:
        """Get a context option (zmq_ctx_get)."""
        option = int(option)
        row = _CTX_OPTIONS.get(option)
        if row is None or not row[2]:
            raise ZMQError(errno.EINVAL, f"Context option {_ctx_name(option)} cannot be read")
        return self._ctx_options[option]

    def setsockopt(self, opt: int, value: Any) -> None:
        """Default option for sockets created after this call."""
        self.sockopts[int(opt)] = value

    def getsockopt(self, opt: int) -> Any:
        return self.sockopts[int(opt)]

    def __setattr__(self, key: str, value: Any) -> None:
        if key.startswith("_") or key in ("sockopts", "inproc") or hasattr(type(self), key):
            object.__setattr__(self, key, value)
            return
        opt = getattr(C.SocketOption, key.upper(), None)
        if opt is None:
            raise AttributeError(f"{type(self).__name__} has no such option: {key.upper()}")
        self.sockopts[int(opt)] = value

    def __getattr__(self, key: str) -> Any:
        if not key.startswith("_"):
            opt = getattr(C.SocketOption, key.upper(), None)
            if opt is not None and int(opt) in self.sockopts:
                return self.sockopts[int(opt)]
        raise AttributeError(f"{type(self).__name__} has no attribute {key!r}")


_live: weakref.WeakValueDictionary[int, Context] = weakref.WeakValueDictionary()


def _resolve_shadow(address: Any) -> Context:
    if isinstance(address, Context):
        address = address.underlying
    original = _live.get(int(address)) if isinstance(address, int) else None
    if original is None:
        raise ZMQError(errno.EFAULT, f"No purezmq context at address {address!r} to shadow")
    return original


def _ctx_name(option: int) -> str:
    try:
        return ContextOption(option).name
    except ValueError:
        return str(option)
