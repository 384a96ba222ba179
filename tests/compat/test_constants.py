"""purezmq.constants against pyzmq's zmq.constants: same names, values, enum shapes."""

from __future__ import annotations

import enum
import errno
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

zc: Any = pytest.importorskip(
    "zmq.constants", reason="pyzmq is not installed: nothing to compare purezmq.constants with"
)

import purezmq.constants as pc

ROOT = Path(__file__).resolve().parents[2]

ENUM_CLASSES = sorted(
    name
    for name in zc.__all__
    if isinstance(getattr(zc, name), type)
    and issubclass(getattr(zc, name), enum.Enum)
    and getattr(zc, name).__module__ == zc.__name__
)
CONSTANT_NAMES = sorted(name for name in zc.__all__ if not isinstance(getattr(zc, name), type))


def test_enum_classes_found() -> None:
    # Guard against the parametrized tests below silently running on nothing.
    assert "SocketType" in ENUM_CLASSES and "Errno" in ENUM_CLASSES
    assert len(CONSTANT_NAMES) > 200


def test_same_public_names() -> None:
    assert sorted(pc.__all__) == sorted(zc.__all__)
    assert len(pc.__all__) == len(set(pc.__all__))
    for name in pc.__all__:
        assert hasattr(pc, name), name


@pytest.mark.parametrize("name", CONSTANT_NAMES)
def test_constant_matches_pyzmq(name: str) -> None:
    theirs = getattr(zc, name)
    ours = getattr(pc, name)
    assert int(ours) == int(theirs)
    assert type(ours).__name__ == type(theirs).__name__
    assert ours.name == theirs.name  # aliases resolve to the same canonical member
    assert repr(ours) == repr(theirs)
    assert str(ours) == str(theirs)
    assert f"{ours}" == f"{theirs}"


@pytest.mark.parametrize("name", CONSTANT_NAMES)
def test_constant_is_enum_member(name: str) -> None:
    value = getattr(pc, name)
    cls = getattr(pc, type(value).__name__)
    assert type(value) is cls
    assert value is cls[value.name]


@pytest.mark.parametrize("cls_name", ENUM_CLASSES)
def test_enum_class_matches_pyzmq(cls_name: str) -> None:
    theirs = getattr(zc, cls_name)
    ours = getattr(pc, cls_name)
    for base in (enum.IntFlag, enum.IntEnum):
        assert issubclass(ours, base) == issubclass(theirs, base), base
    # every name, aliases included, with its value and canonical name
    assert {k: (int(v), v.name) for k, v in ours.__members__.items()} == {
        k: (int(v), v.name) for k, v in theirs.__members__.items()
    }
    # canonical members, in definition order
    assert [m.name for m in ours] == [m.name for m in theirs]


def test_aliases() -> None:
    assert pc.IDENTITY is pc.ROUTING_ID is pc.SocketOption.ROUTING_ID
    assert pc.CONNECT_RID is pc.CONNECT_ROUTING_ID
    assert pc.DELAY_ATTACH_ON_CONNECT is pc.IMMEDIATE
    assert pc.FAIL_UNROUTABLE is pc.ROUTER_BEHAVIOR is pc.ROUTER_MANDATORY
    assert pc.XREQ is pc.DEALER and pc.XREP is pc.ROUTER
    assert pc.NOBLOCK is pc.DONTWAIT
    assert pc.THREAD_PRIORITY is pc.SOCKET_LIMIT
    assert pc.EVENT_ALL is pc.EVENT_ALL_V1
    assert pc.EVENT_ALL_V2 == pc.EVENT_ALL_V1 | pc.EVENT_PIPES_STATS
    assert pc.HWM == 1 and pc.HWM is not pc.SNDHWM


def test_flag_arithmetic_matches_pyzmq() -> None:
    pairs = [
        (pc.POLLIN | pc.POLLOUT, zc.POLLIN | zc.POLLOUT),
        (pc.DONTWAIT | pc.SNDMORE, zc.DONTWAIT | zc.SNDMORE),
        (pc.EVENT_CONNECTED | pc.EVENT_DISCONNECTED, zc.EVENT_CONNECTED | zc.EVENT_DISCONNECTED),
        (pc.Event(0x10000001), zc.Event(0x10000001)),
    ]
    for ours, theirs in pairs:
        assert int(ours) == int(theirs)
        assert repr(ours) == repr(theirs)
    assert pc.POLLIN & (pc.POLLIN | pc.POLLERR)
    assert isinstance(pc.POLLIN | pc.POLLOUT, pc.PollEvent)


def test_errno_values() -> None:
    hausnumero = 156384712
    assert pc.EFSM == hausnumero + 51 == 156384763
    assert hausnumero + 52 == pc.ENOCOMPATPROTO
    assert hausnumero + 53 == pc.ETERM
    assert hausnumero + 54 == pc.EMTHREAD
    assert pc.EAGAIN == errno.EAGAIN
    assert pc.EINVAL == errno.EINVAL
    if sys.platform != "win32":
        for member in pc.Errno:
            if hasattr(errno, member.name):
                assert member == getattr(errno, member.name), member.name


def test_option_types_match_pyzmq() -> None:
    for opt in zc.SocketOption:
        kind = opt._opt_type.value
        assert pc.OPTION_TYPES[int(opt)] == kind, opt.name
        assert pc.option_type(int(opt)) == kind, opt.name
        assert pc.SocketOption(int(opt))._opt_type.value == kind, opt.name
    assert set(pc.OPTION_TYPES) == {int(opt) for opt in zc.SocketOption}


def test_option_kind_sets_partition_socket_options() -> None:
    sets = [pc.int_sockopts, pc.int64_sockopts, pc.bytes_sockopts, pc.fd_sockopts]
    union: set[pc.SocketOption] = set()
    for kind_set in sets:
        assert not union & kind_set
        union |= kind_set
    assert union == set(pc.SocketOption)
    assert pc.IDENTITY in pc.bytes_sockopts and pc.SUBSCRIBE in pc.bytes_sockopts
    assert pc.AFFINITY in pc.int64_sockopts and pc.MAXMSGSIZE in pc.int64_sockopts
    assert pc.FD in pc.fd_sockopts
    assert pc.LINGER in pc.int_sockopts and pc.HWM in pc.int_sockopts


def test_unknown_option_counts_as_int() -> None:
    assert pc.option_type(9999) == "int"


def test_purezmq_does_not_import_pyzmq() -> None:
    code = (
        "import sys, purezmq.constants, purezmq.error; "
        "sys.exit(1 if any(m == 'zmq' or m.startswith('zmq.') for m in sys.modules) else 0)"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-c", code], check=False, cwd=ROOT, env=env, timeout=60)
    assert proc.returncode == 0
