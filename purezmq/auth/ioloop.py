"""zmq.auth.ioloop: `IOLoopAuthenticator`, deprecated (pyzmq 25) in favour of
`purezmq.auth.asyncio.AsyncioAuthenticator`.

tornado's IOLoop runs on asyncio, so the asyncio authenticator serves it as
is; as in pyzmq 27 this module is only that class under its old name.
Importing the module warns with DeprecationWarning, and so does passing
``io_loop`` (ignored: the running loop serves). tornado is not imported.
"""

from __future__ import annotations

import warnings
from typing import Any, Optional

from ..sugar.context import Context
from .asyncio import AsyncioAuthenticator

warnings.warn(
    "zmq.auth.ioloop.IOLoopAuthenticator is deprecated (pyzmq 25): use"
    " zmq.auth.asyncio.AsyncioAuthenticator, which serves tornado's IOLoop as well",
    DeprecationWarning,
    stacklevel=2,
)


class IOLoopAuthenticator(AsyncioAuthenticator):
    """ZAP authentication on tornado's IOLoop (the asyncio authenticator)."""

    def __init__(
        self,
        context: Optional[Context] = None,
        encoding: str = "utf-8",
        log: Any = None,
        io_loop: Any = None,
    ) -> None:
        if io_loop is not None:
            warnings.warn(
                f"{type(self).__name__}(io_loop) is deprecated and ignored (as in pyzmq):"
                " the running loop is used",
                DeprecationWarning,
                stacklevel=2,
            )
        super().__init__(context=context, encoding=encoding, log=log)


__all__ = ["IOLoopAuthenticator"]
