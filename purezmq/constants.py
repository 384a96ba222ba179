"""ZeroMQ constants, with the names and integer values of pyzmq's ``zmq.constants``.

Each constant exists twice. It is a member of a typed enum (``SocketType.PUSH``), and a
module-level name (``PUSH``) is bound to that same member, so ``PUSH is SocketType.PUSH``.
"""

# Theory of operation
# -------------------
#
# Values come from libzmq 4.3.5's public header ``zmq.h``, plus ``zmq_draft.h`` for the
# names marked DRAFT. Python code compares these numbers with the ones in pyzmq programs
# and with the codes carried in ZMTP ERROR commands and monitor events, so every value
# below is a fact that must not change.
#
# Deprecated spellings are enum *aliases*. They have the same value as the canonical name
# and are defined after it in the class body, so ``SocketOption.IDENTITY`` *is*
# ``SocketOption.ROUTING_ID`` and its ``.name`` is ``"ROUTING_ID"``, as in pyzmq.
#
# Error numbers follow zmq.h's own rule. A code the C library defines keeps the platform's
# value (``EAGAIN == errno.EAGAIN``). A code the platform lacks gets
# ``ZMQ_HAUSNUMERO + n``, and the four codes that only 0MQ has (EFSM, ENOCOMPATPROTO,
# ETERM, EMTHREAD) are always ``ZMQ_HAUSNUMERO + 51..54``. On Windows libzmq uses the
# MSVC ``errno.h`` numbers, which Python's ``errno`` module does not show (it prefers the
# ``WSAE*`` codes), so they are written out here. The reactor layer must turn a Windows
# socket error (``WSAECONNREFUSED`` = 10061, ...) into these values before it reports one.
#
# Socket options also carry a *kind* that tells the sugar layer how to marshal a value.
# ``'int'`` is a C int, ``'int64'`` an int64_t, ``'bytes'`` a byte string, and ``'fd'`` a
# file descriptor (a socket handle on Windows). ``OPTION_TYPES`` maps option values to
# kinds. ``bytes_sockopts`` / ``int64_sockopts`` / ``fd_sockopts`` / ``int_sockopts`` hold
# the same split as sets, and each ``SocketOption`` member has it as ``_opt_type``, which
# is what pyzmq's own code reads. An option number that is not listed counts as ``'int'``
# (see ``option_type``): pyzmq does the same, so an option from a newer libzmq passes
# through instead of failing early.

from __future__ import annotations

import errno
import sys
from enum import Enum, IntEnum, IntFlag

# ZMQ_HAUSNUMERO in zmq.h: the base of the error codes that libzmq makes up itself.
_HAUSNUMERO = 156384712


def _platform_errno(name: str, offset: int) -> int:
    """The platform's value for ``errno.<name>``, else zmq.h's ``ZMQ_HAUSNUMERO + offset``."""
    value: int = getattr(errno, name, _HAUSNUMERO + offset)
    return value


class ContextOption(IntEnum):
    """Option names for ``Context.get`` / ``Context.set`` (``zmq_ctx_get`` / ``zmq_ctx_set``)."""

    IO_THREADS = 1
    MAX_SOCKETS = 2
    SOCKET_LIMIT = 3
    THREAD_PRIORITY = SOCKET_LIMIT  # alias: libzmq gives both names the value 3
    THREAD_SCHED_POLICY = 4
    MAX_MSGSZ = 5
    MSG_T_SIZE = 6
    THREAD_AFFINITY_CPU_ADD = 7
    THREAD_AFFINITY_CPU_REMOVE = 8
    THREAD_NAME_PREFIX = 9


IO_THREADS = ContextOption.IO_THREADS
MAX_SOCKETS = ContextOption.MAX_SOCKETS
SOCKET_LIMIT = ContextOption.SOCKET_LIMIT
THREAD_PRIORITY = ContextOption.THREAD_PRIORITY
THREAD_SCHED_POLICY = ContextOption.THREAD_SCHED_POLICY
MAX_MSGSZ = ContextOption.MAX_MSGSZ
MSG_T_SIZE = ContextOption.MSG_T_SIZE
THREAD_AFFINITY_CPU_ADD = ContextOption.THREAD_AFFINITY_CPU_ADD
THREAD_AFFINITY_CPU_REMOVE = ContextOption.THREAD_AFFINITY_CPU_REMOVE
THREAD_NAME_PREFIX = ContextOption.THREAD_NAME_PREFIX


class DeviceType(IntEnum):
    """The kind of device that ``zmq.device`` runs (only the name differs; all forward)."""

    STREAMER = 1
    FORWARDER = 2
    QUEUE = 3


STREAMER = DeviceType.STREAMER
FORWARDER = DeviceType.FORWARDER
QUEUE = DeviceType.QUEUE


