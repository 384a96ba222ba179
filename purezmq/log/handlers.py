"""Publish :mod:`logging` records on a PUB socket, one two-frame message per record.

Frame 1 is the topic, frame 2 the formatted text (UTF-8). The topic joins with dots:
the handler's root topic (left out when empty), the record's level name, then any
subtopic the message carries before ``"::"`` (``log.info("db.slow::took 3 s")`` is
published under ``INFO.db.slow`` with the text ``took 3 s``). A SUB socket filters on
that prefix. Each level has its own formatter; ``setFormatter(fmt)`` replaces them all,
``setFormatter(fmt, level)`` one.

``TopicLogger`` is a :class:`logging.Logger` whose methods take the topic first
(``logger.info("db.slow", "took %d s", 3)``) and write it in that ``topic::message``
form.

Example with :func:`logging.config.dictConfig`::

    sock = zmq.Context.instance().socket(zmq.PUB)
    sock.connect("tcp://127.0.0.1:5558")
    dictConfig({
        "version": 1,
        "handlers": {"zmq": {"class": "purezmq.log.handlers.PUBHandler",
                             "interface_or_socket": sock, "root_topic": "app"}},
        "root": {"level": "DEBUG", "handlers": ["zmq"]},
    })
"""

from __future__ import annotations

import copy
import logging
from typing import Any, Optional, Union

from ..constants import PUB
from ..sugar import Context, Socket

TOPIC_DELIM = "::"  # separates a subtopic from the message text

_WHERE = "%(levelname)s %(filename)s:%(lineno)d - %(message)s\n"


def _default_formatters() -> dict[int, Optional[logging.Formatter]]:
    """The formats pyzmq uses: INFO is the bare message, ERROR adds exc_info."""
    return {
        logging.DEBUG: logging.Formatter(_WHERE),
        logging.INFO: logging.Formatter("%(message)s\n"),
        logging.WARNING: logging.Formatter(_WHERE),
        logging.ERROR: logging.Formatter(
            "%(levelname)s %(filename)s:%(lineno)d - %(message)s - %(exc_info)s\n"
        ),
        logging.CRITICAL: logging.Formatter(_WHERE),
    }


class PUBHandler(logging.Handler):
    """A logging handler that publishes each record on a PUB socket.

    `interface_or_socket` is either a socket to publish on (it stays the caller's), or an
    endpoint string: the handler then creates a PUB socket in `context` (a new Context
    when none is given) and binds it there.
    """

    formatters: dict[int, Optional[logging.Formatter]]
    ctx: Any
    socket: Any

    def __init__(
        self,
        interface_or_socket: Union[str, bytes, Socket, Any],
        context: Optional[Context] = None,
        root_topic: str = "",
    ) -> None:
        logging.Handler.__init__(self)
        self.root_topic = root_topic
        self.formatters = _default_formatters()
        if isinstance(interface_or_socket, (str, bytes)):
            address = interface_or_socket
            if isinstance(address, bytes):
                address = address.decode("utf-8")
            self.ctx = context or Context()
            self.socket = self.ctx.socket(PUB)
            self.socket.bind(address)
        else:
            self.socket = interface_or_socket
            self.ctx = self.socket.context

    @property
    def root_topic(self) -> str:
        """The first part of every topic this handler publishes ('' for none)."""
        return self._root_topic

    @root_topic.setter
    def root_topic(self, value: Union[str, bytes]) -> None:
        self.setRootTopic(value)

    def setRootTopic(self, root_topic: Union[str, bytes]) -> None:
        """Set the root topic (bytes are decoded as UTF-8).

        Subscribers must subscribe to a prefix of it (or to b"") to see anything; with the
        default '' topics start with the level name.
        """
        if isinstance(root_topic, bytes):
            root_topic = root_topic.decode("utf-8")
        self._root_topic = root_topic

    def setFormatter(self, fmt: Optional[logging.Formatter], level: int = logging.NOTSET) -> None:
        """Use `fmt` for records of `level`, or for every level when `level` is NOTSET."""
        if level == logging.NOTSET:
            for known in list(self.formatters):
                self.formatters[known] = fmt
        else:
            self.formatters[level] = fmt

    def format(self, record: logging.LogRecord) -> str:
        """The text for `record`, by the formatter of its level."""
        formatter = self.formatters[record.levelno]
        if formatter is None:
            raise TypeError(f"no formatter for level {record.levelname}")
        return formatter.format(record)

    def emit(self, record: logging.LogRecord) -> None:
        """Publish `record` as [topic, text]."""
        subtopic, sep, text = str(record.msg).partition(TOPIC_DELIM)
        if sep:
            record = copy.copy(record)  # the caller's record stays as it was
            record.msg = text
        else:
            subtopic = ""
        try:
            body = self.format(record).encode("utf-8")
        except Exception:
            self.handleError(record)
            return
        parts = [self.root_topic] if self.root_topic else []
        parts.append(record.levelname)
        if subtopic:
            parts.append(subtopic)
        topic = ".".join(parts).encode("utf-8", "replace")
        self.socket.send_multipart([topic, body])


class TopicLogger(logging.Logger):
    """A Logger whose methods take a topic before the message: ``debug(topic, msg, *args)``.

    The record's message becomes ``f"{topic}::{msg}"``, which PUBHandler splits again.
    """

    def log(self, level: int, topic: str, msg: str, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        """Log ``msg % args`` at `level` under `topic`."""
        logging.Logger.log(self, level, topic + TOPIC_DELIM + msg, *args, **kwargs)

    def debug(self, topic: str, msg: str, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        logging.Logger.debug(self, topic + TOPIC_DELIM + msg, *args, **kwargs)

    def info(self, topic: str, msg: str, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        logging.Logger.info(self, topic + TOPIC_DELIM + msg, *args, **kwargs)

    def warning(self, topic: str, msg: str, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        logging.Logger.warning(self, topic + TOPIC_DELIM + msg, *args, **kwargs)

    def warn(self, topic: str, msg: str, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        logging.Logger.warning(self, topic + TOPIC_DELIM + msg, *args, **kwargs)

    def error(self, topic: str, msg: str, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        logging.Logger.error(self, topic + TOPIC_DELIM + msg, *args, **kwargs)

    def exception(  # type: ignore[override]
        self, topic: str, msg: str, *args: Any, exc_info: Any = True, **kwargs: Any
    ) -> None:
        logging.Logger.error(self, topic + TOPIC_DELIM + msg, *args, exc_info=exc_info, **kwargs)

    def critical(self, topic: str, msg: str, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        logging.Logger.critical(self, topic + TOPIC_DELIM + msg, *args, **kwargs)

    fatal = critical  # type: ignore[assignment]


__all__ = ["TOPIC_DELIM", "PUBHandler", "TopicLogger"]
