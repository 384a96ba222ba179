"""pyzmq's deprecated Stopwatch: microseconds on the monotonic clock."""

from __future__ import annotations

import time
import warnings


class Stopwatch:
    """``start()``, then ``stop()`` returns the microseconds since (pyzmq 27:
    deprecated in favour of `time.monotonic`; ``stop()`` does not reset, and
    before ``start()`` counts from the clock's origin)."""

    def __init__(self) -> None:
        warnings.warn(
            "zmq.Stopwatch is deprecated. Use stdlib time.monotonic and friends instead",
            DeprecationWarning,
            stacklevel=2,
        )
        self._start = 0.0

    def start(self) -> None:
        self._start = time.monotonic()

    def stop(self) -> int:
        return int((time.monotonic() - self._start) * 1_000_000)
