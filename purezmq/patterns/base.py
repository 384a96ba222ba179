"""SocketCore: what every socket type shares (libzmq socket_base_t's xhooks).

A socket type is a thin composition of routing objects. It receives pipes
(`attach`), their notifications (`read_activated`, `write_activated`,
`pipe_terminated`: it is the `PipeSink` of its pipe ends) and whole messages
to send or hand out. It never blocks and never sees bytes: `send` returns
False when the message cannot go now, `recv` returns None when nothing is
there; the sugar layer turns that into waiting, `Again` or a timeout.

Errors that belong to the pattern (EFSM for REQ out of turn, EHOSTUNREACH for
ROUTER_MANDATORY) are raised here as ZMQError.
"""

from __future__ import annotations

import errno
from typing import Any, Optional

from ..error import ZMQError
from ..routing.fq import FairQueue
from ..routing.pipe import Pipe
from ..zmtp.events import Inbound
from .options import PATTERN, TABLE, Options, check_get, check_set, option_name

Msg = list[Any]  # a whole multipart message: list of frames
# What `recv` returns: a Msg, or (from a compact connection, zmtp/events.py)
# a one-frame message as its bare frame.
Received = Inbound


class SocketCore:
    socket_type_name = ""
    sends = True  # False for receive-only types (PULL, SUB): send is ENOTSUP
    # Whether `recv` takes compact messages from its pipes (a one-frame
    # message as bare bytes, zmtp/events.py); its sessions ask for them then.
    # Types that parse envelopes (REQ, REP) or read their own forms (STREAM,
    # XPUB) keep lists.
    compact_inbound = False

    def __init__(self, options: Options) -> None:
        self.options = options
        self.pipes: set[Pipe] = set()

    # -- pipes ---------------------------------------------------------------

    def attach(self, pipe: Pipe) -> None:
        self.pipes.add(pipe)
        self.xattach(pipe)

    def read_activated(self, pipe: Pipe) -> None:
        if pipe in self.pipes:
            self.xread_activated(pipe)

    def write_activated(self, pipe: Pipe) -> None:
        if pipe in self.pipes:
            self.xwrite_activated(pipe)

    def pipe_terminated(self, pipe: Pipe) -> None:
        if pipe in self.pipes:
            self.pipes.discard(pipe)
            self.xpipe_terminated(pipe)

    def detach(self, pipe: Pipe) -> None:
        """We close this pipe ourselves (disconnect/unbind/close)."""
        if pipe in self.pipes:
            self.pipes.discard(pipe)
            pipe.terminated = True
            self.xpipe_terminated(pipe)
        pipe.close()

    def peer_ready(self, pipe: Pipe) -> None:
        """The handshake on an already attached pipe completed (identity known)."""
        if pipe in self.pipes:
            self.xpeer_ready(pipe)

    def xpeer_ready(self, pipe: Pipe) -> None:
        pass

    def hiccuped(self, pipe: Pipe) -> None:
        """The pipe's connection was re-established (libzmq xhiccuped)."""
        if pipe in self.pipes:
            self.xhiccuped(pipe)

    def xhiccuped(self, pipe: Pipe) -> None:
        pass

    def xattach(self, pipe: Pipe) -> None:
        raise NotImplementedError

    def xread_activated(self, pipe: Pipe) -> None:
        pass

    def xwrite_activated(self, pipe: Pipe) -> None:
        pass

    def xpipe_terminated(self, pipe: Pipe) -> None:
        raise NotImplementedError

    # -- messages -------------------------------------------------------------

    def send(self, msg: Msg) -> bool:
        raise ZMQError(errno.ENOTSUP, f"{self.socket_type_name} sockets cannot send")

    def recv(self) -> Optional[Received]:
        raise ZMQError(errno.ENOTSUP, f"{self.socket_type_name} sockets cannot receive")

    def has_in(self) -> bool:
        return False

    def last_in(self) -> Optional[Pipe]:
        """The pipe the last received message came from (its metadata)."""
        fq: Optional[FairQueue] = getattr(self, "_fq", None)
        return fq.last if fq is not None else None

    def has_out(self) -> bool:
        return False

    def can_send(self) -> bool:
        """Whether a send is allowed at all (REP before a request: no)."""
        return True

    # -- type-specific options ------------------------------------------------
    # The rows of options.TABLE held by PATTERN. `set_option`/`get_option`
    # check a call against the table; the subclass hooks `xset_option` and
    # `xget_option` (libzmq's xsetsockopt/xgetsockopt) only ever see an option
    # this type accepts and a valid value. The Socket checks once and calls
    # the hooks directly.

    def set_option(self, option: int, value: Any) -> bool:
        """Check `option` and `value` by the table, then apply them to this type.

        False if `option` is not held by the pattern or the type refuses it in
        its current state (SUBSCRIBE on an XPUB without XPUB_MANUAL)."""
        row = TABLE.get(option)
        if row is None or row.held_by != PATTERN:
            return False
        _row, value = check_set(option, self.options.socket_type, value)
        return self.xset_option(option, value)

    def get_option(self, option: int) -> Any:
        row = check_get(option, self.options.socket_type)
        if row.held_by != PATTERN:
            return self.options.get(option)
        return self.xget_option(option)

    def xset_option(self, option: int, value: Any) -> bool:
        """Apply a checked option of this type; False: refused now (EINVAL)."""
        return False

    def xget_option(self, option: int) -> Any:
        raise ZMQError(errno.EINVAL, f"Option {option_name(option)} cannot be read on this socket")


class RoutedReceiver(SocketCore):
    """What ROUTER and STREAM share: messages fair-queued from every peer,
    each handed out behind its pipe's routing id (libzmq router_t::xrecv)."""

    _fq: FairQueue

    def recv(self) -> Optional[Msg]:
        got = self._fq.recv_pipe()
        if got is None:
            return None
        msg, pipe = got
        if type(msg) is bytes:  # a compact one-frame message
            return [pipe.routing_id, msg]
        return [pipe.routing_id, *msg]

    def has_in(self) -> bool:  # replaced per instance by the FairQueue's
        return self._fq.has_in()
