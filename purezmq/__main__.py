"""``python -m purezmq``: a self-contained demo, and the device runner.

python -m purezmq demo      broker + workers + clients over tcp, and a
                            purezmq <-> libzmq exchange when pyzmq exists
python -m purezmq device    run a QUEUE, FORWARDER or STREAMER device in
                            the foreground (no libzmq needed), e.g.
    python -m purezmq device queue --in-bind tcp://*:5555 --out-bind tcp://*:5556
python -m purezmq curve-keygen
                            print a new CURVE key pair (Z85), or with
                            --secret KEY the public key of a secret key
python -m purezmq run       run a pyzmq program unchanged on purezmq
                            (`import zmq` loads purezmq), e.g.
    python -m purezmq run -m ipykernel_launcher -f kernel.json
    python -m purezmq run script.py arg ...
"""

from __future__ import annotations

import argparse
import os
import select
import signal
import sys
import threading
import time
from collections.abc import Sequence
from typing import Any, Callable, Optional

import purezmq as zmq


def _worker(ctx: zmq.Context, endpoint: str, name: bytes, stop: threading.Event) -> None:
    with ctx.socket(zmq.DEALER) as sock:
        sock.linger = 0
        sock.rcvtimeo = 200
        sock.connect(endpoint)
        sock.send_multipart([b"READY", name])
        while not stop.is_set():
            try:
                client, body = sock.recv_multipart()
            except zmq.Again:
                continue
            sock.send_multipart([client, body.upper() + b" (by " + name + b")"])


def _broker(ctx: zmq.Context, front: zmq.Socket, back: zmq.Socket, stop: threading.Event) -> None:
    """Route client requests to idle workers (a minimal load-balancing broker)."""
    idle: list[bytes] = []
    poller = zmq.Poller()
    poller.register(front, zmq.POLLIN)
    poller.register(back, zmq.POLLIN)
    pending: list[list[bytes]] = []
    while not stop.is_set():
        for sock, _ in poller.poll(100):
            if sock is back:
                msg = back.recv_multipart()
                worker = msg[0]
                if msg[1] != b"READY":
                    front.send_multipart([msg[1], b"", msg[2]])
                idle.append(worker)
            else:
                client, _, body = front.recv_multipart()
                pending.append([client, body])
        while idle and pending:
            client, body = pending.pop(0)
            back.send_multipart([idle.pop(0), client, body])


def demo(clients: int = 3, workers: int = 2, requests: int = 5) -> int:
    ctx = zmq.Context()
    stop = threading.Event()
    front = ctx.socket(zmq.ROUTER)
    back = ctx.socket(zmq.ROUTER)
    front_port = front.bind_to_random_port("tcp://127.0.0.1")
    back_port = back.bind_to_random_port("tcp://127.0.0.1")
    print(
        f"broker: clients -> tcp://127.0.0.1:{front_port}, workers -> tcp://127.0.0.1:{back_port}"
    )
    threads = [threading.Thread(target=_broker, args=(ctx, front, back, stop), daemon=True)]
    for i in range(workers):
        name = f"worker-{i}".encode()
        threads.append(
            threading.Thread(
                target=_worker,
                args=(ctx, f"tcp://127.0.0.1:{back_port}", name, stop),
                daemon=True,
            )
        )
    for t in threads:
        t.start()
    answered = 0
    started = time.perf_counter()
    socks = []
    for _ in range(clients):
        req = ctx.socket(zmq.DEALER)
        req.linger = 0
        req.rcvtimeo = 5000
        req.connect(f"tcp://127.0.0.1:{front_port}")
        socks.append(req)
    for n in range(requests):
        for c, req in enumerate(socks):
            req.send_multipart([b"", f"request {n} from client {c}".encode()])
        for c, req in enumerate(socks):
            _, reply = req.recv_multipart()
            answered += 1
            if n == 0:
                print(f"client {c}: {reply.decode()}")
    elapsed = time.perf_counter() - started
    print(f"{answered} requests answered by {workers} workers in {elapsed * 1000:.1f} ms")
    stop.set()
    for t in threads:
        t.join(2)
    for s in socks:
        s.close()
    front.close(0)
    back.close(0)
    ctx.term()
    _libzmq_exchange()
    return 0 if answered == clients * requests else 1


