"""zmq.ssh: the names pyzmq has, select_random_ports, and the errors when pexpect
or paramiko is missing or ssh fails. No SSH server runs here, so no tunnel is
actually made. Same assertions against purezmq and real pyzmq, except one case
where pyzmq misses the failure (see there)."""

from __future__ import annotations

import importlib
import shutil
import socket
from typing import Any

import pytest


@pytest.fixture(params=["purezmq", "zmq"])
def lib(request: Any) -> Any:
    return pytest.importorskip(request.param)


@pytest.fixture
def ssh(lib: Any) -> Any:
    return importlib.import_module(f"{lib.__name__}.ssh")


@pytest.fixture
def tunnel(lib: Any) -> Any:
    return importlib.import_module(f"{lib.__name__}.ssh.tunnel")


def _closed_port() -> int:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port: int = probe.getsockname()[1]
    probe.close()
    return port


def test_names(ssh: Any, tunnel: Any) -> None:
    for name in (
        "tunnel_connection",
        "openssh_tunnel",
        "paramiko_tunnel",
        "ssh_tunnel",
        "try_passwordless_ssh",
    ):
        assert callable(getattr(ssh, name)), name
    assert callable(tunnel.open_tunnel) and callable(tunnel.select_random_ports)
    assert issubclass(tunnel.SSHException, Exception)
    assert issubclass(tunnel.MaxRetryExceeded, Exception)
    assert tunnel.ssh_tunnel is tunnel.openssh_tunnel  # off Windows


def test_select_random_ports(tunnel: Any) -> None:
    ports = tunnel.select_random_ports(5)
    assert len(ports) == len(set(ports)) == 5
    assert all(isinstance(p, int) and 0 < p < 65536 for p in ports)
    for port in ports:  # released again: each can be bound
        probe = socket.socket()
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("", port))
        finally:
            probe.close()
    assert tunnel.select_random_ports(0) == []


def test_without_pexpect(tunnel: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(tunnel, "pexpect", None)
    with pytest.raises(ImportError, match="pexpect unavailable"):
        tunnel.openssh_tunnel(1, 2, "nobody@127.0.0.1")
    with pytest.raises(ImportError, match="pexpect unavailable"):
        tunnel.try_passwordless_ssh("nobody@127.0.0.1", None, paramiko=False)
    with pytest.raises(ImportError, match="pexpect unavailable"):
        tunnel.open_tunnel("tcp://10.0.0.1:5555", "nobody@127.0.0.1", paramiko=False)


def test_without_paramiko(tunnel: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(tunnel, "paramiko", None)
    with pytest.raises(ImportError, match="Paramiko not available"):
        tunnel.paramiko_tunnel(1, 2, "nobody@127.0.0.1")
    with pytest.raises(ImportError, match="Paramiko unavailable, use OpenSSH"):
        tunnel.try_passwordless_ssh("nobody@127.0.0.1", None, paramiko=True)
    with pytest.raises(ImportError, match="Paramiko not available"):
        tunnel.open_tunnel("tcp://10.0.0.1:5555", "nobody@127.0.0.1", paramiko=True)


def test_tunnel_connection_needs_a_tcp_address(tunnel: Any) -> None:
    with pytest.raises(ValueError):
        tunnel.open_tunnel("ipc:///tmp/sock", "nobody@127.0.0.1")


def _need_ssh_and_pexpect(tunnel: Any) -> None:
    if tunnel.pexpect is None:
        pytest.skip("pexpect is not installed")
    if shutil.which("ssh") is None:
        pytest.skip("no ssh client on PATH")


def test_passwordless_check_with_no_server(tunnel: Any) -> None:
    """ssh ends at once (connection refused) without asking for a password."""
    _need_ssh_and_pexpect(tunnel)
    assert tunnel.try_passwordless_ssh(f"nobody@127.0.0.1:{_closed_port()}", None, False)


def test_openssh_tunnel_to_no_server_fails(lib: Any, tunnel: Any) -> None:
    _need_ssh_and_pexpect(tunnel)
    if lib.__name__ == "zmq":
        pytest.skip(
            "pyzmq reads the ssh child's exit status before reaping it (still None), "
            "so a tunnel whose ssh failed is returned as if it had started"
        )
    port = _closed_port()
    with pytest.raises(RuntimeError, match="failed to start") as info:
        tunnel.openssh_tunnel(port, port, f"nobody@127.0.0.1:{port}", timeout=1)
    assert "exit status 255" in str(info.value)
