"""AsyncioAuthenticator (zmq.auth.asyncio) and its deprecated IOLoopAuthenticator
(zmq.auth.ioloop), end to end: real connections refused or accepted by a ZAP
handler answering on the running asyncio loop.

The same assertions against purezmq and pyzmq. Server, client and
authenticator share one asyncio Context (a ZAP handler serves its own
context's sockets); all sockets the test waits on are async, so the loop,
which also runs the handler, is never blocked. Every await is bounded (`w`).
"""

from __future__ import annotations

import asyncio
import importlib
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable

import pytest

from tests.testing import load_lib, terminate

from .test_zap_handler import KEY, KEY_Z85, Provider, start_when_free

T = 5.0  # seconds: the bound of every await


@pytest.fixture(params=["purezmq", "zmq"])
def au(request: Any) -> Iterator[SimpleNamespace]:
    """The library, its asyncio and auth modules, and a fresh asyncio Context."""
    name = request.param
    lib = load_lib(name)
    amod = importlib.import_module(f"{name}.asyncio")
    ctx = amod.Context()
    yield SimpleNamespace(
        zmq=lib,
        asyncio=amod,
        auth=importlib.import_module(f"{name}.auth"),
        auth_asyncio=importlib.import_module(f"{name}.auth.asyncio"),
        certs=importlib.import_module(f"{name}.auth.certs"),
        monitor=importlib.import_module(f"{name}.utils.monitor"),
        ctx=ctx,
        pure=name == "purezmq",
    )
    terminate(ctx)


def run(coro_fn: Callable[[], Any], timeout: float = 30.0) -> Any:
    async def main() -> Any:
        return await asyncio.wait_for(coro_fn(), timeout)

    return asyncio.run(main())


CFFI_FRAME_GET = "pyzmq's cffi backend (PyPy) does not implement Frame.get (message properties)"


def _skip_frame_get_on_cffi(au: SimpleNamespace) -> None:
    if au.zmq.__name__ == "zmq" and sys.implementation.name == "pypy":
        pytest.skip(CFFI_FRAME_GET)


async def w(fut: Any, timeout: float = T) -> Any:
    """The result of `fut`, failing after `timeout` (the future is not cancelled)."""
    done, _ = await asyncio.wait([fut], timeout=timeout)
    assert done, f"{fut!r} not done within {timeout} s"
    return fut.result()


class Rig:
    """An authenticator (started on the running loop) and the sockets of a test."""

    def __init__(self, au: SimpleNamespace, auth: Any = None) -> None:
        self.au = au
        self.zmq = au.zmq
        self.auth = auth if auth is not None else au.auth_asyncio.AsyncioAuthenticator(au.ctx)
        start_when_free(self.auth, au.zmq)
        self.made: list[Any] = []

    def socket(self, kind: int) -> Any:
        sock = self.au.ctx.socket(kind)
        sock.linger = 0
        self.made.append(sock)
        return sock

    def server(self, configure: Callable[[Any], None]) -> tuple[Any, Any, str]:
        server = self.socket(self.zmq.PULL)
        configure(server)
        monitor = server.get_monitor_socket(self.zmq.EVENT_HANDSHAKE_FAILED_AUTH)
        monitor.linger = 0
        self.made.append(monitor)
        port = server.bind_to_random_port("tcp://127.0.0.1")
        return server, monitor, f"tcp://127.0.0.1:{port}"

    def client(self, configure: Callable[[Any], None], endpoint: str) -> Any:
        client = self.socket(self.zmq.PUSH)
        configure(client)
        client.connect(endpoint)
        return client

    async def accepted(self, server: Any, client: Any) -> Any:
        await w(client.send(b"hello"))
        return await w(server.recv(copy=False))

    async def refused(self, server: Any, monitor: Any, client: Any) -> None:
        z = self.zmq
        try:
            # libzmq may already have failed the handshake and dropped the pipe
            await w(client.send(b"hello", z.NOBLOCK))
        except z.Again:
            pass
        event = self.au.monitor.parse_monitor_message(await w(monitor.recv_multipart()))
        assert event["event"] == z.EVENT_HANDSHAKE_FAILED_AUTH
        assert event["value"] == 400  # the ZAP status code
        with pytest.raises(z.Again):
            await w(server.recv(z.NOBLOCK))

    def close(self) -> None:
        for sock in self.made:
            sock.close(linger=0)
        self.auth.stop()


def plain_server(sock: Any) -> None:
    sock.plain_server = True


def plain_client(password: bytes) -> Callable[[Any], None]:
    def configure(sock: Any) -> None:
        sock.plain_username = b"admin"
        sock.plain_password = password

    return configure


# -- PLAIN and addresses -----------------------------------------------------------


