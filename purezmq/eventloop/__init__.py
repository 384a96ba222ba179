"""zmq.eventloop: purezmq sockets on tornado's IOLoop.

pyzmq keeps this package for tornado programs: `ioloop` re-exports tornado's
IOLoop (deprecated since pyzmq 17, with the same warnings) and `zmqstream`
has `ZMQStream`, callbacks on a socket's messages. tornado is needed only
here: purezmq itself runs on the standard library, so importing this package
without tornado raises ImportError saying so.
"""

from __future__ import annotations

from ._tornado import IOLoop

__all__ = ["IOLoop"]
