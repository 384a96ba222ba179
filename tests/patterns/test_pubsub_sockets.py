"""PUB/SUB/XPUB/XSUB between purezmq sockets over tcp, ipc and inproc."""

from __future__ import annotations

import time
from typing import Any, Optional

import pytest

import purezmq as zmq
from tests.testing import bind, bind_when_free, drain_socket, eventually, until

TRANSPORTS = ["tcp", "ipc", "inproc"]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_pub_sub_prefix_filter_and_unsubscribe(new: Any, ipc_dir: str, transport: str) -> None:
    pub = new(zmq.PUB)
    sub = new(zmq.SUB)
    addr = bind(pub, transport, ipc_dir)
    sub.connect(addr)
    sub.subscribe(b"news")
    sub.setsockopt_string(zmq.SUBSCRIBE, "wea")
    until(lambda: pub.send_multipart([b"news", b"warmup"]), sub)
    drain_socket(sub, 20)
    for topic in (b"new", b"news", b"newsflash", b"weather", b"sport"):
        pub.send_multipart([topic, b"body"])
    got = [m[0] for m in drain_socket(sub)]
    assert got == [b"news", b"newsflash", b"weather"]
    sub.unsubscribe("news")

    # the cancel reaches the publisher eventually: then only weather arrives
    def only_weather() -> bool:
        pub.send(b"news")
        pub.send(b"weather")
        got = [m[0] for m in drain_socket(sub, 20)]
        return bool(got) and all(t == b"weather" for t in got)

    eventually(only_weather, interval=0, what="only weather after unsubscribing news")


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_two_subscribers_with_different_topics(new: Any, ipc_dir: str, transport: str) -> None:
    pub = new(zmq.PUB)
    addr = bind(pub, transport, ipc_dir)
    subs = []
    for topic in (b"a", b"b"):
        s = new(zmq.SUB)
        s.connect(addr)
        s.subscribe(topic)
        subs.append(s)
    for s, topic in zip(subs, (b"a", b"b")):
        until(lambda t=topic: pub.send(t + b"-warm"), s)  # type: ignore[misc]
    for s in subs:
        drain_socket(s, 20)
    for i in range(20):
        pub.send(b"a%d" % i)
        pub.send(b"b%d" % i)
    a_got = [m[0] for m in drain_socket(subs[0])]
    b_got = [m[0] for m in drain_socket(subs[1])]
    assert a_got == [b"a%d" % i for i in range(20)]
    assert b_got == [b"b%d" % i for i in range(20)]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_slow_subscriber_is_dropped_at_hwm_publisher_never_blocks(
    new: Any, ipc_dir: str, transport: str
) -> None:
    pub = new(zmq.PUB)
    pub.sndhwm = 20
    pub.sndbuf = 4096  # small kernel buffers: what they hold cannot hide the drops
    sub = new(zmq.SUB)
    sub.rcvhwm = 20
    sub.rcvbuf = 4096
    addr = bind(pub, transport, ipc_dir)
    sub.connect(addr)
    sub.subscribe(b"")
    until(lambda: pub.send(b"warm"), sub)
    pub.sndtimeo = 0  # any blocking would raise Again
    n = 20000
    padding = bytes(100)  # 2 MB in all, far more than the buffers on the way
    t = time.monotonic()
    for i in range(n):
        pub.send(b"%d " % i + padding)
    assert time.monotonic() - t < 20
    got = [int(m[0].split()[0]) for m in drain_socket(sub, 100) if m[0] != b"warm"]
    assert 0 < len(got) < n
    assert got == sorted(got)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_xpub_xsub_subscription_flow(new: Any, ipc_dir: str, transport: str) -> None:
    xpub = new(zmq.XPUB)
    xsub = new(zmq.XSUB)
    addr = bind(xpub, transport, ipc_dir)
    xsub.connect(addr)
    xsub.send(b"\x01topic")
    assert xpub.recv() == b"\x01topic"
    xpub.send_multipart([b"topic", b"data"])
    xpub.send_multipart([b"other", b"data"])
    assert xsub.recv_multipart() == [b"topic", b"data"]
    xsub.send_multipart([b"upstream", b"message"])
    assert xpub.recv_multipart() == [b"upstream", b"message"]
    xsub.send(b"\x00topic")
    assert xpub.recv() == b"\x00topic"
    assert not xsub.poll(50)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_xpub_sees_unsubscriptions_when_a_subscriber_leaves(
    new: Any, ipc_dir: str, transport: str
) -> None:
    xpub = new(zmq.XPUB)
    addr = bind(xpub, transport, ipc_dir)
    sub = new(zmq.SUB)
    sub.connect(addr)
    sub.subscribe(b"gone")
    assert xpub.recv() == b"\x01gone"
    sub.close()
    assert xpub.recv() == b"\x00gone"


