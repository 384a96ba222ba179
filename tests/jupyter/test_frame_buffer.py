"""What jupyter_client's Session needs from frames received with copy=False.

Session.deserialize(copy=False) takes ``.bytes`` of the header frames and
``memoryview()`` of every buffer frame; the same assertions run on purezmq and pyzmq.
"""

from __future__ import annotations

from typing import Any


def test_frame_is_a_buffer(lib: Any) -> None:
    frame = lib.Frame(b"\x00binary\xff")
    view = memoryview(frame)
    assert view.tobytes() == b"\x00binary\xff"
    assert view.shape == (len(frame),)
    assert memoryview(lib.Frame(b"")).shape == (0,)
    assert memoryview(lib.Frame(memoryview(b"abcdef")[2:])).tobytes() == b"cdef"
    assert frame.bytes == b"\x00binary\xff"


def test_received_frames_are_buffers(lib: Any) -> None:
    ctx = lib.Context()
    try:
        a = ctx.socket(lib.PAIR)
        b = ctx.socket(lib.PAIR)
        for s in (a, b):
            s.linger = 0
            s.rcvtimeo = 5000
        a.bind("inproc://frame-buffer")
        b.connect("inproc://frame-buffer")
        parts = [b"header", b"", bytes(range(256)) * 400]
        a.send_multipart(parts)
        frames = b.recv_multipart(copy=False)
        assert [memoryview(f).tobytes() for f in frames] == parts
        assert [f.bytes for f in frames] == parts
        # and a received Frame is sent on as it is (a proxy forwarding copy=False)
        b.send_multipart(frames, copy=False)
        assert a.recv_multipart() == parts
    finally:
        ctx.destroy(0)
