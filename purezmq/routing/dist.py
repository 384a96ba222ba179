"""Fan-out of one message to many pipes (libzmq src/dist.cpp).

Theory of operation
-------------------
``_pipes`` is one list split in three regions, as in libzmq's dist_t:

    [0, _matching)          pipes chosen for the current message
    [_matching, _active)    writable pipes not chosen
    [_active, len)          pipes that refused a write; parked until the
                            owner reports ``write_activated`` (-> `activated`)

XPUB calls `match` for every subscriber whose prefix matches (moving it into
the first region with one swap), then `send_to_matching`, then `unmatch`.
XSUB sends subscriptions upstream with `send_to_all`.

libzmq also keeps an "eligible" region for pipes that attach in the middle
of a multipart message. A queue item here is a whole message, so there is
no middle, and no such region.

The same message list object is written to every pipe: frames are immutable
``bytes`` and nobody may mutate a message taken from a pipe, so there is no
copy per subscriber (libzmq shares the buffer with a reference count).

A pipe at its HWM simply misses the message (PUB drops, never blocks); its
failed write armed the ``write_activated`` wake-up, and it is parked until
then. `check_hwm` lets XPUB_NODROP refuse the whole message instead.
"""

from __future__ import annotations

from typing import Any

from .array import PipeArray
from .pipe import Pipe


class Distributor(PipeArray):
    """Send one message to all or to the matching pipes; libzmq dist_t.

    `attach` adds a pipe as writable but not matching; `activated` (the
    pipe's ``write_activated``) makes a parked pipe writable again."""

    __slots__ = ("_matching",)

    def __init__(self) -> None:
        super().__init__()  # pipes [0, _active) are writable
        self._matching = 0  # pipes [0, _matching) get the current message

    # -- membership ----------------------------------------------------------

    def pipe_terminated(self, pipe: Pipe) -> None:
        """Forget the pipe. Idempotent."""
        i = self._index.get(pipe)
        if i is None:
            return
        if i < self._matching:
            self._matching -= 1
            self._swap(i, self._matching)
            i = self._matching
        if i < self._active:
            self._active -= 1
            self._swap(i, self._active)
        self._erase(pipe)

    # -- matching set ----------------------------------------------------------

    def match(self, pipe: Pipe) -> None:
        """Add an active pipe to the current message's matching set."""
        index = self._index
        i = index.get(pipe)
        m = self._matching
        if i is None or i < m or i >= self._active:
            return
        self._matching = m + 1
        if i != m:  # swap, inlined: this runs once per subscriber per message
            pipes = self._pipes
            other = pipes[m]
            pipes[m] = pipe
            pipes[i] = other
            index[pipe] = m
            index[other] = i

    def unmatch(self) -> None:
        """Empty the matching set."""
        self._matching = 0

    def reverse_match(self) -> None:
        """Matching becomes the active pipes that were not matching
        (XPUB_INVERT_MATCHING)."""
        prev = self._matching
        m = 0
        for i in range(prev, self._active):
            self._swap(i, m)
            m += 1
        self._matching = m

    # -- sending -------------------------------------------------------------

    def send_to_all(self, msg: list[Any]) -> int:
        """Write `msg` to every active pipe; returns how many took it.

        Leaves the matching set empty."""
        self._matching = self._active
        n = self.send_to_matching(msg)
        self._matching = 0
        return n

    def send_to_matching(self, msg: list[Any]) -> int:
        """Write `msg` to every matching pipe; returns how many took it.

        Pipes at HWM miss the message and leave both the matching and the
        active set. The matching set is otherwise kept (call `unmatch`)."""
        pipes = self._pipes
        n = self._matching
        for i in range(n):
            if not pipes[i].write(msg):
                return self._distribute_from(msg, i)
        return n

    def has_out(self) -> bool:
        """Always True: a distributor never blocks (libzmq dist_t::has_out)."""
        return True

    def check_hwm(self) -> bool:
        """True if every matching pipe can take a message now (XPUB_NODROP).

        A full pipe arms its ``write_activated`` wake-up."""
        pipes = self._pipes
        # a plain loop: all() over a generator costs ~3x per send on NODROP
        for i in range(self._matching):  # noqa: SIM110
            if not pipes[i].check_write():
                return False
        return True

    @property
    def matching_count(self) -> int:
        return self._matching

    # -- internals -------------------------------------------------------------

    def _distribute_from(self, msg: list[Any], i: int) -> int:
        """Slow path: the write at `i` failed. Park it, go on from `i`."""
        pipes = self._pipes
        while True:
            m = self._matching - 1
            self._swap(i, m)
            self._matching = m
            a = self._active - 1
            self._swap(m, a)
            self._active = a
            # the pipe now at `i` has not been tried yet
            while i < m:
                if not pipes[i].write(msg):
                    break
                i += 1
            else:
                return m
