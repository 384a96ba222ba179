"""Compact inbound messages (zmtp/events.py): a compact connection hands a
one-frame message up as its bare frame (``bytes``), never GC-tracked, and
every reader of a socket's pipes takes that form as well as a list of frames;
and a one-frame `Socket.send` queues a tuple, which the GC untracks.

Three levels: the codec (what `receive_data` emits with and without the
flag), the socket cores fed bare frames through in-memory pipes (SUB filters
on the frame, ROUTER prepends the routing id, REQ/REP drop a frame without an
envelope, a conflating pipe keeps only the newest), and real sockets over tcp
(each compact type receives one-frame and multipart messages through every
receive call, and a proxy relays them).
"""

from __future__ import annotations

import gc
import threading
from typing import Any, Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import purezmq as zmq
from purezmq.patterns.options import Options
from purezmq.patterns.pipeline import Pull
from purezmq.patterns.pubsub import Sub, XPub
from purezmq.patterns.reqrep import Rep, Req, Router
from purezmq.routing.pipe import pipe_pair
from purezmq.zmtp import Connection, Phase
from purezmq.zmtp.events import Cancel, Message, Subscribe, frames_of
from tests.testing import (
    JOIN_TIMEOUT,
    CorePeer,
    command,
    eventually,
    frame,
    message,
    null_peer,
)

# What the garbage collector tracks is a CPython matter (PyPy has no
# gc.is_tracked); the rest of each test runs everywhere.
_is_tracked: Callable[[Any], bool] | None = getattr(gc, "is_tracked", None)

# ---------------------------------------------------------------------------
# The codec
# ---------------------------------------------------------------------------


def traffic(socket_type: str, peer: bytes, compact: bool) -> Connection:
    conn = Connection(socket_type=socket_type)
    conn.compact = compact
    events = conn.receive_data(null_peer(peer))
    assert conn.phase is Phase.TRAFFIC, events
    conn.take_output()
    return conn


WIRE = (
    message([b"one"])
    + message([b"a", b"b"])
    + message([b""])
    + message([b"L" * 300])  # a long frame, one-frame message
    + message([b"m", b"L" * 300])
    + message([b"last"])
)
EXPECTED = [[b"one"], [b"a", b"b"], [b""], [b"L" * 300], [b"m", b"L" * 300], [b"last"]]


@pytest.mark.parametrize("step", [0, 1, 2, 7])
def test_compact_connection_emits_one_frame_messages_as_bytes(step: int) -> None:
    conn = traffic("PULL", b"PUSH", compact=True)
    if step:
        events: list[Any] = []
        for i in range(0, len(WIRE), step):
            events += conn.receive_data(WIRE[i : i + step])
    else:
        events = conn.receive_data(WIRE)
    assert [frames_of(e) for e in events] == EXPECTED
    for event in events:
        if len(frames_of(event)) == 1:
            assert type(event) is bytes
            assert _is_tracked is None or not _is_tracked(event)
        else:
            assert type(event) is Message


def test_a_run_of_same_size_messages_is_split_whole() -> None:
    # The run splitter (`_uniform_run`) takes same-size one-frame messages in
    # bulk; whatever breaks the run (another size, a multipart message, a
    # command, a long frame, the end of the read) is decoded on its own.
    bodies = [b"%03d" % i for i in range(40)]
    wire = b"".join(message([b]) for b in bodies)
    wire += message([b"four"]) + message([b"abc", b"def"]) + command(b"PING", b"\x00\x00")
    wire += b"".join(message([b]) for b in bodies) + message([b"L" * 300])
    wire += b"".join(message([b""]) for _ in range(20))  # empty bodies run too
    wire += message([b"tail"])[:3]  # the start of one more
    conn = traffic("PULL", b"PUSH", compact=True)
    events = conn.receive_data(wire)
    datas = [e for e in events if type(e) in (bytes, Message)]
    assert [frames_of(e) for e in datas] == (
        [[b] for b in bodies]
        + [[b"four"], [b"abc", b"def"]]
        + [[b] for b in bodies]
        + [[b"L" * 300]]
        + [[b""]] * 20
    )
    assert len(events) == len(datas) + 1  # and the PING
    assert conn.receive_data(message([b"tail"])[3:]) == [b"tail"]


