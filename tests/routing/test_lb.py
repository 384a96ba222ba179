"""LoadBalancer: round-robin, HWM parking and re-activation, termination."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from purezmq.routing import LoadBalancer, Pipe, pipe_pair
from tests.testing import check_pipe_array, drain_pipe


class Owner:
    """A socket that owns a LoadBalancer: notifications delegate in one line."""

    def __init__(self) -> None:
        self.lb = LoadBalancer()

    def read_activated(self, pipe: Pipe) -> None:
        pass

    def write_activated(self, pipe: Pipe) -> None:
        self.lb.activated(pipe)

    def pipe_terminated(self, pipe: Pipe) -> None:
        self.lb.pipe_terminated(pipe)

    def connect(self, hwm: int = 0) -> tuple[Pipe, Pipe]:
        """Attach a new pipe; returns (our end, the peer's end)."""
        ours, peer = pipe_pair(hwm, 0)
        ours.bind(self, ours.post)
        self.lb.attach(ours)
        return ours, peer


def check_invariants(lb: LoadBalancer) -> None:
    check_pipe_array(lb)
    assert lb._current == 0 or lb._current < lb._active


def test_empty_balancer() -> None:
    lb = LoadBalancer()
    assert not lb.send([b"x"])
    assert lb.send_pipe([b"x"]) is None
    assert not lb.has_out()
    assert len(lb) == 0


def test_round_robin() -> None:
    o = Owner()
    peers = [o.connect()[1] for _ in range(3)]
    for i in range(9):
        assert o.lb.send([b"%d" % i])
    assert [drain_pipe(p) for p in peers] == [
        [[b"0"], [b"3"], [b"6"]],
        [[b"1"], [b"4"], [b"7"]],
        [[b"2"], [b"5"], [b"8"]],
    ]
    check_invariants(o.lb)


def test_multipart_message_is_one_item() -> None:
    o = Owner()
    _, p1 = o.connect()
    _, p2 = o.connect()
    m1, m2 = [b"a", b"b", b"c"], [b"d", b"e"]
    o.lb.send(m1)
    o.lb.send(m2)
    assert drain_pipe(p1) == [m1] and drain_pipe(p2) == [m2]


def test_send_pipe_reports_the_pipe() -> None:
    o = Owner()
    a1, _ = o.connect()
    a2, _ = o.connect()
    assert o.lb.send_pipe([b"x"]) is a1
    assert o.lb.send_pipe([b"x"]) is a2
    assert o.lb.send_pipe([b"x"]) is a1


def test_full_pipe_is_skipped_then_reactivated() -> None:
    o = Owner()
    a1, p1 = o.connect(hwm=2)  # lwm 1
    a2, p2 = o.connect(hwm=0)
    for i in range(6):
        assert o.lb.send([i])
    # a1 took 0 and 2; refused 4, so it is parked and a2 took 4, 5 too
    assert o.lb.active_count == 1
    assert drain_pipe(p2) == [[1], [3], [4], [5]]
    assert p1.read() == [0]  # 1 left: at the LWM -> write_activated
    assert o.lb.active_count == 2
    assert o.lb.send_pipe([6]) is a2  # parking swapped a2 to the front
    assert o.lb.send_pipe([7]) is a1
    assert drain_pipe(p1) == [[2], [7]]
    assert drain_pipe(p2) == [[6]]
    check_invariants(o.lb)


def test_all_full_returns_false_and_has_out_false() -> None:
    o = Owner()
    _a1, _p1 = o.connect(hwm=1)
    a2, p2 = o.connect(hwm=1)
    assert o.lb.send([1]) and o.lb.send([2])
    assert not o.lb.has_out()  # check_write finds both full and parks them
    assert o.lb.active_count == 0
    assert not o.lb.send([3])
    assert not o.lb.has_out()
    assert o.lb.send_pipe([3]) is None
    p2.read()
    assert o.lb.has_out()
    assert o.lb.send_pipe([3]) is a2
    check_invariants(o.lb)


def test_has_out_parks_full_pipes_without_losing_wakeup() -> None:
    o = Owner()
    _a1, p1 = o.connect(hwm=1)
    assert o.lb.send([1])
    assert not o.lb.has_out()  # check_write found it full: parked, wake-up armed
    assert o.lb.active_count == 0
    p1.read()
    assert o.lb.active_count == 1 and o.lb.has_out()


def test_activated_is_idempotent() -> None:
    o = Owner()
    a1, _p1 = o.connect()
    a2, _p2 = o.connect()
    o.lb.activated(a1)  # already active
    o.lb.activated(a1)
    assert o.lb.active_count == 2
    stranger, _ = pipe_pair(0, 0)
    o.lb.activated(stranger)  # unknown pipe
    assert len(o.lb) == 2 and o.lb.active_count == 2
    o.lb.pipe_terminated(a1)
    o.lb.activated(a1)  # removed pipe
    assert len(o.lb) == 1 and o.lb.active_count == 1
    o.lb.attach(a2)  # attach twice: no duplicate
    assert len(o.lb) == 1
    check_invariants(o.lb)


def test_peer_close_removes_pipe() -> None:
    o = Owner()
    _a1, p1 = o.connect()
    a2, p2 = o.connect()
    _a3, p3 = o.connect()
    assert o.lb.send([0])  # -> a1, current now a2
    p2.close()  # a2.pipe_terminated -> lb forgets it
    assert a2.terminated and len(o.lb) == 2
    for i in range(1, 5):
        assert o.lb.send([i])
    assert len(drain_pipe(p1)) + len(drain_pipe(p3)) == 5
    assert drain_pipe(p2) == []
    o.lb.pipe_terminated(a2)  # idempotent
    check_invariants(o.lb)


def test_terminate_parked_pipe() -> None:
    o = Owner()
    a1, p1 = o.connect(hwm=1)
    _a2, _p2 = o.connect()
    o.lb.send([1])
    o.lb.send([2])
    o.lb.send([3])  # a1 refuses -> parked
    assert o.lb.active_count == 1
    o.lb.pipe_terminated(a1)
    assert len(o.lb) == 1 and o.lb.active_count == 1
    p1.read()  # the wake-up now arrives for a forgotten pipe: ignored
    assert len(o.lb) == 1 and o.lb.active_count == 1
    check_invariants(o.lb)


def test_fairness_many_pipes() -> None:
    o = Owner()
    peers = [o.connect()[1] for _ in range(7)]
    for i in range(700):
        o.lb.send([i])
    assert [len(drain_pipe(p)) for p in peers] == [100] * 7


ops = st.lists(
    st.one_of(
        st.tuples(st.just("attach"), st.integers(1, 3)),
        st.tuples(st.just("send"), st.integers(1, 4)),
        st.tuples(st.just("read"), st.integers(0, 9)),
        st.tuples(st.just("close"), st.integers(0, 9)),
    ),
    max_size=60,
)


@settings(max_examples=150, deadline=None)
@given(ops)
def test_model(operations: list[tuple[str, int]]) -> None:
    """Every message lands in exactly one pipe; the active set is exactly the
    pipes with no refused write pending (a refusal arms the pipe's
    ``writer_blocked`` wake-up, which fires once it drains to the LWM); send
    fails only when no such pipe has room."""
    o = Owner()
    ends: list[tuple[Pipe, Pipe]] = []
    sent = received = 0
    for op, arg in operations:
        if op == "attach":
            ends.append(o.connect(hwm=arg))
        elif op == "send":
            for _ in range(arg):
                expect = any(
                    not a._out.writer_blocked and a.queued_out() < a._out.hwm for a, _ in ends
                )
                ok = o.lb.send([sent])
                assert ok == expect
                sent += ok
        elif op == "read" and ends:
            received += ends[arg % len(ends)][1].read() is not None
        elif op == "close" and ends:
            a, p = ends.pop(arg % len(ends))
            received += len(drain_pipe(p))
            p.close()
            assert a.terminated
        check_invariants(o.lb)
        assert len(o.lb) == len(ends)
        active = set(o.lb._pipes[: o.lb.active_count])
        assert active == {a for a, _ in ends if not a._out.writer_blocked}
    received += sum(len(drain_pipe(p)) for _, p in ends)
    assert received == sent
