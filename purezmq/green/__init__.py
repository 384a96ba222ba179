"""zmq.green: purezmq for gevent programs (``import purezmq.green as zmq``).

Everything `purezmq` has, with `Context`, `Socket`, `Poller` and `device`
replaced by versions whose blocking calls block only the calling greenlet
(see `core`). RCVTIMEO and SNDTIMEO are honoured (pyzmq's green sockets
ignore them with a warning). gevent is needed only here: importing this
package without it raises ImportError saying so.
"""

from __future__ import annotations

try:
    import gevent  # type: ignore[import-untyped, import-not-found, unused-ignore]  # noqa: F401
except ImportError as exc:  # pragma: no cover - tested in a subprocess without gevent
    raise ImportError(
        "purezmq.green (zmq.green) needs gevent, which is not installed: "
        f"pip install gevent (importing it failed with: {exc})",
        name="gevent",
    ) from exc

import purezmq as _zmq
from purezmq import *  # noqa: F403 -- zmq.green is zmq with a few classes replaced
from purezmq import (  # noqa: F401 -- public names that purezmq's __all__ leaves out
    _FINISHED_TRACKER,
    COPY_THRESHOLD,
    DRAFT_API,
    IPC_PATH_MAX_LEN,
    get_includes,
    get_library_dirs,
)

from .core import _Context, _Poller, _Socket
from .device import device as device

Context = _Context  # type: ignore[misc]
Socket = _Socket  # type: ignore[misc]
Poller = _Poller  # type: ignore[misc]

__all__: list[str] = list(_zmq.__all__)
