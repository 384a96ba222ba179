"""Trie / MultiTrie against a naive multiset-of-prefixes model."""

from __future__ import annotations

from collections import Counter
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from purezmq.routing import MultiTrie, Trie
from purezmq.routing.trie import _FEW, _Node, _RadixTree

# A tiny alphabet so prefixes share stems and collide often; 0x00/0xff for edges.
byte = st.sampled_from([0x61, 0x61, 0x62, 0x63, 0x00, 0xFF])
prefixes = st.lists(byte, max_size=4).map(bytes)
datas = st.lists(byte, max_size=7).map(bytes)
pipes = st.integers(0, 3)  # any hashable stands in for a Pipe
as_type = st.sampled_from([bytes, bytearray, memoryview])


def check_structure(tree: _RadixTree) -> None:
    """Canonical radix tree: no empty leaves, no value-less single-child
    chains, correct depths and child keys, _size counts valued nodes."""
    root = tree._root
    assert root.label == b"" and root.end == 0
    valued = 0
    nodes = 0
    stack: list[_Node] = [root]
    while stack:
        node = stack.pop()
        nodes += 1
        if node.value:
            valued += 1
        children = node.children
        assert children is None or len(children) > 0
        if node is not root:
            assert node.label
            if not node.value:
                assert children is not None and len(children) >= 2
        for key, child in (children or {}).items():
            assert child.label[0] == key
            assert child.end == node.end + len(child.label)
            stack.append(child)
    assert valued == len(tree)
    assert nodes <= 2 * valued + 1  # the path-compression bound


def test_empty_trie() -> None:
    t = Trie()
    assert not t.check(b"")
    assert not t.check(b"abc")
    assert len(t) == 0
    assert not t.rm(b"a")


def test_empty_prefix_matches_everything() -> None:
    t = Trie()
    assert t.add(b"")
    assert t.check(b"") and t.check(b"anything") and t.check(b"\x00")
    assert t.rm(b"")
    assert not t.check(b"x")


def test_trie_counts_duplicates() -> None:
    t = Trie()
    assert t.add(b"a")
    assert not t.add(b"a")
    assert not t.rm(b"a")
    assert t.check(b"abc")
    assert t.rm(b"a")
    assert not t.check(b"abc")
    assert not t.rm(b"a")


def test_trie_prefix_semantics() -> None:
    t = Trie()
    t.add(b"topic.")
    t.add(b"top")
    t.add(b"other")
    assert t.check(b"top") and t.check(b"topic.x") and t.check(b"topaz")
    assert not t.check(b"to") and not t.check(b"oth") and not t.check(b"")
    assert t.check(b"otherwise")
    t.rm(b"top")
    assert not t.check(b"topaz") and t.check(b"topic.")
    assert t.count(b"topic.") == 1 and t.count(b"top") == 0
    check_structure(t)


def test_trie_apply_order_and_len() -> None:
    t = Trie()
    for p in [b"b", b"ab", b"a", b"", b"abc", b"a"]:
        t.add(p)
    seen: list[bytes] = []
    t.apply(seen.append)
    assert seen == [b"", b"a", b"ab", b"abc", b"b"]
    assert len(t) == 5
    check_structure(t)


def test_trie_accepts_any_bytes_like() -> None:
    t = Trie()
    t.add(bytearray(b"ab"))
    assert t.check(memoryview(b"abc")) and t.check(bytearray(b"ab"))
    assert t.rm(memoryview(b"ab"))


def test_trie_many_subscriptions() -> None:
    t = Trie()
    for i in range(5000):
        t.add(b"topic.%d." % i)
    check_structure(t)
    assert t.check(b"topic.4999.x") and not t.check(b"topic.5000.x")
    assert not t.check(b"topic.") and not t.check(b"x")
    for i in range(5000):
        assert t.rm(b"topic.%d." % i)
    assert t._root.children is None and len(t) == 0


def test_multitrie_match_calls_each_pipe_once() -> None:
    m = MultiTrie()
    assert m.add(b"a", "p1")
    assert not m.add(b"a", "p2")
    assert m.add(b"ab", "p1")
    assert m.add(b"", "p3")
    calls: list[Any] = []
    m.match(b"abc", calls.append)
    assert sorted(calls) == ["p1", "p2", "p3"]
    calls.clear()
    m.match(b"b", calls.append)
    assert calls == ["p3"]


def test_multitrie_set_semantics_per_pipe() -> None:
    """As libzmq mtrie: one pipe subscribing twice is one subscription (the
    SUB side only sends the cancel once its own count reaches zero)."""
    m = MultiTrie()
    assert m.add(b"a", 1)
    assert not m.add(b"a", 1)
    assert m.rm(b"a", 1)
    assert not m.rm(b"a", 1)  # not subscribed: False
    calls: list[Any] = []
    m.match(b"a", calls.append)
    assert calls == []


def test_multitrie_rm_pipe() -> None:
    m = MultiTrie()
    m.add(b"b", 1)
    m.add(b"a", 1)
    m.add(b"a", 2)
    m.add(b"", 1)
    last: list[bytes] = []
    m.rm_pipe(1, last.append)
    assert last == [b"", b"b"]  # b"a" still has pipe 2; byte order
    assert m.prefixes(1) == frozenset() and m.pipes(b"a") == {2}
    m.rm_pipe(1, last.append)  # unknown pipe: nothing
    m.rm_pipe(2)
    assert len(m) == 0 and m._root.children is None


