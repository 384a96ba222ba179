"""zmq._future: where pyzmq keeps the future-returning socket core.

pyzmq's `zmq.asyncio` and `zmq.eventloop.future` bind the classes of its
``zmq._future`` to a Future class and a loop; code that does the same for
another loop imports them from here. purezmq's core lives in
`purezmq.asyncio`; this module gives it pyzmq's names:

- `_AsyncSocket`: the socket whose send/recv/poll return futures;
- `_AsyncPoller`: the Poller whose `poll` returns a future;
- `Future`: the default Future class (asyncio's).

A subclass sets ``_Future`` and overrides ``_default_loop()`` to return an
asyncio-compatible loop (spec/asyncio.md, "Reusing the core with another
Future class"); `purezmq.eventloop.future` is the example. pyzmq's
``_default_loop`` may return a tornado IOLoop instead; purezmq's needs the
asyncio loop under it (``IOLoop.current().asyncio_loop``).
"""

from __future__ import annotations

from asyncio import Future

from .asyncio import _AsyncPoller, _AsyncSocket

__all__ = ["Future", "_AsyncPoller", "_AsyncSocket"]
