"""The socket option table: every option purezmq implements, described once.

Each `Row` of `TABLE` says what an option is: its value kind, the value a new
socket has, which values are valid, which socket types accept it, whether it
can be read and written, and who holds it:

* `OPTIONS`: an attribute of the socket's `Options` object (``options.sndhwm``),
  read as a plain attribute by every layer so the hot path pays no lookup.
* `PATTERN`: the socket type's core keeps it (ROUTER_MANDATORY, XPUB_VERBOSE,
  the SUBSCRIBE action ...): `SocketCore.xset_option`/`xget_option` get the
  value already checked against its row, as libzmq's xsetsockopt.
* `SOCKET`: the `Socket` object answers itself (EVENTS, FD, RCVMORE ...).

`check_set`/`check_get` apply a row: an option a socket type does not accept,
a read of a write-only option, a write of a read-only one or a bad value raise
ZMQError(EINVAL) with a message naming the option (and the socket type); a
value of the wrong Python type raises TypeError first, as pyzmq. Validity
follows what libzmq 4.3.5 accepts (tests/compat/test_options_compat.py runs
the same checks against pyzmq).

`Options` declares its attributes for type checkers; tests prove they are
exactly the `OPTIONS` rows, and tools/gen_option_attrs.py writes
purezmq/sugar/_option_attrs.py (the typed Socket properties) from this table.
"""

from __future__ import annotations

import errno
import operator
from typing import Any, Callable, NamedTuple, Optional

from ..constants import SocketOption as O
from ..constants import SocketType as T
from ..error import ZMQError
from ..utils.z85 import decode as _z85_decode

Check = Optional[Callable[[Any], bool]]

# Who holds an option's value (Row.held_by).
OPTIONS = "options"
PATTERN = "pattern"
SOCKET = "socket"


class Row(NamedTuple):
    """One option purezmq implements."""

    attr: str  # lower-case name: the Options attribute and the Socket property
    kind: str  # 'int', 'int64', 'bytes' or 'fd', as constants.OPTION_TYPES
    default: Any  # the value of a new socket (None: nothing to read)
    check: Check  # valid values of the kind; None: every one
    readable: bool
    writable: bool
    types: Optional[frozenset[int]]  # socket types that accept it; None: all
    held_by: str  # OPTIONS, PATTERN or SOCKET
    action: bool  # does something and holds nothing (SUBSCRIBE, UNSUBSCRIBE)
    convert: Optional[Callable[[Any], Any]]  # the stored form of a valid value


def _at_least(n: int) -> Callable[[Any], bool]:
    return lambda v: v >= n


def _length(lo: int, hi: int) -> Callable[[Any], bool]:
    return lambda v: lo <= len(v) <= hi


_nonneg = _at_least(0)
_ge_minus1 = _at_least(-1)
_bool = lambda v: v in (0, 1)  # noqa: E731
_name_255 = _length(1, 255)  # libzmq: 1 to 255 bytes, empty is EINVAL
_nonempty = _length(1, 2**31 - 1)


def _curve_key(v: bytes) -> Optional[bytes]:
    """A CURVE key as libzmq takes it: 32 raw bytes, or 40 Z85 characters
    (optionally followed by a NUL, as a C string); None if it is neither."""
    if len(v) == 32:
        return v
    if len(v) == 41 and v[40] == 0:
        v = v[:40]
    if len(v) != 40:
        return None
    try:
        return _z85_decode(v)
    except ValueError:  # a character outside Z85, or a group above 2**32 - 1
        return None


def _curve_key_raw(v: bytes) -> bytes:
    key = _curve_key(v)
    assert key is not None  # the row's check passed
    return key


def _curve_key_row(option: O) -> tuple[int, Row]:
    """A CURVE key option: stored raw, write-only (see the table)."""
    return _stored(
        option,
        "bytes",
        b"",
        lambda v: _curve_key(v) is not None,
        readable=False,
        convert=_curve_key_raw,
    )


def _heartbeat_ttl(v: int) -> int:
    """libzmq keeps the TTL in deciseconds, truncating toward zero."""
    return int(v / 100) * 100


_INT32 = (-(2**31), 2**31 - 1)
_INT64 = (-(2**63), 2**63 - 1)

