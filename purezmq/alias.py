"""Run pyzmq programs unchanged: make ``import zmq`` load purezmq.

After :func:`install`, ``import zmq`` gives the ``purezmq`` package itself and
``import zmq.<name>`` gives ``purezmq.<name>``: the very same module objects,
so ``zmq.Context is purezmq.Context`` and ``sys.modules["zmq.asyncio"] is
sys.modules["purezmq.asyncio"]``. ``python -m purezmq run`` installs the hook
and then runs a script or module, the way ``python`` would.

The hook is a finder at the front of ``sys.meta_path``; it only answers for
the names ``zmq`` and ``zmq.*``. A name purezmq does not have fails with
ModuleNotFoundError naming both the ``zmq`` name asked for and the purezmq
module that is missing. Installing it in a process that has already imported
real pyzmq raises RuntimeError: two different ``zmq`` modules in one process
would each have their own contexts, sockets and exception classes.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import threading
from collections.abc import Sequence
from types import ModuleType
from typing import Optional

__all__ = ["ALIAS", "install", "installed", "uninstall"]

ALIAS = "zmq"
_TARGET = "purezmq"
_lock = threading.Lock()


def _target_name(fullname: str) -> Optional[str]:
    """``zmq`` -> ``purezmq``, ``zmq.a.b`` -> ``purezmq.a.b``; None for other names."""
    if fullname == ALIAS:
        return _TARGET
    if fullname.startswith(ALIAS + "."):
        return _TARGET + fullname[len(ALIAS) :]
    return None


class _AliasLoader(importlib.abc.Loader):
    """Hands the import system an already imported purezmq module.

    The import system writes the alias spec into ``__spec__`` of whatever
    ``create_module`` returns; ``exec_module`` puts the module's own spec back,
    so purezmq's relative imports and ``importlib.reload`` keep working.
    """

    def __init__(self, module: ModuleType) -> None:
        self.module = module
        self.spec = module.__spec__

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return self.module

    def exec_module(self, module: ModuleType) -> None:
        if self.spec is not None:
            module.__spec__ = self.spec
            loader = self.spec.loader
            if loader is not None:
                module.__loader__ = loader


class AliasFinder(importlib.abc.MetaPathFinder):
    """Resolves ``zmq`` and ``zmq.<sub>`` to ``purezmq`` and ``purezmq.<sub>``."""

    def find_spec(
        self,
        fullname: str,
        path: Optional[Sequence[str]] = None,
        target: Optional[ModuleType] = None,
    ) -> Optional[importlib.machinery.ModuleSpec]:
        real = _target_name(fullname)
        if real is None:
            return None
        try:
            module = importlib.import_module(real)
        except ModuleNotFoundError as exc:
            if exc.name != real:
                raise  # something purezmq.<sub> itself imports is missing: say that
            raise ModuleNotFoundError(
                f"No module named {fullname!r}: `import zmq` is purezmq here "
                f"(purezmq.alias), and purezmq has no module {real!r}",
                name=fullname,
            ) from None
        is_package = hasattr(module, "__path__")
        return importlib.machinery.ModuleSpec(
            fullname,
            _AliasLoader(module),
            origin=getattr(module, "__file__", None),
            is_package=is_package,
        )


_finder: Optional[AliasFinder] = None


def _foreign_zmq() -> list[str]:
    """Names of ``zmq`` / ``zmq.*`` modules already loaded that are not purezmq's."""
    found = []
    for name, module in list(sys.modules.items()):
        real = _target_name(name)
        if real is None or module is None:
            continue
        if sys.modules.get(real) is not module:
            found.append(name)
    return sorted(found)


def installed() -> bool:
    """Whether the hook is installed in this process."""
    return _finder is not None and _finder in sys.meta_path


def install() -> None:
    """Make ``import zmq`` (and every ``zmq.<sub>``) load purezmq in this process.

    Idempotent. Raises RuntimeError when real pyzmq (any ``zmq`` module that is
    not purezmq's) has already been imported here.
    """
    global _finder
    with _lock:
        foreign = _foreign_zmq()
        if foreign:
            shown = ", ".join(foreign[:5]) + (", ..." if len(foreign) > 5 else "")
            raise RuntimeError(
                "purezmq.alias.install(): pyzmq is already imported in this process "
                f"({shown}); install the alias before anything imports zmq, "
                "or start the program with `python -m purezmq run`"
            )
        if _finder is not None and _finder in sys.meta_path:
            return
        _finder = AliasFinder()
        sys.meta_path.insert(0, _finder)
        package = importlib.import_module(_TARGET)
        sys.modules[ALIAS] = package


def uninstall() -> None:
    """Remove the hook and forget the ``zmq`` names it created.

    Modules that already did ``import zmq`` keep their reference to purezmq.
    """
    global _finder
    with _lock:
        if _finder is not None and _finder in sys.meta_path:
            sys.meta_path.remove(_finder)
        _finder = None
        for name, module in list(sys.modules.items()):
            real = _target_name(name)
            if real is not None and module is not None and sys.modules.get(real) is module:
                del sys.modules[name]
