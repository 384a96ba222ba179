"""Round-robin sending over writable pipes (libzmq src/lb.cpp).

Theory of operation
-------------------
``_pipes`` is one list split in two regions (`PipeArray`, array.py):

    [0, _active)        pipes believed writable, served round-robin
    [_active, len)      pipes that refused a write; parked until the pipe's
                        owner reports ``write_activated`` (-> `activated`)

Moving a pipe between regions is one swap, so every operation is O(1).

A queue item is a whole multipart message, so multipart atomicity is free
and libzmq's ``_more``/``_dropping`` bookkeeping disappears. A pipe whose
write fails has set its ``writer_blocked`` flag (see pipe.py), so the owner is
guaranteed a ``write_activated`` later: parking it loses nothing.

All calls come from the owning socket's thread. Nothing here raises for
"would block": `send` returns False.
"""

from __future__ import annotations

from typing import Any

from . import pipe as _pipe
from .array import PipeArray
from .pipe import Pipe


class LoadBalancer(PipeArray):
    """Round-robin outbound pipe selection; counterpart of libzmq lb_t.

    `attach` adds a pipe as writable; `activated` (the pipe's
    ``write_activated``) makes a parked pipe writable again."""

    __slots__ = ("_current",)

    def __init__(self) -> None:
        super().__init__()  # pipes [0, _active) are writable
        self._current = 0  # next pipe to try, always < _active (or 0)

    # -- membership ----------------------------------------------------------

    def pipe_terminated(self, pipe: Pipe) -> None:
        """Forget the pipe. Idempotent."""
        i = self._index.get(pipe)
        if i is None:
            return
        if i < self._active:
            self._active -= 1
            self._swap(i, self._active)
            if self._current == self._active:
                self._current = 0
        self._erase(pipe)

    # -- sending -------------------------------------------------------------

    def send(self, msg: list[Any]) -> bool:
        """Write one whole message to the next writable pipe; False if none."""
        active = self._active
        if not active:
            return False
        pipes = self._pipes
        cur = self._current
        while True:
            pipe = pipes[cur]
            q = pipe._out
            items = q.items
            if (q.hwm and len(items) >= q.limit) or q.closed or q.conflate or _pipe.tracked_live:
                ok = pipe.write(msg)  # full, closed, conflating or tracked: the whole protocol
            else:
                # `Pipe.write` inline for the usual case: one call less per message.
                items.append(msg)
                if q.reader_asleep:
                    q.reader_asleep = False
                    pipe.peer._notify_readable()
                ok = True
            if ok:
                cur += 1
                self._current = cur if cur < active else 0
                return True
            active = self._deactivate(cur)
            if not active:
                return False
            cur = self._current

    def send_pipe(self, msg: list[Any]) -> Pipe | None:
        """As `send`, but return the pipe that took the message (or None)."""
        active = self._active
        if not active:
            return None
        pipes = self._pipes
        cur = self._current
        while True:
            pipe = pipes[cur]
            if pipe.write(msg):
                cur += 1
                self._current = cur if cur < active else 0
                return pipe
            active = self._deactivate(cur)
            if not active:
                return None
            cur = self._current

    def has_out(self) -> bool:
        """True if some pipe can take a message now (libzmq lb_t::has_out).

        Pipes found full are parked; `Pipe.check_write` has armed their
        ``write_activated`` wake-up."""
        pipes = self._pipes
        while self._active:
            if pipes[self._current].check_write():
                return True
            self._deactivate(self._current)
        return False

    # -- internals -------------------------------------------------------------

    def _deactivate(self, cur: int) -> int:
        """Park the pipe at `cur` (< _active); returns the new active count."""
        active = self._active - 1
        self._active = active
        if cur < active:
            self._swap(cur, active)
            self._current = cur
        else:
            self._current = 0
        return active
