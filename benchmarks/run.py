"""The purezmq benchmark suite (issue 6): one command, both libraries, one table.

    python3 benchmarks/run.py                      # everything, purezmq and pyzmq
    python3 benchmarks/run.py --quick              # smaller counts (< 2 minutes)
    python3 benchmarks/run.py thr lat --json out.json
    python3 benchmarks/run.py thr --filter "tcp 16 B" --reps 5
    python3 benchmarks/run.py --impl purezmq       # e.g. under pypy3
    pypy3 benchmarks/run.py --impl purezmq --quick

Scenarios: thr, lat, pubsub, routerdealer, interop, scale, aio, curve, codec (see
README.md). pyzmq is measured in the same run when it is importable
(``--impl both``, the default). Each endpoint runs in its own process;
each figure is the median of ``--reps`` repetitions (default 3) with the
spread shown as ±half the min-max range. Progress goes to stderr, the
Markdown table to stdout.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common
from common import Case, Child, Outcome, fmt_num, have_pyzmq, run_case

SCENARIOS = ["thr", "lat", "pubsub", "routerdealer", "interop", "scale", "aio", "curve", "codec"]


def build_cases(name: str, impls: list[str], quick: bool, ipc_dir: str) -> list[Case]:
    """The cases of scenario `name`: its module's ``cases()`` (codec runs apart)."""
    if name not in SCENARIOS or name == "codec":
        raise ValueError(name)
    cases: list[Case] = importlib.import_module(name).cases(impls, quick, ipc_dir)
    return cases


# ----------------------------------------------------------------------
# table
# ----------------------------------------------------------------------


def _ratio(
    case: Case, outcomes: dict[str, Outcome], name: str, key: str, refs: dict[str, Any]
) -> float | None:
    mine = outcomes[name].median(key)
    ref_out = outcomes.get("pyzmq")
    ref = ref_out.median(key) if ref_out is not None else None
    if ref is None and case.note.startswith("ref="):
        other = refs.get(case.note[4:])
        if other is not None and "pyzmq" in other:
            ref = other["pyzmq"].median(key)
    if mine is None or not ref:
        return None
    return mine / ref


def _cell(
    case: Case, out: Outcome, metric: common.Metric, inline: list[common.Metric] | None = None
) -> tuple[str, str]:
    if inline is None:
        inline = []
    if out.status == "unsupported":
        return "unsupported", ""
    if out.status == "error":
        return "error", ""
    med = out.median(metric.key)
    if med is None:
        return "-", ""
    text = fmt_num(med * metric.scale)
    extra = [out.median(m.key) for m in inline]
    shown = [f"{fmt_num(v * m.scale)} {m.unit}" for m, v in zip(inline, extra) if v is not None]
    if shown:
        text += f" ({', '.join(shown)})"
    spread = out.spread(metric.key)
    return text, "" if spread is None else f"±{spread * 100:.0f}%"


def _verdict(
    metric: common.Metric,
    ratio: float | None,
    value: float | None,
    target: tuple[str, float] | None = None,
) -> tuple[str, str]:
    target = target or metric.target
    if target is None:
        return "", ""
    kind, t = target
    if kind == "ratio>=":
        return f"≥ {t:g}", "" if ratio is None else ("ok" if ratio >= t else "**MISS**")
    if kind == "ratio<=":
        return f"≤ {t:g}", "" if ratio is None else ("ok" if ratio <= t else "**MISS**")
    if kind == "abs<=":
        return f"≤ {t:g}", "" if value is None else ("ok" if value <= t else "**MISS**")
    if kind == "abs>=":
        return f"≥ {t:g}", "" if value is None else ("ok" if value >= t else "**MISS**")
    return "", ""


