"""purezmq.error against pyzmq's zmq.error: class tree, errno, strerror, repr."""

from __future__ import annotations

import errno
import pickle
import re
import threading
from typing import Any

import pytest

zmq: Any = pytest.importorskip(
    "zmq", reason="pyzmq is not installed: nothing to compare purezmq.error with"
)

import purezmq.constants as pc
import purezmq.error as pe

HAUSNUMERO = 156384712

ERRNOS = sorted(
    {int(member) for member in pc.Errno}
    | {
        0,
        errno.EPERM,
        errno.ENOENT,
        errno.EINTR,
        errno.EBADF,
        errno.ENOMEM,
        errno.EACCES,
        errno.EMFILE,
        errno.EPIPE,
        HAUSNUMERO,
        HAUSNUMERO + 1,
        HAUSNUMERO + 50,
        HAUSNUMERO + 55,
        -1,
        99999,
    }
)

ERROR_CLASSES = [
    "ZMQBaseError",
    "ZMQError",
    "Again",
    "ContextTerminated",
    "InterruptedSystemCall",
    "ZMQBindError",
    "NotDone",
    "ZMQVersionError",
    "DraftFDWarning",
]

# pyzmq's _check_rc is private: used only to learn which class pyzmq raises per errno.
check_rc = getattr(zmq.error, "_check_rc", None)


def _mro_names(cls: type) -> list[str]:
    return [c.__name__ for c in cls.__mro__]


def test_public_names() -> None:
    assert set(zmq.error.__all__) <= set(pe.__all__)
    for name in pe.__all__:
        assert hasattr(pe, name), name


@pytest.mark.parametrize("name", ERROR_CLASSES)
def test_class_hierarchy_matches_pyzmq(name: str) -> None:
    assert _mro_names(getattr(pe, name)) == _mro_names(getattr(zmq.error, name))


def test_hierarchy_isinstance() -> None:
    assert issubclass(pe.Again, pe.ZMQError)
    assert issubclass(pe.ContextTerminated, pe.ZMQError)
    assert issubclass(pe.InterruptedSystemCall, pe.ZMQError)
    assert issubclass(pe.InterruptedSystemCall, InterruptedError)
    assert issubclass(pe.ZMQError, pe.ZMQBaseError)
    assert issubclass(pe.ZMQBindError, pe.ZMQBaseError)
    assert not issubclass(pe.ZMQBindError, pe.ZMQError)
    assert issubclass(pe.ZMQVersionError, NotImplementedError)
    assert not issubclass(pe.ZMQVersionError, pe.ZMQBaseError)
    assert issubclass(pe.DraftFDWarning, RuntimeWarning)


@pytest.mark.parametrize("errnum", ERRNOS)
def test_strerror_matches_libzmq(errnum: int) -> None:
    assert pe.strerror(errnum) == zmq.strerror(errnum)


def test_zmq_specific_strerror_texts() -> None:
    assert pe.strerror(pc.EFSM) == "Operation cannot be accomplished in current state"
    assert pe.strerror(pc.ETERM) == "Context was terminated"
    assert pe.strerror(pc.ENOCOMPATPROTO) == ("The protocol is not compatible with the socket type")
    assert pe.strerror(pc.EMTHREAD) == "No thread available"
    assert pe.strerror(pc.EHOSTUNREACH) == "Host unreachable"


def test_strerror_out_of_range_does_not_raise() -> None:
    assert isinstance(pe.strerror(2**70), str)


@pytest.mark.parametrize("errnum", ERRNOS)
def test_zmqerror_matches_pyzmq(errnum: int) -> None:
    ours = pe.ZMQError(errnum)
    theirs = zmq.ZMQError(errnum)
    assert type(ours) is pe.ZMQError
    assert ours.errno == theirs.errno
    assert ours.strerror == theirs.strerror
    assert str(ours) == str(theirs)
    assert repr(ours) == repr(theirs)
    assert ours.args == theirs.args


def test_zmqerror_with_enum_errno_keeps_enum() -> None:
    ours = pe.ZMQError(pc.EAGAIN)
    theirs = zmq.ZMQError(zmq.EAGAIN)
    assert type(ours.errno).__name__ == type(theirs.errno).__name__ == "Errno"
    # a plain ZMQError(EAGAIN) is not an Again, in either library
    assert not isinstance(ours, pe.Again)
    assert not isinstance(theirs, zmq.Again)


@pytest.mark.parametrize(
    "args",
    [
        (errno.EINVAL, "custom text"),
        ("just a message",),
        ("message", "override"),
        (3.5,),
    ],
)
def test_zmqerror_argument_forms(args: tuple[Any, ...]) -> None:
    ours = pe.ZMQError(*args)
    theirs = zmq.ZMQError(*args)
    assert ours.errno == theirs.errno
    assert ours.strerror == theirs.strerror
    assert repr(ours) == repr(theirs)


