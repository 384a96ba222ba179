"""send_multipart(parts, flags=SNDMORE) leaves the message open (pyzmq sends
every part with SNDMORE, the last one too): the next send continues it."""

from __future__ import annotations

from typing import Any


def _pair(lib: Any) -> tuple[Any, Any]:
    a = lib.test_ctx.socket(lib.PAIR)
    b = lib.test_ctx.socket(lib.PAIR)
    for s in (a, b):
        s.rcvtimeo = s.sndtimeo = 5000
    a.bind("inproc://more")
    b.connect("inproc://more")
    return a, b


def test_send_multipart_with_sndmore_keeps_the_message_open(lib: Any) -> None:
    a, b = _pair(lib)
    a.send_multipart([b"1", b"2"], flags=lib.SNDMORE)
    a.send(b"3")
    assert b.recv_multipart() == [b"1", b"2", b"3"]
    a.send(b"x", lib.SNDMORE)
    a.send_multipart([b"y", b"z"])
    assert b.recv_multipart() == [b"x", b"y", b"z"]
    a.close()
    b.close()