def test_plain_accepted_with_user_id_and_refused(au: SimpleNamespace) -> None:
    _skip_frame_get_on_cffi(au)

    async def main() -> None:
        rig = Rig(au)
        try:
            rig.auth.configure_plain("*", {"admin": "secret"})
            server, monitor, endpoint = rig.server(plain_server)
            frame = await rig.accepted(server, rig.client(plain_client(b"secret"), endpoint))
            assert frame.bytes == b"hello"
            assert frame.get("User-Id") == "admin"
            await rig.refused(server, monitor, rig.client(plain_client(b"wrong"), endpoint))
        finally:
            rig.close()

    run(main)


@pytest.mark.parametrize("rule", ["allow", "deny"])
@pytest.mark.parametrize("listed", [True, False], ids=["listed", "unlisted"])
def test_ip_rules_on_null(au: SimpleNamespace, rule: str, listed: bool) -> None:
    _skip_frame_get_on_cffi(au)
    """NULL asks ZAP when the server has a ZAP domain."""

    async def main() -> None:
        rig = Rig(au)
        try:
            getattr(rig.auth, rule)("127.0.0.1" if listed else "10.255.255.1")

            def configure(sock: Any) -> None:
                sock.zap_domain = b"global"

            server, monitor, endpoint = rig.server(configure)
            client = rig.client(lambda sock: None, endpoint)
            if (rule == "allow") == listed:
                frame = await rig.accepted(server, client)
                assert frame.bytes == b"hello"
                assert frame.get("User-Id") == "anonymous"
            else:
                await rig.refused(server, monitor, client)
        finally:
            rig.close()

    run(main)


def test_ip_rules_then_plain(au: SimpleNamespace) -> None:
    async def main() -> None:
        rig = Rig(au)
        try:
            rig.auth.allow("127.0.0.1")
            rig.auth.configure_plain("*", {"admin": "secret"})
            server, monitor, endpoint = rig.server(plain_server)
            client = rig.client(plain_client(b"secret"), endpoint)
            assert (await rig.accepted(server, client)).bytes == b"hello"
            await rig.refused(server, monitor, rig.client(plain_client(b"wrong"), endpoint))
        finally:
            rig.close()

    run(main)


# -- life cycle ----------------------------------------------------------------------


def test_stop_and_start_again(au: SimpleNamespace) -> None:
    async def main() -> None:
        rig = Rig(au)
        try:
            rig.auth.configure_plain("*", {"admin": "secret"})
            rig.auth.stop()
            assert rig.auth.zap_socket is None
            rig.auth.stop()  # twice is harmless
            start_when_free(rig.auth, au.zmq)
            server, _, endpoint = rig.server(plain_server)
            client = rig.client(plain_client(b"secret"), endpoint)
            assert (await rig.accepted(server, client)).bytes == b"hello"
        finally:
            rig.close()

    run(main)


def test_loop_argument_is_deprecated_and_ignored(au: SimpleNamespace) -> None:
    async def main() -> None:
        with pytest.warns(DeprecationWarning):
            auth = au.auth_asyncio.AsyncioAuthenticator(au.ctx, loop=asyncio.get_running_loop())
        rig = Rig(au, auth)
        try:
            rig.auth.configure_plain("*", {"admin": "secret"})
            server, _, endpoint = rig.server(plain_server)
            client = rig.client(plain_client(b"secret"), endpoint)
            assert (await rig.accepted(server, client)).bytes == b"hello"
        finally:
            rig.close()

    run(main)


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_callback_provider_served_on_the_loop(au: SimpleNamespace, asynchronous: bool) -> None:
    """ZAP requests straight to the handler's socket; an async provider is awaited on the loop."""

    async def main() -> None:
        rig = Rig(au)
        try:
            rig.auth.configure_curve_callback("*", Provider(KEY_Z85, asynchronous))
            req = rig.socket(au.zmq.REQ)
            req.connect("inproc://zeromq.zap.01")
            for key, verdict in [
                (KEY, [b"200", b"OK", KEY_Z85]),
                (bytes(32), [b"400", b"Unknown key", b""]),
            ]:
                await w(req.send_multipart([b"1.0", b"1", b"", b"127.0.0.1", b"", b"CURVE", key]))
                assert await w(req.recv_multipart()) == [b"1.0", b"1", *verdict, b""]
        finally:
            rig.close()

    run(main)


def test_failing_provider_refuses_and_keeps_serving(au: SimpleNamespace) -> None:
    """purezmq only: pyzmq's task ends on the exception and leaves later clients
    unanswered; purezmq logs it and replies 500, then goes on answering."""
    if not au.pure:
        pytest.skip("pyzmq's AsyncioAuthenticator stops serving on a provider's exception")

    class Broken:
        def callback(self, domain: str, key: bytes) -> bool:
            raise RuntimeError("database down")

    async def main() -> None:
        rig = Rig(au)
        try:
            rig.auth.configure_curve_callback("*", Broken())
            req = rig.socket(au.zmq.REQ)
            req.connect("inproc://zeromq.zap.01")
            await w(req.send_multipart([b"1.0", b"9", b"", b"127.0.0.1", b"", b"CURVE", KEY]))
            assert await w(req.recv_multipart()) == [
                b"1.0",
                b"9",
                b"500",
                b"Internal error",
                b"",
                b"",
            ]
            await w(req.send_multipart([b"1.0", b"10", b"", b"127.0.0.1", b"", b"NULL"]))
            assert (await w(req.recv_multipart()))[2] == b"200"
        finally:
            rig.close()

    run(main)