@settings(max_examples=150, deadline=None)
@given(
    msgs=st.lists(
        st.one_of(
            st.sampled_from([b"", b"a", b"16 bytes of data", b"x" * 255]).map(lambda b: [b]),
            st.lists(st.binary(max_size=20), min_size=1, max_size=3),
        ),
        max_size=60,
    ),
    repeat=st.integers(1, 20),
    cut=st.lists(st.integers(1, 400), min_size=1, max_size=5),
)
def test_compact_decoding_matches_plain_decoding(
    msgs: list[list[bytes]], repeat: int, cut: list[int]
) -> None:
    # Runs are what the splitter looks for: repeat each message a few times.
    msgs = [m for m in msgs for _ in range(repeat)]
    wire = b"".join(message(m) for m in msgs)
    got = {}
    for compact in (False, True):
        conn = traffic("DEALER", b"DEALER", compact)
        events: list[Any] = []
        pos = i = 0
        while pos < len(wire):
            n = cut[i % len(cut)]
            events += conn.receive_data(wire[pos : pos + n])
            pos += n
            i += 1
        got[compact] = [frames_of(e) for e in events]
        if compact:
            assert all(type(e) is bytes for e in events if len(frames_of(e)) == 1)
    assert got[True] == got[False] == msgs


def test_the_default_connection_still_emits_messages() -> None:
    conn = traffic("PULL", b"PUSH", compact=False)
    events = conn.receive_data(WIRE)
    assert events == EXPECTED
    assert all(type(e) is Message for e in events)


@pytest.mark.parametrize("socket_type", ["PUB", "XPUB"])
def test_a_publisher_connection_keeps_its_own_forms(socket_type: str) -> None:
    # PUB/XPUB turn 3.0 subscription messages into events; the flag does not
    # apply to them (their sessions never set it either).
    conn = traffic(socket_type, b"SUB", compact=True)
    events = conn.receive_data(message([b"\x01topic"]) + message([b"\x00topic"]))
    assert events == [Subscribe(b"topic"), Cancel(b"topic")]
    events = conn.receive_data(message([b"data"]))
    assert events == [[b"data"]] and type(events[0]) is Message


def test_a_compact_connection_still_refuses_an_oversized_frame() -> None:
    conn = traffic("PULL", b"PUSH", compact=True)
    conn.maxmsgsize = 4
    assert conn.receive_data(frame(0, b"four")) == [b"four"]
    with pytest.raises(Exception, match="5-byte"):
        conn.receive_data(frame(0, b"fives"))


# ---------------------------------------------------------------------------
# Socket cores fed bare frames (what a compact session writes)
# ---------------------------------------------------------------------------


def test_pull_core_hands_out_either_form() -> None:
    pull = Pull(Options(zmq.PULL))
    peer = CorePeer(pull)
    peer.send(b"bare")
    peer.send([b"a", b"b"])
    assert pull.recv() == b"bare"
    assert pull.recv() == [b"a", b"b"]
    assert pull.recv() is None


@pytest.mark.parametrize("invert", [False, True])
def test_sub_core_filters_a_bare_frame_by_the_frame(invert: bool) -> None:
    opts = Options(zmq.SUB)
    opts.invert_matching = invert
    sub = Sub(opts)
    peer = CorePeer(sub)
    sub.set_option(zmq.SUBSCRIBE, b"yes")
    peer.drain()  # the subscription went upstream
    for item in (b"no-1", b"yes-1", [b"no-2", b"x"], [b"yes-2", b"x"], b"yes-3"):
        peer.send(item)
    got = []
    while True:
        msg = sub.recv()
        if msg is None:
            break
        got.append(frames_of(msg))
    if invert:
        assert got == [[b"no-1"], [b"no-2", b"x"]]
    else:
        assert got == [[b"yes-1"], [b"yes-2", b"x"], [b"yes-3"]]


def test_router_core_prepends_the_routing_id_to_a_bare_frame() -> None:
    router = Router(Options(zmq.ROUTER))
    peer = CorePeer(router, identity=b"peer")
    peer.send(b"body")
    peer.send([b"x", b"y"])
    assert router.recv() == [b"peer", b"body"]
    assert router.recv() == [b"peer", b"x", b"y"]


