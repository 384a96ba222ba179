"""The Authenticator's decisions, fed RFC 27 requests straight to its REP socket.

Every test runs against purezmq and pyzmq (the ``lib`` fixture) with the same
expected replies: ``[version, request_id, status_code, status_text, user_id, metadata]``.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Optional

import pytest

import purezmq
from purezmq.utils import z85
from tests.testing import make_socket

from .test_curve_keys import _purezmq_keys_work

KEY = bytes(range(32))  # a client public key, raw
KEY_Z85 = b"009c61o!#m2NH?C3>iWS5d]J*6CRx17-skh9337x"  # its Z85 text


def start_when_free(auth: Any, lib: Any, timeout: float = 5.0) -> None:
    """``auth.start()``, again while inproc://zeromq.zap.01 is still taken: libzmq
    releases a closed socket's inproc name on its reaper thread, after close returns."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            auth.start()
            return
        except lib.ZMQError as exc:
            if exc.errno != lib.EADDRINUSE or time.monotonic() > deadline:
                raise
            if auth.zap_socket is not None:  # pyzmq keeps the unbound socket
                auth.zap_socket.close(0)
                auth.zap_socket = None
            time.sleep(0.01)  # a poll interval while the old socket is reaped


class Zap:
    """An Authenticator bound in ``lib.test_ctx`` plus a REQ client standing in for libzmq."""

    def __init__(self, lib: Any, auth_class: Any = None) -> None:
        self.lib = lib
        self.auth_mod = importlib.import_module(f"{lib.__name__}.auth")
        cls = auth_class or self.auth_mod.Authenticator
        self.auth = cls(lib.test_ctx)
        start_when_free(self.auth, lib)
        self.auth.zap_socket.rcvtimeo = 5000
        self.req = make_socket(lib.test_ctx, lib.REQ)
        self.req.connect("inproc://zeromq.zap.01")
        self.ids = 0

    def ask_raw(self, frames: list[bytes]) -> list[bytes]:
        self.req.send_multipart(frames)
        msg = self.auth.zap_socket.recv_multipart()
        asyncio.run(self.auth.handle_zap_message(msg))
        return list(self.req.recv_multipart())

    def ask(
        self,
        mechanism: bytes,
        *credentials: bytes,
        domain: bytes = b"",
        address: bytes = b"127.0.0.1",
    ) -> list[bytes]:
        self.ids += 1
        rid = str(self.ids).encode()
        reply = self.ask_raw([b"1.0", rid, domain, address, b"", mechanism, *credentials])
        assert reply[:2] == [b"1.0", rid] and reply[5] == b"" and len(reply) == 6
        return reply[2:5]  # status code, status text, user id

    def close(self) -> None:
        self.req.close(0)
        self.auth.stop()


@pytest.fixture
def zap(lib: Any) -> Iterator[Zap]:
    z = Zap(lib)
    yield z
    z.close()


def test_key_constant() -> None:
    assert z85.encode(KEY) == KEY_Z85
    zmq_z85 = pytest.importorskip("zmq.utils.z85")
    assert zmq_z85.encode(KEY) == KEY_Z85


def test_null_is_accepted_until_configured(zap: Zap) -> None:
    assert zap.ask(b"NULL") == [b"200", b"OK", b"anonymous"]


def test_plain_without_passwords(zap: Zap) -> None:
    assert zap.ask(b"PLAIN", b"admin", b"secret") == [b"400", b"No passwords defined", b""]


def test_plain_passwords(zap: Zap) -> None:
    zap.auth.configure_plain("*", {"admin": "secret"})
    assert zap.ask(b"PLAIN", b"admin", b"secret") == [b"200", b"OK", b"admin"]
    assert zap.ask(b"PLAIN", b"admin", b"wrong") == [b"400", b"Invalid password", b""]
    assert zap.ask(b"PLAIN", b"nobody", b"secret") == [b"400", b"Invalid username", b""]
    assert zap.ask(b"PLAIN", b"admin", b"secret", domain=b"*") == [b"200", b"OK", b"admin"]
    # a named domain needs passwords of its own: "*" is only for requests without one
    assert zap.ask(b"PLAIN", b"admin", b"secret", domain=b"web") == [
        b"400",
        b"Invalid domain",
        b"",
    ]
    zap.auth.configure_plain("web", {"w": "pw"})
    assert zap.ask(b"PLAIN", b"w", b"pw", domain=b"web") == [b"200", b"OK", b"w"]
    assert zap.ask(b"PLAIN", b"admin") == [b"400", b"Invalid credentials", b""]


