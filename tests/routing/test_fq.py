"""FairQueue: fairness, multipart atomicity, parking, lossless termination."""

from __future__ import annotations

from typing import Any, Callable

from hypothesis import given, settings
from hypothesis import strategies as st

from purezmq.routing import FairQueue, Pipe, pipe_pair
from tests.testing import check_pipe_array, recv_all


class Owner:
    """A socket that owns a FairQueue: notifications delegate in one line."""

    def __init__(self) -> None:
        self.fq = FairQueue()

    def read_activated(self, pipe: Pipe) -> None:
        self.fq.activated(pipe)

    def write_activated(self, pipe: Pipe) -> None:
        pass

    def pipe_terminated(self, pipe: Pipe) -> None:
        self.fq.pipe_terminated(pipe)

    def connect(self, hwm: int = 0, post: Any = None) -> tuple[Pipe, Pipe]:
        """Attach a new pipe; returns (our end, the peer's end)."""
        peer, ours = pipe_pair(hwm, 0)
        ours.bind(self, post or ours.post)
        self.fq.attach(ours)
        return ours, peer


def check_invariants(fq: FairQueue) -> None:
    check_pipe_array(fq)
    pipes = fq._pipes
    assert fq._current == 0 or fq._current < fq._active
    assert fq._draining <= set(pipes)
    for p in pipes[fq._active :]:  # a parked pipe must be owed a wake-up
        assert p._in.reader_asleep or (not p.has_in() and p.terminated)


def test_empty_queue() -> None:
    fq = FairQueue()
    assert fq.recv() is None
    assert fq.recv_pipe() is None
    assert not fq.has_in()


def test_fairness_equal_queues() -> None:
    o = Owner()
    peers = [o.connect()[1] for _ in range(3)]
    for name, p in zip("abc", peers):
        for i in range(3):
            p.write([b"%s%d" % (name.encode(), i)])
    got = [m[0] for m in recv_all(o.fq)]
    assert got == [b"a0", b"b0", b"c0", b"a1", b"b1", b"c1", b"a2", b"b2", b"c2"]
    check_invariants(o.fq)


def test_fairness_uneven_queues() -> None:
    o = Owner()
    _, pa = o.connect()
    _, pb = o.connect()
    _, pc = o.connect()
    for i in range(4):
        pa.write([b"a%d" % i])
    pb.write([b"b0"])
    pc.write([b"c0"])
    pc.write([b"c1"])
    got = [m[0] for m in recv_all(o.fq)]
    # one per pipe per turn; exhausted pipes drop out of the rotation
    assert got == [b"a0", b"b0", b"c0", b"a1", b"c1", b"a2", b"a3"]
    assert o.fq.active_count == 0
    check_invariants(o.fq)


def test_fairness_many_pipes_long_run() -> None:
    o = Owner()
    peers = [o.connect()[1] for _ in range(5)]
    for p in peers:
        for i in range(200):
            p.write([i])
    counts = {id(p): 0 for p in peers}
    for _ in range(500):  # half of everything
        _m, pipe = o.fq.recv_pipe()  # type: ignore[misc]
        counts[id(pipe.peer)] += 1
    assert sorted(counts.values()) == [100] * 5


def test_multipart_atomicity() -> None:
    o = Owner()
    _, p1 = o.connect()
    _, p2 = o.connect()
    m1, m2, m3 = [b"a", b"b", b"c"], [b"x", b"y"], [b"", b"z"]
    p1.write(m1)
    p1.write(m3)
    p2.write(m2)
    assert recv_all(o.fq) == [m1, m2, m3]


def test_recv_pipe_reports_the_pipe() -> None:
    o = Owner()
    a1, p1 = o.connect()
    a2, p2 = o.connect()
    p2.write([b"2"])
    p1.write([b"1"])
    assert o.fq.recv_pipe() == ([b"1"], a1)
    assert o.fq.recv_pipe() == ([b"2"], a2)
    assert o.fq.recv_pipe() is None


def test_empty_pipe_parked_then_reactivated() -> None:
    o = Owner()
    _a1, p1 = o.connect()
    _a2, p2 = o.connect()
    assert o.fq.recv() is None  # both polled, both asleep
    assert o.fq.active_count == 0
    p2.write([b"x"])  # read_activated -> fq.activated
    assert o.fq.active_count == 1
    assert o.fq.recv() == [b"x"]
    assert o.fq.recv() is None
    p1.write([b"y"])
    p2.write([b"z"])
    assert sorted(m[0] for m in recv_all(o.fq)) == [b"y", b"z"]
    check_invariants(o.fq)


def test_activated_is_idempotent() -> None:
    o = Owner()
    a1, _p1 = o.connect()
    o.fq.activated(a1)  # already active
    assert o.fq.active_count == 1
    stranger, _ = pipe_pair(0, 0)
    o.fq.activated(stranger)
    assert len(o.fq) == 1
    o.fq.attach(a1)
    assert len(o.fq) == 1
    assert o.fq.recv() is None
    o.fq.activated(a1)  # spurious wake-up: pipe active but empty
    o.fq.activated(a1)
    assert o.fq.active_count == 1
    assert o.fq.recv() is None
    assert o.fq.active_count == 0
    check_invariants(o.fq)


def test_has_in_parks_empty_pipes_with_wakeup_armed() -> None:
    """A False has_in must be safe to sleep on: every empty pipe is parked with
    its reader_asleep flag set, so the next write wakes the owner."""
    o = Owner()
    _a1, p1 = o.connect()
    _a2, p2 = o.connect()
    assert not o.fq.has_in()
    assert o.fq.active_count == 0  # both parked, wake-ups armed
    p2.write([b"x"])  # the armed wake-up reactivates a2
    assert o.fq.has_in()
    assert o.fq.recv() == [b"x"]
    assert not o.fq.has_in()
    assert o.fq.recv() is None
    p1.write([b"y"])
    assert o.fq.has_in()
    assert o.fq.recv() == [b"y"]


