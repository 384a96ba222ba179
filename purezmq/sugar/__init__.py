"""The pyzmq-compatible API, at the same module paths as zmq.sugar."""

from .context import Context
from .frame import Frame, Message, MessageTracker
from .poll import Poller
from .poll import select_ as select
from .socket import Socket

__all__ = ["Context", "Frame", "Message", "MessageTracker", "Poller", "Socket", "select"]
