"""purezmq.alias and ``python -m purezmq run``: pyzmq programs run unchanged on purezmq.

Every check runs in a fresh interpreter: the test process itself has imported real
pyzmq, and the hook changes what ``import zmq`` means for a whole process.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 60


def child_env() -> dict[str, str]:
    """The environment of a child interpreter that imports this checkout's purezmq."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    env.pop("PYTHONSTARTUP", None)
    return env


def python(*args: str, cwd: Path, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        **kwargs,
    )


def run_code(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return python("-c", textwrap.dedent(code), cwd=cwd)


def test_child_uses_this_checkout(tmp_path: Path) -> None:
    out = run_code("import purezmq; print(purezmq.__file__)", tmp_path)
    assert out.returncode == 0, out.stderr
    assert Path(out.stdout.strip()).parent == ROOT / "purezmq"


def test_install_makes_zmq_the_purezmq_modules(tmp_path: Path) -> None:
    out = run_code(
        """
        import sys
        import purezmq, purezmq.alias
        purezmq.alias.install()
        purezmq.alias.install()  # twice is fine
        import zmq
        import zmq.sugar.socket
        from zmq.utils import jsonapi
        from zmq.sugar.frame import Frame
        import zmq.devices
        assert zmq is purezmq
        assert zmq.Context is purezmq.Context and zmq.Socket is purezmq.Socket
        assert zmq.sugar.socket is sys.modules["purezmq.sugar.socket"]
        assert sys.modules["zmq.sugar.socket"] is sys.modules["purezmq.sugar.socket"]
        assert jsonapi is sys.modules["purezmq.utils.jsonapi"]
        assert Frame is purezmq.Frame
        assert zmq.devices is sys.modules["purezmq.devices"]
        # the modules keep their own spec: relative imports inside purezmq still work
        assert zmq.__spec__.name == "purezmq"
        assert zmq.sugar.socket.__spec__.name == "purezmq.sugar.socket"
        assert zmq.sugar.socket.__name__ == "purezmq.sugar.socket"
        assert purezmq.alias.installed()
        print("ok")
        """,
        tmp_path,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["ok"]
    assert "ImportWarning" not in out.stderr


def test_missing_submodule_names_it(tmp_path: Path) -> None:
    out = run_code(
        """
        import purezmq.alias
        purezmq.alias.install()
        try:
            import zmq.no_such_module
        except ModuleNotFoundError as exc:
            print(exc.name)
            print(exc)
        try:
            from zmq.sugar import no_such_module
        except ImportError as exc:  # as for any package: "cannot import name"
            print(type(exc).__name__)
        """,
        tmp_path,
    )
    assert out.returncode == 0, out.stderr
    name, message, second = out.stdout.splitlines()
    assert name == "zmq.no_such_module"
    assert "'zmq.no_such_module'" in message
    assert "'purezmq.no_such_module'" in message
    assert second == "ImportError"


def test_install_after_pyzmq_is_an_error(tmp_path: Path) -> None:
    pytest.importorskip("zmq", reason="needs real pyzmq to import first")
    out = run_code(
        """
        import zmq
        import purezmq.alias
        try:
            purezmq.alias.install()
        except RuntimeError as exc:
            print(exc)
        print(zmq.__name__, hasattr(zmq, "backend"), purezmq.alias.installed())
        """,
        tmp_path,
    )
    assert out.returncode == 0, out.stderr
    message, state = out.stdout.splitlines()
    assert "pyzmq is already imported" in message
    assert "python -m purezmq run" in message
    # nothing changed: real pyzmq stays what `import zmq` is
    assert state == "zmq True False"


def test_uninstall_forgets_the_alias(tmp_path: Path) -> None:
    out = run_code(
        """
        import sys
        import purezmq.alias
        purezmq.alias.install()
        import zmq.sugar
        purezmq.alias.uninstall()
        print(purezmq.alias.installed(), [n for n in sys.modules if n.split(".")[0] == "zmq"])
        """,
        tmp_path,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False []"


PROGRAM = """
import os
import sys

import zmq

import purezmq

print("name", __name__)
print("argv", *sys.argv[1:])
print("path0", sys.path[0])
print("same", zmq is purezmq)
ctx = zmq.Context()
rep = ctx.socket(zmq.REP)
rep.linger = 0
rep.rcvtimeo = 5000
port = rep.bind_to_random_port("tcp://127.0.0.1")
req = ctx.socket(zmq.REQ)
req.linger = 0
req.rcvtimeo = 5000
req.connect(f"tcp://127.0.0.1:{port}")
req.send(b"ping")
rep.send(rep.recv() + b" pong")
print("reply", req.recv().decode())
ctx.destroy()
sys.exit(int(os.environ.get("EXIT", "0")))
"""


def test_run_script(tmp_path: Path) -> None:
    sub = tmp_path / "prog"
    sub.mkdir()
    script = sub / "prog.py"
    script.write_text(PROGRAM)
    out = python("-m", "purezmq", "run", str(script), "a", "-m", "--x", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    lines = dict(line.split(" ", 1) for line in out.stdout.splitlines())
    assert lines == {
        "name": "__main__",
        "argv": "a -m --x",
        "path0": str(sub),
        "same": "True",
        "reply": "ping pong",
    }


def test_run_script_exit_status(tmp_path: Path) -> None:
    script = tmp_path / "prog.py"
    script.write_text(PROGRAM)
    env_code = f"import os, runpy, sys; os.environ['EXIT'] = '3'; sys.argv = ['purezmq', 'run', {str(script)!r}]; runpy.run_module('purezmq', run_name='__main__')"
    out = run_code(env_code, tmp_path)
    assert out.returncode == 3, out.stderr
    assert "reply ping pong" in out.stdout


def test_run_module(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "prog.py").write_text(PROGRAM)
    out = python("-m", "purezmq", "run", "-m", "pkg.prog", "b", "-f", "c", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    lines = dict(line.split(" ", 1) for line in out.stdout.splitlines())
    assert lines["name"] == "__main__"
    assert lines["argv"] == "b -f c"
    assert lines["same"] == "True"
    assert lines["reply"] == "ping pong"


def test_run_usage_errors(tmp_path: Path) -> None:
    out = python("-m", "purezmq", "run", cwd=tmp_path)
    assert out.returncode == 2
    assert "usage: python -m purezmq run" in out.stderr
    out = python("-m", "purezmq", "run", "-m", cwd=tmp_path)
    assert out.returncode == 2
    assert "-m needs a module name" in out.stderr
    out = python("-m", "purezmq", "run", "--bogus", cwd=tmp_path)
    assert out.returncode == 2
    assert "unknown option --bogus" in out.stderr
    out = python("-m", "purezmq", "run", "--help", cwd=tmp_path)
    assert out.returncode == 0
    assert "import zmq" in out.stdout


def test_run_missing_module_of_purezmq(tmp_path: Path) -> None:
    script = tmp_path / "prog.py"
    script.write_text("import zmq.no_such_module\n")
    out = python("-m", "purezmq", "run", str(script), cwd=tmp_path)
    assert out.returncode == 1
    assert "ModuleNotFoundError" in out.stderr
    assert "'purezmq.no_such_module'" in out.stderr


def test_missing_dependency_of_a_purezmq_module_comes_through(tmp_path: Path) -> None:
    pytest.importorskip("tornado", reason="purezmq.eventloop needs tornado to be importable")
    out = run_code(
        """
        import sys
        sys.modules["tornado"] = None  # as if tornado were not installed
        import purezmq.alias
        purezmq.alias.install()
        try:
            import zmq.eventloop.zmqstream
        except ImportError as exc:
            print(exc.name)
            print(exc)
        """,
        tmp_path,
    )
    assert out.returncode == 0, out.stderr
    name, message = out.stdout.splitlines()
    assert name == "tornado"
    assert "tornado" in message
    assert "purezmq has no module" not in message


def test_reload_through_the_alias(tmp_path: Path) -> None:
    out = run_code(
        """
        import importlib
        import purezmq.alias
        purezmq.alias.install()
        import zmq.utils.z85
        again = importlib.reload(zmq.utils.z85)
        print(again is zmq.utils.z85, again.__name__, again.decode(again.encode(b"1234")))
        """,
        tmp_path,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", "purezmq.utils.z85", "b'1234'"]