def print_table(results: list[tuple[Case, dict[str, Outcome]]], out: Any) -> None:
    by_key = {case.key: outs for case, outs in results}
    scenario_order: list[str] = []
    for case, _ in results:
        if case.scenario not in scenario_order:
            scenario_order.append(case.scenario)
    for scenario in scenario_order:
        rows = [(c, o) for c, o in results if c.scenario == scenario]
        variants: list[str] = []
        for _case, outs in rows:
            for name in outs:
                if name not in variants:
                    variants.append(name)
        # "pyzmq" last among columns; ratios for every other variant
        variants.sort(key=lambda v: (v == "pyzmq",))
        ratio_cols = [v for v in variants if v != "pyzmq"]
        has_ref = "pyzmq" in variants or any(c.note.startswith("ref=") for c, _ in rows)
        head = ["case", "unit"]
        for v in variants:
            head += [v, "±"]
        if has_ref:
            if "pyzmq" not in variants:
                head += ["pyzmq (ref)"]
            head += [f"{v} / pyzmq" if len(ratio_cols) > 1 else "ratio" for v in ratio_cols]
        head += ["target", ""]
        print(f"\n### {scenario}\n", file=out)
        print("| " + " | ".join(head) + " |", file=out)
        print(
            "|" + "|".join(["---"] * 2 + ["--:"] * (len(head) - 4) + ["--:", "---"]) + "|", file=out
        )
        for case, outs in rows:
            for i, metric in enumerate(case.metrics):
                if metric.inline:
                    continue
                inline = []
                for m in case.metrics[i + 1 :]:
                    if not m.inline:
                        break
                    inline.append(m)
                cells = [case.label, metric.unit]
                for v in variants:
                    if v in outs:
                        cells += list(_cell(case, outs[v], metric, inline))
                    else:
                        cells += ["", ""]
                ratios = []
                if has_ref:
                    if "pyzmq" not in variants:
                        ref = by_key.get(case.note[4:]) if case.note.startswith("ref=") else None
                        if ref is not None and "pyzmq" in ref:
                            cells.append(_cell(case, ref["pyzmq"], metric, inline)[0])
                        else:
                            cells.append("")
                    for v in ratio_cols:
                        r = _ratio(case, outs, v, metric.key, by_key) if v in outs else None
                        ratios.append(r)
                        cells.append("" if r is None else f"{r:.2f}")
                value = (
                    outs[ratio_cols[0]].median(metric.key)
                    if ratio_cols and ratio_cols[0] in outs
                    else None
                )
                if value is not None:
                    value *= metric.scale
                target, verdict = _verdict(metric, ratios[0] if ratios else None, value)
                if metric.per_variant:  # each variant against its own target
                    shown = []
                    verdicts = []
                    for i, v in enumerate(ratio_cols):  # no ratios without pyzmq
                        r = ratios[i] if i < len(ratios) else None
                        own = metric.per_variant.get(v)
                        median = outs[v].median(metric.key) if v in outs else None
                        t, verdict = _verdict(
                            metric, r, None if median is None else median * metric.scale, own
                        )
                        shown.append(t if own else "-")
                        verdicts.append(verdict or "-")
                    target, verdict = " / ".join(shown), " / ".join(verdicts)
                elif len(ratios) > 1 and metric.target and metric.target[0].startswith("ratio"):
                    verdicts = [_verdict(metric, r, value)[1] for r in ratios]
                    verdict = " / ".join(v or "-" for v in verdicts)
                cells += [target, verdict]
                print("| " + " | ".join(cells) + " |", file=out)
        notes = sorted({c.note for c, _ in rows if c.note and not c.note.startswith("ref=")})
        for note in notes:
            print(f"\n{note}", file=out)
        errors = [
            (c, v, o)
            for c, outs in rows
            for v, o in outs.items()
            if o.errors and o.status != "unsupported"
        ]
        if errors:
            print("\nErrors:", file=out)
            for case, v, o in errors:
                print(f"- {case.key} [{v}]: {o.errors[0].splitlines()[0]}", file=out)


# ----------------------------------------------------------------------
# machine description
# ----------------------------------------------------------------------


def _versions(chan: Any) -> dict[str, str]:
    import zmq

    return {"pyzmq": zmq.__version__, "libzmq": zmq.zmq_version()}


def machine_info(impls: list[str]) -> dict[str, Any]:
    info: dict[str, Any] = {
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "executable": sys.executable,
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "loadavg_start": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
    }
    try:
        rev = subprocess.run(
            ["git", "-C", common.ROOT, "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            timeout=10,
        )
        info["purezmq_commit"] = rev.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    if "pyzmq" in impls:
        child = Child(_versions, name="versions")
        try:
            info.update(child.result_within(30))
        except common.BenchError as exc:
            info["pyzmq"] = f"error: {exc}"
        finally:
            child.finish(1)
    return info


def run_codec(quick: bool, impls: list[str], log: Any) -> str | None:
    """benchmarks/codec.py, run as is; its output goes into the report."""
    cmd = [sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "codec.py")]
    if quick:
        cmd.append("--quick")
    if "pyzmq" not in impls:
        cmd.append("--no-pyzmq")
    log("codec: " + " ".join(cmd[1:]))
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    except subprocess.TimeoutExpired:
        return "codec.py: timed out"
    text = res.stdout
    if res.returncode:
        text += f"\n(codec.py exited {res.returncode})\n{res.stderr[-2000:]}"
    return text


