"""Drive one Jupyter kernel through a session and print what happened, as JSON.

Run by tests/jupyter/test_kernel.py in a child process: under
``python -m purezmq run`` when the client side is purezmq, with plain
``python`` when it is pyzmq. The kernel is started by jupyter_client's
KernelManager from a kernel spec written here, on purezmq
(``python -m purezmq run -m ipykernel_launcher``) or on pyzmq.

    kernel_driver.py --kernel {purezmq,pyzmq} --client {blocking,async} --workdir DIR
                     [--transport {tcp,ipc}]

Every line on stdout is a JSON object: ``{"kernel_pid": N}`` as soon as the kernel
runs (also written to DIR/kernel.pid: the test kills that pid in its teardown if
it outlived the session), then
one ``{"result": {...}}`` with what each step saw. The driver asserts nothing: the
test does, on the values reported here.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import inspect
import json
import os
import shutil
import sys
import tempfile
import time
import traceback
import uuid
from typing import Any

import zmq
from jupyter_client import AsyncKernelManager, KernelManager
from jupyter_client.kernelspec import KernelSpecManager

TIMEOUT = 20.0  # every single wait
SPEC = "purezmq-test-{kernel}"

# Registered in the kernel: a comm that sends back the buffers it gets.
ECHO_TARGET = """
def _purezmq_echo_target(comm, open_msg):
    def _echo(msg):
        comm.send(
            {"echo": msg["content"]["data"], "sizes": [len(b) for b in msg["buffers"]]},
            buffers=[bytes(b) for b in msg["buffers"]],
        )
    comm.on_msg(_echo)
get_ipython().kernel.comm_manager.register_target("purezmq-echo", _purezmq_echo_target)
"""
BUFFERS = [b"\x00\x01 binary \xff\xfe", b"", bytes(range(256)) * 400]
ASYNC = False  # set by main(): which client this run drives
WORKDIR = "."
LOOP = "print('looping', flush=True)\nwhile True:\n    pass\n"


def emit(**item: Any) -> None:
    print(json.dumps(item), flush=True)


def digest(buffer: Any) -> list[Any]:
    """[length, sha256] of a buffer: what the test compares, without printing 100 KB."""
    data = bytes(buffer)
    return [len(data), hashlib.sha256(data).hexdigest()]


async def done(value: Any) -> Any:
    """The value, awaited if the async client/manager returned an awaitable."""
    if inspect.isawaitable(value):
        return await value
    return value


async def pause(seconds: float) -> None:
    """Poll interval: the event loop's sleep with the async client, time.sleep otherwise."""
    if ASYNC:
        await asyncio.sleep(seconds)
    else:
        time.sleep(seconds)


def write_spec(workdir: str, kernel: str) -> str:
    name = SPEC.format(kernel=kernel)
    path = os.path.join(workdir, "kernels", name)
    os.makedirs(path, exist_ok=True)
    launcher = ["-m", "ipykernel_launcher"]
    if kernel == "purezmq":
        launcher = ["-m", "purezmq", "run", *launcher]
    argv = [
        sys.executable,
        *launcher,
        "-f",
        "{connection_file}",
        "--HistoryManager.enabled=False",
    ]
    with open(os.path.join(path, "kernel.json"), "w") as f:
        json.dump(
            {
                "argv": argv,
                "display_name": name,
                "language": "python",
                "interrupt_mode": "signal",
            },
            f,
        )
    return name


async def shell_reply(kc: Any, msg_id: str) -> dict[str, Any]:
    while True:
        msg: dict[str, Any] = await done(kc.get_shell_msg(timeout=TIMEOUT))
        if msg["parent_header"].get("msg_id") == msg_id:
            return msg


async def iopub_until(kc: Any, msg_id: str, want: Any) -> list[dict[str, Any]]:
    """iopub messages that answer msg_id, up to the first one ``want(msg)`` accepts."""
    seen = []
    while True:
        msg: dict[str, Any] = await done(kc.get_iopub_msg(timeout=TIMEOUT))
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        seen.append(msg)
        if want(msg):
            return seen


