"""Profile the purezmq side of a few benchmark cases (both processes, both threads).

    python3 benchmarks/prof.py                  # cProfile: thr tcp 16 B, thr tcp 1 MiB, lat tcp 16 B
    python3 benchmarks/prof.py --pyspy          # the same under py-spy (pip install py-spy)
    python3 benchmarks/prof.py --case "thr tcp 16 B" --top 25

cProfile: each purezmq endpoint process profiles its app thread and its I/O
thread (``BENCH_PROFILE=DIR``, see common.py; purezmq itself is untouched)
and writes one .prof file per thread. This script then prints, per process
and thread, the functions with the most own time, as a percentage of that
thread's profiled time. cProfile roughly doubles the cost of Python calls, so
read the percentages, not the absolute rates.

py-spy samples the real run without instrumenting it (all threads, all
child processes, only samples where a thread is on CPU unless --idle) and
prints the frames with the most own samples per process/thread.
"""

from __future__ import annotations

import argparse
import collections
import glob
import os
import pstats
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

CASES = {
    "thr tcp 16 B": ["thr", "--only", "thr tcp 16 B"],
    "thr tcp 1 MiB": ["thr", "--only", "thr tcp 1 MiB"],
    "lat tcp 16 B": ["lat", "--only", "lat tcp 16 B"],
}


def _short(func: tuple[str, int, str]) -> str:
    path, line, name = func
    if path == "~":
        return name  # a builtin, e.g. <method 'send' of '_socket.socket' objects>
    parts = path.split(os.sep)
    if "purezmq" in parts:
        path = "/".join(parts[parts.index("purezmq") :])
    elif "benchmarks" in parts:
        path = "/".join(parts[parts.index("benchmarks") :])
    else:
        path = "/".join(parts[-2:])
    return f"{name} ({path}:{line})"


def summarize_cprofile(outdir: str, top: int) -> None:
    files = sorted(glob.glob(os.path.join(outdir, "*.prof")))
    if not files:
        print("  no profiles were written")
        return
    for path in files:
        tag, pid, thread, _ = os.path.basename(path).split(".")
        stats = pstats.Stats(path)
        entries = stats.stats  # type: ignore[attr-defined]
        total = sum(v[2] for v in entries.values())
        calls = sum(v[1] for v in entries.values())
        if total <= 0:
            continue
        print(
            f"\n  {tag} (pid {pid}), {thread.rstrip('0123456789')} thread: {total:.2f} s profiled, {calls:,} calls"
        )
        rows = sorted(entries.items(), key=lambda kv: kv[1][2], reverse=True)[:top]
        for func, (_cc, nc, tt, ct, _callers) in rows:
            print(
                f"    {tt / total * 100:5.1f}%  own {tt:6.3f} s  cum {ct:6.3f} s  {nc:>9,} calls  {_short(func)}"
            )


def _run_py(argv: list[str]) -> list[str]:
    """The run.py command line for one quick purezmq-only pass of `argv`."""
    return [
        sys.executable,
        os.path.join(HERE, "run.py"),
        *argv,
        "--impl",
        "purezmq",
        "--reps",
        "1",
        "--quiet",
    ]


def run_cprofile(name: str, argv: list[str], outroot: str, top: int) -> None:
    outdir = os.path.join(outroot, name.replace(" ", "_"))
    shutil.rmtree(outdir, ignore_errors=True)
    env = dict(os.environ, BENCH_PROFILE=outdir)
    cmd = _run_py(argv)
    print(f"\n=== cProfile: {name} ===")
    res = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    figures = [
        line for line in res.stdout.splitlines() if line.startswith("| ") and "purezmq" not in line
    ]
    for line in figures[-2:]:
        print("  " + line)
    if res.returncode:
        print(res.stderr[-2000:])
    summarize_cprofile(outdir, top)


