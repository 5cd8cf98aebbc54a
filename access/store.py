"""What the access services need of a store: a transaction and a snapshot of
the store contract (:class:`storage.repos.Transaction`). Any backend's store
(``storage.sqlite.SQLiteStore``, later PostgreSQL's) is one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from storage.repos import Transaction

T = TypeVar("T")


class Store(Protocol):
    async def transaction(self, fn: Callable[[Transaction], Awaitable[T]]) -> T:
        """Run ``fn(tx)`` in one write transaction; its result after the commit."""
        ...

    async def snapshot(self, fn: Callable[[Transaction], Awaitable[T]]) -> T:
        """Run ``fn(tx)`` on one consistent read-only snapshot."""
        ...
