"""What code on the contract needs from a store: run a function in a write
transaction or on a read-only snapshot. Every backend's store has both
(``SQLiteStore`` today); the evidence ledger (:mod:`storage.ledger`) asks for
no more than this."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from storage.repos.transaction import Transaction

T = TypeVar("T")


class Transactional(Protocol):
    async def transaction(self, fn: Callable[[Transaction], Awaitable[T]]) -> T:
        """Run ``fn(tx)`` in one write transaction; its result after COMMIT.
        If ``fn`` raises, everything it changed is rolled back."""
        ...

    async def snapshot(self, fn: Callable[[Transaction], Awaitable[T]]) -> T:
        """Run ``fn(tx)`` read-only, on one committed snapshot."""
        ...
