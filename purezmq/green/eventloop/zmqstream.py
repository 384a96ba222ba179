"""zmq.green.eventloop.zmqstream: ZMQStream whose default loop is
``IOLoop.instance()``, as pyzmq's green one."""

from __future__ import annotations

from typing import Any, Optional

from ...eventloop import zmqstream as _zmqstream
from .ioloop import IOLoop


class ZMQStream(_zmqstream.ZMQStream):
    def __init__(self, socket: Any, io_loop: Optional[IOLoop] = None) -> None:
        super().__init__(socket, io_loop=io_loop or IOLoop.instance())


__all__ = ["ZMQStream"]
