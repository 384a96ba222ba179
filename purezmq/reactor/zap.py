"""ZAP client (RFC 27): asks the handler bound at inproc://zeromq.zap.01
whether a peer may connect. Lives on the I/O thread.

One pipe to the handler's socket carries every request of the context;
replies are matched by request id. With no handler bound, libzmq 4.3's rules
(spec/interop.md #11): PLAIN fails the handshake (HANDSHAKE_FAILED_NO_DETAIL,
EFAULT); NULL with a ZAP domain and CURVE go ahead (CURVE then accepts any
client key) unless ZAP_ENFORCE_DOMAIN is set together with a ZAP_DOMAIN, which
fails them the same way (libzmq 4.3.5 ignores ZAP_ENFORCE_DOMAIN without a
domain, spec/interop.md #19).
A CURVE request's one credential is the client's 32-byte public key.

A reply must be 7 frames: empty, "1.0", the request id, a status code of
200/300/400/500, status text, user id, metadata; anything else fails the
handshake with HANDSHAKE_FAILED_PROTOCOL and a PROTOCOL_ERROR_ZAP_* code, as
libzmq's zap_client does.
"""

from __future__ import annotations

import errno
import itertools
from typing import TYPE_CHECKING, Optional

from .. import constants as C
from ..routing.pipe import Pipe, pipe_pair
from ..zmtp.events import AuthRequest
from .contracts import ContextOwner, SocketOwner
from .loop import IOThread

if TYPE_CHECKING:
    from .engine import StreamEngine

ZAP_ENDPOINT = "zeromq.zap.01"
# Mechanisms that go ahead without a handler unless ZAP_ENFORCE_DOMAIN is set.
_OPTIONAL = frozenset({"NULL", "CURVE"})


class ZapClient:
    def __init__(self, loop: IOThread, context: ContextOwner) -> None:
        self.loop = loop
        self.context = context
        self.pipe: Optional[Pipe] = None
        self._binder: Optional[SocketOwner] = None
        self._ids = itertools.count(1)
        self._pending: dict[bytes, StreamEngine] = {}  # request id -> engine

    def request(self, sock: SocketOwner, engine: StreamEngine, request: AuthRequest) -> None:
        binder = self.context.inproc_binder(ZAP_ENDPOINT)
        if binder is None or binder.closed:
            opts = sock.options
            if request.mechanism in _OPTIONAL and not (opts.zap_enforce_domain and opts.zap_domain):
                engine.auth_result(True, b"200", b"")
            else:
                engine.fail(C.EVENT_HANDSHAKE_FAILED_NO_DETAIL, errno.EFAULT, "no ZAP handler")
            return
        if self.pipe is None or self._binder is not binder or self.pipe.terminated:
            ours, theirs = pipe_pair(0, 0)
            ours.bind(self, self.loop.post)
            ours.check_read()  # arm the wake-up for the first reply
            theirs.peer_identity = b""
            theirs.endpoint = ours.endpoint = "inproc://" + ZAP_ENDPOINT
            self.pipe = ours
            self._binder = binder
            binder.post(binder.attach_pipe, theirs)
        request_id = str(next(self._ids)).encode()
        opts = sock.options
        msg = [
            b"",
            b"1.0",
            request_id,
            opts.zap_domain,
            engine.peer_address().encode(),
            opts.routing_id,
            request.mechanism.encode(),
            *request.credentials,
        ]
        self._pending[request_id] = engine
        self.pipe.write(msg)

    def read_activated(self, pipe: Pipe) -> None:
        while True:
            msg = pipe.read()
            if msg is None:
                return
            self._reply(msg)

    def _reply(self, msg: list[bytes]) -> None:
        # [b"", b"1.0", request_id, status_code, status_text, user_id, metadata]
        request_id = bytes(msg[2]) if len(msg) > 2 else b""
        engine = self._pending.pop(request_id, None)
        if engine is None or engine.closed:
            return  # not ours (or already gone): nothing to match it to
        fault = _reply_fault(msg)
        if fault:
            engine.fail(
                C.EVENT_HANDSHAKE_FAILED_PROTOCOL, fault, "malformed ZAP reply", protocol=True
            )
            return
        status = bytes(msg[3])
        engine.auth_result(status == b"200", status, bytes(msg[5]), bytes(msg[6]))

    def write_activated(self, pipe: Pipe) -> None:
        pass

    def pipe_terminated(self, pipe: Pipe) -> None:
        if pipe is not self.pipe:
            return
        self.pipe = None
        pending, self._pending = self._pending, {}
        for engine in pending.values():
            if not engine.closed:
                engine.fail(
                    C.EVENT_HANDSHAKE_FAILED_NO_DETAIL, errno.EFAULT, "ZAP handler went away"
                )


def _reply_fault(msg: list[bytes]) -> int:
    """The PROTOCOL_ERROR_ZAP_* code for a malformed reply, or 0."""
    if len(msg) != 7:
        return C.PROTOCOL_ERROR_ZAP_MALFORMED_REPLY
    if msg[0]:
        return C.PROTOCOL_ERROR_ZAP_UNSPECIFIED
    if bytes(msg[1]) != b"1.0":
        return C.PROTOCOL_ERROR_ZAP_BAD_VERSION
    if bytes(msg[3]) not in (b"200", b"300", b"400", b"500"):
        return C.PROTOCOL_ERROR_ZAP_INVALID_STATUS_CODE
    return 0
