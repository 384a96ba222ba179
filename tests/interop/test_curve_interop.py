"""CURVE (RFC 25/26) and ZAP for CURVE (RFC 27) between purezmq and libzmq (pyzmq).

Every test runs in each direction (purezmq server with a pyzmq client, the
reverse, and purezmq on both sides); the ZAP handler (`tests.testing.ZapHandler`)
runs in whichever library the server uses.
"""

from __future__ import annotations

import errno
import os
import socket
import struct
import sys
import threading
from collections.abc import Iterator
from typing import Any, Callable, Optional

import pytest

import purezmq
from purezmq import crypto
from purezmq.utils import z85
from purezmq.zmtp.errors import ZMTP_CRYPTOGRAPHIC
from tests.testing import ZapHandler, make_socket, split_frames, wait_for_event, watch

zmq = pytest.importorskip("zmq")

SERVER_PUBLIC, SERVER_SECRET = crypto.keypair()
CLIENT_PUBLIC, CLIENT_SECRET = crypto.keypair()

LIBS = {"purezmq": purezmq, "pyzmq": zmq}
DIRECTIONS = [("purezmq", "pyzmq"), ("pyzmq", "purezmq"), ("purezmq", "purezmq")]
DIRECTION_IDS = ["purezmq-server", "pyzmq-server", "purezmq-both"]


def curve_zap(
    lib: Any, ctx: Any, allowed: Optional[set[bytes]] = None, user_id: bytes = b"alice"
) -> ZapHandler:
    """Accepts the CURVE keys in `allowed` (None: every key), with `user_id` as User-Id."""

    def decide(request: list[bytes]) -> tuple[bytes, bytes, bytes]:
        ok = request[5] == b"CURVE" and (allowed is None or request[6] in allowed)
        return (b"200", b"OK", user_id) if ok else (b"400", b"Unknown key", b"")

    return ZapHandler(lib, ctx, decide)


@pytest.fixture
def contexts(pyctx: Any, ctx: purezmq.Context) -> dict[str, Any]:
    return {"purezmq": ctx, "pyzmq": pyctx}


def _server(lib: Any, ctx: Any, kind: str, timeout_ms: int = 5000) -> Any:
    s = make_socket(ctx, getattr(lib, kind), timeout_ms)
    s.curve_server = 1
    s.curve_secretkey = SERVER_SECRET
    s.curve_publickey = SERVER_PUBLIC
    return s


def _client(
    lib: Any, ctx: Any, kind: str, server_key: bytes = SERVER_PUBLIC, timeout_ms: int = 5000
) -> Any:
    s = make_socket(ctx, getattr(lib, kind), timeout_ms)
    s.curve_serverkey = server_key
    s.curve_publickey = CLIENT_PUBLIC
    s.curve_secretkey = CLIENT_SECRET
    return s


def _endpoint(transport: str, ipc_dir: str) -> str:
    if transport == "tcp":
        return "tcp://127.0.0.1:0"
    return f"ipc://{ipc_dir}/curve.sock"


def _bind(sock: Any, transport: str, ipc_dir: str) -> str:
    sock.bind(_endpoint(transport, ipc_dir))
    addr = sock.last_endpoint
    return addr.decode() if isinstance(addr, bytes) else str(addr)


# ---------------------------------------------------------------------------
# Both directions, tcp and ipc, with and without a ZAP handler
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("zap", [False, True], ids=["no-zap", "zap"])
@pytest.mark.parametrize("transport", ["tcp", "ipc"])
@pytest.mark.parametrize("roles", DIRECTIONS, ids=DIRECTION_IDS)
def test_push_pull_over_curve(
    roles: tuple[str, str], transport: str, zap: bool, contexts: dict[str, Any], ipc_dir: str
) -> None:
    if transport == "ipc" and not hasattr(socket, "AF_UNIX"):
        pytest.skip("no Unix-domain sockets here")
    slib, clib = LIBS[roles[0]], LIBS[roles[1]]
    handler = curve_zap(slib, contexts[roles[0]]) if zap else None
    try:
        server = _server(slib, contexts[roles[0]], "PULL")
        addr = _bind(server, transport, ipc_dir)
        client = _client(clib, contexts[roles[1]], "PUSH")
        client.connect(addr)
        big = os.urandom(100_000)
        client.send_multipart([b"hello", b"", big])
        client.send(b"second")
        assert server.recv_multipart() == [b"hello", b"", big]
        assert server.recv() == b"second"
        assert server.getsockopt(slib.MECHANISM) == slib.CURVE
        assert client.getsockopt(clib.MECHANISM) == clib.CURVE
        if handler is not None:
            # ZAP saw the client's long-term public key, 32 raw bytes
            (req,) = handler.requests
            assert req[0] == b"1.0"
            assert req[5] == b"CURVE" and req[6:] == [CLIENT_PUBLIC]
        client.close(0)
        server.close(0)
    finally:
        if handler is not None:
            handler.close()