def test_zmqerror_without_errno_uses_last_errno() -> None:
    pe.ZMQError(pc.EFSM)
    assert pe.zmq_errno() == pc.EFSM
    err = pe.ZMQError()
    assert err.errno == pc.EFSM
    assert err.strerror == pe.strerror(pc.EFSM)
    err = pe.ZMQError(None, "m")
    assert err.errno == pc.EFSM and err.strerror == "m"


def test_zmq_errno_is_per_thread() -> None:
    pe.ZMQError(pc.ETERM)
    seen: list[int] = []
    thread = threading.Thread(target=lambda: seen.append(pe.zmq_errno()))
    thread.start()
    thread.join(10)
    assert seen == [0]
    assert pe.zmq_errno() == pc.ETERM


@pytest.mark.parametrize("name", ["Again", "ContextTerminated", "InterruptedSystemCall"])
@pytest.mark.parametrize("args", [(), (errno.EINVAL,), (errno.EINVAL, "ignored text")])
def test_fixed_errno_subclasses_match_pyzmq(name: str, args: tuple[Any, ...]) -> None:
    ours = getattr(pe, name)(*args)
    theirs = getattr(zmq, name)(*args)
    assert ours.errno == theirs.errno
    assert ours.strerror == theirs.strerror
    assert str(ours) == str(theirs)
    assert repr(ours) == repr(theirs)
    assert ours.args == theirs.args


def test_fixed_errno_values() -> None:
    assert pe.Again().errno == pc.EAGAIN
    assert pe.ContextTerminated().errno == pc.ETERM
    assert pe.InterruptedSystemCall().errno == errno.EINTR
    assert isinstance(pe.InterruptedSystemCall(), InterruptedError)
    assert str(pe.ContextTerminated()) == "Context was terminated"


@pytest.mark.skipif(check_rc is None, reason="pyzmq has no zmq.error._check_rc to compare with")
@pytest.mark.parametrize(
    "errnum",
    [pc.EAGAIN, pc.ETERM, errno.EINTR, pc.EINVAL, pc.EFSM, pc.EHOSTUNREACH, pc.ENOTSUP],
)
def test_error_for_errno_picks_pyzmq_class(errnum: int) -> None:
    with pytest.raises(zmq.ZMQError) as theirs:
        check_rc(-1, errnum)
    ours = pe.error_for_errno(errnum)
    assert type(ours).__name__ == type(theirs.value).__name__
    assert ours.errno == theirs.value.errno
    assert str(ours) == str(theirs.value)
    with pytest.raises(pe.ZMQError) as raised:
        pe._check_rc(-1, errnum)
    assert type(raised.value) is type(ours)


def test_check_rc_passes_success() -> None:
    pe._check_rc(0)
    pe._check_rc(5)
    pe._check_rc(-1, 0, error_without_errno=False)
    with pytest.raises(pe.ZMQError):
        pe._check_rc(-1, 0)


def test_again_from_real_libzmq_has_same_shape() -> None:
    ctx = zmq.Context()
    try:
        sock = ctx.socket(zmq.PULL)
        try:
            with pytest.raises(zmq.Again) as theirs:
                sock.recv(zmq.NOBLOCK)
        finally:
            sock.close(linger=0)
    finally:
        ctx.term()
    ours = pe.error_for_errno(pc.EAGAIN)
    assert isinstance(ours, pe.Again)
    assert ours.errno == theirs.value.errno
    assert repr(ours) == repr(theirs.value)


def test_version_error() -> None:
    err = pe.ZMQVersionError("4.4", "Widgets")
    assert err.min_version == "4.4" and err.msg == "Widgets"
    assert re.fullmatch(r"Widgets requires libzmq >= 4\.4, have \d+\.\d+\.\d+", str(err))
    assert repr(err) == f"ZMQVersionError('{err}')"
    assert str(pe.ZMQVersionError("9")).startswith("Feature requires libzmq >= 9, have ")
    theirs = zmq.ZMQVersionError("4.4", "Widgets")
    assert str(theirs).split(", have ")[0] == str(err).split(", have ")[0]


def test_check_version() -> None:
    pe._check_version((3, 0), "old feature")
    with pytest.raises(pe.ZMQVersionError, match=r"future feature requires libzmq >= 99\.1"):
        pe._check_version((99, 1), "future feature")


@pytest.mark.parametrize(
    "err",
    [
        pe.ZMQError(pc.EFSM),
        pe.ZMQError("text only"),
        pe.Again(),
        pe.ContextTerminated(),
        pe.InterruptedSystemCall(),
        pe.ZMQBindError("no port"),
        pe.NotDone(),
    ],
    ids=repr,
)
def test_pickle_round_trip(err: BaseException) -> None:
    copy = pickle.loads(pickle.dumps(err))
    assert type(copy) is type(err)
    assert str(copy) == str(err)
    assert getattr(copy, "errno", None) == getattr(err, "errno", None)


def test_draft_fd_warning_has_default_message() -> None:
    assert str(pe.DraftFDWarning())
    assert str(pe.DraftFDWarning("custom")) == "custom"
