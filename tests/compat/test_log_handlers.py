"""zmq.log.handlers: PUBHandler topics (root topic, level, "::" subtopic), the
default per-level formats, setFormatter for all levels or one, a socket or an
address given, dictConfig, and TopicLogger. Records go over a real PUB/SUB pair.
Every test runs the same assertions against purezmq and real pyzmq, except
TopicLogger's per-level methods, which are broken in pyzmq (see there)."""

from __future__ import annotations

import importlib
import itertools
import logging
import logging.config
import time
from collections.abc import Iterator
from typing import Any

import pytest

_names = itertools.count()


@pytest.fixture
def handlers(lib: Any) -> Any:
    return importlib.import_module(f"{lib.__name__}.log.handlers")


@pytest.fixture
def logger() -> Iterator[logging.Logger]:
    log = logging.getLogger(f"purezmq-test-log-{next(_names)}")
    log.setLevel(logging.DEBUG)
    log.propagate = False
    yield log
    for h in list(log.handlers):
        log.removeHandler(h)


def _sub(lib: Any, addr: str) -> Any:
    sub = lib.test_ctx.socket(lib.SUB)
    sub.setsockopt(lib.LINGER, 0)
    sub.setsockopt(lib.RCVTIMEO, 5000)
    sub.setsockopt(lib.SUBSCRIBE, b"")
    sub.connect(addr)
    return sub


def _pub(lib: Any) -> tuple[Any, str]:
    pub = lib.test_ctx.socket(lib.PUB)
    pub.setsockopt(lib.LINGER, 0)
    addr = f"inproc://log-{next(_names)}"
    pub.bind(addr)
    return pub, addr


def _joined(logger: logging.Logger, sub: Any, lib: Any) -> None:
    """Log until the SUB sees a record (a PUB drops what it sends before the
    subscription arrives), then drain what is left of the probes."""
    deadline = time.monotonic() + 5
    while True:
        assert time.monotonic() < deadline, "SUB never received a record"
        logger.critical("probe::sync")
        if sub.poll(10):
            break
    while sub.poll(50):
        sub.recv_multipart()


def _recv(sub: Any) -> tuple[bytes, bytes]:
    topic, body = sub.recv_multipart()
    return topic, body


@pytest.fixture
def wired(lib: Any, handlers: Any, logger: logging.Logger) -> tuple[Any, Any]:
    """(handler on a PUB bound by the test, a SUB receiving from it), already joined."""
    pub, addr = _pub(lib)
    handler = handlers.PUBHandler(pub)
    logger.addHandler(handler)
    sub = _sub(lib, addr)
    _joined(logger, sub, lib)
    return handler, sub


def test_topics(lib: Any, wired: tuple[Any, Any], logger: logging.Logger) -> None:
    handler, sub = wired
    assert handler.root_topic == ""
    logger.info("plain")
    assert _recv(sub) == (b"INFO", b"plain\n")
    logger.info("db.slow::took %d s", 3)
    assert _recv(sub) == (b"INFO.db.slow", b"took 3 s\n")
    handler.root_topic = "app"
    logger.warning("w::x::y")  # only the first "::" splits
    topic, body = _recv(sub)
    assert topic == b"app.WARNING.w" and body.endswith(b" - x::y\n")
    handler.setRootTopic(b"bytes-root")
    assert handler.root_topic == "bytes-root"
    logger.info("::empty subtopic")
    assert _recv(sub) == (b"bytes-root.INFO", b"empty subtopic\n")
    logger.info({"not": "a str"})
    assert _recv(sub) == (b"bytes-root.INFO", b"{'not': 'a str'}\n")


def test_default_formats(wired: tuple[Any, Any], logger: logging.Logger) -> None:
    _, sub = wired
    logger.debug("d")
    topic, body = _recv(sub)
    assert topic == b"DEBUG"
    assert body.startswith(b"DEBUG test_log_handlers.py:") and body.endswith(b" - d\n")
    logger.info("i")
    assert _recv(sub) == (b"INFO", b"i\n")
    logger.warning("w")
    topic, body = _recv(sub)
    assert topic == b"WARNING" and body.startswith(b"WARNING test_log_handlers.py:")
    logger.error("e")
    topic, body = _recv(sub)
    assert topic == b"ERROR" and body.endswith(b" - e - None\n")
    logger.critical("c \u2603")
    topic, body = _recv(sub)
    assert topic == b"CRITICAL" and body.endswith(" - c \u2603\n".encode())


def test_set_formatter(wired: tuple[Any, Any], logger: logging.Logger) -> None:
    handler, sub = wired
    handler.setFormatter(logging.Formatter("[%(levelname)s] %(message)s"))
    for level in (logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR):
        logger.log(level, "m")
        assert _recv(sub)[1] == f"[{logging.getLevelName(level)}] m".encode()
    handler.setFormatter(logging.Formatter("only debug: %(message)s"), logging.DEBUG)
    logger.debug("m")
    assert _recv(sub) == (b"DEBUG", b"only debug: m")
    logger.info("m")
    assert _recv(sub) == (b"INFO", b"[INFO] m")


