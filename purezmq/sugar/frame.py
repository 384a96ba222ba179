"""Frame and MessageTracker (pyzmq's zmq.sugar.frame / tracker)."""

from __future__ import annotations

import builtins
import errno
import threading
import time
import weakref
from typing import Any, Optional

from ..constants import MORE
from ..error import NotDone, ZMQError
from ..routing.pipe import TrackedBuffer

COPY_THRESHOLD = 65536  # pyzmq's: smaller frames are copied, so their tracker is done

# A tracked frame is a private copy of the data (routing.pipe.TrackedBuffer)
# whose hold count says when purezmq is finished with it: every pipe that
# queues it holds it until the reader takes it, the codec copies it, the
# engine has handed it to the kernel, or it is dropped. That does not depend
# on reference counting, so it behaves the same on PyPy. A tracked Frame holds
# its buffer too, as long as the Frame lives (as pyzmq's Frame holds its
# message).
_TrackedBuffer = TrackedBuffer  # the name sugar.socket uses


class MessageTracker:
    """Tells when purezmq is finished with messages sent with ``track=True``."""

    def __init__(self, *towatch: Any) -> None:
        self._events: list[threading.Event] = []
        self._trackers: list[MessageTracker] = []
        for obj in towatch:
            if isinstance(obj, MessageTracker):
                self._trackers.append(obj)
            elif isinstance(obj, threading.Event):
                self._events.append(obj)
            elif isinstance(obj, Frame):
                if obj.tracker is not None:
                    self._trackers.append(obj.tracker)
            else:
                raise TypeError(f"Require Events or Message Frames, not {type(obj)}")

    @classmethod
    def watch(cls, buffer: _TrackedBuffer) -> MessageTracker:
        return cls(buffer.track.event)

    @property
    def done(self) -> bool:
        return all(e.is_set() for e in self._events) and all(t.done for t in self._trackers)

    def wait(self, timeout: float | int = -1) -> None:
        """Wait until done; raises NotDone after `timeout` seconds (-1: forever)."""
        deadline = None if timeout is None or timeout < 0 else time.monotonic() + timeout
        for e in self._events:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not e.wait(left):
                raise NotDone
        for t in self._trackers:
            left = -1 if deadline is None else max(0.0, deadline - time.monotonic())
            t.wait(left)


class Frame(bytearray):
    """One message frame, as pyzmq's zmq.Frame (``copy=False`` receives these).

    A Frame is a bytearray holding its own copy of the data: that is what makes
    ``memoryview(frame)`` work (writable, as pyzmq's) on every Python this
    package supports, where a pure-Python class can only export a buffer from
    3.12 on. ``bytes`` is a copy made on first use and then cached; equality
    and hashing are by identity, as pyzmq's.

    A tracked frame (``track=True``) of at least ``copy_threshold`` bytes is
    sent as a `TrackedBuffer` it keeps; its tracker is done once purezmq has
    finished with that buffer and the Frame is gone. Below the threshold (or
    with ``copy=True``) pyzmq copies the data and hands back a tracker that is
    already done, ``_FINISHED_TRACKER``; so does this class.
    """

    __slots__ = (
        "more",
        "tracker",
        "tracker_event",
        "properties",
        "routing_id",
        "group",
        "_bytes",
        "_tracked",
        "__weakref__",
    )

    def __init__(
        self,
        data: Any = None,
        track: bool = False,
        copy: Optional[bool] = None,
        copy_threshold: Optional[int] = None,
    ) -> None:
        if data is None:
            data = b""
        elif isinstance(data, str):
            raise TypeError("Str objects not allowed. Only: bytes, buffer interfaces.")
        try:
            view = memoryview(data)
        except TypeError:
            raise TypeError(
                f"a bytes-like object is required, not {type(data).__name__!r}"
            ) from None
        if not view.contiguous:
            raise BufferError("memoryview: underlying buffer is not contiguous")
        super().__init__(view)
        self.more = False
        self.tracker: Optional[MessageTracker] = None
        self.tracker_event: Optional[threading.Event] = None
        self.properties: dict[str, builtins.bytes] = {}
        self.routing_id: Optional[int] = None
        self.group: Optional[str] = None
        self._bytes: Optional[builtins.bytes] = None
        self._tracked: Optional[TrackedBuffer] = None
        if not track:
            return
        threshold = COPY_THRESHOLD if copy_threshold is None else copy_threshold
        if copy or (copy is None and view.nbytes < threshold):
            self.tracker = _FINISHED_TRACKER
            return
        tracked = TrackedBuffer(view)
        self._tracked = tracked
        self.tracker = MessageTracker.watch(tracked)
        self.tracker_event = tracked.track.event
        tracked.track.hold()  # given back when this Frame is collected
        weakref.finalize(self, tracked.track.release)

    @classmethod
    def _received(
        cls, data: Any, more: bool, properties: Optional[dict[str, builtins.bytes]] = None
    ) -> Frame:
        """A Frame over a received frame's bytes (no argument checks), with
        the properties of the connection it came from."""
        frame = cls.__new__(cls)
        bytearray.__init__(frame, data)
        frame.more = more
        frame.tracker = None
        frame.tracker_event = None
        frame.properties = properties if properties is not None else {}
        frame.routing_id = None
        frame.group = None
        frame._bytes = None
        frame._tracked = None
        return frame

    def _outgoing(self, track: bool) -> Any:
        """What the pipes carry when this frame is sent."""
        if self._tracked is not None:
            return self._tracked
        if track and self.tracker is None:
            raise ValueError("Not a tracked message")
        return self.bytes

    @property
    def bytes(self) -> builtins.bytes:
        """A copy of the data as bytes, made once and then kept."""
        data = self._bytes
        if data is None:
            data = self._bytes = memoryview(self).tobytes()
        return data

    @property
    def buffer(self) -> memoryview:
        return memoryview(self)

    def __bytes__(self) -> builtins.bytes:  # plain `bytes` is the property here
        return self.bytes

    __eq__ = object.__eq__
    __ne__ = object.__ne__
    __hash__ = object.__hash__  # type: ignore[assignment]

    def __copy__(self) -> Frame:
        return Frame(self)

    def __reduce_ex__(self, protocol: Any) -> Any:
        raise TypeError("Frame objects cannot be pickled: send frame.bytes")

    def get(self, option: Any) -> Any:
        """Frame metadata: ``zmq.MORE`` or a peer property such as "Socket-Type"."""
        if isinstance(option, str):
            value = self.properties.get(option)  # exact names, as libzmq looks them up
            if value is None:
                raise ZMQError(errno.EINVAL, f"Frame has no property {option!r}")
            return value.decode("utf-8", "replace")
        if option == MORE:
            return int(self.more)
        raise ZMQError(errno.EINVAL, f"Unknown frame option {option!r}")

    def set(self, option: Any, value: Any) -> None:
        raise ZMQError(errno.EINVAL, "Frame options cannot be set")

    def __getitem__(self, key: Any) -> Any:
        return self.get(key)

    def __repr__(self) -> str:
        n = len(self)
        if n <= 16:
            return f"<purezmq.Frame({memoryview(self).tobytes()!r})>"
        return f"<purezmq.Frame({memoryview(self)[:12].tobytes()!r}...{n}B)>"

    __str__ = __repr__


Message = Frame


_done = threading.Event()
_done.set()
# The tracker of a message purezmq is already finished with (pyzmq's name).
_FINISHED_TRACKER = MessageTracker(_done)