def test_plain_passwords_dict_is_live(zap: Zap) -> None:
    passwords = {"admin": "secret"}
    zap.auth.configure_plain("*", passwords)
    passwords["admin"] = "changed"
    assert zap.ask(b"PLAIN", b"admin", b"changed") == [b"200", b"OK", b"admin"]


def test_allow_list(zap: Zap) -> None:
    zap.auth.allow("127.0.0.1", "10.0.0.2")
    assert zap.ask(b"NULL", address=b"10.0.0.2") == [b"200", b"OK", b"anonymous"]
    assert zap.ask(b"NULL", address=b"10.0.0.3") == [b"400", b"Address not allowed", b""]
    # an allowed address still has to authenticate
    assert zap.ask(b"PLAIN", b"a", b"b") == [b"400", b"No passwords defined", b""]
    zap.auth.configure_plain(passwords={"a": "b"})
    assert zap.ask(b"PLAIN", b"a", b"b") == [b"200", b"OK", b"a"]
    assert zap.ask(b"PLAIN", b"a", b"b", address=b"10.0.0.3") == [
        b"400",
        b"Address not allowed",
        b"",
    ]
    # an allowed address passes a mechanism the handler does not know
    assert zap.ask(b"OTHER") == [b"200", b"OK", b"anonymous"]


def test_deny_list(zap: Zap) -> None:
    zap.auth.deny("10.0.0.3")
    assert zap.ask(b"NULL", address=b"10.0.0.3") == [b"400", b"Address denied", b""]
    assert zap.ask(b"NULL", address=b"10.0.0.4") == [b"200", b"OK", b"anonymous"]
    zap.auth.configure_plain(passwords={"a": "b"})
    assert zap.ask(b"PLAIN", b"a", b"b", address=b"10.0.0.3") == [b"400", b"Address denied", b""]
    assert zap.ask(b"PLAIN", b"a", b"x", address=b"10.0.0.4") == [
        b"400",
        b"Invalid password",
        b"",
    ]


def test_allow_and_deny_are_exclusive(lib: Any) -> None:
    auth = importlib.import_module(f"{lib.__name__}.auth").Authenticator(lib.test_ctx)
    auth.allow("127.0.0.1")
    auth.allow("127.0.0.2")  # more of the same is fine
    with pytest.raises(ValueError):
        auth.deny("10.0.0.1")
    auth = importlib.import_module(f"{lib.__name__}.auth").Authenticator(lib.test_ctx)
    auth.deny("10.0.0.1")
    with pytest.raises(ValueError):
        auth.allow("127.0.0.1")


def test_unknown_mechanism_is_refused(zap: Zap) -> None:
    assert zap.ask(b"OTHER") == [b"400", b"NO ACCESS", b""]


def test_malformed_requests(zap: Zap) -> None:
    assert zap.ask_raw([b"2.0", b"7", b"", b"127.0.0.1", b"", b"NULL"]) == [
        b"1.0",
        b"7",
        b"400",
        b"Invalid version",
        b"",
        b"",
    ]
    assert zap.ask_raw([b"1.0", b"8", b""]) == [
        b"1.0",
        b"8",
        b"400",
        b"Not enough frames",
        b"",
        b"",
    ]


def test_gssapi_request_uses_the_principal(zap: Zap) -> None:
    assert zap.ask(b"GSSAPI", b"user@REALM") == [b"200", b"OK", b"user@REALM"]
    assert zap.ask(b"GSSAPI") == [b"400", b"Invalid credentials", b""]


def _curve(zap: Zap) -> None:
    if zap.lib is purezmq and not _purezmq_keys_work():
        pytest.skip("no purezmq crypto backend here (PyNaCl absent, no pure one)")


