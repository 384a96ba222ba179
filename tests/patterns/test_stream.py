"""STREAM sockets (purezmq/patterns/stream.py, purezmq/reactor/raw_engine.py).

Two halves:

* the core on in-memory pipes (no threads): routing ids, libzmq's frame
  state machine, closing a peer;
* real sockets against plain Python `socket` peers, each test run against
  purezmq AND pyzmq (libzmq 4.3.5) with the same assertions (the `lib`
  parameter). Where libzmq 4.3.5 differs from what we do on purpose, the
  pyzmq case is a strict xfail that says what libzmq does.
"""

from __future__ import annotations

import errno
import os
import socket
import struct
import sys
import time
from collections.abc import Iterator
from typing import Any, Callable

import pytest

import purezmq
from purezmq.patterns.options import Options
from purezmq.patterns.stream import CLOSE_PEER, Stream
from purezmq.routing.pipe import pipe_pair
from tests.testing import CorePeer, make_socket, run_now, terminate

TIMEOUT = 5.0

# ---------------------------------------------------------------------------
# The core on in-memory pipes
# ---------------------------------------------------------------------------


def _core() -> Stream:
    return Stream(Options(purezmq.STREAM))


def test_generated_ids_count_up_big_endian_and_land_in_routing_id() -> None:
    core = _core()
    a, b = CorePeer(core), CorePeer(core)
    ida, idb = a.sock_end.routing_id, b.sock_end.routing_id
    assert len(ida) == len(idb) == 5 and ida[0] == idb[0] == 0
    n = struct.unpack(">I", ida[1:])[0]
    assert idb == b"\x00" + struct.pack(">I", (n + 1) & 0xFFFFFFFF)
    assert core.options.routing_id == idb  # libzmq copies the newest id there


def test_connect_routing_id_names_the_peer() -> None:
    core = _core()
    sock_end, far = pipe_pair(0, 0)
    far.bind(CorePeer.__new__(CorePeer), run_now)  # a sink that ignores wake-ups
    sock_end.bind(core, run_now)
    sock_end.routing_id = b"server-1"  # what the connect claims from CONNECT_ROUTING_ID
    core.attach(sock_end)
    assert sock_end.routing_id == b"server-1"
    assert core.options.routing_id == b""  # a named peer is not copied there
    assert core.send([b"server-1", b"data"])
    assert far.read() == [b"data"]


def test_recv_prefixes_the_routing_id() -> None:
    core = _core()
    a = CorePeer(core)
    a.send([b"chunk"])
    assert core.has_in()
    assert core.recv() == [a.sock_end.routing_id, b"chunk"]
    assert core.recv() is None


def test_unknown_id_is_ehostunreach_and_changes_nothing() -> None:
    core = _core()
    a = CorePeer(core)
    with pytest.raises(purezmq.ZMQError) as info:
        core.send([b"nobody", b"x"])
    assert info.value.errno == errno.EHOSTUNREACH
    assert core.send([a.sock_end.routing_id, b"y"])
    assert a.drain() == [[b"y"]]


def test_frame_state_machine_is_libzmqs() -> None:
    """A first frame without MORE is swallowed and the next frame is data for
    nobody; the pairing stays shifted (libzmq stream_t::xsend)."""
    core = _core()
    a = CorePeer(core)
    rid = a.sock_end.routing_id
    assert core.send([rid, b"a", b"b"])  # b: a first frame without MORE, swallowed
    assert a.drain() == [[b"a"]]
    assert core.send([rid, b"lost"])  # rid is data for nobody, "lost" is swallowed
    assert core.send([rid, b"lost too"])
    assert a.drain() == []
    assert core.send([b"x"])  # data for nobody: the pairing is back in step
    assert core.send([rid, b"ok"])
    assert a.drain() == [[b"ok"]]
    # the data frame's MORE flag does not matter; the third frame is an id
    with pytest.raises(purezmq.ZMQError) as info:
        core.send([rid, b"one", b"no-such-peer", b"two"])
    assert info.value.errno == errno.EHOSTUNREACH
    assert a.drain() == [[b"one"]]


