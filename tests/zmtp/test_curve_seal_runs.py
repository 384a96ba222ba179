"""CURVE sends of runs of one-frame short messages (`wrap_into`'s run path,
laid out and sealed in C through `seal_spans`' run form) against the general
loop: every shape of batch gives the same wire bytes from the same nonce,
and every box opens with `crypto.box_open_afternm` to its frame and flags.

The run path is libsodium's: without PyNaCl's in-place codec there is nothing
here to compare (tests/zmtp/test_curve_batches.py covers both codecs).
"""

from __future__ import annotations

import os
import struct
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from purezmq import crypto
from purezmq.zmtp import Phase
from purezmq.zmtp.events import Cancel, Message, Subscribe
from purezmq.zmtp.mechanisms import curve
from tests.zmtp.test_curve_batches import open_wire, ready

if crypto.inplace_codec(bytes(32)) is None:
    pytest.skip(
        "the run path is libsodium's in-place codec (PyNaCl, sodium backend)",
        allow_module_level=True,
    )

PREFIX = b"CurveZMQMESSAGEC"  # the client's MESSAGE nonce prefix
GENERAL = 1 << 62  # a _RUN_MIN no run reaches: the general loop
# nonces where bytes of the short nonce roll over, the highest last
STARTS = [3, 200, 255, 256, 65_500, 2**24 - 100, 2**32 - 7, 2**56 - 300, 2**64 - 2000]


