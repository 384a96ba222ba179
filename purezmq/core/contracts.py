"""What the proxy and the devices may call on a socket (RelaySocket).

A relay moves whole messages between sockets on the I/O thread without
blocking; it needs nothing of the pyzmq API. `SocketBase` provides this.
"""

from __future__ import annotations

from typing import Any, Optional, Protocol


class RelaySocket(Protocol):
    @property
    def mailbox_fd(self) -> int:
        """Readable when the socket's state may have changed."""

    @property
    def socket_type_name(self) -> str: ...

    def run_commands(self) -> None:
        """Run the commands other threads posted (on the relay's thread)."""

    def check_open(self) -> None:
        """Raise ENOTSOCK / ContextTerminated if the socket is gone."""

    def relay_recv(self) -> Optional[list[Any]]:
        """A whole message if one is there now."""

    def relay_send(self, msg: list[Any]) -> bool:
        """False if the message cannot go now (the relay keeps it)."""

    def relay_has_out(self) -> bool:
        """Whether a message could go now; arms the write wake-up if not."""

    def take_partial(self) -> Optional[list[Any]]:
        """Frames of a message the caller had started reading."""
