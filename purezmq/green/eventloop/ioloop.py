"""zmq.green.eventloop.ioloop: the same module as zmq.eventloop.ioloop
(deprecated in pyzmq 17, and warns so)."""

from __future__ import annotations

from ...eventloop.ioloop import *  # noqa: F403
from ...eventloop.ioloop import IOLoop as IOLoop
from ...eventloop.ioloop import ZMQIOLoop as ZMQIOLoop
from ...eventloop.ioloop import install as install
