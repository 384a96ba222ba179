"""An encrypting connection's pump seals about `_SEAL_BYTES` per batch.

A CURVE sender seals on its I/O thread, at a cost per byte. A batch of 250
large messages took the pure backend half a second, during which the peer
had nothing to open; then the sender waited for the peer. Bounding each
batch by bytes lets the two ends work at the same time."""

from __future__ import annotations

import threading
from typing import Any

import pytest

import purezmq
from purezmq import crypto
from purezmq.reactor import session as session_mod
from purezmq.zmtp import Connection
from tests.testing import WAIT_TIMEOUT, ZapHandler, make_socket, terminate


def test_sealed_batch_aims_at_the_byte_budget() -> None:
    budget = session_mod._SEAL_BYTES
    assert session_mod.sealed_batch(1, 65_569, 250) == budget // 65_569
    assert session_mod.sealed_batch(250, 250 * 99, 250) == 250  # small: the count cap
    assert session_mod.sealed_batch(1, 4 * budget, 250) == 1  # never below one
    assert session_mod.sealed_batch(3, 0, 250) == 250  # nothing made: no division by zero


# 3 boxes of 64 KiB + 33 bytes fit 256 KiB; 64 B messages reach SNDHWM / 4.
@pytest.mark.parametrize(("size", "most"), [(65536, 3), (64, 250)])
def test_a_curve_pump_seals_bounded_batches(
    monkeypatch: pytest.MonkeyPatch, size: int, most: int
) -> None:
    batches: list[int] = []
    send_messages = Connection.send_messages

    def spy(self: Connection, messages: Any) -> None:
        if self.mechanism.wraps_traffic:
            batches.append(len(messages))
        send_messages(self, messages)

    monkeypatch.setattr(Connection, "send_messages", spy)
    server_public, server_secret = crypto.keypair()
    queued = threading.Event()

    def accept_once_queued(request: list[bytes]) -> tuple[bytes, bytes, bytes]:
        queued.wait(WAIT_TIMEOUT)  # the handshake ends after every message is queued
        return b"200", b"OK", b""

    ctx = purezmq.Context()
    zap = ZapHandler(purezmq, ctx, accept_once_queued)
    try:
        pull = make_socket(ctx, purezmq.PULL)
        pull.curve_server = True
        pull.curve_secretkey = server_secret
        port = pull.bind_to_random_port("tcp://127.0.0.1")
        push = make_socket(ctx, purezmq.PUSH)
        push.curve_serverkey = server_public
        push.curve_secretkey = crypto.keypair()[1]
        count = 40 if size > 1024 else 1000
        payload = b"m" * size
        push.connect(f"tcp://127.0.0.1:{port}")  # the pipe is there before the handshake
        for _ in range(count):
            push.send(payload)
        queued.set()
        got = [pull.recv() for _ in range(count)]
    finally:
        zap.close()
        terminate(ctx)
    assert got == [payload] * count
    assert sum(batches) == count
    assert batches[0] == 1  # the first batch measures the size
    assert max(batches) == most  # then it grows to the budget, or the count cap