def test_req_and_rep_drop_a_bare_frame_it_has_no_envelope() -> None:
    rep = Rep(Options(zmq.REP))
    client = CorePeer(rep, identity=b"c")
    client.send(b"no envelope")
    client.send([b"", b"request"])
    assert rep.recv() == [b"request"]
    req = Req(Options(zmq.REQ))
    server = CorePeer(req)
    assert req.send([b"ask"])
    assert server.drain() == [[b"", b"ask"]]
    server.send(b"no envelope")
    server.send([b"", b"answer"])
    assert req.recv() == [b"answer"]


def test_xpub_core_takes_subscription_events_beside_data() -> None:
    xpub = XPub(Options(zmq.XPUB))
    peer = CorePeer(xpub)
    peer.send(Subscribe(b"t"))
    assert xpub.recv() == [b"\x01t"]


def test_a_conflating_pipe_keeps_the_newest_message_of_either_form() -> None:
    writer, reader = pipe_pair(0, 0, conflate=True)
    writer.write(b"old")
    writer.write([b"older", b"list"])
    writer.force_write(Subscribe(b"s"))
    writer.write(b"newest")
    got = []
    while True:
        item = reader.read()
        if item is None:
            break
        got.append(item)
    assert got == [Subscribe(b"s"), b"newest"]


# ---------------------------------------------------------------------------
# Real sockets over tcp
# ---------------------------------------------------------------------------

# (receiving type, sending type, sender's routing prefix for a ROUTER)
PAIRS = [
    ("PULL", "PUSH"),
    ("SUB", "PUB"),
    ("XSUB", "PUB"),
    ("DEALER", "DEALER"),
    ("PAIR", "PAIR"),
    ("ROUTER", "DEALER"),
]


def connections_of(sock: Any) -> list[Connection]:
    return [s.engine.conn for s in sock._hub.sessions() if s.engine is not None]


def _setup(new: Callable[[int], Any], rx_kind: str, tx_kind: str) -> tuple[Any, Any, list[bytes]]:
    rx = new(getattr(zmq, rx_kind))
    tx = new(getattr(zmq, tx_kind))
    prefix: list[bytes] = []
    if rx_kind == "ROUTER":
        tx.setsockopt(zmq.ROUTING_ID, b"tx")
        prefix = [b"tx"]
    if rx_kind == "SUB":
        rx.subscribe(b"")
    port = rx.bind_to_random_port("tcp://127.0.0.1")
    tx.connect(f"tcp://127.0.0.1:{port}")
    if rx_kind == "XSUB":
        rx.send(b"\x01")
    if tx_kind == "PUB":
        # a PUB drops until the subscription arrives: send probes until one lands
        def probe() -> bool:
            tx.send(b"probe")
            return bool(rx.poll(20))

        eventually(probe, what="a probe through the PUB")
        while rx.poll(20):
            rx.recv_multipart()
    return rx, tx, prefix


@pytest.mark.parametrize(("rx_kind", "tx_kind"), PAIRS)
def test_compact_sockets_receive_every_form_through_every_call(
    new: Callable[[int], Any], rx_kind: str, tx_kind: str
) -> None:
    rx, tx, prefix = _setup(new, rx_kind, tx_kind)
    tx.send(b"one")
    tx.send_multipart([b"two", b"parts"])
    tx.send(b"three")
    tx.send(b"four")
    tx.send(b"five")
    tx.send_multipart([b"six", b"parts"])
    # recv_multipart
    assert rx.recv_multipart() == [*prefix, b"one"]
    assert [c.compact for c in connections_of(rx)] == [True]  # the path under test
    assert rx.recv_multipart() == [*prefix, b"two", b"parts"]
    # recv frame by frame, with RCVMORE
    got = []
    for _ in range(len(prefix) + 1):
        got.append(rx.recv())
        more = rx.getsockopt(zmq.RCVMORE)
    assert got == [*prefix, b"three"] and not more
    # copy=False: a Frame
    frames = rx.recv_multipart(copy=False)
    assert [f.bytes for f in frames] == [*prefix, b"four"]
    if not prefix:
        assert rx.poll(1000) == zmq.POLLIN
        f = rx.recv(copy=False)
        assert f.bytes == b"five" and not f.more
    else:
        assert rx.recv_multipart() == [*prefix, b"five"]
    assert rx.recv_multipart() == [*prefix, b"six", b"parts"]
    assert rx.poll(0) == 0