def test_curve_refused_until_configured(zap: Zap) -> None:
    assert zap.ask(b"CURVE", KEY) == [b"400", b"Unknown domain", b""]


def test_curve_allow_any(zap: Zap) -> None:
    zap.auth.configure_curve(domain="*", location=zap.auth_mod.CURVE_ALLOW_ANY)
    assert zap.ask(b"CURVE", KEY) == [b"200", b"OK", KEY_Z85]
    assert zap.ask(b"CURVE", KEY, domain=b"any") == [b"200", b"OK", KEY_Z85]
    assert zap.ask(b"CURVE", KEY, KEY) == [b"400", b"Invalid credentials", b""]


def test_curve_certificate_directory(zap: Zap, tmp_path: Path) -> None:
    _curve(zap)
    certs = importlib.import_module(f"{zap.lib.__name__}.auth.certs")
    public_file, _ = certs.create_certificates(tmp_path, "client")
    public, _ = certs.load_certificate(public_file)
    raw = z85.decode(public)
    zap.auth.configure_curve(domain="*", location=str(tmp_path))
    assert zap.ask(b"CURVE", raw) == [b"200", b"OK", public]
    assert zap.ask(b"CURVE", KEY) == [b"400", b"Unknown key", b""]
    assert zap.ask(b"CURVE", raw, domain=b"other") == [b"400", b"Unknown domain", b""]
    # the directory is read when configured: a later certificate needs configure_curve again
    (tmp_path / "late.key").write_text(f'curve\n    public-key = "{KEY_Z85.decode()}"\n')
    assert zap.ask(b"CURVE", KEY) == [b"400", b"Unknown key", b""]
    zap.auth.configure_curve(domain="*", location=tmp_path)
    assert zap.ask(b"CURVE", KEY) == [b"200", b"OK", KEY_Z85]


def test_curve_bad_directory_is_logged(zap: Zap, tmp_path: Path, caplog: Any) -> None:
    with caplog.at_level(logging.ERROR):
        zap.auth.configure_curve(domain="*", location=str(tmp_path / "missing"))
    assert any("missing" in r.getMessage() for r in caplog.records)
    assert zap.ask(b"CURVE", KEY) == [b"400", b"Unknown domain", b""]


class Provider:
    def __init__(self, good: bytes, asynchronous: bool = False) -> None:
        self.good = good
        self.asynchronous = asynchronous
        self.calls: list[tuple[str, bytes]] = []

    def callback(self, domain: str, key: bytes) -> Any:
        self.calls.append((domain, key))
        if self.asynchronous:
            return self._later(key)
        return key == self.good

    async def _later(self, key: bytes) -> bool:
        await asyncio.sleep(0)
        return key == self.good


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_curve_callback(zap: Zap, asynchronous: bool) -> None:
    provider = Provider(KEY_Z85, asynchronous)
    zap.auth.configure_curve_callback("*", credentials_provider=provider)
    assert zap.ask(b"CURVE", KEY) == [b"200", b"OK", KEY_Z85]
    assert zap.ask(b"CURVE", bytes(32)) == [b"400", b"Unknown key", b""]
    assert zap.ask(b"CURVE", KEY, domain=b"other") == [b"400", b"Unknown domain", b""]
    assert provider.calls == [("*", KEY_Z85), ("*", b"0" * 40)]


def test_curve_callback_turns_allow_any_off(zap: Zap) -> None:
    zap.auth.configure_curve(location=zap.auth_mod.CURVE_ALLOW_ANY)
    zap.auth.configure_curve_callback("*", Provider(b""))
    assert zap.ask(b"CURVE", KEY) == [b"400", b"Unknown key", b""]
    zap.auth.configure_curve_callback("web", None)  # logged, ignored
    assert "web" not in zap.auth.credentials_providers