def _libzmq_exchange() -> None:
    try:
        import zmq as pyzmq  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        print("pyzmq not installed: skipping the purezmq <-> libzmq exchange")
        return
    pctx = pyzmq.Context()
    ctx = zmq.Context()
    try:
        rep = pctx.socket(pyzmq.ROUTER)
        rep.linger = 0
        rep.rcvtimeo = 5000
        port = rep.bind_to_random_port("tcp://127.0.0.1")
        dealer = ctx.socket(zmq.DEALER)
        dealer.linger = 0
        dealer.rcvtimeo = 5000
        dealer.identity = b"purezmq-dealer"
        dealer.connect(f"tcp://127.0.0.1:{port}")
        dealer.send_multipart([b"", b"hello libzmq"])
        ident, _, body = rep.recv_multipart()
        rep.send_multipart(
            [ident, b"", b"hello purezmq, from libzmq " + pyzmq.zmq_version().encode()]
        )
        print(f"libzmq ROUTER got {body!r} from {ident!r}")
        print(f"purezmq DEALER got {dealer.recv_multipart()[1]!r}")
        dealer.close()
        rep.close()
    finally:
        ctx.destroy(0)
        pctx.destroy(0)


# ---------------------------------------------------------------------------
# python -m purezmq device ...
# ---------------------------------------------------------------------------

# device -> (default in type, default out type, allowed in types, allowed out types)
_DEVICES: dict[str, tuple[str, str, tuple[str, ...], tuple[str, ...]]] = {
    "queue": ("ROUTER", "DEALER", ("ROUTER", "DEALER", "PAIR"), ("DEALER", "ROUTER", "PAIR")),
    "forwarder": ("XSUB", "XPUB", ("XSUB", "SUB"), ("XPUB", "PUB")),
    "streamer": (
        "PULL",
        "PUSH",
        ("PULL", "DEALER", "PAIR", "SUB", "XSUB"),
        ("PUSH", "DEALER", "PAIR", "PUB", "XPUB"),
    ),
}


class _UsageError(Exception):
    pass


def _device_parser(sub: Any) -> None:
    p = sub.add_parser(
        "device",
        help="run a queue, forwarder or streamer device in the foreground",
        description="Relay messages between two sockets until SIGINT/SIGTERM (exit code 0) "
        "or a TERMINATE command on the control socket. Endpoints: tcp://host:port "
        "(port 0 or * picks a free port), ipc://path, inproc://name.",
    )
    p.add_argument(
        "kind",
        choices=sorted(_DEVICES),
        help="queue: ROUTER/DEALER; forwarder: XSUB/XPUB; streamer: PULL/PUSH",
    )
    for side in ("in", "out"):
        p.add_argument(
            f"--{side}-bind",
            action="append",
            default=[],
            metavar="ENDPOINT",
            help=f"bind the {side} socket (repeatable)",
        )
        p.add_argument(
            f"--{side}-connect",
            action="append",
            default=[],
            metavar="ENDPOINT",
            help=f"connect the {side} socket (repeatable)",
        )
        p.add_argument(
            f"--{side}-type", metavar="TYPE", help=f"{side} socket type (default: per device)"
        )
    p.add_argument(
        "--capture", metavar="ENDPOINT", help="bind a PUB that gets a copy of every message"
    )
    p.add_argument(
        "--control",
        metavar="ENDPOINT",
        help="bind a control socket: PAUSE, RESUME, TERMINATE, STATISTICS",
    )
    p.add_argument(
        "--control-type",
        default="REP",
        choices=("REP", "PAIR", "rep", "pair"),
        help="control socket type (default REP: every command gets a reply)",
    )
    p.add_argument(
        "--stats-interval",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="print the counters every SECONDS (default: only at exit)",
    )
    p.add_argument(
        "--hwm", type=int, default=None, help="SNDHWM and RCVHWM of both sides (default 1000)"
    )
    p.add_argument(
        "--linger",
        type=int,
        default=1000,
        metavar="MS",
        help="how long queued messages may delay shutdown (default 1000 ms)",
    )


def _socket_type(name: str, role: str, allowed: Sequence[str], kind: str) -> int:
    from .patterns.registry import CORES

    upper = name.upper()
    try:
        value = zmq.SocketType[upper]
    except KeyError:
        raise _UsageError(f"--{role}-type {name}: no such socket type") from None
    if upper not in allowed:
        verb = "receive from" if role == "in" else "send to"
        raise _UsageError(
            f"--{role}-type {upper} is not compatible with a {kind}: it must {verb} its peers "
            f"as the {role} side; use one of {', '.join(allowed)}"
        )
    if int(value) not in CORES:
        raise _UsageError(f"--{role}-type {upper}: this purezmq has no {upper} socket yet")
    return int(value)


