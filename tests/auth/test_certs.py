"""Certificate files (czmq's ZPL format): written and read by purezmq and by pyzmq alike."""

from __future__ import annotations

import importlib
import os
import stat
import sys
from pathlib import Path
from typing import Any

import pytest

import purezmq

from .test_curve_keys import _purezmq_keys_work


def _certs(lib: Any) -> Any:
    if lib is purezmq and not _purezmq_keys_work():
        pytest.skip("no purezmq crypto backend here (PyNaCl absent, no pure one)")
    return importlib.import_module(f"{lib.__name__}.auth.certs")


def test_create_and_load_round_trip(lib: Any, tmp_path: Path) -> None:
    certs = _certs(lib)
    public_file, secret_file = certs.create_certificates(str(tmp_path), "server")
    assert public_file == os.path.join(str(tmp_path), "server.key")
    assert secret_file == os.path.join(str(tmp_path), "server.key_secret")
    public, none = certs.load_certificate(public_file)
    assert none is None
    public2, secret = certs.load_certificate(secret_file)
    assert public2 == public and len(public) == 40 and len(secret) == 40
    assert lib.curve_public(secret) == public
    assert certs.load_certificates(str(tmp_path)) == {public: True}  # *.key only


@pytest.mark.parametrize("writer", ["purezmq", "zmq"])
@pytest.mark.parametrize("reader", ["purezmq", "zmq"])
def test_cross_library_files(writer: str, reader: str, tmp_path: Path) -> None:
    pytest.importorskip("zmq", reason="pyzmq is the reference format")
    w = _certs(importlib.import_module(writer))
    reader_lib = importlib.import_module(reader)
    r = _certs(reader_lib)
    meta = {"name": "server one", b"role": b"test"}
    public_file, secret_file = w.create_certificates(tmp_path, "peer", metadata=meta)
    public, secret = r.load_certificate(secret_file)
    assert r.load_certificate(public_file) == (public, None)
    assert reader_lib.curve_public(secret) == public
    w.create_certificates(tmp_path, "other")
    keys = r.load_certificates(tmp_path)
    assert set(keys) == {public, r.load_certificate(tmp_path / "other.key")[0]}
    assert all(v is True for v in keys.values())


def test_file_layout(tmp_path: Path) -> None:
    certs = _certs(purezmq)
    public_file, secret_file = certs.create_certificates(tmp_path, "c", metadata={"k": "v w"})
    public, secret = certs.load_certificate(secret_file)
    body = [line for line in Path(secret_file).read_text().splitlines() if line[:1] != "#"]
    assert body == [
        "",
        "metadata",
        '    k = "v w"',
        "curve",
        f'    public-key = "{public.decode()}"',
        f'    secret-key = "{secret.decode()}"',
    ]
    body = [line for line in Path(public_file).read_text().splitlines() if line[:1] != "#"]
    assert body == [
        "",
        "metadata",
        '    k = "v w"',
        "curve",
        f'    public-key = "{public.decode()}"',
    ]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_secret_file_is_private(tmp_path: Path) -> None:
    """purezmq only: pyzmq leaves the secret file to the umask (spec/pyzmq.md)."""
    _, secret_file = _certs(purezmq).create_certificates(tmp_path, "c")
    assert stat.S_IMODE(os.stat(secret_file).st_mode) == 0o600


def test_loads_czmq_style_files(lib: Any, tmp_path: Path) -> None:
    """Files as czmq's zcert writes them, and ZPL's other quoting."""
    certs = _certs(lib)
    pub = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
    sec = "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6"
    czmq = (
        "#   ****  Generated on 2015-01-01 00:00:00 by CZMQ  ****\n"
        "#   ZeroMQ CURVE **Secret** Certificate\n\n"
        "metadata\n"
        '    email = "someone@example.com"\n'
        "curve\n"
        f'    public-key = "{pub}"\n'
        f'    secret-key = "{sec}"\n'
    )
    (tmp_path / "a.key_secret").write_text(czmq)
    assert certs.load_certificate(tmp_path / "a.key_secret") == (pub.encode(), sec.encode())
    (tmp_path / "b.key").write_text(f"curve\n\tpublic-key = '{pub}'\n")
    assert certs.load_certificate(tmp_path / "b.key") == (pub.encode(), None)


def test_errors(lib: Any, tmp_path: Path) -> None:
    certs = _certs(lib)
    with pytest.raises(OSError):
        certs.load_certificate(tmp_path / "missing.key")
    (tmp_path / "empty.key").write_text("#   nothing\nmetadata\ncurve\n")
    with pytest.raises(ValueError):
        certs.load_certificate(tmp_path / "empty.key")
    with pytest.raises(OSError):
        certs.load_certificates(tmp_path / "no-such-dir")
    with pytest.raises(OSError):
        certs.load_certificates(tmp_path / "empty.key")  # a file, not a directory
    with pytest.raises(ValueError):
        certs.load_certificates(tmp_path)  # the bad file spoils the directory
    with pytest.raises(OSError):
        certs.create_certificates(tmp_path / "no-such-dir", "x")


def test_empty_directory(lib: Any, tmp_path: Path) -> None:
    assert _certs(lib).load_certificates(tmp_path) == {}
