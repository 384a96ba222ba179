"""The socket core: what a ZeroMQ socket and context are below the pyzmq API.

- `socket_base.SocketBase`: endpoints, options, whole-message send/recv with
  blocking, frame-by-frame state, monitor (libzmq socket_base_t).
- `hub.SocketHub`: the part of a socket its sessions and peers hold on to
  (the reactor's `SocketOwner` contract).
- `context_base.ContextBase`: the I/O thread, socket registry, inproc
  endpoints, ZAP dispatch and termination (libzmq ctx_t).
- `inproc`, `monitor`: the inproc endpoint registry, the socket monitor.
- `contracts.RelaySocket`: what a proxy or device may call on a socket.

`sugar/` (the pyzmq façade) derives from these and only translates.
"""

from .context_base import ContextBase
from .socket_base import SocketBase

__all__ = ["ContextBase", "SocketBase"]