def test_record_left_unchanged(wired: tuple[Any, Any], logger: logging.Logger) -> None:
    _, sub = wired
    seen: list[str] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record.msg)

    logger.addHandler(Capture())
    logger.info("topic::text")
    assert _recv(sub) == (b"INFO.topic", b"text\n")
    assert seen == ["topic::text"]


def test_address_and_context(lib: Any, handlers: Any, logger: logging.Logger) -> None:
    addr = f"inproc://log-{next(_names)}"
    handler = handlers.PUBHandler(addr, context=lib.test_ctx, root_topic="r")
    try:
        assert handler.ctx is lib.test_ctx
        assert handler.socket.type == lib.PUB
        assert handler.root_topic == "r"
        logger.addHandler(handler)
        sub = _sub(lib, addr)
        _joined(logger, sub, lib)
        logger.info("x")
        assert _recv(sub) == (b"r.INFO", b"x\n")
    finally:
        handler.socket.close(linger=0)


def test_address_without_context(lib: Any, handlers: Any) -> None:
    handler = handlers.PUBHandler("tcp://127.0.0.1:*")
    try:
        assert isinstance(handler.ctx, lib.Context)
        assert handler.socket.context is handler.ctx
        assert handler.socket.getsockopt(lib.LAST_ENDPOINT).startswith(b"tcp://127.0.0.1:")
    finally:
        handler.socket.close(linger=0)
        handler.ctx.term()


def test_given_socket(lib: Any, handlers: Any) -> None:
    pub, _ = _pub(lib)
    handler = handlers.PUBHandler(pub)
    assert handler.socket is pub
    assert handler.ctx is lib.test_ctx


def test_dict_config(lib: Any, handlers: Any) -> None:
    pub, addr = _pub(lib)
    name = f"purezmq-test-dictconfig-{next(_names)}"
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "handlers": {
                "zmq": {
                    "class": f"{lib.__name__}.log.handlers.PUBHandler",
                    "level": logging.DEBUG,
                    "root_topic": "cfg",
                    "interface_or_socket": pub,
                }
            },
            "loggers": {name: {"level": "DEBUG", "handlers": ["zmq"], "propagate": False}},
        }
    )
    log = logging.getLogger(name)
    try:
        (handler,) = log.handlers
        assert isinstance(handler, handlers.PUBHandler) and handler.socket is pub
        sub = _sub(lib, addr)
        _joined(log, sub, lib)
        log.info("t::configured")
        assert _recv(sub) == (b"cfg.INFO.t", b"configured\n")
    finally:
        for h in list(log.handlers):
            log.removeHandler(h)


def test_format_error_goes_to_handle_error(
    wired: tuple[Any, Any], logger: logging.Logger, monkeypatch: Any
) -> None:
    handler, sub = wired
    errors: list[logging.LogRecord] = []
    monkeypatch.setattr(handler, "handleError", errors.append)
    logger.info("%d", "not a number")
    assert len(errors) == 1
    assert not sub.poll(50)  # nothing published for the broken record


def _topic_logger(name: str, handler: logging.Handler, handlers: Any) -> Any:
    manager = logging.Manager(logging.getLogger())
    manager.setLoggerClass(handlers.TopicLogger)
    log = manager.getLogger(name)
    log.setLevel(logging.DEBUG)
    log.propagate = False
    log.addHandler(handler)
    return log


def test_topic_logger_log(lib: Any, handlers: Any) -> None:
    pub, addr = _pub(lib)
    log = _topic_logger("topic-log", handlers.PUBHandler(pub), handlers)
    assert isinstance(log, handlers.TopicLogger)
    sub = _sub(lib, addr)
    deadline = time.monotonic() + 5
    while not sub.poll(10):
        assert time.monotonic() < deadline
        log.log(logging.INFO, "probe", "sync")
    while sub.poll(50):
        sub.recv_multipart()
    log.log(logging.INFO, "svc.db", "took %d s", 3)
    assert _recv(sub) == (b"INFO.svc.db", b"took 3 s\n")
    assert handlers.TOPIC_DELIM == "::"


def test_topic_logger_level_methods(lib: Any, handlers: Any) -> None:
    if lib.__name__ == "zmq":
        pytest.skip(
            "pyzmq's TopicLogger.debug/info/... are generated in a loop whose closure keeps "
            "the last method: each calls Logger.fatal, which fails with a TypeError"
        )
    records: list[logging.LogRecord] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    log = _topic_logger("topic-methods", Capture(), handlers)
    log.debug("a", "d %s", 1)
    log.info("b", "i")
    log.warning("c", "w")
    log.error("d", "e")
    log.critical("e", "c")
    log.fatal("f", "f")
    try:
        raise ValueError("boom")
    except ValueError:
        log.exception("g", "x")
    got = [(r.levelname, r.getMessage()) for r in records]
    assert got == [
        ("DEBUG", "a::d 1"),
        ("INFO", "b::i"),
        ("WARNING", "c::w"),
        ("ERROR", "d::e"),
        ("CRITICAL", "e::c"),
        ("CRITICAL", "f::f"),
        ("ERROR", "g::x"),
    ]
    assert records[-1].exc_info is not None and records[-1].exc_info[0] is ValueError
