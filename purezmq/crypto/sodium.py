"""The primitives through libsodium (PyNaCl's low-level bindings).

Only imported when PyNaCl is; `purezmq.crypto` picks it. Argument checks and
the error raised match `purezmq.crypto.pure`, so callers see one behaviour.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from itertools import accumulate, repeat
from operator import add
from typing import Any, Callable, Optional

import nacl.bindings as _nb
import nacl.exceptions as _nx

from .errors import CryptoError
from .spans import OpenSpans, SealSpans

try:
    # PyNaCl's compiled cffi module, the one its bindings call into. Calling it
    # directly skips the bindings' per-call argument checks (a few microseconds
    # on a 64-byte box, more than libsodium's own work): `afternm_codec` checks
    # its key once instead. Absent (another PyNaCl layout), the bindings serve.
    _cffi: Any = importlib.import_module("nacl._sodium")
    _ffi: Any = _cffi.ffi
    _lib: Any = _cffi.lib
    _lib.crypto_secretbox_easy, _lib.crypto_secretbox_open_easy  # noqa: B018
except (ImportError, AttributeError):  # pragma: no cover - PyNaCl's layout changed
    _ffi = _lib = None

_ZERO32 = bytes(32)
_ZERO16 = bytes(16)


def _check(value: bytes, size: int, what: str) -> None:
    if len(value) != size:
        raise CryptoError(f"{what} must be {size} bytes, not {len(value)}")


def scalarmult_base(secret: bytes) -> bytes:
    """X25519(secret, 9): the public key of a secret key."""
    _check(secret, 32, "secret key")
    return bytes(_nb.crypto_scalarmult_base(bytes(secret)))


def scalarmult(secret: bytes, public: bytes) -> bytes:
    """X25519(secret, public): the raw shared point (unhashed)."""
    _check(secret, 32, "secret key")
    _check(public, 32, "public key")
    try:
        return bytes(_nb.crypto_scalarmult(bytes(secret), bytes(public)))
    except _nx.RuntimeError as exc:  # libsodium refuses an all-zero result
        raise CryptoError("X25519 gave the all-zero point (a low-order public key)") from exc


def box_beforenm(public: bytes, secret: bytes) -> bytes:
    """HSalsa20(X25519(secret, public)): the key both sides of a box share."""
    _check(secret, 32, "secret key")
    _check(public, 32, "public key")
    try:
        return bytes(_nb.crypto_box_beforenm(bytes(public), bytes(secret)))
    except _nx.RuntimeError as exc:
        raise CryptoError("X25519 gave the all-zero point (a low-order public key)") from exc


def secretbox(message: bytes, nonce: bytes, key: bytes) -> bytes:
    """XSalsa20-Poly1305: tag(16) + ciphertext."""
    _check(nonce, 24, "nonce")
    _check(key, 32, "key")
    return bytes(_nb.crypto_secretbox_easy(bytes(message), bytes(nonce), bytes(key)))


def secretbox_open(boxed: bytes, nonce: bytes, key: bytes) -> bytes:
    _check(nonce, 24, "nonce")
    _check(key, 32, "key")
    if len(boxed) < 16:
        raise CryptoError("box shorter than its 16-byte tag")
    try:
        return bytes(_nb.crypto_secretbox_open_easy(bytes(boxed), bytes(nonce), bytes(key)))
    except _nx.CryptoError as exc:
        raise CryptoError("box failed to authenticate") from exc


box_afternm = secretbox  # a box with a precomputed key is a secretbox under it
box_open_afternm = secretbox_open


Sealer = Callable[[bytes, bytes, bytes, bytes], bytes]
Opener = Callable[[bytes, int, bytes], tuple[int, bytes]]
_FAST_SRC = 1024  # above this, a box is read in place rather than sliced out


def afternm_codec(key: bytes) -> tuple[Sealer, Opener]:
    """The per-message pair for one precomputed key, checked here once.

    ``seal(header, first, data, nonce)`` is ``header + box_afternm(first +
    data, nonce, key)`` (``first`` one byte: a CurveZMQ MESSAGE's flags);
    ``open(data, offset, nonce)`` opens the box at ``data[offset:]`` and gives
    the plaintext's first byte and the rest (a CurveZMQ MESSAGE's flags byte
    and frame), raising `CryptoError` when it does not authenticate or has no
    first byte. Nonces must be 24 bytes (not checked: callers build them)."""
    key = bytes(key)
    _check(key, 32, "key")
    if _lib is None:  # pragma: no cover - only without PyNaCl's cffi module

        def seal_slow(header: bytes, first: bytes, data: bytes, nonce: bytes) -> bytes:
            return header + secretbox(first + bytes(data), nonce, key)

        def open_slow(data: bytes, offset: int, nonce: bytes) -> tuple[int, bytes]:
            if len(data) - offset < 17:
                raise CryptoError("box too short for its first byte")
            plain = secretbox_open(bytes(data[offset:]), nonce, key)
            return plain[0], plain[1:]

        return seal_slow, open_slow

    new = _ffi.new_allocator(should_clear_after_alloc=False)
    memmove = _ffi.memmove
    buffer = _ffi.buffer
    from_buffer = _ffi.from_buffer
    seal_c = _lib.crypto_secretbox_easy
    open_c = _lib.crypto_secretbox_open_easy

    # Scratch buffers, reused while big enough: a fresh 64 KiB buffer per
    # message costs more (allocation, page faults) than the copy out of it.
    # One codec serves one connection, on one thread at a time.
    scratch: list[Any] = [new("unsigned char[]", 256), new("unsigned char[]", 256)]

    def room(i: int, size: int) -> Any:
        buf = scratch[i]
        if len(buf) < size:
            buf = scratch[i] = new("unsigned char[]", max(size, 2 * len(buf)))
        return buf

    def seal(header: bytes, first: bytes, data: bytes, nonce: bytes) -> bytes:
        h = len(header)
        n = len(data) + 1
        if n <= _FAST_SRC:  # small: a fresh buffer beats the scratch's bookkeeping
            out = new("unsigned char[]", h + 16 + n)
            seal_c(out + h, first + data, n, nonce, key)
            memmove(out, header, h)
            return buffer(out)[:]  # type: ignore[no-any-return]
        plain = room(0, n)
        memmove(plain, first, 1)
        memmove(plain + 1, data, n - 1)
        out = room(1, h + 16 + n)
        memmove(out, header, h)
        seal_c(out + h, plain, n, nonce, key)
        return buffer(out, h + 16 + n)[:]  # type: ignore[no-any-return]

    def open_(data: bytes, offset: int, nonce: bytes) -> tuple[int, bytes]:
        size = len(data) - offset - 16
        if size <= _FAST_SRC and type(data) is bytes:
            if size < 1:
                raise CryptoError("box too short for its first byte")
            out = new("unsigned char[]", size)
            if open_c(out, data[offset:], size + 16, nonce, key):
                raise CryptoError("box failed to authenticate")
            return out[0], buffer(out)[1:]
        if size < 1:
            raise CryptoError("box too short for its first byte")
        out = room(0, size)
        # read in place: a view, or a big box not worth slicing out
        if open_c(out, from_buffer(data) + offset, size + 16, nonce, key):
            raise CryptoError("box failed to authenticate")
        return out[0], buffer(out, size)[1:]

    return seal, open_


_SCRATCH_KEEP = 256 * 1024  # a larger plaintext gets a buffer of its own, not kept
_ROWS_KEEP = 64 * 1024  # rows sealed in the codec's own buffer, up to this much
_NONCES_KEEP = 4096  # packed nonces kept in the codec's own buffer, up to this many


def inplace_codec(key: bytes) -> Optional[tuple[SealSpans, OpenSpans]]:
    """Per-message boxing for one precomputed key (checked here once) with no
    buffer made per message and no Python call per box; None without PyNaCl's
    cffi module.

    ``seal_spans(buf, spans)`` seals, for each ``(offset, end, nonce)`` in
    the flat list ``spans``, the plaintext ``buf[offset + 16:end]`` in place:
    the ciphertext replaces it and the tag goes in the 16 bytes before it, so
    ``buf[offset:end]`` becomes ``box_afternm`` of that plaintext under
    ``nonce``. The caller lays out many boxes in one bytearray and seals them
    at once. A run of boxes can also be given as ``spans = [(start, steps,
    sizes, nonces)]`` (iterables, one item per box): the first box begins at
    ``start`` and each next one ``steps[i]`` bytes after box ``i``; box ``i``'s
    plaintext is its first ``sizes[i]`` bytes, with 16 spare bytes after it,
    and becomes ``box_afternm`` of it under ``nonces[i]``, ``sizes[i] + 16``
    bytes (libsodium moves a plaintext that overlaps its box as it seals).
    ``nonces`` may also be one bytes or bytearray of them all, packed.
    This form is iterated in C, with no Python bytecode per box. When
    ``steps`` is one int (every box that far from the one before; ``nonces``
    then sized: a sequence, or packed) and ``buf`` is small, the boxes are
    sealed in a buffer the codec keeps, whose boxes' pointers serve the next
    run of that shape again, and copied back: it holds ciphertext only (wiped
    if sealing fails).

    ``open_spans(data, starts, stops, skip, nonces, firsts, rests)`` opens, in
    order, the box ``data[starts[i] + skip:stops[i]]`` under ``nonces[i]`` for
    each nonce given, appending each plaintext's first byte to ``firsts`` and
    the rest to ``rests`` (as `afternm_codec`'s ``open``). It stops at the
    first box that does not open (or has no first byte) and returns False;
    True when all opened. Plaintexts pass through a scratch buffer kept for
    the next call (it holds the last one until overwritten): a connection
    opens on one thread at a time. Nonces are 24 bytes each (not checked), a
    list or one bytearray of them packed; ``data`` is bytes."""
    key = bytes(key)
    _check(key, 32, "key")
    if _lib is None:  # pragma: no cover - only without PyNaCl's cffi module
        return None
    new = _ffi.new_allocator(should_clear_after_alloc=False)
    from_buffer = _ffi.from_buffer
    buffer = _ffi.buffer
    release = _ffi.release
    seal_c = _lib.crypto_secretbox_easy
    open_c = _lib.crypto_secretbox_open_easy

    # Rows of one stride are sealed in a buffer of the codec's own, where the
    # boxes' pointers stay the same from one run to the next of that shape:
    # [buffer, its size, (start, stride, count) of the pointers, pointers].
    # Packed nonces are copied to another, whose pointers stay too
    # (`nonce_keeper`).
    rows: list[Any] = [None, 0, None, None]
    memmove = _ffi.memmove

    def nonce_keeper() -> Callable[[Any], tuple[Any, list[Any]]]:
        kept: list[Any] = [None, 0, None]

        def nonce_pointers(packed: Any) -> tuple[Any, list[Any]]:
            """(a buffer, pointers into it) for the 24-byte nonces packed in
            ``packed``, copied there: at least one pointer per nonce, in order
            (map and zip stop at the shortest). The buffer, and so the
            pointers, are kept for the next call while there are at most
            `_NONCES_KEEP` nonces; the caller holds the buffer while it uses
            the pointers (a cffi pointer does not keep its buffer alive)."""
            count = len(packed) // 24
            if count > kept[1]:
                room = max(count, min(2 * kept[1], _NONCES_KEEP))
                area = new("unsigned char[]", 24 * room)
                pointers = list(accumulate(repeat(24, room - 1), add, initial=area + 0))
                if room > _NONCES_KEEP:  # too many to keep: this call's own
                    memmove(area, packed, 24 * count)
                    return area, pointers
                kept[:] = [area, room, pointers]
            memmove(kept[0], packed, 24 * count)
            return kept[0], kept[2]

        return nonce_pointers

    # One each for sealing and opening: the session lock serialises them
    # today (write-through seals on the socket's thread), but neither
    # should overwrite the other's pointers if that ever changes.
    seal_nonces = nonce_keeper()
    open_nonces = nonce_keeper()

    def seal_rows(
        buf: bytearray, start: int, stride: int, count: int, sizes: Any, nonces: Any
    ) -> None:
        total = len(buf)
        if total > rows[1]:
            size = min(max(total, 2 * rows[1]), _ROWS_KEEP)
            rows[:] = [new("unsigned char[]", size), size, None, None]
        there = rows[0]
        shape = (start, stride, count)
        boxes = rows[3]
        if rows[2] != shape:
            boxes = rows[3] = list(
                accumulate(repeat(stride, count - 1), add, initial=there + start)
            )
            rows[2] = shape
        p = from_buffer(buf)
        try:
            memmove(there, p, total)
            try:
                if any(map(seal_c, boxes, boxes, sizes, nonces, repeat(key))):
                    raise CryptoError("libsodium refused to seal a box")  # pragma: no cover
            except BaseException:
                memmove(there, bytes(total), total)  # no plaintext kept
                raise
            memmove(p, there, total)
        finally:
            release(p)

    def seal_spans(buf: bytearray, spans: list[Any]) -> None:
        if len(spans) == 1:  # a run: one pointer per box, made and used in C
            ((start, steps, sizes, nonces),) = spans
            count = -1  # not known (nor needed) for iterables
            if type(nonces) is bytearray or type(nonces) is bytes:
                count = len(nonces) // 24
                _held, nonces = seal_nonces(nonces)
            elif type(steps) is int:
                count = len(nonces)
            if type(steps) is int:
                if len(buf) <= _ROWS_KEEP:
                    seal_rows(buf, start, steps, count, sizes, nonces)
                    return
                steps = repeat(steps, count - 1)
            p = from_buffer(buf)
            try:
                # the box and its plaintext begin at the same pointer
                boxes = list(accumulate(steps, add, initial=p + start))
                if count >= 0:
                    del boxes[count:]  # no more boxes than nonces
                if any(map(seal_c, boxes, boxes, sizes, nonces, repeat(key))):
                    raise CryptoError("libsodium refused to seal a box")  # pragma: no cover
            finally:
                release(p)
            return
        p = from_buffer(buf)
        try:
            # libsodium seals in place: the plaintext pointer is 16 bytes past
            # the box's, where crypto_secretbox_easy writes the ciphertext.
            it = iter(spans)
            for off, end, nonce in zip(it, it, it):
                c = p + off
                seal_c(c, c + 16, end - off - 16, nonce, key)
        finally:
            release(p)

    scratch: list[Any] = [new("unsigned char[]", 4096)]

    def open_spans(
        data: bytes,
        starts: Sequence[int],
        stops: Sequence[int],
        skip: int,
        nonces: list[bytes] | bytearray,
        firsts: bytearray,
        rests: list[bytes],
    ) -> bool:
        _held = None
        if not isinstance(nonces, list):  # packed: pointers kept from one read to the next
            _held, nonces = open_nonces(nonces)
        out = scratch[0]
        room = len(out)
        view = buffer(out)
        add_first = firsts.append
        add_rest = rests.append
        for start, stop, nonce in zip(starts, stops, nonces):
            start += skip
            n = stop - start - 16  # the plaintext's size
            if n <= 1024:  # small: a slice of the box is cheaper than a pointer into it
                if n < 1 or open_c(out, data[start:stop], n + 16, nonce, key):
                    return False
                add_first(out[0])
                add_rest(view[1:n])
                continue
            if n > room:
                if n > _SCRATCH_KEEP:
                    dest = new("unsigned char[]", n)
                else:
                    dest = out = scratch[0] = new("unsigned char[]", max(n, 2 * room))
                    room = len(out)
                    view = buffer(out)
            else:
                dest = out
            src = from_buffer(data)
            try:
                bad = open_c(dest, src + start, n + 16, nonce, key)
            finally:
                release(src)
            if bad:
                return False
            add_first(dest[0])
            add_rest(buffer(dest, n)[1:])
        return True

    return seal_spans, open_spans


def box(message: bytes, nonce: bytes, public: bytes, secret: bytes) -> bytes:
    return secretbox(message, nonce, box_beforenm(public, secret))


def box_open(boxed: bytes, nonce: bytes, public: bytes, secret: bytes) -> bytes:
    return secretbox_open(boxed, nonce, box_beforenm(public, secret))
