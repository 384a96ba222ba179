"""The option table (purezmq/patterns/options.py) against pyzmq.

Every expectation here is derived from the table (which socket types accept
an option, whether it reads and writes, which values are valid, the default)
and asserted against purezmq AND real pyzmq (the `lib` parameter): run on
pyzmq, the same assertions prove that the table says what libzmq does.
"""

from __future__ import annotations

import errno
from collections.abc import Iterator
from typing import Any

import pytest

import purezmq
from purezmq.patterns.options import OPTIONS, PATTERN, SOCKET, TABLE, Row
from tests.testing import terminate

TYPES = [
    "PAIR",
    "PUB",
    "SUB",
    "REQ",
    "REP",
    "DEALER",
    "ROUTER",
    "PULL",
    "PUSH",
    "XPUB",
    "XSUB",
    "STREAM",
]
# SUBSCRIBE/UNSUBSCRIBE on an XPUB (or PUB) are taken only with XPUB_MANUAL on.
_NEEDS_MANUAL = {int(purezmq.SUBSCRIBE), int(purezmq.UNSUBSCRIBE)}
_PUBLISHERS = {"XPUB", "PUB"}
# libzmq's SUB and XSUB start with LINGER 0 (pending subscriptions are not
# worth lingering for), as purezmq's XSub core does.
_TYPE_DEFAULTS = {("SUB", int(purezmq.LINGER)): 0, ("XSUB", int(purezmq.LINGER)): 0}

ROWS = sorted(TABLE.items())

# Rows where purezmq knowingly goes beyond the libzmq that pyzmq bundles.
_NOT_IN_PYZMQ = {
    int(
        purezmq.XSUB_VERBOSE_UNSUBSCRIBE
    ): "pyzmq's libzmq 4.3.5 refuses it (a libzmq master option)",
    int(purezmq.HWM): "pyzmq has HWM only as the hwm property; purezmq's set/get take it too",
}


def _skip_if_not_in_pyzmq(option: int, lib: Any) -> None:
    if lib is not purezmq and option in _NOT_IN_PYZMQ:
        pytest.skip(_NOT_IN_PYZMQ[option])


def _row_id(item: tuple[int, Row]) -> str:
    return item[1].attr


@pytest.fixture(params=["purezmq", "pyzmq"])
def lib(request: Any) -> Any:
    if request.param == "pyzmq":
        return pytest.importorskip("zmq")
    return purezmq


@pytest.fixture
def lctx(lib: Any) -> Iterator[Any]:
    c = lib.Context()
    yield c
    terminate(c)


def _outcome(fn: Any, *args: Any) -> str:
    try:
        fn(*args)
    except Exception as exc:
        if hasattr(exc, "errno") and type(exc).__name__ in ("ZMQError", "Again"):
            return errno.errorcode.get(exc.errno, str(exc.errno))
        return type(exc).__name__
    return "ok"


def _sample(row: Row) -> Any:
    """A value the row takes (when the socket type accepts the option)."""
    if row.attr.startswith("curve_") and row.kind == "bytes":
        return b"k" * 32  # a key: 32 raw bytes (or 40 Z85 characters)
    return b"a" if row.kind == "bytes" else 1


def _stored_form(row: Row, value: Any) -> Any:
    return row.convert(value) if row.convert is not None else value


def _accepts(row: Row, kind: str, lib: Any) -> bool:
    return row.types is None or int(getattr(lib, kind)) in row.types


@pytest.mark.parametrize("item", ROWS, ids=_row_id)
def test_acceptance_read_write_and_default_per_socket_type(
    item: tuple[int, Row], lib: Any, lctx: Any
) -> None:
    option, row = item
    _skip_if_not_in_pyzmq(option, lib)
    for kind in TYPES:
        s = lctx.socket(getattr(lib, kind))
        try:
            accepted = _accepts(row, kind, lib)
            # read a new socket
            got = _outcome(s.getsockopt, option)
            want = "ok" if accepted and row.readable else "EINVAL"
            assert got == want, (kind, "get")
            if got == "ok" and row.held_by != SOCKET:
                default = _TYPE_DEFAULTS.get((kind, option), row.default)
                assert s.getsockopt(option) == default, (kind, "default")
            # write a valid value
            if option == purezmq.HWM:
                continue  # pyzmq's own: SNDHWM and RCVHWM, tested with them
            value = _sample(row)
            got = _outcome(s.setsockopt, option, value)
            want = "ok" if accepted and row.writable else "EINVAL"
            if want == "ok" and option in _NEEDS_MANUAL and kind in _PUBLISHERS:
                want = "EINVAL"
                assert got == want, (kind, "set without XPUB_MANUAL")
                s.setsockopt(lib.XPUB_MANUAL, 1)
                want = "ok"
                got = _outcome(s.setsockopt, option, value)
            assert got == want, (kind, "set")
            if got == "ok" and row.readable:
                assert s.getsockopt(option) == _stored_form(row, value), (kind, "read back")
        finally:
            s.close(0)


def _probes(row: Row) -> list[Any]:
    if row.kind == "bytes":
        return [b"", b"a", b"a" * 255, b"a" * 256]
    return [-100, -99, -2, -1, 0, 1, 2, 150, 6553599, 6553600]


WRITABLE = [item for item in ROWS if item[1].writable and item[1].held_by != SOCKET]


