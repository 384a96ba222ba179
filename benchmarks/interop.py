"""interop: purezmq on one side, pyzmq (libzmq) on the other, both directions.

Same endpoints as thr and lat, with the library chosen per endpoint:
"purezmq->pyzmq" means a purezmq PUSH (or REQ/PAIR client) talking to a
pyzmq PULL (or REP/PAIR server). Each row is compared with the
pyzmq->pyzmq figure of the matching thr/lat case of the same run
("pyzmq (ref)"), when that case was run.
"""

from __future__ import annotations

from functools import partial
from typing import Callable

import lat
import thr
from common import Case, Metric, fmt_size

THR_SIZES = [16, 4096, 1 << 20]
LAT_PLAN = [("REQ/REP", 16), ("PAIR", 16)]
DIRECTIONS = [("purezmq", "pyzmq"), ("pyzmq", "purezmq")]


def cases(impls: list[str], quick: bool, ipc_dir: str) -> list[Case]:
    out = []
    max_s = thr.MAX_S_QUICK if quick else thr.MAX_S
    for size in THR_SIZES:
        count = thr.COUNTS[size] // (thr.QUICK_DIV if quick else 1)
        variants: dict[str, Callable[[], dict[str, float]]] = {
            f"{a}->{b}": partial(thr.run_stream, a, b, "tcp", size, count, max_s, ipc_dir)
            for a, b in DIRECTIONS
        }
        label = f"tcp {fmt_size(size)}"
        out.append(
            Case(
                scenario="interop thr",
                label=label,
                metrics=[Metric("msg_s", "msg/s", True), Metric("mb_s", "MB/s", True, inline=True)],
                variants=variants,
                note=f"ref=thr {label}",
            )
        )
    count = lat.COUNT_QUICK if quick else lat.COUNT
    max_s = lat.MAX_S_QUICK if quick else lat.MAX_S
    for pattern, size in LAT_PLAN:
        kinds = lat.PATTERNS[pattern]
        variants = {
            f"{a}->{b}": partial(lat.run_rtt, a, b, kinds, "tcp", size, count, max_s, ipc_dir)
            for a, b in DIRECTIONS
        }
        label = f"tcp {fmt_size(size)}" + ("" if pattern == "REQ/REP" else f" ({pattern})")
        out.append(
            Case(
                scenario="interop lat",
                label=label,
                metrics=lat.metrics(None),
                variants=variants,
                note=f"ref=lat {label}",
            )
        )
    return out
