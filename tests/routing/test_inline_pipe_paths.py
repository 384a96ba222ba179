"""The hot paths that do a pipe's work inline (FairQueue.recv, LoadBalancer.send,
Pipe.write_lossy, Pipe.read_batch) keep every rule of `Pipe.read` / `Pipe.write`:
wake-ups on exactly the same transitions, HWM, closed pipes, conflation and
tracked frames. And the publisher's and subscriber's shortcuts past their
tries while only the empty prefix is subscribed."""

from __future__ import annotations

from typing import Any

import purezmq as zmq
from purezmq.patterns.options import Options
from purezmq.patterns.pubsub import Sub, XPub
from purezmq.routing import pipe as pipe_mod
from purezmq.routing.fq import FairQueue
from purezmq.routing.lb import LoadBalancer
from purezmq.routing.pipe import Pipe, TrackedBuffer, pipe_pair, write_lossy_each
from purezmq.routing.trie import MultiTrie
from purezmq.zmtp.events import Subscribe
from tests.routing.test_pipe import Sink
from tests.testing import CorePeer


def bound(hwm: int = 0, conflate: bool = False) -> tuple[Pipe, Sink, Pipe, Sink]:
    """(writer end, its sink, reader end, its sink); a -> b bounded by hwm."""
    a, b = pipe_pair(hwm, hwm, conflate)
    sa, sb = Sink(), Sink()
    a.bind(sa, a.post)
    b.bind(sb, b.post)
    return a, sa, b, sb


def test_fair_queue_recv_wakes_the_writer_at_the_lwm_and_arms_its_own_wakeup() -> None:
    a, sa, b, sb = bound(hwm=4)  # lwm 2
    fq = FairQueue()
    fq.attach(b)
    for i in range(4):
        assert a.write([i])
    assert not a.write([4])  # full: the writer waits for write_activated
    assert fq.recv() == [0]
    assert sa.writable == 0  # 3 left
    assert fq.recv() == [1]
    assert sa.writable == 1  # 2 left: at the LWM
    assert fq.recv() == [2] and fq.recv() == [3]
    assert fq.last is b
    assert fq.recv() is None  # dry: parked, its reader asleep
    assert a.write(b"bare")
    assert sb.readable == 1
    fq.activated(b)
    assert fq.recv() == b"bare"


def test_fair_queue_recv_releases_tracked_frames() -> None:
    a, _, b, _ = bound()
    fq = FairQueue()
    fq.attach(b)
    frame = TrackedBuffer(b"tracked")
    assert pipe_mod.tracked_live
    a.write([frame])
    assert not frame.track.event.is_set()  # held by the pipe
    assert fq.recv() == [frame]
    assert frame.track.event.is_set()  # the socket took it


def test_fair_queue_reads_a_conflating_pipe() -> None:
    a, _, b, _ = bound(conflate=True)
    fq = FairQueue()
    fq.attach(b)
    a.write(b"old")
    a.write([b"new"])
    assert fq.recv() == [b"new"]
    assert fq.recv() is None


def test_load_balancer_send_wakes_a_sleeping_reader_once() -> None:
    a, _, b, sb = bound(hwm=3)
    lb = LoadBalancer()
    lb.attach(a)
    assert b.read() is None  # the reader sleeps
    assert lb.send([1]) and lb.send([2]) and lb.send([3])
    assert sb.readable == 1
    assert not lb.send([4])  # full: parked, its write wake-up armed
    assert [b.read() for _ in range(4)] == [[1], [2], [3], None]


def test_load_balancer_send_keeps_conflation_and_closed_pipes() -> None:
    a, _, b, _ = bound(conflate=True)
    lb = LoadBalancer()
    lb.attach(a)
    assert lb.send([b"old"]) and lb.send([b"new"])
    assert b.read() == [b"new"] and b.read() is None
    c, _, _, _ = bound()
    lb2 = LoadBalancer()
    lb2.attach(c)
    c.close()
    assert not lb2.send([b"lost"])


def test_load_balancer_send_holds_tracked_frames() -> None:
    a, _, b, _ = bound()
    lb = LoadBalancer()
    lb.attach(a)
    frame = TrackedBuffer(b"tracked")
    assert lb.send([frame])
    frame.track.finish_if_unheld()
    assert not frame.track.event.is_set()  # the pipe holds it
    assert b.read() == [frame]
    assert frame.track.event.is_set()


