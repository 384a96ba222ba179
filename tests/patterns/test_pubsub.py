"""PUB/SUB/XPUB/XSUB cores with in-memory pipes: no threads, no sockets.

Each peer is the far end of a pipe pair whose notifications run at once, so
every call below is synchronous and deterministic."""

from __future__ import annotations

import errno
import time
from typing import Any

import pytest

import purezmq as zmq
from purezmq.patterns.options import Options
from purezmq.patterns.pubsub import Pub, Sub, XPub, XSub
from purezmq.routing.pipe import pipe_pair
from purezmq.zmtp.events import Cancel, Message, Subscribe
from tests.testing import CorePeer as Peer
from tests.testing import recv_all, run_now


def core(cls: Any, kind: int) -> Any:
    return cls(Options(kind))


# ---------------------------------------------------------------------------
# Publisher side
# ---------------------------------------------------------------------------


def test_pub_filters_by_prefix_per_subscriber() -> None:
    pub = core(Pub, zmq.PUB)
    a, b, c = Peer(pub), Peer(pub), Peer(pub)
    a.send(Subscribe(b"ab"))
    b.send(Subscribe(b""))
    for topic in (b"a", b"ab", b"abc", b"b", b""):
        assert pub.send([topic, b"body"])
    assert [m[0] for m in a.drain()] == [b"ab", b"abc"]
    assert [m[0] for m in b.drain()] == [b"a", b"ab", b"abc", b"b", b""]
    assert c.drain() == []  # no subscription: nothing (the slow joiner)


def test_pub_sends_one_message_object_to_every_subscriber() -> None:
    pub = core(Pub, zmq.PUB)
    peers = [Peer(pub) for _ in range(3)]
    for p in peers:
        p.send(Subscribe(b"t"))
    msg = [b"t", b"x" * 100]
    pub.send(msg)
    got = [p.drain()[0] for p in peers]
    assert all(m is msg for m in got)  # no copy per subscriber


def test_pub_accepts_30_subscription_messages() -> None:
    """A 3.0 peer's \\x01topic message, if it reaches the core, counts too."""
    pub = core(Pub, zmq.PUB)
    a = Peer(pub)
    a.send(Message([b"\x01x"]))
    pub.send([b"xy"])
    pub.send([b"y"])
    assert a.drain() == [[b"xy"]]
    a.send(Message([b"\x00x"]))
    pub.send([b"xy"])
    assert a.drain() == []


def test_pub_one_pipe_subscribing_twice_is_one_subscription() -> None:
    pub = core(XPub, zmq.XPUB)
    a = Peer(pub)
    a.send(Subscribe(b"a"))
    a.send(Subscribe(b"a"))
    assert recv_all(pub) == [[b"\x01a"]]
    a.send(Cancel(b"a"))
    assert recv_all(pub) == [[b"\x00a"]]
    pub.send([b"a"])
    assert a.drain() == []


def test_pub_drops_at_hwm_and_resumes() -> None:
    pub = core(Pub, zmq.PUB)
    slow = Peer(pub, hwm=3)
    fast = Peer(pub, hwm=0)
    slow.send(Subscribe(b""))
    fast.send(Subscribe(b""))
    for i in range(10):
        assert pub.send([b"%d" % i])  # never blocks
    assert len(slow.drain()) == 3
    assert len(fast.drain()) == 10
    # drained below the LWM: write_activated re-activates the pipe
    assert pub.send([b"again"])
    assert slow.drain() == [[b"again"]]


def test_xpub_nodrop_refuses_instead_of_dropping() -> None:
    pub = core(XPub, zmq.XPUB)
    pub.set_option(zmq.XPUB_NODROP, 1)
    slow = Peer(pub, hwm=2)
    slow.send(Subscribe(b""))
    recv_all(pub)
    assert pub.send([b"1"]) and pub.send([b"2"])
    assert not pub.send([b"3"])  # EAGAIN in the sugar layer
    slow.drain()
    assert pub.send([b"3"])
    assert slow.drain() == [[b"3"]]


def test_xpub_delivers_first_subscribe_and_last_cancel() -> None:
    pub = core(XPub, zmq.XPUB)
    a, b = Peer(pub), Peer(pub)
    a.send(Subscribe(b"t"))
    b.send(Subscribe(b"t"))
    assert recv_all(pub) == [[b"\x01t"]]
    a.send(Cancel(b"t"))
    assert recv_all(pub) == []
    b.send(Cancel(b"t"))
    assert recv_all(pub) == [[b"\x00t"]]
    b.send(Cancel(b"never"))  # libzmq 4.3.5 reports an unknown cancel too
    assert recv_all(pub) == [[b"\x00never"]]


