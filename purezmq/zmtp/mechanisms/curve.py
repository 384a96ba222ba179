"""CURVE mechanism (RFC 25 ZMTP-CURVE, RFC 26 CurveZMQ), as libzmq 4.3.5 speaks it.

    client                                   server
    HELLO(C', nonce, Box[64 zeros](C'->S))  -->
                              <--  WELCOME(Box[S' + cookie](S->C'))
    INITIATE(cookie, nonce,
      Box[C + vouch + metadata](C'->S'))    -->
                                             (ZAP: the client's key C)
                              <--  READY(nonce, Box[metadata](S'->C'))  (or ERROR)

C and S are the long-term keys (options CURVE_PUBLICKEY/SECRETKEY and
CURVE_SERVERKEY), C' and S' the short-term keys made for this one connection.
After READY every frame, message or command, travels as a MESSAGE command:
an 8-byte short nonce and a box of one flags byte (0x01 MORE, 0x02 COMMAND)
plus the frame, under the key C' and S' share. Short nonces count up from 1
on each side (the client's HELLO is 1 and its INITIATE 2, the server's READY
is 1), so the first MESSAGE is 3 from a client and 2 from a server; a short
nonce not above the last one seen (replayed, reordered) is a protocol error,
and so is a box that does not open. Sizes, nonces and the error codes a
monitor reports follow libzmq 4.3.5's curve_client/curve_server.

Secrets: the server makes a fresh cookie key for each connection (as libzmq
does), puts S's short-term secret s' into the cookie and forgets it until the
client hands the cookie back in INITIATE; after INITIATE it forgets s', the
cookie key and its long-term secret. The client forgets c' and its long-term
secret once INITIATE is sent (and the C'/S key that HELLO and WELCOME
share, one X25519 on each side instead of two, at WELCOME). What stays is the one precomputed key of the
connection (``_precom``), needed for every MESSAGE, and the codecs made from
it at READY (``_seal``/``_open``, `crypto.afternm_codec`, and with libsodium
``_seal_spans``/``_open_spans``, `crypto.inplace_codec`, whose scratch buffer
holds the last plaintext it opened). Python cannot wipe the bytes
objects: dropping the references is what "forget" means here.

Traffic goes in batches (the per-message cost is what limits throughput):
`wrap_into` lays out all the frames of a send in one bytearray and, with
libsodium, seals them there in place (a run of one-frame short messages with
no Python bytecode per message, `_wrap_run`); `unwrap_spans` checks the names and
short nonces of all the whole frames of a read, then has them opened by one
call into the codec. `wrap`/`unwrap` do one frame (commands, large frames).
"""

from __future__ import annotations

import enum
import os
import struct
from collections.abc import Iterable, Sequence
from itertools import chain, repeat
from operator import add
from typing import Any, NoReturn, Optional

from ... import crypto
from ...crypto import CryptoError
from ..errors import (
    ZMTP_CRYPTOGRAPHIC,
    ZMTP_INVALID_SEQUENCE,
    ZMTP_KEY_EXCHANGE,
    ZMTP_MALFORMED_COMMAND_HELLO,
    ZMTP_MALFORMED_COMMAND_INITIATE,
    ZMTP_MALFORMED_COMMAND_MESSAGE,
    ZMTP_MALFORMED_COMMAND_READY,
    ZMTP_MALFORMED_COMMAND_UNSPECIFIED,
    AuthenticationFailed,
    LocalProtocolError,
    MalformedCommand,
    ProtocolError,
    RemoteProtocolError,
    UnexpectedCommand,
)
from ..events import AuthRequest
from ..framing import COMMAND, LONG, MORE, decode_metadata
from .base import Mechanism
from .common import error_body, parse_error_reason

KEY_SIZE = 32
# Command sizes, the name's length byte and name included (libzmq 4.3.5).
HELLO_SIZE = 200
WELCOME_SIZE = 168
INITIATE_MIN_SIZE = 257  # with empty metadata
READY_MIN_SIZE = 30
MESSAGE_MIN_SIZE = 33  # an empty frame: name 8 + nonce 8 + tag 16 + flags 1

