"""Shared machinery of the benchmark suite: child processes, statistics, cases.

Theory of operation
-------------------
The orchestrator (``run.py``) never imports a ZeroMQ library itself. Every
endpoint runs in a child process that imports the library it was told to
(``load("purezmq")`` or ``load("pyzmq")``), so the two never share a process
and a crash or hang of one endpoint cannot take the run down. On Linux the
children are forked (fast, and the parent has no threads and no library
loaded); elsewhere they are spawned.

`Child` wraps one endpoint process and a pipe back to the orchestrator.
Endpoint functions have the signature ``fn(chan, *args)``; ``chan.send(x)``
hands intermediate values back (a bound endpoint, "ready"), the return value
is the result, and an exception comes back as a `BenchError` (or
`Unsupported`, when the library lacks a socket type). Every wait in the
orchestrator has a timeout, and every blocking socket call in an endpoint
has RCVTIMEO/SNDTIMEO, so a broken scenario reports an error and the run
goes on.

A `Case` is one row of the table: a scenario ("thr"), a label ("tcp 16 B")
and one or more variants ("purezmq", "pyzmq", or for interop
"purezmq->pyzmq"). ``variant()`` runs one repetition and returns a dict
of figures. The runner repeats each case, interleaving the variants, so slow
drifts of a noisy machine hit both libraries alike, and keeps every
repetition: the table shows medians and the spread.
"""

from __future__ import annotations

import importlib.util
import math
import multiprocessing as mp
import os
import statistics
import sys
import time
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

# Socket timeouts inside endpoints (ms): long enough for a slow library on a
# busy machine, short enough that a hang turns into an error quickly.
IO_TIMEOUT_MS = 10_000
# How long the orchestrator waits for an endpoint's answer beyond its own
# time budget (s).
GRACE_S = 20.0

_MP = mp.get_context("fork" if sys.platform.startswith("linux") else "spawn")


class BenchError(Exception):
    """A scenario failed (error in an endpoint, timeout, crash)."""


class Unsupported(BenchError):
    """The library lacks a socket type (or feature) the scenario needs."""


# ----------------------------------------------------------------------
# libraries
# ----------------------------------------------------------------------


def have_pyzmq() -> bool:
    return importlib.util.find_spec("zmq") is not None


def load(impl: str) -> Any:
    """Import and return the ZeroMQ module for `impl` (in a child only)."""
    if impl == "pyzmq":
        import zmq

        return zmq
    if impl == "purezmq":
        import purezmq

        if os.environ.get("BENCH_PROFILE"):
            _start_profiling(os.environ["BENCH_PROFILE"])
        return purezmq
    raise ValueError(f"unknown implementation {impl!r}")


# ----------------------------------------------------------------------
# profiling (BENCH_PROFILE=DIR: cProfile the purezmq endpoints, both threads)
# ----------------------------------------------------------------------

_PROFILES: list[tuple[str, Any]] = []


def _start_profiling(outdir: str) -> None:
    """cProfile this (app) thread and every purezmq I/O thread started later.

    Only the benchmark child is patched, at run time; purezmq is unchanged.
    The stats are written by `dump_profiles` when the endpoint returns."""
    import cProfile

    from purezmq.reactor import loop as loop_mod

    if _PROFILES:
        return
    os.makedirs(outdir, exist_ok=True)
    app = cProfile.Profile()
    _PROFILES.append(("app", app))
    original = loop_mod.IOThread._run

    def _run(self: Any) -> None:
        prof = cProfile.Profile()
        _PROFILES.append(("io", prof))
        prof.enable()
        try:
            original(self)
        finally:
            prof.disable()

    loop_mod.IOThread._run = _run  # type: ignore[method-assign]
    app.enable()


def dump_profiles(tag: str) -> None:
    outdir = os.environ.get("BENCH_PROFILE")
    if not outdir or not _PROFILES:
        return
    for i, (thread, prof) in enumerate(_PROFILES):
        if thread == "app":
            prof.disable()
        try:
            prof.dump_stats(os.path.join(outdir, f"{tag}.{os.getpid()}.{thread}{i}.prof"))
        except Exception as exc:  # a profile written while the thread runs on
            sys.stderr.write(f"profile dump failed: {exc}\n")


