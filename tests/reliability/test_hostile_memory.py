"""Memory an unauthenticated peer can make a socket hold, on purezmq and
libzmq. The peer sends a lot and never reads: what the socket keeps for it
must stay bounded (by RCVHWM for messages, by a small constant otherwise),
and everything goes when the peer goes."""

from __future__ import annotations

import gc
import socket as pysocket
import struct
import sys
import time

import pytest

import purezmq
from purezmq.zmtp.framing import encode_command
from tests.testing import RawPeer, eventually, fd_count, load_lib, rss_kib, setup_socket

MIB = 1024


def _flood(raw: RawPeer, chunk: bytes, total: int, seconds: float) -> int:
    """Send `chunk` until `total` bytes went out, the socket stops reading
    (our send blocks for 1 s), or `seconds` pass. Returns bytes sent."""
    raw.sock.settimeout(1.0)
    sent = 0
    deadline = time.monotonic() + seconds
    try:
        while sent < total and time.monotonic() < deadline:
            raw.sock.sendall(chunk)
            sent += len(chunk)
    except (pysocket.timeout, OSError):
        pass
    return sent


@pytest.mark.timeout(60)
@pytest.mark.parametrize("libname", ["purezmq", "pyzmq"])
def test_ping_flood_from_a_peer_that_never_reads(libname: str) -> None:
    """Every PING asks for a PONG; a peer that never reads them must not make
    the socket queue PONGs without bound (libzmq keeps at most one pending)."""
    if sys.implementation.name == "pypy":
        pytest.skip("RSS under PyPy's GC follows what was allocated, not what is live")
    lib = load_lib(libname)
    ctx = lib.Context()
    try:
        sock, port = setup_socket(lib, ctx, "PULL")
        raw = RawPeer(port)
        raw.sock.setsockopt(pysocket.SOL_SOCKET, pysocket.SO_RCVBUF, 4096)
        raw.handshake("PUSH")
        gc.collect()
        before = rss_kib()
        chunk = encode_command(b"PING", b"\x00\x00") * 50_000  # 450 KB
        sent = _flood(raw, chunk, 24 << 20, 20.0)
        grown = rss_kib() - before
        assert grown < 6 * MIB, f"{grown} KiB held after {sent >> 20} MiB of unanswered PINGs"
        raw.close()
        sock.close(0)
    finally:
        ctx.destroy(linger=0)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("libname", ["purezmq", "pyzmq"])
def test_message_flood_is_bounded_by_rcvhwm(libname: str) -> None:
    """A PUSH peer floods 1 KiB messages nobody receives: the socket holds
    about RCVHWM of them (plus what one read decodes), then stops reading."""
    lib = load_lib(libname)
    ctx = lib.Context()
    try:
        sock = ctx.socket(lib.PULL)
        sock.setsockopt(lib.LINGER, 0)
        sock.setsockopt(lib.RCVHWM, 1000)
        port = sock.bind_to_random_port("tcp://127.0.0.1")
        raw = RawPeer(port)
        raw.handshake("PUSH")
        gc.collect()
        before = rss_kib()
        frame = b"\x02" + struct.pack(">Q", 1024) + b"m" * 1024
        sent = _flood(raw, frame * 1000, 64 << 20, 20.0)
        grown = rss_kib() - before
        assert sent < 32 << 20, f"the socket kept reading: {sent >> 20} MiB accepted"
        assert grown < 16 * MIB, f"{grown} KiB held for {sent >> 20} MiB sent"
        raw.close()
        sock.close(0)
    finally:
        ctx.destroy(linger=0)


@pytest.mark.timeout(60)
def test_half_sent_huge_frames_are_released_with_their_peers() -> None:
    """Ten peers each claim a 1 GiB frame and send 2 MiB of it, then vanish:
    the memory and fds come back (nothing waits for other I/O). Python heap
    measured with tracemalloc (RSS would also count what malloc keeps)."""
    tracemalloc = pytest.importorskip("tracemalloc", reason="PyPy has no tracemalloc")
    ctx = purezmq.Context()
    tracemalloc.start()
    try:
        sock, port = setup_socket(purezmq, ctx, "PULL")
        gc.collect()
        fds, before = fd_count(), tracemalloc.get_traced_memory()[0]
        peers = []
        for _ in range(10):
            raw = RawPeer(port)
            raw.handshake("PUSH")
            raw.send(b"\x02" + struct.pack(">Q", 1 << 30))
            raw.send(b"x" * (2 << 20))
            peers.append(raw)
        for raw in peers:
            raw.close()
        gc.collect()
        eventually(lambda: fd_count() <= fds, 5.0, what="fds back to baseline")
        held = 20 << 20  # what the peers sent

        def released() -> bool:
            if sys.implementation.name != "cpython":
                gc.collect()  # no reference counting: only a collection frees
            # On CPython the last reference going frees at once; nothing here
            # runs the cyclic collector after the peers' EOFs are handled.
            return tracemalloc.get_traced_memory()[0] - before < held // 20

        eventually(
            released,
            5.0,
            what=f"heap back near baseline (grown {tracemalloc.get_traced_memory()[0] - before} B)",
        )
        sock.close(0)
    finally:
        tracemalloc.stop()
        ctx.destroy(linger=0)
