"""Version functions and zmq.has().

Versions differ by design: purezmq reports the pyzmq API level it mirrors as
__version__ / pyzmq_version(), the libzmq protocol level it follows as
zmq_version(), and its own release as purezmq_version(). The shape of each
function (what programs compare against) runs against both libraries.

has() must be truthful: for every capability name libzmq knows, a True means the
feature works here and a False means using it fails, checked the same way on
purezmq and on pyzmq's libzmq."""

from __future__ import annotations

import importlib
import os
import re
import socket
import sys
from pathlib import Path
from typing import Any

import pytest

import purezmq


def _ints(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".")[:3])


# ---------------------------------------------------------------------------
# Versions: the same shape in both libraries
# ---------------------------------------------------------------------------


def test_version_shape(lib: Any) -> None:
    assert isinstance(lib.__version__, str)
    assert lib.pyzmq_version().startswith(lib.__version__)
    info = lib.pyzmq_version_info()
    assert isinstance(info, tuple) and len(info) >= 3
    assert all(isinstance(n, int) for n in info[:3])
    assert info[:3] == _ints(lib.__version__)
    # what programs check, e.g. "pyzmq >= 13.1" (some abort below it)
    assert info >= (13, 1) and _ints(lib.__version__) >= (17, 0, 0)
    assert re.fullmatch(r"\d+\.\d+\.\d+", lib.zmq_version())
    assert lib.zmq_version_info() == _ints(lib.zmq_version())
    assert isinstance(lib.__revision__, str)


def test_sugar_version_module(lib: Any) -> None:
    version = importlib.import_module(f"{lib.__name__}.sugar.version")
    assert lib.sugar.version is version
    assert version.__version__ == lib.__version__
    assert version.pyzmq_version_info() == lib.pyzmq_version_info()
    assert version.version_info[:3] == (
        version.VERSION_MAJOR,
        version.VERSION_MINOR,
        version.VERSION_PATCH,
    )
    assert version.zmq_version() == lib.zmq_version()
    for name in ("zmq_version", "zmq_version_info", "pyzmq_version", "pyzmq_version_info"):
        assert name in lib.__all__ and name in version.__all__
    assert "__version__" in lib.__all__


# ---------------------------------------------------------------------------
# Versions: purezmq's own values
# ---------------------------------------------------------------------------


def test_purezmq_mirrors_pyzmq_27() -> None:
    assert purezmq.__version__ == purezmq.pyzmq_version() == "27.1.0"
    assert purezmq.pyzmq_version_info() == (27, 1, 0)


def test_purezmq_follows_libzmq_4_3_5() -> None:
    assert purezmq.zmq_version() == "4.3.5"
    assert purezmq.zmq_version_info() == (4, 3, 5)
    doc = purezmq.zmq_version_info.__doc__ or ""
    assert "libzmq" in doc and "protocol" in doc


def test_purezmq_own_release_is_pyproject_version() -> None:
    pyproject = Path(purezmq.__file__).resolve().parent.parent / "pyproject.toml"
    if not pyproject.exists():
        pytest.skip("purezmq is installed without its source tree")
    text = pyproject.read_text(encoding="utf-8")
    project = text.split("[project]", 1)[1]
    declared = re.search(r'^version\s*=\s*"([^"]+)"', project, re.MULTILINE)
    assert declared is not None
    assert purezmq.purezmq_version() == declared.group(1)
    assert purezmq.purezmq_version_info() == _ints(declared.group(1))
    assert purezmq.purezmq_version() != purezmq.__version__  # two different numbers


# ---------------------------------------------------------------------------
# has()
# ---------------------------------------------------------------------------

CAPABILITIES = ["ipc", "pgm", "tipc", "norm", "curve", "gssapi", "draft", "vmci", "ws", "wss"]

# An endpoint to bind for each transport capability.
TRANSPORT_ENDPOINTS = {
    "pgm": "pgm://127.0.0.1;239.192.1.1:5555",
    "norm": "norm://127.0.0.1:5555",
    "tipc": "tipc://{5560,0,0}",
    "vmci": "vmci://1:5555",
    "ws": "ws://127.0.0.1:0",
    "wss": "wss://127.0.0.1:0",
}


def test_has_answers_bools(lib: Any) -> None:
    for name in CAPABILITIES:
        assert isinstance(lib.has(name), bool)
    assert lib.has("no-such-capability") is False
    assert lib.has("") is False
    assert lib.has("draft") is bool(lib.DRAFT_API)


@pytest.mark.parametrize("bad", [b"ipc", None, 1])
def test_has_wants_str(lib: Any, bad: Any) -> None:
    if lib.__name__ == "zmq" and sys.implementation.name == "pypy":
        pytest.skip("pyzmq's cffi backend (PyPy) raises cffi's own TypeError")
    with pytest.raises(TypeError, match="expected str"):
        lib.has(bad)


def _sock(lib: Any, kind: int) -> Any:
    sock = lib.test_ctx.socket(kind)
    sock.setsockopt(lib.LINGER, 0)
    sock.setsockopt(lib.RCVTIMEO, 5000)
    return sock


def test_has_ipc_is_truthful(lib: Any, tmp_path: Path) -> None:
    if not lib.has("ipc"):
        assert not hasattr(socket, "AF_UNIX") or os.name == "nt"
        with pytest.raises(lib.ZMQError):
            _sock(lib, lib.PAIR).bind(f"ipc://{tmp_path}/x")
        return
    a, b = _sock(lib, lib.PAIR), _sock(lib, lib.PAIR)
    a.bind(f"ipc://{tmp_path}/has-ipc")
    b.connect(f"ipc://{tmp_path}/has-ipc")
    b.send(b"over ipc")
    assert a.recv() == b"over ipc"


@pytest.mark.parametrize("name", sorted(TRANSPORT_ENDPOINTS))
def test_has_transport_is_truthful(lib: Any, name: str) -> None:
    if lib.has(name):
        pytest.skip(f"{name} is built into this library; using it needs a network/kernel setup")
    with pytest.raises(lib.ZMQError) as info:
        _sock(lib, lib.PUB).bind(TRANSPORT_ENDPOINTS[name])
    assert info.value.errno in (lib.EPROTONOSUPPORT, lib.EAFNOSUPPORT)


@pytest.mark.parametrize("name,option", [("curve", "CURVE_SERVER"), ("gssapi", "GSSAPI_SERVER")])
def test_has_mechanism_is_truthful(lib: Any, name: str, option: str) -> None:
    sock = _sock(lib, lib.REP)
    if lib.has(name):
        sock.setsockopt(getattr(lib, option), 1)
        assert sock.getsockopt(getattr(lib, option)) == 1
    else:
        with pytest.raises(lib.ZMQError) as info:
            sock.setsockopt(getattr(lib, option), 1)
        assert info.value.errno == lib.EINVAL


def test_purezmq_capabilities() -> None:
    assert purezmq.has("ipc") is hasattr(socket, "AF_UNIX")
    assert purezmq.has("curve") is True
    for name in ("pgm", "tipc", "norm", "gssapi", "draft", "vmci", "ws", "wss"):
        assert purezmq.has(name) is False, name