def _check_endpoint(option: str, endpoint: str, connect: bool) -> None:
    from .reactor.endpoint import parse

    try:
        ep = parse(endpoint)
    except (zmq.ZMQError, TypeError) as exc:
        raise _UsageError(f"{option} {endpoint!r}: {exc}") from None
    if connect and ep.transport == "tcp" and (ep.host == "*" or ep.port == 0):
        raise _UsageError(f"{option} {endpoint!r}: cannot connect to a wildcard host or port")


def _format_stats(stats: Any) -> str:
    v = stats.values
    return (
        f"frontend in {v[0]} frames/{v[1]} B, out {v[2]} frames/{v[3]} B; "
        f"backend in {v[4]} frames/{v[5]} B, out {v[6]} frames/{v[7]} B"
    )


def run_device(args: Any, out: Callable[[str], None] = print) -> int:
    """Set up the sockets, relay on a worker thread, wait for a signal or TERMINATE."""
    from .sugar.proxy import ProxyStatistics, run_relay

    kind = args.kind
    default_in, default_out, allowed_in, allowed_out = _DEVICES[kind]
    in_type = _socket_type(args.in_type or default_in, "in", allowed_in, kind)
    out_type = _socket_type(args.out_type or default_out, "out", allowed_out, kind)
    if in_type == out_type == zmq.ROUTER:
        raise _UsageError(
            "ROUTER on both sides needs a broker that swaps routing ids, not a queue device"
        )
    if not (args.in_bind or args.in_connect):
        raise _UsageError("the in socket needs at least one --in-bind or --in-connect")
    if not (args.out_bind or args.out_connect):
        raise _UsageError("the out socket needs at least one --out-bind or --out-connect")
    for side in ("in", "out"):
        for ep in getattr(args, f"{side}_bind"):
            _check_endpoint(f"--{side}-bind", ep, False)
        for ep in getattr(args, f"{side}_connect"):
            _check_endpoint(f"--{side}-connect", ep, True)
    for option in ("capture", "control"):
        if getattr(args, option):
            _check_endpoint(f"--{option}", getattr(args, option), False)

    ctx = zmq.Context()
    sockets: list[zmq.Socket] = []
    summary: list[str] = []

    def make(kind_: int, role: str, binds: Sequence[str], connects: Sequence[str]) -> zmq.Socket:
        sock = ctx.socket(kind_)
        sockets.append(sock)
        sock.setsockopt(zmq.LINGER, args.linger)
        if args.hwm is not None and role in ("in", "out"):
            sock.set_hwm(args.hwm)
        if kind_ == zmq.SUB:
            sock.subscribe(b"")
        where = []
        for ep in binds:
            try:
                sock.bind(ep)
            except zmq.ZMQError as exc:
                raise RuntimeError(f"cannot bind the {role} socket to {ep}: {exc}") from None
            where.append(f"bind {sock.getsockopt(zmq.LAST_ENDPOINT).decode()}")
        for ep in connects:
            sock.connect(ep)
            where.append(f"connect {ep}")
        summary.append(f"{role} {zmq.SocketType(kind_).name} {', '.join(where)}")
        return sock

    try:
        front = make(in_type, "in", args.in_bind, args.in_connect)
        back = make(out_type, "out", args.out_bind, args.out_connect)
        capture = make(zmq.PUB, "capture", [args.capture], []) if args.capture else None
        control = None
        if args.control:
            control = make(zmq.SocketType[args.control_type.upper()], "control", [args.control], [])
    except RuntimeError as exc:
        for sock in sockets:
            sock.close(0)
        ctx.term()
        print(f"purezmq device: error: {exc}", file=sys.stderr)
        return 1

    out(f"purezmq device {kind} (pid {os.getpid()}): " + "; ".join(summary))
    sys.stdout.flush()

    stats = ProxyStatistics()
    failure: list[BaseException] = []
    # The main thread sleeps in select() on a pipe that a signal (through
    # set_wakeup_fd) or the end of the relay writes to: no locks are taken in
    # a signal handler, and SIGINT/SIGTERM never interrupt the relay mid-message.
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)

    def relay() -> None:
        try:
            run_relay(front, back, capture, control, stats=stats)
        except zmq.ContextTerminated:
            pass
        except BaseException as exc:  # reported by the main thread
            failure.append(exc)
        finally:
            for sock in sockets:
                sock.close()
            try:
                os.write(wake_w, b"!")
            except OSError:
                pass

    on_main = threading.current_thread() is threading.main_thread()
    previous: dict[signal.Signals, Any] = {}
    old_wakeup = -1
    if on_main:
        old_wakeup = signal.set_wakeup_fd(wake_w)
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, lambda signum, frame: None)
    worker = threading.Thread(target=relay, name="purezmq-device", daemon=True)
    worker.start()
    try:
        interval = args.stats_interval if args.stats_interval > 0 else None
        while not select.select([wake_r], [], [], interval)[0]:
            out(f"stats: {_format_stats(stats)}")
            sys.stdout.flush()
    finally:
        if on_main:
            signal.set_wakeup_fd(old_wakeup)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        ctx.term()  # the relay raises ContextTerminated and closes its sockets
        worker.join()
        os.close(wake_r)
        os.close(wake_w)
    out(f"purezmq device {kind} stopped: {_format_stats(stats)}")
    sys.stdout.flush()
    if failure:
        print(f"purezmq device: error: {failure[0]!r}", file=sys.stderr)
        return 1
    return 0


