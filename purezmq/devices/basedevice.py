"""Device, ThreadDevice, ProcessDevice (zmq.devices.basedevice).

A device is configured with socket *types* and a list of calls to make on
each socket (options, binds, connects). The sockets themselves are created
where the device runs -- the caller's thread for `Device.start`, a new thread
for `ThreadDevice`, a new process for `ProcessDevice` -- because a socket
belongs to the thread that made it. The recorded calls are replayed there in
a fixed order: options first (an IDENTITY must precede any connect), then
binds, then connects.

Stopping: terminate the device's context (``ctx.term()`` from another
thread). The relay loop raises `ContextTerminated`, `run` treats that as a
clean end, closes the device's sockets, and `term` can finish. A
`ProcessDevice` also stops cleanly on SIGTERM (``launcher.terminate()``).
"""

from __future__ import annotations

import errno
import multiprocessing
import signal
import threading
import time
from typing import Any, Callable, Optional

from .. import constants as C
from ..error import ZMQBindError, ZMQError
from ..sugar.context import Context
from ..sugar.proxy import proxy
from ..sugar.socket import Socket

__all__ = ["Device", "BackgroundDevice", "ThreadDevice", "ProcessDevice"]


class Device:
    """A ZeroMQ device to run in the background (here: in the caller).

    Give it socket types, not sockets::

        dev = Device(zmq.QUEUE, zmq.ROUTER, zmq.DEALER)
        dev.bind_in("tcp://*:5555")
        dev.bind_out("tcp://*:5556")
        dev.start()          # blocks; see ThreadDevice / ProcessDevice

    Parameters
    ----------
    device_type : int
        QUEUE, FORWARDER or STREAMER (informational: every device relays both
        ways, as ``zmq.proxy`` does).
    in_type, out_type : int
        Socket types of the two sides, e.g. ROUTER and DEALER. If `out_type`
        is negative the in-socket serves both sides (an echo device).

    Attributes
    ----------
    daemon : bool
        Whether the thread or process is a daemon (default True: it does not
        keep the interpreter alive).
    context_factory : callable
        Returns the Context the sockets are made in: ``Context.instance``
        here and in ThreadDevice, the ``Context`` class in ProcessDevice, so
        a forked child never touches the parent's instance.
    done : bool
        True once the device has stopped.
    """

    context_factory: Callable[[], Context] = Context.instance

    def __init__(
        self,
        device_type: int = C.QUEUE,
        in_type: Optional[int] = None,
        out_type: Optional[int] = None,
    ) -> None:
        if in_type is None:
            raise TypeError("in_type must be specified")
        if out_type is None:
            raise TypeError("out_type must be specified")
        self.device_type = device_type
        self.in_type = in_type
        self.out_type = out_type
        self._in_binds: list[str] = []
        self._in_connects: list[str] = []
        self._in_sockopts: list[tuple[int, Any]] = []
        self._out_binds: list[str] = []
        self._out_connects: list[str] = []
        self._out_sockopts: list[tuple[int, Any]] = []
        self._random_addrs: list[str] = []
        self._sockets: list[Socket] = []
        self._context: Optional[Context] = None
        self.daemon = True
        self._done = False

    # -- done is a property so that BackgroundDevice can look at its launcher --

    @property
    def done(self) -> bool:
        return self._done

    @done.setter
    def done(self, value: bool) -> None:
        self._done = bool(value)

    # -- configuration, replayed where the device runs -----------------------

    def bind_in(self, addr: str) -> None:
        """Queue ``in_socket.bind(addr)``."""
        self._in_binds.append(addr)

    def bind_in_to_random_port(self, addr: str, *args: Any, **kwargs: Any) -> int:
        """Pick a free port on `addr` now; queue the bind. Returns the port."""
        port = self._reserve_random_port(addr, *args, **kwargs)
        self.bind_in(f"{addr}:{port}")
        return port

    def connect_in(self, addr: str) -> None:
        """Queue ``in_socket.connect(addr)``."""
        self._in_connects.append(addr)

    def setsockopt_in(self, opt: int, value: Any) -> None:
        """Queue ``in_socket.setsockopt(opt, value)``."""
        self._in_sockopts.append((opt, value))

    def bind_out(self, addr: str) -> None:
        """Queue ``out_socket.bind(addr)``."""
        self._out_binds.append(addr)

    def bind_out_to_random_port(self, addr: str, *args: Any, **kwargs: Any) -> int:
        """Pick a free port on `addr` now; queue the bind. Returns the port."""
        port = self._reserve_random_port(addr, *args, **kwargs)
        self.bind_out(f"{addr}:{port}")
        return port

    def connect_out(self, addr: str) -> None:
        """Queue ``out_socket.connect(addr)``."""
        self._out_connects.append(addr)

    def setsockopt_out(self, opt: int, value: Any) -> None:
        """Queue ``out_socket.setsockopt(opt, value)``."""
        self._out_sockopts.append((opt, value))

    def _reserve_random_port(self, addr: str, *args: Any, **kwargs: Any) -> int:
        """Bind a throw-away socket to a random port and release it.

        As in pyzmq the port is free again until the device binds it, so
        another process could take it in between; ports already handed out by
        this device are not reused."""
        ctx = Context()
        try:
            for _ in range(5):
                binder = ctx.socket(C.PUSH)
                binder.setsockopt(C.LINGER, 0)
                try:
                    port = binder.bind_to_random_port(addr, *args, **kwargs)
                finally:
                    binder.close()
                new_addr = f"{addr}:{port}"
                if new_addr not in self._random_addrs:
                    self._random_addrs.append(new_addr)
                    return port
            raise ZMQBindError("Could not reserve random port.")
        finally:
            ctx.term()

    # -- running ------------------------------------------------------------------

    def _make_socket(self, socket_type: Optional[int], role: str) -> Socket:
        if socket_type is None:
            raise TypeError(f"{role}_type must be specified")
        ctx = self._context
        assert ctx is not None
        sock = ctx.socket(socket_type)
        self._sockets.append(sock)
        return sock

    def _setup_sockets(self) -> tuple[Socket, Socket]:
        """Create and configure the in and out sockets (in the running thread)."""
        self._context = self.context_factory()
        ins = self._make_socket(self.in_type, "in")
        outs = ins if self.out_type < 0 else self._make_socket(self.out_type, "out")
        # all options before any bind or connect (IDENTITY must come first)
        for opt, value in self._in_sockopts:
            ins.setsockopt(opt, value)
        for opt, value in self._out_sockopts:
            outs.setsockopt(opt, value)
        for addr in self._in_binds:
            ins.bind(addr)
        for addr in self._out_binds:
            outs.bind(addr)
        for addr in self._in_connects:
            ins.connect(addr)
        for addr in self._out_connects:
            outs.connect(addr)
        return ins, outs

    def run_device(self) -> None:
        """Set up the sockets and relay. Called by `run`; do not call directly."""
        ins, outs = self._setup_sockets()
        proxy(ins, outs)

    def _close_sockets(self) -> None:
        for sock in self._sockets:
            if sock is not None and not sock.closed:
                sock.close()

    def run(self) -> None:
        """Run the device in the calling thread until its context ends.

        Context termination (ETERM) and a socket closed under it (ENOTSOCK)
        are a normal end; any other error propagates. The device's sockets
        are closed either way."""
        try:
            self.run_device()
        except ZMQError as exc:
            if exc.errno not in (C.ETERM, errno.ENOTSOCK):
                raise
        finally:
            self._close_sockets()
            self.done = True

    def start(self) -> None:
        """Run the device. Here it blocks; the background classes return."""
        self.run()

    def join(self, timeout: Optional[float] = None) -> None:
        """Wait until the device is done (or `timeout` seconds pass)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.done:
            if deadline is not None and time.monotonic() >= deadline:
                return
            time.sleep(0.001)

    def __getstate__(self) -> dict[str, Any]:
        # What a spawned child needs: the configuration, not live objects.
        state = self.__dict__.copy()
        state["launcher"] = None
        state["_sockets"] = []
        state["_context"] = None
        return state


class BackgroundDevice(Device):
    """A Device whose `start` returns at once; `launcher` runs it."""

    launcher: Any = None
    _launch_class: Any = None

    def start(self) -> None:
        self.launcher = self._launch_class(target=self.run)
        self.launcher.daemon = self.daemon
        self.launcher.start()

    def join(self, timeout: Optional[float] = None) -> None:
        """Wait for the thread or process to end (`timeout` in seconds)."""
        if self.launcher is None:
            return
        self.launcher.join(timeout=timeout)

    @property
    def done(self) -> bool:
        if self._done:
            return True
        # a ProcessDevice's flag is set in the child: ask the launcher
        launcher = self.launcher
        return launcher is not None and _started(launcher) and not launcher.is_alive()

    @done.setter
    def done(self, value: bool) -> None:
        self._done = bool(value)


def _started(launcher: Any) -> bool:
    if isinstance(launcher, threading.Thread):
        return launcher.ident is not None
    return getattr(launcher, "_popen", None) is not None


class ThreadDevice(BackgroundDevice):
    """A Device run in a background thread. See Device."""

    _launch_class = threading.Thread


class ProcessDevice(BackgroundDevice):
    """A Device run in a background process (``multiprocessing.Process``).

    The child makes its own Context (`context_factory` is the ``Context``
    class). Works with the fork and spawn start methods; with spawn the
    device object is pickled, so its options must be picklable. SIGTERM
    (``launcher.terminate()``) stops the child cleanly: the context is
    terminated, the sockets closed, and the exit code is 0."""

    _launch_class = multiprocessing.Process
    context_factory: Callable[[], Context] = Context

    _term_thread: Optional[threading.Thread] = None

    def run(self) -> None:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self._on_sigterm)
        try:
            super().run()
        finally:
            # The context is ours alone: end it (bounded, in case a socket
            # lingers forever) so queued messages get a chance to leave.
            ctx = self._context
            if self._term_thread is None and ctx is not None and not ctx.closed:
                self._start_term(ctx)
            if self._term_thread is not None:
                self._term_thread.join(5.0)

    def _on_sigterm(self, signum: int, frame: Any) -> None:
        ctx = self._context
        if ctx is None:
            raise SystemExit(0)  # not relaying yet: nothing to close
        if self._term_thread is None:
            self._start_term(ctx)

    def _start_term(self, ctx: Context) -> None:
        # term() waits for the relay to close its sockets: never on this thread
        self._term_thread = threading.Thread(target=ctx.term, name="device-term", daemon=True)
        self._term_thread.start()
