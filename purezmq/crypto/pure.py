"""The primitives on the standard library alone: X25519, XSalsa20, Poly1305.

Same functions, argument checks and errors as `purezmq.crypto.sodium`; the
results are byte for byte those of libsodium (the tests compare both).

Timing: pure Python cannot promise constant time. Python integers are
variable-length, so big-integer arithmetic (the X25519 ladder's products and
reductions, Poly1305's) takes time that depends on the values; the ladder's
conditional swap is a Python branch on a secret bit, the fixed-base table
(new key pairs) is indexed by the secret's nibbles and the inversions use
extended Euclid (`pow(z, -1, p)`), whose steps follow the value; the interpreter and its
allocator add their own data-dependent costs; the subkey and keystream
caches (below) make a repeated key and nonce prefix, or a counting nonce,
faster than a new one; secrets in `bytes` and `int` objects cannot be wiped.
What this module does keep: the Poly1305 tag is compared with
`hmac.compare_digest`, a failed open raises before any plaintext is
produced, and the Salsa20 rounds run the same sequence of operations
whatever the key (on integers whose length, and so cost, can still follow
the values). Where a timing side channel matters (a shared host, an
attacker who can measure many handshakes), install PyNaCl so the ``sodium``
backend (libsodium, constant time) is used.

Speed comes from doing many Salsa20 blocks per interpreter step: the same
state word of N blocks lives in one big integer, one lane per block, so one
Python addition or xor works on every block at once (see ``_wide_blocks``).
A single block uses the "diagonal" layout instead (four integers of four
lanes, ``_diag_blocks``), which needs about a third of the Python steps.
"""

from __future__ import annotations

import hmac
import struct
import sys
from array import array
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from functools import lru_cache
from operator import itemgetter, mul
from typing import Callable

from .errors import CryptoError

__all__ = [
    "box",
    "box_afternm",
    "box_beforenm",
    "box_open",
    "box_open_afternm",
    "afternm_codec",
    "scalarmult",
    "scalarmult_base",
    "secretbox",
    "secretbox_open",
]

_M32 = 0xFFFFFFFF
# "expand 32-byte k", the Salsa20 constants, as four little-endian words.
_SIGMA = (0x61707865, 0x3320646E, 0x79622D32, 0x6B206574)


def _check(value: bytes, size: int, what: str) -> None:
    if len(value) != size:
        raise CryptoError(f"{what} must be {size} bytes, not {len(value)}")


# --------------------------------------------------------------------------
# X25519 (RFC 7748)

_P = 2**255 - 19
_A24 = 121665


def _x25519(k: bytes, u: bytes) -> bytes:
    # Clamp: a multiple of 8 (the cofactor), bit 254 set, bit 255 clear.
    n = (int.from_bytes(k, "little") & ((1 << 255) - 8)) | (1 << 254)
    x1 = int.from_bytes(u, "little") & ((1 << 255) - 1)
    p = _P
    x2, z2, x3, z3 = 1, 0, x1, 1
    swap = 0
    # The Montgomery ladder of RFC 7748 5, on Python integers reduced after
    # each product; the one inversion (Fermat) comes at the end.
    for t in range(254, -1, -1):
        bit = (n >> t) & 1
        if bit != swap:  # a branch on a secret bit: not constant time
            x2, x3, z2, z3 = x3, x2, z3, z2
            swap = bit
        a = x2 + z2
        b = x2 - z2
        da = (x3 - z3) * a % p
        cb = (x3 + z3) * b % p
        aa = a * a % p
        bb = b * b % p
        e = aa - bb
        x3 = (da + cb) ** 2 % p
        z3 = x1 * (da - cb) ** 2 % p
        x2 = aa * bb % p
        z2 = e * (aa + _A24 * e) % p
    if swap:
        x2, z2 = x3, z3
    z2 %= p
    # The one inversion: pow(z, -1, p) (extended Euclid in C) is several
    # times faster than Fermat's z**(p - 2); z = 0 gives 0, as Fermat would.
    result = x2 * pow(z2, -1, p) % p if z2 else 0
    if result == 0:
        raise CryptoError("X25519 gave the all-zero point (a low-order public key)")
    return result.to_bytes(32, "little")


_BASE = (9).to_bytes(32, "little")


# X25519 with the base point (a new key pair) goes through the twisted
# Edwards curve that is birationally equivalent to Curve25519 (RFC 7748 4.1):
# u = (1 + y) / (1 - y), and u = 9 is y = 4/5. A point and its negation
# share y, so the sign of x never matters here. With a table of j * 16**i * B
# (i < 64, j < 16) a scalar is at most 64 point additions, against the
# ladder's 255 steps: about a quarter of the time. The table (960 points,
# affine, kept as (y - x, y + x, 2d * x * y)) is built on first use.

_D2 = -121665 * pow(121666, _P - 2, _P) * 2 % _P  # 2d, d = -121665/121666
_BASE_TABLE: list[list[tuple[int, int, int]]] = []