_MESSAGE = b"\x07MESSAGE"
_HELLO_PAD = bytes(72)  # anti-amplification padding: HELLO is as big as WELCOME's box
_HELLO_PLAIN = bytes(64)
_U64 = struct.Struct(">Q")
_pack_nonce = _U64.pack
_NONCE_END = 1 << 64  # short nonces are 64 bits
_unpack_nonce = _U64.unpack_from

# `wrap_into`'s layout: a frame header (flags 0) and the MESSAGE name, by the
# frame's size when short; then the nonce, then 16 bytes for the tag and the
# box's flags byte (no MORE, MORE), then the frame, sealed in place.
_SHORT_MAX = 256 - MESSAGE_MIN_SIZE  # frames shorter than this make short MESSAGE frames
_SHORT_HEAD = [bytes((0, size + MESSAGE_MIN_SIZE)) + _MESSAGE for size in range(_SHORT_MAX)]
_LONG_HEAD = struct.Struct(">BQ8s")
_SHORT = [bytes((0, size)) for size in range(256)]  # a frame header, flags 0
_LONG_SIZE = struct.Struct(">BQ")
_GAP = (bytes(17), bytes(16) + b"\x01")
_BIG_BOX = 32 * 1024  # a box this big is a chunk of its own (one at a time)

# A run of one-frame short messages is laid out and sealed in C (`_wrap_run`):
# each message its frame header, the name, the short nonce and the box's flags
# byte (0: one frame, no MORE), then the frame, then 16 spare bytes; the box
# (tag first) is sealed over the flags byte, the frame and those 16 bytes.
_RUN_HEAD = struct.Struct(">H8sQx")  # 0 flags and the size (< 256) as one H
_RUN_BOX = 18  # where a message's box begins: header 2, name 8, nonce 8
_RUN_ROW = _RUN_BOX + 17  # a message's bytes beyond its frame's
_RUN_MIN = 12  # fewer messages go through the general loop (its setup costs less)
_RUN_NONCE = struct.Struct(">16sQ")  # the full 24-byte nonce: prefix + short
_ZERO16 = bytes(16)
_EDGE = (b"",)  # an empty piece, for a join to put its separator at both ends
_ALL_BYTES = bytes(range(256))