class Errno(IntEnum):
    """Error numbers carried by ``ZMQError.errno``.

    These are the platform's own ``errno`` values where it has the name, and zmq.h's
    ``ZMQ_HAUSNUMERO``-based numbers where it does not.
    """

    EAGAIN = errno.EAGAIN
    EFAULT = errno.EFAULT
    EINVAL = errno.EINVAL

    if sys.platform == "win32":
        # MSVC errno.h values, which libzmq uses on Windows (Python's errno module lists
        # the WSAE* socket codes under these names instead).
        ENOTSUP = 129
        EPROTONOSUPPORT = 135
        ENOBUFS = 119
        ENETDOWN = 116
        EADDRINUSE = 100
        EADDRNOTAVAIL = 101
        ECONNREFUSED = 107
        EINPROGRESS = 112
        ENOTSOCK = 128
        EMSGSIZE = 115
        EAFNOSUPPORT = 102
        ENETUNREACH = 118
        ECONNABORTED = 106
        ECONNRESET = 108
        ENOTCONN = 126
        ETIMEDOUT = 138
        EHOSTUNREACH = 110
        ENETRESET = 117
    else:
        ENOTSUP = _platform_errno("ENOTSUP", 1)
        EPROTONOSUPPORT = _platform_errno("EPROTONOSUPPORT", 2)
        ENOBUFS = _platform_errno("ENOBUFS", 3)
        ENETDOWN = _platform_errno("ENETDOWN", 4)
        EADDRINUSE = _platform_errno("EADDRINUSE", 5)
        EADDRNOTAVAIL = _platform_errno("EADDRNOTAVAIL", 6)
        ECONNREFUSED = _platform_errno("ECONNREFUSED", 7)
        EINPROGRESS = _platform_errno("EINPROGRESS", 8)
        ENOTSOCK = _platform_errno("ENOTSOCK", 9)
        EMSGSIZE = _platform_errno("EMSGSIZE", 10)
        EAFNOSUPPORT = _platform_errno("EAFNOSUPPORT", 11)
        ENETUNREACH = _platform_errno("ENETUNREACH", 12)
        ECONNABORTED = _platform_errno("ECONNABORTED", 13)
        ECONNRESET = _platform_errno("ECONNRESET", 14)
        ENOTCONN = _platform_errno("ENOTCONN", 15)
        ETIMEDOUT = _platform_errno("ETIMEDOUT", 16)
        EHOSTUNREACH = _platform_errno("EHOSTUNREACH", 17)
        ENETRESET = _platform_errno("ENETRESET", 18)

    # Codes that exist only in 0MQ.
    EFSM = _HAUSNUMERO + 51  # operation not valid in the socket's current state (REQ/REP)
    ENOCOMPATPROTO = _HAUSNUMERO + 52  # transport not usable with this socket type
    ETERM = _HAUSNUMERO + 53  # the context was terminated
    EMTHREAD = _HAUSNUMERO + 54  # no I/O thread available


EAGAIN = Errno.EAGAIN
EFAULT = Errno.EFAULT
EINVAL = Errno.EINVAL
ENOTSUP = Errno.ENOTSUP
EPROTONOSUPPORT = Errno.EPROTONOSUPPORT
ENOBUFS = Errno.ENOBUFS
ENETDOWN = Errno.ENETDOWN
EADDRINUSE = Errno.EADDRINUSE
EADDRNOTAVAIL = Errno.EADDRNOTAVAIL
ECONNREFUSED = Errno.ECONNREFUSED
EINPROGRESS = Errno.EINPROGRESS
ENOTSOCK = Errno.ENOTSOCK
EMSGSIZE = Errno.EMSGSIZE
EAFNOSUPPORT = Errno.EAFNOSUPPORT
ENETUNREACH = Errno.ENETUNREACH
ECONNABORTED = Errno.ECONNABORTED
ECONNRESET = Errno.ECONNRESET
ENOTCONN = Errno.ENOTCONN
ETIMEDOUT = Errno.ETIMEDOUT
EHOSTUNREACH = Errno.EHOSTUNREACH
ENETRESET = Errno.ENETRESET
EFSM = Errno.EFSM
ENOCOMPATPROTO = Errno.ENOCOMPATPROTO
ETERM = Errno.ETERM
EMTHREAD = Errno.EMTHREAD


class Event(IntFlag):
    """Socket monitor events (``Socket.monitor``), and the ZMTP / ZAP protocol-error codes
    that come with ``HANDSHAKE_FAILED_PROTOCOL``.

    Module-level names add an ``EVENT_`` prefix to the events (``EVENT_CONNECTED``). The
    ``PROTOCOL_ERROR_*`` codes keep their own names.
    """

    # The protocol-error codes come first. Several of them share bits with the events
    # below, so this order keeps each code's own name in repr and lookups, as in pyzmq.
    PROTOCOL_ERROR_WS_UNSPECIFIED = 0x30000000
    PROTOCOL_ERROR_ZMTP_UNSPECIFIED = 0x10000000
    PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND = 0x10000001
    PROTOCOL_ERROR_ZMTP_INVALID_SEQUENCE = 0x10000002
    PROTOCOL_ERROR_ZMTP_KEY_EXCHANGE = 0x10000003
    PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED = 0x10000011
    PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_MESSAGE = 0x10000012
    PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO = 0x10000013
    PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_INITIATE = 0x10000014
    PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_ERROR = 0x10000015
    PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_READY = 0x10000016
    PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_WELCOME = 0x10000017
    PROTOCOL_ERROR_ZMTP_INVALID_METADATA = 0x10000018
    PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC = 0x11000001
    PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH = 0x11000002
    PROTOCOL_ERROR_ZAP_UNSPECIFIED = 0x20000000
    PROTOCOL_ERROR_ZAP_MALFORMED_REPLY = 0x20000001
    PROTOCOL_ERROR_ZAP_BAD_REQUEST_ID = 0x20000002
    PROTOCOL_ERROR_ZAP_BAD_VERSION = 0x20000003
    PROTOCOL_ERROR_ZAP_INVALID_STATUS_CODE = 0x20000004
    PROTOCOL_ERROR_ZAP_INVALID_METADATA = 0x20000005

    CONNECTED = 0x0001
    CONNECT_DELAYED = 0x0002
    CONNECT_RETRIED = 0x0004
    LISTENING = 0x0008
    BIND_FAILED = 0x0010
    ACCEPTED = 0x0020
    ACCEPT_FAILED = 0x0040
    CLOSED = 0x0080
    CLOSE_FAILED = 0x0100
    DISCONNECTED = 0x0200
    MONITOR_STOPPED = 0x0400
    HANDSHAKE_FAILED_NO_DETAIL = 0x0800
    HANDSHAKE_SUCCEEDED = 0x1000
    HANDSHAKE_FAILED_PROTOCOL = 0x2000
    HANDSHAKE_FAILED_AUTH = 0x4000
    ALL_V1 = 0xFFFF
    ALL = ALL_V1

    # DRAFT (monitor protocol v2)
    PIPES_STATS = 0x10000
    ALL_V2 = ALL_V1 | PIPES_STATS


