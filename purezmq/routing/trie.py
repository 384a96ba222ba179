"""Subscription prefix tries (libzmq src/trie.cpp, generic_mtrie_impl.hpp).

Theory of operation
-------------------
Both tries are radix trees (path-compressed tries). A node holds:

* ``label``: the bytes on the edge from its parent (b"" only at the root),
* ``value``: what is subscribed at exactly this prefix (`Trie`: a reference
  count, 0 for none; `MultiTrie`: a non-empty set of pipes, or None),
* ``children``: first byte of the child's label -> child, or None.

Checking a message walks from the root, one dict lookup plus one slice
comparison ``data[pos:node.end] == node.label`` per node on the path (``end``
is the node's depth: fixed for a node, so splits and merges keep it; a slice
compare beats ``bytes.startswith(label, pos)``), and stops at the
first node with a value. So the cost grows with the number of nodes on the
path (at most ``len(data)``), never with the number of subscriptions that do
not match; and with path compression a long topic costs one step per
branching point on its path, not one per byte as in libzmq's byte-per-node
trie.

The tree is kept canonical: apart from the root, a node with no value has at
least two children (it is a branching point); removal deletes empty leaves
and merges a value-less node with its only child. The empty prefix lives at
the root, so the common "subscribe to everything" case is one attribute test.

Subscriptions are counted in `Trie` (SUB side: two ``add(b"a")`` need two
``rm(b"a")``) and are a set per pipe in `MultiTrie`, as in libzmq's mtrie: the
SUB side already sends an unsubscribe upstream only when its own count drops
to zero, so XPUB must not count duplicates from one pipe.

Both classes belong to the owning socket's thread.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable
from typing import Any, Callable

_ByteData = Any  # bytes-like; bytes is the fast path


class _Node:
    __slots__ = ("children", "end", "label", "value")

    def __init__(self, label: bytes, end: int, value: Any) -> None:
        self.label = label
        self.end = end  # len(full prefix) at this node: label is prefix[end-len:end]
        self.value = value  # Trie: int refcount; MultiTrie: set | None
        self.children: dict[int, _Node] | None = None


class _RadixTree:
    """Structure shared by both tries: insert, exact lookup, pruning."""

    __slots__ = ("_root", "_size")

    def __init__(self, empty: Any) -> None:
        self._root = _Node(b"", 0, empty)
        self._size = 0  # prefixes with a value

    def __len__(self) -> int:
        """Number of distinct prefixes currently subscribed."""
        return self._size

    def _insert(self, prefix: bytes, empty: Any) -> _Node:
        """Node for exactly `prefix`, created (splitting an edge) if needed."""
        node = self._root
        pos = 0
        n = len(prefix)
        while pos < n:
            first = prefix[pos]
            children = node.children
            child = children.get(first) if children is not None else None
            if child is None:
                leaf = _Node(prefix[pos:], n, empty)
                if children is None:
                    node.children = {first: leaf}
                else:
                    children[first] = leaf
                return leaf
            label = child.label
            if prefix.startswith(label, pos):
                pos += len(label)
                node = child
                continue
            # Split child's edge where prefix and label diverge (k >= 1).
            k = 1
            m = min(len(label), n - pos)
            while k < m and label[k] == prefix[pos + k]:
                k += 1
            mid = _Node(label[:k], pos + k, empty)
            child.label = label[k:]
            mid.children = {child.label[0]: child}
            assert children is not None
            children[first] = mid
            pos += k
            if pos == n:
                return mid
            leaf = _Node(prefix[pos:], n, empty)
            mid.children[prefix[pos]] = leaf
            return leaf
        return node

    def _path(self, prefix: bytes) -> list[_Node] | None:
        """Nodes from the root to the node for exactly `prefix`, or None."""
        node = self._root
        path = [node]
        pos = 0
        n = len(prefix)
        while pos < n:
            children = node.children
            if children is None:
                return None
            child = children.get(prefix[pos])
            if child is None or not prefix.startswith(child.label, pos):
                return None
            pos += len(child.label)
            node = child
            path.append(node)
        return path

    def _prune(self, path: list[_Node]) -> None:
        """The last node of `path` just lost its value: restore canonical form."""
        node = path[-1]
        if len(path) == 1:
            return  # the root stays
        parent = path[-2]
        children = node.children
        if children is None:
            assert parent.children is not None
            del parent.children[node.label[0]]
            if not parent.children:
                parent.children = None
            # A value-less parent (not the root) had two children or more.
            if len(path) > 2 and not parent.value and len(parent.children or ()) == 1:
                self._merge(path[-3], parent)
        elif len(children) == 1:
            self._merge(parent, node)

    @staticmethod
    def _merge(parent: _Node, node: _Node) -> None:
        """Replace value-less `node`, which has one child, by that child."""
        assert node.children is not None and len(node.children) == 1
        (child,) = node.children.values()
        child.label = node.label + child.label
        assert parent.children is not None
        parent.children[node.label[0]] = child

    def _walk(self, fn: Callable[[bytes, Any], None]) -> None:
        """Call fn(prefix, value) for every valued node, in byte order."""
        stack: list[tuple[bytes, _Node]] = [(b"", self._root)]
        while stack:
            prefix, node = stack.pop()
            if node.value:
                fn(prefix, node.value)
            children = node.children
            if children:
                for key in sorted(children, reverse=True):
                    child = children[key]
                    stack.append((prefix + child.label, child))


# Up to this many distinct prefixes, matching tests each with bytes.startswith
# (in C) instead of walking the tree in Python: a SUB or XPUB usually has one
# or a few topics.
_FEW = 8
_STALE: tuple[Any, ...] = (object(),)  # the few-prefix form must be made again


class Trie(_RadixTree):
    """Counted subscription prefixes (SUB/XSUB side); libzmq trie_t."""

    __slots__ = ("_few",)

    def __init__(self) -> None:
        super().__init__(0)
        # the subscribed prefixes when there are at most _FEW, else None
        self._few: tuple[bytes, ...] | None = ()

    def add(self, prefix: _ByteData) -> bool:
        """Count one more subscription to `prefix`; True if it is new."""
        node = self._insert(bytes(prefix), 0)
        node.value += 1
        if node.value == 1:
            self._size += 1
            self._few = _STALE
            return True
        return False

    def rm(self, prefix: _ByteData) -> bool:
        """Drop one subscription to `prefix`; True if none is left now.

        False if `prefix` was not subscribed at all."""
        path = self._path(bytes(prefix))
        if path is None:
            return False
        node = path[-1]
        if not node.value:
            return False
        node.value -= 1
        if node.value:
            return False
        self._size -= 1
        self._few = _STALE
        self._prune(path)
        return True

    def _make_few(self) -> tuple[bytes, ...] | None:
        few: tuple[bytes, ...] | None = None
        if self._size <= _FEW:
            prefixes: list[bytes] = []
            self._walk(lambda prefix, _count: prefixes.append(prefix))
            few = tuple(prefixes)
        self._few = few
        return few

    def check(self, data: _ByteData) -> bool:
        """True if some subscribed prefix is a prefix of `data`."""
        few = self._few
        if few is _STALE:
            few = self._make_few()
        if few is not None:
            topic: bytes = data if type(data) is bytes else bytes(data)
            return topic.startswith(few)
        node = self._root
        if node.value:
            return True  # empty prefix: everything matches
        children = node.children
        if children is None:
            return False
        if type(data) is not bytes:
            data = bytes(data)
        pos = 0
        try:
            while True:
                child = children.get(data[pos])  # IndexError: data exhausted
                if child is None:
                    return False
                end = child.end
                if data[pos:end] != child.label:
                    return False
                if child.value:
                    return True
                children = child.children
                if children is None:
                    return False
                pos = end
        except IndexError:
            return False

    def apply(self, fn: Callable[[bytes], None]) -> None:
        """Call fn(prefix) once per distinct subscribed prefix, in byte order."""
        self._walk(lambda prefix, _count: fn(prefix))

    def count(self, prefix: _ByteData) -> int:
        """How many times `prefix` is subscribed."""
        path = self._path(bytes(prefix))
        return path[-1].value if path is not None else 0


class MultiTrie(_RadixTree):
    """Subscription prefix -> set of pipes (XPUB side); libzmq mtrie_t.

    "Pipes" may be any hashable objects."""

    __slots__ = ("_by_pipe", "_few")

    def __init__(self) -> None:
        super().__init__(None)
        self._by_pipe: dict[Hashable, set[bytes]] = {}  # pipe -> its prefixes
        # ((prefix, its pipes), ...) when there are at most _FEW prefixes, else None
        self._few: tuple[tuple[bytes, set[Any]], ...] | None = ()

    def add(self, prefix: _ByteData, pipe: Hashable) -> bool:
        """Subscribe `pipe` to `prefix`; True if the prefix had no pipe before.

        Adding the same pair twice is one subscription (libzmq mtrie)."""
        prefix = bytes(prefix)
        self._few = _STALE
        node = self._insert(prefix, None)
        pipes = node.value
        if pipes is None:
            node.value = {pipe}
            self._size += 1
            new = True
        else:
            pipes.add(pipe)
            new = False
        mine = self._by_pipe.get(pipe)
        if mine is None:
            self._by_pipe[pipe] = {prefix}
        else:
            mine.add(prefix)
        return new

    def rm(self, prefix: _ByteData, pipe: Hashable) -> bool:
        """Unsubscribe `pipe` from `prefix`; True if this removed the last pipe.

        False if `pipe` was not subscribed to `prefix`."""
        prefix = bytes(prefix)
        mine = self._by_pipe.get(pipe)
        if mine is None or prefix not in mine:
            return False
        mine.discard(prefix)
        if not mine:
            del self._by_pipe[pipe]
        return self._rm(prefix, pipe)

    def rm_pipe(self, pipe: Hashable, on_last: Callable[[bytes], None] | None = None) -> None:
        """Remove `pipe` everywhere; on_last(prefix), in byte order, for every
        prefix that has no pipe left (XPUB forwards those as unsubscribes)."""
        mine = self._by_pipe.pop(pipe, None)
        if not mine:
            return
        for prefix in sorted(mine):
            if self._rm(prefix, pipe) and on_last is not None:
                on_last(prefix)

    def match_any(self) -> Collection[Any] | None:
        """The pipes every message matches, when no prefix but the empty one
        is subscribed (the usual "subscribe to everything"): the trie's own
        set (or an empty tuple), not to be modified while iterated. None when
        other prefixes are subscribed: then use `match`."""
        root = self._root
        if root.children is not None:
            return None
        pipes = root.value
        return pipes if pipes is not None else ()

    def matches(self, data: _ByteData) -> Collection[Any]:
        """Every pipe subscribed to a prefix of `data`, once each: a
        collection not to be modified, nor kept past a change to the trie
        (it may be the trie's own set)."""
        few = self._few
        if few is _STALE:
            few = self._make_few()
        if few is None:
            found: list[Any] = []
            self.match(data, found.append)
            return found
        if type(data) is not bytes:
            data = bytes(data)
        hits: Collection[Any] = ()
        first = True
        for prefix, pipes in few:
            if data.startswith(prefix):
                if first:
                    hits = pipes  # the trie's own set: usually the only one
                    first = False
                else:
                    hits = pipes.union(hits)
        return hits

    def _make_few(self) -> tuple[tuple[bytes, set[Any]], ...] | None:
        few: tuple[tuple[bytes, set[Any]], ...] | None = None
        if self._size <= _FEW:
            pairs: list[tuple[bytes, set[Any]]] = []
            self._walk(lambda prefix, pipes: pairs.append((prefix, pipes)))
            few = tuple(pairs)
        self._few = few
        return few

    def match(self, data: _ByteData, fn: Callable[[Any], None]) -> None:
        """Call fn(pipe) once for every pipe subscribed to a prefix of `data`.

        `fn` must not modify this trie."""
        node = self._root
        first = node.value  # first non-empty pipe set met; None so far
        if first is not None:
            for pipe in first:
                fn(pipe)
        children = node.children
        if children is None:
            return
        if type(data) is not bytes:
            data = bytes(data)
        seen: set[Any] | None = None  # only when two sets are on the path
        pos = 0
        n = len(data)
        while pos < n:
            child = children.get(data[pos])
            if child is None:
                return
            end = child.end
            if data[pos:end] != child.label:
                return
            pipes = child.value
            if pipes is not None:
                if first is None:
                    first = pipes
                    for pipe in pipes:
                        fn(pipe)
                else:
                    if seen is None:
                        seen = set(first)
                    for pipe in pipes:
                        if pipe not in seen:
                            seen.add(pipe)
                            fn(pipe)
            children = child.children
            if children is None:
                return
            pos = end

    def pipes(self, prefix: _ByteData) -> frozenset[Any]:
        """The pipes subscribed to exactly `prefix`."""
        path = self._path(bytes(prefix))
        if path is None or path[-1].value is None:
            return frozenset()
        return frozenset(path[-1].value)

    def prefixes(self, pipe: Hashable) -> frozenset[bytes]:
        """The prefixes `pipe` is subscribed to."""
        return frozenset(self._by_pipe.get(pipe, ()))

    def apply(self, fn: Callable[[bytes], None]) -> None:
        """Call fn(prefix) once per prefix with at least one pipe, in byte order."""
        self._walk(lambda prefix, _pipes: fn(prefix))

    def _rm(self, prefix: bytes, pipe: Hashable) -> bool:
        self._few = _STALE
        path = self._path(prefix)
        assert path is not None
        node = path[-1]
        pipes = node.value
        pipes.discard(pipe)
        if pipes:
            return False
        node.value = None
        self._size -= 1
        self._prune(path)
        return True
