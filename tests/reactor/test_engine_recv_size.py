"""The engine's read size stays below glibc's malloc mmap threshold.

CPython's ``socket.recv(n)`` allocates an n-byte bytes object before the
syscall and shrinks it after. At 256 KiB that allocation is an mmap, page
faults and a munmap per call (~20 us even for a 100-byte read on the
reference machine, 10x a 64 KiB read); see benchmarks/README.md, Devices.
"""

from __future__ import annotations

from purezmq.reactor import engine

MMAP_THRESHOLD = 128 * 1024  # glibc's default M_MMAP_THRESHOLD


def test_recv_size_below_mmap_threshold() -> None:
    assert 4096 <= engine._RECV_SIZE
    assert engine._RECV_SIZE + 64 < MMAP_THRESHOLD  # + the bytes object header


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
