"""Published test vectors, run against both backends (and the pure layer's
internal Salsa20 / HSalsa20 / Poly1305 directly).

Sources:
- RFC 7748 section 5.2 (X25519 test vectors, incl. the iterated ones) and
  section 6.1 (the Alice/Bob Diffie-Hellman example).
- NaCl's classic tests, as shipped in libsodium's test/default: scalarmult,
  scalarmult2, scalarmult5 (the same keys as RFC 7748 6.1), core1 and core2
  (HSalsa20: "firstkey", "secondkey"), stream / stream2 (SHA-256 of 4 MiB of
  XSalsa20 / Salsa20), stream3 (its first 32 bytes), onetimeauth (Poly1305),
  box / secretbox (box.exp, the same 131-byte message under both).
- RFC 8439 section 2.5.2 (Poly1305).
- ECRYPT eSTREAM Salsa20/20 256-bit key, Set 1 vector 0.
"""

from __future__ import annotations

import hashlib
from types import ModuleType

import pytest

from purezmq.crypto import CryptoError, pure

H = bytes.fromhex

# RFC 7748 6.1 / NaCl box.c, scalarmult*.c
ALICE_SK = H("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
ALICE_PK = H("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
BOB_SK = H("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb")
BOB_PK = H("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")
SHARED = H("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742")

# NaCl core1 / core2 / stream*.c / box.c / secretbox.c
FIRSTKEY = H("1b27556473e985d462cd51197a9a46c76009549eac6474f206c4ee0844f68389")
SECONDKEY = H("dc908dda0b9344a953629b733820778880f3ceb421bb61b91cbd4c3e66256ce4")
NONCE = H("69696ee955b62b73cd62bda875fc73d68219e0036b7a0b37")
STREAM_SHA256 = "662b9d0e3463029156069b12f918691a98f7dfb2ca0393c96bbfc6b1fbd630a2"
RS = H("eea6a7251c1e72916d11c2cb214d3c252539121d8e234e652d651fa4c8cff880")
MESSAGE = H(
    "be075fc53c81f2d5cf141316ebeb0c7b5228c52a4c62cbd44b66849b64244ffc"
    "e5ecbaaf33bd751a1ac728d45e6c61296cdc3c01233561f41db66cce314adb31"
    "0e3be8250c46f06dceea3a7fa1348057e2f6556ad6b1318a024a838f21af1fde"
    "048977eb48f59ffd4924ca1c60902e52f0a089bc76897040e082f93776384864"
    "5e0705"
)
BOXED = H(  # box.exp: tag(16) + ciphertext(131)
    "f3ffc7703f9400e52a7dfb4b3d3305d9"
    "8e993b9f48681273c29650ba32fc76ce48332ea7164d96a4476fb8c531a1186a"
    "c0dfc17c98dce87b4da7f011ec48c97271d2c20f9b928fe2270d6fb863d51738"
    "b48eeee314a7cc8ab932164548e526ae90224368517acfeabd6bb3732bc0e9da"
    "99832b61ca01b6de56244a9e88d5f9b37973f622a43d14a6599b1f654cb45a74"
    "e355a5"
)


# ---------------------------------------------------------------- X25519


@pytest.mark.parametrize(
    ("scalar", "u", "out"),
    [
        (
            "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
            "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
            "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552",
        ),
        (
            "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
            "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
            "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957",
        ),
    ],
)
def test_rfc7748_x25519(impl: ModuleType, scalar: str, u: str, out: str) -> None:
    assert impl.scalarmult(H(scalar), H(u)) == H(out)


def test_rfc7748_iterated(impl: ModuleType) -> None:
    # k = u = 9; then k, u = X25519(k, u), k. After 1 and after 1,000 rounds.
    k = u = (9).to_bytes(32, "little")
    for i in range(1, 1001):
        k, u = impl.scalarmult(k, u), k
        if i == 1:
            assert k == H("422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079")
    assert k == H("684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51")


def test_rfc7748_diffie_hellman(impl: ModuleType) -> None:
    assert impl.scalarmult_base(ALICE_SK) == ALICE_PK  # NaCl scalarmult.c
    assert impl.scalarmult_base(BOB_SK) == BOB_PK  # NaCl scalarmult2.c
    assert impl.scalarmult(ALICE_SK, BOB_PK) == SHARED  # NaCl scalarmult5.c
    assert impl.scalarmult(BOB_SK, ALICE_PK) == SHARED  # NaCl scalarmult6.c


# Points of small order (and their non-canonical encodings): with a clamped
# scalar the result is the all-zero point, which both backends refuse.
LOW_ORDER = [
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0100000000000000000000000000000000000000000000000000000000000000",
    "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
    "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
]


@pytest.mark.parametrize("point", LOW_ORDER)
def test_low_order_points_refused(impl: ModuleType, point: str) -> None:
    for p in (H(point), H(point)[:31] + bytes([H(point)[31] | 0x80])):  # high bit ignored
        with pytest.raises(CryptoError):
            impl.scalarmult(ALICE_SK, p)
        with pytest.raises(CryptoError):
            impl.box_beforenm(p, ALICE_SK)
        with pytest.raises(CryptoError):
            impl.box(b"x", NONCE, p, ALICE_SK)


# ------------------------------------------------------- box / secretbox


def test_nacl_box(impl: ModuleType) -> None:
    assert impl.box(MESSAGE, NONCE, BOB_PK, ALICE_SK) == BOXED
    assert impl.box_open(BOXED, NONCE, ALICE_PK, BOB_SK) == MESSAGE
    k = impl.box_beforenm(BOB_PK, ALICE_SK)
    assert k == FIRSTKEY  # NaCl core1.c: HSalsa20(shared, 0)
    assert impl.box_beforenm(ALICE_PK, BOB_SK) == FIRSTKEY
    assert impl.box_afternm(MESSAGE, NONCE, k) == BOXED
    assert impl.box_open_afternm(BOXED, NONCE, k) == MESSAGE


def test_nacl_secretbox(impl: ModuleType) -> None:
    assert impl.secretbox(MESSAGE, NONCE, FIRSTKEY) == BOXED
    assert impl.secretbox_open(BOXED, NONCE, FIRSTKEY) == MESSAGE


def test_empty_message(impl: ModuleType) -> None:
    boxed = impl.secretbox(b"", NONCE, FIRSTKEY)
    assert len(boxed) == 16
    assert impl.secretbox_open(boxed, NONCE, FIRSTKEY) == b""


# -------------------------------------------- the pure layer's internals


def test_hsalsa20_core1_core2() -> None:
    assert pure._hsalsa20(SHARED, bytes(16)) == FIRSTKEY
    assert pure._hsalsa20(FIRSTKEY, NONCE[:16]) == SECONDKEY
    assert pure._hsalsa20_ref(FIRSTKEY, NONCE[:16]) == SECONDKEY


def test_xsalsa20_stream_4mib() -> None:
    # NaCl stream.c / stream2.c: the same 4 MiB, as XSalsa20 and as Salsa20.
    stream = pure._xsalsa20_stream(FIRSTKEY, NONCE, 4194304)
    assert hashlib.sha256(stream).hexdigest() == STREAM_SHA256
    assert stream[:32] == RS  # stream3.c
    salsa = pure._salsa20_blocks(SECONDKEY, NONCE[16:], 4194304 // 64)
    assert hashlib.sha256(salsa).hexdigest() == STREAM_SHA256


def test_salsa20_ecrypt_set1_vector0() -> None:
    key = bytes([0x80]) + bytes(31)
    expected = H(
        "e3be8fdd8beca2e3ea8ef9475b29a6e7003951e1097a5c38d23b7a5fad9f6844"
        "b22c97559e2723c7cbbd3fe4fc8d9a0744652a83e72a9c461876af4d7ef1a117"
    )
    assert pure._salsa20_blocks(key, bytes(8), 1) == expected
    assert pure._ref_blocks(key, bytes(8), 0, 1) == expected


def test_poly1305_nacl_onetimeauth() -> None:
    assert pure._poly1305(RS, BOXED[16:]) == BOXED[:16]


def test_poly1305_rfc8439() -> None:
    key = H("85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b")
    tag = pure._poly1305(key, b"Cryptographic Forum Research Group")
    assert tag == H("a8061dc1305136c6c22b8baf0c0127a9")
