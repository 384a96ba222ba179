"""The waiting helpers in tests/testing.py do what the other tests rely on."""

from __future__ import annotations

import threading
from typing import Any, Callable

import pytest

from tests.testing import (
    eventually,
    innermost,
    on_stack,
    recv_event,
    wait_connected,
    wait_for_event,
    watch,
)


def test_eventually_returns_the_truthy_value() -> None:
    calls = iter([0, None, "", [7]])
    assert eventually(lambda: next(calls), interval=0) == [7]


def test_eventually_fails_saying_what_it_awaited() -> None:
    with pytest.raises(pytest.fail.Exception) as info:
        eventually(lambda: False, timeout=0.05, what="the moon turning blue")
    assert "the moon turning blue" in str(info.value)
    with pytest.raises(pytest.fail.Exception) as info:
        eventually(lambda: 1 > 2, timeout=0.01)
    assert "1 > 2" in str(info.value)  # the lambda's source by default


@pytest.mark.parametrize("side", ["pz", "py"])
def test_monitor_helpers_with_either_library(
    libs: Callable[[str, str], Any], pyzmq: Any, side: str
) -> None:
    pull = libs(side, "PULL")
    push = libs(side, "PUSH")
    monitor = watch(pull)
    port = pull.bind_to_random_port("tcp://127.0.0.1")
    push.connect(f"tcp://127.0.0.1:{port}")
    wait_connected(monitor)
    push.send(b"up")
    assert pull.recv() == b"up"
    push.close(linger=0)
    seen = wait_for_event(monitor, pyzmq.EVENT_DISCONNECTED)
    event, value, endpoint = seen[-1]
    assert event == pyzmq.EVENT_DISCONNECTED
    assert endpoint.startswith("tcp://127.0.0.1:")
    assert recv_event(monitor, 0.01) is None  # nothing more: None, no exception
    with pytest.raises(pytest.fail.Exception) as info:
        wait_for_event(monitor, pyzmq.EVENT_ACCEPTED, timeout=0.05)
    assert "ACCEPTED" in str(info.value)
    monitor.close(linger=0)


def test_stack_helpers_see_a_blocked_thread() -> None:
    release = threading.Event()

    def parked() -> None:
        release.wait(10)

    t = threading.Thread(target=parked, daemon=True)
    t.start()
    try:
        eventually(lambda: on_stack(t, "parked") and innermost(t) == "wait")
        assert not on_stack(t, "no_such_function")
    finally:
        release.set()
        t.join(10)
    assert innermost(t) == "" and not on_stack(t, "parked")
