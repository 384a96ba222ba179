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
    InterruptedSystemCall,
    NotDone,
    ZMQBaseError,
    ZMQBindError,
    ZMQError,
    ZMQVersionError,
    strerror,
    zmq_errno,
)
from .sugar import Context, Frame, Message, MessageTracker, Poller, Socket, select
from .sugar.frame import _FINISHED_TRACKER
from .sugar.proxy import device, proxy, proxy_steerable

__version__ = "0.1.0"
VERSION_MAJOR, VERSION_MINOR, VERSION_PATCH = 4, 3, 5  # the libzmq behaviour we follow
COPY_THRESHOLD = 65536
DRAFT_API = False
IPC_PATH_MAX_LEN = 107


def zmq_version_info() -> tuple[int, int, int]:
    """The libzmq version whose wire behaviour and semantics purezmq follows."""
    return (VERSION_MAJOR, VERSION_MINOR, VERSION_PATCH)


def zmq_version() -> str:
    return "{}.{}.{}".format(*zmq_version_info())


def pyzmq_version_info() -> tuple[int, ...]:
    """The pyzmq API level purezmq mirrors (for code that checks it)."""
    return (27, 1, 0)


def pyzmq_version() -> str:
    return ".".join(map(str, pyzmq_version_info()))


def purezmq_version() -> str:
    return __version__


def has(capability: str) -> bool:
    """Which optional libzmq capabilities exist here (ipc yes; curve not yet)."""
    return capability in ("ipc",)


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
    "device",
    "has",
    "proxy",
    "proxy_steerable",
    "pyzmq_version",
    "pyzmq_version_info",
    "select",
    "strerror",
    "zmq_errno",
    "zmq_version",
    "zmq_version_info",
    *_constants_all,
]