# Socket types that accept a type-specific option (libzmq's xsetsockopt; a
# subclass there accepts what its base does: REP is a ROUTER, REQ a DEALER,
# PUB an XPUB).
_ROUTERS = frozenset({int(T.ROUTER), int(T.REP)})
_STREAM = frozenset({int(T.STREAM)})
_PROBERS = frozenset({int(T.ROUTER), int(T.REP), int(T.DEALER), int(T.REQ)})
_REQ = frozenset({int(T.REQ)})
_PUBLISHERS = frozenset({int(T.XPUB), int(T.PUB)})
_XSUB = frozenset({int(T.XSUB)})
_FIRST_SUBSCRIBE = frozenset({int(T.XPUB), int(T.PUB), int(T.XSUB)})
_SUBSCRIBERS = frozenset({int(T.SUB), int(T.XPUB), int(T.PUB)})  # XPUB: XPUB_MANUAL only
_TOPIC_COUNTERS = frozenset({int(T.SUB), int(T.XSUB), int(T.PUB), int(T.XPUB)})


def _stored(
    option: O,
    kind: str,
    default: Any,
    check: Check = None,
    *,
    readable: bool = True,
    writable: bool = True,
    types: Optional[frozenset[int]] = None,
    convert: Optional[Callable[[Any], Any]] = None,
) -> tuple[int, Row]:
    attr = option.name.lower()
    return int(option), Row(
        attr, kind, default, check, readable, writable, types, OPTIONS, False, convert
    )


def _pattern(
    option: O,
    kind: str,
    types: frozenset[int],
    check: Check = None,
    *,
    readable: bool = False,
    writable: bool = True,
    action: bool = False,
) -> tuple[int, Row]:
    attr = option.name.lower()
    default = None if action else (b"" if kind == "bytes" else 0)
    return int(option), Row(
        attr, kind, default, check, readable, writable, types, PATTERN, action, None
    )


def _socket(option: O, kind: str, *, writable: bool = False) -> tuple[int, Row]:
    return int(option), Row(
        option.name.lower(), kind, None, None, True, writable, None, SOCKET, False, None
    )


