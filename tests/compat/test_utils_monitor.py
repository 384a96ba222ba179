"""zmq.utils.monitor: parse_monitor_message over every libzmq event number, the
errors for malformed messages, and recv_monitor_message on a real monitor socket,
with Frames, NOBLOCK, and a socket whose recv_multipart is awaitable. Every test
runs the same assertions against purezmq and real pyzmq."""

from __future__ import annotations

import asyncio
import importlib
import struct
from typing import Any

import pytest

# libzmq's version 1 monitor events (zmq.h), by value: the protocol is a fact, so the
# numbers are written out rather than read from either library.
V1_EVENTS = {
    "CONNECTED": 0x0001,
    "CONNECT_DELAYED": 0x0002,
    "CONNECT_RETRIED": 0x0004,
    "LISTENING": 0x0008,
    "BIND_FAILED": 0x0010,
    "ACCEPTED": 0x0020,
    "ACCEPT_FAILED": 0x0040,
    "CLOSED": 0x0080,
    "CLOSE_FAILED": 0x0100,
    "DISCONNECTED": 0x0200,
    "MONITOR_STOPPED": 0x0400,
    "HANDSHAKE_FAILED_NO_DETAIL": 0x0800,
    "HANDSHAKE_SUCCEEDED": 0x1000,
    "HANDSHAKE_FAILED_PROTOCOL": 0x2000,
    "HANDSHAKE_FAILED_AUTH": 0x4000,
}


@pytest.fixture
def monitor(lib: Any) -> Any:
    return importlib.import_module(f"{lib.__name__}.utils.monitor")


def _message(event: int, value: int, endpoint: bytes = b"tcp://127.0.0.1:5555") -> list[bytes]:
    return [struct.pack("=hi", event, value), endpoint]


@pytest.mark.parametrize("name", sorted(V1_EVENTS))
def test_parse_every_event(lib: Any, monitor: Any, name: str) -> None:
    number = V1_EVENTS[name]
    assert getattr(lib, f"EVENT_{name}") == number
    msg = _message(number, 42)
    parsed = monitor.parse_monitor_message(msg)
    assert set(parsed) == {"event", "value", "endpoint"}
    assert parsed["event"] == number
    assert parsed["event"] is lib.Event(number)
    assert isinstance(parsed["event"], lib.Event) and parsed["event"].name == name
    assert parsed["value"] == 42 and isinstance(parsed["value"], lib.Event)
    assert parsed["endpoint"] is msg[1]


@pytest.mark.parametrize(
    "value",
    [0, 1, 2**31 - 1, 0x10000001, 0x11000002, 0x20000005],  # fds, errnos, protocol-error codes
)
def test_parse_values(lib: Any, monitor: Any, value: int) -> None:
    parsed = monitor.parse_monitor_message(_message(0x2000, value))
    assert parsed["value"] == value
    assert isinstance(parsed["value"], lib.Event)


def test_native_byte_order(monitor: Any) -> None:
    # "=" is native order: on a little-endian host the event's low byte comes first.
    raw = (0x0020).to_bytes(2, "little") + (7).to_bytes(4, "little")
    if struct.pack("=h", 1) != b"\x01\x00":
        raw = (0x0020).to_bytes(2, "big") + (7).to_bytes(4, "big")
    parsed = monitor.parse_monitor_message([raw, b"ipc:///tmp/x"])
    assert (parsed["event"], parsed["value"], parsed["endpoint"]) == (0x20, 7, b"ipc:///tmp/x")


@pytest.mark.parametrize(
    "msg",
    [
        [],
        [struct.pack("=hi", 1, 0)],
        [struct.pack("=hi", 1, 0), b"ep", b"extra"],
        [b"\x01\x00\x00\x00\x00", b"ep"],  # 5-byte first frame
        [struct.pack("=hi", 1, 0) + b"\x00", b"ep"],  # 7-byte first frame
    ],
)
def test_malformed_message(monitor: Any, msg: list[bytes]) -> None:
    with pytest.raises(RuntimeError, match="Invalid event message format"):
        monitor.parse_monitor_message(msg)


