"""CURVE certificate files, in czmq's ZPL layout (ZeroMQ RFC 4), as pyzmq and czmq use them.

A certificate is a small text file::

    #   comment lines
    metadata
        name = "value"
    curve
        public-key = "<40 Z85 characters>"
        secret-key = "<40 Z85 characters>"     (secret certificates only)

`create_certificates` writes a pair, ``<name>.key`` (public) and
``<name>.key_secret`` (public and secret), which pyzmq's and czmq's readers
load; `load_certificate` reads those written by pyzmq, czmq or libzmq's tools;
`load_certificates` collects the public keys of every ``*.key`` file of a
directory, the table a CURVE `Authenticator` checks clients against.
"""

from __future__ import annotations

import datetime
import glob
import os
from typing import Any, Optional, Union

from ..sugar.curve import curve_keypair

_PathLike = Union[str, "os.PathLike[str]"]

_PUBLIC_HEADER = (
    "#   ****  Generated on {when} by purezmq  ****\n"
    "#   ZeroMQ CURVE Public Certificate\n"
    "#   Hand it to peers over a channel you trust, or check it after the\n"
    "#   exchange: whoever has it can ask to connect as this key.\n"
    "\n"
)
_SECRET_HEADER = (
    "#   ****  Generated on {when} by purezmq  ****\n"
    "#   ZeroMQ CURVE **Secret** Certificate\n"
    "#   Keep this file private: it holds the secret key. Do not share it\n"
    "#   and do not loosen its permissions.\n"
    "\n"
)


def _text(value: Any, encoding: str = "utf-8") -> str:
    return value.decode(encoding) if isinstance(value, (bytes, bytearray)) else str(value)


def _zpl_value(value: str) -> str:
    # ZPL quotes a value with double quotes; a value holding one takes single quotes
    return f"'{value}'" if '"' in value else f'"{value}"'


def _render(
    header: str,
    public_key: Union[str, bytes],
    secret_key: Optional[Union[str, bytes]],
    metadata: Optional[dict[Any, Any]],
) -> str:
    lines = [header.format(when=datetime.datetime.now()), "metadata\n"]
    for name, value in (metadata or {}).items():
        lines.append(f"    {_text(name)} = {_zpl_value(_text(value))}\n")
    lines.append("curve\n")
    lines.append(f"    public-key = {_zpl_value(_text(public_key))}\n")
    if secret_key:
        lines.append(f"    secret-key = {_zpl_value(_text(secret_key))}\n")
    return "".join(lines)


def _write(path: str, text: str, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with open(fd, "w", encoding="utf-8") as f:
        f.write(text)


def create_certificates(
    key_dir: _PathLike, name: str, metadata: Optional[dict[Any, Any]] = None
) -> tuple[str, str]:
    """Make a new key pair and write ``<key_dir>/<name>.key`` and ``<name>.key_secret``.

    `metadata` (str or bytes names and values) goes into both files, as czmq
    writes it. The secret file is created readable by its owner only where the
    platform has permissions (an existing file is rewritten in place).
    Returns ``(public_file, secret_file)``.
    """
    public_key, secret_key = curve_keypair()
    base = os.path.join(key_dir, name)
    public_file = f"{base}.key"
    secret_file = f"{base}.key_secret"
    _write(public_file, _render(_PUBLIC_HEADER, public_key, None, metadata), 0o644)
    _write(secret_file, _render(_SECRET_HEADER, public_key, secret_key, metadata), 0o600)
    return public_file, secret_file


def _unquote(value: bytes) -> bytes:
    value = value.strip()
    if len(value) >= 2 and value[:1] in (b'"', b"'") and value[-1:] == value[:1]:
        return value[1:-1]
    # an unquoted ZPL value ends at white space or a comment
    words = value.split(b"#", 1)[0].split()
    return words[0] if words else b""


def load_certificate(filename: _PathLike) -> tuple[bytes, Optional[bytes]]:
    """``(public_key, secret_key)`` of a certificate file, as Z85 bytes.

    `secret_key` is None for a public certificate. A missing file raises
    OSError, a file without a public key ValueError.
    """
    if not os.path.exists(filename):
        raise OSError(f"Invalid certificate file: {os.fspath(filename)}")
    public_key: Optional[bytes] = None
    secret_key: Optional[bytes] = None
    with open(filename, "rb") as f:
        for raw in f:
            line = raw.strip()
            if not line or line.startswith(b"#") or b"=" not in line:
                continue
            name, value = line.split(b"=", 1)
            name = name.strip()
            if name == b"public-key" and public_key is None:
                public_key = _unquote(value)
            elif name == b"secret-key" and secret_key is None:
                secret_key = _unquote(value)
    if not public_key:
        raise ValueError(f"No public key found in {os.fspath(filename)}")
    return public_key, secret_key or None


def load_certificates(directory: _PathLike = ".") -> dict[bytes, bool]:
    """The public keys of every ``*.key`` certificate in `directory`: ``{key: True}``.

    A path that is not a directory raises OSError.
    """
    if not os.path.isdir(directory):
        raise OSError(f"Invalid certificate directory: {os.fspath(directory)}")
    keys: dict[bytes, bool] = {}
    for path in sorted(glob.glob(os.path.join(glob.escape(os.fspath(directory)), "*.key"))):
        public_key, _ = load_certificate(path)
        keys[public_key] = True
    return keys


__all__ = ["create_certificates", "load_certificate", "load_certificates"]