def test_full_pipe_is_not_now_and_resumes_where_it_stopped() -> None:
    core = _core()
    a = CorePeer(core, hwm=1)
    b = CorePeer(core, hwm=1)
    ra, rb = a.sock_end.routing_id, b.sock_end.routing_id
    assert core.send([ra, b"1"])
    msg = [rb, b"to b", ra, b"2"]
    assert core.send(msg) is False  # b got its frame; a's pipe is full
    assert b.drain() == [[b"to b"]]
    assert a.drain() == [[b"1"]]
    assert core.send(msg)  # the same message again: goes on at frame 2
    assert a.drain() == [[b"2"]]
    assert b.drain() == []


def test_empty_data_frame_closes_the_peer() -> None:
    core = _core()
    a = CorePeer(core)
    rid = a.sock_end.routing_id
    a.send([b"unread"])
    assert core.send([rid, b"last words"])
    assert core.send([rid, b""])
    assert a.drain() == [[b"last words"], CLOSE_PEER]  # the engine closes after the data
    assert core.recv() is None  # what the peer sent is dropped
    a.send([b"more"])
    assert core.recv() is None
    with pytest.raises(purezmq.ZMQError) as info:
        core.send([rid, b"x"])
    assert info.value.errno == errno.EHOSTUNREACH
    a.close()  # the session finished
    assert a.sock_end not in core.pipes


def test_empty_data_frame_on_an_inproc_pipe_closes_it() -> None:
    core = _core()
    a = CorePeer(core)
    a.sock_end.endpoint = a.pipe.endpoint = "inproc://peer"
    assert core.send([a.sock_end.routing_id, b""])
    assert a.drain() == []
    assert a.pipe.in_closed() and a.sock_end not in core.pipes


def test_disconnect_notification_arrives_after_the_peer_left() -> None:
    core = _core()
    a = CorePeer(core)
    rid = a.sock_end.routing_id
    a.send([b""])  # what the engine writes when the connection is lost
    a.close()
    assert core.recv() == [rid, b""]
    assert core.recv() is None
    assert not core.pipes


# ---------------------------------------------------------------------------
# Real sockets, purezmq and pyzmq, against plain TCP peers
# ---------------------------------------------------------------------------


@pytest.fixture(params=["purezmq", "pyzmq"])
def lib(request: Any) -> Any:
    if request.param == "pyzmq":
        return pytest.importorskip("zmq")
    return purezmq


@pytest.fixture
def stream(lib: Any) -> Iterator[Callable[..., Any]]:
    """stream(**options): a STREAM socket of `lib` (timeouts 5 s, linger 0)."""
    context = lib.Context()
    made: list[Any] = []

    def factory(**options: Any) -> Any:
        sock = make_socket(context, lib.STREAM)
        for name, value in options.items():
            sock.setsockopt(getattr(lib, name.upper()), value)
        made.append(sock)
        return sock

    yield factory
    for sock in made:
        sock.close(linger=0)
    terminate(context)


@pytest.fixture
def peers() -> Iterator[Callable[[int], socket.socket]]:
    """peers(port): a plain TCP client connected to 127.0.0.1:port."""
    made: list[socket.socket] = []

    def factory(port: int) -> socket.socket:
        conn = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        made.append(conn)
        return conn

    yield factory
    for conn in made:
        conn.close()


