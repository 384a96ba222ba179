"""monitored_queue (zmq.devices.monitoredqueue).

The ancestor of ``zmq.proxy`` with a capture socket, kept for pyzmq code:
every message relayed either way is also sent to a monitor socket, prefixed
with a frame naming the side it came from. Unlike `proxy`, both sides may be
ROUTER sockets: the first two frames (sender id, destination id) are then
swapped, so the message is routed to the destination and carries the
sender's id, and the monitor sees the message as it is forwarded.
"""

from __future__ import annotations

from typing import Any

from .. import constants as C
from ..sugar.proxy import run_relay
from ..sugar.socket import Socket

__all__ = ["monitored_queue"]


def monitored_queue(
    in_socket: Socket,
    out_socket: Socket,
    mon_socket: Socket,
    in_prefix: bytes = b"in",
    out_prefix: bytes = b"out",
) -> int:
    """Relay between `in_socket` and `out_socket`, copying to `mon_socket`.

    Runs until the context is terminated (raises `ContextTerminated`).

    Parameters
    ----------
    in_socket : Socket
        One side; its messages reach the monitor as ``[in_prefix, *frames]``.
    out_socket : Socket
        The other side; its messages reach the monitor as
        ``[out_prefix, *frames]``.
    mon_socket : Socket
        Gets a prefixed copy of every message (a PUB is the usual choice).
    in_prefix, out_prefix : bytes
        The first frame of each monitor copy.
    """
    swap_ids = in_socket.socket_type == C.ROUTER and out_socket.socket_type == C.ROUTER
    return run_relay(
        in_socket,
        out_socket,
        mon_socket,
        prefixes=(_as_bytes(in_prefix), _as_bytes(out_prefix)),
        swap_ids=swap_ids,
    )


def _as_bytes(prefix: Any) -> bytes:
    if isinstance(prefix, str):
        raise TypeError("prefixes must be bytes, not str")
    return bytes(prefix)