# ---------------------------------------------------------------------------
# python -m purezmq run ...
# ---------------------------------------------------------------------------

_RUN_USAGE = "usage: python -m purezmq run [-h] (-m MODULE | SCRIPT) [ARG ...]"
_RUN_HELP = (
    _RUN_USAGE
    + """

Run a pyzmq program unchanged on purezmq: `import zmq` and `import zmq.<sub>`
load purezmq and purezmq.<sub> (purezmq.alias), then SCRIPT or MODULE runs as
__main__, with sys.argv set as `python SCRIPT ARG ...` or `python -m MODULE
ARG ...` would set it. Every argument after SCRIPT or MODULE is the program's.
"""
)


def run_program(argv: Sequence[str]) -> int:
    """``python -m purezmq run``: install the alias, run a script or module as __main__."""
    import runpy

    from . import alias

    args = list(argv)
    if args and args[0] == "--":
        args = args[1:]
    elif args and args[0] in ("-h", "--help"):
        print(_RUN_HELP)
        return 0
    module: Optional[str] = None
    if args and args[0].startswith("-m"):
        module = args[0][2:] or (args[1] if len(args) > 1 else "")
        args = args[1:] if args[0] != "-m" else args[2:]
        if not module:
            print(f"{_RUN_USAGE}\nrun: error: -m needs a module name", file=sys.stderr)
            return 2
    elif not args or args[0].startswith("-"):
        what = f"unknown option {args[0]}" if args else "a script or -m MODULE is required"
        print(f"{_RUN_USAGE}\nrun: error: {what}", file=sys.stderr)
        return 2
    alias.install()
    if module is not None:
        sys.argv = [module, *args]  # runpy puts the module's file in argv[0]
        runpy.run_module(module, run_name="__main__", alter_sys=True)
        return 0
    script = args[0]
    sys.argv = list(args)
    # as `python script.py`: the script's directory first on sys.path, not ours
    sys.path[0] = os.path.dirname(os.path.abspath(script))
    runpy.run_path(script, run_name="__main__")
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    arguments = sys.argv[1:] if argv is None else list(argv)
    if arguments[:1] == ["run"]:
        # parsed by hand: everything after the script or module is the program's
        return run_program(arguments[1:])
    parser = argparse.ArgumentParser(
        prog="python -m purezmq",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command")
    d = sub.add_parser("demo", help="run a broker, workers and clients over tcp")
    d.add_argument("--clients", type=int, default=3)
    d.add_argument("--workers", type=int, default=2)
    d.add_argument("--requests", type=int, default=5)
    _device_parser(sub)
    from . import curve_keygen

    k = sub.add_parser(
        "curve-keygen",
        help="print a new CURVE key pair, or the public key of a secret key",
        description=curve_keygen.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    curve_keygen.add_arguments(k)
    sub.add_parser(
        "run",
        help="run a pyzmq program unchanged on purezmq: run (-m MODULE | SCRIPT) [ARG ...]",
        add_help=False,
    )
    args: Any = parser.parse_args(arguments)
    if args.command == "demo":
        return demo(args.clients, args.workers, args.requests)
    if args.command == "device":
        try:
            return run_device(args)
        except _UsageError as exc:
            sub.choices["device"].error(str(exc))  # exits with status 2
    if args.command == "curve-keygen":
        return curve_keygen.run(args, k)
    parser.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())
