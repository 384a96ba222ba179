"""SSH tunnels for ZeroMQ connections: reach ``tcp://ip:port`` as seen from an SSH server.

``tunnel_connection(sock, "tcp://10.0.0.5:5555", "user@gateway")`` picks a free local
port, forwards it through ``gateway`` to 10.0.0.5:5555 and connects `sock` to
``tcp://127.0.0.1:<local port>``.

Two ways to build the tunnel, both optional dependencies, as in pyzmq:

* ``openssh_tunnel`` runs the system ``ssh`` client (``ssh -f -L ... sleep <timeout>``)
  under ``pexpect`` so it can answer a password prompt. Without pexpect it raises
  ``ImportError``. When an OpenSSH control master for the server is already running, the
  forward is added to it (``ssh -O forward``) and cancelled at exit.
* ``paramiko_tunnel`` forwards in a child process with paramiko (what Windows uses).
  Without paramiko it raises ``ImportError``.

The default (``paramiko=None``) is paramiko on Windows and OpenSSH elsewhere. A tunnel
made by ``ssh -f ... sleep <timeout>`` closes once it has been idle: it stays up at
least `timeout` seconds for the first connection and then as long as one is open.
"""

from __future__ import annotations

import atexit
import importlib
import os
import re
import shlex
import signal
import socket
import sys
import time
import warnings
from getpass import getpass, getuser
from typing import Any, Optional

pexpect: Any
paramiko: Any

try:
    pexpect = importlib.import_module("pexpect")
except ImportError:
    pexpect = None

try:
    with warnings.catch_warnings():  # paramiko warns about its crypto backends on import
        warnings.simplefilter("ignore", DeprecationWarning)
        paramiko = importlib.import_module("paramiko")
except ImportError:
    paramiko = None


if paramiko is not None:
    SSHException: type[Exception] = paramiko.ssh_exception.SSHException
else:

    class SSHException(Exception):  # type: ignore[no-redef]
        """An SSH failure (paramiko's ``SSHException`` when paramiko is installed)."""


class MaxRetryExceeded(Exception):
    """ssh neither finished nor asked for anything within the time allowed."""


_NEW_HOST_KEY = "Are you sure you want to continue connecting"
_PASSWORD_PROMPT = re.compile(rb"pass(word|phrase)", re.IGNORECASE)
_PROMPT_WAIT = 0.1  # seconds per expect() round
_START_DEADLINE = 10.0  # seconds for ssh to log in, or to ask something


def select_random_ports(n: int) -> list[int]:
    """`n` distinct TCP ports that were free a moment ago (bound to port 0, then released)."""
    probes = []
    try:
        for _ in range(n):
            probe = socket.socket()
            probes.append(probe)
            probe.bind(("", 0))
        return [probe.getsockname()[1] for probe in probes]
    finally:
        for probe in probes:
            probe.close()


def _split_server(server: str) -> tuple[str, str, int]:
    """``[user@]host[:port]`` as (user, host, port); the local user and port 22 by default."""
    user, at, rest = server.rpartition("@")
    if not at:
        user = getuser()
    host, colon, port = rest.partition(":")
    return user, host, int(port) if colon else 22


def _ssh_command(server: str, keyfile: Optional[str]) -> tuple[list[str], str]:
    """The ``ssh`` argv prefix for `server` (key file, port) and the host part to pass."""
    argv = ["ssh"]
    if keyfile:
        argv += ["-i", keyfile]
    host, colon, port = server.partition(":")
    if colon:
        argv += ["-p", port]
    return argv, host


def _env_without_askpass() -> dict[str, str]:
    # With SSH_ASKPASS set, ssh may ask a GUI program instead of the terminal pexpect reads.
    env = dict(os.environ)
    env.pop("SSH_ASKPASS", None)
    return env


# ---------------------------------------------------------------------------
# Passwordless login check
# ---------------------------------------------------------------------------


def try_passwordless_ssh(
    server: str, keyfile: Optional[str], paramiko: Optional[bool] = None
) -> bool:
    """Whether `server` lets us in without a password (so a tunnel needs none).

    With OpenSSH this is "ssh ran to the end without asking for a password or
    passphrase" (a connection that fails outright also counts: the tunnel will then
    fail with its own error). `paramiko` chooses the client; None: paramiko on Windows.
    """
    if paramiko is None:
        paramiko = sys.platform == "win32"
    if paramiko:
        return _try_passwordless_paramiko(server, keyfile)
    return _try_passwordless_openssh(server, keyfile)


