"""The store's matching operations (:class:`storage.api.Store`): a medium's
stored hashes, recent media for re-matching, spread reads, per-media disables,
decisions per bank and bank entries streamed as columns. Mixed into
:class:`storage.sqlite.SQLiteStore`; confirmation and dismissal learn inside
``transition_alert`` (:mod:`storage.sqlite.feedback`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from functools import partial
from typing import TypeVar

import aiosqlite

from storage.models import (
    Authority,
    BankColumns,
    BankFeedback,
    MediaDisable,
    MediaRecord,
    Sighting,
    StoredHashes,
)
from storage.sqlite import bank_columns, feedback, media_hashes

T = TypeVar("T")


class MatchingOperations(ABC):
    """Reads for matching, re-matching, spread and bank feedback."""

    @abstractmethod
    async def read(self, fn: Callable[[aiosqlite.Connection], Awaitable[T]]) -> T: ...

    @abstractmethod
    def reading(self) -> AbstractAsyncContextManager[aiosqlite.Connection]: ...

    async def get_media(self, media_id: int) -> MediaRecord | None:
        return await self.read(partial(media_hashes.get_media, media_id=media_id))

    async def get_media_hashes(self, media_id: int) -> StoredHashes:
        """SHA-1, dihedral PDQ and vPDQ of a medium (empty when it has none)."""
        return await self.read(partial(media_hashes.get, media_id=media_id))

    async def get_media_hashes_many(self, media_ids: Sequence[int]) -> dict[int, StoredHashes]:
        return await self.read(partial(media_hashes.get_many, media_ids=media_ids))

    async def recent_media(self, since: datetime) -> list[MediaRecord]:
        """Hashed media with a sighting recorded at or after ``since``."""
        return await self.read(partial(media_hashes.recent_media, since=since))

    async def list_sightings(
        self, media_ids: Sequence[int], since: datetime | None = None
    ) -> list[Sighting]:
        """Sightings of the media with their posts, channels and alerts, oldest post first."""
        return await self.read(partial(media_hashes.sightings, media_ids=media_ids, since=since))

    async def media_sharing_hashes(self, sha256: str | None, md5: str | None) -> list[int]:
        return await self.read(
            partial(media_hashes.media_sharing_hashes, sha256=sha256, md5=md5)
        )

    async def media_pdq(self) -> list[tuple[int, str, int | None]]:
        """(media id, PDQ, quality) of every medium with a PDQ."""
        return await self.read(media_hashes.media_pdq)

    async def capture_authority(self, channel_id: int, message_id: int) -> Authority | None:
        """The authorization a recorded post was captured under (from the ledger)."""
        return await self.read(
            partial(
                media_hashes.capture_authority, channel_id=channel_id, message_id=message_id
            )
        )

    async def media_disables(self) -> list[MediaDisable]:
        """Bank entries disabled for one medium (dismissed false positives)."""
        return await self.read(feedback.media_disables)

    async def bank_feedback(self) -> list[BankFeedback]:
        """Confirmed and dismissed alerts, and per-media disables, per bank."""
        return await self.read(feedback.bank_feedback)

    async def iter_bank_columns(self, after_id: int = 0) -> AsyncIterator[BankColumns]:
        """Enabled entries as column chunks per bank and hash type, from one
        snapshot; only those with an id above ``after_id``."""
        async with self.reading() as conn:
            async for chunk in bank_columns.iter_columns(conn, after_id=after_id):
                yield chunk

    async def bank_marks(self, upto_id: int) -> dict[str, tuple[int, int]]:
        """Per bank: (count, sum of ids) of enabled entries with an id up to ``upto_id``."""
        return await self.read(partial(bank_columns.enabled_marks, upto_id=upto_id))