@pytest.mark.parametrize("item", WRITABLE, ids=_row_id)
def test_valid_values(item: tuple[int, Row], lib: Any, lctx: Any) -> None:
    """Each probe value is taken iff the row's check says so, stored as it says."""
    option, row = item
    _skip_if_not_in_pyzmq(option, lib)
    kind = next(k for k in TYPES if _accepts(row, k, lib))
    if option in _NEEDS_MANUAL:
        kind = "SUB"
    for value in _probes(row):
        s = lctx.socket(getattr(lib, kind))
        try:
            got = _outcome(s.setsockopt, option, value)
            valid = row.check is None or row.check(value)
            assert got == ("ok" if valid else "EINVAL"), (kind, value)
            # pyzmq reads bytes options into a 255-byte buffer: 255 and up fail
            readable = row.readable and (lib is purezmq or row.kind != "bytes" or len(value) < 255)
            if valid and readable:
                assert s.getsockopt(option) == _stored_form(row, value), (kind, value)
        finally:
            s.close(0)


@pytest.mark.parametrize(
    "kind,name,value",
    [
        ("PUSH", "ROUTER_MANDATORY", 1),
        ("PUSH", "SUBSCRIBE", b"x"),
        ("DEALER", "REQ_RELAXED", 1),
        ("SUB", "XSUB_VERBOSE_UNSUBSCRIBE", 1),
        ("SUB", "ONLY_FIRST_SUBSCRIBE", 1),
        ("XSUB", "SUBSCRIBE", b"x"),
        ("XPUB", "SUBSCRIBE", b"x"),  # without XPUB_MANUAL
        ("DEALER", "CONNECT_ROUTING_ID", b"x"),
        ("ROUTER", "ROUTER_MANDATORY", -1),
        ("REQ", "REQ_CORRELATE", -1),
        ("XSUB", "TOPICS_COUNT", 1),
        ("PUSH", "EVENTS", 1),
        ("PUSH", "RCVMORE", 0),
        ("PUSH", "LAST_ENDPOINT", b"x"),
        ("PUSH", "THREAD_SAFE", 1),
        ("PUSH", "ROUTING_ID", b""),
        ("PUSH", "HEARTBEAT_TIMEOUT", -1),
    ],
)
def test_refused_settings_are_einval(kind: str, name: str, value: Any, lib: Any, lctx: Any) -> None:
    s = lctx.socket(getattr(lib, kind))
    assert _outcome(s.setsockopt, getattr(lib, name), value) == "EINVAL"
    s.close(0)


@pytest.mark.parametrize(
    "kind,name",
    [
        ("SUB", "SUBSCRIBE"),
        ("ROUTER", "ROUTER_MANDATORY"),
        ("REQ", "REQ_RELAXED"),
        ("XPUB", "XPUB_VERBOSE"),
        ("ROUTER", "CONNECT_ROUTING_ID"),
        ("DEALER", "TOPICS_COUNT"),
        ("DEALER", "ROUTER_HANDOVER"),
    ],
)
def test_refused_reads_are_einval(kind: str, name: str, lib: Any, lctx: Any) -> None:
    s = lctx.socket(getattr(lib, kind))
    assert _outcome(s.getsockopt, getattr(lib, name)) == "EINVAL"
    s.close(0)


@pytest.mark.parametrize(
    "kind,name,value",
    [
        ("PUSH", "SUBSCRIBE", "text"),  # the type is checked before the socket type
        ("PUSH", "ROUTER_MANDATORY", "text"),
        ("SUB", "SUBSCRIBE", 5),
        ("DEALER", "ROUTING_ID", 5),
        ("DEALER", "LINGER", b"x"),
    ],
)
def test_wrong_python_type_is_typeerror(
    kind: str, name: str, value: Any, lib: Any, lctx: Any
) -> None:
    s = lctx.socket(getattr(lib, kind))
    assert _outcome(s.setsockopt, getattr(lib, name), value) == "TypeError"
    s.close(0)


def test_every_row_is_held_somewhere() -> None:
    assert {row.held_by for row in TABLE.values()} == {OPTIONS, PATTERN, SOCKET}


def test_einval_messages_name_the_option_and_socket_type(ctx: purezmq.Context) -> None:
    push = ctx.socket(purezmq.PUSH)
    sub = ctx.socket(purezmq.SUB)
    xpub = ctx.socket(purezmq.XPUB)
    try:
        for call, args, words in [
            (push.set, (purezmq.ROUTER_MANDATORY, 1), ("ROUTER_MANDATORY", "PUSH")),
            (push.set, (purezmq.SUBSCRIBE, b"x"), ("SUBSCRIBE", "PUSH")),
            (push.get, (purezmq.TOPICS_COUNT,), ("TOPICS_COUNT", "PUSH")),
            (sub.get, (purezmq.SUBSCRIBE,), ("SUBSCRIBE", "write-only")),
            (push.set, (purezmq.EVENTS, 1), ("EVENTS", "read-only")),
            (push.set, (purezmq.LINGER, -7), ("LINGER", "-7")),
            (xpub.set, (purezmq.SUBSCRIBE, b"x"), ("SUBSCRIBE", "XPUB")),
            (push.set, (9999, 1), ("9999",)),
        ]:
            with pytest.raises(purezmq.ZMQError) as info:
                call(*args)
            assert info.value.errno == errno.EINVAL
            for word in words:
                assert word in str(info.value), (args, str(info.value))
    finally:
        for s in (push, sub, xpub):
            s.close(0)