@pytest.mark.parametrize("option", [zmq.XPUB_VERBOSE, zmq.XPUB_VERBOSER])
def test_xpub_verbose_and_verboser(option: int) -> None:
    pub = core(XPub, zmq.XPUB)
    pub.set_option(option, 1)
    a, b = Peer(pub), Peer(pub)
    a.send(Subscribe(b"t"))
    b.send(Subscribe(b"t"))
    assert recv_all(pub) == [[b"\x01t"], [b"\x01t"]]
    a.send(Cancel(b"t"))
    expected = [[b"\x00t"]] if option == zmq.XPUB_VERBOSER else []
    assert recv_all(pub) == expected
    b.send(Cancel(b"t"))
    assert recv_all(pub) == [[b"\x00t"]]


def test_xpub_reports_topics_of_a_closed_subscriber() -> None:
    pub = core(XPub, zmq.XPUB)
    a, b = Peer(pub), Peer(pub)
    a.send(Subscribe(b"x"))
    a.send(Subscribe(b"shared"))
    b.send(Subscribe(b"shared"))
    recv_all(pub)
    a.close()
    assert recv_all(pub) == [[b"\x00x"]]
    assert pub.get_option(zmq.TOPICS_COUNT) == 1


def test_xpub_passes_upstream_messages_pub_drops_them() -> None:
    xpub = core(XPub, zmq.XPUB)
    Peer(xpub).send(Message([b"hello", b"world"]))
    assert recv_all(xpub) == [[b"hello", b"world"]]
    pub = core(Pub, zmq.PUB)
    Peer(pub).send(Message([b"hello"]))
    assert not pub.has_in()
    with pytest.raises(zmq.ZMQError) as exc:
        pub.recv()
    assert exc.value.errno == errno.ENOTSUP


def test_xpub_welcome_message() -> None:
    pub = core(XPub, zmq.XPUB)
    pub.set_option(zmq.XPUB_WELCOME_MSG, b"WELCOME")
    a = Peer(pub)
    assert a.drain() == [[b"WELCOME"]]
    pub.set_option(zmq.XPUB_WELCOME_MSG, b"")
    assert Peer(pub).drain() == []


def test_xpub_manual_subscriptions_follow_the_app() -> None:
    pub = core(XPub, zmq.XPUB)
    pub.set_option(zmq.XPUB_MANUAL, 1)
    a = Peer(pub)
    a.send(Subscribe(b"topic"))
    a.send(Subscribe(b"topic"))  # manual mode reports everything
    assert pub.recv() == [b"\x01topic"]
    pub.send([b"topic"])
    assert a.drain() == []  # nothing applied yet
    pub.set_option(zmq.SUBSCRIBE, b"top")  # acts on the pipe of the last recv
    pub.send([b"topic"])
    pub.send([b"other"])
    assert a.drain() == [[b"topic"]]
    assert pub.recv() == [b"\x01topic"]
    pub.set_option(zmq.UNSUBSCRIBE, b"top")
    pub.send([b"topic"])
    assert a.drain() == []
    a.close()
    assert recv_all(pub) == [[b"\x00topic"]]


def test_xpub_manual_last_value_sends_only_to_the_new_subscriber() -> None:
    pub = core(XPub, zmq.XPUB)
    pub.set_option(zmq.XPUB_MANUAL_LAST_VALUE, 1)
    a, b = Peer(pub), Peer(pub)
    a.send(Subscribe(b"t"))
    assert pub.recv() == [b"\x01t"]
    pub.set_option(zmq.SUBSCRIBE, b"t")
    b.send(Subscribe(b"t"))
    assert pub.recv() == [b"\x01t"]
    pub.set_option(zmq.SUBSCRIBE, b"t")
    pub.send([b"t", b"last value"])  # only b, the pipe just read
    assert a.drain() == [] and b.drain() == [[b"t", b"last value"]]
    pub.send([b"t", b"next"])  # then everyone again
    assert a.drain() == [[b"t", b"next"]] and b.drain() == [[b"t", b"next"]]


