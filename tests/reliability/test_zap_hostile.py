"""ZAP against unwanted peers, on purezmq and libzmq: NULL with a ZAP domain
asks the handler (and a refusal keeps the peer's messages out), and a
client refused by ZAP does not hammer the handler with retries."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.testing import Monitor, load_lib

AUTH_FAILED = 0x4000  # EVENT_HANDSHAKE_FAILED_AUTH


class DenyAll:
    """A ZAP handler that refuses every request with 400 and counts them."""

    def __init__(self, lib: Any, ctx: Any) -> None:
        self.sock = ctx.socket(lib.REP)
        self.sock.linger = 0
        self.sock.bind("inproc://zeromq.zap.01")
        self.requests: list[list[bytes]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            if not self.sock.poll(20):
                continue
            req = self.sock.recv_multipart()
            self.requests.append(req)
            self.sock.send_multipart([b"1.0", req[1], b"400", b"go away", b"", b""])

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.sock.close(0)


@pytest.fixture(params=["purezmq", "pyzmq"])
def env(request: Any) -> Iterator[tuple[Any, Any, DenyAll]]:
    lib = load_lib(request.param)
    ctx = lib.Context()
    handler = DenyAll(lib, ctx)
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
