"""MonitoredQueue, ThreadMonitoredQueue, ProcessMonitoredQueue
(zmq.devices.monitoredqueuedevice): `monitored_queue` run as a device."""

from __future__ import annotations

from typing import Optional

from .. import constants as C
from .monitoredqueue import monitored_queue
from .proxydevice import ProcessProxy, Proxy, ProxyBase, ThreadProxy

__all__ = ["MonitoredQueue", "ThreadMonitoredQueue", "ProcessMonitoredQueue"]


class MonitoredQueueBase(ProxyBase):
    """Proxy's sockets, relayed by monitored_queue with side prefixes."""

    _in_prefix = b""
    _out_prefix = b""

    def __init__(
        self,
        in_type: Optional[int],
        out_type: Optional[int],
        mon_type: int = C.PUB,
        in_prefix: bytes = b"in",
        out_prefix: bytes = b"out",
    ) -> None:
        ProxyBase.__init__(self, in_type=in_type, out_type=out_type, mon_type=mon_type)
        self._in_prefix = in_prefix
        self._out_prefix = out_prefix

    def run_device(self) -> None:
        ins, outs, mons = self._setup_sockets()
        monitored_queue(ins, outs, mons, self._in_prefix, self._out_prefix)


class MonitoredQueue(MonitoredQueueBase, Proxy):
    """A device running `monitored_queue`: like Proxy, but each monitor copy
    starts with `in_prefix` or `out_prefix` depending on the side it came
    from, and ROUTER on both sides is supported (ids are swapped)."""


class ThreadMonitoredQueue(MonitoredQueueBase, ThreadProxy):
    """MonitoredQueue in a background thread. See MonitoredQueue."""


class ProcessMonitoredQueue(MonitoredQueueBase, ProcessProxy):
    """MonitoredQueue in a background process. See MonitoredQueue."""