def _try_passwordless_openssh(server: str, keyfile: Optional[str]) -> bool:
    if pexpect is None:
        raise ImportError("pexpect unavailable, use paramiko")
    argv, host = _ssh_command(server, keyfile)
    argv += ["-f", host, "exit"]
    child = pexpect.spawn(argv[0], argv[1:], env=_env_without_askpass())
    try:
        return _wait_for_ssh(child, password=None, server=server, ask=False) is None
    finally:
        child.close(force=True)


def _try_passwordless_paramiko(server: str, keyfile: Optional[str]) -> bool:
    if paramiko is None:
        if sys.platform == "win32":
            raise ImportError(
                "Paramiko unavailable, Paramiko is required for ssh tunneled connections on Windows."
            )
        raise ImportError("Paramiko unavailable, use OpenSSH.")
    user, host, port = _split_server(server)
    client = paramiko.SSHClient()
    try:
        client.load_host_keys(os.path.expanduser("~/.ssh/known_hosts"))
    except FileNotFoundError:
        pass
    policy = os.environ.get("PYZMQ_PARAMIKO_HOST_KEY_POLICY")
    if policy:  # e.g. "AutoAdd" -> paramiko.AutoAddPolicy
        client.set_missing_host_key_policy(getattr(paramiko, policy + "Policy")())
    try:
        client.connect(host, port, username=user, key_filename=keyfile, look_for_keys=True)
    except paramiko.AuthenticationException:
        return False
    client.close()
    return True


# ---------------------------------------------------------------------------
# Tunnels
# ---------------------------------------------------------------------------


def tunnel_connection(
    socket: Any,
    addr: str,
    server: str,
    keyfile: Optional[str] = None,
    password: Optional[str] = None,
    paramiko: Optional[bool] = None,
    timeout: int = 60,
) -> Any:
    """Connect `socket` to `addr` (as reachable from `server`) through an SSH tunnel.

    Returns the tunnel: the ssh pid (OpenSSH) or the forwarding Process (paramiko).
    """
    url, tunnel = open_tunnel(
        addr, server, keyfile=keyfile, password=password, paramiko=paramiko, timeout=timeout
    )
    socket.connect(url)
    return tunnel


def open_tunnel(
    addr: str,
    server: str,
    keyfile: Optional[str] = None,
    password: Optional[str] = None,
    paramiko: Optional[bool] = None,
    timeout: int = 60,
) -> tuple[str, Any]:
    """Forward a free local port to `addr` (``tcp://ip:port``) through `server`.

    Returns ``(local url, tunnel)``, the url being ``tcp://127.0.0.1:<local port>``.
    """
    transport, sep, location = addr.partition("://")
    ip, colon, port = location.rpartition(":")
    if transport != "tcp" or not sep or not colon or not port.isdigit():
        raise ValueError(f"an ssh tunnel needs a tcp://host:port address, not {addr!r}")
    lport = select_random_ports(1)[0]
    if paramiko is None:
        paramiko = sys.platform == "win32"
    make = paramiko_tunnel if paramiko else openssh_tunnel
    tunnel = make(
        lport,
        int(port),
        server,
        remoteip=ip,
        keyfile=keyfile,
        password=password,
        timeout=timeout,
    )
    return f"tcp://127.0.0.1:{lport}", tunnel


def openssh_tunnel(
    lport: int,
    rport: int,
    server: str,
    remoteip: str = "127.0.0.1",
    keyfile: Optional[str] = None,
    password: Optional[str] = None,
    timeout: int = 60,
) -> int:
    """Forward ``127.0.0.1:lport`` here to ``remoteip:rport`` as `server` sees it, with ssh.

    `server` is ``[user@]host[:port]``. Without `password` the user is asked for one if
    ssh prompts. Returns the pid of the ssh process (or of the control master reused).
    Raises ``ImportError`` without pexpect, ``RuntimeError`` when ssh fails,
    ``SSHException`` for an unknown host key, ``MaxRetryExceeded`` when ssh hangs.
    """
    if pexpect is None:
        raise ImportError("pexpect unavailable, use paramiko_tunnel")
    argv, host = _ssh_command(server, keyfile)
    forward = f"127.0.0.1:{lport}:{remoteip}:{rport}"

    # An OpenSSH control master already connected to the server can carry the forward.
    output, status = pexpect.run(shlex.join(argv + ["-O", "check", host]), withexitstatus=True)
    if status == 0:
        found = re.search(rb"\(pid=(\d+)\)", output)
        add = argv + ["-O", "forward", "-L", forward, host]
        _, status = pexpect.run(shlex.join(add), withexitstatus=True)
        if status == 0 and found:
            cancel = argv + ["-O", "cancel", "-L", forward, host]
            atexit.register(_stop_tunnel, shlex.join(cancel))
            return int(found.group(1))

    cmd = argv + ["-f", "-S", "none", "-L", forward, host, "sleep", str(timeout)]
    child = pexpect.spawn(cmd[0], cmd[1:], env=_env_without_askpass())
    failure = _wait_for_ssh(child, password=password, server=server, ask=True)
    if failure is not None:
        raise RuntimeError(f"tunnel {shlex.join(cmd)!r} failed to start: {failure}")
    pid: int = child.pid
    return pid


