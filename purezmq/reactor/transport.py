"""Stream transports, tcp:// and ipc:// (libzmq tcp_listener/tcp_connecter,
ipc_listener/ipc_connecter). I/O thread, except `open_listener`.

Binding happens on the caller's thread (so EADDRINUSE and friends are
raised by ``bind`` itself, as in libzmq); the listening socket is then
handed to the I/O thread, which accepts. Connecting is asynchronous: a
`Connecter` retries with RECONNECT_IVL backoff and hands each connected
socket to its session.
"""

from __future__ import annotations

import errno
import os
import socket
from typing import Any, Optional

from .. import constants as C
from ..error import ZMQError
from ..patterns.options import Options
from .contracts import SocketOwner
from .endpoint import Endpoint, format_tcp, ipc_address, resolve_bind
from .loop import EVENT_READ, EVENT_WRITE, IOThread, Timer
from .session import Session


def _tune(sock: socket.socket, options: Options, tcp: bool) -> None:
    sock.setblocking(False)
    if options.sndbuf >= 0:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, options.sndbuf)
    if options.rcvbuf >= 0:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, options.rcvbuf)
    if not tcp:
        return
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if options.tcp_keepalive != -1:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, options.tcp_keepalive)
    if options.tcp_keepalive == 1:
        for opt, name in (
            (options.tcp_keepalive_idle, "TCP_KEEPIDLE"),
            (options.tcp_keepalive_intvl, "TCP_KEEPINTVL"),
            (options.tcp_keepalive_cnt, "TCP_KEEPCNT"),
        ):
            if opt > 0 and hasattr(socket, name):
                sock.setsockopt(socket.IPPROTO_TCP, getattr(socket, name), opt)


class Listener:
    """Accepts connections on a bound tcp/ipc socket; one Session per peer."""

    def __init__(
        self, loop: IOThread, owner: SocketOwner, ep: Endpoint, sock: socket.socket, name: str
    ) -> None:
        self.loop = loop
        self.owner = owner
        self.ep = ep
        self.sock = sock
        self.name = name  # the resolved endpoint (LAST_ENDPOINT)
        self.closed = False

    def start(self) -> None:
        self.loop.add_handler(self.sock, EVENT_READ, self)
        self.loop.handlers.add(self)

    def on_readable(self) -> None:
        for _ in range(64):
            try:
                conn, _addr = self.sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                self.owner.monitor_event(C.EVENT_ACCEPT_FAILED, exc.errno or 0, self.name)
                return
            try:
                _tune(conn, self.owner.options, self.ep.transport == "tcp")
            except OSError:
                conn.close()
                continue
            self.owner.monitor_event(C.EVENT_ACCEPTED, conn.fileno(), self.name)
            session = Session(self.loop, self.owner, self.name)
            session.attach_engine(conn)

    def on_writable(self) -> None:  # pragma: no cover - never registered
        pass

    def on_loop_error(self, exc: Exception) -> None:
        self.owner.monitor_event(C.EVENT_ACCEPT_FAILED, 0, self.name)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.loop.remove_handler(self.sock)
        self.loop.handlers.discard(self)
        try:
            self.sock.close()
        except OSError:
            pass
        if self.ep.transport == "ipc" and not self.ep.address.startswith("@"):
            try:
                os.unlink(self.ep.address)
            except OSError:
                pass
        self.owner.monitor_event(C.EVENT_CLOSED, 0, self.name)

    force_close = close


def open_listener(ep: Endpoint, options: Options) -> tuple[socket.socket, str]:
    """Create, bind and listen (caller's thread); returns (socket, resolved name)."""
    if ep.transport == "tcp":
        family, sockaddr = resolve_bind(ep, bool(options.ipv6))
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            sock.bind(sockaddr)
            sock.listen(options.backlog)
        except OSError as exc:
            sock.close()
            raise _bind_error(exc, str(ep)) from None
        name = format_tcp(sock.getsockname(), family)
    else:
        if not hasattr(socket, "AF_UNIX"):  # pragma: no cover - Windows
            raise ZMQError(errno.EPROTONOSUPPORT, "ipc:// needs Unix domain sockets")
        path = ipc_address(ep)
        if ep.address == "*":
            raise ZMQError(errno.EINVAL, "ipc://* wildcard is not supported; give a path")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            if not path.startswith("\0"):
                _remove_stale_ipc(path)
            sock.bind(path)
            sock.listen(options.backlog)
        except OSError as exc:
            sock.close()
            raise _bind_error(exc, str(ep)) from None
        name = str(ep)
    sock.setblocking(False)
    return sock, name