PROTOCOL_ERROR_WS_UNSPECIFIED = Event.PROTOCOL_ERROR_WS_UNSPECIFIED
PROTOCOL_ERROR_ZMTP_UNSPECIFIED = Event.PROTOCOL_ERROR_ZMTP_UNSPECIFIED
PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND = Event.PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND
PROTOCOL_ERROR_ZMTP_INVALID_SEQUENCE = Event.PROTOCOL_ERROR_ZMTP_INVALID_SEQUENCE
PROTOCOL_ERROR_ZMTP_KEY_EXCHANGE = Event.PROTOCOL_ERROR_ZMTP_KEY_EXCHANGE
PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED = (
    Event.PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED
)
PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_MESSAGE = Event.PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_MESSAGE
PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO = Event.PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO
PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_INITIATE = (
    Event.PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_INITIATE
)
PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_ERROR = Event.PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_ERROR
PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_READY = Event.PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_READY
PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_WELCOME = Event.PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_WELCOME
PROTOCOL_ERROR_ZMTP_INVALID_METADATA = Event.PROTOCOL_ERROR_ZMTP_INVALID_METADATA
PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC = Event.PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC
PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH = Event.PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH
PROTOCOL_ERROR_ZAP_UNSPECIFIED = Event.PROTOCOL_ERROR_ZAP_UNSPECIFIED
PROTOCOL_ERROR_ZAP_MALFORMED_REPLY = Event.PROTOCOL_ERROR_ZAP_MALFORMED_REPLY
PROTOCOL_ERROR_ZAP_BAD_REQUEST_ID = Event.PROTOCOL_ERROR_ZAP_BAD_REQUEST_ID
PROTOCOL_ERROR_ZAP_BAD_VERSION = Event.PROTOCOL_ERROR_ZAP_BAD_VERSION
PROTOCOL_ERROR_ZAP_INVALID_STATUS_CODE = Event.PROTOCOL_ERROR_ZAP_INVALID_STATUS_CODE
PROTOCOL_ERROR_ZAP_INVALID_METADATA = Event.PROTOCOL_ERROR_ZAP_INVALID_METADATA
EVENT_CONNECTED = Event.CONNECTED
EVENT_CONNECT_DELAYED = Event.CONNECT_DELAYED
EVENT_CONNECT_RETRIED = Event.CONNECT_RETRIED
EVENT_LISTENING = Event.LISTENING
EVENT_BIND_FAILED = Event.BIND_FAILED
EVENT_ACCEPTED = Event.ACCEPTED
EVENT_ACCEPT_FAILED = Event.ACCEPT_FAILED
EVENT_CLOSED = Event.CLOSED
EVENT_CLOSE_FAILED = Event.CLOSE_FAILED
EVENT_DISCONNECTED = Event.DISCONNECTED
EVENT_MONITOR_STOPPED = Event.MONITOR_STOPPED
EVENT_HANDSHAKE_FAILED_NO_DETAIL = Event.HANDSHAKE_FAILED_NO_DETAIL
EVENT_HANDSHAKE_SUCCEEDED = Event.HANDSHAKE_SUCCEEDED
EVENT_HANDSHAKE_FAILED_PROTOCOL = Event.HANDSHAKE_FAILED_PROTOCOL
EVENT_HANDSHAKE_FAILED_AUTH = Event.HANDSHAKE_FAILED_AUTH
EVENT_ALL_V1 = Event.ALL_V1
EVENT_ALL = Event.ALL
EVENT_PIPES_STATS = Event.PIPES_STATS
EVENT_ALL_V2 = Event.ALL_V2


class Flag(IntFlag):
    """Flags for ``send`` / ``recv``."""

    DONTWAIT = 1
    SNDMORE = 2
    NOBLOCK = DONTWAIT  # the old name


DONTWAIT = Flag.DONTWAIT
SNDMORE = Flag.SNDMORE
NOBLOCK = Flag.NOBLOCK


class MessageOption(IntEnum):
    """Properties of a message, as read by ``Frame.get``."""

    MORE = 1
    SHARED = 3
    SRCFD = 2  # deprecated in libzmq; kept for the name


MORE = MessageOption.MORE
SHARED = MessageOption.SHARED
SRCFD = MessageOption.SRCFD


class NormMode(IntEnum):
    """Values for the DRAFT ``NORM_MODE`` socket option (NORM congestion control)."""

    FIXED = 0
    CC = 1
    CCL = 2
    CCE = 3
    CCE_ECNONLY = 4


NORM_FIXED = NormMode.FIXED
NORM_CC = NormMode.CC
NORM_CCL = NormMode.CCL
NORM_CCE = NormMode.CCE
NORM_CCE_ECNONLY = NormMode.CCE_ECNONLY


class PollEvent(IntFlag):
    """What to wait for in ``zmq.poll`` / ``Poller``, and what ``EVENTS`` reports."""

    POLLIN = 1
    POLLOUT = 2
    POLLERR = 4
    POLLPRI = 8


POLLIN = PollEvent.POLLIN
POLLOUT = PollEvent.POLLOUT
POLLERR = PollEvent.POLLERR
POLLPRI = PollEvent.POLLPRI


class ReconnectStop(IntEnum):
    """Bits for the DRAFT ``RECONNECT_STOP`` socket option: when a connecter gives up."""

    CONN_REFUSED = 0x1
    HANDSHAKE_FAILED = 0x2
    AFTER_DISCONNECT = 0x4


RECONNECT_STOP_CONN_REFUSED = ReconnectStop.CONN_REFUSED
RECONNECT_STOP_HANDSHAKE_FAILED = ReconnectStop.HANDSHAKE_FAILED
RECONNECT_STOP_AFTER_DISCONNECT = ReconnectStop.AFTER_DISCONNECT


class RouterNotify(IntEnum):
    """Bits for the DRAFT ``ROUTER_NOTIFY`` socket option: which peer changes a ROUTER
    reports as empty messages."""

    CONNECT = 1
    DISCONNECT = 2


