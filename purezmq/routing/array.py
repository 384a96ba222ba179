"""The pipe list shared by `LoadBalancer`, `FairQueue` and `Distributor`
(libzmq src/array.hpp).

Theory of operation
-------------------
``_pipes`` is one list whose front ``[0, _active)`` holds the pipes worth
trying now and whose back ``[_active, len)`` holds the parked ones, as in
libzmq's ``array_t``; subclasses may split the front further (dist.py's
matching set). Moving a pipe between regions is one swap, so membership
changes are O(1). ``_index`` maps pipe -> position: libzmq keeps that index
inside the pipe, ours cannot, because one pipe usually sits in two routing
objects at once (a DEALER's `FairQueue` and `LoadBalancer`).

Only the cold bookkeeping lives here. Each subclass keeps its own per-message
loop, and the few helpers those loops call are plain methods found through
the type's attribute cache, so sharing them costs the hot path nothing.
"""

from __future__ import annotations

from .pipe import Pipe


class PipeArray:
    """Active/parked pipe list with O(1) moves; counterpart of libzmq array_t."""

    __slots__ = ("_active", "_index", "_pipes")

    def __init__(self) -> None:
        self._pipes: list[Pipe] = []
        self._index: dict[Pipe, int] = {}  # pipe -> position in _pipes
        self._active = 0  # pipes [0, _active) are worth trying

    def attach(self, pipe: Pipe) -> None:
        """Add a new pipe at the end of the active region. Idempotent."""
        index = self._index
        if pipe in index:
            return
        pipes = self._pipes
        index[pipe] = len(pipes)
        pipes.append(pipe)
        self._swap(self._active, len(pipes) - 1)
        self._active += 1

    def activated(self, pipe: Pipe) -> None:
        """Move a parked pipe back into the active region. Idempotent;
        unknown pipes are ignored."""
        i = self._index.get(pipe)
        if i is None or i < self._active:
            return
        self._swap(i, self._active)
        self._active += 1

    def __len__(self) -> int:
        return len(self._pipes)

    @property
    def active_count(self) -> int:
        return self._active

    def _swap(self, i: int, j: int) -> None:
        if i != j:
            pipes = self._pipes
            a = pipes[i]
            b = pipes[j]
            pipes[i] = b
            pipes[j] = a
            index = self._index
            index[a] = j
            index[b] = i

    def _erase(self, pipe: Pipe) -> None:
        """Drop `pipe` from the list; the last pipe takes its slot."""
        i = self._index.pop(pipe)
        last = self._pipes.pop()
        if last is not pipe:
            self._pipes[i] = last
            self._index[last] = i
