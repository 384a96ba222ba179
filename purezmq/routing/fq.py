"""Fair-queued receiving from readable pipes (libzmq src/fq.cpp).

Theory of operation
-------------------
Same two-region list as `LoadBalancer` (`PipeArray`, array.py):

    [0, _active)        pipes that may hold messages, read round-robin
    [_active, len)      pipes found empty; parked until ``read_activated``

`recv` reads one whole message from the current pipe and moves on, so every
peer gets one message per turn. A message is what the pipe carries: a list of
frames, or one bare frame from a compact connection (zmtp/events.py). A pipe whose `Pipe.read` returns None is
parked: that failed read set the pipe's ``reader_asleep`` flag, so its writer
will wake us (-> `activated`) when a message arrives. Nothing may park a pipe
any other way, or that wake-up would be lost; `has_in` parks only through
`Pipe.check_read`, which arms the same flag.

Termination keeps delivery lossless: when the peer closes, messages it had
already queued stay readable. `pipe_terminated` therefore only marks a pipe
that still holds messages as draining; `recv` forgets it once its read
returns None (pipe.py guarantees nothing is written after the close).

All calls come from the owning socket's thread. Nothing here raises for
"would block": `recv` returns None.
"""

from __future__ import annotations

from ..zmtp.events import Inbound
from . import pipe as _pipe
from .array import PipeArray
from .pipe import Pipe, release


class FairQueue(PipeArray):
    """Round-robin inbound pipe selection; counterpart of libzmq fq_t.

    `attach` adds a pipe as active, so the first `recv` polls it;
    `activated` (the pipe's ``read_activated``) wakes a parked pipe."""

    __slots__ = ("_current", "_draining", "last")

    def __init__(self) -> None:
        super().__init__()  # pipes [0, _active) may be readable
        self._current = 0  # next pipe to read, always < _active (or 0)
        self._draining: set[Pipe] = set()  # terminated, still holding messages
        self.last: Pipe | None = None  # the pipe the last message came from

    # -- membership ----------------------------------------------------------

    def pipe_terminated(self, pipe: Pipe) -> None:
        """The pipe is closing: drain what it holds, then forget it. Idempotent."""
        i = self._index.get(pipe)
        if i is None:
            return
        if pipe.has_in():
            self._draining.add(pipe)
            if i >= self._active:  # normally already active; be robust
                self._swap(i, self._active)
                self._active += 1
            return
        self._remove(pipe)

    # -- receiving -----------------------------------------------------------

    def recv(self) -> Inbound | None:
        """Next whole message, round-robin across pipes; None if none now."""
        active = self._active
        pipes = self._pipes
        while active:
            cur = self._current
            pipe = pipes[cur]
            # `Pipe.read` inline while the pipe holds messages (the hot case:
            # one Python call less per message). An empty queue takes `read`,
            # which arms the reader's wake-up; so does one a conflating writer
            # emptied under our feet (the only writer that removes items).
            q = pipe._in
            items = q.items
            msg: Inbound | None  # local annotation: no bytecode
            if items:
                try:
                    msg = items.popleft()
                except IndexError:
                    msg = pipe.read()
                else:
                    if q.writer_blocked and len(items) + q.held <= q.lwm:
                        q.writer_blocked = False
                        pipe.peer._notify_writable()
                    if _pipe.tracked_live:
                        release(msg)  # the reading socket took it
            else:
                msg = pipe.read()
            if msg is not None:
                self.last = pipe
                cur += 1
                self._current = cur if cur < active else 0
                return msg
            active = self._exhausted(cur)
        return None

    def recv_pipe(self) -> tuple[Inbound, Pipe] | None:
        """As `recv`, but return ``(msg, pipe)`` (ROUTER needs the pipe)."""
        active = self._active
        pipes = self._pipes
        while active:
            cur = self._current
            pipe = pipes[cur]
            msg = pipe.read()
            if msg is not None:
                self.last = pipe
                cur += 1
                self._current = cur if cur < active else 0
                return msg, pipe
            active = self._exhausted(cur)
        return None

    def has_in(self) -> bool:
        """True if some pipe holds a message now (libzmq fq_t::has_in).

        Pipes found empty are parked with their wake-up armed
        (`Pipe.check_read`), so a caller may sleep after a False answer."""
        pipes = self._pipes
        active = self._active
        while active:
            cur = self._current
            if pipes[cur].check_read():
                return True
            active = self._exhausted(cur)
        return False

    # -- internals -------------------------------------------------------------

    def _exhausted(self, cur: int) -> int:
        """The read at `cur` found nothing: park or drop it; new active count."""
        pipe = self._pipes[cur]
        active = self._active - 1
        self._active = active
        self._swap(cur, active)
        if cur == active:
            self._current = 0
        if pipe.terminated or pipe in self._draining:
            self._draining.discard(pipe)
            self._erase(pipe)  # sits at index `active`, first parked slot
        return active

    def _remove(self, pipe: Pipe) -> None:
        i = self._index[pipe]
        if i < self._active:
            self._active -= 1
            self._swap(i, self._active)
            if self._current == self._active:
                self._current = 0
        self._draining.discard(pipe)
        self._erase(pipe)
