"""PUB, SUB, XPUB and XSUB (RFC 29; libzmq src/xpub.cpp, pub.cpp, xsub.cpp, sub.cpp).

Theory of operation
-------------------
Filtering happens on the publisher. Every XPUB/PUB keeps a `MultiTrie` of
prefix -> subscribed pipes, fed by the `Subscribe`/`Cancel` events its pipes
carry (the codec has already turned both wire forms, 3.1 SUBSCRIBE/CANCEL
commands and 3.0 ``\\x01topic``/``\\x00topic`` messages, into those events;
RFC 29 "The Subscription Process", spec/interop.md #4). Sending a message walks
the trie once along the message's first frame, marks the matching pipes in
the `Distributor`, and writes the *same* message object to each of them: the
cost per message grows with the length of the path and the number of
matching pipes, never with the number of subscriptions that do not match.
A subscriber whose pipe is at SNDHWM simply misses the message (the
distributor parks it until its ``write_activated``); with XPUB_NODROP the
whole send waits instead (EAGAIN).

Subscriptions are read eagerly: whenever a pipe reports ``read_activated``
the core drains it, so a PUB that only ever sends still learns about its
subscribers as soon as its mailbox is processed. XPUB queues a
``\\x01topic``/``\\x00topic`` message for the application when a prefix
gets its first subscriber or loses its last one (XPUB_VERBOSE: every
subscribe; XPUB_VERBOSER: every unsubscribe too; like libzmq, also a cancel
for a prefix the pipe never subscribed), and on pipe termination
for every prefix nobody wants any more. Data messages coming upstream from
an XSUB are handed to the XPUB application too (PUB drops them).

The subscriber side (XSUB/SUB) counts its own subscriptions in a `Trie`:
every subscribe goes upstream (XPUB de-duplicates per pipe), an unsubscribe
goes only when the count drops to zero. New pipes get one subscribe per
distinct prefix, and so do pipes whose connection was re-established
(``xhiccuped``, spec/interop.md #14). Subscription events are written past the
HWM (`Pipe.force_write`): a subscription is never dropped. SUB filters again
on receipt, so a publisher that does not filter (or filters only some
messages, as a 3.0 peer might) still yields exactly the subscribed messages.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sized
from typing import Any, Callable, Optional

from ..constants import SocketOption as O
from ..routing.dist import Distributor
from ..routing.fq import FairQueue
from ..routing.pipe import Pipe, write_lossy_each
from ..routing.trie import MultiTrie, Trie
from ..zmtp.events import Cancel, Subscribe
from .base import Msg, Received, SocketCore
from .options import Options


def _subscription(msg: Any) -> Optional[tuple[bool, bytes]]:
    """(subscribe?, topic) if `msg` is a one-frame 0x01/0x00 message."""
    if len(msg) != 1:
        return None
    body = msg[0]
    if not len(body) or body[0] > 1:
        return None
    return body[0] == 1, bytes(body[1:])


class _TopicsCount(SocketCore):
    """ZMQ_TOPICS_COUNT: the number of distinct prefixes in ``_subs``."""

    _subs: Sized

    def xget_option(self, option: int) -> Any:
        if option == O.TOPICS_COUNT:
            return len(self._subs)
        return super().xget_option(option)


# ---------------------------------------------------------------------------
# Publisher side
# ---------------------------------------------------------------------------


class XPub(_TopicsCount):
    """XPUB: publisher that shows subscriptions to the app; libzmq xpub_t."""

    socket_type_name = "XPUB"
    _deliver = True  # hand subscription and upstream messages to the app
    _subs: MultiTrie

    def __init__(self, options: Options) -> None:
        super().__init__(options)
        self._dist = Distributor()
        self._subs = MultiTrie()
        # Messages for the app: (frames, pipe they came from or None).
        self._pending: deque[tuple[Msg, Optional[Pipe]]] = deque()
        self._verbose_subs = False  # XPUB_VERBOSE: report every subscribe
        self._verbose_unsubs = False  # XPUB_VERBOSER: and every unsubscribe
        self._lossy = True  # not XPUB_NODROP
        self._manual = False  # XPUB_MANUAL: the app decides subscriptions
        self._send_last_pipe = False  # XPUB_MANUAL_LAST_VALUE
        self._manual_subs = MultiTrie()  # what peers asked for, in manual mode
        self._last_pipe: Optional[Pipe] = None  # pipe of the last message read (manual)
        self._welcome: Optional[bytes] = None  # XPUB_WELCOME_MSG

    # -- pipes ---------------------------------------------------------------

    def xattach(self, pipe: Pipe) -> None:
        self._dist.attach(pipe)
        if self._welcome is not None:
            pipe.write([self._welcome])
        self._read_pipe(pipe)

    def xread_activated(self, pipe: Pipe) -> None:
        self._read_pipe(pipe)

    def xwrite_activated(self, pipe: Pipe) -> None:
        self._dist.activated(pipe)

    def xpipe_terminated(self, pipe: Pipe) -> None:
        if self._manual:
            for prefix in sorted(self._manual_subs.prefixes(pipe)):
                self._unsubscribed(prefix)
            self._manual_subs.rm_pipe(pipe)
            self._subs.rm_pipe(pipe)
            if pipe is self._last_pipe:
                self._last_pipe = None
        elif self._verbose_unsubs:
            for prefix in sorted(self._subs.prefixes(pipe)):
                self._unsubscribed(prefix)
            self._subs.rm_pipe(pipe)
        else:
            self._subs.rm_pipe(pipe, self._unsubscribed)
        self._dist.pipe_terminated(pipe)

    def _unsubscribed(self, prefix: bytes) -> None:
        """A terminated pipe took `prefix` with it (libzmq send_unsubscription)."""
        if self._deliver:
            self._pending.append(([b"\x00" + prefix], None))
            if self._manual:
                self._last_pipe = None

    def _read_pipe(self, pipe: Pipe) -> None:
        """Drain everything the peer sent: subscriptions and upstream messages."""
        read = pipe.read
        while True:
            item = read()
            if item is None:
                return
            t = type(item)
            if t is Subscribe:
                self._on_subscription(pipe, True, item.topic)
            elif t is Cancel:
                self._on_subscription(pipe, False, item.topic)
            else:
                sub = _subscription(item)
                if sub is not None:  # 3.0 form that reached us as a message
                    self._on_subscription(pipe, sub[0], sub[1])
                elif self._deliver:
                    self._pending.append((item, pipe))

    def _on_subscription(self, pipe: Pipe, subscribe: bool, topic: bytes) -> None:
        if type(topic) is not bytes:
            topic = bytes(topic)
        if self._manual:
            if subscribe:
                self._manual_subs.add(topic, pipe)
            else:
                self._manual_subs.rm(topic, pipe)
            notify = True
        elif subscribe:
            notify = self._subs.add(topic, pipe) or self._verbose_subs
        else:
            # libzmq reports a cancel unless other pipes still hold the
            # prefix: a cancel for a prefix this pipe never had is reported too.
            subs = self._subs
            known = pipe in subs.pipes(topic)
            notify = subs.rm(topic, pipe) or not known or self._verbose_unsubs
        if notify and self._deliver:
            self._pending.append(([(b"\x01" if subscribe else b"\x00") + topic], pipe))

    # -- messages --------------------------------------------------------------

    def send(self, msg: Msg) -> bool:
        if self._lossy and not self._send_last_pipe and not self.options.invert_matching:
            # Fast path: walk the trie, write to each match; a full pipe just
            # misses the message (its failed write arms write_activated).
            # With only the empty prefix subscribed, every message goes to
            # that prefix's pipes: no walk. (A write never changes the trie:
            # at most it pumps a session on this thread.)
            hits = self._subs.match_any()
            if hits is None:
                hits = self._subs.matches(msg[0])
            write_lossy_each(hits, msg)
            return True
        return self._send_matching(msg)

    def _send_matching(self, msg: Msg) -> bool:
        """NODROP, INVERT_MATCHING, MANUAL_LAST_VALUE: through the Distributor."""
        dist = self._dist
        dist.unmatch()
        if self._send_last_pipe and self._last_pipe is not None:
            last = self._last_pipe
            self._last_pipe = None

            def only_last(pipe: Pipe) -> None:
                if pipe is last:
                    dist.match(pipe)

            self._subs.match(msg[0], only_last)
        else:
            self._subs.match(msg[0], dist.match)
        if self.options.invert_matching:
            dist.reverse_match()
        if not self._lossy and not dist.check_hwm():
            dist.unmatch()
            return False  # XPUB_NODROP: EAGAIN / block until every pipe has room
        dist.send_to_matching(msg)
        dist.unmatch()
        return True

    def recv(self) -> Optional[Received]:
        pending = self._pending
        if not pending:
            return None
        msg, pipe = pending.popleft()
        if self._manual:
            # libzmq: SUBSCRIBE/UNSUBSCRIBE options now act on this pipe
            self._last_pipe = pipe if pipe is not None and pipe in self.pipes else None
        return msg

    def has_in(self) -> bool:
        # Pipes are drained on every read_activated, so their wake-ups are armed.
        return bool(self._pending)

    def has_out(self) -> bool:
        return True  # never blocks (NODROP blocks only at send time, as libzmq)

    # -- options -----------------------------------------------------------------

    def xset_option(self, option: int, value: Any) -> bool:
        on = bool(value)
        if option == O.XPUB_VERBOSE:
            self._verbose_subs = on
            self._verbose_unsubs = False
        elif option == O.XPUB_VERBOSER:
            self._verbose_subs = self._verbose_unsubs = on
        elif option == O.XPUB_NODROP:
            self._lossy = not on
        elif option == O.XPUB_MANUAL:
            self._manual = on
        elif option == O.XPUB_MANUAL_LAST_VALUE:
            self._manual = self._send_last_pipe = on
        elif option == O.ONLY_FIRST_SUBSCRIBE:
            pass  # accepted, and nothing more: messages are handled whole
        elif option == O.XPUB_WELCOME_MSG:
            self._welcome = value or None
        elif option == O.SUBSCRIBE or option == O.UNSUBSCRIBE:
            if not self._manual:
                return False  # libzmq: EINVAL unless XPUB_MANUAL
            pipe = self._last_pipe
            if pipe is not None:
                if option == O.SUBSCRIBE:
                    self._subs.add(value, pipe)
                else:
                    self._subs.rm(value, pipe)
        else:
            return False
        return True


class Pub(XPub):
    """PUB: XPUB that keeps subscriptions to itself; libzmq pub_t."""

    socket_type_name = "PUB"
    _deliver = False

    recv = SocketCore.recv  # ENOTSUP

    def has_in(self) -> bool:
        return False


# ---------------------------------------------------------------------------
# Subscriber side
# ---------------------------------------------------------------------------


class XSub(_TopicsCount):
    """XSUB: subscriptions are messages the app sends; libzmq xsub_t."""

    socket_type_name = "XSUB"
    compact_inbound = True
    _subs: Trie

    def __init__(self, options: Options) -> None:
        super().__init__(options)
        # libzmq xsub_t: pending subscriptions are not worth lingering for.
        options.linger = 0
        self._fq = FairQueue()
        self._dist = Distributor()  # upstream data messages (XSUB only)
        self._subs = Trie()
        self._verbose_unsubs = False  # XSUB_VERBOSE_UNSUBSCRIBE
        if type(self) is XSub:  # not for SUB, a subclass (as libzmq sub_t)
            # Hot path: the FairQueue's bound methods replace ours per instance.
            self.recv = self._fq.recv  # type: ignore[method-assign]
            self.has_in = self._fq.has_in  # type: ignore[method-assign]

    # -- pipes ---------------------------------------------------------------

    def xattach(self, pipe: Pipe) -> None:
        self._fq.attach(pipe)
        self._dist.attach(pipe)
        self._replay(pipe)

    def xhiccuped(self, pipe: Pipe) -> None:
        self._replay(pipe)

    def _replay(self, pipe: Pipe) -> None:
        """One subscribe per distinct prefix (libzmq xsub_t::send_subscription)."""
        write = pipe.force_write
        self._subs.apply(lambda topic: write(Subscribe(topic)))

    def xread_activated(self, pipe: Pipe) -> None:
        self._fq.activated(pipe)

    def xwrite_activated(self, pipe: Pipe) -> None:
        self._dist.activated(pipe)

    def xpipe_terminated(self, pipe: Pipe) -> None:
        self._fq.pipe_terminated(pipe)
        self._dist.pipe_terminated(pipe)

    # -- subscriptions -------------------------------------------------------------

    def _subscribe(self, topic: bytes) -> None:
        # Sent upstream every time: XPUB de-duplicates per pipe, and a forwarding
        # device with XPUB_VERBOSE wants to see each one (libzmq xsub.cpp).
        self._subs.add(topic)
        self._upstream(Subscribe(topic))

    def _unsubscribe(self, topic: bytes) -> None:
        if self._subs.rm(topic) or self._verbose_unsubs:
            self._upstream(Cancel(topic))

    def _upstream(self, event: Any) -> None:
        for pipe in self.pipes:
            pipe.force_write(event)

    # -- messages --------------------------------------------------------------------

    def send(self, msg: Msg) -> bool:
        sub = _subscription(msg)
        if sub is None:
            self._dist.send_to_all(msg)  # user message upstream; dropped at HWM
        elif sub[0]:
            self._subscribe(sub[1])
        else:
            self._unsubscribe(sub[1])
        return True

    def has_out(self) -> bool:
        return True

    def recv(self) -> Optional[Received]:  # replaced per instance by the FairQueue's
        return self._fq.recv()

    # -- options -----------------------------------------------------------------------

    def xset_option(self, option: int, value: Any) -> bool:
        if option == O.XSUB_VERBOSE_UNSUBSCRIBE:
            self._verbose_unsubs = bool(value)
            return True
        # ONLY_FIRST_SUBSCRIBE: accepted, and nothing more (messages are whole)
        return option == O.ONLY_FIRST_SUBSCRIBE


class Sub(XSub):
    """SUB: subscribes by option, filters what it receives; libzmq sub_t."""

    socket_type_name = "SUB"
    sends = False

    def __init__(self, options: Options) -> None:
        super().__init__(options)
        self._stash: Optional[Received] = None  # a matching message found by has_in
        self._fq_recv = self._fq.recv
        self._check: Callable[[Any], bool] = self._subs.check
        # Subscribed to the empty prefix: every message matches, no check.
        self._everything = False

    def _subscribe(self, topic: bytes) -> None:
        super()._subscribe(topic)
        self._everything = self._subs.count(b"") > 0

    def _unsubscribe(self, topic: bytes) -> None:
        super()._unsubscribe(topic)
        self._everything = self._subs.count(b"") > 0

    send = SocketCore.send  # ENOTSUP

    def has_out(self) -> bool:
        return False

    def recv(self) -> Optional[Received]:
        msg = self._stash
        if msg is not None:
            self._stash = None
            return msg
        recv = self._fq_recv
        msg = recv()
        if self._everything and not self.options.invert_matching:
            return msg
        check = self._check
        # A message is a list of frames or, from a compact connection, one
        # bare frame (bytes): the topic is that frame, or the list's first.
        if self.options.invert_matching:
            while msg is not None and check(msg if type(msg) is bytes else msg[0]):
                msg = recv()
            return msg
        while msg is not None and not check(msg if type(msg) is bytes else msg[0]):
            msg = recv()
        return msg

    def has_in(self) -> bool:
        """True only for a message that matches (kept for the next `recv`)."""
        if self._stash is not None:
            return True
        msg = self.recv()  # None: every pipe is parked with its wake-up armed
        if msg is None:
            return False
        self._stash = msg
        return True

    def xset_option(self, option: int, value: Any) -> bool:
        # Only these two: the XSUB options are EINVAL on SUB (libzmq sub_t).
        if option == O.SUBSCRIBE:
            self._subscribe(value)
        elif option == O.UNSUBSCRIBE:
            self._unsubscribe(value)
        else:
            return False
        return True