@pytest.mark.parametrize("roles", DIRECTIONS, ids=DIRECTION_IDS)
def test_wrong_server_key_no_connection_and_the_monitor_says_why(
    roles: tuple[str, str], contexts: dict[str, Any]
) -> None:
    slib, clib = LIBS[roles[0]], LIBS[roles[1]]
    server = _server(slib, contexts[roles[0]], "PULL", timeout_ms=300)
    monitor = watch(server)
    addr = _bind(server, "tcp", "")
    wrong, _ = crypto.keypair()
    client = _client(clib, contexts[roles[1]], "PUSH", server_key=wrong)
    client.connect(addr)
    client.send(b"must not arrive")
    seen = wait_for_event(monitor, slib.EVENT_HANDSHAKE_FAILED_PROTOCOL)
    assert seen[-1][1] == ZMTP_CRYPTOGRAPHIC  # the HELLO box does not open
    assert slib.EVENT_HANDSHAKE_SUCCEEDED not in [e for e, _, _ in seen]
    with pytest.raises(slib.Again):
        server.recv()
    monitor.close(0)
    client.close(0)
    server.close(0)


@pytest.mark.parametrize("roles", DIRECTIONS, ids=DIRECTION_IDS)
def test_refused_client_key(roles: tuple[str, str], contexts: dict[str, Any]) -> None:
    slib, clib = LIBS[roles[0]], LIBS[roles[1]]
    handler = curve_zap(slib, contexts[roles[0]], allowed={SERVER_PUBLIC})  # not the client
    try:
        server = _server(slib, contexts[roles[0]], "PULL", timeout_ms=300)
        smon = watch(server)
        addr = _bind(server, "tcp", "")
        client = _client(clib, contexts[roles[1]], "PUSH")
        cmon = watch(client)
        client.connect(addr)
        client.send(b"must not arrive")
        s_seen = wait_for_event(smon, slib.EVENT_HANDSHAKE_FAILED_AUTH)
        c_seen = wait_for_event(cmon, clib.EVENT_HANDSHAKE_FAILED_AUTH)
        assert s_seen[-1][1] == 400 and c_seen[-1][1] == 400
        with pytest.raises(slib.Again):
            server.recv()
        assert handler.requests[0][6:] == [CLIENT_PUBLIC]
        for s in (smon, cmon, client, server):
            s.close(0)
    finally:
        handler.close()


@pytest.mark.parametrize("domain", [b"", b"global"], ids=["no-domain", "domain"])
@pytest.mark.parametrize("server_lib", ["purezmq", "pyzmq"])
def test_zap_enforce_domain_without_handler(
    server_lib: str, domain: bytes, contexts: dict[str, Any]
) -> None:
    """libzmq 4.3.5: a CURVE server with no ZAP handler accepts everyone,
    unless ZAP_ENFORCE_DOMAIN is set with a ZAP_DOMAIN: then the handshake
    fails (HANDSHAKE_FAILED_NO_DETAIL, EFAULT). Without a domain the flag
    changes nothing."""
    slib = LIBS[server_lib]
    server = _server(slib, contexts[server_lib], "PULL", timeout_ms=300)
    server.zap_enforce_domain = 1
    if domain:
        server.zap_domain = domain
    smon = watch(server)
    addr = _bind(server, "tcp", "")
    client = _client(purezmq, contexts["purezmq"], "PUSH")
    client.connect(addr)
    client.send(b"hello")
    if domain:
        seen = wait_for_event(smon, slib.EVENT_HANDSHAKE_FAILED_NO_DETAIL)
        assert seen[-1][1] == errno.EFAULT
        assert slib.EVENT_HANDSHAKE_SUCCEEDED not in [e for e, _, _ in seen]
        with pytest.raises(slib.Again):
            server.recv()
    else:
        assert server.recv() == b"hello"
    smon.close(0)
    client.close(0)
    server.close(0)