def _short_nonce_bytes(n: int, k: int, shift: int) -> bytes:
    """Byte ``(x >> shift) & 255`` of each short nonce ``x`` from ``n`` to
    ``n + k - 1``, made as runs of one value."""
    if shift == 0:
        low = n & 255
        return (_ALL_BYTES * ((low + k) // 256 + 1))[low : low + k]
    last = n + k - 1
    pieces = []
    start = n
    for value in range(n >> shift, (last >> shift) + 1):
        stop = min(last, ((value + 1) << shift) - 1) + 1
        pieces.append(bytes((value & 255,)) * (stop - start))
        start = stop
    return b"".join(pieces)


def _write_short_nonces(n: int, k: int, *tables: tuple[bytearray, int, int]) -> None:
    """Each table ``(rows, lowest, row)``: ``k`` rows of ``row`` bytes, each
    holding the short nonce ``n`` (8 bytes big-endian, its lowest byte at
    ``lowest`` in the row). Make row ``i``'s ``n + i``: only the bytes that
    differ in the run are written, one column at a time."""
    last = n + k - 1
    shift = 0
    while n >> shift != last >> shift:
        column = _short_nonce_bytes(n, k, shift)
        for rows, lowest, row in tables:
            rows[lowest - shift // 8 :: row] = column
        shift += 8


def _queue_after(out: bytearray, chunks: list[Any], buf: bytearray) -> bytearray:
    """Queue the sealed frames ``buf`` after ``out`` (appended to it when
    small, else ``out`` goes to ``chunks``); the bytearray to append to next."""
    if not out:
        return buf
    if len(buf) < _BIG_BOX:  # small: coalesce with what is queued
        out += buf
        return out
    chunks.append(out)
    return buf


# Inside a MESSAGE box the flags byte has its own bits (not the wire's 0x04).
_BOX_MORE = 0x01
_BOX_COMMAND = 0x02
# box flags byte -> wire flags, and wire flags -> box flags byte
_TO_WIRE = (0, MORE, COMMAND, COMMAND | MORE)
_FROM_WIRE = (b"\x00", b"\x01", b"", b"", b"\x02", b"\x03")  # by wire flags & 5
_TO_WIRE_TABLE = bytes(_TO_WIRE[b & 3] for b in range(256))  # for bytes.translate


def _crypto_failure(what: str) -> RemoteProtocolError:
    return RemoteProtocolError(what, ZMTP_CRYPTOGRAPHIC)


def _check_key(key: bytes, what: str) -> bytes:
    key = bytes(key)
    if len(key) != KEY_SIZE:
        raise ValueError(f"CURVE {what} must be {KEY_SIZE} bytes, not {len(key)}")
    return key


class _State(enum.Enum):
    EXPECT_HELLO = 0
    EXPECT_WELCOME = 1
    EXPECT_INITIATE = 2
    WAIT_ZAP = 3
    EXPECT_READY = 4
    READY = 5
    FAILED = 6


_READY = _State.READY


class _CurveBase(Mechanism):
    """What both sides share: short nonces and the MESSAGE box."""

    name = b"CURVE"
    wraps_traffic = True
    _send_prefix = b""  # the 16-byte MESSAGE nonce prefix of our direction
    _recv_prefix = b""

    def __init__(self) -> None:
        super().__init__()
        self._nonce = 1  # our next short nonce
        self._peer_nonce = 0  # the last short nonce the peer used
        self._precom: Optional[bytes] = None  # C'/S' shared key, once known
        self._seal: Optional[crypto.Sealer] = None  # MESSAGE boxes, once READY
        self._open: Optional[crypto.Opener] = None
        self._seal_spans: Optional[crypto.SealSpans] = None  # libsodium's in place
        self._open_spans: Optional[crypto.OpenSpans] = None
        self._state = _State.FAILED

    def _next_nonce(self) -> bytes:
        n = self._nonce
        self._nonce = n + 1
        return _pack_nonce(n)

    @property
    def secrets_held(self) -> tuple[str, ...]:
        """The names of the secrets still held (for tests: what was dropped)."""
        return tuple(name for name in self._SECRETS if getattr(self, name, None) is not None)

    _SECRETS: tuple[str, ...] = ()

    def _go_ready(self, precom: bytes) -> None:
        """The handshake is over: MESSAGE boxes under ``precom`` from now on."""
        self._precom = precom
        self._seal, self._open = crypto.afternm_codec(precom)
        fast = crypto.inplace_codec(precom)
        if fast is not None:
            self._seal_spans, self._open_spans = fast
        self._state = _READY
        self.done = True

    def wrap(self, flags: int, data: bytes) -> bytes:
        """One frame as a MESSAGE command body (name included)."""
        seal = self._seal
        if seal is None or self._state is not _READY:
            raise LocalProtocolError("CURVE traffic before the handshake is done")
        n = self._nonce
        self._nonce = n + 1
        nonce = _pack_nonce(n)
        return seal(_MESSAGE + nonce, _FROM_WIRE[flags & 5], data, self._send_prefix + nonce)

    def wrap_into(
        self, out: bytearray, chunks: list[Any], messages: Iterable[Sequence[Any]]
    ) -> bytearray:
        """Append ``messages`` to the output, as whole wire frames, each frame
        a MESSAGE command in a frame without flags (see `wrap`): to ``out``,
        or, when both are large, to ``chunks`` after it; return the bytearray
        to append to next.

        With libsodium the frames are laid out in the clear in one new
        bytearray (its size known before it is made: no regrowth) and sealed
        there in place by one call into the codec; nothing is left unsealed in
        it when this returns or raises."""
        seal_spans = self._seal_spans
        if seal_spans is None:
            return self._wrap_into_each(out, chunks, messages)
        if self._state is not _READY:
            raise LocalProtocolError("CURVE traffic before the handshake is done")
        if type(messages) is not list:
            messages = list(messages)
        if len(messages) >= _RUN_MIN:
            try:
                bodies = [frame for (frame,) in messages]
            except (ValueError, TypeError):  # a message of more (or no) frames
                pass
            else:
                k = len(bodies)
                if list(map(type, bodies)).count(bytes) == k:
                    sizes = list(map(len, bodies))
                    if max(sizes) < _SHORT_MAX:
                        same = sizes.count(sizes[0]) == k
                        return self._wrap_run(out, chunks, bodies, sizes, same, seal_spans)
        prefix = self._send_prefix
        n = self._nonce
        pieces: list[bytes] = []
        # (box offset, box end, nonce) of each box, flat
        spans: list[Any] = []
        pos = 0
        for frames in messages:
            more = len(frames)
            for body in frames:
                more -= 1
                if type(body) is not bytes:
                    body = bytes(body)
                size = len(body)
                nonce = _pack_nonce(n)
                n += 1
                if size < _SHORT_MAX:
                    pieces += (_SHORT_HEAD[size], nonce, _GAP[more > 0], body)
                    pos += 18  # header 2, name 8, nonce 8
                else:
                    head = _LONG_HEAD.pack(LONG, size + MESSAGE_MIN_SIZE, _MESSAGE)
                    pieces += (head, nonce, _GAP[more > 0], body)
                    pos += 25  # header 9, name 8, nonce 8
                end = pos + 17 + size
                spans += (pos, end, prefix + nonce)
                pos = end
        if not spans:
            return out
        buf = bytearray().join(pieces)
        try:
            seal_spans(buf, spans)
        except BaseException:
            buf = bytearray()  # never send a plaintext
            raise
        finally:
            self._nonce = n
        return _queue_after(out, chunks, buf)

    def _wrap_run(
        self,
        out: bytearray,
        chunks: list[Any],
        bodies: list[bytes],
        sizes: list[int],
        same: bool,
        seal_spans: crypto.SealSpans,
    ) -> bytearray:
        """`wrap_into` of one-frame messages, their frames ``bodies`` (bytes,
        ``sizes`` each shorter than ``_SHORT_MAX``, all one size if ``same``):
        the same bytes as the general loop, laid out and sealed with no Python
        bytecode per message."""
        n = self._nonce
        k = len(bodies)
        _pack_nonce(n + k - 1)  # raises as the general loop would past the last nonce
        self._nonce = n + k  # spent, whatever happens below
        steps: Iterable[int] | int
        boxes: Iterable[int]
        # the full nonces, packed: k copies of the first, made to count up
        nonces = bytearray(_RUN_NONCE.pack(self._send_prefix, n) * k)
        if same:
            # One size: rows of one length. The frames joined with the bytes
            # between them make every row whole but for the short nonces.
            size = sizes[0]
            row = size + _RUN_ROW
            head = _RUN_HEAD.pack(size + MESSAGE_MIN_SIZE, _MESSAGE, n)
            buf = bytearray(_ZERO16 + head).join(chain(_EDGE, bodies, _EDGE))
            # the separator put before the first frame: its head, without the
            # spare bytes before it; after the last: the spare bytes, no head
            del buf[:16]
            del buf[-len(head) :]
            _write_short_nonces(n, k, (nonces, 23, 24), (buf, _RUN_BOX - 1, row))
            steps = row
            boxes = repeat(size + 1, k)
        else:
            heads = map(
                _RUN_HEAD.pack,
                map(add, sizes, repeat(MESSAGE_MIN_SIZE)),
                repeat(_MESSAGE),
                range(n, n + k),
            )
            buf = bytearray().join(chain.from_iterable(zip(heads, bodies, repeat(_ZERO16))))
            steps = map(add, sizes, repeat(_RUN_ROW))
            boxes = map(add, sizes, repeat(1))
            _write_short_nonces(n, k, (nonces, 23, 24))
        try:
            seal_spans(buf, [(_RUN_BOX, steps, boxes, nonces)])
        except BaseException:
            buf = bytearray()  # never send a plaintext
            raise
        return _queue_after(out, chunks, buf)

    def _wrap_into_each(
        self, out: bytearray, chunks: list[Any], messages: Iterable[Sequence[Any]]
    ) -> bytearray:
        """`wrap_into` one box at a time, through the codec's ``seal``."""
        wrap = self.wrap
        for frames in messages:
            last = len(frames) - 1
            for i, body in enumerate(frames) if last else ((0, frames[0]),):
                if type(body) is not bytes:
                    body = bytes(body)
                box = wrap(MORE if i < last else 0, body)
                size = len(box)
                if size < 256:
                    out += _SHORT[size]
                    out += box
                else:
                    out += _LONG_SIZE.pack(LONG, size)
                    if size >= _BIG_BOX:
                        chunks.append(out)
                        chunks.append(box)
                        out = bytearray()
                    else:
                        out += box
        return out

    def unwrap(self, data: bytes) -> tuple[int, bytes]:
        """A MESSAGE command body (name included) -> (wire flags, frame)."""
        if data[:8] != _MESSAGE or len(data) < MESSAGE_MIN_SIZE:
            self._refuse_message(data)
        (n,) = _unpack_nonce(data, 8)
        if n <= self._peer_nonce:
            raise self._replayed(n)
        self._peer_nonce = n
        open_ = self._open
        assert open_ is not None
        try:
            flags, body = open_(data, 16, self._recv_prefix + data[8:16])
        except CryptoError:
            raise _crypto_failure("CURVE MESSAGE box does not open") from None
        return _TO_WIRE[flags & 3], body

    def unwrap_spans(
        self, data: bytes, starts: Sequence[int], stops: Sequence[int]
    ) -> tuple[bytearray, list[bytes], Optional[Exception]]:
        """`unwrap` of many MESSAGE bodies, ``data[starts[i]:stops[i]]`` in
        order: (their wire flags, one byte each; their frames; None). At the
        first that fails, the flags and frames are those before it and the
        third item is the error `unwrap` would raise for it, for the caller
        to raise once it has dealt with them. With libsodium the boxes are
        opened by one call into the codec."""
        nonces, error = self._nonces_of(data, starts, stops)
        flags = bytearray()
        frames: list[bytes] = []
        if nonces:
            open_spans = self._open_spans
            if open_spans is None:
                if isinstance(nonces, bytearray):  # packed
                    nonces = [bytes(nonces[i : i + 24]) for i in range(0, len(nonces), 24)]
                opened = self._open_each(data, starts, stops, nonces, flags, frames)
            else:
                opened = open_spans(data, starts, stops, 16, nonces, flags, frames)
            if not opened:
                error = _crypto_failure("CURVE MESSAGE box does not open")
        return flags.translate(_TO_WIRE_TABLE), frames, error

    def _nonces_of(
        self, data: bytes, starts: Sequence[int], stops: Sequence[int]
    ) -> tuple[list[bytes] | bytearray, Optional[Exception]]:
        """The nonces of the MESSAGE boxes ``data[starts[i]:stops[i]]``, up
        to the first that is not a MESSAGE or whose short nonce is not above
        the one before it, and the error for that one (None if all are good).
        Takes the last good short nonce as the peer's."""
        if type(starts) is range:
            packed = self._run_nonces(data, starts, stops[0] - starts[0])
            if packed is not None:
                return packed, None
        # Short nonces are 8 bytes big-endian: as bytes they order as numbers.
        last = _pack_nonce(self._peer_nonce)
        prefix = self._recv_prefix
        nonces: list[bytes] = []
        error: Optional[Exception] = None
        is_message = data.startswith
        for start, stop in zip(starts, stops):
            if stop - start < MESSAGE_MIN_SIZE or not is_message(_MESSAGE, start):
                try:
                    self._refuse_message(data[start:stop])
                except ProtocolError as exc:
                    error = exc
                break
            short = data[start + 8 : start + 16]
            if short <= last:
                error = self._replayed(_unpack_nonce(short)[0], _unpack_nonce(last)[0])
                break
            last = short
            nonces.append(prefix + short)
        (self._peer_nonce,) = _unpack_nonce(last)
        return nonces, error

    def _run_nonces(self, data: bytes, starts: range, size: int) -> Optional[bytearray]:
        """`_nonces_of` for ``size``-byte boxes every ``starts.step`` bytes,
        when all are MESSAGEs with the consecutive short nonces a peer sends:
        checked a byte column at a time (strided slices, no bytecode per box),
        the nonces packed in one bytearray. None, with nothing taken, for
        anything else."""
        k = len(starts)
        if size < MESSAGE_MIN_SIZE or k < 2:
            return None
        step = starts.step
        first = starts[0]
        (n,) = _unpack_nonce(data, first + 8)
        if n <= self._peer_nonce or n + k > _NONCE_END:
            return None
        span = (k - 1) * step + 1
        for i, byte in enumerate(_MESSAGE):  # the name, column by column
            if data[first + i : first + i + span : step].count(byte) != k:
                return None
        lowest = first + 15
        for shift in range(0, 64, 8):  # the short nonces n, n + 1, ..., column by column
            at = lowest - shift // 8
            if data[at : at + span : step] != _short_nonce_bytes(n, k, shift):
                return None
        self._peer_nonce = n + k - 1
        nonces = bytearray(_RUN_NONCE.pack(self._recv_prefix, n) * k)
        _write_short_nonces(n, k, (nonces, 23, 24))
        return nonces

    def _open_each(
        self,
        data: bytes,
        starts: Sequence[int],
        stops: Sequence[int],
        nonces: list[bytes],
        flags: bytearray,
        frames: list[bytes],
    ) -> bool:
        """`unwrap_spans`'s boxes opened one at a time, by the codec's ``open``."""
        open_ = self._open
        assert open_ is not None
        for start, stop, nonce in zip(starts, stops, nonces):
            box: Any = data[start:stop] if stop - start < 1024 else memoryview(data)[start:stop]
            try:
                first, frame = open_(box, 16, nonce)
            except CryptoError:
                return False
            flags.append(first)
            frames.append(frame)
        return True

    def _replayed(self, n: int, last: Optional[int] = None) -> RemoteProtocolError:
        last = self._peer_nonce if last is None else last
        return RemoteProtocolError(
            f"CURVE MESSAGE nonce {n} is not above {last}", ZMTP_INVALID_SEQUENCE
        )

    @staticmethod
    def _refuse_message(data: bytes) -> NoReturn:
        """Why a frame is not a MESSAGE, in libzmq's order of checks."""
        size = len(data)
        if size <= 1 or size <= data[0]:
            raise MalformedCommand("malformed command", ZMTP_MALFORMED_COMMAND_UNSPECIFIED)
        if data[:8] != _MESSAGE:
            raise UnexpectedCommand("CURVE traffic that is not a MESSAGE command")
        raise MalformedCommand("CURVE MESSAGE too short", ZMTP_MALFORMED_COMMAND_MESSAGE)

    def _peer_error(self, data: bytes) -> AuthenticationFailed:
        self._state = _State.FAILED
        return AuthenticationFailed.from_reason(parse_error_reason(data))


class CurveClient(_CurveBase):
    """The connecting (or CURVE_SERVERKEY-holding) side."""

    as_server = False
    _send_prefix = b"CurveZMQMESSAGEC"
    _recv_prefix = b"CurveZMQMESSAGES"
    _SECRETS = ("_secret", "_cn_secret", "_hello_key")

    def __init__(self, server_key: bytes, public: bytes, secret: bytes) -> None:
        super().__init__()
        self.server_key = _check_key(server_key, "server key")
        self.public = _check_key(public, "public key")
        self._secret: Optional[bytes] = _check_key(secret, "secret key")
        cn_public, cn_secret = crypto.keypair()
        self.cn_public = cn_public  # C'
        self._cn_secret: Optional[bytes] = cn_secret
        self._hello_key: Optional[bytes] = None  # C'/S, from HELLO until WELCOME
        self._state = _State.EXPECT_WELCOME

    def on_start(self) -> None:
        assert self._cn_secret is not None
        try:
            # C'/S: HELLO's box and WELCOME's share it (one X25519, not two)
            self._hello_key = crypto.box_beforenm(self.server_key, self._cn_secret)
        except CryptoError:
            self._state = _State.FAILED
            raise _crypto_failure("CURVE_SERVERKEY is not a usable public key") from None
        nonce = self._next_nonce()
        hello_box = crypto.box_afternm(_HELLO_PLAIN, b"CurveZMQHELLO---" + nonce, self._hello_key)
        self.send_command(b"HELLO", b"\x01\x00" + _HELLO_PAD + self.cn_public + nonce + hello_box)

    def handle(self, name: bytes, data: bytes) -> Optional[AuthRequest]:
        state = self._state
        if name == b"WELCOME" and state is _State.EXPECT_WELCOME:
            self._on_welcome(data)
            return None
        if name == b"READY" and state is _State.EXPECT_READY:
            self._on_ready(data)
            return None
        if name == b"ERROR" and state in (_State.EXPECT_WELCOME, _State.EXPECT_READY):
            raise self._peer_error(data)
        self._state = _State.FAILED
        raise UnexpectedCommand(f"unexpected {name!r} command in CURVE client handshake")

    def _on_welcome(self, data: bytes) -> None:
        cn_secret, secret, hello_key = self._cn_secret, self._secret, self._hello_key
        assert cn_secret is not None and secret is not None and hello_key is not None
        self._hello_key = None
        self._state = _State.FAILED
        # libzmq 4.3.5 reports a WELCOME of the wrong size as a crypto failure.
        if len(data) != WELCOME_SIZE - 8:
            raise _crypto_failure(f"CURVE WELCOME is {len(data) + 8} bytes, not {WELCOME_SIZE}")
        try:
            plain = crypto.box_open_afternm(data[16:], b"WELCOME-" + data[:16], hello_key)
        except CryptoError:
            raise _crypto_failure("CURVE WELCOME box does not open (wrong server key?)") from None
        server_short = plain[:32]  # S'
        cookie = plain[32:128]
        try:
            self._precom = crypto.box_beforenm(server_short, cn_secret)
        except CryptoError:
            raise _crypto_failure("CURVE WELCOME carries a degenerate key") from None
        vouch_nonce = os.urandom(16)
        vouch = crypto.box(
            self.cn_public + self.server_key, b"VOUCH---" + vouch_nonce, server_short, secret
        )
        nonce = self._next_nonce()
        inner = self.public + vouch_nonce + vouch + self._metadata
        initiate_box = crypto.box_afternm(inner, b"CurveZMQINITIATE" + nonce, self._precom)
        # Neither secret is needed again: the connection key is _precom.
        self._cn_secret = None
        self._secret = None
        self.send_command(b"INITIATE", cookie + nonce + initiate_box)
        self._state = _State.EXPECT_READY

    def _on_ready(self, data: bytes) -> None:
        self._state = _State.FAILED
        if len(data) < READY_MIN_SIZE - 6:
            raise MalformedCommand("CURVE READY too short", ZMTP_MALFORMED_COMMAND_READY)
        raw = data[:8]
        assert self._precom is not None
        try:
            plain = crypto.box_open_afternm(data[8:], b"CurveZMQREADY---" + raw, self._precom)
        except CryptoError:
            raise _crypto_failure("CURVE READY box does not open") from None
        (self._peer_nonce,) = _U64.unpack(raw)
        self.peer_properties = decode_metadata(plain)
        self._go_ready(self._precom)


class CurveServer(_CurveBase):
    """The bound (CURVE_SERVER=1) side. The layer above asks ZAP about the
    client's long-term key (`AuthRequest("CURVE", (key,))`) and answers with
    `auth_reply`."""

    as_server = True
    _send_prefix = b"CurveZMQMESSAGES"
    _recv_prefix = b"CurveZMQMESSAGEC"
    _SECRETS = ("_secret", "_cn_secret", "_cookie_key")

    def __init__(self, public: bytes, secret: bytes) -> None:
        super().__init__()
        self.public = _check_key(public, "public key")
        self._secret: Optional[bytes] = _check_key(secret, "secret key")
        self._cn_secret: Optional[bytes] = None  # s', made when HELLO arrives
        self._cookie_key: Optional[bytes] = None
        self.cn_client = b""  # C'
        self.client_key = b""  # C, once INITIATE is open
        self._state = _State.EXPECT_HELLO

    def handle(self, name: bytes, data: bytes) -> Optional[AuthRequest]:
        state = self._state
        if state is _State.EXPECT_HELLO:
            if name != b"HELLO":
                self._state = _State.FAILED
                raise UnexpectedCommand(f"CURVE server expected HELLO, got {name!r}")
            self._on_hello(data)
            return None
        if state is _State.EXPECT_INITIATE:
            if name != b"INITIATE":
                self._state = _State.FAILED
                raise UnexpectedCommand(f"CURVE server expected INITIATE, got {name!r}")
            return self._on_initiate(data)
        if name == b"ERROR" and state is not _State.FAILED:
            raise self._peer_error(data)
        self._state = _State.FAILED
        raise UnexpectedCommand(f"unexpected {name!r} command in CURVE server handshake")

    def _on_hello(self, data: bytes) -> None:
        self._state = _State.FAILED
        if len(data) != HELLO_SIZE - 6:
            raise MalformedCommand(
                f"CURVE HELLO is {len(data) + 6} bytes, not {HELLO_SIZE}",
                ZMTP_MALFORMED_COMMAND_HELLO,
            )
        if data[0] != 1 or data[1] != 0:
            raise MalformedCommand(
                f"CURVE HELLO version {data[0]}.{data[1]}, not 1.0", ZMTP_MALFORMED_COMMAND_HELLO
            )
        cn_client = data[74:106]
        raw = data[106:114]
        secret = self._secret
        assert secret is not None
        try:
            # C'/S: the HELLO box and the WELCOME box share it
            hello_key = crypto.box_beforenm(cn_client, secret)
            crypto.box_open_afternm(data[114:194], b"CurveZMQHELLO---" + raw, hello_key)
        except CryptoError:
            raise _crypto_failure("CURVE HELLO box does not open (wrong server key?)") from None
        (self._peer_nonce,) = _U64.unpack(raw)
        self.cn_client = cn_client
        # A fresh short-term key pair and cookie key for this connection.
        cn_public, cn_secret = crypto.keypair()
        cookie_key = os.urandom(32)
        cookie_nonce = os.urandom(16)
        cookie = cookie_nonce + crypto.secretbox(
            cn_client + cn_secret, b"COOKIE--" + cookie_nonce, cookie_key
        )
        welcome_nonce = os.urandom(16)
        welcome_box = crypto.box_afternm(cn_public + cookie, b"WELCOME-" + welcome_nonce, hello_key)
        # s' now lives only inside the cookie, under a key only we hold.
        self._cookie_key = cookie_key
        self.send_command(b"WELCOME", welcome_nonce + welcome_box)
        self._state = _State.EXPECT_INITIATE

    def _on_initiate(self, data: bytes) -> AuthRequest:
        self._state = _State.FAILED
        if len(data) < INITIATE_MIN_SIZE - 9:
            raise MalformedCommand("CURVE INITIATE too short", ZMTP_MALFORMED_COMMAND_INITIATE)
        cookie_key = self._cookie_key
        assert cookie_key is not None
        self._cookie_key = None  # one INITIATE per cookie
        try:
            cookie = crypto.secretbox_open(data[16:96], b"COOKIE--" + data[:16], cookie_key)
        except CryptoError:
            raise _crypto_failure("CURVE INITIATE cookie does not open") from None
        if cookie[:32] != self.cn_client:
            raise _crypto_failure("CURVE INITIATE cookie is for another client key")
        cn_secret = cookie[32:64]
        raw = data[96:104]
        try:
            precom = crypto.box_beforenm(self.cn_client, cn_secret)
            plain = crypto.box_open_afternm(data[104:], b"CurveZMQINITIATE" + raw, precom)
        except CryptoError:
            raise _crypto_failure("CURVE INITIATE box does not open") from None
        client_key = plain[:32]
        try:
            vouch = crypto.box_open(
                plain[48:128], b"VOUCH---" + plain[32:48], client_key, cn_secret
            )
        except CryptoError:
            raise _crypto_failure("CURVE INITIATE vouch does not open") from None
        # The vouch names the client's short-term key (libzmq checks this) and
        # our long-term key (RFC 26; libzmq's own client always puts it there).
        if vouch[:32] != self.cn_client or vouch[32:64] != self.public:
            raise RemoteProtocolError("CURVE vouch names other keys", ZMTP_KEY_EXCHANGE)
        (self._peer_nonce,) = _U64.unpack(raw)
        self.peer_properties = decode_metadata(plain[128:])
        self._precom = precom
        self.client_key = bytes(client_key)
        self._secret = None  # neither WELCOME nor HELLO comes again
        self._state = _State.WAIT_ZAP
        return AuthRequest("CURVE", (self.client_key,))

    def auth_reply(self, ok: bool, status_code: bytes, user_id: bytes) -> None:
        if self._state is not _State.WAIT_ZAP:
            raise LocalProtocolError("auth_reply without a pending AuthRequest")
        if ok:
            self.user_id = user_id
            assert self._precom is not None
            nonce = self._next_nonce()
            ready_box = crypto.box_afternm(
                self._metadata, b"CurveZMQREADY---" + nonce, self._precom
            )
            self.send_command(b"READY", nonce + ready_box)
            self._go_ready(self._precom)
        else:
            self._state = _State.FAILED
            self._precom = None
            if status_code != b"300":  # 300: a temporary failure closes silently
                self.send_command(b"ERROR", error_body(status_code.decode("ascii", "replace")))


__all__ = ["CurveClient", "CurveServer", "HELLO_SIZE", "WELCOME_SIZE"]
