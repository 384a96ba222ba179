"""Reading the events that ``Socket.monitor`` / ``get_monitor_socket`` publish.

A monitor event is a two-frame message (libzmq's version 1 monitor format):

* frame 1, 6 bytes in native byte order: the event number as a 16-bit integer, then a
  32-bit integer whose meaning depends on the event (a file descriptor, an errno, a
  reconnect interval, a ZMTP/ZAP protocol-error code);
* frame 2: the endpoint the event is about, as bytes.

The result is a dict ``{"event": Event, "value": Event, "endpoint": bytes}``. Both
numbers are wrapped in ``zmq.Event`` (an ``IntFlag``) the way pyzmq wraps them, so they
compare equal to plain ints and to the ``EVENT_*`` constants.
"""

from __future__ import annotations

import inspect
import struct
from collections.abc import Awaitable, Sequence
from typing import Any

from ..constants import Event

# "=" : native byte order, standard sizes, no padding; h = int16 event, i = int32 value.
_HEADER = struct.Struct("=hi")


def _as_bytes(part: Any) -> Any:
    """A frame's payload (a ``Frame`` from ``copy=False`` gives its ``.bytes``)."""
    return getattr(part, "bytes", part)


def parse_monitor_message(msg: Sequence[Any]) -> dict[str, Any]:
    """The event dict for one monitor message: a list of two frames (bytes or Frames)."""
    if len(msg) != 2 or len(msg[0]) != _HEADER.size:
        raise RuntimeError(f"Invalid event message format: {msg}")
    event_id, value = _HEADER.unpack(_as_bytes(msg[0]))
    return {"event": Event(event_id), "value": Event(value), "endpoint": msg[1]}


async def _parse_later(pending: Awaitable[Sequence[Any]]) -> dict[str, Any]:
    return parse_monitor_message(await pending)


def recv_monitor_message(socket: Any, flags: int = 0) -> Any:
    """Receive one event from a monitor PAIR socket and parse it.

    `flags` go to ``recv_multipart`` (``zmq.NOBLOCK`` raises ``Again`` when no event is
    waiting). A socket whose ``recv_multipart`` returns an awaitable (an asyncio socket)
    gets an awaitable of the dict back.
    """
    msg = socket.recv_multipart(flags)
    if inspect.isawaitable(msg):
        return _parse_later(msg)
    return parse_monitor_message(msg)


__all__ = ["parse_monitor_message", "recv_monitor_message"]
