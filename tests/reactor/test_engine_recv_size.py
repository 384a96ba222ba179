"""The engine's read size: below glibc's malloc mmap threshold while traffic
is light, larger only while the peer streams.

CPython's ``socket.recv(n)`` allocates an n-byte bytes object before the
syscall and shrinks it after. At 256 KiB that allocation is an mmap, page
faults and a munmap per call (~20 us even for a 100-byte read on the
reference machine, 10x a 64 KiB read); see benchmarks/README.md, Devices.
"""

from __future__ import annotations

from purezmq.reactor import engine

MMAP_THRESHOLD = 128 * 1024  # glibc's default M_MMAP_THRESHOLD


def test_recv_size_below_mmap_threshold() -> None:
    assert engine._RECV_SIZE >= 4096
    assert engine._RECV_SIZE + 64 < MMAP_THRESHOLD  # + the bytes object header
    assert engine._RECV_SIZE_BULK >= engine._RECV_SIZE


class _FakeSock:
    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks
        self.asked: list[int] = []

    def recv(self, n: int) -> bytes:
        self.asked.append(n)
        return self.chunks.pop(0)[:n]


def test_read_size_adapts_to_streaming() -> None:
    """Small reads while replies trickle in, bulk reads while a peer streams."""
    eng = engine.StreamEngine.__new__(engine.StreamEngine)
    small, bulk = engine._RECV_SIZE, engine._RECV_SIZE_BULK
    eng._recv_size = small
    eng._big_reads = 0
    # a reply, one large message (full read + rest), then a stream, then quiet
    sizes = [10, small, 9, small, small, bulk, small + 1, 10, 1]
    eng.sock = _FakeSock([b"x" * n for n in sizes])
    eng.conn = None  # receive_data fails: only the read size matters here

    def step() -> None:
        try:
            eng._on_readable()
        except AttributeError:
            pass

    eng._last_recv = 0.0
    for _ in sizes:
        step()
    assert eng.sock.asked == [small, small, small, small, small, bulk, bulk, bulk, small]


def test_large_frames_still_arrive_whole_through_small_reads() -> None:
    import purezmq

    ctx = purezmq.Context()
    try:
        pull = ctx.socket(purezmq.PULL)
        pull.rcvtimeo = 10000
        port = pull.bind_to_random_port("tcp://127.0.0.1")
        push = ctx.socket(purezmq.PUSH)
        push.sndtimeo = 10000
        push.connect(f"tcp://127.0.0.1:{port}")
        big = bytes(range(256)) * (3 * engine._RECV_SIZE // 256 + 7)  # several reads per frame
        push.send_multipart([b"head", big, b"tail"])
        assert pull.recv_multipart() == [b"head", big, b"tail"]
        push.close(0)
        pull.close(0)
    finally:
        ctx.destroy(0)
