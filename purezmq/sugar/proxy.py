"""proxy, proxy_steerable and device (zmq.proxy; libzmq src/proxy.cpp).

Theory of operation
-------------------
A proxy shuttles whole messages between two sockets until the context ends.
It uses the sockets' relay hooks (`core.contracts.RelaySocket`:
``relay_recv`` / ``relay_send`` / ``relay_has_out``), so a message is moved
as the one list object the pipes already carry: no frame-by-frame round trip
through the pyzmq API, no copy.

Each direction is a *leg* (frontend -> backend, backend -> frontend). One
step runs every leg for a burst of up to `_BURST` messages:

    while the destination (and the tap, if any) can take a message:
        msg = source core.recv()            # None: source empty, stop
        count it, copy it to the tap (capture / monitor socket)
        destination core.send(msg)

Backpressure (spec/interop.md #18): the destination is asked *before* a message is
taken from the source, so a full destination leaves the message in the
source's pipe, where the source's own HWM pushes back on its peers (a TCP
peer's engine stops reading). Nothing is buffered here and a message always
moves whole. libzmq 4.3.5 instead checks POLLOUT once per burst of 1000 and
then blocks in the send. A step never blocks.

Where it runs: on the sockets' I/O thread, while the caller of `proxy` waits
on an Event. The sockets' mailbox fds join the I/O thread's selector, so a
message arriving from a TCP peer is decoded, relayed and encoded towards the
other side by one thread: no thread hand-off (and no GIL hand-off) inside the
device. Measured against relaying on the caller's thread (benchmarks/README.md,
Devices): round trips through a QUEUE ~20 % faster, streams no slower. The
sockets are the relay's alone until it ends; then
their fds leave the selector before the caller is released, and the caller
owns (and usually closes) them again.

Waking: a leg stops either on an empty source (whose failed ``recv`` armed
that pipe's read wake-up) or on a full destination (whose ``has_out`` armed
the write wake-up). Either wake-up lands in the owning socket's mailbox,
whose fd is in the selector. ``Context.term()`` posts to every mailbox too:
the next step finds the socket terminated and the caller gets
`ContextTerminated`, as pyzmq's proxy raises.

Control (``proxy_steerable``): a command is one frame. PAUSE stops the legs
(the relay then sleeps, it does not spin), RESUME restarts them, TERMINATE
makes the call return 0, STATISTICS replies with the eight counters. A REP
control socket gets an empty reply to every other command. These are the
documented semantics (zmq_proxy_steerable(3)); libzmq 4.3.5 itself has PAUSE
and RESUME swapped and replies on any socket type (spec/interop.md #13).

Counters follow libzmq: *frames* and bytes, received and sent, per side, in
the order frontend-recv, frontend-sent, backend-recv, backend-sent, each as a
(count, bytes) pair; STATISTICS encodes them as native-endian uint64 frames.
"""

from __future__ import annotations

import struct
from typing import Any, Optional

from ..error import ContextTerminated
from ..reactor.loop import IOThread
from ..reactor.task import DONE, IDLE, MORE, LoopTask
from .socket import Socket

__all__ = ["proxy", "proxy_steerable", "device", "ProxyStatistics"]

_BURST = 1024  # messages per leg per pass: keeps legs and control fair
_U64 = struct.Struct("=Q")
_EMPTY, _BLOCKED, _MORE, _TERMINATE = 0, 1, 2, 3  # how a leg's burst (or a step) ended
_IDLE_CHECK_MS = 1000  # an idle relay re-checks its sockets this often


class ProxyStatistics:
    """The eight counters of a running proxy, in libzmq's STATISTICS order.

    ``frontend_recv_msgs``... are frames ("message parts"), as libzmq counts.
    Read them from any thread; the proxy's thread updates them once per burst.
    """

    __slots__ = ("values",)

    NAMES = (
        "frontend_recv_msgs",
        "frontend_recv_bytes",
        "frontend_sent_msgs",
        "frontend_sent_bytes",
        "backend_recv_msgs",
        "backend_recv_bytes",
        "backend_sent_msgs",
        "backend_sent_bytes",
    )

    def __init__(self) -> None:
        self.values = [0] * 8

    def frames(self) -> list[bytes]:
        """The STATISTICS reply: 8 frames of native-endian uint64."""
        return [_U64.pack(v & 0xFFFFFFFFFFFFFFFF) for v in self.values]

    @classmethod
    def parse(cls, frames: list[bytes]) -> dict[str, int]:
        """Decode a STATISTICS reply (from purezmq or libzmq) into a dict."""
        if len(frames) != 8 or any(len(f) != 8 for f in frames):
            raise ValueError("a STATISTICS reply is 8 frames of 8 bytes")
        return {name: _U64.unpack(bytes(f))[0] for name, f in zip(cls.NAMES, frames)}

    def as_dict(self) -> dict[str, int]:
        return dict(zip(self.NAMES, self.values))

    def __repr__(self) -> str:
        v = self.values
        return (
            f"<ProxyStatistics frontend in {v[0]}/{v[1]}B out {v[2]}/{v[3]}B,"
            f" backend in {v[4]}/{v[5]}B out {v[6]}/{v[7]}B>"
        )