def test_xpub_subscribe_option_needs_manual() -> None:
    pub = core(XPub, zmq.XPUB)
    assert pub.set_option(zmq.SUBSCRIBE, b"x") is False  # sugar turns it into EINVAL
    with pytest.raises(zmq.ZMQError):
        pub.set_option(zmq.XPUB_VERBOSE, -1)


def test_xpub_invert_matching() -> None:
    opts = Options(zmq.XPUB)
    opts.set(zmq.INVERT_MATCHING, 1)
    pub = XPub(opts)
    a, b = Peer(pub), Peer(pub)
    a.send(Subscribe(b"a"))
    b.send(Subscribe(b"b"))
    pub.send([b"apple"])
    assert a.drain() == [] and b.drain() == [[b"apple"]]


def test_publish_cost_does_not_grow_with_non_matching_subscriptions() -> None:
    def per_message(n_topics: int) -> float:
        pub = core(Pub, zmq.PUB)
        peers = [Peer(pub) for _ in range(4)]
        for i in range(n_topics):
            peers[i % 4].send(Subscribe(b"topic/%06d" % i))
        peers[0].send(Subscribe(b"hit"))
        msg = [b"hit/now", b"x"]
        best = float("inf")
        for _ in range(5):
            t = time.perf_counter()
            for _ in range(2000):
                pub.send(msg)
            best = min(best, time.perf_counter() - t)
            peers[0].drain()
        return best

    few = per_message(4)
    many = per_message(20000)
    assert many < few * 3, (few, many)  # a scan over subscriptions would be ~1000x


# ---------------------------------------------------------------------------
# Subscriber side
# ---------------------------------------------------------------------------


def test_sub_subscriptions_are_counted() -> None:
    sub = core(Sub, zmq.SUB)
    up = Peer(sub)
    sub.set_option(zmq.SUBSCRIBE, b"a")
    sub.set_option(zmq.SUBSCRIBE, b"a")
    sub.set_option(zmq.UNSUBSCRIBE, b"a")
    # every subscribe goes upstream (XPUB de-duplicates); the cancel waits
    assert up.drain() == [Subscribe(b"a"), Subscribe(b"a")]
    up.send(Message([b"abc"]))
    assert sub.recv() == [b"abc"]
    sub.set_option(zmq.UNSUBSCRIBE, b"a")
    assert up.drain() == [Cancel(b"a")]
    up.send(Message([b"abc"]))
    assert sub.recv() is None
    sub.set_option(zmq.UNSUBSCRIBE, b"unknown")
    assert up.drain() == []


def test_sub_filters_what_a_non_filtering_publisher_sends() -> None:
    sub = core(Sub, zmq.SUB)
    up = Peer(sub)
    sub.set_option(zmq.SUBSCRIBE, b"news")
    for topic in (b"new", b"news", b"newsflash", b"weather", b""):
        up.send(Message([topic, b"body"]))
    assert [m[0] for m in recv_all(sub)] == [b"news", b"newsflash"]


def test_sub_empty_subscription_matches_everything() -> None:
    sub = core(Sub, zmq.SUB)
    up = Peer(sub)
    sub.set_option(zmq.SUBSCRIBE, b"")
    for topic in (b"", b"x", b"\x00\x01"):
        up.send(Message([topic]))
    assert len(recv_all(sub)) == 3


def test_sub_has_in_is_true_only_for_a_matching_message() -> None:
    sub = core(Sub, zmq.SUB)
    up = Peer(sub)
    sub.set_option(zmq.SUBSCRIBE, b"yes")
    up.send(Message([b"no"]))
    assert not sub.has_in()
    up.send(Message([b"yes"]))
    assert sub.has_in()
    assert sub.recv() == [b"yes"]
    assert not sub.has_in()


def test_sub_invert_matching() -> None:
    opts = Options(zmq.SUB)
    opts.set(zmq.INVERT_MATCHING, 1)
    sub = Sub(opts)
    up = Peer(sub)
    sub.set_option(zmq.SUBSCRIBE, b"a")
    up.send(Message([b"ab"]))
    up.send(Message([b"ba"]))
    assert recv_all(sub) == [[b"ba"]]


