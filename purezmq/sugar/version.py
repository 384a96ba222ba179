"""Version numbers: the pyzmq API purezmq mirrors, the libzmq it follows, its own release.

Three numbers, three meanings:

* ``__version__`` / ``pyzmq_version()`` / ``pyzmq_version_info()``: the pyzmq release
  whose Python API purezmq reproduces. Programs written for pyzmq compare these against
  the pyzmq minimum they need, so they carry pyzmq's numbering, not purezmq's.
* ``zmq_version()`` / ``zmq_version_info()``: the libzmq release whose protocol level and
  socket semantics purezmq follows (ZMTP 3.1 as libzmq 4.3.5 speaks it). No libzmq is
  loaded; the number says which behaviour to expect.
* ``purezmq_version()`` / ``purezmq_version_info()`` / ``__purezmq_version__``:
  purezmq's own release (the version in pyproject.toml).
"""

from __future__ import annotations

PYZMQ_API_VERSION = "27.1.0"
LIBZMQ_VERSION = "4.3.5"
__purezmq_version__ = "0.1.0"  # keep equal to pyproject.toml's [project] version

__version__ = PYZMQ_API_VERSION
__revision__ = ""  # pyzmq: the git revision of a development build; none here


def _numbers(version: str) -> tuple[int, int, int]:
    major, minor, patch = (int(part) for part in version.split(".")[:3])
    return (major, minor, patch)


VERSION_MAJOR, VERSION_MINOR, VERSION_PATCH = _numbers(__version__)
VERSION_EXTRA = ""
version_info: tuple[int, int, int] = (VERSION_MAJOR, VERSION_MINOR, VERSION_PATCH)


def pyzmq_version() -> str:
    """The pyzmq API level purezmq mirrors, as a string ("27.1.0")."""
    return __version__


def pyzmq_version_info() -> tuple[int, int, int]:
    """The pyzmq API level purezmq mirrors, as a tuple of ints ((27, 1, 0))."""
    return version_info


def zmq_version_info() -> tuple[int, int, int]:
    """The libzmq release whose protocol and semantics purezmq follows: (4, 3, 5).

    purezmq does not load libzmq; this says which libzmq behaviour it reproduces
    (ZMTP 3.1, the socket types and options of libzmq 4.3.5).
    """
    return _numbers(LIBZMQ_VERSION)


def zmq_version() -> str:
    """The libzmq release whose protocol and semantics purezmq follows, as "4.3.5"."""
    return "{}.{}.{}".format(*zmq_version_info())


def purezmq_version() -> str:
    """purezmq's own release, as in pyproject.toml ("0.1.0")."""
    return __purezmq_version__


def purezmq_version_info() -> tuple[int, int, int]:
    """purezmq's own release as a tuple of ints."""
    return _numbers(__purezmq_version__)


__all__ = [
    "__revision__",
    "__version__",
    "purezmq_version",
    "purezmq_version_info",
    "pyzmq_version",
    "pyzmq_version_info",
    "zmq_version",
    "zmq_version_info",
]
