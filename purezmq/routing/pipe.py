"""Bounded pipes of whole messages between two owners (libzmq src/pipe.cpp).

Theory of operation
-------------------
A pipe pair joins two owners: a socket and a session (tcp/ipc), or two
sockets (inproc). Each owner holds one `Pipe` end; an end reads from one
`_Queue` and writes to the other. A queue item is one whole multipart message
(a list of frames; or, written by a session whose
connection is compact, a one-frame message as its bare ``bytes``, see
zmtp/events.py), so multipart atomicity comes for free and the high-water
mark counts messages, as in libzmq.

The two owners usually live on different threads (app thread and I/O thread).
They share nothing but the two queues: a `deque` whose `append`/`popleft` are
atomic under the GIL, plus two flags per queue.

* ``reader_asleep``: set by the reader when it found the queue empty. The
  writer clears it and wakes the reader (``read_activated``). The reader sets
  the flag *before* looking again, so a message appended in between is either
  seen by that second look or finds the flag set: no lost wake-up. A spurious
  wake-up is possible and harmless; owners treat activation as idempotent.
* ``writer_blocked``: set by a writer that found the queue at HWM. The reader
  clears it and wakes the writer (``write_activated``) once the queue drains to
  the low-water mark; the same set-then-look-again rule applies.

So a thread is woken on empty -> non-empty and full -> below-LWM transitions
only, never per message.

Hot paths carry the common case of this protocol inline (a pipe with room,
open, not conflating, no tracked frames: append, then wake an asleep
reader; a non-empty queue: popleft), saving a call per message:
`LoadBalancer.send`, `FairQueue.recv` and `write_lossy_each`. A change to
the flags' protocol changes them too.

Wake-ups go through the owner's ``post(fn, *args)``, which runs ``fn`` later on
the owner's thread (a socket's mailbox, or the I/O loop's
``call_soon_threadsafe``). Owners implement `PipeSink`.

Conflate (ZMQ_CONFLATE, libzmq ypipe_conflate): a conflating queue keeps
only the newest data message. The writer end is a `_ConflatePipe`, whose
`write` drops what is still queued and never reports HWM; the plain `Pipe`
hot path pays nothing for the mode. Subscription events (anything that is
not a message: a list of frames, or a compact one-frame message as bare
bytes, see zmtp/events.py) are never conflated away: losing a SUBSCRIBE because a
later one overtook it is a known libzmq CONFLATE pitfall we do not copy.

Closing: `Pipe.close` marks the outgoing queue closed and tells the peer
(``pipe_terminated``). Messages already queued stay readable: the peer keeps
reading until `Pipe.read` returns None, then forgets the pipe. Nothing already
delivered is lost. The closing owner never reads its own end again.

Tracked frames (``send(..., track=True)``): such a frame is a `TrackedBuffer`
whose `Track` counts the places that still hold it, without relying on the
garbage collector. Every pipe write takes a hold; it is given back when a
socket reads the message (`read`: inproc delivery), when the message is
dropped (conflate, a closed pipe's abandoned queue), and, for what a session
takes with `read_batch`, by the session and engine once the bytes are copied
or sent (`release`). The checks run only while `tracked_live` is non-zero,
so untracked traffic pays one test of a global per pipe call.
"""

from __future__ import annotations

import threading
import weakref
from collections import deque
from collections.abc import Iterable
from itertools import repeat, starmap
from typing import Any, Callable, Optional, Protocol

Post = Callable[..., None]

_MAX_WM_DELTA = 1024  # libzmq pipe.cpp: max_wm_delta


def compute_lwm(hwm: int) -> int:
    """Low-water mark for a given HWM, as libzmq's compute_lwm."""
    if hwm > _MAX_WM_DELTA * 2:
        return hwm - _MAX_WM_DELTA
    return (hwm + 1) // 2


# How many tracked frames purezmq has not finished with yet (see Track).
tracked_live = 0
_live_lock = threading.Lock()


class Track:
    """The hold count of one tracked frame; `event` is set when it drops to
    zero after a hold was taken, or when the frame is collected unheld (a
    message no pipe took, e.g. a PUB with no subscriber)."""

    __slots__ = ("event", "_holds", "_lock")

    def __init__(self) -> None:
        global tracked_live
        self.event = threading.Event()
        self._holds = 0
        self._lock = threading.Lock()
        with _live_lock:
            tracked_live += 1

    def hold(self) -> None:
        with self._lock:
            self._holds += 1

    def release(self) -> None:
        with self._lock:
            self._holds -= 1
            if self._holds > 0:
                return
        self.finish()

    def finish_if_unheld(self) -> None:
        """After a send: a frame no pipe took (the socket type consumed it, or
        dropped the message) is done now, not when collected."""
        with self._lock:
            unheld = self._holds == 0
        if unheld:
            self.finish()

    def finish(self) -> None:
        global tracked_live
        with self._lock:
            if self.event.is_set():
                return
            self.event.set()
        with _live_lock:
            tracked_live -= 1