TABLE: dict[int, Row] = dict(
    [
        # -- held by Options, every socket type (libzmq options_t) ------------
        _stored(O.SNDHWM, "int", 1000, _nonneg),
        _stored(O.RCVHWM, "int", 1000, _nonneg),
        _stored(O.AFFINITY, "int64", 0),
        _stored(O.ROUTING_ID, "bytes", b"", _name_255),
        _stored(O.RATE, "int", 100, _at_least(1)),
        _stored(O.RECOVERY_IVL, "int", 10000, _nonneg),
        _stored(O.SNDBUF, "int", -1, _ge_minus1),
        _stored(O.RCVBUF, "int", -1, _ge_minus1),
        _stored(O.LINGER, "int", -1, _ge_minus1),
        _stored(O.RECONNECT_IVL, "int", 100, _ge_minus1),
        _stored(O.RECONNECT_IVL_MAX, "int", 0, _nonneg),
        _stored(O.BACKLOG, "int", 100, _nonneg),
        _stored(O.MAXMSGSIZE, "int64", -1),  # any negative: no limit
        _stored(O.MULTICAST_HOPS, "int", 1, _at_least(1)),
        _stored(O.RCVTIMEO, "int", -1, _ge_minus1),
        _stored(O.SNDTIMEO, "int", -1, _ge_minus1),
        _stored(O.TCP_KEEPALIVE, "int", -1, lambda v: v in (-1, 0, 1)),
        _stored(O.TCP_KEEPALIVE_CNT, "int", -1, _ge_minus1),
        _stored(O.TCP_KEEPALIVE_IDLE, "int", -1, _ge_minus1),
        _stored(O.TCP_KEEPALIVE_INTVL, "int", -1, _ge_minus1),
        _stored(O.IMMEDIATE, "int", 0, _bool),
        _stored(O.IPV6, "int", 0, _bool),
        _stored(O.CONFLATE, "int", 0, _bool),
        _stored(O.TOS, "int", 0, _nonneg),
        _stored(O.HANDSHAKE_IVL, "int", 30000, _nonneg),
        _stored(O.HEARTBEAT_IVL, "int", 0, _nonneg),
        _stored(O.HEARTBEAT_TTL, "int", 0, lambda v: -99 <= v <= 6553599, convert=_heartbeat_ttl),
        _stored(O.HEARTBEAT_TIMEOUT, "int", -1, _nonneg),  # -1 (use the IVL) is only the default
        _stored(O.CONNECT_TIMEOUT, "int", 0, _nonneg),
        _stored(O.TCP_MAXRT, "int", 0, _nonneg),
        _stored(O.PLAIN_SERVER, "int", 0, _bool),
        _stored(O.PLAIN_USERNAME, "bytes", b"", _name_255),
        _stored(O.PLAIN_PASSWORD, "bytes", b"", _name_255),
        # CURVE: libzmq 4.3.5 takes 32 raw bytes or 40 Z85 characters and stores
        # the raw key; pyzmq 27 cannot read a key back (its 255-byte buffer is
        # neither size libzmq answers to: EINVAL), so neither can we.
        _stored(O.CURVE_SERVER, "int", 0, _bool),
        *(_curve_key_row(o) for o in (O.CURVE_PUBLICKEY, O.CURVE_SECRETKEY, O.CURVE_SERVERKEY)),
        _stored(O.ZAP_DOMAIN, "bytes", b"", _name_255),
        _stored(O.ZAP_ENFORCE_DOMAIN, "int", 0, convert=lambda v: int(bool(v))),
        _stored(O.INVERT_MATCHING, "int", 0, convert=lambda v: int(bool(v))),
        _stored(O.RECONNECT_STOP, "int", 0),
        # libzmq 4.3.5 takes it on ROUTER (and REP) and STREAM, any non-empty length
        _stored(
            O.CONNECT_ROUTING_ID, "bytes", b"", _nonempty, readable=False, types=_ROUTERS | _STREAM
        ),
        # STREAM only; libzmq takes 0 or 1 and cannot read it back
        _stored(O.STREAM_NOTIFY, "int", 1, _bool, readable=False, types=_STREAM),
        _stored(O.LAST_ENDPOINT, "bytes", b"", writable=False),
        _stored(O.MECHANISM, "int", 0, writable=False),
        _stored(O.THREAD_SAFE, "int", 0, writable=False),  # no purezmq socket is
        # -- held by the socket type's core (SocketCore.xset_option) ---------
        _pattern(O.SUBSCRIBE, "bytes", _SUBSCRIBERS, action=True),
        _pattern(O.UNSUBSCRIBE, "bytes", _SUBSCRIBERS, action=True),
        _pattern(O.ROUTER_MANDATORY, "int", _ROUTERS, _nonneg),
        _pattern(O.ROUTER_HANDOVER, "int", _ROUTERS, _nonneg),
        _pattern(O.PROBE_ROUTER, "int", _PROBERS, _nonneg),
        _pattern(O.REQ_RELAXED, "int", _REQ, _nonneg),
        _pattern(O.REQ_CORRELATE, "int", _REQ, _nonneg),
        _pattern(O.XPUB_VERBOSE, "int", _PUBLISHERS, _nonneg),
        _pattern(O.XPUB_VERBOSER, "int", _PUBLISHERS, _nonneg),
        _pattern(O.XPUB_NODROP, "int", _PUBLISHERS, _nonneg),
        _pattern(O.XPUB_MANUAL, "int", _PUBLISHERS, _nonneg),
        _pattern(O.XPUB_MANUAL_LAST_VALUE, "int", _PUBLISHERS, _nonneg),
        _pattern(O.XPUB_WELCOME_MSG, "bytes", _PUBLISHERS),
        _pattern(O.ONLY_FIRST_SUBSCRIBE, "int", _FIRST_SUBSCRIBE, _nonneg),
        _pattern(O.XSUB_VERBOSE_UNSUBSCRIBE, "int", _XSUB, _nonneg),
        _pattern(O.TOPICS_COUNT, "int", _TOPIC_COUNTERS, readable=True, writable=False),
        # -- answered by the Socket itself -------------------------------------
        _socket(O.HWM, "int", writable=True),  # pyzmq's: SNDHWM and RCVHWM at once
        _socket(O.RCVMORE, "int"),
        _socket(O.FD, "fd"),
        _socket(O.EVENTS, "int"),
        _socket(O.TYPE, "int"),
    ]
)

# The rows held by Options: exactly its attributes.
_TABLE: dict[int, Row] = {o: row for o, row in TABLE.items() if row.held_by == OPTIONS}
_DEFAULTS: tuple[tuple[str, Any], ...] = tuple((row.attr, row.default) for row in _TABLE.values())


def check_set(option: int, socket_type: int, value: Any) -> tuple[Row, Any]:
    """The row of `option` and `value` as it is stored, if this socket type may set it.

    TypeError for a value of the wrong Python type (checked first, as pyzmq
    does); ZMQError(EINVAL) for an unknown option, one the socket type does
    not accept, a read-only one, or a value the row refuses."""
    row = TABLE.get(option)
    if row is None:
        if isinstance(value, str):
            raise TypeError("unicode not allowed, use setsockopt_string")
        raise ZMQError(errno.EINVAL, f"Unknown or unsupported socket option {option_name(option)}")
    value = coerce(option, row.kind, value)
    if row.types is not None and socket_type not in row.types:
        raise _not_for(option, socket_type)
    if not row.writable:
        raise ZMQError(errno.EINVAL, f"Option {option_name(option)} is read-only")
    if row.check is not None and not row.check(value):
        raise ZMQError(errno.EINVAL, f"Invalid value {value!r} for option {option_name(option)}")
    if row.convert is not None:
        value = row.convert(value)
    return row, value


