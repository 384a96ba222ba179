"""The two crypto backends as one fixture: every test here runs on both."""

from __future__ import annotations

from types import ModuleType

import pytest


@pytest.fixture(params=["pure", "sodium"])
def impl(request: pytest.FixtureRequest) -> ModuleType:
    """`purezmq.crypto.pure`, or `purezmq.crypto.sodium` when PyNaCl imports."""
    if request.param == "sodium":
        pytest.importorskip("nacl.bindings", reason="PyNaCl (libsodium) is not installed")
        from purezmq.crypto import sodium

        return sodium
    from purezmq.crypto import pure

    return pure