def _remove_stale_ipc(path: str) -> None:
    """An ipc socket file nobody listens on any more may be replaced, as libzmq does."""
    if not os.path.exists(path):
        return
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(path)
    except OSError:
        try:
            os.unlink(path)
        except OSError:
            pass
    else:
        raise OSError(errno.EADDRINUSE, os.strerror(errno.EADDRINUSE))
    finally:
        probe.close()


def _bind_error(exc: OSError, endpoint: str) -> ZMQError:
    code = exc.errno or errno.EINVAL
    return ZMQError(code, f"{os.strerror(code)} (addr={endpoint!r})")


class Connecter:
    """Connects, and reconnects after each disconnect, for one session."""

    def __init__(self, loop: IOThread, owner: SocketOwner, ep: Endpoint, session: Session) -> None:
        self.loop = loop
        self.owner = owner
        self.ep = ep
        self.session = session
        self.options: Options = owner.options
        self.sock: Optional[socket.socket] = None
        self._timer: Optional[Timer] = None
        self._ivl: int = self.options.reconnect_ivl  # current backoff, ms
        self.stopped = False

    def start(self) -> None:
        self._connect()

    def _connect(self) -> None:
        self._timer = None
        if self.stopped:
            return
        try:
            sock, addr = self._open()
        except OSError:
            self.reconnect_later()
            return
        try:
            rc = sock.connect_ex(addr)
        except OSError:
            sock.close()
            self.reconnect_later()
            return
        self.sock = sock
        if rc in (0, errno.EINPROGRESS, errno.EAGAIN, errno.EWOULDBLOCK):
            self.loop.add_handler(sock, EVENT_WRITE, self)
            self.loop.handlers.add(self)
            if rc != 0:
                self.owner.monitor_event(C.EVENT_CONNECT_DELAYED, rc, str(self.ep))
        else:
            self._drop_sock()
            self.reconnect_later()

    def _open(self) -> tuple[socket.socket, Any]:
        if self.ep.transport == "ipc":
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            _tune(sock, self.options, False)
            return sock, ipc_address(self.ep)
        host = self.ep.host
        infos = socket.getaddrinfo(host, self.ep.port, 0, socket.SOCK_STREAM)
        # Prefer IPv4 unless IPV6 is set, as libzmq does.
        infos.sort(key=lambda i: (i[0] == socket.AF_INET6) != bool(self.options.ipv6))
        family, _, _, _, addr = infos[0]
        sock = socket.socket(family, socket.SOCK_STREAM)
        _tune(sock, self.options, True)
        return sock, addr

    def on_writable(self) -> None:
        sock = self.sock
        if sock is None:
            return
        self.loop.remove_handler(sock)
        self.loop.handlers.discard(self)
        err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if err == 0 and self.ep.transport == "tcp":
            try:
                if sock.getsockname() == sock.getpeername():
                    err = errno.ECONNREFUSED  # TCP self-connect (spec/interop.md #16)
            except OSError as exc:
                err = exc.errno or errno.ECONNREFUSED
        if err:
            self._drop_sock()
            self.reconnect_later()
            return
        self.sock = None
        self.owner.monitor_event(C.EVENT_CONNECTED, sock.fileno(), str(self.ep))
        self._ivl = self.options.reconnect_ivl
        self.session.attach_engine(sock)

    on_readable = on_writable

    def on_loop_error(self, exc: Exception) -> None:
        self._drop_sock()
        self.reconnect_later()

    def _drop_sock(self) -> None:
        if self.sock is not None:
            self.loop.remove_handler(self.sock)
            self.loop.handlers.discard(self)
            self.sock.close()
            self.sock = None

    def _next_interval(self) -> int:
        """RECONNECT_IVL, doubling up to RECONNECT_IVL_MAX when that is set."""
        opts = self.options
        current = self._ivl
        if opts.reconnect_ivl_max > opts.reconnect_ivl > 0:
            self._ivl = min(current * 2, opts.reconnect_ivl_max)
        return max(current, 0)

    def reconnect_later(self) -> None:
        if self.stopped or self.options.reconnect_ivl < 0:
            return
        delay = self._next_interval()
        self.owner.monitor_event(C.EVENT_CONNECT_RETRIED, delay, str(self.ep))
        self._timer = self.loop.call_later(delay / 1000.0, self._connect)

    def stop(self) -> None:
        self.stopped = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._drop_sock()

    force_close = stop


def start_connect(loop: IOThread, owner: SocketOwner, ep: Endpoint, session: Session) -> Connecter:
    connecter = Connecter(loop, owner, ep, session)
    session.connecter = connecter
    connecter.start()
    return connecter
