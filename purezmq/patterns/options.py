"""The socket option table: name, kind, default and validation of each option.

One `Options` object per socket, read by every layer as plain attributes
(``options.sndhwm``) so the hot path pays no lookup. Socket types add their
own options through `SocketCore.set_option`/`get_option`; this table holds
the ones every type shares. Validation follows libzmq's options.cpp: a bad
value raises ZMQError(EINVAL) with a message naming the option.
"""

from __future__ import annotations

import errno
from typing import Any, Callable, Optional

from ..constants import SocketOption as O
from ..error import ZMQError

Check = Optional[Callable[[Any], bool]]


def _at_least(n: int) -> Callable[[Any], bool]:
    return lambda v: v >= n


_nonneg = _at_least(0)
_ge_minus1 = _at_least(-1)
_bool = lambda v: v in (0, 1)  # noqa: E731
_INT32 = (-(2**31), 2**31 - 1)

# option -> (attribute, kind, default, check, readable, writable)
_TABLE: dict[int, tuple[str, str, Any, Check, bool, bool]] = {
    O.SNDHWM: ("sndhwm", "int", 1000, _nonneg, True, True),
    O.RCVHWM: ("rcvhwm", "int", 1000, _nonneg, True, True),
    O.AFFINITY: ("affinity", "int64", 0, _nonneg, True, True),
    O.ROUTING_ID: ("routing_id", "bytes", b"", lambda v: 0 <= len(v) <= 255, True, True),
    O.RATE: ("rate", "int", 100, _at_least(1), True, True),
    O.RECOVERY_IVL: ("recovery_ivl", "int", 10000, _nonneg, True, True),
    O.SNDBUF: ("sndbuf", "int", -1, _ge_minus1, True, True),
    O.RCVBUF: ("rcvbuf", "int", -1, _ge_minus1, True, True),
    O.LINGER: ("linger", "int", -1, _ge_minus1, True, True),
    O.RECONNECT_IVL: ("reconnect_ivl", "int", 100, _ge_minus1, True, True),
    O.RECONNECT_IVL_MAX: ("reconnect_ivl_max", "int", 0, _nonneg, True, True),
    O.BACKLOG: ("backlog", "int", 100, _nonneg, True, True),
    O.MAXMSGSIZE: ("maxmsgsize", "int64", -1, _ge_minus1, True, True),
    O.MULTICAST_HOPS: ("multicast_hops", "int", 1, _at_least(1), True, True),
    O.RCVTIMEO: ("rcvtimeo", "int", -1, _ge_minus1, True, True),
    O.SNDTIMEO: ("sndtimeo", "int", -1, _ge_minus1, True, True),
    O.TCP_KEEPALIVE: ("tcp_keepalive", "int", -1, lambda v: v in (-1, 0, 1), True, True),
    O.TCP_KEEPALIVE_CNT: ("tcp_keepalive_cnt", "int", -1, _ge_minus1, True, True),
    O.TCP_KEEPALIVE_IDLE: ("tcp_keepalive_idle", "int", -1, _ge_minus1, True, True),
    O.TCP_KEEPALIVE_INTVL: ("tcp_keepalive_intvl", "int", -1, _ge_minus1, True, True),
    O.IMMEDIATE: ("immediate", "int", 0, _bool, True, True),
    O.IPV6: ("ipv6", "int", 0, _bool, True, True),
    O.CONFLATE: ("conflate", "int", 0, _bool, True, True),
    O.TOS: ("tos", "int", 0, _nonneg, True, True),
    O.HANDSHAKE_IVL: ("handshake_ivl", "int", 30000, _nonneg, True, True),
    O.HEARTBEAT_IVL: ("heartbeat_ivl", "int", 0, _nonneg, True, True),
    O.HEARTBEAT_TTL: ("heartbeat_ttl", "int", 0, lambda v: 0 <= v <= 6553599, True, True),
    O.HEARTBEAT_TIMEOUT: ("heartbeat_timeout", "int", -1, _ge_minus1, True, True),
    O.CONNECT_TIMEOUT: ("connect_timeout", "int", 0, _nonneg, True, True),
    O.TCP_MAXRT: ("tcp_maxrt", "int", 0, _nonneg, True, True),
    O.PLAIN_SERVER: ("plain_server", "int", 0, _bool, True, True),
    O.PLAIN_USERNAME: ("plain_username", "bytes", b"", lambda v: len(v) <= 255, True, True),
    O.PLAIN_PASSWORD: ("plain_password", "bytes", b"", lambda v: len(v) <= 255, True, True),
    O.ZAP_DOMAIN: ("zap_domain", "bytes", b"", lambda v: len(v) <= 255, True, True),
    O.INVERT_MATCHING: ("invert_matching", "int", 0, _bool, True, True),
    O.RECONNECT_STOP: ("reconnect_stop", "int", 0, _nonneg, True, True),
    O.CONNECT_ROUTING_ID: (
        "connect_routing_id",
        "bytes",
        b"",
        lambda v: len(v) <= 255,
        False,
        True,
    ),
    O.LAST_ENDPOINT: ("last_endpoint", "bytes", b"", None, True, False),
    O.MECHANISM: ("mechanism", "int", 0, None, True, False),
}