def run_pyspy(name: str, argv: list[str], outroot: str, top: int, idle: bool) -> None:
    pyspy = shutil.which("py-spy")
    if pyspy is None:
        print("py-spy is not installed (pip install py-spy)")
        return
    out = os.path.join(outroot, name.replace(" ", "_") + ".pyspy.txt")
    cmd = [
        pyspy,
        "record",
        "--format",
        "raw",
        "--threads",
        "--subprocesses",
        "--rate",
        "1000",
        "--nonblocking",
        "-o",
        out,
    ]
    if idle:
        cmd.append("--idle")
    cmd += ["--", *_run_py(argv)]
    print(f"\n=== py-spy: {name} ===")
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    figures = [
        line for line in res.stdout.splitlines() if line.startswith("| ") and "purezmq" not in line
    ]
    for line in figures[-2:]:
        print("  " + line)
    if res.returncode or not os.path.exists(out):
        print(res.stderr[-2000:])
        return
    summarize_pyspy(out, top)


_WAITS = ("Mailbox.wait ", "EpollSelector.select ", "_PollLikeSelector.select ", "Connection.wait ")


def summarize_pyspy(path: str, top: int) -> None:
    """Own samples per (process, thread), from py-spy's collapsed-stack output.

    Samples taken during imports (process start-up) are dropped; samples whose
    innermost frame is a poll/epoll wait are counted as "waiting"."""
    own: dict[tuple[str, str], collections.Counter] = collections.defaultdict(collections.Counter)
    inclusive: dict[tuple[str, str], collections.Counter] = collections.defaultdict(
        collections.Counter
    )
    totals: collections.Counter = collections.Counter()
    waits: collections.Counter = collections.Counter()
    with open(path) as f:
        for line in f:
            stack, _, count = line.rstrip("\n").rpartition(" ")
            if not stack or "importlib._bootstrap" in stack:
                continue
            frames = stack.split(";")
            proc = "process"
            while frames and frames[0].startswith("process "):
                proc = frames.pop(0)  # py-spy nests child processes: keep the innermost
            thread = frames.pop(0) if frames and frames[0].startswith("thread ") else "thread"
            if not frames:
                continue
            key = (_proc_name(proc), _thread_name(thread))
            n = int(count)
            totals[key] += n
            leaf = frames[-1]
            if leaf.startswith(_WAITS):
                waits[key] += n
                continue
            own[key][leaf] += n
            for fr in set(frames):
                inclusive[key][fr] += n
    for key, total in sorted(totals.items()):
        busy = total - waits[key]
        if busy < 20:
            continue
        print(
            f"\n  {key[0]}, {key[1]}: {total} samples, {waits[key] / total * 100:.0f}% waiting in poll/epoll;"
            f" of the {busy} busy samples:"
        )
        print("    own:")
        for fr, n in own[key].most_common(top):
            print(f"    {n / busy * 100:5.1f}%  {fr}")
        print("    inclusive (purezmq frames):")
        shown = 0
        for fr, n in inclusive[key].most_common():
            if "purezmq/" in fr:
                print(f"    {n / busy * 100:5.1f}%  {fr}")
                shown += 1
                if shown >= top:
                    break


def _proc_name(frame: str) -> str:
    # 'process 1234:"python3 benchmarks/run.py ..."' -> 'process 1234'
    return frame.split(":", 1)[0]


def _thread_name(frame: str) -> str:
    # 'thread (1234): purezmq-io' -> 'purezmq-io'
    return frame.split(":", 1)[1].strip(' "') if ":" in frame else frame


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--case", action="append", choices=sorted(CASES), help="default: all three")
    ap.add_argument("--pyspy", action="store_true", help="sample with py-spy instead of cProfile")
    ap.add_argument("--idle", action="store_true", help="py-spy: include idle (waiting) samples")
    ap.add_argument("--top", type=int, default=15)
    ap.add_argument("--out", default=None, help="keep the profiles here (default: a temp dir)")
    args = ap.parse_args()
    outroot = args.out or tempfile.mkdtemp(prefix="purezmq-prof-")
    os.makedirs(outroot, exist_ok=True)
    for name in args.case or list(CASES):
        if args.pyspy:
            run_pyspy(name, CASES[name], outroot, args.top, args.idle)
        else:
            run_cprofile(name, CASES[name], outroot, args.top)
    print(f"\n(profiles in {outroot})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
