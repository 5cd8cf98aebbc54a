"""Repositories of what the monitor captures: channels and their cursors,
watches, posts and media. They store rows; the ledger records of a capture
are written by :mod:`storage.capture` (backend-neutral) in the same
transaction."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from storage.access_models import WatchLink
from storage.models import (
    ChannelRecord,
    MediaRecord,
    NewMedia,
    PostRecord,
    Sighting,
    StoredHashes,
    SweepProgress,
    WatchRecord,
)


@dataclass(frozen=True, slots=True)
class PostWrite:
    """What storing a post did: ``new`` for a first capture; ``previous_text``
    when a replay was an edit that changed the text (None otherwise)."""

    new: bool
    previous_text: str | None = None


class ChannelsRepo(Protocol):
    async def upsert(self, channel: ChannelRecord, now: datetime) -> None: ...
    async def get(self, channel_id: int) -> ChannelRecord | None: ...
    async def get_cursor(self, channel_id: int) -> int: ...
    async def advance_cursor(self, channel_id: int, message_id: int, now: datetime) -> None: ...


class WatchesRepo(Protocol):
    async def insert(
        self, target: str, actor: str, reason: str | None, state: str, now: datetime
    ) -> WatchRecord: ...
    async def get(self, watch_id: int) -> WatchRecord | None: ...
    async def list(self, states: Sequence[str] | None = None) -> list[WatchRecord]: ...
    async def update(
        self,
        watch_id: int,
        *,
        now: datetime,
        state: str | None,
        channel_id: int | None,
        account: str | None,
        reason: str | None,
        wait_until: datetime | None,
    ) -> tuple[WatchRecord, WatchRecord]: ...  # (before, after)
    async def watched_channel_ids(self) -> set[int]: ...
    # for the access rules: watches with their channel's username and account
    async def links(self, states: Sequence[str] | None = None) -> builtins.list[WatchLink]: ...
    async def link(self, watch_id: int) -> WatchLink | None: ...
    async def assign(self, watch_id: int, account: str | None, now: datetime) -> None: ...
    # set (or, with None, clear) the owning account; no audit row


class PostsRepo(Protocol):
    async def record(self, post: PostRecord, now: datetime) -> PostWrite: ...
    async def mark_deleted(
        self, channel_id: int, message_ids: Sequence[int], at: datetime
    ) -> list[int]: ...  # the message ids newly marked, ascending
    async def get(self, channel_id: int, message_id: int) -> dict[str, Any] | None: ...
    async def list(self, channel_id: int | None, limit: int) -> list[dict[str, Any]]: ...
    async def count(self, channel_id: int | None) -> int: ...
    async def between(
        self,
        channel_id: int | None,
        since: datetime | None,
        until: datetime | None,
        limit: int,
    ) -> builtins.list[dict[str, Any]]:
        """Posts dated in [since, until) (open ends when None), newest first."""
        ...

    async def require(self, channel_id: int, message_id: int) -> None: ...


class MediaRepo(Protocol):
    async def find(
        self, *, file_id: str | None, sha256: str | None
    ) -> MediaRecord | None: ...
    async def add(self, media: NewMedia, now: datetime) -> tuple[MediaRecord, bool]: ...
    # (the row, True when it was created or upgraded to hashed)
    async def add_sighting(
        self, media_id: int, channel_id: int, message_id: int, now: datetime
    ) -> MediaRecord | None: ...  # the medium when the sighting is new, else None
    async def get(self, media_id: int) -> MediaRecord | None: ...
    async def hashes(self, media_id: int) -> StoredHashes: ...
    async def hashes_many(self, media_ids: Sequence[int]) -> dict[int, StoredHashes]: ...
    async def recent(self, since: datetime) -> list[MediaRecord]: ...
    async def sightings(
        self, media_ids: Sequence[int], since: datetime | None = None
    ) -> list[Sighting]: ...
    async def sharing_hashes(self, sha256: str | None, md5: str | None) -> list[int]: ...
    async def all_pdq(self) -> list[tuple[int, str, int | None]]: ...


class SweepRepo(Protocol):
    """The history sweep's rows: stored, not deleted posts to check again, and
    each channel's progress (:mod:`monitor.sweep`)."""

    async def posts_to_check(
        self, channel_id: int, below: int | None, limit: int
    ) -> list[dict[str, Any]]: ...  # (message_id, edit_date) under ``below``, newest first
    async def progress(self, channel_id: int) -> SweepProgress | None: ...
    async def list_progress(self) -> list[SweepProgress]: ...
    async def save_progress(self, progress: SweepProgress, now: datetime) -> SweepProgress: ...
