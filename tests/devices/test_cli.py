"""``python -m purezmq device``: the runner, as a subprocess serving pyzmq clients.

Every subprocess is killed in a ``finally`` (with a timeout) whatever happens.
"""

from __future__ import annotations

import os
import re
import signal
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.testing import make_socket, settle_subscriptions

zmq = pytest.importorskip("zmq")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STARTUP_TIMEOUT = 20.0


class Runner:
    def __init__(self, *args: str) -> None:
        env = dict(os.environ, PYTHONPATH=ROOT, PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "purezmq", "device", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
        )
        self.banner = self._read_line()
        self.seen = ""  # output read by wait_for_output, given back by stop()
        self.endpoints = dict(re.findall(r"(\w+) [A-Z]+ bind (\S+?)(?:[;,]|$)", self.banner))

    def _read_line(self) -> str:
        import selectors

        sel = selectors.DefaultSelector()
        assert self.proc.stdout is not None
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        try:
            if not sel.select(STARTUP_TIMEOUT):
                raise AssertionError("the runner printed nothing")
        finally:
            sel.close()
        line = self.proc.stdout.readline()
        if not line:
            err = self.proc.stderr.read() if self.proc.stderr else ""
            raise AssertionError(f"the runner exited: {err}")
        return line.strip()

    def wait_for_output(self, text: str, timeout: float = STARTUP_TIMEOUT) -> None:
        """Read the runner's stdout until `text` shows up (fail after `timeout`)."""
        import selectors

        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            while text not in self.seen:
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(left):
                    pytest.fail(f"the runner never printed {text!r}; got {self.seen!r}")
                data = os.read(fd, 65536)
                if not data:
                    pytest.fail(f"the runner exited before printing {text!r}")
                self.seen += data.decode()

    def stop(self, sig: int = signal.SIGTERM) -> tuple[int, str, str]:
        self.proc.send_signal(sig)
        out, err = self.proc.communicate(timeout=15)
        return self.proc.returncode, self.seen + out, err

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            self.proc.communicate(timeout=5)
        except Exception:
            pass


@pytest.fixture
def runners() -> Iterator[list[Runner]]:
    started: list[Runner] = []
    yield started
    for r in started:
        r.kill()


def _start(runners: list[Runner], *args: str) -> Runner:
    r = Runner(*args)
    runners.append(r)
    return r


def test_queue_runner_serves_pyzmq_req_rep(pyctx: Any, runners: list[Runner]) -> None:
    r = _start(
        runners, "queue", "--in-bind", "tcp://127.0.0.1:0", "--out-bind", "tcp://127.0.0.1:*",
        "--control", "tcp://127.0.0.1:0",
    )  # fmt: skip
    assert r.banner.startswith(f"purezmq device queue (pid {r.proc.pid})")
    fe, be, ctrl_ep = r.endpoints["in"], r.endpoints["out"], r.endpoints["control"]
    for ep in (fe, be, ctrl_ep):
        assert re.fullmatch(r"tcp://127\.0\.0\.1:\d+", ep) and not ep.endswith(":0")
    workers = [make_socket(pyctx, zmq.REP) for _ in range(2)]
    for w in workers:
        w.connect(be)
    clients = [make_socket(pyctx, zmq.REQ) for _ in range(3)]
    for c in clients:
        c.connect(fe)
    poller = zmq.Poller()
    for w in workers:
        poller.register(w, zmq.POLLIN)
    for rnd in range(5):
        for k, c in enumerate(clients):
            c.send(b"%d-%d" % (k, rnd))
        pending = len(clients)
        while pending:
            ready = dict(poller.poll(5000))
            assert ready
            for w in workers:
                if w in ready:
                    w.send(w.recv() + b"!")
                    pending -= 1
        for k, c in enumerate(clients):
            assert c.recv() == b"%d-%d!" % (k, rnd)
    ctrl = make_socket(pyctx, zmq.REQ)
    ctrl.connect(ctrl_ep)
    ctrl.send(b"STATISTICS")
    stats = [struct.unpack("=Q", f)[0] for f in ctrl.recv_multipart()]
    # 15 requests: frontend gets [id, "", body], backend gets [id, "", body] back
    assert stats[0] == stats[6] == 45 and stats[4] == stats[2] == 45
    code, out, err = r.stop(signal.SIGTERM)
    assert code == 0, err
    assert "stopped" in out and "frontend in 45 frames" in out


def test_streamer_runner_sigint_and_periodic_stats(pyctx: Any, runners: list[Runner]) -> None:
    r = _start(
        runners, "streamer", "--in-bind", "tcp://127.0.0.1:0", "--out-bind", "tcp://127.0.0.1:0",
        "--stats-interval", "0.2",
    )  # fmt: skip
    push = make_socket(pyctx, zmq.PUSH)
    pull = make_socket(pyctx, zmq.PULL)
    push.connect(r.endpoints["in"])
    pull.connect(r.endpoints["out"])
    for i in range(50):
        push.send(b"%d" % i)
    assert [pull.recv() for _ in range(50)] == [b"%d" % i for i in range(50)]
    r.wait_for_output("stats: frontend in 50 frames")
    code, out, err = r.stop(signal.SIGINT)
    assert code == 0, err
    assert "stats: frontend in 50 frames" in out  # a periodic line after the traffic


