"""Revisit a channel's most recent posts: edits and deletions that happened while
the monitor was down, or whose updates never came.

History reconciliation only moves forward from the cursor, so it cannot see an
older post being edited or deleted. Every ``reconcile_interval`` each channel's
last ``window`` stored posts are fetched again by id (``channels.getMessages``)
and the answer is read by message id (:func:`monitor.history_check.check_ids`):
a post the server says is gone (``MessageEmpty``, or absent from a complete
history listing of its range) is marked deleted; a post with a later edit date
than the stored one goes through the pipeline again, which keeps the previous
text in ``edits``; a post the server did not account for is left as it is. The
slower :mod:`monitor.sweep` does the same for every older stored post.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import structlog
from telethon import TelegramClient

from handlers.post import Post
from monitor.history_check import Checked, OnceLog, check_ids
from monitor.telegram.convert import FetcherFactory, to_post
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


@dataclass(frozen=True, slots=True)
class Settled(Revisited):
    #: Posts newly marked deleted; None when no valid authorization covered the
    #: channel (then none was recorded).
    marked: int | None = 0


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
    once: OnceLog | None = None,
) -> Revisited:
    """Look at the last ``window`` stored posts of one channel again (see module doc)."""
    recent = [p for p in await store.list_posts(channel_id, limit=window)
              if p.get("deleted_at") is None]
    if not recent:
        return Revisited((), ())
    checked = await check_ids(client, peer, channel_id, [int(p["message_id"]) for p in recent],
                              once=once or OnceLog())
    outcome = await settle(
        checked, recent, store, sink, channel_id=channel_id, account=account,
        fetcher_factory=fetcher_factory, authority_of=authority_of,
    )
    if outcome.deleted or outcome.edited or checked.unsettled:
        log.info("channel_revisited", channel_id=channel_id, edited=list(outcome.edited),
                 deleted=list(outcome.deleted), unsettled=sorted(checked.unsettled))
    return outcome


async def settle(
    checked: Checked,
    stored: Sequence[Mapping[str, Any]],
    store: Store,
    sink: Sink,
    *,
    channel_id: int,
    account: str,
    fetcher_factory: FetcherFactory | None,
    authority_of: AuthorityOf | None,
) -> Settled:
    """Act on what :func:`check_ids` found for ``stored`` posts (dicts with
    ``message_id`` and ``edit_date``): later edits go through ``sink``, posts the
    server says are gone are marked deleted under the channel's authority."""
    edited: list[int] = []
    for post in stored:
        mid = int(post["message_id"])
        message = checked.found.get(mid)
        if message is None:
            continue
        new_edit = message.edit_date
        old_edit = post.get("edit_date")
        if new_edit is not None and (old_edit is None or new_edit > old_edit):
            await sink.process(to_post(message, account=account, fetcher_factory=fetcher_factory))
            edited.append(mid)
    asked = {int(p["message_id"]) for p in stored}
    deleted = sorted(m for m in checked.gone if m in asked)
    marked: int | None = 0
    if deleted:
        marked = await record_deletions(store, channel_id, deleted, authority_of)
        log.info("posts_gone", channel_id=channel_id, message_ids=deleted,
                 evidence=sorted({checked.gone[m] for m in deleted}), marked=marked)
    return Settled(tuple(edited), tuple(deleted), marked)


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
