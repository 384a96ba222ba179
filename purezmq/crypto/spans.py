"""The types of the batch codec (`sodium.inplace_codec`), shared by the
package and the backend that provides it.

``seal_spans(buf, spans)`` seals many boxes in place in one buffer;
``open_spans(data, starts, stops, skip, nonces, firsts, rests)`` opens
many boxes of one buffer. `sodium.inplace_codec` says how to call them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Callable

SealSpans = Callable[[bytearray, "list[Any]"], None]
OpenSpans = Callable[
    [
        bytes,
        "Sequence[int]",
        "Sequence[int]",
        int,
        "list[bytes] | bytearray",
        bytearray,
        "list[bytes]",
    ],
    bool,
]
