"""Frame and MessageTracker (pyzmq's zmq.sugar.frame / tracker)."""

from __future__ import annotations

import builtins
import errno
import sys
import threading
import time
import weakref
from typing import TYPE_CHECKING, Any, Optional

from ..constants import MORE
from ..error import NotDone, ZMQError
from ..routing.pipe import TrackedBuffer

# A tracked frame is a private copy of the data (routing.pipe.TrackedBuffer)
# whose hold count says when purezmq is finished with it: every pipe that
# queues it holds it until the reader takes it, the codec copies it, the
# engine has handed it to the kernel, or it is dropped. That does not depend
# on reference counting, so it behaves the same on PyPy. A tracked Frame holds
# its buffer too, as long as the Frame lives (as pyzmq's Frame holds its
# message).
_TrackedBuffer = TrackedBuffer  # the name sugar.socket uses

# A Frame is a buffer of its content (``memoryview(frame)``), as pyzmq's is:
# jupyter_client takes message buffers that way. Python 3.12+ (PEP 688) and
# PyPy (``__pypy__.bufferable``) let a class export a buffer with
# ``__buffer__``, without a copy. CPython before 3.12 only lets a class
# inherit a buffer: there Frame is a ``bytearray`` (``bytes`` subclasses cannot
# be weakly referenced) filled with a copy of the content at construction.
if TYPE_CHECKING or sys.version_info >= (3, 12):
    _FrameBase = object
else:
    try:
        from __pypy__.bufferable import bufferable as _FrameBase
    except ImportError:
        _FrameBase = bytearray
_COPY_INTO_BASE: Any = bytearray.__init__ if _FrameBase is bytearray else None


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
                raise TypeError(f"Require Events or MessageTrackers, not {type(obj)}")

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


class Frame(_FrameBase):
    """One message frame, as pyzmq's zmq.Frame (``copy=False`` receives these).

    Also a buffer of its content: ``memoryview(frame)``, ``numpy.frombuffer(frame)``.
    """

    def __init__(
        self,
        data: Any = b"",
        track: bool = False,
        copy: Optional[bool] = None,
        copy_threshold: Optional[int] = None,
    ) -> None:
        if isinstance(data, str):
            raise TypeError("Str objects not allowed. Only: bytes, buffer interfaces.")
        if isinstance(data, Frame):
            data = data.buffer
        self._data: Any = data if isinstance(data, bytes) else memoryview(data)
        if _COPY_INTO_BASE is not None:
            _COPY_INTO_BASE(self, self._data)
        self.more = False
        self.tracker: Optional[MessageTracker] = None
        self.properties: dict[str, bytes] = {}
        self.routing_id: Optional[int] = None
        self.group: Optional[str] = None
        if track:
            tracked = _TrackedBuffer(self._data)
            self._data = tracked
            self.tracker = MessageTracker.watch(tracked)
            tracked.track.hold()  # given back when this Frame is collected
            weakref.finalize(self, tracked.track.release)

    @property
    def bytes(self) -> bytes:
        data = self._data
        return data if type(data) is bytes else bytes(data)

    @property
    def buffer(self) -> memoryview:
        return memoryview(self._data)

    def __buffer__(self, flags: int) -> memoryview:  # PEP 688; PyPy's bufferable
        return memoryview(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __bytes__(self) -> builtins.bytes:  # plain `bytes` is the property here
        return self.bytes

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Frame):
            return self.bytes == other.bytes
        if isinstance(other, (bytes, bytearray, memoryview)):
            return self.bytes == bytes(other)
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    __hash__ = None  # type: ignore[assignment]

    def __copy__(self) -> Frame:
        return Frame(self.bytes)

    fast_copy = __copy__

    def get(self, option: Any) -> Any:
        """Frame metadata: ``zmq.MORE`` or a peer property such as "Socket-Type"."""
        if isinstance(option, str):
            for key, value in self.properties.items():
                if key.lower() == option.lower():
                    return value.decode("utf-8", "replace")
            raise ZMQError(errno.EINVAL, f"Frame has no property {option!r}")
        if option == MORE:
            return int(self.more)
        raise ZMQError(errno.EINVAL, f"Unknown frame option {option!r}")

    def set(self, option: Any, value: Any) -> None:
        raise ZMQError(errno.EINVAL, "Frame options cannot be set")

    def __getitem__(self, key: Any) -> Any:
        return self.get(key)

    def __repr__(self) -> str:
        data = self.bytes
        shown = data if len(data) <= 32 else data[:29] + b"..."
        return f"<purezmq.Frame({shown!r})>"

    def __str__(self) -> str:
        return self.bytes.decode()


Message = Frame


_done = threading.Event()
_done.set()
# The tracker of a message purezmq is already finished with (pyzmq's name).
_FINISHED_TRACKER = MessageTracker(_done)