def check_get(option: int, socket_type: int) -> Row:
    """The row of `option` if this socket type may read it; else ZMQError(EINVAL)."""
    row = TABLE.get(option)
    if row is None:
        raise ZMQError(errno.EINVAL, f"Unknown or unsupported socket option {option_name(option)}")
    if row.types is not None and socket_type not in row.types:
        raise _not_for(option, socket_type)
    if not row.readable:
        raise ZMQError(errno.EINVAL, f"Option {option_name(option)} is write-only")
    return row


def _not_for(option: int, socket_type: int) -> ZMQError:
    try:
        kind = T(socket_type).name
    except ValueError:
        kind = str(socket_type)
    return ZMQError(errno.EINVAL, f"Option {option_name(option)} does not apply to {kind} sockets")


class Options:
    """The `OPTIONS` rows of one socket, as attributes (libzmq options_t)."""

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
    curve_server: int
    curve_publickey: bytes
    curve_secretkey: bytes
    curve_serverkey: bytes
    zap_domain: bytes
    zap_enforce_domain: int
    invert_matching: int
    reconnect_stop: int
    connect_routing_id: bytes
    stream_notify: int
    last_endpoint: bytes
    mechanism: int
    thread_safe: int

    def __init__(self, socket_type: int) -> None:
        self.socket_type = socket_type
        for attr, default in _DEFAULTS:
            setattr(self, attr, default)

    def set(self, option: int, value: Any) -> bool:
        """Check and set an option held here; False if `option` is not one of them."""
        if option not in _TABLE:
            return False
        _row, value = check_set(option, self.socket_type, value)
        self.store(option, value)
        return True

    def store(self, option: int, value: Any) -> None:
        """Set an option held here to a value `check_set` returned.

        The security options follow libzmq 4.3.5, where one ``as_server`` flag
        and one mechanism stand behind them: PLAIN_SERVER reads as
        ``as_server and mechanism == PLAIN``, CURVE_SERVER as ``as_server and
        mechanism == CURVE``. So CURVE_SERVER=1 makes a CURVE server (0:
        NULL), CURVE_SERVERKEY a CURVE client, CURVE_PUBLICKEY/SECRETKEY
        switch to CURVE and keep the server flag, PLAIN_USERNAME/PASSWORD make
        a PLAIN client and PLAIN_SERVER=1 a PLAIN server."""
        setattr(self, _TABLE[option].attr, value)
        as_server = self.plain_server or self.curve_server
        if option == O.PLAIN_USERNAME or option == O.PLAIN_PASSWORD:
            as_server = 0
            self.mechanism = 1 if value or self.plain_username or self.plain_password else 0
        elif option == O.PLAIN_SERVER:
            as_server = value
            self.mechanism = 1 if value else 0
        elif option == O.CURVE_SERVER:
            as_server = value
            self.mechanism = 2 if value else 0
        elif option == O.CURVE_SERVERKEY:
            as_server = 0
            self.mechanism = 2
        elif option == O.CURVE_PUBLICKEY or option == O.CURVE_SECRETKEY:
            self.mechanism = 2
        else:
            return
        self.plain_server = int(bool(as_server) and self.mechanism == 1)
        self.curve_server = int(bool(as_server) and self.mechanism == 2)

    def get(self, option: int) -> Any:
        row = check_get(option, self.socket_type)
        if row.held_by != OPTIONS:
            raise ZMQError(errno.EINVAL, f"Option {option_name(option)} is not a stored option")
        return getattr(self, row.attr)

    @staticmethod
    def known(option: int) -> bool:
        return option in _TABLE


def coerce(option: int, kind: str, value: Any) -> Any:
    """Check a value's type for an option's kind (pyzmq raises TypeError)."""
    if kind == "bytes":
        if isinstance(value, str):
            raise TypeError("unicode not allowed, use setsockopt_string")
        if not isinstance(value, (bytes, bytearray, memoryview)):
            raise TypeError(f"expected bytes for option {option_name(option)}, got {value!r}")
        return bytes(value)
    if isinstance(value, str):
        raise TypeError("unicode not allowed, use setsockopt_string")
    if type(value) is not int:
        try:
            value = int(operator.index(value))  # bools, numpy integers; not floats
        except TypeError:
            raise TypeError(
                f"expected int for option {option_name(option)}, got: {value!r}"
            ) from None
    lo, hi = _INT64 if kind == "int64" else _INT32
    if not lo <= value <= hi:
        raise OverflowError("value too large to convert to int")
    return value


def option_name(option: int) -> str:
    try:
        return O(option).name
    except ValueError:
        return str(option)