def _wait_for_ssh(child: Any, password: Optional[str], server: str, ask: bool) -> Optional[str]:
    """Drive an ssh child until it exits: answer password prompts when `ask`.

    Returns None when ssh exited with status 0 (or, when not `ask`, exited at all),
    else what ssh printed. A password prompt when not `ask` returns "password".
    """
    deadline = time.monotonic() + _START_DEADLINE
    rejected = False
    while time.monotonic() < deadline:
        try:
            which = child.expect([_NEW_HOST_KEY, _PASSWORD_PROMPT], timeout=_PROMPT_WAIT)
        except pexpect.TIMEOUT:
            continue
        except pexpect.EOF:
            child.close()
            if not ask or not child.exitstatus:
                return None
            said = child.before.decode("utf-8", "replace").strip() if child.before else ""
            return f"exit status {child.exitstatus}" + (f": {said}" if said else "")
        if which == 0:
            raise SSHException("The authenticity of the host can't be established.")
        if not ask:
            return "password"
        if rejected:
            print("Password rejected, try again")
            password = None
        if password is None:
            password = getpass(f"{server}'s password: ")
        child.sendline(password)
        rejected = True
    raise MaxRetryExceeded(f"ssh to {server} did not finish within {_START_DEADLINE:g} s")


def _stop_tunnel(cmd: str) -> None:
    pexpect.run(cmd)


def paramiko_tunnel(
    lport: int,
    rport: int,
    server: str,
    remoteip: str = "127.0.0.1",
    keyfile: Optional[str] = None,
    password: Optional[str] = None,
    timeout: int = 60,
) -> Any:
    """Forward ``localhost:lport`` to ``remoteip:rport`` through `server`, with paramiko.

    The forwarding runs in a daemon ``multiprocessing.Process``, which is returned.
    `timeout` is accepted for symmetry with ``openssh_tunnel``; the process forwards
    until it is terminated.
    """
    if paramiko is None:
        raise ImportError("Paramiko not available")
    from multiprocessing import Process

    if password is None and not _try_passwordless_paramiko(server, keyfile):
        password = getpass(f"{server}'s password: ")
    proc = Process(
        target=_paramiko_forward,
        args=(lport, rport, server, remoteip),
        kwargs={"keyfile": keyfile, "password": password},
        daemon=True,
    )
    proc.start()
    return proc


def _paramiko_forward(
    lport: int,
    rport: int,
    server: str,
    remoteip: str,
    keyfile: Optional[str] = None,
    password: Optional[str] = None,
) -> None:
    """The body of the paramiko tunnel process."""
    from .forward import forward_tunnel

    user, host, port = _split_server(server)
    client = paramiko.SSHClient()
    client.load_system_host_keys()
    client.set_missing_host_key_policy(paramiko.WarningPolicy())
    try:
        client.connect(
            host,
            port,
            username=user,
            key_filename=keyfile,
            look_for_keys=True,
            password=password,
        )
    except Exception as exc:
        print(f"*** Failed to connect to {host}:{port}: {exc!r}")
        sys.exit(1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent's CTRL-C must not end it
    try:
        forward_tunnel(lport, remoteip, rport, client.get_transport())
    except Exception as exc:
        print(f"Port forwarding stopped uncleanly: {exc}")
        sys.exit(255)


ssh_tunnel: Any = paramiko_tunnel if sys.platform == "win32" else openssh_tunnel

__all__ = [
    "openssh_tunnel",
    "paramiko_tunnel",
    "ssh_tunnel",
    "try_passwordless_ssh",
    "tunnel_connection",
]
