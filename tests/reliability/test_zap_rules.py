"""When each mechanism consults ZAP (RFC 27), as libzmq 4.3 does, checked
against libzmq through pyzmq with the same assertions:

- NULL asks ZAP when ZAP_DOMAIN is set (on the server it is the binding
  socket here); a denial keeps the peer's messages out and the monitor
  reports HANDSHAKE_FAILED_AUTH with the status code.
- NULL with a domain and no handler goes ahead, unless ZAP_ENFORCE_DOMAIN is
  set: then HANDSHAKE_FAILED_NO_DETAIL (EFAULT).
- A 300 (temporary failure) is reported like a denial.
- A client refused by a PLAIN server's ZAP handler does not try again.
"""

from __future__ import annotations

import errno
import struct
import time
from collections.abc import Iterator
from typing import Any, Callable

import pytest

from tests.testing import ZapHandler

_EVENT = struct.Struct("=HI")
_QUIET = 0.5  # how long "nothing arrives" / "no retry" is watched for


def zap_handler(lib: Any, decide: Callable[[list[bytes]], bytes]) -> ZapHandler:
    """A ZAP handler in `lib`'s test context; `decide(request)` returns the status code."""
    return ZapHandler(lib, lib.test_ctx, lambda request: (decide(request), b"", b""))


def _events(monitor: Any, timeout: float = 10.0, until: int = 0) -> list[tuple[int, int]]:
    seen: list[tuple[int, int]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not monitor.poll(20):
            continue
        event, value = _EVENT.unpack(monitor.recv_multipart()[0][:6])
        seen.append((event, value))
        if event == until:
            break
    return seen


def _null_server(lib: Any, domain: bytes, enforce: bool = False) -> tuple[Any, Any, str]:
    pull = lib.test_ctx.socket(lib.PULL)
    pull.linger = 0
    pull.zap_domain = domain
    if enforce:
        pull.setsockopt(lib.ZAP_ENFORCE_DOMAIN, 1)
    monitor = pull.get_monitor_socket()
    port = pull.bind_to_random_port("tcp://127.0.0.1")
    return pull, monitor, f"tcp://127.0.0.1:{port}"


def _client(lib: Any, endpoint: str) -> Any:
    push = lib.test_ctx.socket(lib.PUSH)
    push.linger = 0
    push.connect(endpoint)
    push.send(b"hello")
    return push


def test_null_with_a_domain_asks_zap_and_a_denial_keeps_messages_out(lib: Any) -> None:
    handler = zap_handler(lib, lambda req: b"400" if req[3] == b"127.0.0.1" else b"200")
    try:
        pull, monitor, endpoint = _null_server(lib, b"test")
        push = _client(lib, endpoint)
        events = _events(monitor, until=lib.EVENT_HANDSHAKE_FAILED_AUTH)
        assert (lib.EVENT_HANDSHAKE_FAILED_AUTH, 400) in events
        assert not pull.poll(int(_QUIET * 1000))  # nothing gets through
        # [version, request id, domain, address, routing id, mechanism]: no credentials
        assert handler.requests[0][2:] == [b"test", b"127.0.0.1", b"", b"NULL"]
        push.close()
        monitor.close()
        pull.close()
    finally:
        handler.close()


def test_null_with_a_domain_is_let_through_by_an_accepting_handler(lib: Any) -> None:
    handler = zap_handler(lib, lambda req: b"200")
    try:
        pull, monitor, endpoint = _null_server(lib, b"test")
        pull.rcvtimeo = 5000
        push = _client(lib, endpoint)
        assert pull.recv() == b"hello"
        assert len(handler.requests) >= 1 and handler.requests[0][-1] == b"NULL"
        push.close()
        monitor.close()
        pull.close()
    finally:
        handler.close()


def test_null_with_a_domain_and_no_handler_goes_ahead(lib: Any) -> None:
    pull, monitor, endpoint = _null_server(lib, b"test")
    pull.rcvtimeo = 5000
    push = _client(lib, endpoint)
    assert pull.recv() == b"hello"
    push.close()
    monitor.close()
    pull.close()


def test_zap_enforce_domain_without_a_handler_refuses(lib: Any) -> None:
    pull, monitor, endpoint = _null_server(lib, b"test", enforce=True)
    push = _client(lib, endpoint)
    events = _events(monitor, until=lib.EVENT_HANDSHAKE_FAILED_NO_DETAIL)
    assert (lib.EVENT_HANDSHAKE_FAILED_NO_DETAIL, errno.EFAULT) in events
    assert not pull.poll(int(_QUIET * 1000))
    push.close()
    monitor.close()
    pull.close()


def test_a_temporary_failure_is_reported_with_its_code(lib: Any) -> None:
    handler = zap_handler(lib, lambda req: b"300")
    try:
        pull, monitor, endpoint = _null_server(lib, b"test")
        push = _client(lib, endpoint)
        events = _events(monitor, until=lib.EVENT_HANDSHAKE_FAILED_AUTH)
        assert (lib.EVENT_HANDSHAKE_FAILED_AUTH, 300) in events
        assert not pull.poll(int(_QUIET * 1000))
        push.close()
        monitor.close()
        pull.close()
    finally:
        handler.close()


@pytest.fixture
def pyzmq_plain_server() -> Iterator[tuple[str, ZapHandler]]:
    """A libzmq PLAIN server whose ZAP handler refuses everyone."""
    zmq = pytest.importorskip("zmq")
    ctx = zmq.Context()
    zmq.test_ctx = ctx
    handler = zap_handler(zmq, lambda req: b"400")
    server = ctx.socket(zmq.PULL)
    server.linger = 0
    server.plain_server = True
    port = server.bind_to_random_port("tcp://127.0.0.1")
    yield f"tcp://127.0.0.1:{port}", handler
    handler.close()
    server.close()
    ctx.destroy(linger=0)


def test_a_client_refused_by_zap_does_not_retry(
    lib: Any, pyzmq_plain_server: tuple[str, ZapHandler]
) -> None:
    endpoint, handler = pyzmq_plain_server
    push = lib.test_ctx.socket(lib.PUSH)
    push.linger = 0
    push.reconnect_ivl = 20
    push.plain_username = b"user"
    push.plain_password = b"wrong"
    monitor = push.get_monitor_socket()
    push.connect(endpoint)
    events = _events(monitor, until=lib.EVENT_HANDSHAKE_FAILED_AUTH)
    assert (lib.EVENT_HANDSHAKE_FAILED_AUTH, 400) in events
    time.sleep(_QUIET)  # the behaviour under test: no retry within this window
    assert len(handler.requests) == 1
    monitor.close()
    push.close()