class _Leg:
    """One direction: messages from `src` to `dst`, copied to a tap."""

    __slots__ = ("src", "dst", "recv_at", "sent_at", "prefix", "swap_ids", "stalled")

    def __init__(self, src: Socket, dst: Socket, recv_at: int, sent_at: int) -> None:
        self.src = src
        self.dst = dst
        self.recv_at = recv_at  # index of (count, bytes) in the statistics
        self.sent_at = sent_at
        self.prefix: Optional[bytes] = None  # monitored_queue: tap frame 0
        self.swap_ids = False  # monitored_queue ROUTER-ROUTER: swap frames 0 and 1
        # A message the destination refused although it said it had room
        # (a state-dependent type such as REQ/REP): it goes out first, later.
        self.stalled: Optional[list[Any]] = None


def _always() -> bool:
    return True


def _check_socket(name: str, sock: Any) -> Socket:
    if not isinstance(sock, Socket):
        raise TypeError(f"{name} must be a purezmq Socket, not {type(sock).__name__}")
    sock.check_open()
    return sock


class _Relay:
    """The relay shared by proxy, proxy_steerable, device and monitored_queue.

    `step` does one round of work and never blocks; `run_on_loop` drives it
    on the sockets' I/O thread while the caller waits."""

    def __init__(
        self,
        frontend: Socket,
        backend: Socket,
        tap: Optional[Socket] = None,
        control: Optional[Socket] = None,
        stats: Optional[ProxyStatistics] = None,
    ) -> None:
        self.frontend = _check_socket("frontend", frontend)
        self.backend = _check_socket("backend", backend)
        self.tap = None if tap is None else _check_socket("capture", tap)
        self.control = None if control is None else _check_socket("control", control)
        self.stats = stats if stats is not None else ProxyStatistics()
        self.legs = [_Leg(frontend, backend, 0, 6)]
        if backend is not frontend:  # a device may serve both sides with one socket
            self.legs.append(_Leg(backend, frontend, 4, 2))
        self.paused = False
        self.sockets: list[Socket] = []
        for sock in (frontend, backend, tap, control):
            if sock is not None and sock not in self.sockets:
                self.sockets.append(sock)

    def run(self) -> int:
        """Relay until TERMINATE (returns 0) or the context ends (raises)."""
        for leg in self.legs:
            self._take_partial(leg)
        return self.run_on_loop(self.frontend.context.io())

    # -- one round ------------------------------------------------------------------

    def step(self) -> int:
        """Run what the mailboxes hold, then move messages: _MORE if a leg
        still has work, _EMPTY if every leg waits, _TERMINATE on TERMINATE.

        Raises ContextTerminated / ENOTSOCK when a socket is gone."""
        for sock in self.sockets:
            sock.run_commands()
        for sock in self.sockets:
            sock.check_open()  # raises ContextTerminated or ENOTSOCK
        if self.control is not None and self._handle_control():
            return _TERMINATE
        status = _EMPTY
        if not self.paused:
            for leg in self.legs:
                if self._pump(leg) == _MORE:
                    status = _MORE
        return status

    def _pump(self, leg: _Leg) -> int:
        """Move up to _BURST whole messages along one leg."""
        src_recv = leg.src.relay_recv
        dst = leg.dst
        # One socket serving both sides (a device with out_type < 0): its own
        # state decides, e.g. a REP can send only once it has received, so
        # the message is taken first and a refusal keeps it for later.
        has_out = dst.relay_has_out if dst is not leg.src else _always
        send = dst.relay_send
        tap = self.tap
        prefix = leg.prefix
        swap = leg.swap_ids
        if leg.stalled is not None:
            if not send(leg.stalled):
                return _BLOCKED
            leg.stalled = None
        frames = nbytes = n = 0
        status = _MORE
        try:
            while n < _BURST:
                # Look before taking: a full destination (or tap) leaves the
                # message where the source's HWM pushes back on its peers.
                if not has_out() or (tap is not None and not tap.relay_has_out()):
                    status = _BLOCKED
                    break
                msg = src_recv()
                if msg is None:
                    status = _EMPTY
                    break
                n += 1
                frames += len(msg)
                for f in msg:
                    nbytes += len(f)
                if swap and len(msg) > 1:
                    msg = [msg[1], msg[0], *msg[2:]]
                if tap is not None:
                    # a copy of the list: the destination keeps the original
                    tap.relay_send([prefix, *msg] if prefix is not None else list(msg))
                if not send(msg):
                    leg.stalled = msg
                    status = _BLOCKED
                    break
        finally:
            if n:
                values = self.stats.values
                i = leg.recv_at
                values[i] += frames
                values[i + 1] += nbytes
                i = leg.sent_at
                values[i] += frames
                values[i + 1] += nbytes
        return status

    @staticmethod
    def _take_partial(leg: _Leg) -> None:
        """Frames of a message the caller had started reading go out first."""
        pending = leg.src.take_partial()
        if pending is not None:
            leg.stalled = pending

    # -- control ----------------------------------------------------------------

    def _handle_control(self) -> bool:
        """Run every queued command; True on TERMINATE."""
        control = self.control
        assert control is not None
        is_rep = control.socket_type_name == "REP"
        while True:
            msg = control.relay_recv()
            if msg is None:
                return False
            command = bytes(msg[0]) if len(msg) == 1 else b""
            if command == b"STATISTICS":
                control.relay_send(self.stats.frames())  # a full control pipe drops it
                continue
            if command == b"PAUSE":
                self.paused = True
            elif command == b"RESUME":
                self.paused = False
            if is_rep:
                control.relay_send([b""])  # REP must answer every request
            if command == b"TERMINATE":
                return True

    # -- running on the I/O thread ---------------------------------------------------------

    def run_on_loop(self, loop: IOThread) -> int:
        """Relay on `loop` (an IOThread) while the caller waits for the end."""
        task = LoopTask(loop, [s.mailbox_fd for s in self.sockets], self._loop_step)
        task.start()
        try:
            while not task.done.wait(_IDLE_CHECK_MS / 1000.0):
                # Safety net: a socket closed by another thread (Context.destroy,
                # which pyzmq documents as unsafe) closes its fd without a
                # wake-up, and destroy may already have stopped the loop.
                if not loop.alive:
                    for sock in self.sockets:
                        sock.check_open()
                    raise ContextTerminated()
                task.kick()
        except BaseException:
            # e.g. KeyboardInterrupt in the caller: take the sockets back first
            task.cancel()
            task.done.wait(_IDLE_CHECK_MS / 1000.0)
            raise
        if task.error is not None:
            if isinstance(task.error, OSError):
                # A socket closed under the relay as it started (its fd gone):
                # say so as pyzmq would, not as a bare EBADF.
                for sock in self.sockets:
                    sock.check_open()
            raise task.error
        return 0

    def _loop_step(self) -> int:
        status = self.step()
        if status == _TERMINATE:
            return DONE
        return MORE if status == _MORE else IDLE


