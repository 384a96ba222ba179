"""zmq.green.device: a device loop that yields to other greenlets."""

from __future__ import annotations

from typing import Any, NoReturn

from .. import constants as C
from .core import _Poller


def device(device_type: int, frontend: Any, backend: Any) -> NoReturn:
    """Relay whole messages both ways between `frontend` and `backend`
    forever, waiting green (`device_type`, QUEUE/FORWARDER/STREAMER, is not
    looked at: the sockets' types decide the traffic). As pyzmq's, a
    `backend` of -1 means `frontend` relays to itself. Runs until a socket
    raises (closed, context terminated)."""
    if isinstance(backend, int) and backend == -1:
        backend = frontend
    poller = _Poller()
    poller.register(frontend, C.POLLIN)
    poller.register(backend, C.POLLIN)
    while True:
        ready = dict(poller.poll())
        if frontend in ready:
            backend.send_multipart(frontend.recv_multipart())
        if backend in ready:
            frontend.send_multipart(backend.recv_multipart())
