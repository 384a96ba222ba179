"""Which socket types may talk to which (RFC 23/37, "The Socket-Type Property",
and libzmq's mechanism_t::check_socket_type). Names are case-sensitive."""

from __future__ import annotations

COMPATIBLE: dict[str, frozenset[str]] = {
    "PAIR": frozenset({"PAIR"}),
    "PUB": frozenset({"SUB", "XSUB"}),
    "SUB": frozenset({"PUB", "XPUB"}),
    "XPUB": frozenset({"SUB", "XSUB"}),
    "XSUB": frozenset({"PUB", "XPUB"}),
    "REQ": frozenset({"REP", "ROUTER"}),
    "REP": frozenset({"REQ", "DEALER"}),
    "DEALER": frozenset({"REP", "DEALER", "ROUTER"}),
    "ROUTER": frozenset({"REQ", "DEALER", "ROUTER"}),
    "PULL": frozenset({"PUSH"}),
    "PUSH": frozenset({"PULL"}),
    "SERVER": frozenset({"CLIENT"}),
    "CLIENT": frozenset({"SERVER"}),
    "RADIO": frozenset({"DISH"}),
    "DISH": frozenset({"RADIO"}),
    "GATHER": frozenset({"SCATTER"}),
    "SCATTER": frozenset({"GATHER"}),
    "PEER": frozenset({"PEER"}),
    "CHANNEL": frozenset({"CHANNEL"}),
}

# libzmq 4.3 sends the Identity property only from these types.
SENDS_IDENTITY = frozenset({"REQ", "DEALER", "ROUTER"})


def compatible(ours: str, theirs: str) -> bool:
    return theirs in COMPATIBLE.get(ours, frozenset())
