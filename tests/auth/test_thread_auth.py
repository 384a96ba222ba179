"""ThreadAuthenticator end to end: real connections refused or accepted by the ZAP thread.

Same assertions against purezmq and pyzmq (``lib``): server, client and
authenticator all in ``lib.test_ctx`` (a ZAP handler serves its own context).
CURVE connections need purezmq's CURVE mechanism: those tests skip on purezmq
until ``purezmq.has("curve")`` is True, and run against pyzmq meanwhile.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import purezmq
from purezmq.utils import z85
from tests.testing import make_socket, wait_for_event, watch

from .test_zap_handler import KEY, KEY_Z85, Provider, start_when_free


class Setup:
    def __init__(self, lib: Any) -> None:
        self.lib = lib
        self.ctx = lib.test_ctx
        self.auth_mod = importlib.import_module(f"{lib.__name__}.auth")
        self.thread_mod = importlib.import_module(f"{lib.__name__}.auth.thread")
        self.auth = self.thread_mod.ThreadAuthenticator(self.ctx)
        start_when_free(self.auth, lib)
        self.made: list[Any] = []

    def socket(self, kind: int, timeout_ms: int = 5000) -> Any:
        sock = make_socket(self.ctx, kind, timeout_ms)
        self.made.append(sock)
        return sock

    def server(self, configure: Any, timeout_ms: int = 5000) -> tuple[Any, Any, str]:
        server = self.socket(self.lib.PULL, timeout_ms)
        configure(server)
        monitor = watch(server, self.lib.EVENT_HANDSHAKE_FAILED_AUTH)
        self.made.append(monitor)
        port = server.bind_to_random_port("tcp://127.0.0.1")
        return server, monitor, f"tcp://127.0.0.1:{port}"

    def client(self, configure: Any, endpoint: str) -> Any:
        client = self.socket(self.lib.PUSH)
        configure(client)
        client.connect(endpoint)
        return client

    def close(self) -> None:
        for sock in self.made:
            sock.close(0)
        self.auth.stop()


@pytest.fixture
def setup(lib: Any) -> Iterator[Setup]:
    s = Setup(lib)
    yield s
    s.close()


def _plain_server(sock: Any) -> None:
    sock.plain_server = True


def _plain_client(password: bytes) -> Any:
    def configure(sock: Any) -> None:
        sock.plain_username = b"admin"
        sock.plain_password = password

    return configure


def _accepted(setup: Setup, server: Any, client: Any) -> Any:
    client.send(b"hello")
    return server.recv(copy=False)


def _refused(setup: Setup, server: Any, monitor: Any, client: Any) -> None:
    try:
        # libzmq may already have failed the handshake and dropped the client's pipe
        client.send(b"hello", setup.lib.NOBLOCK)
    except setup.lib.Again:
        pass
    events = wait_for_event(monitor, setup.lib.EVENT_HANDSHAKE_FAILED_AUTH)
    assert events[-1][1] == 400  # the ZAP status code
    with pytest.raises(setup.lib.Again):
        server.recv(setup.lib.NOBLOCK)


def _user_id(setup: Setup, frame: Any) -> str:
    if setup.lib is not purezmq and sys.implementation.name == "pypy":
        pytest.skip("pyzmq's cffi backend (PyPy) does not implement Frame.get")
    return str(frame.get("User-Id"))


def test_plain_accepted_with_user_id(setup: Setup) -> None:
    setup.auth.configure_plain("*", {"admin": "secret"})
    server, _, endpoint = setup.server(_plain_server)
    client = setup.client(_plain_client(b"secret"), endpoint)
    frame = _accepted(setup, server, client)
    assert frame.bytes == b"hello"
    assert _user_id(setup, frame) == "admin"


def test_plain_refused(setup: Setup) -> None:
    setup.auth.configure_plain("*", {"admin": "secret"})
    server, monitor, endpoint = setup.server(_plain_server, timeout_ms=300)
    _refused(setup, server, monitor, setup.client(_plain_client(b"wrong"), endpoint))


@pytest.mark.parametrize("rule", ["allow", "deny"])
@pytest.mark.parametrize("listed", [True, False], ids=["listed", "unlisted"])
def test_ip_rules_on_null(setup: Setup, rule: str, listed: bool) -> None:
    """NULL asks ZAP when the server has a ZAP domain."""
    address = "127.0.0.1" if listed else "10.255.255.1"
    getattr(setup.auth, rule)(address)

    def configure(sock: Any) -> None:
        sock.zap_domain = b"global"

    server, monitor, endpoint = setup.server(configure, timeout_ms=300)
    client = setup.client(lambda sock: None, endpoint)
    if (rule == "allow") == listed:
        assert _accepted(setup, server, client).bytes == b"hello"
    else:
        _refused(setup, server, monitor, client)


def test_ip_rules_then_plain(setup: Setup) -> None:
    setup.auth.allow("127.0.0.1")
    setup.auth.configure_plain("*", {"admin": "secret"})
    server, monitor, endpoint = setup.server(_plain_server, timeout_ms=300)
    client = setup.client(_plain_client(b"secret"), endpoint)
    assert _accepted(setup, server, client).bytes == b"hello"
    _refused(setup, server, monitor, setup.client(_plain_client(b"wrong"), endpoint))


def test_stop_and_start_again(setup: Setup) -> None:
    setup.auth.configure_plain("*", {"admin": "secret"})
    assert setup.auth.is_alive()
    setup.auth.stop()
    assert not setup.auth.is_alive() and setup.auth.thread is None
    setup.auth.stop()  # twice is harmless
    start_when_free(setup.auth, setup.lib)
    assert setup.auth.is_alive()
    server, _, endpoint = setup.server(_plain_server)
    client = setup.client(_plain_client(b"secret"), endpoint)
    assert _accepted(setup, server, client).bytes == b"hello"


def test_bad_pipe_command(setup: Setup) -> None:
    setup.auth.pipe.rcvtimeo = 5000
    setup.auth.pipe.send(b"NO-SUCH-COMMAND")
    assert setup.auth.pipe.recv() == b"ERROR"
    assert setup.auth.is_alive()


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_callback_provider_on_the_thread(setup: Setup, asynchronous: bool) -> None:
    """Served by the thread: ZAP requests straight to its socket (no CURVE socket needed)."""
    setup.auth.configure_curve_callback("*", Provider(KEY_Z85, asynchronous))
    req = setup.socket(setup.lib.REQ)
    req.connect("inproc://zeromq.zap.01")
    for key, verdict in [
        (KEY, [b"200", b"OK", KEY_Z85]),
        (bytes(32), [b"400", b"Unknown key", b""]),
    ]:
        req.send_multipart([b"1.0", b"1", b"", b"127.0.0.1", b"", b"CURVE", key])
        assert req.recv_multipart() == [b"1.0", b"1", *verdict, b""]


def test_failing_provider_refuses_and_keeps_serving() -> None:
    """purezmq only: pyzmq's thread ends on the exception and leaves clients unanswered;
    purezmq logs it and replies 500, then goes on answering."""
    from purezmq.auth.thread import ThreadAuthenticator

    class Broken:
        def callback(self, domain: str, key: bytes) -> bool:
            raise RuntimeError("database down")

    ctx = purezmq.Context()
    auth = ThreadAuthenticator(ctx)
    auth.start()
    try:
        auth.configure_curve_callback("*", Broken())
        req = make_socket(ctx, purezmq.REQ)
        req.connect("inproc://zeromq.zap.01")
        req.send_multipart([b"1.0", b"9", b"", b"127.0.0.1", b"", b"CURVE", KEY])
        assert req.recv_multipart() == [b"1.0", b"9", b"500", b"Internal error", b"", b""]
        req.send_multipart([b"1.0", b"10", b"", b"127.0.0.1", b"", b"NULL"])
        assert req.recv_multipart()[2] == b"200"
        assert auth.is_alive()
        req.close(0)
    finally:
        auth.stop()
        ctx.term()


# -- CURVE connections ------------------------------------------------------


def _needs_curve(lib: Any) -> None:
    if lib is purezmq and not purezmq.has("curve"):
        pytest.skip("purezmq has no CURVE mechanism yet (purezmq.has('curve') is False)")


class Keys:
    def __init__(self, lib: Any) -> None:
        self.server_public, self.server_secret = lib.curve_keypair()
        self.public, self.secret = lib.curve_keypair()


def _curve_server(keys: Keys) -> Any:
    def configure(sock: Any) -> None:
        sock.curve_server = True
        sock.curve_secretkey = keys.server_secret

    return configure


def _curve_client(keys: Keys, public: bytes, secret: bytes) -> Any:
    def configure(sock: Any) -> None:
        sock.curve_serverkey = keys.server_public
        sock.curve_publickey = public
        sock.curve_secretkey = secret

    return configure


def test_curve_allow_any(setup: Setup) -> None:
    _needs_curve(setup.lib)
    keys = Keys(setup.lib)
    setup.auth.configure_curve(domain="*", location=setup.auth_mod.CURVE_ALLOW_ANY)
    server, _, endpoint = setup.server(_curve_server(keys))
    client = setup.client(_curve_client(keys, keys.public, keys.secret), endpoint)
    frame = _accepted(setup, server, client)
    assert frame.bytes == b"hello"
    assert _user_id(setup, frame) == keys.public.decode()


def test_curve_certificate_directory(setup: Setup, tmp_path: Path) -> None:
    _needs_curve(setup.lib)
    keys = Keys(setup.lib)
    certs = importlib.import_module(f"{setup.lib.__name__}.auth.certs")
    public_file, secret_file = certs.create_certificates(tmp_path, "client")
    public, secret = certs.load_certificate(secret_file)
    setup.auth.configure_curve(domain="*", location=tmp_path)
    server, monitor, endpoint = setup.server(_curve_server(keys), timeout_ms=300)
    client = setup.client(_curve_client(keys, public, secret), endpoint)
    assert _accepted(setup, server, client).bytes == b"hello"
    # a client whose certificate is not in the directory
    _refused(
        setup,
        server,
        monitor,
        setup.client(_curve_client(keys, keys.public, keys.secret), endpoint),
    )


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_curve_callback(setup: Setup, asynchronous: bool) -> None:
    _needs_curve(setup.lib)
    keys = Keys(setup.lib)
    provider = Provider(keys.public, asynchronous)
    setup.auth.configure_curve_callback("*", credentials_provider=provider)
    server, monitor, endpoint = setup.server(_curve_server(keys), timeout_ms=300)
    client = setup.client(_curve_client(keys, keys.public, keys.secret), endpoint)
    assert _accepted(setup, server, client).bytes == b"hello"
    other_public, other_secret = setup.lib.curve_keypair()
    _refused(
        setup,
        server,
        monitor,
        setup.client(_curve_client(keys, other_public, other_secret), endpoint),
    )
    assert [key for _, key in provider.calls] == [keys.public, other_public]
    assert len(z85.decode(other_public)) == 32