@pytest.mark.parametrize(
    "roles", [("purezmq", "pyzmq"), ("pyzmq", "purezmq")], ids=DIRECTION_IDS[:2]
)
def test_user_id_from_zap_is_a_message_property(
    roles: tuple[str, str], contexts: dict[str, Any]
) -> None:
    slib, clib = LIBS[roles[0]], LIBS[roles[1]]
    if slib is not purezmq and sys.implementation.name == "pypy":
        pytest.skip("pyzmq's cffi backend (PyPy) does not implement Frame.get")
    handler = curve_zap(slib, contexts[roles[0]], user_id=b"alice")
    try:
        server = _server(slib, contexts[roles[0]], "PULL")
        addr = _bind(server, "tcp", "")
        client = _client(clib, contexts[roles[1]], "PUSH")
        client.connect(addr)
        client.send(b"who am I")
        frame = server.recv(copy=False)
        assert frame.bytes == b"who am I"
        assert frame.get("User-Id") == "alice"
        client.close(0)
        server.close(0)
    finally:
        handler.close()


# ---------------------------------------------------------------------------
# Each pattern once over CURVE
# ---------------------------------------------------------------------------


def _req_rep(server: Any, client: Any) -> None:
    client.send(b"question")
    assert server.recv() == b"question"
    server.send(b"answer")
    assert client.recv() == b"answer"


def _dealer_router(server: Any, client: Any) -> None:
    client.send_multipart([b"a", b"b"])
    rid, a, b = server.recv_multipart()
    assert (a, b) == (b"a", b"b")
    server.send_multipart([rid, b"back"])
    assert client.recv() == b"back"


def _pub_sub(server: Any, client: Any) -> None:
    client.setsockopt(zmq.SUBSCRIBE, b"news")
    for _ in range(200):  # until the subscription has crossed (its command is boxed too)
        server.send(b"news flash")
        if client.poll(25):
            break
    assert client.recv() == b"news flash"


PATTERNS: dict[str, tuple[str, str, Callable[[Any, Any], None]]] = {
    "REQ-REP": ("REP", "REQ", _req_rep),
    "DEALER-ROUTER": ("ROUTER", "DEALER", _dealer_router),
    "PUB-SUB": ("PUB", "SUB", _pub_sub),
}


@pytest.mark.parametrize("pattern", list(PATTERNS))
@pytest.mark.parametrize("roles", DIRECTIONS[:2], ids=DIRECTION_IDS[:2])
def test_patterns_over_curve(
    roles: tuple[str, str], pattern: str, contexts: dict[str, Any]
) -> None:
    slib, clib = LIBS[roles[0]], LIBS[roles[1]]
    skind, ckind, run = PATTERNS[pattern]
    server = _server(slib, contexts[roles[0]], skind)
    addr = _bind(server, "tcp", "")
    client = _client(clib, contexts[roles[1]], ckind)
    client.connect(addr)
    run(server, client)
    client.close(0)
    server.close(0)


# ---------------------------------------------------------------------------
# The handshake on the wire: the same commands and sizes as libzmq
# ---------------------------------------------------------------------------


class Relay:
    """A plain TCP relay that records what each side sends."""

    def __init__(self, target_port: int) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.target = target_port
        self.c2s = bytearray()
        self.s2c = bytearray()
        self.threads: list[threading.Thread] = []
        self.socks: list[socket.socket] = []
        t = threading.Thread(target=self._accept, daemon=True)
        t.start()
        self.threads.append(t)

    def _accept(self) -> None:
        self.listener.settimeout(10)
        try:
            a, _ = self.listener.accept()
        except OSError:
            return
        b = socket.create_connection(("127.0.0.1", self.target), timeout=10)
        self.socks += [a, b]
        for src, dst, log in ((a, b, self.c2s), (b, a, self.s2c)):
            t = threading.Thread(target=self._pump, args=(src, dst, log), daemon=True)
            t.start()
            self.threads.append(t)

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket, log: bytearray) -> None:
        src.settimeout(10)
        while True:
            try:
                data = src.recv(65536)
            except OSError:
                return
            if not data:
                return
            log += data
            try:
                dst.sendall(data)
            except OSError:
                return

    def close(self) -> None:
        for s in [self.listener, *self.socks]:
            s.close()


def _shape(data: bytes) -> list[tuple[str, int]]:
    """(command name or "data", body size) of every frame after the greeting."""
    out = []
    for flags, body in split_frames(bytes(data[64:])):
        name = body[1 : 1 + body[0]].decode() if flags & 0x04 else "data:" + body[1:8].decode()
        out.append((name, len(body)))
    return out


