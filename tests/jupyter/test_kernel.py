"""Jupyter end to end: ipykernel and jupyter_client on purezmq, and across the boundary.

Each case runs tests/jupyter/kernel_driver.py in a child process, under
``python -m purezmq run`` when the client side is purezmq (this pytest process has
imported real pyzmq, so the alias cannot go in here). The driver starts the kernel
with KernelManager from a kernel spec whose argv is
``python -m purezmq run -m ipykernel_launcher -f {connection_file}`` (or plain
ipykernel_launcher for a pyzmq kernel), pings its heartbeat, runs 1+1, a comm
message with binary buffers, an interrupted ``while True`` cell and a shutdown, and
reports what it saw; the assertions are all here. The pyzmq/pyzmq case runs the
same assertions as the reference. Kernels listen on tcp, as by default, except one
purezmq/purezmq case on ipc (jupyter_client's other transport).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("jupyter_client", reason="the Jupyter tests need jupyter_client (test-only)")
pytest.importorskip("ipykernel", reason="the Jupyter tests need ipykernel (test-only)")

ROOT = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).resolve().parent / "kernel_driver.py"
TIMEOUT = 90  # one whole driver run; every wait inside it has its own 20 s timeout

# what the driver sends in its comm message (kept in step with kernel_driver.BUFFERS)
BUFFERS = [b"\x00\x01 binary \xff\xfe", b"", bytes(range(256)) * 400]

# The modules ipykernel and jupyter_client import from zmq beyond the core.
NEEDED = ("purezmq.asyncio", "purezmq.eventloop.zmqstream")


def missing_purezmq_modules() -> list[str]:
    missing = []
    for name in NEEDED:
        try:
            found = importlib.util.find_spec(name) is not None
        except ModuleNotFoundError:  # the parent package is missing
            found = False
        if not found:
            missing.append(name)
    return missing


def alive(pid: int) -> bool:
    """Whether pid is a running process (a zombie does not count)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


@pytest.fixture
def workdir(tmp_path: Path) -> Iterator[Path]:
    """A directory for kernel specs, connection files and IPython's profile; kills a
    kernel left running whatever happened."""
    yield tmp_path
    pid_file = tmp_path / "kernel.pid"
    if pid_file.exists():
        pid = int(pid_file.read_text())
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


def run_driver(
    workdir: Path, kernel: str, client: str, client_lib: str, transport: str
) -> dict[str, Any]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    env["JUPYTER_RUNTIME_DIR"] = str(workdir / "runtime")
    env["IPYTHONDIR"] = str(workdir / "ipython")
    env["JUPYTER_PLATFORM_DIRS"] = "1"
    env.pop("PYTHONSTARTUP", None)
    launcher = ["-m", "purezmq", "run"] if client_lib == "purezmq" else []
    args = [str(DRIVER), "--kernel", kernel, "--client", client, "--workdir", str(workdir)]
    args += ["--transport", transport]
    proc = subprocess.run(
        [sys.executable, *launcher, *args],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    results = [line["result"] for line in lines if "result" in line]
    assert proc.returncode == 0 and results, (
        f"driver exit {proc.returncode}\nstdout:\n{proc.stdout[-4000:]}\nstderr:\n{proc.stderr[-8000:]}"
    )
    result: dict[str, Any] = results[0]
    result["kernel_pid"] = next(line["kernel_pid"] for line in lines if "kernel_pid" in line)
    result["stderr"] = proc.stderr
    return result


def digest(data: bytes) -> list[Any]:
    return [len(data), hashlib.sha256(data).hexdigest()]


CASES = [
    # (kernel on, client on, client kind, transport)
    pytest.param(
        "purezmq", "purezmq", "blocking", "tcp", id="purezmq-kernel-purezmq-blocking-client"
    ),
    pytest.param(
        "purezmq", "purezmq", "async", "ipc", id="purezmq-kernel-purezmq-async-client-ipc"
    ),
    pytest.param("pyzmq", "purezmq", "async", "tcp", id="pyzmq-kernel-purezmq-async-client"),
    pytest.param("purezmq", "pyzmq", "blocking", "tcp", id="purezmq-kernel-pyzmq-blocking-client"),
    pytest.param("pyzmq", "pyzmq", "blocking", "tcp", id="pyzmq-kernel-pyzmq-blocking-client"),
]


@pytest.mark.parametrize(("kernel", "client_lib", "client", "transport"), CASES)
def test_kernel_session(
    workdir: Path, kernel: str, client_lib: str, client: str, transport: str
) -> None:
    if "purezmq" in (kernel, client_lib):
        missing = missing_purezmq_modules()
        if missing:
            pytest.skip(f"Jupyter imports {', '.join(missing)}, not in this purezmq yet")
    if "pyzmq" in (kernel, client_lib):
        pytest.importorskip("zmq", reason="the pyzmq side needs real pyzmq")

    if transport == "ipc" and sys.platform == "win32":
        pytest.skip("ipc needs Unix domain sockets")
    r = run_driver(workdir, kernel, client, client_lib, transport)

    # each side is the library it should be, on the transport asked for
    assert r["transport"] == transport
    assert r["client_zmq"] == ("purezmq" if client_lib == "purezmq" else "zmq")
    assert r["kernel_zmq"] == (["'purezmq'"] if kernel == "purezmq" else ["'zmq'"])
    assert r["client_class"] == (
        "AsyncKernelClient" if client == "async" else "BlockingKernelClient"
    )

    # the heartbeat echoes, to a socket of ours and to the client's heartbeat channel
    assert r["heartbeat"] == {"echoes": [True, True], "channel_beating": True}

    # 1+1: execute_reply ok on shell, execute_result 2 on iopub
    one = r["one_plus_one"]
    assert one["status"] == "ok"
    assert one["results"] == ["2"]
    assert one["iopub"] == ["status", "execute_input", "execute_result", "status"]

    # binary buffers through a comm, both ways, byte for byte
    buffers = r["buffers"]
    assert buffers["setup"] == "ok"
    assert buffers["data"] == {"echo": {"hello": "buffers"}, "sizes": [len(b) for b in BUFFERS]}
    assert buffers["buffers"] == [digest(b) for b in BUFFERS]
    assert buffers["parent"] is True

    # interrupting a running while True: KeyboardInterrupt, and the kernel carries on
    interrupt = r["interrupt"]
    assert interrupt["status"] == "error"
    assert interrupt["ename"] == "KeyboardInterrupt"
    assert interrupt["iopub_error"] == ["KeyboardInterrupt"]
    assert interrupt["after"] == ["42"]

    # shutdown: replied to, and the kernel process is gone: by itself with status
    # 0, or (an ipykernel race, see kernel_driver.shutdown) ended by the
    # KernelManager as Jupyter ends it
    shutdown = r["shutdown"]
    assert shutdown["reply"] == "shutdown_reply" and shutdown["status"] == "ok"
    assert shutdown["gone"]
    assert shutdown["exit_code"] in (0, None)
    assert "killed" not in r
    assert not alive(r["kernel_pid"])
    assert "Traceback" not in r["stderr"], r["stderr"]
