"""Exception classes for 0MQ errors, with the names and shapes of pyzmq's ``zmq.error``."""

# Theory of operation
# -------------------
#
# A failing libzmq call returns -1 and sets ``errno``. pyzmq then turns that errno into an
# exception (its ``_check_rc``). purezmq has no C layer, so the code that detects a failure
# builds the exception itself, and ``error_for_errno`` picks the class the way pyzmq does:
#
#     EAGAIN -> Again            ETERM -> ContextTerminated
#     EINTR  -> InterruptedSystemCall     anything else -> ZMQError
#
# ``ZMQError(EAGAIN)`` stays a plain ``ZMQError``, as in pyzmq, and is *not* an ``Again``.
# Only the helpers pick the subclass. ``Again``, ``ContextTerminated`` and
# ``InterruptedSystemCall`` ignore their arguments and always carry their own errno.
#
# The message text matches libzmq's ``zmq_strerror`` (src/err.cpp, ``errno_to_string``).
# libzmq has its own words for its four codes and for EHOSTUNREACH ("Host unreachable",
# where glibc says "No route to host"), plus a few more on Windows. Every other code gets
# the C library's ``strerror``, which is ``os.strerror`` here.
#
# ``zmq_errno()`` mimics libzmq's per-thread errno. It returns the errno of the last
# ``ZMQError`` built in the calling thread, or 0, so ``ZMQError()`` with no errno behaves
# as it does in pyzmq.

from __future__ import annotations

import os
import sys
import threading
from errno import EINTR
from typing import Literal

from .constants import Errno

# Fallback for ZMQVersionError when the package does not define zmq_version(): the
# libzmq release whose behaviour purezmq follows.
_DEFAULT_LIBZMQ_VERSION = (4, 3, 5)

# zmq_strerror's own texts (libzmq src/err.cpp); every other code falls through to strerror.
_LIBZMQ_STRERROR: dict[int, str] = {
    Errno.EFSM: "Operation cannot be accomplished in current state",
    Errno.ENOCOMPATPROTO: "The protocol is not compatible with the socket type",
    Errno.ETERM: "Context was terminated",
    Errno.EMTHREAD: "No thread available",
    Errno.EHOSTUNREACH: "Host unreachable",
}
if sys.platform == "win32":  # pragma: no cover - libzmq words these only on Windows
    _LIBZMQ_STRERROR.update(
        {
            Errno.ENOTSUP: "Not supported",
            Errno.EPROTONOSUPPORT: "Protocol not supported",
            Errno.ENOBUFS: "No buffer space available",
            Errno.ENETDOWN: "Network is down",
            Errno.EADDRINUSE: "Address in use",
            Errno.EADDRNOTAVAIL: "Address not available",
            Errno.ECONNREFUSED: "Connection refused",
            Errno.EINPROGRESS: "Operation in progress",
        }
    )

_thread_state = threading.local()


def strerror(errnum: int) -> str:
    """Describe error number `errnum` in the words of libzmq's ``zmq_strerror``.

    Parameters
    ----------
    errnum : int
        The error number, e.g. ``zmq.EAGAIN`` or ``zmq.EFSM``.

    Returns
    -------
    str
        The description, e.g. ``"Resource temporarily unavailable"``.
    """
    text = _LIBZMQ_STRERROR.get(errnum)
    if text is not None:
        return text
    try:
        return os.strerror(errnum)
    except (ValueError, OverflowError):
        return f"Unknown error {errnum}"


def zmq_errno() -> int:
    """The errno of the last 0MQ error in this thread, or 0 (like libzmq's ``zmq_errno``)."""
    value: int = getattr(_thread_state, "errno", 0)
    return value


def _set_errno(errnum: int) -> None:
    _thread_state.errno = errnum


class DraftFDWarning(RuntimeWarning):
    """Warning that ``Socket.FD`` on a thread-safe (DRAFT) socket is experimental."""

    def __init__(self, msg: str = "") -> None:
        if not msg:
            msg = (
                "Socket.FD on thread-safe (draft) sockets is experimental and may be removed."
                " Silence this with"
                " warnings.simplefilter('ignore', zmq.error.DraftFDWarning)"
            )
        super().__init__(msg)


class ZMQBaseError(Exception):
    """Base class of every exception raised for 0MQ reasons."""


class ZMQError(ZMQBaseError):
    """An error with an errno, as a failing libzmq call reports it.

    Parameters
    ----------
    errno : int
        The error number. If None, the last error of this thread (``zmq_errno()``) is used.
        Anything that is not an int is taken as the message itself.
    msg : str
        The description. If None, ``strerror(errno)`` is used.
    """

    errno: int | None = None
    strerror: str

    def __init__(self, errno: int | None = None, msg: str | None = None) -> None:
        if errno is None:
            errno = zmq_errno()
        if isinstance(errno, int):
            self.errno = errno
            _set_errno(errno)
            self.strerror = strerror(errno) if msg is None else msg
        else:
            self.strerror = str(errno) if msg is None else msg

    def __str__(self) -> str:
        return self.strerror

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}('{self}')"


