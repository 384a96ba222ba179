"""The option table (purezmq/patterns/options.py) is the one description of
the options purezmq implements: these tests tie everything else to it."""

from __future__ import annotations

import errno
import importlib.util
from pathlib import Path
from typing import Any

import pytest

import purezmq
from purezmq import constants
from purezmq.patterns.base import SocketCore
from purezmq.patterns.options import (
    _TABLE,
    OPTIONS,
    PATTERN,
    SOCKET,
    TABLE,
    Options,
    check_get,
    check_set,
)
from purezmq.patterns.registry import CORES, make_core

ROOT = Path(__file__).resolve().parents[2]


def _load_generator() -> Any:
    spec = importlib.util.spec_from_file_location(
        "gen_option_attrs", ROOT / "tools" / "gen_option_attrs.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_row_is_a_socket_option_of_the_same_kind() -> None:
    for option, row in TABLE.items():
        member = constants.SocketOption(option)  # ValueError if not an option
        assert row.attr == member.name.lower()
        assert row.kind == constants.OPTION_TYPES[option], member.name
        assert row.held_by in (OPTIONS, PATTERN, SOCKET)


def test_options_attributes_are_the_options_rows() -> None:
    assert {o: row for o, row in TABLE.items() if row.held_by == OPTIONS} == _TABLE
    declared = dict(Options.__annotations__)
    assert declared.pop("socket_type") == "int"
    assert declared == {
        row.attr: "bytes" if row.kind == "bytes" else "int" for row in _TABLE.values()
    }
    opts = Options(purezmq.DEALER)
    assert vars(opts) == {
        "socket_type": purezmq.DEALER,
        **{row.attr: row.default for row in _TABLE.values()},
    }
    assert not hasattr(Options, "__getattr__")  # plain attributes on the hot path


def test_row_shapes() -> None:
    for option, row in TABLE.items():
        name = constants.SocketOption(option).name
        if row.action:
            assert row.held_by == PATTERN and row.writable and not row.readable, name
        if row.held_by == PATTERN:
            assert row.types, name  # type-specific by nature
        if row.default is not None:
            assert isinstance(row.default, bytes if row.kind == "bytes" else int), name


def test_generated_option_attrs_are_up_to_date() -> None:
    """Run `python tools/gen_option_attrs.py` after changing the table."""
    gen = _load_generator()
    assert (ROOT / "purezmq" / "sugar" / "_option_attrs.py").read_text() == gen.render()


def test_generated_attrs_follow_the_table() -> None:
    from purezmq.sugar._option_attrs import SocketOptionAttributes

    props = {name for name, v in vars(SocketOptionAttributes).items() if isinstance(v, property)}
    for row in TABLE.values():
        if row.attr in props:
            assert not row.writable, row.attr
        elif row.attr in SocketOptionAttributes.__annotations__:
            assert row.writable, row.attr
    assert {"rcvmore", "events", "fd", "last_endpoint", "mechanism", "topics_count"} <= props


def _sample(kind: str) -> Any:
    return b"a" if kind == "bytes" else 1


@pytest.mark.parametrize("socket_type", sorted(CORES))
def test_pattern_rows_reach_the_core_of_each_accepting_type(socket_type: int) -> None:
    """Each PATTERN row is taken by the core of every type the table names
    (its xset_option/xget_option hook), and refused with EINVAL by the others."""
    for option, row in TABLE.items():
        if row.held_by != PATTERN:
            continue
        assert row.types is not None
        core = make_core(socket_type, Options(socket_type))
        name = constants.SocketOption(option).name
        kind = constants.SocketType(socket_type).name
        if socket_type not in row.types:
            for fn, args in (
                (core.set_option, (option, _sample(row.kind))),
                (core.get_option, (option,)),
            ):
                with pytest.raises(purezmq.ZMQError) as info:
                    fn(*args)
                assert info.value.errno == errno.EINVAL
                assert name in str(info.value) and kind in str(info.value)
            continue
        if row.writable:
            if row.action and socket_type in (purezmq.XPUB, purezmq.PUB):
                assert core.set_option(option, _sample(row.kind)) is False  # needs XPUB_MANUAL
                assert core.set_option(purezmq.XPUB_MANUAL, 1)
            assert core.set_option(option, _sample(row.kind)) is True, (name, kind)
        if row.readable:
            assert core.get_option(option) == row.default, (name, kind)
        else:
            with pytest.raises(purezmq.ZMQError) as info:
                core.get_option(option)
            assert info.value.errno == errno.EINVAL


def test_cores_without_type_options_use_the_base_hooks() -> None:
    """A core that overrides no hook accepts no PATTERN row."""
    for socket_type, cls in CORES.items():
        if cls.xset_option is SocketCore.xset_option:
            assert not any(
                socket_type in (row.types or ()) for row in TABLE.values() if row.held_by == PATTERN
            )


def test_socket_rows_are_answered_by_the_socket(ctx: purezmq.Context) -> None:
    s = ctx.socket(purezmq.DEALER)
    try:
        for option, row in TABLE.items():
            if row.held_by != SOCKET:
                continue
            assert isinstance(s.get(option), int), row.attr
            if row.writable:
                s.set(option, 7)
                assert s.get(option) == 7
            else:
                with pytest.raises(purezmq.ZMQError) as info:
                    s.set(option, 1)
                assert info.value.errno == errno.EINVAL and "read-only" in str(info.value)
    finally:
        s.close(0)


def test_check_set_coerces_then_checks() -> None:
    row, value = check_set(purezmq.LINGER, purezmq.PUSH, True)
    assert row.attr == "linger" and value == 1 and type(value) is int
    assert check_set(purezmq.ROUTING_ID, purezmq.PUSH, bytearray(b"id"))[1] == b"id"
    assert check_set(purezmq.HEARTBEAT_TTL, purezmq.PUSH, 1234)[1] == 1200
    assert check_set(purezmq.INVERT_MATCHING, purezmq.SUB, 5)[1] == 1
    with pytest.raises(TypeError):
        check_set(purezmq.SUBSCRIBE, purezmq.PUSH, "text")  # type first, as pyzmq
    with pytest.raises(OverflowError):
        check_set(purezmq.SNDHWM, purezmq.PUSH, 2**31)
    assert check_set(purezmq.MAXMSGSIZE, purezmq.PUSH, 2**40)[1] == 2**40  # int64
    with pytest.raises(purezmq.ZMQError):
        check_set(purezmq.ROUTER_MANDATORY, purezmq.PUSH, 1)
    assert check_get(purezmq.TOPICS_COUNT, purezmq.SUB).attr == "topics_count"
    with pytest.raises(purezmq.ZMQError):
        check_get(purezmq.SUBSCRIBE, purezmq.SUB)


def test_options_set_and_get_stay_with_their_rows() -> None:
    opts = Options(purezmq.SUB)
    assert opts.set(purezmq.SNDHWM, 5) and opts.sndhwm == 5 and opts.get(purezmq.SNDHWM) == 5
    assert opts.set(purezmq.SUBSCRIBE, b"x") is False  # held by the pattern
    with pytest.raises(purezmq.ZMQError):
        opts.get(purezmq.TOPICS_COUNT)
    opts.set(purezmq.PLAIN_USERNAME, b"user")
    assert opts.mechanism == 1 and opts.plain_server == 0
