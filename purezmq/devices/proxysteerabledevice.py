"""ProxySteerable, ThreadProxySteerable, ProcessProxySteerable
(zmq.devices.proxysteerabledevice).

A Proxy with a fourth, control socket: ``zmq.proxy_steerable(in, out, mon,
ctrl)`` run in the background. Send PAUSE, RESUME, TERMINATE or STATISTICS
to the control socket (see `purezmq.proxy_steerable`); TERMINATE ends the
device cleanly, which is the way to stop one without terminating a context.
"""

from __future__ import annotations

from typing import Any, Optional

from .. import constants as C
from ..sugar.proxy import proxy_steerable
from .proxydevice import ProcessProxy, Proxy, ThreadProxy

__all__ = ["ProxySteerable", "ThreadProxySteerable", "ProcessProxySteerable"]


class ProxySteerableBase:
    """The control-socket half of ProxySteerable, mixed into a Proxy class."""

    ctrl_type: Optional[int]
    _ctrl_binds: list[str]
    _ctrl_connects: list[str]
    _ctrl_sockopts: list[tuple[int, Any]]

    def __init__(
        self,
        in_type: Optional[int],
        out_type: Optional[int],
        mon_type: int = C.PUB,
        ctrl_type: Optional[int] = None,
    ) -> None:
        super().__init__(in_type=in_type, out_type=out_type, mon_type=mon_type)  # type: ignore[call-arg]
        self.ctrl_type = ctrl_type
        self._ctrl_binds = []
        self._ctrl_connects = []
        self._ctrl_sockopts = []

    def bind_ctrl(self, addr: str) -> None:
        """Queue ``ctrl_socket.bind(addr)``."""
        self._ctrl_binds.append(addr)

    def bind_ctrl_to_random_port(self, addr: str, *args: Any, **kwargs: Any) -> int:
        """Pick a free port on `addr` now; queue the bind. Returns the port."""
        port: int = self._reserve_random_port(addr, *args, **kwargs)  # type: ignore[attr-defined]
        self.bind_ctrl(f"{addr}:{port}")
        return port

    def connect_ctrl(self, addr: str) -> None:
        """Queue ``ctrl_socket.connect(addr)``."""
        self._ctrl_connects.append(addr)

    def setsockopt_ctrl(self, opt: int, value: Any) -> None:
        """Queue ``ctrl_socket.setsockopt(opt, value)``."""
        self._ctrl_sockopts.append((opt, value))

    def _setup_sockets(self) -> Any:
        ins, outs, mons = super()._setup_sockets()  # type: ignore[misc]
        ctrls = self._make_socket(self.ctrl_type, "ctrl")  # type: ignore[attr-defined]
        for opt, value in self._ctrl_sockopts:
            ctrls.setsockopt(opt, value)
        for addr in self._ctrl_binds:
            ctrls.bind(addr)
        for addr in self._ctrl_connects:
            ctrls.connect(addr)
        return ins, outs, mons, ctrls

    def run_device(self) -> None:
        ins, outs, mons, ctrls = self._setup_sockets()
        proxy_steerable(ins, outs, mons, ctrls)


class ProxySteerable(ProxySteerableBase, Proxy):
    """A Proxy that a control socket can pause, resume, stop and query.

    `ctrl_type` is the control socket's type (PAIR or REP are the usual
    choices; it must be given). This adds ``bind_ctrl``, ``connect_ctrl``,
    ``setsockopt_ctrl`` and ``bind_ctrl_to_random_port``. See Proxy.
    """


class ThreadProxySteerable(ProxySteerableBase, ThreadProxy):
    """ProxySteerable in a background thread. See ProxySteerable."""


class ProcessProxySteerable(ProxySteerableBase, ProcessProxy):
    """ProxySteerable in a background process. See ProxySteerable."""
