"""Revisit a channel's most recent posts: edits and deletions that happened while
the monitor was down, or whose updates never came.

History reconciliation only moves forward from the cursor, so it cannot see an
older post being edited or deleted. Every ``reconcile_interval`` each channel's
last ``window`` stored posts are fetched again by id (``channels.getMessages``):
a post Telegram no longer has (``MessageEmpty``) is marked deleted; a post with a
later edit date than the stored one goes through the pipeline again, which
keeps the previous text in ``edits``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import structlog
from telethon import TelegramClient

from handlers.post import Post
from monitor.telegram.convert import FetcherFactory, is_post, to_post
from storage.api import Store
from storage.models import Authority

log = structlog.get_logger(__name__)

#: The authorization a deletion seen in a channel is recorded under; None when
#: no valid authorization covers the channel (then it is not recorded).
AuthorityOf = Callable[[int], Awaitable[Authority | None]]

#: How many of a channel's most recent stored posts are looked at again.
WINDOW = 50


class Sink(Protocol):
    async def process(self, post: Post) -> object: ...


@dataclass(frozen=True, slots=True)
class Revisited:
    edited: tuple[int, ...]
    deleted: tuple[int, ...]


async def revisit(
    client: TelegramClient,
    store: Store,
    sink: Sink,
    *,
    channel_id: int,
    peer: Any,
    account: str,
    fetcher_factory: FetcherFactory | None = None,
    window: int = WINDOW,
    authority_of: AuthorityOf | None = None,
) -> Revisited:
    """Look at the last ``window`` stored posts of one channel again (see module doc)."""
    recent = [p for p in await store.list_posts(channel_id, limit=window)
              if p.get("deleted_at") is None]
    if not recent:
        return Revisited((), ())
    ids = [int(p["message_id"]) for p in recent]
    messages = await client.get_messages(peer, ids=ids)
    deleted: list[int] = []
    edited: list[int] = []
    for stored, message in zip(recent, messages, strict=True):
        mid = int(stored["message_id"])
        if message is None or not is_post(message):
            deleted.append(mid)
            continue
        new_edit = message.edit_date
        old_edit = stored.get("edit_date")
        if new_edit is not None and (old_edit is None or new_edit > old_edit):
            post = to_post(message, account=account, fetcher_factory=fetcher_factory)
            await sink.process(post)
            edited.append(mid)
    if deleted:
        await record_deletions(store, channel_id, deleted, authority_of)
    if deleted or edited:
        log.info("channel_revisited", channel_id=channel_id, edited=edited, deleted=deleted)
    return Revisited(tuple(edited), tuple(deleted))


async def record_deletions(
    store: Store, channel_id: int, message_ids: Sequence[int], authority_of: AuthorityOf | None
) -> int | None:
    """Mark posts deleted under the channel's authority; how many were marked, or
    None when ``authority_of`` found no valid authorization (nothing recorded).
    Without ``authority_of`` (an unrestricted run) they are recorded without one."""
    authority = None
    if authority_of is not None:
        authority = await authority_of(channel_id)
        if authority is None:
            log.warning("deletion_not_recorded", channel_id=channel_id,
                        message_ids=list(message_ids), why="no valid authorization")
            return None
    return await store.mark_deleted(channel_id, message_ids, datetime.now(UTC), authority)