def test_write_lossy_inline_wakes_and_refuses_until_the_lwm() -> None:
    a, sa, b, sb = bound(hwm=4)  # lwm 2
    assert b.read() is None
    assert all(a.write_lossy([i]) for i in range(4))
    assert sb.readable == 1
    assert not a.write_lossy([4])  # refused at the HWM
    assert b.read() == [0]
    assert a.write_lossy([5])  # room for one
    assert not a.write_lossy([6])  # full again: refused without a drain attempt
    assert b.read() == [1] and b.read() == [2]  # at the LWM: the writer is told
    assert sa.writable == 1
    assert a.write_lossy([7])
    assert [b.read() for _ in range(4)] == [[3], [5], [7], None]
    a.close()
    assert not a.write_lossy([8])


def test_read_batch_takes_mixed_items_in_order() -> None:
    a, _, b, sb = bound()
    items: list[Any] = [b"one", [b"two", b"parts"], Subscribe(b"t"), b"four"]
    for item in items:
        a.write(item)
    out: list[Any] = []
    assert b.read_batch(out, 3) == 3
    assert b.read_batch(out, 10) == 1
    assert out == items
    assert b.read_batch(out, 10) == 0  # dry: asleep
    a.write(b"five")
    assert sb.readable == 1


def test_multitrie_match_any_only_while_the_empty_prefix_is_alone() -> None:
    trie = MultiTrie()
    assert trie.match_any() == ()  # nobody subscribed: every message goes nowhere
    trie.add(b"", "p1")
    trie.add(b"", "p2")
    assert set(trie.match_any() or ()) == {"p1", "p2"}
    trie.add(b"topic", "p3")
    assert trie.match_any() is None  # a real prefix: walk the trie
    trie.rm(b"topic", "p3")
    assert set(trie.match_any() or ()) == {"p1", "p2"}
    trie.rm_pipe("p1")
    trie.rm_pipe("p2")
    assert trie.match_any() == ()


def test_xpub_send_with_everyone_subscribed_to_everything() -> None:
    xpub = XPub(Options(zmq.XPUB))
    peers = [CorePeer(xpub, hwm=2) for _ in range(2)]
    for peer in peers:
        peer.send(Subscribe(b""))
    assert xpub.send([b"one"]) and xpub.send([b"two"]) and xpub.send([b"three"])
    # each subscriber got what its HWM let through, in order
    assert [peer.drain() for peer in peers] == [[[b"one"], [b"two"]]] * 2
    late = CorePeer(xpub)
    late.send(Subscribe(b"t"))  # a real prefix: back to the trie walk
    assert xpub.send([b"tea"]) and xpub.send([b"coffee"])
    assert late.drain() == [[b"tea"]]
    assert [peer.drain() for peer in peers] == [[[b"tea"], [b"coffee"]]] * 2


def test_write_lossy_each_keeps_every_rule_of_write_lossy() -> None:
    roomy, _, roomy_r, roomy_sink = bound()
    full, full_sink, full_r, _ = bound(hwm=1)
    closed, _, _, _ = bound()
    merged, _, merged_r, _ = bound(conflate=True)
    closed.close()
    assert roomy_r.read() is None  # asleep: the first write wakes it
    assert full.write([b"first"])
    merged.write([b"stale"])
    write_lossy_each([roomy, full, closed, merged], [b"m"])
    assert roomy_sink.readable == 1
    assert [roomy_r.read(), roomy_r.read()] == [[b"m"], None]
    assert [full_r.read(), full_r.read()] == [[b"first"], None]  # dropped at HWM
    assert full_sink.writable == 1  # the refusal armed the wake-up
    assert [merged_r.read(), merged_r.read()] == [[b"m"], None]  # conflated


def test_sub_takes_everything_while_the_empty_prefix_is_subscribed() -> None:
    sub = Sub(Options(zmq.SUB))
    peer = CorePeer(sub)
    for topic in (b"", b"", b"a"):
        sub.set_option(zmq.SUBSCRIBE, topic)
    for item in (b"a1", [b"b1", b"x"], b"c1"):
        peer.send(item)
    assert [sub.recv() for _ in range(4)] == [b"a1", [b"b1", b"x"], b"c1", None]
    sub.set_option(zmq.UNSUBSCRIBE, b"")  # subscribed twice: still everything
    peer.send(b"b2")
    assert sub.recv() == b"b2"
    sub.set_option(zmq.UNSUBSCRIBE, b"")  # now only "a"
    for item in (b"b3", b"a3"):
        peer.send(item)
    assert [sub.recv(), sub.recv()] == [b"a3", None]
    sub.set_option(zmq.SUBSCRIBE, b"")
    opts = sub.options
    opts.invert_matching = True  # everything subscribed, inverted: nothing
    peer.send(b"a4")
    assert sub.recv() is None
