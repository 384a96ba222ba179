"""Soak test, run by hand (not in CI): many messages through PUSH/PULL and
DEALER/ROUTER over tcp while the peers are SIGKILLed and restarted at random.

    python3 benchmarks/soak.py                   # 10 million messages
    python3 benchmarks/soak.py --messages 1000000 --sample 3

This process holds the stable sides: a PULL and a ROUTER, both bound. Child
processes (``sys.executable``) hold the other sides: PUSHers that send
numbered messages ``<generation> <seq>`` as fast as they can, and DEALERs
that keep 100 requests in flight against the ROUTER, which echoes them. Every
few seconds (random, ``--restart`` on average) one child is SIGKILLed and a
new one (a new generation) takes its place.

Every ``--sample`` seconds a row is printed: messages so far (pulled + echoed),
rate, restarts, RSS and fds of this process, and its threads. Checks, printed
at the end: per generation the PULL's sequence numbers only go up (no
duplicates, no reordering among what arrives); replies the DEALERs get match
their requests (the children exit with an error otherwise); RSS and fds at the
end against the first sample.
"""

from __future__ import annotations

import argparse
import importlib
import os
import random
import signal
import subprocess
import sys
import time
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

PUSHER = """
import sys
lib = __import__(sys.argv[1])
port, gen = sys.argv[2], sys.argv[3].encode()
ctx = lib.Context()
s = ctx.socket(lib.PUSH)
s.setsockopt(lib.SNDHWM, 1000)
s.connect("tcp://127.0.0.1:" + port)
i = 0
while True:
    s.send(gen + b" %d" % i)
    i += 1
"""

DEALER = """
import sys
lib = __import__(sys.argv[1])
port = sys.argv[2]
ctx = lib.Context()
s = ctx.socket(lib.DEALER)
s.connect("tcp://127.0.0.1:" + port)
sent = got = 0
for _ in range(100):
    s.send(b"%d" % sent)
    sent += 1
while True:
    reply = s.recv()
    if reply != b"%d" % got:
        sys.exit("reply %r, expected %d" % (reply, got))
    got += 1
    s.send(b"%d" % sent)
    sent += 1
"""


def _rss_kib() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _threads() -> int:
    import threading

    return threading.active_count()