def _base_table() -> list[list[tuple[int, int, int]]]:
    if _BASE_TABLE:
        return _BASE_TABLE
    p = _P
    y = 4 * pow(5, p - 2, p) % p
    xx = (y * y - 1) * pow(_D2 * pow(2, p - 2, p) * y * y + 1, p - 2, p) % p
    x = pow(xx, (p + 3) // 8, p)  # a square root, p = 5 mod 8
    if x * x % p != xx:
        x = x * pow(2, (p - 1) // 4, p) % p
    points = []  # extended coordinates (X, Y, Z, T), x = X/Z, y = Y/Z, T = XY/Z
    step = (x, y, 1, x * y % p)
    for _ in range(64):
        ym, yp, t2d = step[1] - step[0], step[1] + step[0], step[3] * _D2 % p
        q = step
        for _ in range(15):
            points.append(q)  # j * 16**i * B
            q = _edwards_add(q, ym, yp, t2d, 1)
        zi = pow(q[2], -1, p)  # q = 16**(i+1) * B, made affine
        step = (q[0] * zi % p, q[1] * zi % p, 1, q[0] * q[1] % p * zi % p * zi % p)
    # One inversion for all the Zs (a running product, then back).
    acc = [1]
    for pt in points:
        acc.append(acc[-1] * pt[2] % p)
    inv = pow(acc[-1], -1, p)
    affine = [(0, 0)] * len(points)
    for i in range(len(points) - 1, -1, -1):
        zi = inv * acc[i] % p
        inv = inv * points[i][2] % p
        affine[i] = (points[i][0] * zi % p, points[i][1] * zi % p)
    table = []
    for i in range(64):
        row = [(0, 0, 0)]  # digit 0: nothing added
        for ax, ay in affine[15 * i : 15 * i + 15]:
            row.append(((ay - ax) % p, (ay + ax) % p, ax * ay % p * _D2 % p))
        table.append(row)
    if not _BASE_TABLE:  # another thread may have built it meanwhile: same values
        _BASE_TABLE[:] = table
    return _BASE_TABLE


def _edwards_add(
    pt: tuple[int, int, int, int], ym: int, yp: int, t2d: int, z2: int
) -> tuple[int, int, int, int]:
    """Extended point + a point given as (Y - X, Y + X, 2d * T, Z)."""
    p = _P
    X, Y, Z, T = pt
    a = (Y - X) * ym % p
    b = (Y + X) * yp % p
    c = T * t2d % p
    d = 2 * Z * z2 % p
    e = b - a
    f = d - c
    g = d + c
    h = b + a
    return e * f % p, g * h % p, f * g % p, e * h % p


def _x25519_base(k: bytes) -> bytes:
    n = (int.from_bytes(k, "little") & ((1 << 255) - 8)) | (1 << 254)
    table = _base_table()
    p = _P
    x, y, z, t = 0, 1, 1, 0  # the neutral point
    for row in table:
        w = n & 15
        n >>= 4
        if w:  # a branch and a lookup on secret digits: not constant time
            ym, yp, t2d = row[w]
            a = (y - x) * ym % p
            b = (y + x) * yp % p
            c = t * t2d % p
            d = z + z
            e = b - a
            f = d - c
            g = d + c
            h = b + a
            x = e * f % p
            y = g * h % p
            z = f * g % p
            t = e * h % p
    w = (z - y) % p
    result = (z + y) * pow(w, -1, p) % p if w else 0
    if result == 0:
        raise CryptoError("X25519 gave the all-zero point (a low-order public key)")
    return result.to_bytes(32, "little")


def scalarmult_base(secret: bytes) -> bytes:
    """X25519(secret, 9): the public key of a secret key."""
    _check(secret, 32, "secret key")
    return _x25519_base(bytes(secret))


def scalarmult(secret: bytes, public: bytes) -> bytes:
    """X25519(secret, public): the raw shared point (unhashed)."""
    _check(secret, 32, "secret key")
    _check(public, 32, "public key")
    return _x25519(bytes(secret), bytes(public))


# --------------------------------------------------------------------------
# Salsa20, one block at a time (the reference the fast paths are tested
# against, and what PyPy's JIT runs best).


def _salsa20_core_ref(state: list[int], final_add: bool) -> list[int]:
    x = list(state)
    m = _M32
    for _ in range(10):
        for a, b, c, d in (
            (0, 4, 8, 12),
            (5, 9, 13, 1),
            (10, 14, 2, 6),
            (15, 3, 7, 11),
            (0, 1, 2, 3),
            (5, 6, 7, 4),
            (10, 11, 8, 9),
            (15, 12, 13, 14),
        ):
            t = (x[a] + x[d]) & m
            x[b] ^= ((t << 7) | (t >> 25)) & m
            t = (x[b] + x[a]) & m
            x[c] ^= ((t << 9) | (t >> 23)) & m
            t = (x[c] + x[b]) & m
            x[d] ^= ((t << 13) | (t >> 19)) & m
            t = (x[d] + x[c]) & m
            x[a] ^= ((t << 18) | (t >> 14)) & m
    if final_add:
        return [(x[i] + state[i]) & m for i in range(16)]
    return x


def _state(key: bytes, middle: tuple[int, int, int, int]) -> list[int]:
    k = struct.unpack("<8I", key)
    s0, s1, s2, s3 = _SIGMA
    return [s0, *k[:4], s1, *middle, s2, *k[4:], s3]


def _ref_blocks(key: bytes, nonce8: bytes, counter: int, count: int) -> bytes:
    n0, n1 = struct.unpack("<2I", nonce8)
    out = []
    for i in range(count):
        ctr = (counter + i) & 0xFFFFFFFFFFFFFFFF
        words = _salsa20_core_ref(_state(key, (n0, n1, ctr & _M32, ctr >> 32)), True)
        out.append(struct.pack("<16I", *words))
    return b"".join(out)


def _hsalsa20_ref(key: bytes, inp: bytes) -> bytes:
    x = _salsa20_core_ref(_state(key, struct.unpack("<4I", inp)), False)
    return struct.pack("<8I", x[0], x[5], x[10], x[15], x[6], x[7], x[8], x[9])


# --------------------------------------------------------------------------
# Salsa20, the diagonal layout: the state as four integers A, B, C, D whose
# 64-bit lanes 0..3 hold the words (0,5,10,15), (4,9,14,3), (8,13,2,7),
# (12,1,6,11). A column round is then one quarter round on the four
# integers; a row round is one after rotating the lanes of D, C, B by 1, 2,
# 3. N blocks sit side by side, 512 bits (eight lanes, four used) apart, so
# that or-ing in a copy shifted by 256 bits puts lanes 0..3 in 4..7 too and
# a shift then rotates them. A rotation of a 32-bit lane works the same way one level
# down: times 2**32 + 1 copies the word into the lane's upper half.

_DUP32 = (1 << 32) + 1
_DIAG_MASK1 = _M32 | _M32 << 64 | _M32 << 128 | _M32 << 192
_SIGMA_LANES = _SIGMA[0] | _SIGMA[1] << 64 | _SIGMA[2] << 128 | _SIGMA[3] << 192


@lru_cache(maxsize=16)
def _diag_consts(n: int) -> tuple[int, int, int]:
    rep = sum(1 << (512 * j) for j in range(n))
    ramp = sum(j << (512 * j) for j in range(n))
    return rep, ramp, _DIAG_MASK1 * rep


def _diag_rounds(a: int, b: int, c: int, d: int, m: int) -> tuple[int, int, int, int]:
    r = _DUP32
    for _ in range(10):
        b ^= ((((a + d) & m) * r) >> 25) & m
        c ^= ((((b + a) & m) * r) >> 23) & m
        d ^= ((((c + b) & m) * r) >> 19) & m
        a ^= ((((d + c) & m) * r) >> 14) & m
        d = ((d | (d << 256)) >> 64) & m
        c = ((c | (c << 256)) >> 128) & m
        b = ((b | (b << 256)) >> 192) & m
        d ^= ((((a + b) & m) * r) >> 25) & m
        c ^= ((((d + a) & m) * r) >> 23) & m
        b ^= ((((c + d) & m) * r) >> 19) & m
        a ^= ((((b + c) & m) * r) >> 14) & m
        d = ((d | (d << 256)) >> 192) & m
        c = ((c | (c << 256)) >> 128) & m
        b = ((b | (b << 256)) >> 64) & m
    return a, b, c, d


# Where each diagonal lane's word goes in a block: (integer, lane) -> word.
_DIAG_WORDS = (
    (0, 5, 10, 15),
    (4, 9, 14, 3),
    (8, 13, 2, 7),
    (12, 1, 6, 11),
)


@lru_cache(maxsize=16)
def _diag_order(n: int) -> Callable[[tuple[int, ...]], tuple[int, ...]]:
    """Picks the 16 * n words, in block order, out of the lanes of A, B, C, D."""
    where = {}
    for v, places in enumerate(_DIAG_WORDS):
        for lane, word in enumerate(places):
            where[word] = (v, lane)
    order = []
    for j in range(n):
        for word in range(16):
            v, lane = where[word]
            order.append(8 * n * v + 8 * j + lane)
    return itemgetter(*order)


def _diag_blocks(key: bytes, nonce8: bytes, counter: int, count: int) -> bytes:
    """``count`` keystream blocks from block ``counter`` (no 32-bit wrap)."""
    k0, k1, k2, k3, k4, k5, k6, k7 = struct.unpack("<8I", key)
    n0, n1 = struct.unpack("<2I", nonce8)
    rep, ramp, m = _diag_consts(count)
    a0 = _SIGMA_LANES * rep
    b0 = (k3 | (counter >> 32) << 64 | k7 << 128 | k2 << 192) * rep
    c0 = ((counter & _M32) | k6 << 64 | k1 << 128 | n1 << 192) * rep + ramp
    d0 = (k5 | k0 << 64 | n0 << 128 | k4 << 192) * rep
    a, b, c, d = _diag_rounds(a0, b0, c0, d0, m)
    size = 64 * count
    lanes = struct.unpack(
        f"<{32 * count}Q",
        ((a + a0) & m).to_bytes(size, "little")
        + ((b + b0) & m).to_bytes(size, "little")
        + ((c + c0) & m).to_bytes(size, "little")
        + ((d + d0) & m).to_bytes(size, "little"),
    )
    return struct.pack(f"<{16 * count}I", *_diag_order(count)(lanes))


def _hsalsa20(key: bytes, inp: bytes) -> bytes:
    k0, k1, k2, k3, k4, k5, k6, k7 = struct.unpack("<8I", key)
    i0, i1, i2, i3 = struct.unpack("<4I", inp)
    a, b, c, d = _diag_rounds(
        _SIGMA_LANES,
        k3 | i3 << 64 | k7 << 128 | k2 << 192,
        i2 | k6 << 64 | k1 << 128 | i1 << 192,
        k5 | k0 << 64 | i0 << 128 | k4 << 192,
        _DIAG_MASK1,
    )
    m = _M32
    return struct.pack(
        "<8I",
        a & m,
        (a >> 64) & m,
        (a >> 128) & m,
        a >> 192,
        (d >> 128) & m,
        c >> 192,
        c & m,
        (b >> 64) & m,
    )


# --------------------------------------------------------------------------
# Salsa20, the wide layout: word i of N blocks in one integer, a 34-bit lane
# per block (a 32-bit word and room for an addition's carry). A rotation of
# the 33-bit sum t needs no mask first: ((t & A) << r) keeps the low 32 - r
# bits, ((t >> 32 - r) & B) the next r. Big-integer operations cost about
# their length (additions and shifts some three times a mask or an xor), so
# the lanes are narrow: 34 bits rather than 33 so that four fill 17 bytes.
# On the way out lanes 1, 2, 3 of each four move down 2, 4, 6 bits (two
# shift steps), the four words then fill the group's first 16 bytes, the
# 17th is dropped, and the words go into place as 32-bit array items.

_LANE = 34
_GROUP = 17  # bytes holding four lanes
# An array type of 32-bit items (C's unsigned int almost everywhere): the
# words of a block are moved as items, never read as numbers.
_U32 = next(code for code in "IL" if array(code).itemsize == 4)
_WIDE_CHUNK = 2048  # blocks per pass (bigger passes measured faster, to 2048)


def _ones(stride: int, count: int) -> int:
    """A 1 every ``stride`` bits, ``count`` of them (by doubling: linear time)."""
    if count <= 0:
        return 0
    ones, have = 1, 1
    while 2 * have <= count:
        ones |= ones << (stride * have)
        have *= 2
    return ones | (_ones(stride, count - have) << (stride * have))


@lru_cache(maxsize=64)
def _wide_consts(n: int) -> tuple[int, ...]:
    # Built in linear time (summing n shifted terms would be quadratic): rep
    # has a 1 in every lane, ramp holds 0, 1, ..., n - 1 (a closed form of
    # sum(j * x**j) with x = 2**_LANE).
    rep = _ones(_LANE, n)
    ramp = ((n - 1 << (_LANE * (n + 1))) - (n << (_LANE * n)) + (1 << _LANE)) // (
        ((1 << _LANE) - 1) ** 2
    )
    masks = []
    for r in (7, 9, 13, 18):
        masks.append(((1 << (32 - r)) - 1) * rep)
        masks.append(((1 << r) - 1) * rep)
    every4 = _ones(4 * _LANE, (n + 3) // 4)
    below = (1 << (_LANE * n)) - 1
    q0, q1, q2, q3 = ((every4 << (_LANE * k)) & below for k in range(4))
    align = (
        _M32 * (q0 + q2),  # step 1 keeps lanes 0 and 2 where they are,
        _M32 * (q1 + q3),  # moves 1 and 3 down 2 bits;
        _M32 * (q0 + (q1 >> 2)),  # step 2 keeps 0 and 1,
        _M32 * (q2 + (q3 >> 2)),  # moves 2 and 3 down 4 more
    )
    sigma = [word * rep for word in _SIGMA]  # the constant words, in every lane
    return (rep, ramp, _M32 * rep, *masks, *align, *sigma)


def _wide_blocks(key: bytes, nonce8: bytes, counter: int, count: int) -> bytes:
    """``count`` keystream blocks from block ``counter`` (no 32-bit wrap)."""
    rep, ramp = _wide_consts(count)[:2]
    n0, n1 = struct.unpack("<2I", nonce8)
    return _wide_core(
        key, n0 * rep, n1 * rep, (counter & _M32) * rep + ramp, (counter >> 32) * rep, count
    ).tobytes()


def _wide_core(key: bytes, n0: int, n1: int, c0: int, c1: int, count: int) -> array[int]:
    """Salsa20 on ``count`` lanes whose words 6..9 (nonce, counter) are given."""
    consts = _wide_consts(count)
    rep, a7, b7, a9, b9, a13, b13, a18, b18 = consts[0], *consts[3:11]
    keep1, move1, keep2, move2, sigma0, sigma1, sigma2, sigma3 = consts[11:]
    kw = struct.unpack("<8I", key)
    j = [
        sigma0,
        kw[0] * rep,
        kw[1] * rep,
        kw[2] * rep,
        kw[3] * rep,
        sigma1,
        n0,
        n1,
        c0,
        c1,
        sigma2,
        kw[4] * rep,
        kw[5] * rep,
        kw[6] * rep,
        kw[7] * rep,
        sigma3,
    ]
    x0, x1, x2, x3, x4, x5, x6, x7, x8, x9, x10, x11, x12, x13, x14, x15 = j
    for _ in range(10):
        t = x0 + x12
        x4 ^= ((t & a7) << 7) ^ ((t >> 25) & b7)
        t = x4 + x0
        x8 ^= ((t & a9) << 9) ^ ((t >> 23) & b9)
        t = x8 + x4
        x12 ^= ((t & a13) << 13) ^ ((t >> 19) & b13)
        t = x12 + x8
        x0 ^= ((t & a18) << 18) ^ ((t >> 14) & b18)
        t = x5 + x1
        x9 ^= ((t & a7) << 7) ^ ((t >> 25) & b7)
        t = x9 + x5
        x13 ^= ((t & a9) << 9) ^ ((t >> 23) & b9)
        t = x13 + x9
        x1 ^= ((t & a13) << 13) ^ ((t >> 19) & b13)
        t = x1 + x13
        x5 ^= ((t & a18) << 18) ^ ((t >> 14) & b18)
        t = x10 + x6
        x14 ^= ((t & a7) << 7) ^ ((t >> 25) & b7)
        t = x14 + x10
        x2 ^= ((t & a9) << 9) ^ ((t >> 23) & b9)
        t = x2 + x14
        x6 ^= ((t & a13) << 13) ^ ((t >> 19) & b13)
        t = x6 + x2
        x10 ^= ((t & a18) << 18) ^ ((t >> 14) & b18)
        t = x15 + x11
        x3 ^= ((t & a7) << 7) ^ ((t >> 25) & b7)
        t = x3 + x15
        x7 ^= ((t & a9) << 9) ^ ((t >> 23) & b9)
        t = x7 + x3
        x11 ^= ((t & a13) << 13) ^ ((t >> 19) & b13)
        t = x11 + x7
        x15 ^= ((t & a18) << 18) ^ ((t >> 14) & b18)
        t = x0 + x3
        x1 ^= ((t & a7) << 7) ^ ((t >> 25) & b7)
        t = x1 + x0
        x2 ^= ((t & a9) << 9) ^ ((t >> 23) & b9)
        t = x2 + x1
        x3 ^= ((t & a13) << 13) ^ ((t >> 19) & b13)
        t = x3 + x2
        x0 ^= ((t & a18) << 18) ^ ((t >> 14) & b18)
        t = x5 + x4
        x6 ^= ((t & a7) << 7) ^ ((t >> 25) & b7)
        t = x6 + x5
        x7 ^= ((t & a9) << 9) ^ ((t >> 23) & b9)
        t = x7 + x6
        x4 ^= ((t & a13) << 13) ^ ((t >> 19) & b13)
        t = x4 + x7
        x5 ^= ((t & a18) << 18) ^ ((t >> 14) & b18)
        t = x10 + x9
        x11 ^= ((t & a7) << 7) ^ ((t >> 25) & b7)
        t = x11 + x10
        x8 ^= ((t & a9) << 9) ^ ((t >> 23) & b9)
        t = x8 + x11
        x9 ^= ((t & a13) << 13) ^ ((t >> 19) & b13)
        t = x9 + x8
        x10 ^= ((t & a18) << 18) ^ ((t >> 14) & b18)
        t = x15 + x14
        x12 ^= ((t & a7) << 7) ^ ((t >> 25) & b7)
        t = x12 + x15
        x13 ^= ((t & a9) << 9) ^ ((t >> 23) & b9)
        t = x13 + x12
        x14 ^= ((t & a13) << 13) ^ ((t >> 19) & b13)
        t = x14 + x13
        x15 ^= ((t & a18) << 18) ^ ((t >> 14) & b18)
    out = array(_U32, bytes(64 * count))
    size = _GROUP * ((count + 3) // 4)
    final = (x0, x1, x2, x3, x4, x5, x6, x7, x8, x9, x10, x11, x12, x13, x14, x15)
    for i in range(16):
        y = final[i] + j[i]  # the carries above bit 32 are masked off next
        y = (y & keep1) | ((y & move1) >> 2)
        lanes = bytearray(((y & keep2) | ((y & move2) >> 4)).to_bytes(size, "little"))
        del lanes[16::_GROUP]  # the spare byte of each group: word i of every block, packed
        del lanes[4 * count :]
        out[i::16] = array(_U32, lanes)
    return out


_DIAG_MAX = 3  # up to this many blocks the diagonal layout is faster

# PyPy's JIT runs the plain one-block code on machine words several times
# faster than the big-integer layouts (which its JIT cannot unroll): there the
# reference code is the fast path.
_PYPY = sys.implementation.name == "pypy"
_hsalsa = _hsalsa20_ref if _PYPY else _hsalsa20


def _salsa20_blocks(key: bytes, nonce8: bytes, count: int, counter: int = 0) -> bytes:
    """``count`` 64-byte Salsa20 keystream blocks, from block ``counter``."""
    if _PYPY:
        return _ref_blocks(key, nonce8, counter, count)
    parts = []
    while count > 0:
        # No run crosses a multiple of 2**32 (the lanes add to the low word).
        run = min(count, (1 << 32) - (counter & _M32))
        if run <= _DIAG_MAX:
            parts.append(_diag_blocks(key, nonce8, counter, run))
        else:
            done = 0
            while done < run:
                step = min(_WIDE_CHUNK, run - done)
                if step <= _DIAG_MAX:
                    parts.append(_diag_blocks(key, nonce8, counter + done, step))
                else:
                    parts.append(_wide_blocks(key, nonce8, counter + done, step))
                done += step
        counter = (counter + run) & 0xFFFFFFFFFFFFFFFF
        count -= run
    return parts[0] if len(parts) == 1 else b"".join(parts)  # b"" for no blocks


# XSalsa20's first step, HSalsa20(key, nonce[:16]), gives the same subkey for
# every message of a CurveZMQ connection (its nonces are a fixed 16-byte
# prefix and a counter), so the last few subkeys are kept: a hit saves a
# third of a small box's time. It holds secrets: `clear_cache` drops them.
_SUBKEYS: OrderedDict[bytes, bytes] = OrderedDict()
_SUBKEYS_MAX = 32


def clear_cache() -> None:
    """Forget the cached XSalsa20 subkeys and keystreams (they are secrets)."""
    _SUBKEYS.clear()
    _streams.clear()
    _last_nonce.clear()


def _subkey(key: bytes, prefix: bytes) -> bytes:
    tag = key + prefix
    try:
        subkey = _SUBKEYS[tag]
    except KeyError:
        subkey = _hsalsa(key, prefix)
        _SUBKEYS[tag] = subkey
        while len(_SUBKEYS) > _SUBKEYS_MAX:
            try:
                _SUBKEYS.popitem(last=False)
            except KeyError:  # another thread emptied it
                break
    else:
        try:
            _SUBKEYS.move_to_end(tag)
        except KeyError:
            pass
    return subkey


# CurveZMQ's message nonces count up by one, so once two follow each other
# under a subkey, the first two blocks (room for a 96-byte message) of the
# next _AHEAD nonces are made in one wide pass, and each is used once, then
# dropped. A small box then costs a lookup instead of a Salsa20 run. Like
# the subkeys these are secrets: bounded, and gone with `clear_cache`.
_AHEAD = 32
_AHEAD_MAX = 8 * _AHEAD
_AHEAD_BYTES = 128
_AHEAD_COUNTERS = sum(1 << (_LANE * (2 * i + 1)) for i in range(_AHEAD))  # 0, 1, 0, 1...
_streams: dict[bytes, bytes] = {}
_last_nonce: dict[bytes, int] = {}


def _prefetch(subkey: bytes, first: int) -> None:
    """Blocks 0 and 1 for the nonce suffixes first .. first + _AHEAD - 1."""
    suffixes = [((first + i) & 0xFFFFFFFFFFFFFFFF).to_bytes(8, "big") for i in range(_AHEAD)]
    n0 = n1 = 0
    pair = 1 + (1 << _LANE)  # a nonce's two lanes (blocks 0 and 1)
    for i, sfx in enumerate(suffixes):
        w0, w1 = struct.unpack("<2I", sfx)
        n0 |= (w0 * pair) << (2 * _LANE * i)
        n1 |= (w1 * pair) << (2 * _LANE * i)
    out = _wide_core(subkey, n0, n1, _AHEAD_COUNTERS, 0, 2 * _AHEAD).tobytes()
    while len(_streams) > _AHEAD_MAX - _AHEAD:
        try:
            del _streams[next(iter(_streams))]
        except (KeyError, RuntimeError, StopIteration):  # raced another thread
            break
    for i, sfx in enumerate(suffixes):
        _streams[subkey + sfx] = out[_AHEAD_BYTES * i : _AHEAD_BYTES * (i + 1)]


def _xsalsa20_stream(key: bytes, nonce24: bytes, length: int) -> bytes:
    """The first ``length`` bytes of XSalsa20(key, nonce)."""
    subkey = _subkey(key, nonce24[:16])
    suffix = nonce24[16:]
    if length > _AHEAD_BYTES or _PYPY:
        return _salsa20_blocks(subkey, suffix, (length + 63) // 64)[:length]
    stream = _streams.pop(subkey + suffix, None)
    if stream is not None:
        return stream[:length]
    count = int.from_bytes(suffix, "big")
    if _last_nonce.get(subkey) == count - 1:
        _prefetch(subkey, count)
        stream = _streams.pop(subkey + suffix, None)
    if len(_last_nonce) >= _SUBKEYS_MAX and subkey not in _last_nonce:
        _last_nonce.clear()
    _last_nonce[subkey] = count + _AHEAD - 1 if stream is not None else count
    if stream is not None:
        return stream[:length]
    return _salsa20_blocks(subkey, suffix, (length + 63) // 64)[:length]


# --------------------------------------------------------------------------
# Poly1305

_P1305 = (1 << 130) - 5
_CLAMP = 0x0FFFFFFC0FFFFFFC0FFFFFFC0FFFFFFF
_POLY_CHUNK = 32  # blocks summed per reduction on the middle path
_BIG_ENDIAN_HOST = array("I", b"\x01\x00\x00\x00")[0] != 1


# Long messages: rows of L blocks (L even) read straight from the message as
# one integer each, blocks in 128-bit lanes. A mask and a shift part a row
# into its even and its odd blocks, each now alone in a 256-bit lane. Block l
# of row i (of R) carries the weight r**(L * (R - 1 - i)) * r**(L - l): the
# row's factor w_i is the same for every lane, so a whole row costs four
# C-level products (even and odd blocks times the low 60 and the high 70 bits
# of w_i, which keeps every lane under 2**256 for up to 2**50 rows) and
# nothing is reduced until all rows are in. Then the lanes are folded
# (2**130 = 5 mod p), weighted r**(L - l) and summed, the pad bits of all
# the blocks with them as one constant per lane.
_POLY_ROW_MIN = 64  # blocks per row, at least
# Blocks from which the row path is faster than the chunked dot products
# (measured; PyPy's JIT keeps the dot products ahead for longer).
_POLY_ROWS_FROM = 512 if _PYPY else 192
_M60 = (1 << 60) - 1


@lru_cache(maxsize=8)
def _poly_lane_consts(half: int) -> tuple[int, ...]:
    rep = int.from_bytes((b"\x01" + bytes(31)) * half, "little")  # a 1 in each 256-bit lane
    rep2 = int.from_bytes((b"\x01" + bytes(63)) * (half // 2), "little")  # every other lane
    rep4 = int.from_bytes((b"\x01" + bytes(127)) * (half // 4), "little")  # every fourth
    return (
        ((1 << 128) - 1) * rep,
        ((1 << 130) - 1) * rep,
        ((1 << 126) - 1) * rep,
        ((1 << 140) - 1) * rep2,  # the values of the pairing steps, and their folds
        ((1 << 130) - 1) * rep2,
        ((1 << 140) - 1) * rep4,
        ((1 << 130) - 1) * rep4,
    )


def _poly1305_plan(full: int) -> tuple[int, int]:
    """(blocks per row, rows) of the row path for ``full`` blocks, or (0, 0)."""
    if full < _POLY_ROWS_FROM:
        return 0, 0
    width = _POLY_ROW_MIN  # about as many rows as blocks per row, a power of two
    while width * width < 2 * full:
        width *= 2
    return width, full // width


def _poly1305_rows(r: int, row_ints: Iterable[int], width: int, rows: int) -> int:
    """h after rows * width blocks, given as ``rows`` integers (16 * width
    bytes of the message each, little-endian), reduced."""
    p = _P1305
    half = width // 2
    blocks, lo, hi, pair1, lo1, pair2, lo2 = _poly_lane_consts(half)
    step = pow(r, width, p)
    weights = [1]
    for _ in range(rows - 1):
        weights.append(weights[-1] * step % p)
    weights.reverse()
    frombytes = int.from_bytes
    el = eh = ol = oh = 0
    for w, x in zip(weights, row_ints):
        even = x & blocks
        odd = (x >> 128) & blocks
        wl = w & _M60
        wh = w >> 60
        el += even * wl
        eh += even * wh
        ol += odd * wl
        oh += odd * wh
    # Lane bounds: el, ol < rows * 2**188 and eh, oh < rows * 2**198; a fold
    # (low 130 bits + 5 * the rest) brings a lane under 2**131.
    even = el + (((eh & lo) + ((eh >> 130) & hi) * 5) << 60)
    odd = ol + (((oh & lo) + ((oh >> 130) & hi) * 5) << 60)
    even = (even & lo) + ((even >> 130) & hi) * 5
    odd = (odd & lo) + ((odd >> 130) & hi) * 5
    both = even * r  # r < 2**124: lanes under 2**255
    both = (both & lo) + ((both >> 130) & hi) * 5 + odd  # lane q: T_q = E_q * r + O_q < 2**132
    # Two more steps pair neighbouring lanes the same way (U = T_2q * r**2 +
    # T_2q+1 < 2**136, then V = U_2q * r**4 + U_2q+1 < 2**140), leaving a
    # quarter of the lanes for the loop.
    r2 = r * r % p
    r4 = r2 * r2 % p
    t = (both & pair1) * r2
    both = (t & lo1) + ((t >> 130) & pair1) * 5 + ((both >> 256) & pair1)
    t = (both & pair2) * r4
    both = (t & lo2) + ((t >> 130) & pair2) * 5 + ((both >> 512) & pair2)
    # The 2**128 pad bit of block l of row i adds 2**128 * w_i * r**(L - l):
    # through the steps above, pad * (r + 1) * (r**2 + 1) * (r**4 + 1) to
    # every remaining lane, pad = 2**128 * sum(w_i).
    pad = (sum(weights) << 128) % p * (r + 1) % p * (r2 + 1) % p * (r4 + 1) % p
    out = both.to_bytes(32 * half + 1, "little")
    r8 = r4 * r4 % p
    h = 0
    for q in range(0, 32 * half, 128):
        h = (h * r8 + frombytes(out[q : q + 128], "little") + pad) % p
    return h * r % p


def _poly1305(key: bytes, msg: bytes) -> bytes:
    r = int.from_bytes(key[:16], "little") & _CLAMP
    width, rows = _poly1305_plan(len(msg) >> 4)
    h = pos = 0
    if rows:
        size = 16 * width
        pos = size * rows
        frombytes = int.from_bytes
        row_ints = (frombytes(msg[at : at + size], "little") for at in range(0, pos, size))
        h = _poly1305_rows(r, row_ints, width, rows)
    return _poly1305_tag(_poly1305_rest(r, h, msg, pos), key)


def _poly1305_tag(h: int, key: bytes) -> bytes:
    s = int.from_bytes(key[16:32], "little")
    return ((h + s) & ((1 << 128) - 1)).to_bytes(16, "little")


def _poly1305_rest(r: int, h: int, msg: bytes, pos: int) -> int:
    """h after the blocks of msg from byte ``pos`` (a multiple of 16) on."""
    p = _P1305
    n = len(msg)
    full = (n - pos) >> 4
    k = _POLY_CHUNK
    if full >= 2 * k:
        # Sum k blocks at a time: h = h * r**k + sum(m_i * r**(k - i)).
        # Each block is two 64-bit words; its 2**128 pad bit sums to a
        # constant per chunk.
        powers = [r]
        for _ in range(k - 1):
            powers.append(powers[-1] * r % p)
        rk = powers[-1]
        powers.reverse()  # r**k ... r**1
        weights = []
        for w in powers:
            weights.append(w)
            weights.append(w << 64)
        pad = sum(powers) << 128
        chunks = full // k
        words = array("Q")
        words.frombytes(msg[pos : pos + chunks * k * 16])
        if _BIG_ENDIAN_HOST:
            words.byteswap()
        step = 2 * k
        for c in range(0, chunks * step, step):
            h = (h * rk + sum(map(mul, words[c : c + step], weights)) + pad) % p
        pos += chunks * k * 16
    pad128 = 1 << 128
    frombytes = int.from_bytes
    while pos + 16 <= n:
        h = (h + frombytes(msg[pos : pos + 16], "little") + pad128) * r % p
        pos += 16
    if pos < n:
        tail = msg[pos:]
        h = (h + frombytes(tail, "little") + (1 << (8 * len(tail)))) * r % p
    return h


# --------------------------------------------------------------------------
# secretbox / box


def _xor(data: bytes, stream: bytes) -> bytes:
    n = len(data)
    return (int.from_bytes(data, "little") ^ int.from_bytes(stream, "little")).to_bytes(n, "little")


def _seal(plain: bytes, stream: bytes) -> bytes:
    """tag + ciphertext, ``stream`` the 32 + len(plain) bytes of keystream.

    On Poly1305's row path each row of ciphertext is made as an integer
    (plaintext ^ keystream) and goes to the MAC as it is, so the ciphertext is
    read back from bytes only for the rest."""
    n = len(plain)
    width, rows = _poly1305_plan(n >> 4)
    if not rows:
        cipher = _xor(plain, stream[32 : 32 + n])
        return _poly1305(stream[:32], cipher) + cipher
    r = int.from_bytes(stream[:16], "little") & _CLAMP
    size = 16 * width
    done = size * rows
    frombytes = int.from_bytes
    parts: list[bytes] = []

    def row_ints() -> Iterator[int]:
        for at in range(0, done, size):
            c = frombytes(plain[at : at + size], "little") ^ frombytes(
                stream[32 + at : 32 + at + size], "little"
            )
            parts.append(c.to_bytes(size, "little"))
            yield c

    h = _poly1305_rows(r, row_ints(), width, rows)
    parts.append(_xor(plain[done:], stream[32 + done : 32 + n]))
    cipher = b"".join(parts)
    return _poly1305_tag(_poly1305_rest(r, h, cipher, done), stream) + cipher


def _open(cipher: bytes, tag: bytes, stream: bytes) -> bytes:
    """The plaintext of tag + cipher, or `CryptoError` (before any of it is
    made); ``stream`` the 32 + len(cipher) bytes of keystream. On the row
    path the MAC's row integers are kept for the xor."""
    n = len(cipher)
    width, rows = _poly1305_plan(n >> 4)
    if not rows:
        if not hmac.compare_digest(_poly1305(stream[:32], cipher), tag):
            raise CryptoError("box failed to authenticate")
        return _xor(cipher, stream[32 : 32 + n])
    r = int.from_bytes(stream[:16], "little") & _CLAMP
    size = 16 * width
    done = size * rows
    frombytes = int.from_bytes
    kept = [frombytes(cipher[at : at + size], "little") for at in range(0, done, size)]
    h = _poly1305_rest(r, _poly1305_rows(r, kept, width, rows), cipher, done)
    if not hmac.compare_digest(_poly1305_tag(h, stream), tag):
        raise CryptoError("box failed to authenticate")
    parts = []
    for at, c in zip(range(32, 32 + done, size), kept):
        parts.append((c ^ frombytes(stream[at : at + size], "little")).to_bytes(size, "little"))
    parts.append(_xor(cipher[done:], stream[32 + done : 32 + n]))
    return b"".join(parts)


def secretbox(message: bytes, nonce: bytes, key: bytes) -> bytes:
    """XSalsa20-Poly1305: tag(16) + ciphertext."""
    _check(nonce, 24, "nonce")
    _check(key, 32, "key")
    message = bytes(message)
    return _seal(message, _xsalsa20_stream(bytes(key), bytes(nonce), 32 + len(message)))


def secretbox_open(boxed: bytes, nonce: bytes, key: bytes) -> bytes:
    _check(nonce, 24, "nonce")
    _check(key, 32, "key")
    if len(boxed) < 16:
        raise CryptoError("box shorter than its 16-byte tag")
    boxed = bytes(boxed)
    cipher = boxed[16:]
    stream = _xsalsa20_stream(bytes(key), bytes(nonce), 32 + len(cipher))
    return _open(cipher, boxed[:16], stream)


box_afternm = secretbox  # a box with a precomputed key is a secretbox under it
box_open_afternm = secretbox_open

Sealer = Callable[[bytes, bytes, bytes, bytes], bytes]
Opener = Callable[[bytes, int, bytes], tuple[int, bytes]]


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
    stream_of = _xsalsa20_stream
    poly = _poly1305
    from_bytes = int.from_bytes
    compare = hmac.compare_digest
    long = 16 * _POLY_ROWS_FROM  # from here on Poly1305 takes rows
    seal_long = _seal
    open_long = _open

    def seal(header: bytes, first: bytes, data: bytes, nonce: bytes) -> bytes:
        plain = first + data
        n = len(plain)
        stream = stream_of(key, nonce, 32 + n)
        if n >= long:
            return header + seal_long(plain, stream)
        cipher = (from_bytes(plain, "little") ^ from_bytes(stream[32:], "little")).to_bytes(
            n, "little"
        )
        return header + poly(stream[:32], cipher) + cipher

    def open_(data: bytes, offset: int, nonce: bytes) -> tuple[int, bytes]:
        start = offset + 16
        n = len(data) - start
        if n < 1:
            raise CryptoError("box too short for its first byte")
        cipher = bytes(data[start:])
        stream = stream_of(key, nonce, 32 + n)
        if n >= long:
            plain = open_long(cipher, bytes(data[offset:start]), stream)
            return plain[0], plain[1:]
        if not compare(poly(stream[:32], cipher), bytes(data[offset:start])):
            raise CryptoError("box failed to authenticate")
        return cipher[0] ^ stream[32], (
            from_bytes(cipher[1:], "little") ^ from_bytes(stream[33:], "little")
        ).to_bytes(n - 1, "little")

    return seal, open_


_ZERO16 = bytes(16)


def box_beforenm(public: bytes, secret: bytes) -> bytes:
    """HSalsa20(X25519(secret, public)): the key both sides of a box share."""
    _check(secret, 32, "secret key")
    _check(public, 32, "public key")
    return _hsalsa(_x25519(bytes(secret), bytes(public)), _ZERO16)


def box(message: bytes, nonce: bytes, public: bytes, secret: bytes) -> bytes:
    return secretbox(message, nonce, box_beforenm(public, secret))


def box_open(boxed: bytes, nonce: bytes, public: bytes, secret: bytes) -> bytes:
    return secretbox_open(boxed, nonce, box_beforenm(public, secret))
