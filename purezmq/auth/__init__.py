"""ZAP authentication (ZeroMQ RFC 27) and CURVE certificates, as pyzmq's ``zmq.auth``.

- `Authenticator` (`purezmq.auth.base`): the handler's rules and replies;
  it waits on nothing itself.
- `purezmq.auth.thread.ThreadAuthenticator`: the same, answering on a thread.
- `create_certificates`, `load_certificate`, `load_certificates`
  (`purezmq.auth.certs`): certificate files in czmq's format.

- `purezmq.auth.asyncio.AsyncioAuthenticator`: the same, answering on the
  running asyncio loop (`purezmq.auth.ioloop.IOLoopAuthenticator` is its
  deprecated tornado name). As in pyzmq, neither is imported here.
"""

from __future__ import annotations

from .base import CURVE_ALLOW_ANY, Authenticator
from .certs import create_certificates, load_certificate, load_certificates

__all__ = [
    "CURVE_ALLOW_ANY",
    "Authenticator",
    "create_certificates",
    "load_certificate",
    "load_certificates",
]