class ZMQBindError(ZMQBaseError):
    """``Socket.bind_to_random_port`` found no free port in its range."""


class NotDone(ZMQBaseError):
    """``MessageTracker.wait`` timed out before 0MQ was done with the message."""


class ContextTerminated(ZMQError):
    """The context was terminated (``ETERM``); the socket can no longer be used.

    Any arguments are ignored; ``errno`` is always ``ETERM``.
    """

    def __init__(self, errno: int | Literal["ignored"] = "ignored", msg: str = "ignored") -> None:
        super().__init__(Errno.ETERM)


class Again(ZMQError):
    """The operation would block (``EAGAIN``): nothing to receive, or no room to send.

    Any arguments are ignored; ``errno`` is always ``EAGAIN``.
    """

    def __init__(self, errno: int | Literal["ignored"] = "ignored", msg: str = "ignored") -> None:
        super().__init__(Errno.EAGAIN)


class InterruptedSystemCall(ZMQError, InterruptedError):
    """A call was interrupted (``EINTR``).

    purezmq retries such calls itself, so this should never reach user code. Any
    arguments are ignored; ``errno`` is always ``EINTR``.
    """

    errno = EINTR
    strerror: str

    def __init__(self, errno: int | Literal["ignored"] = "ignored", msg: str = "ignored") -> None:
        super().__init__(EINTR)

    def __str__(self) -> str:
        return (
            f"{super().__str__()}: This call should have been retried. Please report this to pyzmq."
        )


class ZMQVersionError(NotImplementedError):
    """A feature needs a newer libzmq than the one purezmq stands in for.

    Parameters
    ----------
    min_version : str
        The first libzmq version with the feature, e.g. ``"4.4"``.
    msg : str
        What the feature is called in the message.
    """

    msg: str
    min_version: str
    version: str

    def __init__(self, min_version: str, msg: str = "Feature") -> None:
        self.msg = msg
        self.min_version = min_version
        self.version = ".".join(str(part) for part in _libzmq_version_info())

    def __repr__(self) -> str:
        return f"ZMQVersionError('{self}')"

    def __str__(self) -> str:
        return f"{self.msg} requires libzmq >= {self.min_version}, have {self.version}"


def _libzmq_version_info() -> tuple[int, ...]:
    """The libzmq version the package claims, from ``purezmq.zmq_version_info`` if it has one.

    Looked up at call time: ``purezmq/__init__`` imports this module, so it is not complete
    when this module loads.
    """
    package = sys.modules.get(__package__ or "purezmq")
    version_info = getattr(package, "zmq_version_info", None)
    if callable(version_info):
        return tuple(int(part) for part in version_info())
    return _DEFAULT_LIBZMQ_VERSION


def _check_version(min_version_info: tuple[int, ...], msg: str = "Feature") -> None:
    """Raise ``ZMQVersionError`` unless the claimed libzmq version is at least ``min_version_info``."""
    if _libzmq_version_info() < tuple(min_version_info):
        raise ZMQVersionError(".".join(str(part) for part in min_version_info), msg)


def error_for_errno(errnum: int) -> ZMQError:
    """The exception that pyzmq raises when a libzmq call fails with `errnum`.

    ``EAGAIN`` gives ``Again``, ``ETERM`` gives ``ContextTerminated``, ``EINTR`` gives
    ``InterruptedSystemCall``, and any other code gives a plain ``ZMQError``. Use it as
    ``raise error_for_errno(errno.EINVAL)``.
    """
    if errnum == EINTR:
        return InterruptedSystemCall()
    if errnum == Errno.EAGAIN:
        return Again()
    if errnum == Errno.ETERM:
        return ContextTerminated()
    return ZMQError(errnum)


def _check_rc(rc: int, errno: int | None = None, error_without_errno: bool = True) -> None:
    """pyzmq's return-code check: raise the matching error if ``rc == -1``."""
    if rc != -1:
        return
    if errno is None:
        errno = zmq_errno()
    if errno == 0 and not error_without_errno:
        return
    raise error_for_errno(errno)


__all__ = [
    "Again",
    "ContextTerminated",
    "DraftFDWarning",
    "InterruptedSystemCall",
    "NotDone",
    "ZMQBaseError",
    "ZMQBindError",
    "ZMQError",
    "ZMQVersionError",
    "strerror",
    "zmq_errno",
]