class Spy:
    """Counts the runs `_wrap_run` is given (so a test knows which path ran)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        real = curve._CurveBase._wrap_run

        def counted(mech: Any, *args: Any) -> Any:
            self.calls += 1
            return real(mech, *args)

        monkeypatch.setattr(curve._CurveBase, "_wrap_run", counted)


def wire(
    mech: Any, messages: list[Any], start: int, run_min: int, out: bytes = b""
) -> tuple[bytes, list[Any]]:
    """``messages`` through ``wrap_into`` from short nonce ``start``: all the
    bytes it queued, and the chunks list it was given (to see its split)."""
    saved = curve._RUN_MIN
    curve._RUN_MIN = run_min
    try:
        mech._nonce = start
        chunks: list[Any] = []
        last = mech.wrap_into(bytearray(out), chunks, messages)
        return b"".join(chunks) + bytes(last), chunks
    finally:
        curve._RUN_MIN = saved


def expected_boxes(messages: list[Any]) -> list[tuple[int, bytes]]:
    boxes = []
    for frames in messages:
        boxes += [(1 if i < len(frames) - 1 else 0, bytes(f)) for i, f in enumerate(frames)]
    return boxes


def check_both_paths(
    messages: list[Any], start: int, spy: Spy, runs: int, out: bytes = b""
) -> bytes:
    """The run path (``runs`` runs taken) and the general loop make the same
    bytes, boxes that open to the messages, and spend the same nonces."""
    client, _server = ready()
    mech: Any = client.mechanism
    before = spy.calls
    fast, fast_chunks = wire(mech, messages, start, 1, out)
    assert spy.calls - before == runs
    fast_next = mech._nonce
    slow, slow_chunks = wire(mech, messages, start, GENERAL, out)
    assert spy.calls - before == runs
    assert fast == slow
    assert [len(c) for c in fast_chunks] == [len(c) for c in slow_chunks]
    assert fast_next == mech._nonce == start + sum(map(len, messages))
    assert fast.startswith(out)
    boxes = open_wire(fast[len(out) :], client, PREFIX)
    assert boxes == expected_boxes(messages)
    return fast


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> Spy:
    return Spy(monkeypatch)


@pytest.mark.parametrize("start", STARTS)
@pytest.mark.parametrize("size", [0, 1, 15, 16, 17, 31, 32, 33, 64, 200, 222])
def test_one_size_runs_match_the_general_loop(spy: Spy, size: int, start: int) -> None:
    for count in (1, 2, 9, 300):
        messages = [[os.urandom(size)] for _ in range(count)]
        check_both_paths(messages, start, spy, runs=1)


@pytest.mark.parametrize("start", STARTS)
def test_mixed_size_runs_match_the_general_loop(spy: Spy, start: int) -> None:
    sizes = [0, 1, 16, 17, 222, 64, 0, 5, 222, 100, 33] * 30
    messages = [[os.urandom(size)] for size in sizes]
    check_both_paths(messages, start, spy, runs=1)


def test_a_run_past_the_last_nonce_raises_before_it_queues_anything(
    spy: Spy, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, _server = ready()
    mech: Any = client.mechanism
    messages = [[b"m"] for _ in range(20)]
    for run_min in (1, GENERAL):
        monkeypatch.setattr(curve, "_RUN_MIN", run_min)
        mech._nonce = 2**64 - 10
        out = bytearray(b"queued")
        chunks: list[Any] = []
        with pytest.raises(struct.error):  # as packing a nonce past 2**64 - 1 does
            mech.wrap_into(out, chunks, messages)
        assert out == b"queued" and chunks == []
    assert spy.calls == 1


@pytest.mark.parametrize(
    "messages",
    [
        [[b"a", b"b"]] + [[b"x"]] * 20,  # a multipart message
        [[b"x"]] * 20 + [[]],  # a message of no frames
        [[b"x"]] * 10 + [[bytearray(b"ba")]] + [[b"y"]] * 10,  # a bytearray frame
        [[b"x"]] * 10 + [[memoryview(b"0123456789")[2:5]]],  # a memoryview
        [[b"x"]] * 10 + [[bytes(223)]],  # a frame too long for a short MESSAGE
        [[b"x"]] * 10 + [[bytes(256)]] + [[b"y"]] * 10,
        [[b"x"]] * 10 + [[bytes(70000)]] + [[b"y"]] * 10,  # a chunk of its own
        [[bytes(300), b"", bytes(5)], [b"z"]],
    ],
)
def test_other_runs_take_the_general_loop(spy: Spy, messages: list[Any]) -> None:
    for start in (3, 2**32 - 5):
        check_both_paths(messages, start, spy, runs=0)


def test_a_memoryview_of_wide_items_is_sent_as_its_bytes(spy: Spy) -> None:
    wide = memoryview(os.urandom(64)).cast("I")  # len 16, 64 bytes
    messages = [[os.urandom(16)] for _ in range(10)] + [[wide]]
    check_both_paths(messages, 7, spy, runs=0)


@pytest.mark.parametrize("queued", [b"", b"q" * 100, b"q" * 40000])
@pytest.mark.parametrize("count", [10, 400])  # the run below and above _BIG_BOX
def test_a_run_joins_what_is_queued_as_the_general_loop_does(
    spy: Spy, queued: bytes, count: int
) -> None:
    messages = [[os.urandom(100)] for _ in range(count)]
    check_both_paths(messages, 1000, spy, runs=1, out=queued)


def test_subscriptions_between_runs_keep_their_place(
    spy: Spy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(curve, "_RUN_MIN", 2)
    client, server = ready("XSUB", "XPUB")
    batch: list[Any] = [Message([b"m%d" % i]) for i in range(5)]
    batch += [Subscribe(b"a")] + [[b"n%d" % i] for i in range(3)] + [Cancel(b"a"), [b"last"]]
    client.send_messages(batch)
    events = server.receive_data(client.data_to_send())
    assert events == [list(item) if isinstance(item, list) else item for item in batch]
    assert spy.calls == 2  # the runs of five and three, not the one after Cancel


def test_runs_from_send_messages_are_received_in_order(
    spy: Spy, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, server = ready("PUSH", "PULL")
    sent: list[list[bytes]] = []
    least = curve._RUN_MIN
    for count in (least - 1, least, 250, least + 1, 1000, 5000):
        batch = [[os.urandom(count % 223)] for _ in range(count)]
        client.send_messages(batch)
        sent += batch
    assert spy.calls == 5  # not the run shorter than _RUN_MIN
    assert server.receive_data(client.data_to_send()) == sent
    assert server.phase is Phase.TRAFFIC


def test_a_failing_seal_leaves_nothing_queued(spy: Spy) -> None:
    client, _server = ready()
    mech: Any = client.mechanism
    seen: list[bytearray] = []

    def broken(buf: bytearray, spans: list[Any]) -> None:
        seen.append(buf)
        raise KeyboardInterrupt

    mech._seal_spans = broken
    out = bytearray(b"queued")
    chunks: list[Any] = []
    start = mech._nonce
    with pytest.raises(KeyboardInterrupt):
        mech.wrap_into(out, chunks, [[b"secret%d" % i] for i in range(20)])
    assert out == b"queued" and chunks == []
    assert mech._nonce == start + 20  # spent: never used again
    assert spy.calls == 1 and len(seen) == 1


def test_seal_spans_run_form_seals_each_box_as_box_afternm() -> None:
    """The run form directly: plaintexts at the boxes' starts (16 spare bytes
    after each), boxes where they were, bytes between them untouched."""
    key = os.urandom(32)
    pair = crypto.inplace_codec(key)
    assert pair is not None
    seal_spans = pair[0]
    plains = [os.urandom(size) for size in (1, 2, 15, 16, 17, 31, 32, 33, 64, 65, 223, 1000)]
    nonces = [os.urandom(24) for _ in plains]
    gap = b"\xee" * 3
    buf = bytearray(gap)
    starts = []
    for plain in plains:
        starts.append(len(buf))
        buf += plain + bytes(16) + gap
    steps = [b - a for a, b in zip(starts, starts[1:])] + [0]
    seal_spans(buf, [(starts[0], steps, [len(p) for p in plains], iter(nonces))])
    for start, plain, nonce in zip(starts, plains, nonces):
        end = start + 16 + len(plain)
        assert bytes(buf[start:end]) == crypto.box_afternm(plain, nonce, key)
        assert buf[end : end + 3] == gap and buf[start - 3 : start] == gap
    buf += b"grows"  # released again


frames = st.one_of(
    st.binary(max_size=240),
    st.sampled_from([b"", b"x", bytes(16), bytes(222), bytes(223), bytes(300)]),
    st.binary(max_size=40).map(bytearray),
    st.binary(max_size=40).map(lambda b: memoryview(b)),
)
batches = st.lists(
    st.one_of(
        st.lists(frames, min_size=1, max_size=1),
        st.lists(frames, min_size=0, max_size=3),
        st.lists(st.binary(max_size=222), min_size=1, max_size=1),
    ),
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(
    messages=batches,
    start=st.one_of(st.sampled_from(STARTS), st.integers(1, 2**63)),
    one_size=st.booleans(),
)
def test_any_batch_gives_the_general_loops_bytes(
    messages: list[Any], start: int, one_size: bool
) -> None:
    if one_size:  # a run of one size, as the strided layout takes it
        size = len(bytes(messages[0][0])) if messages and messages[0] else 7
        messages = [[os.urandom(size)] for _ in messages]
    client, _server = ready()
    mech: Any = client.mechanism
    fast, _ = wire(mech, messages, start, 1)
    slow, _ = wire(mech, messages, start, GENERAL)
    assert fast == slow
    assert open_wire(fast, client, PREFIX) == expected_boxes(messages)


@pytest.mark.parametrize("count", [1, 3, 200, 700])  # 700 rows of 100: past the kept buffer
def test_seal_spans_rows_of_one_stride_reuse_nothing_stale(count: int) -> None:
    """The run form with one int stride, several times over: same shape in
    new buffers, another shape, nonces in a list or packed in one buffer, a
    run that fails part way, then one again."""
    key = os.urandom(32)
    pair = crypto.inplace_codec(key)
    assert pair is not None
    seal_spans = pair[0]

    def run(size: int, lead: int, nonces: Any) -> tuple[bytearray, list[bytes]]:
        plains = [os.urandom(size) for _ in range(count)]
        buf = bytearray(b"\xee" * lead)
        for plain in plains:
            buf += plain + bytes(16) + b"\xee" * 3
        seal_spans(buf, [(lead, size + 19, [size] * count, nonces)])
        return buf, plains

    def check(buf: bytearray, plains: list[bytes], lead: int, nonces: list[bytes]) -> None:
        pos = lead
        for plain, nonce in zip(plains, nonces):
            end = pos + 16 + len(plain)
            assert bytes(buf[pos:end]) == crypto.box_afternm(plain, nonce, key)
            assert buf[end : end + 3] == b"\xee" * 3
            pos = end + 3

    for size, lead, packed in [
        (81, 5, False),
        (81, 5, True),
        (81, 5, True),
        (17, 5, False),
        (17, 5, True),
        (81, 2, True),
        (1, 0, False),
    ]:
        nonces = [os.urandom(24) for _ in range(count)]
        buf, plains = run(size, lead, bytearray(b"".join(nonces)) if packed else nonces)
        check(buf, plains, lead, nonces)
    with pytest.raises(TypeError):  # a nonce that is not bytes: sealing stops there
        run(81, 5, [os.urandom(24)] * (count - 1) + [12345])
    nonces = [os.urandom(24) for _ in range(count)]
    buf, plains = run(81, 5, nonces)
    check(buf, plains, 5, nonces)


def test_seal_spans_run_form_takes_packed_nonces_with_any_steps() -> None:
    key = os.urandom(32)
    pair = crypto.inplace_codec(key)
    assert pair is not None
    plains = [os.urandom(size) for size in (3, 40, 0 + 1, 222)]
    nonces = [os.urandom(24) for _ in plains]
    buf = bytearray()
    starts = []
    for plain in plains:
        starts.append(len(buf))
        buf += plain + bytes(16)
    steps = [len(p) + 16 for p in plains]
    pair[0](buf, [(0, steps, [len(p) for p in plains], b"".join(nonces))])
    for start, plain, nonce in zip(starts, plains, nonces):
        assert buf[start : start + 16 + len(plain)] == crypto.box_afternm(plain, nonce, key)