# -- CURVE ---------------------------------------------------------------------------


class Keys:
    def __init__(self, lib: Any) -> None:
        self.server_public, self.server_secret = lib.curve_keypair()
        self.public, self.secret = lib.curve_keypair()


def curve_server(keys: Keys) -> Callable[[Any], None]:
    def configure(sock: Any) -> None:
        sock.curve_server = True
        sock.curve_secretkey = keys.server_secret

    return configure


def curve_client(keys: Keys, public: bytes, secret: bytes) -> Callable[[Any], None]:
    def configure(sock: Any) -> None:
        sock.curve_serverkey = keys.server_public
        sock.curve_publickey = public
        sock.curve_secretkey = secret

    return configure


def test_curve_allow_any(au: SimpleNamespace) -> None:
    _skip_frame_get_on_cffi(au)

    async def main() -> None:
        rig = Rig(au)
        try:
            keys = Keys(au.zmq)
            rig.auth.configure_curve(domain="*", location=au.auth.CURVE_ALLOW_ANY)
            server, _, endpoint = rig.server(curve_server(keys))
            client = rig.client(curve_client(keys, keys.public, keys.secret), endpoint)
            frame = await rig.accepted(server, client)
            assert frame.bytes == b"hello"
            assert frame.get("User-Id") == keys.public.decode()
        finally:
            rig.close()

    run(main)


def test_curve_certificate_directory(au: SimpleNamespace, tmp_path: Path) -> None:
    _skip_frame_get_on_cffi(au)

    async def main() -> None:
        rig = Rig(au)
        try:
            keys = Keys(au.zmq)
            _, secret_file = au.certs.create_certificates(tmp_path, "client")
            public, secret = au.certs.load_certificate(secret_file)
            rig.auth.configure_curve(domain="*", location=tmp_path)
            server, monitor, endpoint = rig.server(curve_server(keys))
            frame = await rig.accepted(
                server, rig.client(curve_client(keys, public, secret), endpoint)
            )
            assert frame.bytes == b"hello"
            assert frame.get("User-Id") == public.decode()
            # a client whose certificate is not in the directory
            stranger = rig.client(curve_client(keys, keys.public, keys.secret), endpoint)
            await rig.refused(server, monitor, stranger)
        finally:
            rig.close()

    run(main)


def test_curve_async_callback_over_a_real_connection(au: SimpleNamespace) -> None:
    async def main() -> None:
        rig = Rig(au)
        try:
            keys = Keys(au.zmq)
            provider = Provider(keys.public, asynchronous=True)
            rig.auth.configure_curve_callback("*", credentials_provider=provider)
            server, monitor, endpoint = rig.server(curve_server(keys))
            client = rig.client(curve_client(keys, keys.public, keys.secret), endpoint)
            assert (await rig.accepted(server, client)).bytes == b"hello"
            other_public, other_secret = au.zmq.curve_keypair()
            other = rig.client(curve_client(keys, other_public, other_secret), endpoint)
            await rig.refused(server, monitor, other)
            assert [key for _, key in provider.calls] == [keys.public, other_public]
        finally:
            rig.close()

    run(main)


# -- zmq.auth.ioloop (deprecated) ---------------------------------------------------------


def test_ioloop_authenticator_is_the_asyncio_one_deprecated(au: SimpleNamespace) -> None:
    _skip_frame_get_on_cffi(au)
    pytest.importorskip("tornado.ioloop", reason="the test runs the handler on tornado's IOLoop")
    from tornado.ioloop import IOLoop

    name = f"{au.zmq.__name__}.auth.ioloop"
    sys.modules.pop(name, None)
    with pytest.warns(DeprecationWarning, match="AsyncioAuthenticator"):
        ioloop_mod = importlib.import_module(name)
    cls = ioloop_mod.IOLoopAuthenticator
    assert issubclass(cls, au.auth_asyncio.AsyncioAuthenticator)
    assert ioloop_mod.__all__ == ["IOLoopAuthenticator"]

    async def main() -> None:
        with pytest.warns(DeprecationWarning):
            auth = cls(au.ctx, io_loop=IOLoop.current())
        rig = Rig(au, auth)
        try:
            rig.auth.configure_plain("*", {"admin": "secret"})
            server, monitor, endpoint = rig.server(plain_server)
            frame = await rig.accepted(server, rig.client(plain_client(b"secret"), endpoint))
            assert frame.get("User-Id") == "admin"
            await rig.refused(server, monitor, rig.client(plain_client(b"wrong"), endpoint))
        finally:
            rig.close()

    loop = IOLoop()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # only the ones asserted above
            loop.run_sync(main, timeout=30)
    finally:
        loop.close()
