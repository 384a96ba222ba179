"""Local port forwarding over a paramiko transport (what ``ssh -L`` does), for the
paramiko tunnel process: each local connection gets a ``direct-tcpip`` channel."""

from __future__ import annotations

import logging
import select
import socketserver
from typing import Any

logger = logging.getLogger("purezmq.ssh")


class _ForwardServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    transport: Any
    remote: tuple[str, int]


class _ForwardHandler(socketserver.BaseRequestHandler):
    server: _ForwardServer

    def handle(self) -> None:
        local = self.request
        try:
            channel = self.server.transport.open_channel(
                "direct-tcpip", self.server.remote, local.getpeername()
            )
        except Exception as exc:
            logger.debug("cannot open a channel to %s:%d: %r", *self.server.remote, exc)
            return
        if channel is None:
            logger.debug("the ssh server refused a channel to %s:%d", *self.server.remote)
            return
        try:
            while True:
                ready, _, _ = select.select([local, channel], [], [])
                if local in ready:
                    data = local.recv(65536)
                    if not data:
                        break
                    channel.sendall(data)
                if channel in ready:
                    data = channel.recv(65536)
                    if not data:
                        break
                    local.sendall(data)
        finally:
            channel.close()
            local.close()


def forward_tunnel(local_port: int, remote_host: str, remote_port: int, transport: Any) -> None:
    """Serve ``127.0.0.1:local_port`` forever, each connection relayed to
    ``remote_host:remote_port`` through `transport` (a paramiko Transport)."""
    server = _ForwardServer(("127.0.0.1", local_port), _ForwardHandler)
    server.transport = transport
    server.remote = (remote_host, remote_port)
    server.serve_forever()
