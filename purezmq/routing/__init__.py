"""Routing layer: whole messages between pipes; no bytes, no I/O."""

from __future__ import annotations

from .dist import Distributor
from .fq import FairQueue
from .lb import LoadBalancer
from .pipe import Pipe, pipe_pair
from .trie import MultiTrie, Trie

__all__ = [
    "Distributor",
    "FairQueue",
    "LoadBalancer",
    "MultiTrie",
    "Pipe",
    "Trie",
    "pipe_pair",
]
