"""Monitor: a socket's events as 2-frame messages on an inproc PAIR
(zmq_socket_monitor).

Each event is ``struct "=HI"`` (16-bit event number, 32-bit value, native
endian) then the endpoint, the format `zmq.utils.monitor` parses. Events come
from the I/O thread (connections) and the app thread (bind, close); the
monitor's PAIR has no thread of its own, so whoever emits runs its commands
(the user's PAIR connecting), under `_lock`. With no reader attached, or a
full pipe, the event is dropped, as in libzmq.
"""

from __future__ import annotations

import struct
import threading
from typing import TYPE_CHECKING, Optional

from .. import constants as C

if TYPE_CHECKING:
    from .hub import SocketHub

_HEADER = struct.Struct("=HI")


class Monitor:
    __slots__ = ("_target", "_mask", "_lock")

    def __init__(self) -> None:
        self._target: Optional[SocketHub] = None  # the bound inproc PAIR
        self._mask = 0
        self._lock = threading.Lock()

    def start(self, target: SocketHub, events: int) -> None:
        """Send the events in mask `events` to `target` from now on."""
        self.stop()
        with self._lock:
            self._mask = int(events)
            self._target = target

    def emit(self, event: int, value: int, endpoint: str) -> None:
        target = self._target
        if target is None or not (self._mask & event):
            return
        header = _HEADER.pack(int(event) & 0xFFFF, int(value) & 0xFFFFFFFF)
        with self._lock:
            if target.closed:
                return
            try:
                target.run_commands()
                target.pattern.send([header, endpoint.encode()])
            except Exception:  # a monitor must never break the connection it reports on
                pass

    def stop(self) -> None:
        """Emit MONITOR_STOPPED (if asked for) and close the PAIR."""
        target = self._target
        if target is None:
            return
        self.emit(C.EVENT_MONITOR_STOPPED, 0, "")
        with self._lock:
            self._target = None
            self._mask = 0
        target.close()