def test_a_proxy_relays_compact_messages(new: Callable[[int], Any], ctx: Any) -> None:
    front = new(zmq.PULL)
    back = new(zmq.PUSH)
    tx = new(zmq.PUSH)
    rx = new(zmq.PULL)
    ctl_in = new(zmq.PAIR)
    ctl_out = new(zmq.PAIR)
    ctl_in.bind("inproc://compact-proxy-control")
    ctl_out.connect("inproc://compact-proxy-control")
    tx.connect(f"tcp://127.0.0.1:{front.bind_to_random_port('tcp://127.0.0.1')}")
    rx.connect(f"tcp://127.0.0.1:{back.bind_to_random_port('tcp://127.0.0.1')}")
    done: list[BaseException] = []

    def run() -> None:
        try:
            zmq.proxy_steerable(front, back, None, ctl_in)
        except BaseException as exc:
            done.append(exc)

    relay = threading.Thread(target=run, daemon=True)
    relay.start()
    try:
        tx.send(b"one")
        tx.send_multipart([b"two", b"parts"])
        tx.send(b"three")
        assert rx.recv_multipart() == [b"one"]
        assert rx.recv_multipart() == [b"two", b"parts"]
        assert rx.recv() == b"three"
    finally:
        ctl_out.send(b"TERMINATE")
        relay.join(JOIN_TIMEOUT)
    assert not relay.is_alive()
    assert not done, done


# ---------------------------------------------------------------------------
# One-frame sends travel as tuples (Socket.send's fast path)
# ---------------------------------------------------------------------------


def test_one_frame_sends_queue_as_untracked_tuples(new: Callable[[int], Any]) -> None:
    push = new(zmq.PUSH)
    pull = new(zmq.PULL)
    push.bind("inproc://tuples-untracked")
    pull.connect("inproc://tuples-untracked")
    for i in range(10):
        push.send(b"%d" % i)
    eventually(lambda: pull.poll(0) != 0, what="the messages at the PULL")
    (pipe,) = pull._pattern._fq._pipes
    gc.collect()
    queued = list(pipe._in.items)
    assert len(queued) == 10 and all(type(m) is tuple for m in queued)
    if _is_tracked is not None:  # CPython: no collection walks them again
        assert not any(_is_tracked(m) for m in queued)
    assert pull.recv() == b"0"
    assert pull.recv_multipart() == [b"1"]
    assert pull.recv(copy=False).bytes == b"2"


@pytest.mark.parametrize("transport", ["inproc", "tcp"])
def test_tuples_through_every_pattern_that_takes_a_message(
    new: Callable[[int], Any], transport: str
) -> None:
    def link(a: Any, b: Any, name: str) -> None:
        if transport == "inproc":
            a.bind(f"inproc://tuples-{name}")
            b.connect(f"inproc://tuples-{name}")
        else:
            b.connect(f"tcp://127.0.0.1:{a.bind_to_random_port('tcp://127.0.0.1')}")

    req, rep = new(zmq.REQ), new(zmq.REP)
    link(rep, req, "reqrep")
    req.send(b"question")
    assert rep.recv() == b"question"
    rep.send(b"answer")  # REP puts the envelope in front of a tuple
    assert req.recv_multipart() == [b"answer"]
    dealer, router = new(zmq.DEALER), new(zmq.ROUTER)
    dealer.setsockopt(zmq.ROUTING_ID, b"d")
    link(router, dealer, "router")
    dealer.send(b"hello")
    assert router.recv_multipart() == [b"d", b"hello"]
    router.send_multipart([b"d", b"back"])
    assert dealer.recv() == b"back"
    router.send(b"d")  # only a routing id: nothing to deliver, as before
    assert dealer.poll(50) == 0


def test_xpub_hands_an_upstream_tuple_to_the_app(new: Callable[[int], Any]) -> None:
    xpub, xsub = new(zmq.XPUB), new(zmq.XSUB)
    xpub.bind("inproc://tuples-xpub")
    xsub.connect("inproc://tuples-xpub")
    xsub.send(b"\x01topic")
    assert xpub.recv() == b"\x01topic"
    xsub.send(b"upstream data")
    assert xpub.recv_multipart() == [b"upstream data"]
