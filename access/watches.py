"""Watches as people see and end them: the list, and removal.

A watch is created only by an approved request (:mod:`access.requests`); a
supervisor removes one here. Removal changes only the database: the running
monitor compares the watch table with the channels it has joined and leaves
the channel of a removed watch. The rule (who may, which watches can still be
removed) is this module's; the CLI and the console only call it.
"""

from __future__ import annotations

from collections.abc import Sequence

from access.roles import PolicyViolation
from access.store import Store
from access.users import require
from storage.capture import update_watch
from storage.models import WatchRecord
from storage.repos import Transaction

#: Watch states that are over: the watch no longer records anything.
ENDED_STATES = frozenset({"expired", "revoked", "left"})
#: The state a removed watch gets.
REMOVED_STATE = "revoked"


class Watches:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def list(self, states: Sequence[str] | None = None) -> list[WatchRecord]:
        return await self._store.snapshot(lambda tx: tx.watches.list(states))

    async def remove(self, actor: str, watch_id: int, reason: str) -> WatchRecord:
        """A supervisor ends a watch that has not ended yet (audited ``watch.update``,
        with ``reason``); returns the watch after the change."""

        async def op(tx: Transaction) -> WatchRecord:
            await require(tx, actor, "supervisor")
            watch = await tx.watches.get(watch_id)
            if watch is None:
                raise PolicyViolation(f"no watch with id {watch_id}")
            if watch.state in ENDED_STATES:
                raise PolicyViolation(
                    f"watch {watch.id} ({watch.target}) has already ended: {watch.state}"
                )
            return await update_watch(tx, watch.id, actor=actor, state=REMOVED_STATE,
                                      reason=reason)

        return await self._store.transaction(op)