class TrackedBuffer(bytearray):
    """A private copy of a frame sent with ``track=True``; see `Track`."""

    __slots__ = ("track", "__weakref__")

    def __init__(self, data: Any = b"") -> None:
        super().__init__(data)
        self.track = Track()
        weakref.finalize(self, self.track.finish)


def _hold(msg: Any) -> None:
    if isinstance(msg, list):
        for frame in msg:
            if type(frame) is TrackedBuffer:
                frame.track.hold()


def release(msg: Any) -> None:
    if isinstance(msg, list):
        for frame in msg:
            if type(frame) is TrackedBuffer:
                frame.track.release()


def _abandon(q: _Queue) -> None:
    """Nobody will read `q` again: its tracked frames are dropped."""
    items = q.items
    while items:
        try:
            release(items.popleft())
        except IndexError:
            break


class PipeSink(Protocol):
    def read_activated(self, pipe: Pipe) -> None: ...

    def write_activated(self, pipe: Pipe) -> None: ...

    def pipe_terminated(self, pipe: Pipe) -> None: ...


class _Queue:
    __slots__ = (
        "items",
        "hwm",
        "lwm",
        "limit",
        "held",
        "reader_asleep",
        "writer_blocked",
        "closed",
        "conflate",
    )

    def __init__(self, hwm: int, conflate: bool = False) -> None:
        self.items: deque[Any] = deque()
        self.conflate = conflate  # keep only the newest data message
        if conflate:
            hwm = 0  # libzmq: a conflating pipe has no HWM
        self.hwm = hwm  # 0 means unbounded, as ZMQ_SNDHWM/RCVHWM = 0
        self.lwm = compute_lwm(hwm)
        # Messages the reader took but has not finished with (a session's
        # batch still in its engine) count against the HWM: the writer may
        # queue `limit` = hwm - held.
        self.held = 0
        self.limit = hwm
        self.reader_asleep = False
        self.writer_blocked = False
        self.closed = False  # the writer end has closed