def make_socket(ctx: Any, zmq: Any, name: str) -> Any:
    """``ctx.socket(zmq.NAME)``, raising Unsupported when the library lacks it."""
    kind = getattr(zmq, name, None)
    if kind is None:
        raise Unsupported(f"no socket type {name}")
    try:
        return ctx.socket(kind)
    except zmq.ZMQError as exc:
        raise Unsupported(f"{name}: {exc}") from None


def configure(sock: Any, zmq: Any, **opts: Any) -> Any:
    """Set LINGER/RCVTIMEO/SNDTIMEO (defaults: bounded) and any other options."""
    opts.setdefault("linger", 2000)
    opts.setdefault("rcvtimeo", IO_TIMEOUT_MS)
    opts.setdefault("sndtimeo", IO_TIMEOUT_MS)
    for key, value in opts.items():
        sock.setsockopt(getattr(zmq, key.upper()), value)
    return sock


def last_endpoint(sock: Any, zmq: Any) -> str:
    value = sock.getsockopt(zmq.LAST_ENDPOINT)
    return value.decode() if isinstance(value, bytes) else str(value)


def rss_bytes() -> int:
    """Resident set size of this process, from /proc (0 where unavailable)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def cpu_seconds() -> float:
    """User + system CPU time of this process, all threads (ns clock)."""
    return time.process_time()


def raise_fd_limit(want: int) -> None:
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft != resource.RLIM_INFINITY and soft < want:
            new = want if hard == resource.RLIM_INFINITY else min(want, hard)
            resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
    except (ImportError, ValueError, OSError):
        pass


# ----------------------------------------------------------------------
# child processes
# ----------------------------------------------------------------------


class _Chan:
    """What an endpoint gets to talk back to the orchestrator."""

    def __init__(self, conn: Any, tag: str = "child") -> None:
        self._conn = conn
        self.tag = tag

    def send(self, value: Any) -> None:
        self._conn.send(("msg", value))

    def poll(self, timeout: float = 0.0) -> bool:
        return bool(self._conn.poll(timeout))

    def recv(self, timeout: float) -> Any:
        if not self._conn.poll(timeout):
            raise BenchError("orchestrator did not answer")
        return self._conn.recv()

    def wait_stop(self, timeout: float = 60.0) -> None:
        """Park until the orchestrator has the results it needs (or gives up).

        Endpoints that only feed a peer end this way: their process exits
        without closing sockets, which is all a benchmark needs."""
        dump_profiles(self.tag)
        try:
            self._conn.poll(timeout)
        except (OSError, EOFError):
            pass


def _child_main(conn: Any, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    try:
        tag = getattr(fn, "__name__", "child")
        result = fn(_Chan(conn, tag), *args)
        dump_profiles(tag)
    except Unsupported as exc:
        conn.send(("unsupported", str(exc)))
    except BaseException as exc:  # everything goes back as text
        tb = traceback.format_exc(limit=6)
        conn.send(("error", f"{type(exc).__name__}: {exc}\n{tb}"))
    else:
        conn.send(("result", result))
    finally:
        conn.close()
    # Skip atexit handlers (a wedged library must not keep us alive).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


class Child:
    """One endpoint process; `get` its messages, then `finish` it."""

    def __init__(self, fn: Callable[..., Any], *args: Any, name: str = "") -> None:
        self.name = name or getattr(fn, "__name__", "child")
        self._conn, child_conn = _MP.Pipe()
        self.proc = _MP.Process(target=_child_main, args=(child_conn, fn, args), daemon=True)
        self.proc.start()
        child_conn.close()
        self.result: Any = None
        self.done = False
        self.inbox: list[Any] = []  # chan.send values that wait_results set aside

    def send(self, value: Any) -> None:
        self._conn.send(value)

    def poll(self, timeout: float) -> bool:
        try:
            return bool(self._conn.poll(timeout))
        except (OSError, EOFError):
            return True  # get() will report it

    def get(self, timeout: float) -> Any:
        """Next value from the endpoint: a ``chan.send`` value or the result."""
        if self.done:
            raise BenchError(f"{self.name}: already finished")
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BenchError(f"{self.name}: timed out after {timeout:.0f} s")
            try:
                ready = self._conn.poll(min(left, 0.5))
            except (OSError, EOFError):
                ready = True
            if ready:
                try:
                    kind, value = self._conn.recv()
                except (EOFError, OSError):
                    self.done = True
                    raise BenchError(
                        f"{self.name}: died (exit code {self.proc.exitcode})"
                    ) from None
                if kind == "msg":
                    return value
                self.done = True
                if kind == "result":
                    self.result = value
                    return value
                if kind == "unsupported":
                    raise Unsupported(value)
                raise BenchError(f"{self.name}: {value}")
            if not self.proc.is_alive() and not self._conn.poll(0):
                self.done = True
                raise BenchError(f"{self.name}: died (exit code {self.proc.exitcode})")

    def result_within(self, timeout: float) -> Any:
        """Skip intermediate messages until the result arrives."""
        deadline = time.monotonic() + timeout
        while not self.done:
            self.get(max(0.01, deadline - time.monotonic()))
        return self.result

    def finish(self, timeout: float = 3.0) -> None:
        """Wait for the process to exit; terminate, then kill it if it does not."""
        self.proc.join(timeout)
        if self.proc.is_alive():
            self.proc.terminate()
            self.proc.join(1.0)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join(1.0)
        try:
            self._conn.close()
        except OSError:
            pass


def wait_results(mains: list[Child], others: list[Child], timeout: float) -> list[Any]:
    """Wait for the results of `mains`, failing fast if any of `others`
    (peers that do not return a result yet) reports an error or dies."""
    deadline = time.monotonic() + timeout
    while True:
        pending = [c for c in mains if not c.done]
        if not pending:
            return [c.result for c in mains]
        if time.monotonic() > deadline:
            raise BenchError(f"{pending[0].name}: timed out after {timeout:.0f} s")
        for other in others:
            if other.done:
                continue
            if other.poll(0):
                other.inbox.append(other.get(1.0))  # raises if it is an error or Unsupported
            elif not other.proc.is_alive() and not other.poll(0):
                raise BenchError(f"{other.name}: died (exit code {other.proc.exitcode})")
        for child in pending:
            if child.poll(0.02):
                child.get(1.0)
            elif not child.proc.is_alive() and not child.poll(0):
                raise BenchError(f"{child.name}: died (exit code {child.proc.exitcode})")


class Children:
    """Context manager: every Child created through it is finished on exit.

    On exit each child is told to stop (see `_Chan.wait_stop`), then given
    `grace` seconds to exit before it is terminated."""

    def __init__(self, grace: float = 2.0) -> None:
        self.items: list[Child] = []
        self.grace = grace

    def start(self, fn: Callable[..., Any], *args: Any, name: str = "") -> Child:
        child = Child(fn, *args, name=name)
        self.items.append(child)
        return child

    def __enter__(self) -> Children:
        return self

    def __exit__(self, *exc: object) -> None:
        for child in self.items:
            if child.proc.is_alive():
                try:
                    child.send("stop")
                except (OSError, BrokenPipeError):
                    pass
        deadline = time.monotonic() + (self.grace if exc[0] is None else 0.2)
        for child in self.items:
            child.finish(max(0.05, deadline - time.monotonic()))


# ----------------------------------------------------------------------
# cases, repetitions, statistics
# ----------------------------------------------------------------------


@dataclass
class Metric:
    key: str  # key in the dict a variant returns
    unit: str  # shown in the table
    higher_is_better: bool = True
    target: tuple[str, float] | None = None  # ("ratio>=", 0.25), ("ratio<=", 2), ("abs<=", 50)
    scale: float = 1.0  # multiply before printing (e.g. 1e-6 for MB)
    inline: bool = False  # shown in brackets in the previous metric's row
    # A target for each of several compared variants ({variant: target}), in
    # place of `target`: e.g. an absolute rate for one, a ratio for another.
    per_variant: dict[str, tuple[str, float]] | None = None


@dataclass
class Case:
    scenario: str
    label: str
    metrics: list[Metric]
    variants: dict[str, Callable[[], dict[str, float]]]
    note: str = ""
    reps: int | None = None  # overrides the run's repetition count
    min_reps: int = 0  # at least this many repetitions

    @property
    def key(self) -> str:
        return f"{self.scenario} {self.label}"


@dataclass
class Outcome:
    """All repetitions of one variant of one case."""

    reps: list[dict[str, float]] = field(default_factory=list)
    status: str = "ok"  # ok | unsupported | error | skipped
    errors: list[str] = field(default_factory=list)

    def values(self, key: str) -> list[float]:
        return [
            r[key] for r in self.reps if key in r and r[key] is not None and not math.isnan(r[key])
        ]

    def median(self, key: str) -> float | None:
        vals = self.values(key)
        return statistics.median(vals) if vals else None

    def spread(self, key: str) -> float | None:
        """Half the min-max range relative to the median (0.05 = ±5 %)."""
        vals = self.values(key)
        if len(vals) < 2:
            return None
        med = statistics.median(vals)
        if not med:
            return None
        return (max(vals) - min(vals)) / 2 / abs(med)

    def to_json(self) -> dict[str, Any]:
        keys = sorted({k for r in self.reps for k in r})
        return {
            "status": self.status,
            "errors": self.errors,
            "reps": self.reps,
            "median": {k: self.median(k) for k in keys},
            "min": {k: min(self.values(k)) if self.values(k) else None for k in keys},
            "max": {k: max(self.values(k)) if self.values(k) else None for k in keys},
        }


def run_case(case: Case, reps: int, log: Callable[[str], None]) -> dict[str, Outcome]:
    outcomes = {name: Outcome() for name in case.variants}
    if case.reps is not None:
        reps = case.reps
    reps = max(reps, case.min_reps)
    for rep in range(reps):
        for name, fn in case.variants.items():
            out = outcomes[name]
            if out.status == "unsupported":
                continue
            if len(out.errors) >= 2 and not out.reps:
                continue  # failed twice: do not burn more time on it
            t0 = time.perf_counter()
            try:
                figures = fn()
            except Unsupported as exc:
                out.status = "unsupported"
                out.errors.append(str(exc).splitlines()[0])
                log(f"  {case.key} [{name}] unsupported: {str(exc).splitlines()[0]}")
                continue
            except BenchError as exc:
                out.errors.append(str(exc))
                log(f"  {case.key} [{name}] rep {rep + 1}: ERROR {str(exc).splitlines()[0]}")
                continue
            out.reps.append(figures)
            log(
                f"  {case.key} [{name}] rep {rep + 1}: {_brief(case, figures)} ({time.perf_counter() - t0:.1f} s)"
            )
    for out in outcomes.values():
        if out.status == "ok" and not out.reps:
            out.status = "error"
    return outcomes


def _brief(case: Case, figures: dict[str, float]) -> str:
    parts = []
    for m in case.metrics:
        v = figures.get(m.key)
        if v is not None:
            parts.append(f"{fmt_num(v * m.scale)} {m.unit}")
    return ", ".join(parts)


# ----------------------------------------------------------------------
# formatting
# ----------------------------------------------------------------------


def fmt_num(v: float | None) -> str:
    if v is None:
        return "-"
    a = abs(v)
    if a >= 1e6:
        return f"{v / 1e6:.2f} M"
    if a >= 1e4:
        return f"{v / 1e3:.0f} k"
    if a >= 1e3:
        return f"{v / 1e3:.1f} k"
    if a >= 100:
        return f"{v:.0f}"
    if a >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def fmt_size(n: int) -> str:
    if n >= 1 << 20 and n % (1 << 20) == 0:
        return f"{n >> 20} MiB"
    if n >= 1024 and n % 1024 == 0:
        return f"{n >> 10} KiB"
    return f"{n} B"


def percentile(sorted_vals: list[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_vals:
        return float("nan")
    k = max(0, min(len(sorted_vals) - 1, math.ceil(q / 100.0 * len(sorted_vals)) - 1))
    return sorted_vals[k]