NOTIFY_CONNECT = RouterNotify.CONNECT
NOTIFY_DISCONNECT = RouterNotify.DISCONNECT


class SecurityMechanism(IntEnum):
    """Security mechanisms, as ``Socket.get(MECHANISM)`` returns them."""

    NULL = 0
    PLAIN = 1
    CURVE = 2
    GSSAPI = 3


NULL = SecurityMechanism.NULL
PLAIN = SecurityMechanism.PLAIN
CURVE = SecurityMechanism.CURVE
GSSAPI = SecurityMechanism.GSSAPI


class _OptType(Enum):
    """How a socket option's value is passed to and from libzmq (see ``OPTION_TYPES``)."""

    int = "int"
    int64 = "int64"
    bytes = "bytes"
    fd = "fd"


class SocketOption(IntEnum):
    """Option names for ``Socket.get`` / ``Socket.set`` (``zmq_getsockopt`` / ``zmq_setsockopt``).

    Each member's value kind is in ``OPTION_TYPES`` and, as in pyzmq, in ``._opt_type``.
    """

    _opt_type: _OptType

    HWM = 1  # pyzmq-only: sets SNDHWM and RCVHWM together
    AFFINITY = 4
    ROUTING_ID = 5
    SUBSCRIBE = 6
    UNSUBSCRIBE = 7
    RATE = 8
    RECOVERY_IVL = 9
    SNDBUF = 11
    RCVBUF = 12
    RCVMORE = 13
    FD = 14
    EVENTS = 15
    TYPE = 16
    LINGER = 17
    RECONNECT_IVL = 18
    BACKLOG = 19
    RECONNECT_IVL_MAX = 21
    MAXMSGSIZE = 22
    SNDHWM = 23
    RCVHWM = 24
    MULTICAST_HOPS = 25
    RCVTIMEO = 27
    SNDTIMEO = 28
    LAST_ENDPOINT = 32
    ROUTER_MANDATORY = 33
    TCP_KEEPALIVE = 34
    TCP_KEEPALIVE_CNT = 35
    TCP_KEEPALIVE_IDLE = 36
    TCP_KEEPALIVE_INTVL = 37
    IMMEDIATE = 39
    XPUB_VERBOSE = 40
    ROUTER_RAW = 41
    IPV6 = 42
    MECHANISM = 43
    PLAIN_SERVER = 44
    PLAIN_USERNAME = 45
    PLAIN_PASSWORD = 46
    CURVE_SERVER = 47
    CURVE_PUBLICKEY = 48
    CURVE_SECRETKEY = 49
    CURVE_SERVERKEY = 50
    PROBE_ROUTER = 51
    REQ_CORRELATE = 52
    REQ_RELAXED = 53
    CONFLATE = 54
    ZAP_DOMAIN = 55
    ROUTER_HANDOVER = 56
    TOS = 57
    CONNECT_ROUTING_ID = 61
    GSSAPI_SERVER = 62
    GSSAPI_PRINCIPAL = 63
    GSSAPI_SERVICE_PRINCIPAL = 64
    GSSAPI_PLAINTEXT = 65
    HANDSHAKE_IVL = 66
    SOCKS_PROXY = 68
    XPUB_NODROP = 69
    BLOCKY = 70
    XPUB_MANUAL = 71
    XPUB_WELCOME_MSG = 72
    STREAM_NOTIFY = 73
    INVERT_MATCHING = 74
    HEARTBEAT_IVL = 75
    HEARTBEAT_TTL = 76
    HEARTBEAT_TIMEOUT = 77
    XPUB_VERBOSER = 78
    CONNECT_TIMEOUT = 79
    TCP_MAXRT = 80
    THREAD_SAFE = 81
    MULTICAST_MAXTPDU = 84
    VMCI_BUFFER_SIZE = 85
    VMCI_BUFFER_MIN_SIZE = 86
    VMCI_BUFFER_MAX_SIZE = 87
    VMCI_CONNECT_TIMEOUT = 88
    USE_FD = 89
    GSSAPI_PRINCIPAL_NAMETYPE = 90
    GSSAPI_SERVICE_PRINCIPAL_NAMETYPE = 91
    BINDTODEVICE = 92

    # Deprecated options, and old spellings of the options above (aliases).
    IDENTITY = ROUTING_ID
    CONNECT_RID = CONNECT_ROUTING_ID
    TCP_ACCEPT_FILTER = 38
    IPC_FILTER_PID = 58
    IPC_FILTER_UID = 59
    IPC_FILTER_GID = 60
    IPV4ONLY = 31
    DELAY_ATTACH_ON_CONNECT = IMMEDIATE
    FAIL_UNROUTABLE = ROUTER_MANDATORY
    ROUTER_BEHAVIOR = ROUTER_MANDATORY

    # DRAFT options (zmq_draft.h)
    ZAP_ENFORCE_DOMAIN = 93
    LOOPBACK_FASTPATH = 94
    METADATA = 95
    MULTICAST_LOOP = 96
    ROUTER_NOTIFY = 97
    XPUB_MANUAL_LAST_VALUE = 98
    SOCKS_USERNAME = 99
    SOCKS_PASSWORD = 100
    IN_BATCH_SIZE = 101
    OUT_BATCH_SIZE = 102
    WSS_KEY_PEM = 103
    WSS_CERT_PEM = 104
    WSS_TRUST_PEM = 105
    WSS_HOSTNAME = 106
    WSS_TRUST_SYSTEM = 107
    ONLY_FIRST_SUBSCRIBE = 108
    RECONNECT_STOP = 109
    HELLO_MSG = 110
    DISCONNECT_MSG = 111
    PRIORITY = 112
    # added in libzmq 4.3.5
    BUSY_POLL = 113
    HICCUP_MSG = 114
    XSUB_VERBOSE_UNSUBSCRIBE = 115
    TOPICS_COUNT = 116
    NORM_MODE = 117
    NORM_UNICAST_NACK = 118
    NORM_BUFFER_SIZE = 119
    NORM_SEGMENT_SIZE = 120
    NORM_BLOCK_SIZE = 121
    NORM_NUM_PARITY = 122
    NORM_NUM_AUTOPARITY = 123
    NORM_PUSH = 124


