"""The ZAP handler (ZeroMQ RFC 27) behind `zmq.auth`: who may connect, by address and credentials.

A ZAP request, as a REP socket bound at ``inproc://zeromq.zap.01`` receives it:
``[version, request_id, domain, address, identity, mechanism, *credentials]``;
the reply: ``[version, request_id, status_code, status_text, user_id, metadata]``.

The decisions (pyzmq's rules, spec/pyzmq.md "zmq.auth"):

- Addresses: `allow` and `deny` are exclusive. With an allow list, an address
  outside it is refused ("Address not allowed"); with a deny list, an address
  on it is refused ("Address denied"). An allowed or not-denied address still
  has to pass PLAIN or CURVE; NULL passes unless the address is refused.
- PLAIN: the username and password must match the passwords of the request's
  domain (an empty domain means ``"*"``). User-Id: the username.
- CURVE: `CURVE_ALLOW_ANY` accepts every key; otherwise a credentials provider
  of the domain (`configure_curve_callback`) decides, or else the public keys
  of the domain's certificate directory (`configure_curve`). User-Id:
  ``curve_user_id(key)``, the Z85 text of the client's key unless overridden.
- GSSAPI: accepted, User-Id the principal (purezmq has no GSSAPI mechanism,
  so only a foreign request gets here).
- Anything else: refused ("NO ACCESS"). A refusal is status 400 with an empty
  User-Id; a request too short or of another ZAP version gets 400 as well.

The decision is written once, as a generator (`Authenticator._zap_steps`)
that returns the reply and yields only when a credentials provider hands back
an awaitable, to be resolved by whoever drives it. `handle_zap_message`
drives it with ``await`` (for asyncio authenticators); the thread of
`purezmq.auth.thread` drives it with a blocking call; neither knows how the
other waits on its socket.
"""

from __future__ import annotations

import inspect
import logging
import os
from collections.abc import Awaitable, Generator
from typing import Any, Callable, Optional, Union

from ..sugar.context import Context
from ..sugar.socket import Socket
from ..utils import z85
from .certs import load_certificates

CURVE_ALLOW_ANY = "*"
VERSION = b"1.0"
ZAP_ENDPOINT = "inproc://zeromq.zap.01"

# (request_id, status_code, status_text, user_id)
ZapReply = tuple[bytes, bytes, bytes, Union[str, bytes]]
ZapSteps = Generator[Awaitable[Any], Any, Optional[ZapReply]]


