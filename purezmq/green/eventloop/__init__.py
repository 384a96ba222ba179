"""zmq.green.eventloop: tornado's IOLoop and ZMQStream for gevent programs
(both need tornado, as zmq.eventloop's do)."""

from __future__ import annotations

from .ioloop import IOLoop

__all__ = ["IOLoop"]
