"""zmq.green.poll: the green Poller (it lives in `core`, next to the green
Socket whose waits it shares)."""

from __future__ import annotations

from .core import _Poller as _Poller

__all__ = ["_Poller"]
