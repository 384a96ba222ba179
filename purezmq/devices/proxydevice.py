"""Proxy, ThreadProxy, ProcessProxy (zmq.devices.proxydevice).

A Proxy is a device with a third, monitor socket that gets a copy of every
message relayed either way: ``zmq.proxy(in, out, mon)`` run in the
background. The monitor socket is configured like the other two, through
``*_mon`` methods that are replayed where the device runs.
"""

from __future__ import annotations

from typing import Any, Optional

from .. import constants as C
from ..sugar.proxy import proxy
from .basedevice import Device, ProcessDevice, ThreadDevice

__all__ = ["Proxy", "ThreadProxy", "ProcessProxy"]


class ProxyBase:
    """The monitor-socket half of Proxy, mixed into a Device class."""

    mon_type: int
    _mon_binds: list[str]
    _mon_connects: list[str]
    _mon_sockopts: list[tuple[int, Any]]

    def __init__(
        self, in_type: Optional[int], out_type: Optional[int], mon_type: int = C.PUB
    ) -> None:
        Device.__init__(self, in_type=in_type, out_type=out_type)  # type: ignore[arg-type]
        self.mon_type = mon_type
        self._mon_binds = []
        self._mon_connects = []
        self._mon_sockopts = []

    def bind_mon(self, addr: str) -> None:
        """Queue ``mon_socket.bind(addr)``."""
        self._mon_binds.append(addr)

    def bind_mon_to_random_port(self, addr: str, *args: Any, **kwargs: Any) -> int:
        """Pick a free port on `addr` now; queue the bind. Returns the port."""
        port: int = self._reserve_random_port(addr, *args, **kwargs)  # type: ignore[attr-defined]
        self.bind_mon(f"{addr}:{port}")
        return port

    def connect_mon(self, addr: str) -> None:
        """Queue ``mon_socket.connect(addr)``."""
        self._mon_connects.append(addr)

    def setsockopt_mon(self, opt: int, value: Any) -> None:
        """Queue ``mon_socket.setsockopt(opt, value)``."""
        self._mon_sockopts.append((opt, value))

    def _setup_sockets(self) -> Any:
        ins, outs = Device._setup_sockets(self)  # type: ignore[arg-type]
        mons = self._make_socket(self.mon_type, "mon")  # type: ignore[attr-defined]
        for opt, value in self._mon_sockopts:
            mons.setsockopt(opt, value)
        for addr in self._mon_binds:
            mons.bind(addr)
        for addr in self._mon_connects:
            mons.connect(addr)
        return ins, outs, mons

    def run_device(self) -> None:
        ins, outs, mons = self._setup_sockets()
        proxy(ins, outs, mons)


class Proxy(ProxyBase, Device):
    """A QUEUE-like device that also copies every message to a monitor socket.

    See Device for the rest; this adds ``bind_mon``, ``connect_mon``,
    ``setsockopt_mon`` and ``bind_mon_to_random_port``. The monitor socket is
    a PUB by default (`mon_type`), which never blocks the relay.
    """


class ThreadProxy(ProxyBase, ThreadDevice):
    """Proxy in a background thread. See Proxy."""


class ProcessProxy(ProxyBase, ProcessDevice):
    """Proxy in a background process. See Proxy."""