def idle(msg: dict[str, Any]) -> bool:
    return msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle"


async def execute(kc: Any, code: str) -> dict[str, Any]:
    """Run code; the shell reply's status and the execute_result texts from iopub."""
    msg_id = kc.execute(code)
    reply = await shell_reply(kc, msg_id)
    iopub = await iopub_until(kc, msg_id, idle)
    return {
        "status": reply["content"]["status"],
        "results": [
            m["content"]["data"]["text/plain"] for m in iopub if m["msg_type"] == "execute_result"
        ],
        "iopub": [m["msg_type"] for m in iopub],
    }


async def echo_buffers(kc: Any) -> dict[str, Any]:
    setup = await execute(kc, ECHO_TARGET)
    comm_id = uuid.uuid4().hex
    kc.shell_channel.send(
        kc.session.msg("comm_open", {"comm_id": comm_id, "target_name": "purezmq-echo", "data": {}})
    )
    msg = kc.session.msg("comm_msg", {"comm_id": comm_id, "data": {"hello": "buffers"}})
    kc.session.send(kc.shell_channel.socket, msg, buffers=BUFFERS)
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        got: dict[str, Any] = await done(kc.get_iopub_msg(timeout=TIMEOUT))
        if got["msg_type"] == "comm_msg" and got["content"].get("comm_id") == comm_id:
            return {
                "setup": setup["status"],
                "data": got["content"]["data"],
                "buffers": [digest(b) for b in got["buffers"]],
                "parent": got["parent_header"].get("msg_id") == msg["header"]["msg_id"],
            }
    return {"setup": setup["status"], "data": None, "buffers": None, "parent": False}


async def interrupt(kc: Any, km: Any) -> dict[str, Any]:
    msg_id = kc.execute(LOOP)

    def looping(m: dict[str, Any]) -> bool:
        return m["msg_type"] == "stream" and "looping" in m["content"]["text"]

    await iopub_until(kc, msg_id, looping)  # the cell is in its loop now
    await done(km.interrupt_kernel())
    reply = await shell_reply(kc, msg_id)
    errors = await iopub_until(kc, msg_id, idle)
    after = await execute(kc, "6 * 7")
    return {
        "status": reply["content"]["status"],
        "ename": reply["content"].get("ename"),
        "iopub_error": [m["content"]["ename"] for m in errors if m["msg_type"] == "error"],
        "after": after["results"],
    }


async def shutdown(kc: Any, km: Any) -> dict[str, Any]:
    msg_id = kc.shutdown()
    reply: dict[str, Any] = {}
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        reply = await done(kc.control_channel.get_msg(timeout=TIMEOUT))
        if reply["parent_header"].get("msg_id") == msg_id:
            break
    proc = km.provisioner.process
    deadline = time.monotonic() + TIMEOUT
    while proc.poll() is None and time.monotonic() < deadline:
        await pause(0.05)
    by_itself = proc.poll()
    if by_itself is None:
        # ipykernel 7.4 can hang after its shutdown_reply: its control thread's
        # last flush sends on an inproc PUSH whose IOPub PULL was just closed,
        # and that send blocks (libzmq's inproc does the same). Jupyter's
        # KernelManager ends such a kernel after shutdown_wait_time; so do we.
        await done(km.shutdown_kernel(now=False))
    return {
        "ended_by_manager": by_itself is None,
        "reply": reply.get("msg_type"),
        "status": reply.get("content", {}).get("status"),
        "exit_code": 0 if by_itself == 0 else by_itself,
        "gone": proc.poll() is not None,
    }