# Options whose value is a byte string. libzmq returns some of them as C strings
# (LAST_ENDPOINT, ZAP_DOMAIN, ...). pyzmq's get() strips the trailing NUL from every
# bytes option except ROUTING_ID.
bytes_sockopts: frozenset[SocketOption] = frozenset(
    {
        SocketOption.ROUTING_ID,
        SocketOption.SUBSCRIBE,
        SocketOption.UNSUBSCRIBE,
        SocketOption.LAST_ENDPOINT,
        SocketOption.TCP_ACCEPT_FILTER,
        SocketOption.PLAIN_USERNAME,
        SocketOption.PLAIN_PASSWORD,
        SocketOption.CURVE_PUBLICKEY,
        SocketOption.CURVE_SECRETKEY,
        SocketOption.CURVE_SERVERKEY,
        SocketOption.ZAP_DOMAIN,
        SocketOption.CONNECT_ROUTING_ID,
        SocketOption.GSSAPI_PRINCIPAL,
        SocketOption.GSSAPI_SERVICE_PRINCIPAL,
        SocketOption.SOCKS_PROXY,
        SocketOption.XPUB_WELCOME_MSG,
        SocketOption.BINDTODEVICE,
        SocketOption.METADATA,
        SocketOption.SOCKS_USERNAME,
        SocketOption.SOCKS_PASSWORD,
        SocketOption.WSS_KEY_PEM,
        SocketOption.WSS_CERT_PEM,
        SocketOption.WSS_TRUST_PEM,
        SocketOption.WSS_HOSTNAME,
        SocketOption.HELLO_MSG,
        SocketOption.DISCONNECT_MSG,
        SocketOption.HICCUP_MSG,
    }
)

# Options passed as int64_t rather than int.
int64_sockopts: frozenset[SocketOption] = frozenset(
    {
        SocketOption.AFFINITY,
        SocketOption.MAXMSGSIZE,
        SocketOption.VMCI_BUFFER_SIZE,
        SocketOption.VMCI_BUFFER_MIN_SIZE,
        SocketOption.VMCI_BUFFER_MAX_SIZE,
    }
)

# Options whose value is a file descriptor (SOCKET on Windows).
fd_sockopts: frozenset[SocketOption] = frozenset({SocketOption.FD})

# Every other option is a C int.
int_sockopts: frozenset[SocketOption] = frozenset(
    set(SocketOption) - bytes_sockopts - int64_sockopts - fd_sockopts
)

# Option value -> kind: 'int', 'int64', 'bytes' or 'fd'.
OPTION_TYPES: dict[int, str] = {
    **{int(opt): _OptType.int.value for opt in int_sockopts},
    **{int(opt): _OptType.int64.value for opt in int64_sockopts},
    **{int(opt): _OptType.bytes.value for opt in bytes_sockopts},
    **{int(opt): _OptType.fd.value for opt in fd_sockopts},
}

for _opt in SocketOption:
    _opt._opt_type = _OptType(OPTION_TYPES[_opt])
del _opt


def option_type(option: int) -> str:
    """The value kind of socket option ``option``: ``'int'``, ``'int64'``, ``'bytes'`` or ``'fd'``.

    An option number that is not listed counts as ``'int'``. pyzmq does the same, so that
    options from a newer libzmq get through and fail, if at all, at the library layer
    (``EINVAL``).
    """
    return OPTION_TYPES.get(option, _OptType.int.value)