class Children:
    def __init__(self, lib: str, pull_port: int, router_port: int) -> None:
        self.lib = lib
        self.ports = {"push": pull_port, "dealer": router_port}
        self.procs: dict[int, tuple[str, subprocess.Popen[bytes]]] = {}
        self.gen = 0
        self.restarts = 0
        self.env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))

    def start(self, kind: str) -> None:
        self.gen += 1
        code = PUSHER if kind == "push" else DEALER
        args = [sys.executable, "-c", code, self.lib, str(self.ports[kind]), str(self.gen)]
        self.procs[self.gen] = (kind, subprocess.Popen(args, env=self.env))

    def restart_one(self) -> None:
        gen = random.choice(list(self.procs))
        kind, proc = self.procs.pop(gen)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        self.restarts += 1
        self.start(kind)

    def check(self) -> None:
        for gen, (_kind, proc) in self.procs.items():
            if proc.poll() is not None:
                raise SystemExit(f"child {gen} exited with {proc.returncode}")

    def stop(self) -> None:
        for _kind, proc in self.procs.values():
            proc.kill()
        for _kind, proc in self.procs.values():
            proc.wait(10)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--messages", type=int, default=10_000_000)
    ap.add_argument("--lib", default="purezmq", help="purezmq (default) or zmq")
    ap.add_argument("--pushers", type=int, default=2)
    ap.add_argument("--dealers", type=int, default=2)
    ap.add_argument("--sample", type=float, default=3.0, help="seconds between rows")
    ap.add_argument("--restart", type=float, default=4.0, help="mean seconds between kills")
    ap.add_argument("--seed", type=int, default=None)
    args = ap.parse_args(argv)
    random.seed(args.seed)
    if args.lib == "purezmq":
        sys.path.insert(0, ROOT)
    zmq: Any = importlib.import_module(args.lib)

    ctx = zmq.Context()
    pull = ctx.socket(zmq.PULL)
    router = ctx.socket(zmq.ROUTER)
    for s in (pull, router):
        s.linger = 0
    pull_port = pull.bind_to_random_port("tcp://127.0.0.1")
    router_port = router.bind_to_random_port("tcp://127.0.0.1")
    kids = Children(args.lib if args.lib != "zmq" else "zmq", pull_port, router_port)
    for _ in range(args.pushers):
        kids.start("push")
    for _ in range(args.dealers):
        kids.start("dealer")

    poller = zmq.Poller()
    poller.register(pull, zmq.POLLIN)
    poller.register(router, zmq.POLLIN)
    last_seq: dict[bytes, int] = {}
    bad_order = 0
    pulled = echoed = 0
    t0 = time.monotonic()
    next_sample = t0
    next_kill = t0 + random.expovariate(1 / args.restart)
    rows: list[tuple[float, int, int, int, int, int]] = []
    print(
        f"{'time s':>7} {'messages':>11} {'msg/s':>8} {'restarts':>8} {'RSS MiB':>8} {'fds':>5} {'threads':>7}"
    )
    last_total, last_t = 0, t0
    try:
        while pulled + echoed < args.messages:
            for sock, _ev in poller.poll(100):
                if sock is pull:
                    for _ in range(1000):
                        try:
                            msg = pull.recv(zmq.NOBLOCK)
                        except zmq.Again:
                            break
                        gen, seq_b = msg.split(b" ")
                        seq = int(seq_b)
                        if seq <= last_seq.get(gen, -1):
                            bad_order += 1
                        last_seq[gen] = seq
                        pulled += 1
                else:
                    for _ in range(1000):
                        try:
                            frames = router.recv_multipart(zmq.NOBLOCK)
                        except zmq.Again:
                            break
                        try:
                            router.send_multipart(frames, zmq.NOBLOCK)
                        except zmq.Again:
                            pass  # the DEALER was just killed: its reply goes nowhere
                        echoed += 1
            now = time.monotonic()
            if now >= next_kill:
                kids.check()
                kids.restart_one()
                next_kill = now + random.expovariate(1 / args.restart)
            if now >= next_sample:
                total = pulled + echoed
                rate = (total - last_total) / max(now - last_t, 1e-9)
                last_total, last_t = total, now
                row = (now - t0, total, int(rate), kids.restarts, _rss_kib(), _fds())
                rows.append(row)
                print(
                    f"{row[0]:7.1f} {row[1]:11,d} {row[2]:8,d} {row[3]:8d} "
                    f"{row[4] / 1024:8.1f} {row[5]:5d} {_threads():7d}",
                    flush=True,
                )
                next_sample = now + args.sample
    finally:
        kids.stop()
    elapsed = time.monotonic() - t0
    print()
    print(
        f"{pulled + echoed:,d} messages in {elapsed:.1f} s ({(pulled + echoed) / elapsed:,.0f}/s): "
    )
    print(f"  PUSH->PULL {pulled:,d}, DEALER->ROUTER->DEALER {echoed:,d}, {kids.restarts} restarts")
    print(f"  out-of-order or duplicate sequence numbers: {bad_order}")
    if len(rows) >= 2:
        first, last = rows[1] if len(rows) > 2 else rows[0], rows[-1]
        print(
            f"  RSS {first[4] / 1024:.1f} -> {last[4] / 1024:.1f} MiB, "
            f"fds {first[5]} -> {last[5]} (second sample -> last)"
        )
    pull.close()
    router.close()
    ctx.term()
    return 1 if bad_order else 0


if __name__ == "__main__":
    sys.exit(main())
