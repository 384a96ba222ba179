"""``allow_interrupt``: let CTRL-C reach a program blocked in a ZeroMQ poll on Windows.

On Windows the interpreter only turns CTRL-C into ``KeyboardInterrupt`` when it gets
control back, which a long ``poll`` delays. ``allow_interrupt(action)`` installs a
console control handler for the duration of a ``with`` block that calls ``action()``
(which should wake the poll, e.g. by sending to a socket it watches) and then lets the
interpreter's own handler run too. Everywhere else it does nothing, so code can use it
without checking the platform.
"""

from __future__ import annotations

import ctypes
import os
from typing import Any, Callable, Optional

_CTRL_C_EVENT = 0


class allow_interrupt:
    """Context manager: while active, CTRL-C on Windows calls `action` (default: nothing)."""

    def __init__(self, action: Optional[Callable[[], Any]] = None) -> None:
        self._active = os.name == "nt"
        if self._active:
            self._install_handler(action)

    def _install_handler(self, action: Optional[Callable[[], Any]]) -> None:
        # windll / WINFUNCTYPE exist only on Windows, hence getattr.
        kernel32 = getattr(ctypes, "windll").kernel32  # noqa: B009
        from ctypes import wintypes

        handler_type = getattr(ctypes, "WINFUNCTYPE")(wintypes.BOOL, wintypes.DWORD)  # noqa: B009
        set_handler = kernel32.SetConsoleCtrlHandler
        set_handler.argtypes = (handler_type, wintypes.BOOL)
        set_handler.restype = wintypes.BOOL
        self.action: Callable[[], Any] = action if action is not None else (lambda: None)

        def on_console_event(event: int) -> int:
            if event == _CTRL_C_EVENT:
                self.action()
            # "not handled": the interpreter's handler still raises KeyboardInterrupt.
            return 0

        self._set_handler = set_handler
        self.handle = handler_type(on_console_event)  # kept alive while installed

    def __enter__(self) -> None:
        if self._active and not self._set_handler(self.handle, 1):
            raise ctypes.WinError()  # type: ignore[attr-defined, unused-ignore]

    def __exit__(self, *exc: Any) -> None:
        if self._active and not self._set_handler(self.handle, 0):
            raise ctypes.WinError()  # type: ignore[attr-defined, unused-ignore]


__all__ = ["allow_interrupt"]
