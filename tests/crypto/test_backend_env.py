"""PUREZMQ_CURVE_BACKEND picks the backend at import time, in a fresh
interpreter each time (python / sodium / auto / blank / a bad value, with and
without PyNaCl importable)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import sys
if {block_nacl}:
    sys.modules["nacl"] = None  # makes "import nacl.bindings" fail
try:
    import purezmq.crypto as c
except ImportError as exc:
    print("ImportError:", exc)
else:
    pk, sk = c.keypair()
    assert c.scalarmult_base(sk) == pk
    print(c.BACKEND, c.box.__module__)
"""


def probe(value: Optional[str], block_nacl: bool = False) -> str:
    env = dict(os.environ)
    env.pop("PUREZMQ_CURVE_BACKEND", None)
    if value is not None:
        env["PUREZMQ_CURVE_BACKEND"] = value
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(block_nacl=block_nacl)],
        env=env,
        cwd=str(ROOT),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def has_nacl() -> bool:
    try:
        import nacl.bindings  # noqa: F401
    except ImportError:
        return False
    return True


def test_python_forces_pure() -> None:
    assert probe(" Python ") == "python purezmq.crypto.pure"  # trimmed, any case
    assert probe("python", block_nacl=True) == "python purezmq.crypto.pure"


def test_auto_and_default() -> None:
    expected = "sodium purezmq.crypto.sodium" if has_nacl() else "python purezmq.crypto.pure"
    assert probe(None) == expected
    assert probe("", block_nacl=True) == "python purezmq.crypto.pure"  # blank is auto


def test_sodium_forced() -> None:
    if has_nacl():
        assert probe("sodium") == "sodium purezmq.crypto.sodium"
    out = probe("sodium", block_nacl=True)  # never a silent fall back
    assert out.startswith("ImportError:") and "PyNaCl" in out


def test_bad_value_refused() -> None:
    out = probe("libsodium")
    assert out.startswith("ImportError:") and "PUREZMQ_CURVE_BACKEND" in out
