"""Endpoint strings: ``tcp://host:port``, ``ipc://path``, ``inproc://name``.

Parsing raises `ZMQError` with libzmq's errno: EINVAL for a malformed
address, EPROTONOSUPPORT for an unknown transport, ENODEV for a bind to an
interface that does not exist.
"""

from __future__ import annotations

import errno
import socket
from typing import Any, NamedTuple

from ..constants import EPROTONOSUPPORT
from ..error import ZMQError

TRANSPORTS = ("tcp", "ipc", "inproc")


class Endpoint(NamedTuple):
    transport: str
    address: str  # everything after "://"
    host: str = ""  # tcp only; "*" for every interface
    port: int = 0  # tcp only; 0 for an ephemeral port

    def __str__(self) -> str:
        return f"{self.transport}://{self.address}"


# sizeof(sockaddr_un.sun_path) - 1 on Linux: the longest ipc:// path
IPC_PATH_MAX_LEN = 107


def parse(endpoint: str) -> Endpoint:
    if not isinstance(endpoint, str):
        raise TypeError(f"endpoint must be a str, not {type(endpoint).__name__}")
    transport, sep, address = endpoint.partition("://")
    if not sep:
        raise ZMQError(errno.EINVAL, f"Invalid endpoint {endpoint!r}: expected transport://address")
    if transport not in TRANSPORTS:
        if transport in ("pgm", "epgm", "norm", "tipc", "vmci", "udp", "ws", "wss"):
            msg = f"Transport {transport!r} is not supported by purezmq"
        else:
            msg = f"Unknown transport {transport!r} in endpoint {endpoint!r}"
        raise ZMQError(EPROTONOSUPPORT, msg)
    if not address:
        raise ZMQError(errno.EINVAL, f"Invalid endpoint {endpoint!r}: empty address")
    if transport == "ipc" and len(address.encode()) > IPC_PATH_MAX_LEN:
        raise ZMQError(
            errno.ENAMETOOLONG,
            f"ipc path {address!r} is longer than {IPC_PATH_MAX_LEN} bytes "
            "(sizeof(sockaddr_un.sun_path)); IPC_PATH_MAX_LEN gives the limit",
        )
    if transport != "tcp":
        return Endpoint(transport, address)
    # tcp://[source;]host:port -- a source address is accepted and ignored.
    target = address.rsplit(";", 1)[-1]
    host, colon, port_s = target.rpartition(":")
    if not colon or not host:
        raise ZMQError(errno.EINVAL, f"Invalid tcp endpoint {endpoint!r}: expected host:port")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if port_s in ("*", "0"):
        port = 0
    else:
        if not port_s.isdigit():
            raise ZMQError(errno.EINVAL, f"Invalid port {port_s!r} in endpoint {endpoint!r}")
        port = int(port_s)
        if not 0 < port < 65536:
            raise ZMQError(errno.EINVAL, f"Port {port} out of range in endpoint {endpoint!r}")
    return Endpoint("tcp", address, host, port)


def resolve_bind(ep: Endpoint, ipv6: bool) -> tuple[int, Any]:
    """(family, sockaddr) to bind a tcp endpoint to; '*' means every interface."""
    host = ep.host
    if host == "*":
        if ipv6:
            return socket.AF_INET6, ("::", ep.port)
        return socket.AF_INET, ("0.0.0.0", ep.port)
    try:
        infos = socket.getaddrinfo(host, ep.port, 0, socket.SOCK_STREAM, 0, socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise ZMQError(errno.ENODEV, f"No such interface {host!r} for {ep}") from exc
    for family, _, _, _, sockaddr in infos:
        if family == socket.AF_INET or (family == socket.AF_INET6 and (ipv6 or ":" in host)):
            return family, sockaddr
    raise ZMQError(errno.ENODEV, f"No usable address for interface {host!r} in {ep}")


def ipc_address(ep: Endpoint) -> str:
    """The AF_UNIX address; ``@name`` is Linux's abstract namespace."""
    path = ep.address
    if path.startswith("@"):
        return "\0" + path[1:]
    return path


def format_tcp(sockaddr: Any, family: int) -> str:
    host, port = sockaddr[0], sockaddr[1]
    if family == socket.AF_INET6:
        return f"tcp://[{host}]:{port}"
    return f"tcp://{host}:{port}"