class Authenticator:
    """A ZAP handler for the sockets of one context.

    This class waits on nothing itself: after `start`, read requests from
    `zap_socket` and pass each to `handle_zap_message` (a coroutine), e.g.
    with a poller. `purezmq.auth.thread.ThreadAuthenticator` does that on a
    thread of its own.

    Until configured, NULL clients are accepted and PLAIN and CURVE clients
    refused.
    """

    context: Context
    encoding: str
    allow_any: bool
    credentials_providers: dict[str, Any]
    zap_socket: Socket
    _allowed: set[str]
    _denied: set[str]
    passwords: dict[str, dict[str, str]]
    certs: dict[str, dict[bytes, Any]]
    log: Any

    def __init__(
        self, context: Optional[Context] = None, encoding: str = "utf-8", log: Any = None
    ) -> None:
        self.context = context or Context.instance()
        self.encoding = encoding
        self.allow_any = False
        self.credentials_providers = {}
        self.zap_socket = None  # type: ignore[assignment]
        self._allowed = set()
        self._denied = set()
        self.passwords = {}  # domain -> {username: password}
        self.certs = {}  # domain -> {Z85 public key: True}
        self.log = log or logging.getLogger("purezmq.auth")

    # -- life cycle ---------------------------------------------------------

    def start(self) -> None:
        """Bind the ZAP socket (a REP at inproc://zeromq.zap.01) in `context`."""
        from .. import constants as C

        sock = self.context.socket(C.REP, socket_class=Socket)
        sock.linger = 1
        try:
            sock.bind(ZAP_ENDPOINT)
        except BaseException:
            sock.close(0)
            raise
        self.zap_socket = sock
        self.log.debug("Starting")

    def stop(self) -> None:
        """Close the ZAP socket; sockets of the context then have no handler."""
        if self.zap_socket:
            self.zap_socket.close()
        self.zap_socket = None  # type: ignore[assignment]

    # -- configuration ------------------------------------------------------

    def allow(self, *addresses: str) -> None:
        """Accept connections from these IP addresses only (exclusive with `deny`).

        NULL clients from them are accepted; PLAIN and CURVE clients still
        have to authenticate.
        """
        if self._denied:
            raise ValueError("allow() and deny() cannot be combined: deny() was called")
        self.log.debug("Allowing %s", ",".join(addresses))
        self._allowed.update(addresses)

    def deny(self, *addresses: str) -> None:
        """Refuse connections from these IP addresses (exclusive with `allow`)."""
        if self._allowed:
            raise ValueError("allow() and deny() cannot be combined: allow() was called")
        self.log.debug("Denying %s", ",".join(addresses))
        self._denied.update(addresses)

    def configure_plain(
        self, domain: str = "*", passwords: Optional[dict[str, str]] = None
    ) -> None:
        """PLAIN for `domain` ("*": requests without a domain): ``{username: password}``.

        The dict is kept, not copied: changes to it apply to the next request.
        An empty or missing dict leaves the domain's passwords as they were.
        """
        if passwords:
            self.passwords[domain] = passwords
        self.log.debug("Configure plain: %s", domain)

    def configure_curve(
        self, domain: str = "*", location: Union[str, os.PathLike[str]] = "."
    ) -> None:
        """CURVE for `domain`: the clients whose public certificates (``*.key``) are in `location`.

        `location` `CURVE_ALLOW_ANY` accepts any client key (for every domain).
        The directory is read now: call again after adding or removing
        certificates. A directory that cannot be read is logged as an error
        and leaves the domain's keys unchanged.
        """
        self.log.debug("Configure curve: %s[%s]", domain, location)
        if location == CURVE_ALLOW_ANY:
            self.allow_any = True
            return
        self.allow_any = False
        try:
            self.certs[domain] = load_certificates(location)
        except Exception as exc:
            self.log.error("Failed to load CURVE certs from %s: %s", location, exc)

    def configure_curve_callback(self, domain: str = "*", credentials_provider: Any = None) -> None:
        """CURVE for `domain`, decided by ``credentials_provider.callback(domain, key)``.

        `key` is the client's public key as Z85 bytes; a true result accepts.
        The callback may return an awaitable (a coroutine), which is awaited.
        Turns `CURVE_ALLOW_ANY` off.
        """
        self.allow_any = False
        if credentials_provider is None:
            self.log.error("None credentials_provider provided for domain:%s", domain)
            return
        self.credentials_providers[domain] = credentials_provider

    def curve_user_id(self, client_public_key: bytes) -> str:
        """The User-Id of an accepted CURVE client: the Z85 text of its key.

        Override to map keys to names; called only for accepted clients.
        """
        return z85.encode(client_public_key).decode("ascii")

    def configure_gssapi(self, domain: str = "*", location: Optional[str] = None) -> None:
        """Raises: purezmq has no GSSAPI mechanism (``zmq.has("gssapi")`` is False).

        pyzmq accepts the call and does nothing; purezmq says at once that no
        GSSAPI client can ever connect (spec/pyzmq.md "zmq.auth").
        """
        from .. import has

        if not has("gssapi"):
            raise NotImplementedError(
                "GSSAPI is not available: purezmq implements the NULL, PLAIN and CURVE "
                'mechanisms only (zmq.has("gssapi") is False)'
            )

    # -- the ZAP handler ----------------------------------------------------

    async def handle_zap_message(self, msg: list[bytes]) -> None:
        """Answer one ZAP request (the frames a REP socket receives) on `zap_socket`."""
        steps = self._zap_steps(msg)
        try:
            pending = next(steps)
            while True:
                result = await pending
                pending = steps.send(result)
        except StopIteration as done:
            reply: Optional[ZapReply] = done.value
        if reply is not None:
            self._send_zap_reply(*reply)

    def _handle_zap_blocking(
        self, msg: list[bytes], resolve: Callable[[Awaitable[Any]], Any]
    ) -> None:
        """`handle_zap_message` for a caller that waits by blocking: `resolve` awaits for it."""
        steps = self._zap_steps(msg)
        try:
            pending = next(steps)
            while True:
                pending = steps.send(resolve(pending))
        except StopIteration as done:
            reply: Optional[ZapReply] = done.value
        if reply is not None:
            self._send_zap_reply(*reply)

    def _zap_steps(self, msg: list[bytes]) -> ZapSteps:
        """The decision for one request: the reply to send (None: none can be addressed).

        Yields an awaitable only when a credentials provider returns one, and
        expects its result back.
        """
        msg = [bytes(frame) for frame in msg]
        if len(msg) < 6:
            self.log.error("Invalid ZAP message, not enough frames: %r", msg)
            if len(msg) < 2:
                self.log.error("Not enough information to reply")
                return None
            return (msg[1], b"400", b"Not enough frames", "")
        version, request_id, raw_domain, raw_address, identity, mechanism = msg[:6]
        credentials = msg[6:]
        domain = raw_domain.decode(self.encoding, "replace")
        address = raw_address.decode(self.encoding, "replace")
        if version != VERSION:
            self.log.error("Invalid ZAP version: %r", msg)
            return (request_id, b"400", b"Invalid version", "")
        self.log.debug(
            "version: %r, request_id: %r, domain: %r, address: %r, identity: %r, mechanism: %r",
            version,
            request_id,
            domain,
            address,
            identity,
            mechanism,
        )

        allowed, denied, reason = self._check_address(address)
        user_id: Union[str, bytes] = "anonymous"
        if not denied:
            if mechanism == b"NULL":
                if not allowed:
                    self.log.debug("ALLOWED (NULL)")
                    allowed = True
            elif mechanism == b"PLAIN":
                if len(credentials) != 2:
                    self.log.error("Invalid PLAIN credentials: %r", credentials)
                    return (request_id, b"400", b"Invalid credentials", "")
                username, password = (c.decode(self.encoding, "replace") for c in credentials)
                allowed, reason = self._authenticate_plain(domain, username, password)
                user_id = username
            elif mechanism == b"CURVE":
                if len(credentials) != 1:
                    self.log.error("Invalid CURVE credentials: %r", credentials)
                    return (request_id, b"400", b"Invalid credentials", "")
                key = credentials[0]
                allowed, reason = yield from self._curve_steps(domain, key)
                if allowed:
                    user_id = self.curve_user_id(key)
            elif mechanism == b"GSSAPI":
                if len(credentials) != 1:
                    self.log.error("Invalid GSSAPI credentials: %r", credentials)
                    return (request_id, b"400", b"Invalid credentials", "")
                principal = credentials[0]
                user_id = principal.decode("utf-8", "replace")
                allowed, reason = self._authenticate_gssapi(domain, principal)
        if allowed:
            return (request_id, b"200", b"OK", user_id)
        return (request_id, b"400", reason, "")

    def _check_address(self, address: str) -> tuple[bool, bool, bytes]:
        """(allowed, denied, reason) by the allow or deny list alone."""
        if self._allowed:
            if address in self._allowed:
                self.log.debug("PASSED (allowed) address=%s", address)
                return True, False, b"NO ACCESS"
            self.log.debug("DENIED (not allowed) address=%s", address)
            return False, True, b"Address not allowed"
        if self._denied:
            if address in self._denied:
                self.log.debug("DENIED (denied) address=%s", address)
                return False, True, b"Address denied"
            self.log.debug("PASSED (not denied) address=%s", address)
            return True, False, b"NO ACCESS"
        return False, False, b"NO ACCESS"

    def _authenticate_plain(self, domain: str, username: str, password: str) -> tuple[bool, bytes]:
        """(accepted, reason) for PLAIN credentials."""
        if not self.passwords:
            self.log.debug("DENIED (PLAIN) No passwords defined")
            return False, b"No passwords defined"
        domain = domain or "*"
        allowed = False
        if domain not in self.passwords:
            reason = b"Invalid domain"
        elif username not in self.passwords[domain]:
            reason = b"Invalid username"
        elif password != self.passwords[domain][username]:
            reason = b"Invalid password"
        else:
            allowed, reason = True, b""
        if allowed:
            self.log.debug("ALLOWED (PLAIN) domain=%s username=%s", domain, username)
        else:
            self.log.debug("DENIED %s", reason)
        return allowed, reason

    async def _authenticate_curve(self, domain: str, client_key: bytes) -> tuple[bool, bytes]:
        """(accepted, reason) for a CURVE client's public key (32 bytes)."""
        steps = self._curve_steps(domain, client_key)
        try:
            pending = next(steps)
            while True:
                pending = steps.send(await pending)
        except StopIteration as done:
            result: tuple[bool, bytes] = done.value
        return result

    def _curve_steps(
        self, domain: str, client_key: bytes
    ) -> Generator[Awaitable[Any], Any, tuple[bool, bytes]]:
        if self.allow_any:
            self.log.debug("ALLOWED (CURVE allow any client)")
            return True, b"OK"
        domain = domain or "*"
        z85_key = z85.encode(client_key)
        if self.credentials_providers:
            if domain not in self.credentials_providers:
                return False, b"Unknown domain"
            verdict = self.credentials_providers[domain].callback(domain, z85_key)
            if inspect.isawaitable(verdict):
                verdict = yield verdict
            allowed = bool(verdict)
            how = "CURVE auth_callback"
        else:
            if domain not in self.certs:
                return False, b"Unknown domain"
            allowed = bool(self.certs[domain].get(z85_key))
            how = "CURVE"
        self.log.debug(
            "%s (%s) domain=%s client_key=%s",
            "ALLOWED" if allowed else "DENIED",
            how,
            domain,
            z85_key,
        )
        return (True, b"OK") if allowed else (False, b"Unknown key")

    def _authenticate_gssapi(self, domain: str, principal: bytes) -> tuple[bool, bytes]:
        """GSSAPI was settled by the mechanism itself: accept."""
        self.log.debug("ALLOWED (GSSAPI) domain=%s principal=%s", domain, principal)
        return True, b"OK"

    def _send_zap_reply(
        self,
        request_id: bytes,
        status_code: bytes,
        status_text: bytes,
        user_id: Union[str, bytes] = "anonymous",
    ) -> None:
        """Send the reply; the User-Id goes only with status 200, and no metadata."""
        if status_code != b"200":
            user_id = b""
        if isinstance(user_id, str):
            user_id = user_id.encode(self.encoding, "replace")
        self.log.debug("ZAP reply code=%s text=%s", status_code, status_text)
        self.zap_socket.send_multipart(
            [VERSION, request_id, status_code, status_text, user_id, b""]
        )


__all__ = ["CURVE_ALLOW_ANY", "Authenticator"]
