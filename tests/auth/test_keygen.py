"""``python -m purezmq curve-keygen`` and ``python -m purezmq.curve_keygen`` (pyzmq's module path)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import purezmq
from purezmq.utils import z85

from .test_curve_keys import needs_keys

ROOT = Path(__file__).resolve().parents[2]

pytestmark = needs_keys


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env=env,
    )


COMMANDS = [("purezmq", "curve-keygen"), ("purezmq.curve_keygen",)]


@pytest.mark.parametrize("command", COMMANDS, ids=["subcommand", "module"])
def test_new_pair_text(command: tuple[str, ...]) -> None:
    out = _run(*command)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "== CURVE PUBLIC KEY ==" and lines[3] == "== CURVE SECRET KEY =="
    assert lines[2] == "" and len(lines) == 5
    public, secret = lines[1].encode(), lines[4].encode()
    assert len(z85.decode(public)) == 32
    assert purezmq.curve_public(secret) == public


@pytest.mark.parametrize("command", COMMANDS, ids=["subcommand", "module"])
def test_public_of_secret_json(command: tuple[str, ...]) -> None:
    public, secret = purezmq.curve_keypair()
    # `=`: a Z85 key may start with "-", which argparse would take for an option
    out = _run(*command, "--json", f"--secret={secret.decode()}")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {"public": public.decode(), "secret": secret.decode()}


def test_same_output_shape_as_pyzmq() -> None:
    pytest.importorskip("zmq", reason="compares with pyzmq's zmq.curve_keygen")
    secret = "x" * 40
    ours = _run("purezmq.curve_keygen", "--secret", secret)
    theirs = _run("zmq.curve_keygen", "--secret", secret)
    assert theirs.returncode == 0, theirs.stderr
    assert ours.stdout == theirs.stdout
    ours = _run("purezmq", "curve-keygen", "--json", "--secret", secret)
    theirs = _run("zmq.curve_keygen", "--json", "--secret", secret)
    assert ours.stdout == theirs.stdout


def test_bad_secret_is_a_usage_error() -> None:
    """pyzmq ends with a ValueError traceback here; purezmq reports it as a usage error."""
    out = _run("purezmq", "curve-keygen", "--secret", "short")
    assert out.returncode == 2
    assert "40" in out.stderr and "Traceback" not in out.stderr
