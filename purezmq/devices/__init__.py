"""Devices: relays that run in the background (zmq.devices).

Each class is configured with socket types and replays its bind / connect /
setsockopt calls on sockets it creates where it runs: `Device` (in the
caller), `ThreadDevice`, `ProcessDevice`; `Proxy` adds a monitor socket,
`ProxySteerable` a control socket, `MonitoredQueue` prefixes the monitor
copies. `monitored_queue` is the function behind the last.
"""

from __future__ import annotations

from ..constants import DeviceType  # noqa: F401  (zmq.devices exposes it too)
from ..sugar.proxy import proxy  # noqa: F401
from . import basedevice, monitoredqueue, monitoredqueuedevice, proxydevice, proxysteerabledevice  # noqa: F401
from .basedevice import BackgroundDevice, Device, ProcessDevice, ThreadDevice
from .monitoredqueue import monitored_queue
from .monitoredqueuedevice import MonitoredQueue, ProcessMonitoredQueue, ThreadMonitoredQueue
from .proxydevice import ProcessProxy, Proxy, ThreadProxy
from .proxysteerabledevice import ProcessProxySteerable, ProxySteerable, ThreadProxySteerable

__all__ = [
    "Device",
    "BackgroundDevice",
    "ThreadDevice",
    "ProcessDevice",
    "Proxy",
    "ThreadProxy",
    "ProcessProxy",
    "ProxySteerable",
    "ThreadProxySteerable",
    "ProcessProxySteerable",
    "monitored_queue",
    "MonitoredQueue",
    "ThreadMonitoredQueue",
    "ProcessMonitoredQueue",
]
