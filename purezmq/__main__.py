"""``python -m purezmq``: a self-contained demo, and later the device runner.

    python -m purezmq demo      broker + workers + clients over tcp, and a
                                purezmq <-> libzmq exchange when pyzmq exists
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from typing import Any, Optional, Sequence

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
    print(f"broker: clients -> tcp://127.0.0.1:{front_port}, workers -> tcp://127.0.0.1:{back_port}")
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
    for c in range(clients):
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
        import zmq as pyzmq  # type: ignore[import-not-found]
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
        ident, empty, body = rep.recv_multipart()
        rep.send_multipart([ident, b"", b"hello purezmq, from libzmq " + pyzmq.zmq_version().encode()])
        print(f"libzmq ROUTER got {body!r} from {ident!r}")
        print(f"purezmq DEALER got {dealer.recv_multipart()[1]!r}")
        dealer.close()
        rep.close()
    finally:
        ctx.destroy(0)
        pctx.destroy(0)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m purezmq", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command")
    d = sub.add_parser("demo", help="run a broker, workers and clients over tcp")
    d.add_argument("--clients", type=int, default=3)
    d.add_argument("--workers", type=int, default=2)
    d.add_argument("--requests", type=int, default=5)
    args: Any = parser.parse_args(argv)
    if args.command == "demo":
        return demo(args.clients, args.workers, args.requests)
    parser.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())