HWM = SocketOption.HWM
AFFINITY = SocketOption.AFFINITY
ROUTING_ID = SocketOption.ROUTING_ID
SUBSCRIBE = SocketOption.SUBSCRIBE
UNSUBSCRIBE = SocketOption.UNSUBSCRIBE
RATE = SocketOption.RATE
RECOVERY_IVL = SocketOption.RECOVERY_IVL
SNDBUF = SocketOption.SNDBUF
RCVBUF = SocketOption.RCVBUF
RCVMORE = SocketOption.RCVMORE
FD = SocketOption.FD
EVENTS = SocketOption.EVENTS
TYPE = SocketOption.TYPE
LINGER = SocketOption.LINGER
RECONNECT_IVL = SocketOption.RECONNECT_IVL
BACKLOG = SocketOption.BACKLOG
RECONNECT_IVL_MAX = SocketOption.RECONNECT_IVL_MAX
MAXMSGSIZE = SocketOption.MAXMSGSIZE
SNDHWM = SocketOption.SNDHWM
RCVHWM = SocketOption.RCVHWM
MULTICAST_HOPS = SocketOption.MULTICAST_HOPS
RCVTIMEO = SocketOption.RCVTIMEO
SNDTIMEO = SocketOption.SNDTIMEO
LAST_ENDPOINT = SocketOption.LAST_ENDPOINT
ROUTER_MANDATORY = SocketOption.ROUTER_MANDATORY
TCP_KEEPALIVE = SocketOption.TCP_KEEPALIVE
TCP_KEEPALIVE_CNT = SocketOption.TCP_KEEPALIVE_CNT
TCP_KEEPALIVE_IDLE = SocketOption.TCP_KEEPALIVE_IDLE
TCP_KEEPALIVE_INTVL = SocketOption.TCP_KEEPALIVE_INTVL
IMMEDIATE = SocketOption.IMMEDIATE
XPUB_VERBOSE = SocketOption.XPUB_VERBOSE
ROUTER_RAW = SocketOption.ROUTER_RAW
IPV6 = SocketOption.IPV6
MECHANISM = SocketOption.MECHANISM
PLAIN_SERVER = SocketOption.PLAIN_SERVER
PLAIN_USERNAME = SocketOption.PLAIN_USERNAME
PLAIN_PASSWORD = SocketOption.PLAIN_PASSWORD
CURVE_SERVER = SocketOption.CURVE_SERVER
CURVE_PUBLICKEY = SocketOption.CURVE_PUBLICKEY
CURVE_SECRETKEY = SocketOption.CURVE_SECRETKEY
CURVE_SERVERKEY = SocketOption.CURVE_SERVERKEY
PROBE_ROUTER = SocketOption.PROBE_ROUTER
REQ_CORRELATE = SocketOption.REQ_CORRELATE
REQ_RELAXED = SocketOption.REQ_RELAXED
CONFLATE = SocketOption.CONFLATE
ZAP_DOMAIN = SocketOption.ZAP_DOMAIN
ROUTER_HANDOVER = SocketOption.ROUTER_HANDOVER
TOS = SocketOption.TOS
CONNECT_ROUTING_ID = SocketOption.CONNECT_ROUTING_ID
GSSAPI_SERVER = SocketOption.GSSAPI_SERVER
GSSAPI_PRINCIPAL = SocketOption.GSSAPI_PRINCIPAL
GSSAPI_SERVICE_PRINCIPAL = SocketOption.GSSAPI_SERVICE_PRINCIPAL
GSSAPI_PLAINTEXT = SocketOption.GSSAPI_PLAINTEXT
HANDSHAKE_IVL = SocketOption.HANDSHAKE_IVL
SOCKS_PROXY = SocketOption.SOCKS_PROXY
XPUB_NODROP = SocketOption.XPUB_NODROP
BLOCKY = SocketOption.BLOCKY
XPUB_MANUAL = SocketOption.XPUB_MANUAL
XPUB_WELCOME_MSG = SocketOption.XPUB_WELCOME_MSG
STREAM_NOTIFY = SocketOption.STREAM_NOTIFY
INVERT_MATCHING = SocketOption.INVERT_MATCHING
HEARTBEAT_IVL = SocketOption.HEARTBEAT_IVL
HEARTBEAT_TTL = SocketOption.HEARTBEAT_TTL
HEARTBEAT_TIMEOUT = SocketOption.HEARTBEAT_TIMEOUT
XPUB_VERBOSER = SocketOption.XPUB_VERBOSER
CONNECT_TIMEOUT = SocketOption.CONNECT_TIMEOUT
TCP_MAXRT = SocketOption.TCP_MAXRT
THREAD_SAFE = SocketOption.THREAD_SAFE
MULTICAST_MAXTPDU = SocketOption.MULTICAST_MAXTPDU
VMCI_BUFFER_SIZE = SocketOption.VMCI_BUFFER_SIZE
VMCI_BUFFER_MIN_SIZE = SocketOption.VMCI_BUFFER_MIN_SIZE
VMCI_BUFFER_MAX_SIZE = SocketOption.VMCI_BUFFER_MAX_SIZE
VMCI_CONNECT_TIMEOUT = SocketOption.VMCI_CONNECT_TIMEOUT
USE_FD = SocketOption.USE_FD
GSSAPI_PRINCIPAL_NAMETYPE = SocketOption.GSSAPI_PRINCIPAL_NAMETYPE
GSSAPI_SERVICE_PRINCIPAL_NAMETYPE = SocketOption.GSSAPI_SERVICE_PRINCIPAL_NAMETYPE
BINDTODEVICE = SocketOption.BINDTODEVICE
IDENTITY = SocketOption.IDENTITY
CONNECT_RID = SocketOption.CONNECT_RID
TCP_ACCEPT_FILTER = SocketOption.TCP_ACCEPT_FILTER
IPC_FILTER_PID = SocketOption.IPC_FILTER_PID
IPC_FILTER_UID = SocketOption.IPC_FILTER_UID
IPC_FILTER_GID = SocketOption.IPC_FILTER_GID
IPV4ONLY = SocketOption.IPV4ONLY
DELAY_ATTACH_ON_CONNECT = SocketOption.DELAY_ATTACH_ON_CONNECT
FAIL_UNROUTABLE = SocketOption.FAIL_UNROUTABLE
ROUTER_BEHAVIOR = SocketOption.ROUTER_BEHAVIOR
ZAP_ENFORCE_DOMAIN = SocketOption.ZAP_ENFORCE_DOMAIN
LOOPBACK_FASTPATH = SocketOption.LOOPBACK_FASTPATH
METADATA = SocketOption.METADATA
MULTICAST_LOOP = SocketOption.MULTICAST_LOOP
ROUTER_NOTIFY = SocketOption.ROUTER_NOTIFY
XPUB_MANUAL_LAST_VALUE = SocketOption.XPUB_MANUAL_LAST_VALUE
SOCKS_USERNAME = SocketOption.SOCKS_USERNAME
SOCKS_PASSWORD = SocketOption.SOCKS_PASSWORD
IN_BATCH_SIZE = SocketOption.IN_BATCH_SIZE
OUT_BATCH_SIZE = SocketOption.OUT_BATCH_SIZE
WSS_KEY_PEM = SocketOption.WSS_KEY_PEM
WSS_CERT_PEM = SocketOption.WSS_CERT_PEM
WSS_TRUST_PEM = SocketOption.WSS_TRUST_PEM
WSS_HOSTNAME = SocketOption.WSS_HOSTNAME
WSS_TRUST_SYSTEM = SocketOption.WSS_TRUST_SYSTEM
ONLY_FIRST_SUBSCRIBE = SocketOption.ONLY_FIRST_SUBSCRIBE
RECONNECT_STOP = SocketOption.RECONNECT_STOP
HELLO_MSG = SocketOption.HELLO_MSG
DISCONNECT_MSG = SocketOption.DISCONNECT_MSG
PRIORITY = SocketOption.PRIORITY
BUSY_POLL = SocketOption.BUSY_POLL
HICCUP_MSG = SocketOption.HICCUP_MSG
XSUB_VERBOSE_UNSUBSCRIBE = SocketOption.XSUB_VERBOSE_UNSUBSCRIBE
TOPICS_COUNT = SocketOption.TOPICS_COUNT
NORM_MODE = SocketOption.NORM_MODE
NORM_UNICAST_NACK = SocketOption.NORM_UNICAST_NACK
NORM_BUFFER_SIZE = SocketOption.NORM_BUFFER_SIZE
NORM_SEGMENT_SIZE = SocketOption.NORM_SEGMENT_SIZE
NORM_BLOCK_SIZE = SocketOption.NORM_BLOCK_SIZE
NORM_NUM_PARITY = SocketOption.NORM_NUM_PARITY
NORM_NUM_AUTOPARITY = SocketOption.NORM_NUM_AUTOPARITY
NORM_PUSH = SocketOption.NORM_PUSH