# ----------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "scenarios",
        nargs="*",
        metavar="scenario",
        help=f"any of {', '.join(SCENARIOS)} (default: all)",
    )
    ap.add_argument("--quick", action="store_true", help="smaller counts and shorter time budgets")
    ap.add_argument("--json", metavar="FILE", help="save every repetition and the medians as JSON")
    ap.add_argument("--impl", choices=["purezmq", "pyzmq", "both"], default="both")
    ap.add_argument("--reps", type=int, default=3, help="repetitions per case (default 3)")
    ap.add_argument(
        "--filter",
        action="append",
        default=[],
        metavar="TEXT",
        help="only cases whose 'scenario label' contains TEXT (repeatable)",
    )
    ap.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="KEY",
        help="only the case whose 'scenario label' is exactly KEY (repeatable)",
    )
    ap.add_argument("--quiet", action="store_true", help="no progress on stderr")
    args = ap.parse_args(argv)

    scenarios = args.scenarios or SCENARIOS
    for s in scenarios:
        if s not in SCENARIOS:
            ap.error(f"unknown scenario {s!r}; choose from {', '.join(SCENARIOS)}")
    impls = ["purezmq", "pyzmq"] if args.impl == "both" else [args.impl]
    if "pyzmq" in impls and not have_pyzmq():
        if args.impl == "pyzmq":
            ap.error("pyzmq is not importable")
        impls = ["purezmq"]

    def log(msg: str) -> None:
        if not args.quiet:
            print(msg, file=sys.stderr, flush=True)

    t_start = time.perf_counter()
    info = machine_info(impls)
    info["args"] = vars(args)
    log(f"{info['python']} on {info['machine']}, {info['cpus']} CPUs; impls: {', '.join(impls)}")

    ipc_dir = tempfile.mkdtemp(prefix="purezmq-bench-")
    results: list[tuple[Case, dict[str, Outcome]]] = []
    codec_text = None
    try:
        for scenario in scenarios:
            if scenario == "codec":
                if not args.filter and not args.only:
                    codec_text = run_codec(args.quick, impls, log)
                continue
            if scenario == "interop" and impls != ["purezmq", "pyzmq"]:
                log("interop: needs both purezmq and pyzmq; skipped")
                continue
            t0 = time.perf_counter()
            for case in build_cases(scenario, impls, args.quick, ipc_dir):
                if args.filter and not any(f in case.key for f in args.filter):
                    continue
                if args.only and case.key not in args.only:
                    continue
                results.append((case, run_case(case, args.reps, log)))
            log(f"{scenario}: {time.perf_counter() - t0:.0f} s")
    except KeyboardInterrupt:
        log("interrupted: printing what was measured")
    finally:
        shutil.rmtree(ipc_dir, ignore_errors=True)
    elapsed = time.perf_counter() - t_start
    info["loadavg_end"] = os.getloadavg() if hasattr(os, "getloadavg") else None
    info["seconds"] = round(elapsed, 1)

    out = sys.stdout
    print(f"\n{info['python']}, {info['cpus']} CPUs, {info['platform']}", file=out)
    if "pyzmq" in info:
        print(f"pyzmq {info['pyzmq']}, libzmq {info.get('libzmq')}", file=out)
    print(
        f"purezmq {info.get('purezmq_commit', '?')}; {args.reps} repetitions"
        f"{' (quick)' if args.quick else ''}; total {elapsed:.0f} s; "
        f"load average {_load(info['loadavg_start'])} -> {_load(info['loadavg_end'])}",
        file=out,
    )
    print_table(results, out)
    if codec_text:
        print("\n### codec\n\n```\n" + codec_text.rstrip() + "\n```", file=out)

    if args.json:
        doc = {
            "machine": info,
            "cases": [
                {
                    "scenario": case.scenario,
                    "label": case.label,
                    "metrics": [
                        {
                            "key": m.key,
                            "unit": m.unit,
                            "higher_is_better": m.higher_is_better,
                            "target": m.target,
                            "scale": m.scale,
                        }
                        for m in case.metrics
                    ],
                    "variants": {name: o.to_json() for name, o in outs.items()},
                }
                for case, outs in results
            ],
            "codec": codec_text,
        }
        with open(args.json, "w") as f:
            json.dump(doc, f, indent=1)
        log(f"saved {args.json}")
    return 0


def _load(la: Any) -> str:
    return "?" if not la else f"{la[0]:.1f}"


if __name__ == "__main__":
    sys.exit(main())