def heartbeat(km: Any, kc: Any) -> dict[str, Any]:
    """Ping the kernel's heartbeat (a ROUTER queue device echoing to itself) directly."""
    info = km.get_connection_info()
    if info["transport"] == "tcp":
        url = f"tcp://{info['ip']}:{info['hb_port']}"
    else:
        url = f"ipc://{info['ip']}-{info['hb_port']}"
    ctx = zmq.Context()
    echoes = []
    try:
        req = ctx.socket(zmq.REQ)
        req.linger = 0
        req.rcvtimeo = req.sndtimeo = int(TIMEOUT * 1000)
        req.connect(url)
        for ping in (b"ping", b"\x00\xff beat"):
            req.send(ping)
            echoes.append(req.recv() == ping)
        req.close()
    finally:
        ctx.term()
    # is_beating() samples one moment: a beat that took longer than the
    # channel's time_to_dead (1 s) on a loaded machine reads False until the next
    deadline = time.monotonic() + TIMEOUT
    beating = kc.hb_channel.is_beating()
    while not beating and time.monotonic() < deadline:
        time.sleep(0.05)  # polling a flag the channel's thread sets, with a deadline
        beating = kc.hb_channel.is_beating()
    return {"echoes": echoes, "channel_beating": beating}


async def session(km: Any) -> dict[str, Any]:
    result: dict[str, Any] = {"client_zmq": zmq.__name__}
    await done(km.start_kernel())
    pid = km.provisioner.process.pid
    with open(os.path.join(WORKDIR, "kernel.pid"), "w") as f:
        f.write(str(pid))  # first, so the test finds the kernel even if this run hangs
    emit(kernel_pid=pid)
    kc = km.client()
    result["client_class"] = type(kc).__name__
    kc.start_channels()
    try:
        await done(kc.wait_for_ready(timeout=TIMEOUT))
        result["kernel_zmq"] = (await execute(kc, "import zmq; zmq.__name__"))["results"]
        result["heartbeat"] = heartbeat(km, kc)
        result["one_plus_one"] = await execute(kc, "1+1")
        result["buffers"] = await echo_buffers(kc)
        result["interrupt"] = await interrupt(kc, km)
        result["shutdown"] = await shutdown(kc, km)
    finally:
        kc.stop_channels()
        ended = result.get("shutdown", {}).get("ended_by_manager", False)
        proc = getattr(km.provisioner, "process", None)
        if proc is not None and proc.poll() is None:
            result["killed"] = True
            await done(km.shutdown_kernel(now=True))
        elif not ended:  # shutdown_kernel cleans up after itself
            await done(km.cleanup_resources())
    return result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kernel", choices=("purezmq", "pyzmq"), required=True)
    parser.add_argument("--client", choices=("blocking", "async"), required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--transport", choices=("tcp", "ipc"), default="tcp")
    args = parser.parse_args()
    global ASYNC, WORKDIR
    ASYNC = args.client == "async"
    WORKDIR = args.workdir
    name = write_spec(args.workdir, args.kernel)
    specs = KernelSpecManager(kernel_dirs=[os.path.join(args.workdir, "kernels")])
    manager = AsyncKernelManager if args.client == "async" else KernelManager
    where: dict[str, Any] = {}
    if args.transport == "ipc":
        # ipc paths are short-limited (IPC_PATH_MAX_LEN): not under pytest's long tmp path
        ipc_dir = tempfile.mkdtemp(prefix="pzk")
        where = {"transport": "ipc", "ip": os.path.join(ipc_dir, "k")}
    km = manager(kernel_name=name, kernel_spec_manager=specs, **where)
    try:
        if args.client == "async":
            result = asyncio.run(session(km))
        else:
            # Nothing awaits for real with the blocking client: run it without a loop.
            coro = session(km)
            try:
                coro.send(None)
            except StopIteration as stop:
                result = stop.value
            else:
                raise RuntimeError("the blocking session suspended")
    except BaseException:
        traceback.print_exc()
        return 1
    finally:
        if args.transport == "ipc":
            shutil.rmtree(ipc_dir, ignore_errors=True)
    result["transport"] = km.transport
    emit(result=result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