def test_terminate_with_queued_messages_delivers_them_all() -> None:
    o = Owner()
    a1, p1 = o.connect()
    _a2, p2 = o.connect()
    for i in range(3):
        p1.write([b"p1-%d" % i])
    p2.write([b"p2-0"])
    p1.close()  # -> a1.pipe_terminated -> fq keeps draining it
    assert a1.terminated
    assert len(o.fq) == 2
    got = [m[0] for m in recv_all(o.fq)]
    assert got == [b"p1-0", b"p2-0", b"p1-1", b"p1-2"]
    assert len(o.fq) == 1  # a1 forgotten once drained
    o.fq.pipe_terminated(a1)  # late duplicate: ignored
    assert len(o.fq) == 1
    check_invariants(o.fq)


def test_terminate_empty_pipe_forgets_it_at_once() -> None:
    o = Owner()
    _a1, p1 = o.connect()
    _a2, p2 = o.connect()
    p1.close()
    assert len(o.fq) == 1
    p2.write([b"x"])
    assert recv_all(o.fq) == [[b"x"]]
    check_invariants(o.fq)


def test_terminate_parked_pipe_whose_wakeup_is_late() -> None:
    """pipe_terminated may reach the queue before a read_activated that was
    posted but not run yet: the pipe is reactivated and drained anyway."""
    o = Owner()
    queued: list[tuple[Callable[..., None], tuple[Any, ...]]] = []
    _a1, p1 = o.connect(post=lambda fn, *args: queued.append((fn, args)))
    assert o.fq.recv() is None  # parked, asleep
    p1.write([b"1"])
    p1.write([b"2"])
    p1.close()
    assert [fn.__name__ for fn, _ in queued] == ["read_activated", "deliver_terminated"]
    queued[1][0]()  # run the termination first
    assert o.fq.active_count == 1
    queued[0][0](*queued[0][1])  # then the stale wake-up
    assert recv_all(o.fq) == [[b"1"], [b"2"]]
    assert len(o.fq) == 0
    check_invariants(o.fq)


def test_terminated_flag_drops_pipe_even_before_notification() -> None:
    """A drained pipe whose peer closed is forgotten even if the owner has
    not (yet) passed pipe_terminated on to the queue."""

    class Deferring(Owner):
        def pipe_terminated(self, pipe: Pipe) -> None:
            pass

    o = Deferring()
    a1, p1 = o.connect()
    p1.write([b"1"])
    p1.close()
    assert a1.terminated and len(o.fq) == 1
    assert o.fq.recv() == [b"1"]
    assert o.fq.recv() is None
    assert len(o.fq) == 0


def test_owner_initiated_termination_drains_too() -> None:
    o = Owner()
    a1, p1 = o.connect()
    p1.write([b"1"])
    o.fq.pipe_terminated(a1)  # not a peer close: a1.terminated stays False
    assert not a1.terminated
    assert recv_all(o.fq) == [[b"1"]]
    assert len(o.fq) == 0


def test_hwm_backpressure_to_writer() -> None:
    o = Owner()
    _a1, p1 = o.connect(hwm=2)
    assert p1.write([1]) and p1.write([2]) and not p1.write([3])
    woken: list[Pipe] = []

    class W:
        def read_activated(self, pipe: Pipe) -> None: ...
        def write_activated(self, pipe: Pipe) -> None:
            woken.append(pipe)

        def pipe_terminated(self, pipe: Pipe) -> None: ...

    p1.bind(W(), p1.post)
    assert o.fq.recv() == [1]
    assert woken == [p1]


ops = st.lists(
    st.one_of(
        st.tuples(st.just("attach"), st.integers(0, 9)),
        st.tuples(st.just("write"), st.integers(0, 9)),
        st.tuples(st.just("recv"), st.integers(1, 4)),
        st.tuples(st.just("close"), st.integers(0, 9)),
        st.tuples(st.just("has_in"), st.integers(0, 9)),
    ),
    max_size=60,
)


@settings(max_examples=150, deadline=None)
@given(ops)
def test_model(operations: list[tuple[str, int]]) -> None:
    """Nothing written is lost or duplicated, per-pipe order holds, recv
    returns None only when no pipe holds anything, and closed pipes are
    forgotten once drained."""
    o = Owner()
    ends: list[tuple[Pipe, Pipe]] = []
    closed: list[Pipe] = []
    written: dict[int, list[int]] = {}
    got: dict[int, list[int]] = {}
    n = 0
    for op, arg in operations:
        if op == "attach":
            a, p = o.connect()
            ends.append((a, p))
            written[id(a)] = []
            got[id(a)] = []
        elif op == "write" and ends:
            a, p = ends[arg % len(ends)]
            p.write([n])
            written[id(a)].append(n)
            n += 1
        elif op == "recv":
            for _ in range(arg):
                holding = any(a.has_in() for a, _ in ends) or any(a.has_in() for a in closed)
                assert o.fq.has_in() == holding
                r = o.fq.recv_pipe()
                assert (r is not None) == holding
                if r is not None:
                    got[id(r[1])].append(r[0][0])
        elif op == "close" and ends:
            a, p = ends.pop(arg % len(ends))
            p.close()
            closed.append(a)
        elif op == "has_in":
            o.fq.has_in()
        check_invariants(o.fq)
    for m, pipe in iter(o.fq.recv_pipe, None):
        got[id(pipe)].append(m[0])
    assert got == written
    assert len(o.fq) == len(ends)