class Pipe:
    """One end of a bidirectional pipe pair (libzmq pipe_t)."""

    __slots__ = (
        "_in",
        "_out",
        "peer",
        "sink",
        "post",
        "routing_id",
        "peer_identity",
        "endpoint",
        "metadata",
        "terminated",
        "direct_read",
        "drain",
        "__weakref__",
    )

    def __init__(self, inq: _Queue, outq: _Queue) -> None:
        self._in = inq
        self._out = outq
        self.peer: Pipe = self  # set by pipe_pair
        self.sink: Optional[PipeSink] = None
        self.post: Post = _run_now
        self.routing_id: bytes = b""  # the peer's id as a ROUTER sees it
        self.peer_identity: Optional[bytes] = None  # from READY; None until the handshake
        self.endpoint: str = ""  # endpoint this pipe belongs to (for disconnect)
        # What received frames report as their properties (Frame.get): the
        # connection's peer metadata, Peer-Address, User-Id and ZAP metadata.
        self.metadata: Optional[dict[str, bytes]] = None
        self.terminated = False  # peer closed this pipe (set on our thread)
        # Optional fast wake-up, run on the *writer's* thread: returns True if
        # it served the new message itself (a session writing through to an
        # idle connection), False to fall back to ``post``.
        self.direct_read: Optional[Callable[[Pipe], bool]] = None
        # Optional, run on the *writer's* thread when the pipe is full: the
        # reader may move messages on itself (a session sending to the
        # kernel) before the writer gives up. Returns True if it did.
        self.drain: Optional[Callable[[], bool]] = None

    def bind(self, sink: PipeSink, post: Post) -> None:
        """Attach the owner that will receive this end's notifications.

        A peer that closed before we were bound told nobody: the owner checks
        `in_closed` after attaching and calls `deliver_terminated` itself."""
        self.sink = sink
        self.post = post

    # -- reading ---------------------------------------------------------

    def read(self) -> Any:
        """Pop the next whole message, or None if there is none right now."""
        q = self._in
        items = q.items
        try:
            msg = items.popleft()
        except IndexError:
            q.reader_asleep = True
            if not items:
                return None
            q.reader_asleep = False
            msg = items.popleft()
        if q.writer_blocked and len(items) + q.held <= q.lwm:
            q.writer_blocked = False
            self.peer._notify_writable()
        if tracked_live:
            release(msg)  # the reading socket took it
        return msg

    def read_batch(self, out: list[Any], limit: int) -> int:
        """Move up to `limit` messages into `out`; returns how many moved.

        Sets the reader asleep when the queue runs dry, exactly as `read`."""
        q = self._in
        items = q.items
        n = 0
        popleft = items.popleft
        if q.conflate:  # its writer may remove items under our feet
            append = out.append
            while n < limit:
                try:
                    append(popleft())
                except IndexError:
                    q.reader_asleep = True
                    if not items:
                        break
                    q.reader_asleep = False
                    continue
                n += 1
        else:
            # Only we remove items, so `k` queued can all be popped: in C.
            while n < limit:
                k = len(items)
                if k:
                    if k > limit - n:
                        k = limit - n
                    out.extend(starmap(popleft, repeat((), k)))
                    n += k
                    continue
                q.reader_asleep = True
                if not items:
                    break
                q.reader_asleep = False
        if q.writer_blocked and len(items) + q.held <= q.lwm:
            q.writer_blocked = False
            self.peer._notify_writable()
        return n  # tracked frames stay held: the session releases them

    def set_in_flight(self, n: int) -> None:
        """Reader: `n` messages it read are not gone yet (a batch the kernel
        has not taken all of); they count against the writer's HWM, so a
        stalled peer costs at most HWM messages in user space."""
        q = self._in
        if not q.hwm or n == q.held:
            return
        q.held = n
        q.limit = q.hwm - n
        if q.writer_blocked and len(q.items) + n <= q.lwm:
            q.writer_blocked = False
            self.peer._notify_writable()

    def has_in(self) -> bool:
        """Look without arming a wake-up (use check_read before sleeping)."""
        return bool(self._in.items)

    def check_read(self) -> bool:
        """True if a message is queued; if not, arm the read wake-up exactly
        as a failed `read` does (libzmq check_read)."""
        q = self._in
        if q.items:
            return True
        q.reader_asleep = True
        if q.items:
            q.reader_asleep = False
            return True
        return False

    def in_closed(self) -> bool:
        """The peer closed: once `read` returns None, nothing more will come."""
        return self._in.closed

    def queued_in(self) -> int:
        return len(self._in.items)

    # -- writing ---------------------------------------------------------

    def check_write(self) -> bool:
        """True if a message can be written now (libzmq check_write)."""
        q = self._out
        if q.closed or (self._in.closed and self.terminated):
            return False
        if q.hwm and len(q.items) >= q.limit:
            q.writer_blocked = True
            if len(q.items) >= q.limit:
                return False
            q.writer_blocked = False
        return True

    def write(self, msg: Any) -> bool:
        """Queue a whole message; False if the pipe is at HWM or closed."""
        q = self._out
        if q.hwm and len(q.items) >= q.limit:
            q.writer_blocked = True
            if len(q.items) >= q.limit and not self._drained(q):
                return False
            q.writer_blocked = False
        if q.closed:
            return False
        if tracked_live:
            _hold(msg)
        q.items.append(msg)
        if q.reader_asleep:
            q.reader_asleep = False
            self.peer._notify_readable()
        return True

    def write_lossy(self, msg: Any) -> bool:
        """`write` for a fan-out that drops at HWM (PUB): a pipe that refused
        a message keeps refusing, without another drain attempt, until its
        reader has taken it down to the low-water mark (libzmq's dist_t parks
        such a pipe until then). A flooding publisher then pays one test per
        dropped message, not a drain attempt; the reader's own pumping is
        what empties the pipe either way."""
        q = self._out
        if q.writer_blocked and q.hwm and len(q.items) >= q.limit:
            return False  # refused before, not drained since
        return self.write(msg)

    def _drained(self, q: _Queue) -> bool:
        """The pipe is full: let the reader drain it on this thread if it can."""
        drain = self.peer.drain
        return drain is not None and drain() and len(q.items) < q.limit

    def write_many(self, msgs: list[Any], start: int, stop: int) -> int:
        """Queue ``msgs[start:stop]`` in order, as many as the HWM allows.

        One extend and at most one wake-up for a whole batch (a decoded
        read). Returns how many were queued; fewer than asked means the pipe
        is full and its writer wake-up is armed, exactly as `write`."""
        q = self._out
        if q.closed:
            return 0
        items = q.items
        want = stop - start
        if q.hwm:
            room = q.limit - len(items)
            if room < want:
                q.writer_blocked = True
                room = q.limit - len(items)  # look again: the reader may have drained
                if room >= want:
                    q.writer_blocked = False
                elif room <= 0:
                    return 0
                else:
                    want = room
        if tracked_live:
            for i in range(start, start + want):
                _hold(msgs[i])
        if want == 1:
            items.append(msgs[start])
        else:
            items.extend(msgs[start : start + want])
        if q.reader_asleep:
            q.reader_asleep = False
            self.peer._notify_readable()
        return want

    def force_write(self, msg: Any) -> None:
        """Queue regardless of HWM (commands such as subscriptions)."""
        q = self._out
        if q.closed:
            return
        if tracked_live:
            _hold(msg)
        q.items.append(msg)
        if q.reader_asleep:
            q.reader_asleep = False
            self.peer._notify_readable()

    def queued_out(self) -> int:
        return len(self._out.items)

    # -- lifecycle ---------------------------------------------------------

    def close(self) -> None:
        """This end is done writing; the peer is told once (pipe_terminated)."""
        q = self._out
        if q.closed:
            return
        q.closed = True
        if tracked_live:
            _abandon(self._in)  # never read again
            if self._in.closed:
                _abandon(q)  # the peer closed first: nobody reads this either
        self.peer._notify_terminated()

    @property
    def closed(self) -> bool:
        return self._out.closed

    def _notify_readable(self) -> None:
        sink = self.sink
        if sink is not None:
            direct = self.direct_read
            if direct is None or not direct(self):
                self.post(sink.read_activated, self)

    def _notify_writable(self) -> None:
        sink = self.sink
        if sink is not None:
            self.post(sink.write_activated, self)

    def _notify_terminated(self) -> None:
        sink = self.sink
        if sink is not None:
            self.post(self.deliver_terminated)

    def deliver_terminated(self) -> None:
        if self.terminated:
            return
        self.terminated = True
        if tracked_live:
            _abandon(self._out)  # what we wrote after the peer closed
        sink = self.sink
        if sink is not None:
            sink.pipe_terminated(self)

    def __repr__(self) -> str:
        return (
            f"<Pipe id={self.routing_id!r} in={self.queued_in()}"
            f" out={self.queued_out()}{' closed' if self._out.closed else ''}>"
        )


