"""The one place zmq.eventloop imports tornado, so a missing tornado is
reported once, clearly."""

from __future__ import annotations

try:
    import tornado.ioloop
    from tornado.ioloop import IOLoop
    from tornado.log import gen_log
except ImportError as exc:  # pragma: no cover - tested in a subprocess without tornado
    raise ImportError(
        "purezmq.eventloop (zmq.eventloop: ioloop, ZMQStream) needs tornado, "
        "which is not installed: pip install tornado "
        f"(importing it failed with: {exc})",
        name="tornado",
    ) from exc

__all__ = ["IOLoop", "gen_log", "tornado"]
