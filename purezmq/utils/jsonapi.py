"""JSON to and from UTF-8 bytes, with the standard library's :mod:`json`.

``dumps`` always gives ``bytes``; ``loads`` takes ``bytes`` or ``str``. Extra keyword
arguments go to :func:`json.dumps` / :func:`json.loads` unchanged.
"""

from __future__ import annotations

import json
from typing import Any

# Old pyzmq releases chose a JSON library at import time and published it here.
jsonmod = json


def dumps(o: Any, **kwargs: Any) -> bytes:
    """`o` as JSON text, encoded in UTF-8."""
    return json.dumps(o, **kwargs).encode("utf-8")


def loads(s: bytes | bytearray | memoryview | str, **kwargs: Any) -> Any:
    """The object in the JSON text `s` (UTF-8 bytes, or a str)."""
    if isinstance(s, (bytearray, memoryview)):
        s = bytes(s)
    if isinstance(s, bytes):
        s = s.decode("utf-8")
    return json.loads(s, **kwargs)


__all__ = ["dumps", "loads"]