def test_few_and_many_prefixes_match_alike() -> None:
    """Up to `_FEW` prefixes are tested with bytes.startswith; more, or
    after a change, by the walk: the same answers either side of the line."""
    trie = Trie()
    multi = MultiTrie()
    topics = [b"t%02d" % i for i in range(2 * _FEW)]
    for n, topic in enumerate(topics):
        trie.add(topic)
        multi.add(topic, n % 3)
        multi.add(topic[:2], 9)  # a shorter prefix: two pipe sets on one path
        for data in (topic + b"!", b"t", b"x", topics[0]):
            walked: list[int] = []
            multi.match(data, walked.append)
            assert sorted(multi.matches(data)) == sorted(walked)
            assert trie.check(data) == any(data.startswith(t) for t in topics[: n + 1])
    for topic in topics[:-1]:  # and back down to one
        trie.rm(topic)
    assert trie.check(topics[-1] + b"x") and not trie.check(topics[0])


class TrieMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.trie = Trie()
        self.model: Counter[bytes] = Counter()

    @rule(prefix=prefixes, kind=as_type)
    def add(self, prefix: bytes, kind: Any) -> None:
        new = self.model[prefix] == 0
        self.model[prefix] += 1
        assert self.trie.add(kind(prefix)) == new

    @rule(prefix=prefixes)
    def rm(self, prefix: bytes) -> None:
        last = self.model[prefix] == 1
        if self.model[prefix]:
            self.model[prefix] -= 1
        if not self.model[prefix]:
            del self.model[prefix]
        assert self.trie.rm(prefix) == last

    @precondition(lambda self: bool(self.model))
    @rule(data=st.data())
    def rm_existing(self, data: st.DataObject) -> None:
        self.rm(data.draw(st.sampled_from(sorted(self.model))))

    @rule(data=datas, kind=as_type)
    def check(self, data: bytes, kind: Any) -> None:
        expect = any(data.startswith(p) for p in self.model)
        assert self.trie.check(kind(data)) == expect

    @invariant()
    def same_prefixes(self) -> None:
        seen: list[bytes] = []
        self.trie.apply(seen.append)
        assert seen == sorted(self.model)
        assert len(self.trie) == len(self.model)
        for p, n in self.model.items():
            assert self.trie.count(p) == n
        check_structure(self.trie)


class MultiTrieMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.trie = MultiTrie()
        self.model: dict[bytes, set[int]] = {}

    @rule(prefix=prefixes, pipe=pipes, kind=as_type)
    def add(self, prefix: bytes, pipe: int, kind: Any) -> None:
        new = prefix not in self.model
        self.model.setdefault(prefix, set()).add(pipe)
        assert self.trie.add(kind(prefix), pipe) == new

    @rule(prefix=prefixes, pipe=pipes)
    def rm(self, prefix: bytes, pipe: int) -> None:
        owners = self.model.get(prefix, set())
        last = owners == {pipe}
        owners.discard(pipe)
        if not owners:
            self.model.pop(prefix, None)
        assert self.trie.rm(prefix, pipe) == last

    @precondition(lambda self: bool(self.model))
    @rule(data=st.data())
    def rm_existing(self, data: st.DataObject) -> None:
        prefix = data.draw(st.sampled_from(sorted(self.model)))
        pipe = data.draw(st.sampled_from(sorted(self.model[prefix])))
        self.rm(prefix, pipe)

    @rule(pipe=pipes)
    def rm_pipe(self, pipe: int) -> None:
        expect = sorted(p for p, s in self.model.items() if s == {pipe})
        for p in list(self.model):
            self.model[p].discard(pipe)
            if not self.model[p]:
                del self.model[p]
        last: list[bytes] = []
        self.trie.rm_pipe(pipe, last.append)
        assert last == expect

    @rule(data=datas, kind=as_type)
    def match(self, data: bytes, kind: Any) -> None:
        calls: list[int] = []
        self.trie.match(kind(data), calls.append)
        assert len(calls) == len(set(calls))  # each pipe at most once
        expect = set().union(*(s for p, s in self.model.items() if data.startswith(p)))
        assert set(calls) == expect

    @rule(data=datas, kind=as_type)
    def matches(self, data: bytes, kind: Any) -> None:
        found = list(self.trie.matches(kind(data)))
        assert len(found) == len(set(found))  # each pipe once
        expect = set().union(*(s for p, s in self.model.items() if data.startswith(p)))
        assert set(found) == expect

    @invariant()
    def same_subscriptions(self) -> None:
        seen: list[bytes] = []
        self.trie.apply(seen.append)
        assert seen == sorted(self.model)
        assert len(self.trie) == len(self.model)
        for p, s in self.model.items():
            assert self.trie.pipes(p) == s
        for pipe in range(4):
            assert self.trie.prefixes(pipe) == {p for p, s in self.model.items() if pipe in s}
        check_structure(self.trie)


_settings = settings(max_examples=80, stateful_step_count=30, deadline=None)
TestTrie = TrieMachine.TestCase
TestTrie.settings = _settings
TestMultiTrie = MultiTrieMachine.TestCase
TestMultiTrie.settings = _settings
