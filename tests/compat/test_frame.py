"""Frame as pyzmq has it: a buffer (``memoryview(frame)``), ``bytes`` cached,
identity equality, the errors for bad data, and which tracker a send returns.

Every test runs against purezmq and real pyzmq (the ``lib`` fixture).
"""

from __future__ import annotations

import array
import copy
import gc
import pickle
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from tests.testing import terminate

BIG = b"0123456789abcdef" * 6250  # 100_000 bytes: above the 64 KiB copy threshold


@pytest.fixture(autouse=True)
def _cffi_frames_differ(lib: Any) -> None:
    if lib.__name__ == "zmq" and sys.implementation.name == "pypy":
        pytest.skip(
            "pyzmq's cffi backend (PyPy) has another Frame: content equality, read-only buffers, other errors, and Frame('text') aborts the process"
        )


@pytest.fixture
def pair(lib: Any) -> Iterator[tuple[Any, Any]]:
    ctx = lib.Context()
    a = ctx.socket(lib.PAIR)
    b = ctx.socket(lib.PAIR)
    for s in (a, b):
        s.linger = 0
        s.rcvtimeo = s.sndtimeo = 5000
    port = a.bind_to_random_port("tcp://127.0.0.1")
    b.connect(f"tcp://127.0.0.1:{port}")
    yield a, b
    a.close()
    b.close()
    terminate(ctx)


def test_memoryview_of_a_frame_is_its_data(lib: Any) -> None:
    f = lib.Frame(b"hello world")
    view = memoryview(f)
    assert view.tobytes() == b"hello world"
    assert view.obj is f
    assert not view.readonly  # writable, as pyzmq's
    assert view.format == "B" and view.nbytes == 11
    assert f.buffer.tobytes() == b"hello world"


def test_buffers_of_received_frames_as_jupyter_takes_them(lib: Any, pair: Any) -> None:
    a, b = pair
    a.send_multipart([b"head", b"\x00\x01binary", BIG])
    frames = b.recv_multipart(copy=False)
    views = [memoryview(f) for f in frames[1:]]
    assert views[0].shape == (8,)
    assert [v.tobytes() for v in views] == [b"\x00\x01binary", BIG]
    assert [f.more for f in frames] == [True, True, False]


def test_bytes_is_a_cached_copy(lib: Any) -> None:
    data = b"x" * 100
    f = lib.Frame(data)
    assert f.bytes == data
    assert f.bytes is f.bytes
    assert f.bytes is not data
    assert type(f.bytes) is bytes
    assert bytes(f) == data


def test_frame_copies_a_small_mutable_buffer(lib: Any) -> None:
    source = bytearray(b"abc")
    f = lib.Frame(source)
    source[0] = ord("z")
    assert f.bytes == b"abc"


def test_frame_takes_any_contiguous_buffer(lib: Any) -> None:
    ints = array.array("i", [1, 2, 3])
    f = lib.Frame(ints)
    assert len(f) == ints.itemsize * 3
    assert memoryview(f).format == "B"
    assert lib.Frame(memoryview(b"abcdef")[1:3]).bytes == b"bc"
    assert lib.Frame(None).bytes == b""
    assert lib.Frame().bytes == b""


@pytest.mark.parametrize("bad", [1, 1.5, [1, 2], object()])
def test_frame_refuses_what_is_not_a_buffer(lib: Any, bad: Any) -> None:
    with pytest.raises(TypeError, match="a bytes-like object is required"):
        lib.Frame(bad)


def test_frame_refuses_str(lib: Any) -> None:
    with pytest.raises(TypeError, match="Str objects not allowed"):
        lib.Frame("text")


def test_frame_refuses_a_non_contiguous_buffer(lib: Any) -> None:
    with pytest.raises(BufferError, match="not contiguous"):
        lib.Frame(memoryview(bytearray(b"abcdefgh"))[::2])


def test_equality_and_hash_are_by_identity(lib: Any) -> None:
    f = lib.Frame(b"abc")
    assert f == f
    assert f != lib.Frame(b"abc")
    assert f != b"abc"
    assert {f: 1}[f] == 1
    assert len(f) == 3 and f
    assert not lib.Frame(b"")


