"""CURVE traffic in batches: a read's MESSAGE boxes opened together, a send's
frames sealed together (`CurveBase.wrap_into` / `unwrap_spans`).

Every test runs twice: with libsodium's in-place codec when PyNaCl is there
("inplace"), and with the box-at-a-time codec of whichever backend is loaded
("each"). The wire is checked box by box with `crypto.box_open_afternm`, so
what is tested is the bytes, not the path that made them.
"""

from __future__ import annotations

import os
import struct
from typing import Any

import pytest

from purezmq import crypto
from purezmq.zmtp import Connection, Phase
from purezmq.zmtp.errors import (
    ZMTP_CRYPTOGRAPHIC,
    ZMTP_INVALID_SEQUENCE,
    MessageTooLarge,
    RemoteProtocolError,
)
from purezmq.zmtp.events import AuthRequest, Cancel, Message, Ping, Subscribe
from purezmq.zmtp.mechanisms import CurveClient, CurveServer
from tests.testing import frame, split_frames

SERVER_PUBLIC, SERVER_SECRET = crypto.keypair()
CLIENT_PUBLIC, CLIENT_SECRET = crypto.keypair()
U64 = struct.Struct(">Q")


@pytest.fixture(params=["inplace", "each"])
def codec(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "inplace":
        if crypto.inplace_codec(bytes(32)) is None:
            pytest.skip("the in-place codec is libsodium's (PyNaCl, with the sodium backend)")
    else:
        monkeypatch.setattr(crypto, "inplace_codec", lambda key: None)
    return str(request.param)


def ready(
    client_type: str = "DEALER", server_type: str = "ROUTER"
) -> tuple[Connection, Connection]:
    """A CURVE client and server Connection, handshake done, nothing queued."""
    client = Connection(
        CurveClient(SERVER_PUBLIC, CLIENT_PUBLIC, CLIENT_SECRET), socket_type=client_type
    )
    server = Connection(CurveServer(SERVER_PUBLIC, SERVER_SECRET), socket_type=server_type)
    for _ in range(10):
        moved = False
        if client.has_output():
            for event in server.receive_data(client.data_to_send()):
                if isinstance(event, AuthRequest):
                    server.auth_reply(True)
            moved = True
        if server.has_output():
            client.receive_data(server.data_to_send())
            moved = True
        if not moved:
            break
    assert client.phase is Phase.TRAFFIC and server.phase is Phase.TRAFFIC
    return client, server


def open_wire(wire: bytes, conn: Connection, prefix: bytes) -> list[tuple[int, bytes]]:
    """Each frame of ``wire`` as (box flags byte, frame), checked on the way:
    no flags on the wire, the MESSAGE name, short nonces counting up by one."""
    mech: Any = conn.mechanism
    precom = mech._precom
    out = []
    last = None
    for flags, body in split_frames(wire):
        assert flags & ~0x02 == 0  # neither MORE nor COMMAND on the wire
        assert body[:8] == b"\x07MESSAGE"
        (n,) = U64.unpack(body[8:16])
        assert last is None or n == last + 1
        last = n
        plain = crypto.box_open_afternm(body[16:], prefix + body[8:16], precom)
        out.append((plain[0], plain[1:]))
    return out


SIZES = [0, 1, 64, 222, 223, 255, 1000, 1024, 1025, 5000, 40000, 70000, 300000]


def test_a_batch_of_every_size_is_sealed_box_by_box(codec: str) -> None:
    client, server = ready()
    msgs = [[os.urandom(size)] for size in SIZES]
    msgs.append([b"a", os.urandom(300), b"", os.urandom(50000), b"z"])  # multipart
    client.send_messages(msgs)
    wire = client.data_to_send()
    boxes = open_wire(wire, client, b"CurveZMQMESSAGEC")
    expected = []
    for m in msgs:
        expected += [(1 if i < len(m) - 1 else 0, f) for i, f in enumerate(m)]
    assert boxes == expected
    assert server.receive_data(wire) == msgs


@pytest.mark.parametrize("step", [1, 7, 97, 4096, 65536])
def test_a_batch_arrives_whole_in_any_pieces(codec: str, step: int) -> None:
    client, server = ready()
    msgs = [[os.urandom(size)] for size in SIZES[:9]] * 3
    if step > 1:
        msgs.append([os.urandom(70000), b"x"])
    client.send_messages(msgs)
    wire = client.data_to_send()
    got: list[Any] = []
    for i in range(0, len(wire), step):
        got += server.receive_data(wire[i : i + step])
    assert got == msgs
    # and the other way, after the batch: nonces carry on across batches
    server.send_messages([[b"reply"]] * 3)
    assert client.receive_data(server.data_to_send()) == [[b"reply"]] * 3
    client.send_messages([[b"more"]])
    assert server.receive_data(client.data_to_send()) == [[b"more"]]


def test_subscriptions_between_messages_keep_their_place(codec: str) -> None:
    client, server = ready("XSUB", "XPUB")
    client.send_messages(
        [Message([b"m1"]), Subscribe(b"a"), Message([b"m2"]), Cancel(b"a"), Message([b"m3"])]
    )
    events = server.receive_data(client.data_to_send())
    assert events == [[b"m1"], Subscribe(b"a"), [b"m2"], Cancel(b"a"), [b"m3"]]


def test_a_ping_in_a_batch_is_answered_in_order(codec: str) -> None:
    client, server = ready()
    client.send_messages([[b"one"]])
    client.send_ping(10, b"ctx")
    client.send_messages([[b"two"]])
    events = server.receive_data(client.data_to_send())
    assert events == [[b"one"], Ping(10, b"ctx"), [b"two"]]
    (pong,) = open_wire(server.data_to_send(), server, b"CurveZMQMESSAGES")
    assert pong == (0x02, b"\x04PONGctx")


def test_a_box_that_does_not_open_keeps_the_messages_before_it(codec: str) -> None:
    client, server = ready()
    first = bytearray(client.mechanism.wrap(0, b"first"))
    first[-1] ^= 1  # the first box of the read is bad: nothing comes out
    client.send_messages([[b"g1"]])
    with pytest.raises(RemoteProtocolError) as info:
        server.receive_data(frame(0, bytes(first)) + client.data_to_send())
    assert info.value.code == ZMTP_CRYPTOGRAPHIC
    assert info.value.events == []
    assert server.phase is Phase.CLOSED

    client, server = ready()
    client.send_messages([[b"g1"], [b"g2", b"g3"], [b"g4"]])
    wire = client.data_to_send()
    bad = client.mechanism.wrap(0, b"bad")
    tampered = bytearray(bad)
    tampered[20] ^= 1
    with pytest.raises(RemoteProtocolError) as info:
        server.receive_data(wire + frame(0, bytes(tampered)) + frame(0, bad))
    assert info.value.code == ZMTP_CRYPTOGRAPHIC
    assert info.value.events == [[b"g1"], [b"g2", b"g3"], [b"g4"]]
    assert server.phase is Phase.CLOSED
    assert server.receive_data(frame(0, bad)) == []  # closed: discarded


def test_a_replayed_nonce_keeps_the_messages_before_it(codec: str) -> None:
    client, server = ready()
    client.send_messages([[b"g1"], [b"g2"]])
    wire = client.data_to_send()
    (first, _second) = split_frames(wire)
    with pytest.raises(RemoteProtocolError) as info:
        server.receive_data(wire + frame(0, first[1]))
    assert info.value.code == ZMTP_INVALID_SEQUENCE
    assert info.value.events == [[b"g1"], [b"g2"]]


def test_a_frame_over_maxmsgsize_keeps_the_messages_before_it(codec: str) -> None:
    client, server = ready()
    server.maxmsgsize = 100
    client.send_messages([[b"g1"], [b"g2"], [bytes(200)]])
    with pytest.raises(MessageTooLarge) as info:
        server.receive_data(client.data_to_send())
    assert info.value.events == [[b"g1"], [b"g2"]]


def test_a_frame_that_is_not_a_message_keeps_the_messages_before_it(codec: str) -> None:
    client, server = ready()
    client.send_messages([[b"g1"]])
    wire = client.data_to_send() + frame(0, b"\x05HELLO" + bytes(40))
    with pytest.raises(RemoteProtocolError) as info:
        server.receive_data(wire)
    assert info.value.events == [[b"g1"]]


def test_memoryview_and_bytearray_frames_are_sent_as_their_bytes(codec: str) -> None:
    client, server = ready()
    data = os.urandom(3000)
    client.send_messages([[memoryview(data)[10:20], bytearray(b"ba")], [memoryview(data)]])
    assert server.receive_data(client.data_to_send()) == [[data[10:20], b"ba"], [data]]


def test_small_sends_coalesce_into_one_chunk(codec: str) -> None:
    client, server = ready()
    for i in range(50):
        client.send_messages([[b"m%d" % i]])
    chunks = client.take_output()
    assert len(chunks) == 1  # one buffer for one write, not one per send
    expected = [[b"m%d" % i] for i in range(50)]
    assert server.receive_data(b"".join(chunks)) == expected


@pytest.mark.parametrize("split", [None, 1, 7])
def test_compact_connection_hands_one_frame_messages_over_bare(
    codec: str, split: int | None
) -> None:
    """As on the plain path: a compact receiver gets a one-frame message as
    its bytes and a multipart one as a list, in order, however the read is cut."""
    client, server = ready()
    server.compact = True
    sent: list[list[bytes]] = [[b"one"], [b"a", b"b"], [b""], [b"x" * 300], [b"c", b"", b"d"]]
    client.send_messages(sent)
    wire = client.data_to_send()
    events: list[Any] = []
    step = split or len(wire)
    for i in range(0, len(wire), step):
        events += server.receive_data(wire[i : i + step])
    assert events == [b"one", [b"a", b"b"], b"", b"x" * 300, [b"c", b"", b"d"]]
    assert [type(e) is bytes for e in events] == [True, False, True, True, False]