def proxy(frontend: Socket, backend: Socket, capture: Optional[Socket] = None) -> int:
    """Relay messages between `frontend` and `backend` until the context ends.

    Both sides are relayed (requests and replies, data and subscriptions) as
    whole multipart messages, honouring each side's HWM. Typical pairs are
    ROUTER/DEALER (a queue), XSUB/XPUB (a forwarder), PULL/PUSH (a streamer).

    Parameters
    ----------
    frontend : Socket
        The socket for incoming traffic.
    backend : Socket
        The socket for outgoing traffic.
    capture : Socket, optional
        Every message relayed either way is also sent here.

    Raises
    ------
    ContextTerminated
        When the sockets' context is terminated: the normal way to stop.
    """
    return _Relay(frontend, backend, capture).run()


def proxy_steerable(
    frontend: Socket,
    backend: Socket,
    capture: Optional[Socket] = None,
    control: Optional[Socket] = None,
) -> int:
    """`proxy` with a control socket (REP or PAIR) that steers it.

    Commands (single frames): ``PAUSE`` stops relaying, ``RESUME`` restarts
    it, ``TERMINATE`` makes this call return 0, ``STATISTICS`` replies with 8
    frames of native-endian uint64 (frames and bytes received and sent by the
    frontend, then by the backend). A REP control socket gets an empty reply
    to every other command.

    Parameters
    ----------
    frontend, backend, capture : Socket
        As for `proxy`.
    control : Socket, optional
        The socket commands arrive on; None makes this `proxy`.
    """
    return _Relay(frontend, backend, capture, control).run()


def device(device_type: int, frontend: Socket, backend: Socket) -> int:
    """Deprecated alias of `proxy` (zmq.device): QUEUE, FORWARDER, STREAMER.

    `device_type` is accepted for compatibility and otherwise ignored, as in
    pyzmq and libzmq. `frontend` and `backend` may be the same socket, which
    echoes everything it receives back to its peers.
    """
    return proxy(frontend, backend)


def run_relay(
    frontend: Socket,
    backend: Socket,
    capture: Optional[Socket] = None,
    control: Optional[Socket] = None,
    stats: Optional[ProxyStatistics] = None,
    prefixes: Optional[tuple[bytes, bytes]] = None,
    swap_ids: bool = False,
) -> int:
    """The loop with every knob (used by monitored_queue and the CLI runner).

    `prefixes` makes the tap a monitor: frame 0 of each copy says which side
    the message came from. `swap_ids` swaps the first two frames (ROUTER to
    ROUTER). `stats` lets another thread read the counters while it runs.
    """
    relay = _Relay(frontend, backend, capture, control, stats)
    if prefixes is not None:
        for leg, prefix in zip(relay.legs, prefixes):
            leg.prefix = bytes(prefix)
    if swap_ids:
        for leg in relay.legs:
            leg.swap_ids = True
    return relay.run()