class _ConflatePipe(Pipe):
    """A pipe end whose outgoing queue conflates (libzmq ypipe_conflate_t)."""

    __slots__ = ()

    def check_write(self) -> bool:
        return not (self._out.closed or (self._in.closed and self.terminated))

    def write_lossy(self, msg: Any) -> bool:
        return self.write(msg)  # conflating: never at HWM

    def write_many(self, msgs: list[Any], start: int, stop: int) -> int:
        for i in range(start, stop):
            self.write(msgs[i])  # only the newest data message survives
        return stop - start

    def write(self, msg: Any) -> bool:
        """Queue `msg`, replacing any data message the reader has not taken."""
        q = self._out
        if q.closed:
            return False
        items = q.items
        if items and _is_data(msg):
            # Only we append, so the queue can only shrink under our feet;
            # clear/remove are atomic under the GIL against the reader's popleft.
            snapshot = list(items)
            for old in snapshot:
                if _is_data(old):
                    try:
                        items.remove(old)
                    except ValueError:  # the reader took it meanwhile
                        continue
                    if tracked_live:
                        release(old)  # conflated away
        if tracked_live:
            _hold(msg)
        items.append(msg)
        if q.reader_asleep:
            q.reader_asleep = False
            self.peer._notify_readable()
        return True


def write_lossy_each(pipes: Iterable[Pipe], msg: Any) -> None:
    """`Pipe.write_lossy` of one message to each of `pipes` (a publisher's
    matches), in one call: a pipe with room takes it inline, any other case
    (full, closed, conflating, tracked frames) goes through `write_lossy`."""
    for pipe in pipes:
        q = pipe._out
        items = q.items
        if (q.hwm and len(items) >= q.limit) or q.closed or q.conflate or tracked_live:
            pipe.write_lossy(msg)
            continue
        items.append(msg)
        if q.reader_asleep:
            q.reader_asleep = False
            pipe.peer._notify_readable()


def _is_data(msg: Any) -> bool:
    """A data message (a list or tuple of frames, or one bare frame from a
    compact connection), as opposed to a subscription event."""
    return isinstance(msg, (bytes, list, tuple))


def _run_now(fn: Callable[..., None], *args: Any) -> None:
    fn(*args)


def pipe_pair(hwm_ab: int, hwm_ba: int, conflate: bool = False) -> tuple[Pipe, Pipe]:
    """Create two connected ends. `a.write` -> `b.read` is bounded by hwm_ab.

    With `conflate`, both directions keep only the newest data message
    (ZMQ_CONFLATE) and the HWMs are ignored, as in libzmq."""
    ab = _Queue(hwm_ab, conflate)
    ba = _Queue(hwm_ba, conflate)
    cls = _ConflatePipe if conflate else Pipe
    a = cls(ba, ab)
    b = cls(ab, ba)
    a.peer = b
    b.peer = a
    return a, b