def _socket(lib: Any, kind: int) -> Any:
    sock = lib.test_ctx.socket(kind)
    sock.setsockopt(lib.LINGER, 0)
    sock.setsockopt(lib.RCVTIMEO, 5000)
    sock.setsockopt(lib.SNDTIMEO, 5000)
    return sock


def _events_until(monitor: Any, mon: Any, last: int) -> list[dict[str, Any]]:
    """Monitor events up to and including `last` (each recv has RCVTIMEO)."""
    seen: list[dict[str, Any]] = []
    while not seen or seen[-1]["event"] != last:
        seen.append(monitor.recv_monitor_message(mon))
    return seen


def test_recv_monitor_message_on_a_real_socket(lib: Any, monitor: Any) -> None:
    pull = _socket(lib, lib.PULL)
    mon = pull.get_monitor_socket()
    mon.setsockopt(lib.RCVTIMEO, 5000)
    port = pull.bind_to_random_port("tcp://127.0.0.1")
    push = _socket(lib, lib.PUSH)
    push.connect(f"tcp://127.0.0.1:{port}")
    events = _events_until(monitor, mon, lib.EVENT_HANDSHAKE_SUCCEEDED)
    kinds = [e["event"] for e in events]
    assert kinds[0] == lib.EVENT_LISTENING
    assert lib.EVENT_ACCEPTED in kinds
    listening = events[0]
    assert listening["endpoint"] == f"tcp://127.0.0.1:{port}".encode()
    assert isinstance(listening["endpoint"], bytes)
    assert listening["value"] > 0  # the listening socket's file descriptor
    for event in events:
        assert isinstance(event["event"], lib.Event)
    # nothing more is waiting: NOBLOCK raises Again
    with pytest.raises(lib.Again):
        monitor.recv_monitor_message(mon, lib.NOBLOCK)
    push.close()
    disconnected = _events_until(monitor, mon, lib.EVENT_DISCONNECTED)[-1]
    assert disconnected["endpoint"] == f"tcp://127.0.0.1:{port}".encode()
    pull.disable_monitor()
    mon.close()
    pull.close()


def test_parse_frames_from_copy_false(lib: Any, monitor: Any) -> None:
    pull = _socket(lib, lib.PULL)
    mon = pull.get_monitor_socket(lib.EVENT_LISTENING)
    mon.setsockopt(lib.RCVTIMEO, 5000)
    port = pull.bind_to_random_port("tcp://127.0.0.1")
    frames = mon.recv_multipart(copy=False)
    parsed = monitor.parse_monitor_message(frames)
    assert parsed["event"] == lib.EVENT_LISTENING
    assert parsed["endpoint"] is frames[1]
    assert frames[1].bytes == f"tcp://127.0.0.1:{port}".encode()
    pull.disable_monitor()
    mon.close()
    pull.close()


class _AwaitableSocket:
    """A stand-in for an asyncio socket: recv_multipart returns a coroutine."""

    def __init__(self, msg: list[bytes]) -> None:
        self.msg = msg
        self.flags: list[int] = []

    async def _recv(self) -> list[bytes]:
        await asyncio.sleep(0)
        return self.msg

    def recv_multipart(self, flags: int = 0) -> Any:
        self.flags.append(flags)
        return self._recv()


def test_recv_monitor_message_awaitable(lib: Any, monitor: Any) -> None:
    sock = _AwaitableSocket(_message(0x0001, 9, b"tcp://h:1"))
    pending = monitor.recv_monitor_message(sock, lib.NOBLOCK)
    assert sock.flags == [lib.NOBLOCK]
    parsed = asyncio.run(_await(pending))
    assert (parsed["event"], parsed["value"], parsed["endpoint"]) == (1, 9, b"tcp://h:1")


async def _await(pending: Any) -> Any:
    return await pending