@pytest.fixture
def server() -> Iterator[socket.socket]:
    """A plain TCP listener on 127.0.0.1 (accept times out)."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    srv.settimeout(TIMEOUT)
    yield srv
    srv.close()


def _recv_exactly(conn: socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        assert chunk, f"connection closed after {len(buf)} of {n} bytes"
        buf += chunk
    return bytes(buf)


def _collect(sock: Any, rid: bytes, n: int) -> bytes:
    """Data messages from `rid` until `n` bytes came (each one a read)."""
    buf = bytearray()
    while len(buf) < n:
        got_id, data = sock.recv_multipart()
        assert got_id == rid and data, (got_id, data)
        buf += data
    return bytes(buf)


def _eof(conn: socket.socket) -> bool:
    """Whether the peer closed the connection (within TIMEOUT)."""
    try:
        return conn.recv(1) == b""
    except socket.timeout:
        return False
    except ConnectionResetError:
        return True


def test_echo_and_notifications(lib: Any, stream: Any, peers: Any) -> None:
    s = stream()
    port = s.bind_to_random_port("tcp://127.0.0.1")
    c = peers(port)
    rid, empty = s.recv_multipart()
    assert empty == b"" and len(rid) == 5 and rid[0] == 0
    assert s.getsockopt(lib.ROUTING_ID) == rid
    c.sendall(b"hello")
    assert s.recv_multipart() == [rid, b"hello"]
    s.send_multipart([rid, b"HELLO"])
    assert _recv_exactly(c, 5) == b"HELLO"
    # frame by frame, as the libzmq examples do
    s.send(rid, lib.SNDMORE)
    s.send(b"again")
    assert _recv_exactly(c, 5) == b"again"
    c.close()
    assert s.recv_multipart() == [rid, b""]


def test_several_clients_get_their_own_ids_and_replies(lib: Any, stream: Any, peers: Any) -> None:
    s = stream()
    port = s.bind_to_random_port("tcp://127.0.0.1")
    clients = []
    for _ in range(5):
        c = peers(port)
        rid, empty = s.recv_multipart()
        assert empty == b""
        clients.append((rid, c))
    ids = [rid for rid, _ in clients]
    assert len(set(ids)) == 5
    counters = [struct.unpack(">I", rid[1:])[0] for rid in ids]  # in connection order
    assert counters == [(counters[0] + i) & 0xFFFFFFFF for i in range(5)]
    for i, (_rid, c) in enumerate(clients):
        c.sendall(b"client %d" % i)
    got = {}
    for _ in clients:
        rid, data = s.recv_multipart()
        got[rid] = data
    for i, (rid, _c) in enumerate(clients):
        assert got[rid] == b"client %d" % i
        s.send_multipart([rid, b"reply %d" % i])
    for i, (_rid, c) in enumerate(clients):
        assert _recv_exactly(c, len(b"reply %d" % i)) == b"reply %d" % i


def test_notify_off_means_data_only(lib: Any, stream: Any, peers: Any) -> None:
    s = stream(stream_notify=0)
    port = s.bind_to_random_port("tcp://127.0.0.1")
    c = peers(port)
    c.sendall(b"first")
    rid, data = s.recv_multipart()
    assert data == b"first"
    c.close()
    s.setsockopt(lib.RCVTIMEO, 300)
    with pytest.raises(lib.Again):
        s.recv_multipart()


def test_peer_closing_is_announced_once(lib: Any, stream: Any, peers: Any) -> None:
    s = stream()
    port = s.bind_to_random_port("tcp://127.0.0.1")
    c = peers(port)
    rid = s.recv_multipart()[0]
    c.sendall(b"bye")
    c.shutdown(socket.SHUT_WR)
    assert s.recv_multipart() == [rid, b"bye"]
    assert s.recv_multipart() == [rid, b""]
    _until_unreachable(s, lib, rid)


def _until_unreachable(s: Any, lib: Any, rid: bytes) -> None:
    """Sending to `rid` soon fails with EHOSTUNREACH. In both libraries the
    socket learns that the pipe is gone a moment after the notification was
    queued (libzmq meanwhile says EAGAIN, purezmq drops the data)."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        try:
            s.send_multipart([rid, b"x"], lib.NOBLOCK)
        except lib.Again:
            pass
        except lib.ZMQError as exc:
            assert exc.errno == errno.EHOSTUNREACH
            return
        assert time.monotonic() < deadline, "the routing id never became unreachable"
        s.poll(10)


def test_unknown_routing_id_is_ehostunreach(lib: Any, stream: Any) -> None:
    s = stream()
    s.bind_to_random_port("tcp://127.0.0.1")
    with pytest.raises(lib.ZMQError) as info:
        s.send_multipart([b"\x00nope", b"data"])
    assert info.value.errno == errno.EHOSTUNREACH


def test_lone_frame_shifts_the_pairing_as_libzmq(lib: Any, stream: Any, peers: Any) -> None:
    s = stream()
    port = s.bind_to_random_port("tcp://127.0.0.1")
    c = peers(port)
    rid = s.recv_multipart()[0]
    s.send(b"lonely")  # swallowed; the next frame becomes data for nobody
    s.send_multipart([rid, b"lost"])  # rid: data for nobody; "lost": swallowed
    s.send(b"resync")  # data for nobody: back in step
    s.send_multipart([rid, b"delivered"])
    assert _recv_exactly(c, 9) == b"delivered"