def test_sub_replays_subscriptions_to_new_and_reconnected_pipes() -> None:
    sub = core(Sub, zmq.SUB)
    for topic in (b"b", b"a", b"a"):
        sub.set_option(zmq.SUBSCRIBE, topic)
    late = Peer(sub)
    assert late.drain() == [Subscribe(b"a"), Subscribe(b"b")]  # one per prefix
    sub.hiccuped(late.sock_end)
    assert late.drain() == [Subscribe(b"a"), Subscribe(b"b")]
    assert sub.get_option(zmq.TOPICS_COUNT) == 2


def test_subscriptions_pass_a_full_pipe() -> None:
    sub = core(Sub, zmq.SUB)
    up = Peer(sub, hwm=1)
    for i in range(5):
        sub.set_option(zmq.SUBSCRIBE, b"%d" % i)
    assert len(up.drain()) == 5


def test_sub_send_and_option_errors() -> None:
    sub = core(Sub, zmq.SUB)
    with pytest.raises(zmq.ZMQError) as exc:
        sub.send([b"x"])
    assert exc.value.errno == errno.ENOTSUP
    with pytest.raises(TypeError):
        sub.set_option(zmq.SUBSCRIBE, "str")  # as pyzmq: use setsockopt_string
    assert Options(zmq.SUB).linger == -1 and Sub(Options(zmq.SUB)).options.linger == 0


def test_xsub_forwards_subscriptions_and_messages_upstream() -> None:
    xsub = core(XSub, zmq.XSUB)
    a, b = Peer(xsub), Peer(xsub)
    xsub.send([b"\x01t"])
    xsub.send([b"\x01t"])
    xsub.send([b"\x00t"])  # count 2 -> 1: not forwarded
    xsub.send([b"\x00zz"])  # unknown: not forwarded
    xsub.send([b"user", b"message"])
    expected = [Subscribe(b"t"), Subscribe(b"t"), [b"user", b"message"]]
    assert a.drain() == expected and b.drain() == expected
    xsub.send([b"\x00t"])
    assert a.drain() == [Cancel(b"t")]
    # XSUB does not filter what it receives
    a.send(Message([b"anything"]))
    assert xsub.recv() == [b"anything"]


def test_xsub_verbose_unsubscribe() -> None:
    xsub = core(XSub, zmq.XSUB)
    a = Peer(xsub)
    xsub.set_option(zmq.XSUB_VERBOSE_UNSUBSCRIBE, 1)
    xsub.send([b"\x00zz"])
    assert a.drain() == [Cancel(b"zz")]


def test_xsub_to_xpub_directly() -> None:
    """An XSUB core's pipe end attached to an XPUB core: inproc in miniature."""
    xpub = core(XPub, zmq.XPUB)
    xsub = core(XSub, zmq.XSUB)
    p_end, s_end = pipe_pair(0, 0)
    p_end.bind(xpub, run_now)
    s_end.bind(xsub, run_now)
    s_end.peer_identity = p_end.peer_identity = b""
    xsub.send([b"\x01news"])
    xpub.attach(p_end)
    xsub.attach(s_end)  # replays \x01news
    assert xpub.recv() == [b"\x01news"]
    xpub.send([b"news", b"1"])
    xpub.send([b"sport", b"2"])
    assert xsub.recv() == [b"news", b"1"]
    assert xsub.recv() is None


# ---------------------------------------------------------------------------
# CONFLATE pipes
# ---------------------------------------------------------------------------


def test_conflate_pipe_keeps_only_the_newest_message() -> None:
    a, b = pipe_pair(1, 1, conflate=True)
    for i in range(5):
        assert a.write([b"%d" % i])  # never at HWM
    assert b.read() == [b"4"]
    assert b.read() is None


def test_conflate_pipe_never_drops_subscriptions() -> None:
    a, b = pipe_pair(0, 0, conflate=True)
    a.write(Subscribe(b"x"))
    a.write([b"old"])
    a.write(Subscribe(b"y"))
    a.write([b"new"])
    assert [b.read() for _ in range(3)] == [Subscribe(b"x"), Subscribe(b"y"), [b"new"]]


def test_sub_with_conflate_sees_only_the_last_message() -> None:
    sub = core(Sub, zmq.SUB)
    up = Peer(sub, conflate=True)
    sub.set_option(zmq.SUBSCRIBE, b"")
    sub.set_option(zmq.SUBSCRIBE, b"x")
    assert up.drain() == [Subscribe(b""), Subscribe(b"x")]
    for i in range(10):
        up.send(Message([b"%d" % i]))
    assert recv_all(sub) == [[b"9"]]