class SocketType(IntEnum):
    """Socket types, as passed to ``Context.socket`` and returned by ``Socket.get(TYPE)``."""

    PAIR = 0
    PUB = 1
    SUB = 2
    REQ = 3
    REP = 4
    DEALER = 5
    ROUTER = 6
    PULL = 7
    PUSH = 8
    XPUB = 9
    XSUB = 10
    STREAM = 11

    # Deprecated names from 0MQ 2.x.
    XREQ = DEALER
    XREP = ROUTER

    # DRAFT socket types (zmq_draft.h)
    SERVER = 12
    CLIENT = 13
    RADIO = 14
    DISH = 15
    GATHER = 16
    SCATTER = 17
    DGRAM = 18
    PEER = 19
    CHANNEL = 20


PAIR = SocketType.PAIR
PUB = SocketType.PUB
SUB = SocketType.SUB
REQ = SocketType.REQ
REP = SocketType.REP
DEALER = SocketType.DEALER
ROUTER = SocketType.ROUTER
PULL = SocketType.PULL
PUSH = SocketType.PUSH
XPUB = SocketType.XPUB
XSUB = SocketType.XSUB
STREAM = SocketType.STREAM
XREQ = SocketType.XREQ
XREP = SocketType.XREP
SERVER = SocketType.SERVER
CLIENT = SocketType.CLIENT
RADIO = SocketType.RADIO
DISH = SocketType.DISH
GATHER = SocketType.GATHER
SCATTER = SocketType.SCATTER
DGRAM = SocketType.DGRAM
PEER = SocketType.PEER
CHANNEL = SocketType.CHANNEL


