"""zmq.utils.jsonapi: dumps gives UTF-8 bytes, loads takes bytes or str, keyword
arguments reach the json module. Same assertions against purezmq and pyzmq."""

from __future__ import annotations

import importlib
import json
from typing import Any

import pytest


@pytest.fixture(params=["purezmq", "zmq"])
def lib(request: Any) -> Any:
    return pytest.importorskip(request.param)


@pytest.fixture
def jsonapi(lib: Any) -> Any:
    return importlib.import_module(f"{lib.__name__}.utils.jsonapi")


def test_loaded_with_the_package(lib: Any) -> None:
    # pyzmq programs use zmq.utils.jsonapi after a bare "import zmq".
    assert lib.utils.jsonapi.dumps([1]) == b"[1]"


def test_dumps_is_utf8_bytes(jsonapi: Any) -> None:
    assert jsonapi.dumps({"a": [1, 2.5, None, True]}) == b'{"a": [1, 2.5, null, true]}'
    assert jsonapi.dumps("\u00e9") == b'"\\u00e9"'  # json's default ensure_ascii
    assert jsonapi.dumps("\u00e9", ensure_ascii=False) == '"\u00e9"'.encode()
    assert jsonapi.dumps({"b": 1, "a": 2}, sort_keys=True, separators=(",", ":")) == (
        b'{"a":2,"b":1}'
    )


def test_loads_bytes_and_str(jsonapi: Any) -> None:
    assert jsonapi.loads(b'{"x": "\xc3\xa9"}') == {"x": "\u00e9"}
    assert jsonapi.loads('{"x": 1}') == {"x": 1}
    assert jsonapi.loads(b"[1]", object_hook=dict) == [1]
    assert jsonapi.loads(b'{"a": 1}', object_hook=lambda d: sorted(d)) == ["a"]


def test_round_trip(jsonapi: Any) -> None:
    obj = {"k": ["\u2603", 1, {"n": None}], "f": 0.5}
    assert jsonapi.loads(jsonapi.dumps(obj)) == obj


def test_errors(jsonapi: Any) -> None:
    with pytest.raises(ValueError):  # json.JSONDecodeError
        jsonapi.loads(b"{nope")
    with pytest.raises(UnicodeDecodeError):
        jsonapi.loads(b'"\xff"')
    with pytest.raises(TypeError, match="not JSON serializable"):
        jsonapi.dumps(object())
    assert jsonapi.jsonmod is json