def test_closing_a_peer_with_an_empty_frame(lib: Any, stream: Any, peers: Any) -> None:
    s = stream()
    port = s.bind_to_random_port("tcp://127.0.0.1")
    c = peers(port)
    rid = s.recv_multipart()[0]
    s.send_multipart([rid, b"last words"])
    s.send_multipart([rid, b""])
    assert _recv_exactly(c, 10) == b"last words"
    with pytest.raises(lib.ZMQError) as info:
        s.send_multipart([rid, b"x"])
    assert info.value.errno == errno.EHOSTUNREACH
    c.sendall(b"ignored")  # the id is gone: nothing more from this peer
    s.setsockopt(lib.RCVTIMEO, 300)
    with pytest.raises(lib.Again):
        s.recv_multipart()


def test_an_empty_frame_closes_the_tcp_connection(
    lib: Any, stream: Any, peers: Any, request: Any
) -> None:
    if lib is not purezmq:
        request.applymarker(
            pytest.mark.xfail(
                strict=True,
                reason="libzmq 4.3.5 leaves the TCP connection open until the socket closes",
            )
        )
    s = stream()
    port = s.bind_to_random_port("tcp://127.0.0.1")
    c = peers(port)
    rid = s.recv_multipart()[0]
    s.send_multipart([rid, b"bye"])
    s.send_multipart([rid, b""])
    assert _recv_exactly(c, 3) == b"bye"
    c.settimeout(1.0)
    assert _eof(c)
    s.setsockopt(lib.RCVTIMEO, 300)
    with pytest.raises(lib.Again):
        s.recv_multipart()  # we closed it: no disconnect notification


def test_close_flushes_large_data_first(lib: Any, stream: Any, peers: Any) -> None:
    """A close waits for the data sent before it, even with LINGER 0 and a
    reader slower than the sender."""
    if lib is not purezmq:
        pytest.skip("libzmq 4.3.5 never closes the connection (test above)")
    s = stream()
    port = s.bind_to_random_port("tcp://127.0.0.1")
    c = peers(port)
    rid = s.recv_multipart()[0]
    blob = os.urandom(4 * 1024 * 1024)
    s.send_multipart([rid, blob])
    s.send_multipart([rid, b""])
    assert _recv_exactly(c, len(blob)) == blob
    assert _eof(c)


def test_large_data_both_ways(lib: Any, stream: Any, peers: Any) -> None:
    s = stream()
    port = s.bind_to_random_port("tcp://127.0.0.1")
    c = peers(port)
    rid = s.recv_multipart()[0]
    blob = os.urandom(3 * 1024 * 1024 + 17)
    s.send_multipart([rid, blob])
    assert _recv_exactly(c, len(blob)) == blob
    c.sendall(blob)
    assert _collect(s, rid, len(blob)) == blob


@pytest.mark.parametrize("size", [100, 200_000])
def test_tracked_frames_are_released_once_sent(
    lib: Any, stream: Any, peers: Any, size: int
) -> None:
    if lib.__name__ == "zmq" and sys.implementation.name == "pypy":
        pytest.skip("pyzmq's cffi backend (PyPy) has crashed the process here (segfault)")
    s = stream()
    port = s.bind_to_random_port("tcp://127.0.0.1")
    c = peers(port)
    rid = s.recv_multipart()[0]
    data = os.urandom(size)
    tracker = s.send_multipart([rid, data], copy=False, track=True)
    assert _recv_exactly(c, size) == data
    tracker.wait(TIMEOUT)
    assert tracker.done


def test_each_read_is_at_most_8192_bytes(lib: Any, stream: Any, peers: Any) -> None:
    s = stream()
    port = s.bind_to_random_port("tcp://127.0.0.1")
    c = peers(port)
    rid = s.recv_multipart()[0]
    c.sendall(b"x" * 100_000)
    sizes = []
    while sum(sizes) < 100_000:
        got_id, data = s.recv_multipart()
        assert got_id == rid
        sizes.append(len(data))
    assert max(sizes) <= 8192 and sum(sizes) == 100_000


def test_connect_to_a_plain_server(lib: Any, stream: Any, server: socket.socket) -> None:
    s = stream()
    s.connect(f"tcp://127.0.0.1:{server.getsockname()[1]}")
    rid = s.getsockopt(lib.ROUTING_ID)  # known before the connection is up
    a, _ = server.accept()
    with a:
        a.settimeout(TIMEOUT)
        assert s.recv_multipart() == [rid, b""]  # the connection is up
        a.sendall(b"greeting")
        assert s.recv_multipart() == [rid, b"greeting"]
        s.send_multipart([rid, b"request"])
        assert _recv_exactly(a, 7) == b"request"
    assert s.recv_multipart() == [rid, b""]  # the server closed it
    # reconnects: the same routing id, announced again
    a2, _ = server.accept()
    with a2:
        a2.settimeout(TIMEOUT)
        assert s.recv_multipart() == [rid, b""]
        s.send_multipart([rid, b"after"])
        assert _recv_exactly(a2, 5) == b"after"


