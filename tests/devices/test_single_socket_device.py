"""A device whose one socket serves both sides (``out_type < 0``, i.e.
``proxy(s, s)``) relays through that socket type's own send/recv rules:
REP keeps its envelope and state, so it echoes; ROUTER, DEALER and PAIR echo
too. The clients are libzmq (pyzmq) sockets; the device runs on purezmq and,
as the reference, on pyzmq. Both bound and connected device sockets."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

zmq = pytest.importorskip("zmq")

# device socket type -> the libzmq client that talks to it
CASES = {
    "REP": "REQ",
    "ROUTER": "DEALER",
    "DEALER": "DEALER",
    "PAIR": "PAIR",
}


@pytest.fixture(params=["purezmq", "zmq"])
def impl(request: Any) -> Iterator[Any]:
    mod = pytest.importorskip(request.param)
    pytest.importorskip(f"{request.param}.devices")  # a submodule pyzmq does not import itself
    yield mod


@pytest.mark.parametrize("bound", [True, False], ids=["bound", "connected"])
@pytest.mark.parametrize("kind", sorted(CASES))
def test_single_socket_device_echoes(impl: Any, kind: str, bound: bool) -> None:
    client_ctx = zmq.Context()
    client = client_ctx.socket(getattr(zmq, CASES[kind]))
    client.rcvtimeo = client.sndtimeo = 5000
    client.linger = 0
    dev = impl.devices.ThreadDevice(impl.QUEUE, getattr(impl, kind), -1)
    dev_ctx = impl.Context()
    dev.context_factory = lambda: dev_ctx
    if bound:
        port = client.bind_to_random_port("tcp://127.0.0.1")
        dev.connect_in(f"tcp://127.0.0.1:{port}")
    else:
        with socket.socket() as probe:  # a free port for the device
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        dev.bind_in(f"tcp://127.0.0.1:{port}")
    dev.setsockopt_in(impl.LINGER, 0)
    dev.daemon = True
    dev.start()
    try:
        if not bound:
            client.connect(f"tcp://127.0.0.1:{port}")
        for i in range(3):
            # libzmq relays frame by frame, which a REP refuses for a
            # multipart request (EFSM): REP gets single-frame requests.
            msg = [b"hello %d" % i] if kind == "REP" else [b"hello", b"%d" % i]
            client.send_multipart(msg)
            assert client.recv_multipart() == msg
    finally:
        client.close()
        client_ctx.term()
        _term_within(dev_ctx, 5.0)
        dev.join(5)
        assert not dev.launcher.is_alive()


def _term_within(ctx: Any, timeout: float) -> None:
    done = threading.Event()
    threading.Thread(target=lambda: (ctx.term(), done.set()), daemon=True).start()
    assert done.wait(timeout), "the device's context did not terminate"
