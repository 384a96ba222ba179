"""Distributor: fan-out to all / matching pipes, drop at HWM, no copies."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from purezmq.routing import Distributor, MultiTrie, Pipe, pipe_pair
from tests.testing import check_pipe_array, drain_pipe


class Owner:
    """A socket that owns a Distributor: notifications delegate in one line."""

    def __init__(self) -> None:
        self.dist = Distributor()

    def read_activated(self, pipe: Pipe) -> None:
        pass

    def write_activated(self, pipe: Pipe) -> None:
        self.dist.activated(pipe)

    def pipe_terminated(self, pipe: Pipe) -> None:
        self.dist.pipe_terminated(pipe)

    def connect(self, hwm: int = 0) -> tuple[Pipe, Pipe]:
        ours, peer = pipe_pair(hwm, 0)
        ours.bind(self, ours.post)
        self.dist.attach(ours)
        return ours, peer


def check_invariants(d: Distributor) -> None:
    check_pipe_array(d)
    assert 0 <= d._matching <= d._active


def test_no_pipes() -> None:
    d = Distributor()
    assert d.send_to_all([b"x"]) == 0
    assert d.send_to_matching([b"x"]) == 0
    assert d.has_out()
    assert d.check_hwm()


def test_send_to_all_shares_one_message_object() -> None:
    o = Owner()
    peers = [o.connect()[1] for _ in range(3)]
    msg = [b"topic", b"body"]
    assert o.dist.send_to_all(msg) == 3
    got = [p.read() for p in peers]
    assert all(m is msg for m in got)  # no copy per subscriber
    assert o.dist.matching_count == 0
    check_invariants(o.dist)


def test_send_to_matching() -> None:
    o = Owner()
    ends = [o.connect() for _ in range(4)]
    o.dist.match(ends[1][0])
    o.dist.match(ends[3][0])
    o.dist.match(ends[3][0])  # idempotent
    assert o.dist.matching_count == 2
    assert o.dist.send_to_matching([b"m"]) == 2
    assert [len(drain_pipe(p)) for _, p in ends] == [0, 1, 0, 1]
    assert o.dist.matching_count == 2  # kept until unmatch, as libzmq
    o.dist.unmatch()
    assert o.dist.send_to_matching([b"m"]) == 0
    assert [len(drain_pipe(p)) for _, p in ends] == [0, 0, 0, 0]
    check_invariants(o.dist)


def test_full_pipe_misses_messages_and_never_blocks() -> None:
    o = Owner()
    _a1, p1 = o.connect(hwm=2)  # lwm 1
    _a2, p2 = o.connect()
    for i in range(5):
        assert o.dist.send_to_all([i]) == (2 if i < 2 else 1)
    assert o.dist.active_count == 1  # a1 parked after its first refusal
    assert drain_pipe(p2) == [[i] for i in range(5)]
    assert p1.read() == [0]  # at the LWM: write_activated -> dist.activated
    assert o.dist.active_count == 2
    assert o.dist.send_to_all([5]) == 2
    assert drain_pipe(p1) == [[1], [5]]
    check_invariants(o.dist)


def test_failures_in_the_middle_of_the_matching_set() -> None:
    o = Owner()
    ends = [o.connect(hwm=1 if i % 2 else 0) for i in range(6)]
    for a, _ in ends:
        o.dist.match(a)
    assert o.dist.send_to_matching([0]) == 6
    assert o.dist.send_to_matching([1]) == 3  # the three hwm=1 pipes refuse
    assert o.dist.matching_count == 3 and o.dist.active_count == 3
    check_invariants(o.dist)
    assert [len(drain_pipe(p)) for _, p in ends] == [2, 1, 2, 1, 2, 1]
    assert o.dist.active_count == 6  # all woken
    assert o.dist.matching_count == 3  # woken pipes do not rejoin the match
    check_invariants(o.dist)


def test_match_ignores_parked_and_unknown_pipes() -> None:
    o = Owner()
    a1, _p1 = o.connect(hwm=1)
    o.dist.send_to_all([0])
    o.dist.send_to_all([1])  # a1 parked
    o.dist.match(a1)
    stranger, _ = pipe_pair(0, 0)
    o.dist.match(stranger)
    assert o.dist.matching_count == 0
    check_invariants(o.dist)


def test_activated_is_idempotent() -> None:
    o = Owner()
    a1, _ = o.connect()
    a2, _ = o.connect()
    o.dist.match(a2)
    o.dist.activated(a1)
    o.dist.activated(a2)
    stranger, _ = pipe_pair(0, 0)
    o.dist.activated(stranger)
    assert (o.dist.active_count, o.dist.matching_count, len(o.dist)) == (2, 1, 2)
    o.dist.attach(a1)
    assert len(o.dist) == 2
    o.dist.pipe_terminated(a1)
    o.dist.activated(a1)
    assert (o.dist.active_count, o.dist.matching_count, len(o.dist)) == (1, 1, 1)
    check_invariants(o.dist)


def test_pipe_terminated_while_matching() -> None:
    o = Owner()
    ends = [o.connect() for _ in range(3)]
    for a, _ in ends:
        o.dist.match(a)
    ends[0][1].close()  # -> pipe_terminated
    assert (o.dist.matching_count, o.dist.active_count, len(o.dist)) == (2, 2, 2)
    assert o.dist.send_to_matching([b"x"]) == 2
    assert [len(drain_pipe(p)) for _, p in ends] == [0, 1, 1]
    o.dist.pipe_terminated(ends[0][0])  # idempotent
    check_invariants(o.dist)


def test_pipe_terminated_while_parked() -> None:
    o = Owner()
    a1, _p1 = o.connect(hwm=1)
    _a2, _p2 = o.connect()
    o.dist.send_to_all([0])
    o.dist.send_to_all([1])
    assert o.dist.active_count == 1
    o.dist.pipe_terminated(a1)
    assert (o.dist.active_count, len(o.dist)) == (1, 1)
    check_invariants(o.dist)


def test_check_hwm() -> None:
    o = Owner()
    a1, p1 = o.connect(hwm=1)
    _a2, _p2 = o.connect(hwm=1)
    o.dist.match(a1)
    assert o.dist.check_hwm()
    o.dist.send_to_matching([0])
    assert not o.dist.check_hwm()  # a1 is full: XPUB_NODROP refuses the send
    assert o.dist.active_count == 2  # not parked, only a wake-up armed
    woken: list[Pipe] = []

    class Recording(Owner):
        def write_activated(self, pipe: Pipe) -> None:
            woken.append(pipe)

    a1.bind(Recording(), a1.post)
    p1.read()
    assert woken == [a1]  # the socket learns it may retry
    assert o.dist.check_hwm()


def test_reverse_match() -> None:
    o = Owner()
    ends = [o.connect() for _ in range(4)]
    o.dist.match(ends[0][0])
    o.dist.match(ends[2][0])
    o.dist.reverse_match()
    assert o.dist.matching_count == 2
    o.dist.send_to_matching([b"x"])
    assert [len(drain_pipe(p)) for _, p in ends] == [0, 1, 0, 1]
    check_invariants(o.dist)


def test_xpub_shape_with_multitrie() -> None:
    """How XPUB composes MultiTrie.match with Distributor.match."""
    o = Owner()
    ends = [o.connect() for _ in range(3)]
    subs = MultiTrie()
    subs.add(b"a", ends[0][0])
    subs.add(b"ab", ends[0][0])
    subs.add(b"ab", ends[1][0])
    subs.add(b"b", ends[2][0])
    msg = [b"abc", b"payload"]
    subs.match(msg[0], o.dist.match)
    assert o.dist.send_to_matching(msg) == 2
    o.dist.unmatch()
    assert [len(drain_pipe(p)) for _, p in ends] == [1, 1, 0]


ops = st.lists(
    st.one_of(
        st.tuples(st.just("attach"), st.integers(0, 3)),
        st.tuples(st.just("match"), st.integers(0, 9)),
        st.tuples(st.just("unmatch"), st.just(0)),
        st.tuples(st.just("reverse"), st.just(0)),
        st.tuples(st.just("send_matching"), st.just(0)),
        st.tuples(st.just("send_all"), st.just(0)),
        st.tuples(st.just("read"), st.integers(0, 9)),
        st.tuples(st.just("close"), st.integers(0, 9)),
    ),
    max_size=60,
)


@settings(max_examples=150, deadline=None)
@given(ops)
def test_model(operations: list[tuple[str, int]]) -> None:
    """Model: a pipe is active iff it has no refused write pending; a send
    reaches exactly the matching pipes with room, and parks the others."""
    o = Owner()
    ends: list[tuple[Pipe, Pipe]] = []
    matching: set[Pipe] = set()
    expected: dict[Pipe, list[int]] = {}
    got: dict[Pipe, list[int]] = {}
    n = 0

    def blocked(a: Pipe) -> bool:
        return a._out.writer_blocked

    def send(targets: set[Pipe], fn: Any) -> None:
        nonlocal n
        room = {a for a in targets if a._out.hwm == 0 or a.queued_out() < a._out.hwm}
        assert fn([n]) == len(room)
        for a in room:
            expected[a].append(n)
        n += 1

    for op, arg in operations:
        active = {a for a, _ in ends if not blocked(a)}
        if op == "attach":
            a, p = o.connect(hwm=arg)
            ends.append((a, p))
            expected[a] = []
            got[a] = []
        elif op == "match" and ends:
            a = ends[arg % len(ends)][0]
            o.dist.match(a)
            if a in active:
                matching.add(a)
        elif op == "unmatch":
            o.dist.unmatch()
            matching.clear()
        elif op == "reverse":
            o.dist.reverse_match()
            matching = active - matching
        elif op == "send_matching":
            send(matching, o.dist.send_to_matching)
            matching = {a for a in matching if not blocked(a)}
        elif op == "send_all":
            send(active, o.dist.send_to_all)
            matching.clear()
        elif op == "read" and ends:
            a, p = ends[arg % len(ends)]
            m = p.read()
            if m is not None:
                got[a].append(m[0])
        elif op == "close" and ends:
            a, p = ends.pop(arg % len(ends))
            got[a].extend(m[0] for m in drain_pipe(p))
            p.close()
            matching.discard(a)
        check_invariants(o.dist)
        assert set(o.dist._pipes[: o.dist.matching_count]) == matching
        assert set(o.dist._pipes[: o.dist.active_count]) == {a for a, _ in ends if not blocked(a)}
    for a, p in ends:
        got[a].extend(m[0] for m in drain_pipe(p))
    assert got == expected