@pytest.mark.parametrize("transport", ["tcp", "ipc"])
def test_subscriptions_replayed_after_reconnect(new: Any, ipc_dir: str, transport: str) -> None:
    pub = new(zmq.XPUB)
    addr = bind(pub, transport, ipc_dir)
    sub = new(zmq.SUB)
    sub.setsockopt(zmq.RECONNECT_IVL, 20)
    sub.connect(addr)
    sub.subscribe(b"x")
    sub.subscribe(b"y")
    assert sorted(pub.recv() for _ in range(2)) == [b"\x01x", b"\x01y"]
    pub.close()
    pub = new(zmq.XPUB)
    bind_when_free(pub, addr)
    # As in libzmq, the replay runs on the SUB's thread: it must be in a call.
    got: list[bytes] = []

    def replayed() -> bool:
        sub.poll(10)
        while pub.poll(0):
            got.append(pub.recv())
        return len(got) >= 2

    eventually(replayed, interval=0, what="both subscriptions replayed")
    assert sorted(got) == [b"\x01x", b"\x01y"]
    pub.send(b"x1")
    assert sub.recv() == b"x1"


def newest_queued(sock: zmq.Socket) -> Optional[list[bytes]]:
    """The newest message waiting in a purezmq SUB's inbound pipes, or None.
    (No poll here: a SUB's poll takes a message out of the pipe.)"""
    for pipe in sock._pattern._fq._pipes:
        items = list(pipe._in.items)
        if items and isinstance(items[-1], (list, tuple)):  # a one-frame send is a tuple
            return [bytes(f) for f in items[-1]]
    return None


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_sub_conflate_keeps_the_last_message(new: Any, ipc_dir: str, transport: str) -> None:
    pub = new(zmq.PUB)
    sub = new(zmq.SUB)
    sub.conflate = 1
    addr = bind(pub, transport, ipc_dir)
    sub.connect(addr)
    sub.subscribe(b"")
    until(lambda: pub.send(b"warm"), sub)
    for i in range(100):
        pub.send(b"%d" % i)
    # all 100 through to the SUB's (conflating) pipe before it reads
    eventually(lambda: newest_queued(sub) == [b"99"], what="b'99' queued at the SUB")
    got = [m[0] for m in drain_socket(sub, 50)]
    assert got[-1] == b"99" and len(got) <= 10  # not 100: the pipe conflates


def test_many_topics(new: Any, ipc_dir: str) -> None:
    pub = new(zmq.PUB)
    pub.sndhwm = 0  # this test is about filtering, not HWM drops
    sub = new(zmq.SUB)
    sub.rcvhwm = 0
    addr = bind(pub, "tcp", ipc_dir)
    sub.connect(addr)
    topics = [b"t%04d/" % i for i in range(0, 2000, 2)]  # even ones only
    for t in topics:
        sub.subscribe(t)
    until(lambda: pub.send(topics[-1] + b"warm"), sub)
    drain_socket(sub, 20)
    for i in range(2000):
        pub.send(b"t%04d/x" % i)
    got = [m[0] for m in drain_socket(sub, 100)]
    assert got == [t + b"x" for t in topics]
    assert sub.getsockopt(zmq.TOPICS_COUNT) == 1000


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_nodrop_publisher_blocks_then_resumes(new: Any, ipc_dir: str, transport: str) -> None:
    pub = new(zmq.PUB)
    pub.setsockopt(zmq.XPUB_NODROP, 1)
    pub.sndhwm = 5
    sub = new(zmq.SUB)
    sub.rcvhwm = 5
    addr = bind(pub, transport, ipc_dir)
    sub.connect(addr)
    sub.subscribe(b"")
    until(lambda: pub.send(b"warm"), sub)
    drain_socket(sub, 20)
    pub.sndtimeo = 100
    sent = 0
    pad = b"x" * 10000  # fill the kernel's socket buffers quickly over tcp/ipc
    with pytest.raises(zmq.Again):
        for _ in range(20000):
            pub.send_multipart([b"%d" % sent, pad])
            sent += 1
    assert 0 < sent < 20000
    got = [int(m[0]) for m in drain_socket(sub, 100)]
    assert got == list(range(sent))  # nothing dropped
    pub.send(b"after")  # room again
    assert sub.recv() == b"after"
