"""ZAP against unwanted peers, on purezmq and libzmq: NULL with a ZAP domain
asks the handler (and a refusal keeps the peer's messages out), and a
client refused by ZAP does not hammer the handler with retries."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.testing import Monitor, ZapHandler, load_lib

AUTH_FAILED = 0x4000  # EVENT_HANDSHAKE_FAILED_AUTH


def deny_all(lib: Any, ctx: Any) -> ZapHandler:
    """A ZAP handler that refuses every request with 400 (and counts them)."""
    return ZapHandler(lib, ctx, lambda request: (b"400", b"go away", b""))


@pytest.fixture(params=["purezmq", "pyzmq"])
def env(request: Any) -> Iterator[tuple[Any, Any, ZapHandler]]:
    lib = load_lib(request.param)
    ctx = lib.Context()
    handler = deny_all(lib, ctx)
    try:
        yield lib, ctx, handler
    finally:
        handler.close()
        ctx.destroy(linger=0)


@pytest.mark.timeout(30)
def test_null_with_zap_domain_asks_and_obeys_the_handler(env: Any) -> None:
    lib, ctx, handler = env
    server = ctx.socket(lib.PULL)
    server.linger = 0
    server.setsockopt(lib.ZAP_DOMAIN, b"test")
    mon = Monitor(server)
    port = server.bind_to_random_port("tcp://127.0.0.1")
    client = ctx.socket(lib.PUSH)
    client.linger = 0
    client.connect(f"tcp://127.0.0.1:{port}")
    client.send(b"must not arrive", lib.NOBLOCK)
    events = mon.until(AUTH_FAILED)
    assert events[-1][1] == 400
    assert handler.requests and handler.requests[0][2] == b"test"  # the domain
    assert handler.requests[0][5] == b"NULL"  # the mechanism
    assert not server.poll(300), "a peer refused by ZAP got a message through"
    mon.close()
    client.close(0)
    server.close(0)


@pytest.mark.timeout(30)
def test_client_refused_by_zap_does_not_retry(env: Any) -> None:
    lib, ctx, handler = env
    server = ctx.socket(lib.PULL)
    server.linger = 0
    server.setsockopt(lib.PLAIN_SERVER, 1)
    mon = Monitor(server)
    port = server.bind_to_random_port("tcp://127.0.0.1")
    client = ctx.socket(lib.PUSH)
    client.linger = 0
    client.setsockopt(lib.PLAIN_USERNAME, b"mallory")
    client.setsockopt(lib.PLAIN_PASSWORD, b"guess")
    client.setsockopt(lib.RECONNECT_IVL, 50)
    client.connect(f"tcp://127.0.0.1:{port}")
    mon.until(AUTH_FAILED)
    time.sleep(1.0)  # an observation window: retries would show up in it
    assert len(handler.requests) <= 2, f"{len(handler.requests)} ZAP requests in 1 s"
    mon.close()
    client.close(0)
    server.close(0)
