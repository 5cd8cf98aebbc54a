"""SQLite repositories of capture (:mod:`storage.repos.capture`), over the SQL
of :mod:`storage.sqlite.channels`, ``posts``, ``media`` and ``media_hashes``."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from storage.access_models import WatchLink
from storage.models import (
    ChannelRecord,
    MediaRecord,
    NewMedia,
    PostRecord,
    Sighting,
    StoredHashes,
    WatchRecord,
)
from storage.repos.capture import PostWrite
from storage.sqlite import authz_sql, channels, media, media_hashes, posts
from storage.sqlite.repo import Repo


class SQLiteChannels(Repo):
    async def upsert(self, channel: ChannelRecord, now: datetime) -> None:
        await channels.upsert_channel(self._c, channel, now)

    async def get(self, channel_id: int) -> ChannelRecord | None:
        return await channels.get_channel(self._c, channel_id)

    async def get_cursor(self, channel_id: int) -> int:
        return await channels.get_cursor(self._c, channel_id)

    async def advance_cursor(self, channel_id: int, message_id: int, now: datetime) -> None:
        await channels.advance_cursor(self._c, channel_id, message_id, now)


class SQLiteWatches(Repo):
    async def insert(
        self, target: str, actor: str, reason: str | None, state: str, now: datetime
    ) -> WatchRecord:
        return await channels.add_watch(self._c, target, actor, reason, state, now)

    async def get(self, watch_id: int) -> WatchRecord | None:
        return await channels.get_watch(self._c, watch_id)

    async def list(self, states: Sequence[str] | None = None) -> list[WatchRecord]:
        return await channels.list_watches(self._c, states)

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
    ) -> tuple[WatchRecord, WatchRecord]:
        return await channels.update_watch(
            self._c, watch_id, now=now, state=state, channel_id=channel_id, account=account,
            reason=reason, wait_until=wait_until,
        )

    async def watched_channel_ids(self) -> set[int]:
        return await channels.watched_channel_ids(self._c)

    async def links(self, states: Sequence[str] | None = None) -> builtins.list[WatchLink]:
        return await authz_sql.list_watch_links(self._c, states)

    async def link(self, watch_id: int) -> WatchLink | None:
        return await authz_sql.get_watch_link(self._c, watch_id)

    async def assign(self, watch_id: int, account: str | None, now: datetime) -> None:
        await authz_sql.set_watch_account(self._c, watch_id, account, at=now)


class SQLitePosts(Repo):
    async def record(self, post: PostRecord, now: datetime) -> PostWrite:
        return await posts.record_post(self._c, post, now)

    async def mark_deleted(
        self, channel_id: int, message_ids: Sequence[int], at: datetime
    ) -> list[int]:
        return await posts.mark_deleted(self._c, channel_id, message_ids, at)

    async def get(self, channel_id: int, message_id: int) -> dict[str, Any] | None:
        return await posts.get_post(self._c, channel_id, message_id)

    async def list(self, channel_id: int | None, limit: int) -> list[dict[str, Any]]:
        return await posts.list_posts(self._c, channel_id, limit)

    async def count(self, channel_id: int | None) -> int:
        return await posts.count_posts(self._c, channel_id)

    async def between(
        self,
        channel_id: int | None,
        since: datetime | None,
        until: datetime | None,
        limit: int,
    ) -> builtins.list[dict[str, Any]]:
        return await posts.posts_between(self._c, channel_id, since, until, limit)

    async def require(self, channel_id: int, message_id: int) -> None:
        await posts.require_post(self._c, channel_id, message_id)


class SQLiteMedia(Repo):
    async def find(self, *, file_id: str | None, sha256: str | None) -> MediaRecord | None:
        return await media.find_media(self._c, file_id=file_id, sha256=sha256)

    async def add(self, new: NewMedia, now: datetime) -> tuple[MediaRecord, bool]:
        return await media.add_media(self._c, new, now)

    async def add_sighting(
        self, media_id: int, channel_id: int, message_id: int, now: datetime
    ) -> MediaRecord | None:
        return await media.add_sighting(self._c, media_id, channel_id, message_id, now)

    async def get(self, media_id: int) -> MediaRecord | None:
        return await media_hashes.get_media(self._c, media_id)

    async def hashes(self, media_id: int) -> StoredHashes:
        return await media_hashes.get(self._c, media_id)

    async def hashes_many(self, media_ids: Sequence[int]) -> dict[int, StoredHashes]:
        return await media_hashes.get_many(self._c, media_ids)

    async def recent(self, since: datetime) -> list[MediaRecord]:
        return await media_hashes.recent_media(self._c, since)

    async def sightings(
        self, media_ids: Sequence[int], since: datetime | None = None
    ) -> list[Sighting]:
        return await media_hashes.sightings(self._c, media_ids, since)

    async def sharing_hashes(self, sha256: str | None, md5: str | None) -> list[int]:
        return await media_hashes.media_sharing_hashes(self._c, sha256, md5)

    async def all_pdq(self) -> list[tuple[int, str, int | None]]:
        return await media_hashes.media_pdq(self._c)