def test_forwarder_runner_with_capture(pyctx: Any, runners: list[Runner]) -> None:
    r = _start(
        runners, "forwarder", "--in-bind", "tcp://127.0.0.1:0", "--out-bind", "tcp://127.0.0.1:0",
        "--capture", "tcp://127.0.0.1:0",
    )  # fmt: skip
    assert (
        "in XSUB bind" in r.banner
        and "out XPUB bind" in r.banner
        and "capture PUB bind" in r.banner
    )
    pub = make_socket(pyctx, zmq.PUB)
    pub.connect(r.endpoints["in"])
    sub = make_socket(pyctx, zmq.SUB)
    sub.subscribe(b"t")
    sub.connect(r.endpoints["out"])
    cap = make_socket(pyctx, zmq.SUB)
    cap.subscribe(b"t")
    cap.connect(r.endpoints["capture"])
    settle_subscriptions(pub, sub, b"t")
    settle_subscriptions(pub, cap, b"t")
    while sub.poll(100):  # probes of the second settle
        sub.recv_multipart()
    pub.send_multipart([b"t", b"1"])
    assert sub.recv_multipart() == [b"t", b"1"]
    assert cap.recv_multipart() == [b"t", b"1"]
    code, _, err = r.stop()
    assert code == 0, err


def test_runner_terminate_from_pair_control(pyctx: Any, runners: list[Runner]) -> None:
    r = _start(
        runners, "queue", "--in-bind", "tcp://127.0.0.1:0", "--out-bind", "tcp://127.0.0.1:0",
        "--control", "tcp://127.0.0.1:0", "--control-type", "pair",
    )  # fmt: skip
    ctrl = make_socket(pyctx, zmq.PAIR)
    ctrl.connect(r.endpoints["control"])
    ctrl.send(b"TERMINATE")
    out, err = r.proc.communicate(timeout=15)
    assert r.proc.returncode == 0, err
    assert "stopped" in out


@pytest.mark.parametrize(
    "args,message",
    [
        (["queue", "--in-bind", "foo://x", "--out-bind", "tcp://127.0.0.1:0"], "Unknown transport"),
        (["queue", "--in-bind", "tcp://127.0.0.1:99999", "--out-bind", "tcp://127.0.0.1:0"], "out of range"),
        (["queue", "--in-connect", "tcp://127.0.0.1:*", "--out-bind", "tcp://127.0.0.1:0"], "wildcard"),
        (["streamer", "--in-type", "PUSH", "--in-bind", "tcp://127.0.0.1:0",
          "--out-bind", "tcp://127.0.0.1:0"], "not compatible with a streamer"),
        (["forwarder", "--out-type", "PULL", "--in-bind", "tcp://127.0.0.1:0",
          "--out-bind", "tcp://127.0.0.1:0"], "not compatible with a forwarder"),
        (["queue", "--in-type", "BOGUS", "--in-bind", "tcp://127.0.0.1:0",
          "--out-bind", "tcp://127.0.0.1:0"], "no such socket type"),
        (["queue", "--in-type", "ROUTER", "--out-type", "ROUTER", "--in-bind", "tcp://127.0.0.1:0",
          "--out-bind", "tcp://127.0.0.1:0"], "ROUTER on both sides"),
        (["queue", "--out-bind", "tcp://127.0.0.1:0"], "--in-bind or --in-connect"),
        (["teleporter", "--in-bind", "tcp://127.0.0.1:0"], "invalid choice"),
    ],
)  # fmt: skip
def test_runner_usage_errors(args: list[str], message: str) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "purezmq", "device", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONPATH=ROOT),
        cwd=ROOT,
    )
    try:
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=5)
    assert proc.returncode == 2
    assert message in err and "usage:" in err
    assert out == ""


def test_runner_bind_failure_is_an_error(pyctx: Any) -> None:
    blocker = pyctx.socket(zmq.PULL)
    port = blocker.bind_to_random_port("tcp://127.0.0.1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "purezmq", "device", "streamer", "--in-bind", f"tcp://127.0.0.1:{port}",
         "--out-bind", "tcp://127.0.0.1:0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONPATH=ROOT),
        cwd=ROOT,
    )  # fmt: skip
    try:
        _, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=5)
        blocker.close(0)
    assert proc.returncode == 1
    assert f"cannot bind the in socket to tcp://127.0.0.1:{port}" in err


def test_forwarder_runner_with_a_sub_in_socket(pyctx: Any, runners: list[Runner]) -> None:
    """A SUB in-socket subscribes to everything, so it forwards every topic."""
    r = _start(
        runners, "forwarder", "--in-type", "sub", "--in-connect", "tcp://127.0.0.1:1",
        "--in-bind", "tcp://127.0.0.1:0", "--out-type", "PUB", "--out-bind", "tcp://127.0.0.1:0",
    )  # fmt: skip
    assert "in SUB bind" in r.banner and "connect tcp://127.0.0.1:1" in r.banner
    pub = make_socket(pyctx, zmq.PUB)
    pub.connect(r.endpoints["in"])
    sub = make_socket(pyctx, zmq.SUB)
    sub.subscribe(b"")
    sub.connect(r.endpoints["out"])
    settle_subscriptions(pub, sub)
    pub.send_multipart([b"any", b"topic"])
    assert sub.recv_multipart() == [b"any", b"topic"]
    code, _, err = r.stop()
    assert code == 0, err
