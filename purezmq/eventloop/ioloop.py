"""zmq.eventloop.ioloop: tornado's IOLoop under pyzmq's old name.

pyzmq 17 made tornado work with zmq sockets without a special loop, and kept
this module for old code: it re-exports `tornado.ioloop`, names the loop
``ZMQIOLoop`` too, and `install` does nothing. Importing the module and
calling `install` warn with DeprecationWarning, as pyzmq does.
"""

from __future__ import annotations

import warnings

from ._tornado import IOLoop as IOLoop


def _warn_deprecated() -> None:
    # stacklevel 3: the caller of install(), or the module importing this one
    warnings.warn(
        "zmq.eventloop.ioloop is deprecated in pyzmq 17. "
        "pyzmq now works with default tornado and asyncio eventloops.",
        DeprecationWarning,
        stacklevel=3,
    )


_warn_deprecated()

from tornado.ioloop import *  # noqa: E402, F403 -- the module is tornado's, re-exported

ZMQIOLoop = IOLoop


def install() -> None:
    """Does nothing any more (pyzmq 17): tornado's own IOLoop runs zmq sockets.

    Warns with DeprecationWarning, as pyzmq does."""
    _warn_deprecated()