def test_get_more_and_errors(lib: Any) -> None:
    f = lib.Frame(b"abc")
    assert f.get(lib.MORE) == 0
    assert f[lib.MORE] == 0
    with pytest.raises(lib.ZMQError) as info:
        f[0]
    assert info.value.errno == lib.EINVAL
    with pytest.raises(lib.ZMQError):
        f.get("Socket-Type")  # a frame made here has no peer properties


def test_repr_and_str(lib: Any) -> None:
    name = lib.__name__
    assert repr(lib.Frame(b"y" * 16)) == f"<{name}.Frame(b'{'y' * 16}')>"
    assert repr(lib.Frame(b"y" * 17)) == f"<{name}.Frame(b'{'y' * 12}'...17B)>"
    assert str(lib.Frame(b"abc")) == repr(lib.Frame(b"abc"))


def test_copy_and_pickle(lib: Any) -> None:
    f = lib.Frame(b"abc")
    g = copy.copy(f)
    assert g is not f and g.bytes == b"abc"
    with pytest.raises(TypeError):
        pickle.dumps(f)


def test_tracked_frames(lib: Any) -> None:
    small = lib.Frame(b"x" * 10, track=True)
    assert small.tracker is lib._FINISHED_TRACKER  # copied below the threshold
    assert small.tracker_event is None
    assert lib.Frame(BIG, track=True, copy=True).tracker is lib._FINISHED_TRACKER
    assert lib.Frame(b"x" * 10, track=True, copy=False).tracker is not lib._FINISHED_TRACKER
    assert lib.Frame(b"x" * 10, track=True, copy_threshold=0).tracker is not lib._FINISHED_TRACKER
    assert lib.Frame(BIG).tracker is None
    big = lib.Frame(BIG, track=True)
    tracker = big.tracker
    assert isinstance(tracker, lib.MessageTracker)
    assert isinstance(big.tracker_event, threading.Event)
    assert not tracker.done  # the Frame itself still holds its data
    if sys.implementation.name != "pypy":
        del big
        gc.collect()
        tracker.wait(5)
        assert tracker.done


def test_message_tracker_refuses_other_objects(lib: Any) -> None:
    with pytest.raises(TypeError, match="Require Events or Message Frames"):
        lib.MessageTracker(1)


def _kind(lib: Any, result: Any) -> str:
    if result is None:
        return "none"
    return "finished" if result is lib._FINISHED_TRACKER else "live"


# (size, copy, track) -> what send, send_multipart (whose last frame is b"y")
# and send of a bytearray return
SENDS = [
    (10, True, True, "none", "none", "none"),
    (10, True, False, "none", "none", "none"),
    (10, False, True, "finished", "finished", "finished"),
    (10, False, False, "finished", "finished", "finished"),
    (100_000, True, True, "none", "none", "none"),
    (100_000, True, False, "none", "none", "none"),
    (100_000, False, True, "live", "finished", "live"),
    (100_000, False, False, "none", "finished", "none"),
]


@pytest.mark.parametrize("size,copy_,track,single,multi,array_", SENDS)
def test_what_send_returns(
    lib: Any, pair: Any, size: int, copy_: bool, track: bool, single: str, multi: str, array_: str
) -> None:
    a, b = pair
    body = b"x" * size
    assert _kind(lib, a.send(body, copy=copy_, track=track)) == single
    assert b.recv() == body
    assert _kind(lib, a.send_multipart([body, b"y"], copy=copy_, track=track)) == multi
    assert b.recv_multipart() == [body, b"y"]
    assert _kind(lib, a.send(bytearray(body), copy=copy_, track=track)) == array_
    assert b.recv() == body


@pytest.mark.parametrize("size", [10, 100_000])
def test_sending_frames_with_and_without_trackers(lib: Any, pair: Any, size: int) -> None:
    a, b = pair
    tracked = lib.Frame(b"x" * size, track=True)
    assert a.send(tracked, copy=False, track=True) is tracked.tracker
    assert a.send(tracked, copy=False) is tracked.tracker
    plain = lib.Frame(b"x" * size)
    assert a.send(plain, copy=False) is None
    with pytest.raises(ValueError, match="Not a tracked message"):
        a.send(plain, copy=False, track=True)
    for _ in range(3):
        assert b.recv() == b"x" * size


def test_send_refuses_what_is_not_a_buffer(lib: Any, pair: Any) -> None:
    a, _ = pair
    with pytest.raises(TypeError, match="use send_string"):
        a.send("text")
    with pytest.raises(TypeError, match="a bytes-like object is required"):
        a.send(1)