def test_curve_user_id_override(lib: Any) -> None:
    base = importlib.import_module(f"{lib.__name__}.auth").Authenticator

    class Named(base):  # type: ignore[misc,valid-type]
        def curve_user_id(self, client_public_key: bytes) -> str:
            return "key-" + client_public_key[:2].hex()

    z = Zap(lib, Named)
    try:
        z.auth.configure_curve(location=z.auth_mod.CURVE_ALLOW_ANY)
        assert z.ask(b"CURVE", KEY) == [b"200", b"OK", b"key-0001"]
    finally:
        z.close()


def test_encoding_of_user_id(lib: Any) -> None:
    auth_cls = importlib.import_module(f"{lib.__name__}.auth").Authenticator
    z = Zap(lib)
    z.close()
    z.auth = auth_cls(lib.test_ctx, encoding="latin-1")
    start_when_free(z.auth, lib)
    z.auth.zap_socket.rcvtimeo = 5000
    z.req = make_socket(lib.test_ctx, lib.REQ)
    z.req.connect("inproc://zeromq.zap.01")
    try:
        z.auth.configure_plain(passwords={"j\u00fcrgen": "pw"})
        assert z.ask(b"PLAIN", "j\u00fcrgen".encode("latin-1"), b"pw") == [
            b"200",
            b"OK",
            "j\u00fcrgen".encode("latin-1"),
        ]
    finally:
        z.close()


def test_handle_zap_message_is_a_coroutine(zap: Zap) -> None:
    zap.req.send_multipart([b"1.0", b"1", b"", b"127.0.0.1", b"", b"NULL"])
    msg = zap.auth.zap_socket.recv_multipart()
    pending: Optional[Any] = zap.auth.handle_zap_message(msg)
    assert asyncio.iscoroutine(pending)
    asyncio.run(pending)
    assert zap.req.recv_multipart()[2] == b"200"


def test_logging_goes_through_log(lib: Any) -> None:
    records: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record.getMessage())

    log = logging.getLogger(f"test.auth.{lib.__name__}")
    log.setLevel(logging.DEBUG)
    log.addHandler(Collect())
    auth = importlib.import_module(f"{lib.__name__}.auth").Authenticator(lib.test_ctx, log=log)
    assert auth.log is log
    auth.allow("127.0.0.1")
    assert records and "127.0.0.1" in records[-1]


def test_start_twice_is_address_in_use(zap: Zap) -> None:
    other = zap.auth_mod.Authenticator(zap.lib.test_ctx)
    with pytest.raises(zap.lib.ZMQError) as info:
        other.start()
    assert info.value.errno == zap.lib.EADDRINUSE


def test_stop_then_start_again(zap: Zap) -> None:
    zap.auth.stop()
    assert zap.auth.zap_socket is None
    zap.auth.stop()  # twice is harmless
    zap.req.close(0)
    start_when_free(zap.auth, zap.lib)
    zap.auth.zap_socket.rcvtimeo = 5000
    zap.req = make_socket(zap.lib.test_ctx, zap.lib.REQ)
    zap.req.connect("inproc://zeromq.zap.01")
    assert zap.ask(b"NULL") == [b"200", b"OK", b"anonymous"]


def test_context_defaults_to_the_instance(lib: Any) -> None:
    auth = importlib.import_module(f"{lib.__name__}.auth").Authenticator()
    assert auth.context is lib.Context.instance()


def test_configure_gssapi_purezmq_refuses() -> None:
    """pyzmq 27 accepts configure_gssapi and does nothing (even where libzmq has no GSSAPI);
    purezmq has no GSSAPI mechanism and says so at once (spec/pyzmq.md)."""
    from purezmq.auth import Authenticator

    assert not purezmq.has("gssapi")
    auth = Authenticator(purezmq.Context())
    with pytest.raises(NotImplementedError, match="GSSAPI"):
        auth.configure_gssapi()
    auth.context.term()


def test_names(lib: Any) -> None:
    mod = importlib.import_module(f"{lib.__name__}.auth")
    for name in (
        "Authenticator",
        "CURVE_ALLOW_ANY",
        "create_certificates",
        "load_certificate",
        "load_certificates",
    ):
        assert hasattr(mod, name), name
    assert mod.CURVE_ALLOW_ANY == "*"
    assert hasattr(importlib.import_module(f"{lib.__name__}.auth.thread"), "ThreadAuthenticator")
