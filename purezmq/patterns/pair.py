"""PAIR (RFC 31; libzmq src/pair.cpp): one peer at a time."""

from __future__ import annotations

from typing import Optional

from ..routing.pipe import Pipe
from .base import Msg, Received, SocketCore
from .options import Options


class Pair(SocketCore):
    """PAIR: exclusive connection to one PAIR peer; libzmq src/pair.cpp."""

    socket_type_name = "PAIR"
    compact_inbound = True

    def __init__(self, options: Options) -> None:
        super().__init__(options)
        self._pipe: Optional[Pipe] = None

    def xattach(self, pipe: Pipe) -> None:
        if self._pipe is not None and not self._pipe.terminated:
            # libzmq: a second peer is refused while the first is attached.
            self.pipes.discard(pipe)
            pipe.close()
            return
        self._pipe = pipe

    def xpipe_terminated(self, pipe: Pipe) -> None:
        # keep reading what it already delivered; forget it once drained
        if pipe is self._pipe and not pipe.has_in():
            self._pipe = None

    def send(self, msg: Msg) -> bool:
        pipe = self._pipe
        return pipe is not None and not pipe.terminated and pipe.write(msg)

    def last_in(self) -> Optional[Pipe]:
        return self._pipe

    def recv(self) -> Optional[Received]:
        pipe = self._pipe
        if pipe is None:
            return None
        msg: Optional[Received] = pipe.read()
        if msg is None and pipe.terminated:
            self._pipe = None
        return msg

    def has_in(self) -> bool:
        pipe = self._pipe
        return pipe is not None and pipe.check_read()

    def has_out(self) -> bool:
        pipe = self._pipe
        return pipe is not None and not pipe.terminated and pipe.check_write()
