"""What the access layer needs from a store: run an operation in the single
writer's transaction, or on a reader's snapshot."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

import aiosqlite

T = TypeVar("T")

__all__ = ["TxRunner"]


class TxRunner(Protocol):
    """``store.write(fn)`` / ``store.read(fn)`` (was ``storage.ledger.db.TxRunner``,
    which the ledger no longer needs; goes with the move to ``access/``)."""

    async def write(self, fn: Callable[[aiosqlite.Connection], Awaitable[T]]) -> T: ...
    async def read(self, fn: Callable[[aiosqlite.Connection], Awaitable[T]]) -> T: ...