def test_connect_routing_id(lib: Any, stream: Any, server: socket.socket) -> None:
    s = stream(connect_routing_id=b"upstream")
    s.connect(f"tcp://127.0.0.1:{server.getsockname()[1]}")
    assert s.getsockopt(lib.ROUTING_ID) == b""  # a named peer is not copied there
    a, _ = server.accept()
    with a:
        a.settimeout(TIMEOUT)
        assert s.recv_multipart() == [b"upstream", b""]
        s.send_multipart([b"upstream", b"hi"])
        assert _recv_exactly(a, 2) == b"hi"


def test_ipc(lib: Any, stream: Any, ipc_dir: str) -> None:
    s = stream()
    path = os.path.join(ipc_dir, "stream.sock")
    s.bind("ipc://" + path)
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.settimeout(TIMEOUT)
    with c:
        c.connect(path)
        rid = s.recv_multipart()[0]
        c.sendall(b"over ipc")
        assert s.recv_multipart() == [rid, b"over ipc"]
        s.send_multipart([rid, b"back"])
        assert _recv_exactly(c, 4) == b"back"


def _events(mon: Any, lib: Any, want: int) -> list[int]:
    """Monitor event numbers until `want` arrives (or the monitor times out)."""
    got: list[int] = []
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        frames = mon.recv_multipart()
        event = struct.unpack("=HI", frames[0][:6])[0]
        got.append(event)
        if event == want:
            return got
    raise AssertionError(f"no event {want} in {got}")


def test_monitor_sees_no_handshake(lib: Any, stream: Any, peers: Any) -> None:
    """libzmq reports every raw disconnect as HANDSHAKE_FAILED_NO_DETAIL, then
    DISCONNECTED; there is never a HANDSHAKE_SUCCEEDED."""
    s = stream()
    mon = s.get_monitor_socket()
    mon.setsockopt(lib.RCVTIMEO, int(TIMEOUT * 1000))
    mon.setsockopt(lib.LINGER, 0)
    try:
        port = s.bind_to_random_port("tcp://127.0.0.1")
        c = peers(port)
        s.recv_multipart()
        c.close()
        s.recv_multipart()
        got = _events(mon, lib, lib.EVENT_DISCONNECTED)
        assert got == [
            lib.EVENT_LISTENING,
            lib.EVENT_ACCEPTED,
            lib.EVENT_HANDSHAKE_FAILED_NO_DETAIL,
            lib.EVENT_DISCONNECTED,
        ]
    finally:
        s.disable_monitor()
        mon.close()


def test_options(lib: Any, stream: Any) -> None:
    s = stream()
    for value in (0, 1):
        s.setsockopt(lib.STREAM_NOTIFY, value)
    for bad in (2, -1):
        with pytest.raises(lib.ZMQError) as info:
            s.setsockopt(lib.STREAM_NOTIFY, bad)
        assert info.value.errno == errno.EINVAL
    with pytest.raises(lib.ZMQError) as info:
        s.getsockopt(lib.STREAM_NOTIFY)
    assert info.value.errno == errno.EINVAL
    s.setsockopt(lib.CONNECT_ROUTING_ID, b"name")
    for option in ("ROUTER_MANDATORY", "ROUTER_HANDOVER", "PROBE_ROUTER"):
        with pytest.raises(lib.ZMQError) as info:
            s.setsockopt(getattr(lib, option), 1)
        assert info.value.errno == errno.EINVAL
    s.setsockopt(lib.SNDHWM, 10)
    s.setsockopt(lib.RCVHWM, 10)
    assert (s.getsockopt(lib.SNDHWM), s.getsockopt(lib.RCVHWM)) == (10, 10)
    assert s.getsockopt(lib.EVENTS) & lib.POLLOUT  # always writable
    assert not s.getsockopt(lib.EVENTS) & lib.POLLIN
    other = make_socket(s.context, lib.DEALER)
    try:
        with pytest.raises(lib.ZMQError) as info:
            other.setsockopt(lib.STREAM_NOTIFY, 1)
        assert info.value.errno == errno.EINVAL
    finally:
        other.close(linger=0)
