"""While an engine waits for its socket to become writable, only
`on_writable` sends, and it tells the session to pump the pipe again.

A flush that emptied the write queue on its own left the session waiting
for an `engine_writable` that never came: a PUSH that had queued SNDHWM
messages before its connection's handshake stalled for good about once in
a hundred connections (the pump at `engine_ready` filled the kernel, then
the flush after it found room and sent the rest)."""

from __future__ import annotations

import threading
from typing import Any

from purezmq.reactor import engine


class _Sock:
    def __init__(self) -> None:
        self.sent: list[bytes] = []

    def send(self, data: Any) -> int:
        self.sent.append(bytes(data))
        return len(data)

    def sendmsg(self, chunks: list[Any]) -> int:
        return sum(self.send(c) for c in chunks)


class _Conn:
    def __init__(self) -> None:
        self.out: list[bytes] = []

    def has_output(self) -> bool:
        return bool(self.out)

    def take_output(self) -> list[bytes]:
        out, self.out = self.out, []
        return out


class _Loop:
    def in_thread(self) -> bool:
        return True

    def modify_handler(self, *_: Any) -> None:
        pass


class _Session:
    def __init__(self) -> None:
        self.writable = 0

    def engine_writable(self, _engine: Any) -> None:
        self.writable += 1


def _blocked_engine() -> Any:
    eng = engine.StreamEngine.__new__(engine.StreamEngine)
    eng.closed = False
    eng.lock = threading.RLock()
    eng.sock = _Sock()
    eng.conn = _Conn()
    eng.loop = _Loop()
    eng.session = _Session()
    eng._partial = None
    eng._reading = True
    eng._events = engine.EVENT_READ | engine.EVENT_WRITE
    eng._wq = [b"rest of a batch"]  # what the kernel refused last time
    return eng


def test_flush_while_write_blocked_leaves_sending_to_on_writable() -> None:
    eng = _blocked_engine()
    eng.flush()  # nothing new from the codec: the queue stays for on_writable
    assert eng._wq == [b"rest of a batch"] and eng.sock.sent == []
    eng.conn.out.append(b"PING")
    eng.flush()  # new output joins the queue, behind what waits
    assert eng._wq == [b"rest of a batch", b"PING"] and eng.sock.sent == []
    eng.on_writable()
    assert b"".join(eng.sock.sent) == b"rest of a batchPING"
    assert eng._wq == [] and eng._events == engine.EVENT_READ
    assert eng.session.writable == 1  # the session pumps its pipe again