# ``Enum``, ``IntEnum`` and ``IntFlag`` are listed because pyzmq's ``zmq.constants.__all__``
# lists them, so ``zmq.IntEnum`` exists, and drop-in code may rely on it.
__all__: list[str] = [
    "AFFINITY",
    "BACKLOG",
    "BINDTODEVICE",
    "BLOCKY",
    "BUSY_POLL",
    "CHANNEL",
    "CLIENT",
    "CONFLATE",
    "CONNECT_RID",
    "CONNECT_ROUTING_ID",
    "CONNECT_TIMEOUT",
    "CURVE",
    "CURVE_PUBLICKEY",
    "CURVE_SECRETKEY",
    "CURVE_SERVER",
    "CURVE_SERVERKEY",
    "DEALER",
    "DELAY_ATTACH_ON_CONNECT",
    "DGRAM",
    "DISCONNECT_MSG",
    "DISH",
    "DONTWAIT",
    "EADDRINUSE",
    "EADDRNOTAVAIL",
    "EAFNOSUPPORT",
    "EAGAIN",
    "ECONNABORTED",
    "ECONNREFUSED",
    "ECONNRESET",
    "EFAULT",
    "EFSM",
    "EHOSTUNREACH",
    "EINPROGRESS",
    "EINVAL",
    "EMSGSIZE",
    "EMTHREAD",
    "ENETDOWN",
    "ENETRESET",
    "ENETUNREACH",
    "ENOBUFS",
    "ENOCOMPATPROTO",
    "ENOTCONN",
    "ENOTSOCK",
    "ENOTSUP",
    "EPROTONOSUPPORT",
    "ETERM",
    "ETIMEDOUT",
    "EVENTS",
    "EVENT_ACCEPTED",
    "EVENT_ACCEPT_FAILED",
    "EVENT_ALL",
    "EVENT_ALL_V1",
    "EVENT_ALL_V2",
    "EVENT_BIND_FAILED",
    "EVENT_CLOSED",
    "EVENT_CLOSE_FAILED",
    "EVENT_CONNECTED",
    "EVENT_CONNECT_DELAYED",
    "EVENT_CONNECT_RETRIED",
    "EVENT_DISCONNECTED",
    "EVENT_HANDSHAKE_FAILED_AUTH",
    "EVENT_HANDSHAKE_FAILED_NO_DETAIL",
    "EVENT_HANDSHAKE_FAILED_PROTOCOL",
    "EVENT_HANDSHAKE_SUCCEEDED",
    "EVENT_LISTENING",
    "EVENT_MONITOR_STOPPED",
    "EVENT_PIPES_STATS",
    "FAIL_UNROUTABLE",
    "FD",
    "FORWARDER",
    "GATHER",
    "GSSAPI",
    "GSSAPI_PLAINTEXT",
    "GSSAPI_PRINCIPAL",
    "GSSAPI_PRINCIPAL_NAMETYPE",
    "GSSAPI_SERVER",
    "GSSAPI_SERVICE_PRINCIPAL",
    "GSSAPI_SERVICE_PRINCIPAL_NAMETYPE",
    "HANDSHAKE_IVL",
    "HEARTBEAT_IVL",
    "HEARTBEAT_TIMEOUT",
    "HEARTBEAT_TTL",
    "HELLO_MSG",
    "HICCUP_MSG",
    "HWM",
    "IDENTITY",
    "IMMEDIATE",
    "INVERT_MATCHING",
    "IN_BATCH_SIZE",
    "IO_THREADS",
    "IPC_FILTER_GID",
    "IPC_FILTER_PID",
    "IPC_FILTER_UID",
    "IPV4ONLY",
    "IPV6",
    "LAST_ENDPOINT",
    "LINGER",
    "LOOPBACK_FASTPATH",
    "MAXMSGSIZE",
    "MAX_MSGSZ",
    "MAX_SOCKETS",
    "MECHANISM",
    "METADATA",
    "MORE",
    "MSG_T_SIZE",
    "MULTICAST_HOPS",
    "MULTICAST_LOOP",
    "MULTICAST_MAXTPDU",
    "NOBLOCK",
    "NORM_BLOCK_SIZE",
    "NORM_BUFFER_SIZE",
    "NORM_CC",
    "NORM_CCE",
    "NORM_CCE_ECNONLY",
    "NORM_CCL",
    "NORM_FIXED",
    "NORM_MODE",
    "NORM_NUM_AUTOPARITY",
    "NORM_NUM_PARITY",
    "NORM_PUSH",
    "NORM_SEGMENT_SIZE",
    "NORM_UNICAST_NACK",
    "NOTIFY_CONNECT",
    "NOTIFY_DISCONNECT",
    "NULL",
    "ONLY_FIRST_SUBSCRIBE",
    "OUT_BATCH_SIZE",
    "PAIR",
    "PEER",
    "PLAIN",
    "PLAIN_PASSWORD",
    "PLAIN_SERVER",
    "PLAIN_USERNAME",
    "POLLERR",
    "POLLIN",
    "POLLOUT",
    "POLLPRI",
    "PRIORITY",
    "PROBE_ROUTER",
    "PROTOCOL_ERROR_WS_UNSPECIFIED",
    "PROTOCOL_ERROR_ZAP_BAD_REQUEST_ID",
    "PROTOCOL_ERROR_ZAP_BAD_VERSION",
    "PROTOCOL_ERROR_ZAP_INVALID_METADATA",
    "PROTOCOL_ERROR_ZAP_INVALID_STATUS_CODE",
    "PROTOCOL_ERROR_ZAP_MALFORMED_REPLY",
    "PROTOCOL_ERROR_ZAP_UNSPECIFIED",
    "PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC",
    "PROTOCOL_ERROR_ZMTP_INVALID_METADATA",
    "PROTOCOL_ERROR_ZMTP_INVALID_SEQUENCE",
    "PROTOCOL_ERROR_ZMTP_KEY_EXCHANGE",
    "PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_ERROR",
    "PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO",
    "PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_INITIATE",
    "PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_MESSAGE",
    "PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_READY",
    "PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED",
    "PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_WELCOME",
    "PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH",
    "PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND",
    "PROTOCOL_ERROR_ZMTP_UNSPECIFIED",
    "PUB",
    "PULL",
    "PUSH",
    "QUEUE",
    "RADIO",
    "RATE",
    "RCVBUF",
    "RCVHWM",
    "RCVMORE",
    "RCVTIMEO",
    "RECONNECT_IVL",
    "RECONNECT_IVL_MAX",
    "RECONNECT_STOP",
    "RECONNECT_STOP_AFTER_DISCONNECT",
    "RECONNECT_STOP_CONN_REFUSED",
    "RECONNECT_STOP_HANDSHAKE_FAILED",
    "RECOVERY_IVL",
    "REP",
    "REQ",
    "REQ_CORRELATE",
    "REQ_RELAXED",
    "ROUTER",
    "ROUTER_BEHAVIOR",
    "ROUTER_HANDOVER",
    "ROUTER_MANDATORY",
    "ROUTER_NOTIFY",
    "ROUTER_RAW",
    "ROUTING_ID",
    "SCATTER",
    "SERVER",
    "SHARED",
    "SNDBUF",
    "SNDHWM",
    "SNDMORE",
    "SNDTIMEO",
    "SOCKET_LIMIT",
    "SOCKS_PASSWORD",
    "SOCKS_PROXY",
    "SOCKS_USERNAME",
    "SRCFD",
    "STREAM",
    "STREAMER",
    "STREAM_NOTIFY",
    "SUB",
    "SUBSCRIBE",
    "TCP_ACCEPT_FILTER",
    "TCP_KEEPALIVE",
    "TCP_KEEPALIVE_CNT",
    "TCP_KEEPALIVE_IDLE",
    "TCP_KEEPALIVE_INTVL",
    "TCP_MAXRT",
    "THREAD_AFFINITY_CPU_ADD",
    "THREAD_AFFINITY_CPU_REMOVE",
    "THREAD_NAME_PREFIX",
    "THREAD_PRIORITY",
    "THREAD_SAFE",
    "THREAD_SCHED_POLICY",
    "TOPICS_COUNT",
    "TOS",
    "TYPE",
    "UNSUBSCRIBE",
    "USE_FD",
    "VMCI_BUFFER_MAX_SIZE",
    "VMCI_BUFFER_MIN_SIZE",
    "VMCI_BUFFER_SIZE",
    "VMCI_CONNECT_TIMEOUT",
    "WSS_CERT_PEM",
    "WSS_HOSTNAME",
    "WSS_KEY_PEM",
    "WSS_TRUST_PEM",
    "WSS_TRUST_SYSTEM",
    "XPUB",
    "XPUB_MANUAL",
    "XPUB_MANUAL_LAST_VALUE",
    "XPUB_NODROP",
    "XPUB_VERBOSE",
    "XPUB_VERBOSER",
    "XPUB_WELCOME_MSG",
    "XREP",
    "XREQ",
    "XSUB",
    "XSUB_VERBOSE_UNSUBSCRIBE",
    "ZAP_DOMAIN",
    "ZAP_ENFORCE_DOMAIN",
    "ContextOption",
    "DeviceType",
    "Enum",
    "Errno",
    "Event",
    "Flag",
    "IntEnum",
    "IntFlag",
    "MessageOption",
    "NormMode",
    "PollEvent",
    "ReconnectStop",
    "RouterNotify",
    "SecurityMechanism",
    "SocketOption",
    "SocketType",
]
