"""purezmq: ZeroMQ (ZMTP 3.1) written from scratch in pure Python.

``import purezmq as zmq`` runs pyzmq code for the socket types and features
purezmq supports, and a purezmq socket talks on the wire to libzmq peers.
"""

from __future__ import annotations

from . import constants
from .constants import *  # noqa: F403
from .constants import __all__ as _constants_all
from .error import (
    Again,
    ContextTerminated,
    DraftFDWarning,
    InterruptedSystemCall,
    NotDone,
    ZMQBaseError,
    ZMQBindError,
    ZMQError,
    ZMQVersionError,
    strerror,
    zmq_errno,
)
from .reactor.endpoint import IPC_PATH_MAX_LEN as IPC_PATH_MAX_LEN
from .sugar import Context, Frame, Message, MessageTracker, Poller, Socket, select
from .sugar.curve import curve_keypair, curve_public
from .sugar.frame import _FINISHED_TRACKER as _FINISHED_TRACKER
from .sugar.frame import COPY_THRESHOLD as COPY_THRESHOLD
from .sugar.poll import zmq_poll
from .sugar.proxy import device, proxy, proxy_steerable
from .sugar.stopwatch import Stopwatch
from .sugar.version import (
    __revision__,
    __version__,
    purezmq_version,
    purezmq_version_info,
    pyzmq_version,
    pyzmq_version_info,
    zmq_version,
    zmq_version_info,
)
from .utils import interop as _interop  # noqa: F401 -- loaded with the package, as in pyzmq
from .utils import jsonapi as _jsonapi  # noqa: F401

VERSION_MAJOR, VERSION_MINOR, VERSION_PATCH = 4, 3, 5  # the libzmq behaviour we follow
DRAFT_API = False
PYZMQ_DRAFT_API = False  # pyzmq's name: built without the draft sockets
SyncContext = Context  # pyzmq's names for the blocking classes
SyncSocket = Socket


def has(capability: str) -> bool:
    """Whether this purezmq has `capability`, by libzmq's names (``zmq_has``).

    Transports (ipc, pgm, tipc, norm, vmci, ws, wss) count when purezmq can bind and
    connect them here: today tcp, inproc and, where the platform has Unix sockets, ipc.
    Security mechanisms (curve, gssapi) count when purezmq implements them: NULL,
    PLAIN and CURVE (pure Python, or libsodium through PyNaCl when importable), not
    GSSAPI. ``draft`` is ``DRAFT_API``. Any other name is False.
    """
    if not isinstance(capability, str):
        raise TypeError(
            "Argument 'capability' has incorrect type "
            f"(expected str, got {type(capability).__name__})"
        )
    import socket as _socket

    from .reactor.endpoint import TRANSPORTS
    from .zmtp import mechanisms

    if capability == "draft":
        return DRAFT_API
    if capability == "ipc":
        return "ipc" in TRANSPORTS and hasattr(_socket, "AF_UNIX")
    if capability in ("pgm", "tipc", "norm", "vmci", "ws", "wss"):
        return capability in TRANSPORTS
    if capability in ("curve", "gssapi"):
        # a mechanism exists once the package exports its classes (CurveServer, ...)
        prefix = capability.capitalize()
        return any(name.startswith(prefix) for name in mechanisms.__all__)
    return False


def __getattr__(name: str) -> object:
    # ``purezmq.devices`` is imported on first use: it pulls in multiprocessing.
    if name == "devices":
        import importlib

        return importlib.import_module(".devices", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def get_includes() -> list[str]:
    return []


def get_library_dirs() -> list[str]:
    return []


__all__ = [
    "COPY_THRESHOLD",
    "DRAFT_API",
    "IPC_PATH_MAX_LEN",
    "PYZMQ_DRAFT_API",
    "_FINISHED_TRACKER",
    "DraftFDWarning",
    "Stopwatch",
    "SyncContext",
    "SyncSocket",
    "get_includes",
    "get_library_dirs",
    "zmq_poll",
    "__revision__",
    "__version__",
    "Again",
    "Context",
    "ContextTerminated",
    "Frame",
    "InterruptedSystemCall",
    "Message",
    "MessageTracker",
    "NotDone",
    "Poller",
    "Socket",
    "ZMQBaseError",
    "ZMQBindError",
    "ZMQError",
    "ZMQVersionError",
    "constants",
    "curve_keypair",
    "curve_public",
    "device",
    "has",
    "proxy",
    "proxy_steerable",
    "purezmq_version",
    "purezmq_version_info",
    "pyzmq_version",
    "pyzmq_version_info",
    "select",
    "strerror",
    "zmq_errno",
    "zmq_version",
    "zmq_version_info",
    *_constants_all,
]