class Options:
    """Every option of one socket, as attributes (libzmq options_t)."""

    socket_type: int
    # One attribute per `_TABLE` row, set from its default in __init__.
    sndhwm: int
    rcvhwm: int
    affinity: int
    routing_id: bytes
    rate: int
    recovery_ivl: int
    sndbuf: int
    rcvbuf: int
    linger: int
    reconnect_ivl: int
    reconnect_ivl_max: int
    backlog: int
    maxmsgsize: int
    multicast_hops: int
    rcvtimeo: int
    sndtimeo: int
    tcp_keepalive: int
    tcp_keepalive_cnt: int
    tcp_keepalive_idle: int
    tcp_keepalive_intvl: int
    immediate: int
    ipv6: int
    conflate: int
    tos: int
    handshake_ivl: int
    heartbeat_ivl: int
    heartbeat_ttl: int
    heartbeat_timeout: int
    connect_timeout: int
    tcp_maxrt: int
    plain_server: int
    plain_username: bytes
    plain_password: bytes
    zap_domain: bytes
    invert_matching: int
    reconnect_stop: int
    connect_routing_id: bytes
    last_endpoint: bytes
    mechanism: int

    def __init__(self, socket_type: int) -> None:
        self.socket_type = socket_type
        for attr, _kind, default, *_ in _TABLE.values():
            setattr(self, attr, default)

    def set(self, option: int, value: Any) -> bool:
        """Set a shared option; False if the option is not in the shared table."""
        entry = _TABLE.get(option)
        if entry is None:
            return False
        attr, kind, _default, check, _readable, writable = entry
        if not writable:
            raise ZMQError(errno.EINVAL, f"Option {_name(option)} is read-only")
        value = coerce(option, kind, value)
        if check is not None and not check(value):
            raise ZMQError(errno.EINVAL, f"Invalid value {value!r} for option {_name(option)}")
        setattr(self, attr, value)
        if option == O.PLAIN_USERNAME or option == O.PLAIN_PASSWORD:
            self.plain_server = 0
            self.mechanism = 1 if value or self.plain_username or self.plain_password else 0
        elif option == O.PLAIN_SERVER:
            self.mechanism = 1 if value else self.mechanism
        return True

    def get(self, option: int) -> Any:
        entry = _TABLE.get(option)
        if entry is None or not entry[4]:
            raise ZMQError(errno.EINVAL, f"Option {_name(option)} cannot be read on this socket")
        return getattr(self, entry[0])

    @staticmethod
    def known(option: int) -> bool:
        return option in _TABLE


def coerce(option: int, kind: str, value: Any) -> Any:
    """Check a value's type for an option's kind (pyzmq raises TypeError)."""
    if kind == "bytes":
        if isinstance(value, str):
            raise TypeError("unicode not allowed, use setsockopt_string")
        if not isinstance(value, (bytes, bytearray, memoryview)):
            raise TypeError(f"expected bytes for option {_name(option)}, got {value!r}")
        return bytes(value)
    if isinstance(value, str):
        raise TypeError("unicode not allowed, use setsockopt_string")
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            value = int(value)
        except (TypeError, ValueError):
            raise TypeError(f"expected int for option {_name(option)}, got {value!r}") from None
    lo, hi = _INT32 if kind == "int" else (-(2**63), 2**63 - 1)
    if not lo <= value <= hi:
        raise OverflowError("value too large to convert to int")
    return value


def _name(option: int) -> str:
    try:
        return O(option).name
    except ValueError:
        return str(option)


option_name = _name