def _capture(slib: Any, sctx: Any, clib: Any, cctx: Any) -> tuple[list[Any], list[Any]]:
    server = _server(slib, sctx, "PULL")
    port = int(_bind(server, "tcp", "").rsplit(":", 1)[1])
    relay = Relay(port)
    client = _client(clib, cctx, "PUSH")
    client.connect(f"tcp://127.0.0.1:{relay.port}")
    client.send_multipart([b"x" * 10, b""])
    assert server.recv_multipart() == [b"x" * 10, b""]
    client.close(0)
    server.close(0)
    for t in relay.threads:
        t.join(10)
    relay.close()
    assert relay.c2s[:1] == b"\xff" and relay.s2c[:1] == b"\xff"
    return _shape(relay.c2s), _shape(relay.s2c)


def test_handshake_bytes_match_libzmq(contexts: dict[str, Any]) -> None:
    ref = _capture(zmq, contexts["pyzmq"], zmq, contexts["pyzmq"])
    ours = _capture(purezmq, contexts["purezmq"], purezmq, contexts["purezmq"])
    assert ours == ref
    c2s, s2c = ref
    assert c2s[:2] == [("HELLO", 200), ("INITIATE", 257 + len(_meta(b"PUSH")))]
    assert s2c == [("WELCOME", 168), ("READY", 30 + len(_meta(b"PULL")))]
    # MESSAGE boxes are flagless data frames, 33 bytes over their frame
    assert c2s[2:] == [("data:MESSAGE", 33 + 10), ("data:MESSAGE", 33)]


def _meta(socket_type: bytes) -> bytes:
    return b"\x0bSocket-Type" + struct.pack(">I", len(socket_type)) + socket_type


# ---------------------------------------------------------------------------
# The options, as libzmq takes them (same assertions on both libraries)
# ---------------------------------------------------------------------------


@pytest.fixture(params=["purezmq", "pyzmq"])
def olib(request: Any, contexts: dict[str, Any]) -> Iterator[tuple[Any, Any]]:
    yield LIBS[request.param], contexts[request.param]


def test_key_options_accept_raw_and_z85(olib: tuple[Any, Any]) -> None:
    lib, ctx = olib
    s = ctx.socket(lib.DEALER)
    text = z85.encode(SERVER_PUBLIC)
    for option in (lib.CURVE_PUBLICKEY, lib.CURVE_SECRETKEY, lib.CURVE_SERVERKEY):
        for value in (SERVER_PUBLIC, text, text + b"\x00"):
            s.setsockopt(option, value)
        s.setsockopt_string(option, text.decode())
        for bad in (b"", b"x" * 31, b"x" * 33, b"~" * 40, text + b"x", text[:39]):
            with pytest.raises(lib.ZMQError) as info:
                s.setsockopt(option, bad)
            assert info.value.errno == lib.EINVAL
        with pytest.raises(TypeError):
            s.setsockopt(option, text.decode())
        # libzmq answers only a 32- or 41-byte buffer; pyzmq asks with another size
        with pytest.raises(lib.ZMQError) as info:
            s.getsockopt(option)
        assert info.value.errno == lib.EINVAL
    s.close(0)


def test_which_option_makes_a_curve_client_or_server(olib: tuple[Any, Any]) -> None:
    lib, ctx = olib

    def fresh() -> Any:
        return ctx.socket(lib.DEALER)

    def state(s: Any) -> tuple[int, int, int]:
        got = (s.getsockopt(lib.MECHANISM), s.curve_server, s.plain_server)
        s.close(0)
        return got

    s = fresh()
    assert (s.getsockopt(lib.MECHANISM), s.curve_server) == (lib.NULL, 0)
    s.curve_server = 1
    assert state(s) == (lib.CURVE, 1, 0)
    s = fresh()
    s.curve_serverkey = SERVER_PUBLIC  # a client
    assert state(s) == (lib.CURVE, 0, 0)
    s = fresh()
    s.curve_server = 1
    s.curve_server = 0  # back to NULL
    assert state(s) == (lib.NULL, 0, 0)
    s = fresh()
    s.curve_server = 1
    s.curve_serverkey = SERVER_PUBLIC  # the server key makes it a client again
    assert state(s) == (lib.CURVE, 0, 0)
    s = fresh()
    s.plain_server = 1
    s.curve_secretkey = SERVER_SECRET  # one "as server" flag behind both
    assert state(s) == (lib.CURVE, 1, 0)
    s = fresh()
    s.curve_server = 1
    s.plain_username = b"u"  # PLAIN client now
    assert state(s) == (lib.PLAIN, 0, 0)
    s = fresh()
    with pytest.raises(lib.ZMQError):
        s.curve_server = 2
    s.close(0)
