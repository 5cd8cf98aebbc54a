"""Live intake: Telethon's NewMessage, MessageEdited and MessageDeleted events,
for watched channels only.

Every event is checked against the watch manager first; a message from a
channel that is not watched is dropped before anything is converted, logged or
stored. New posts are recorded at once; the channel's cursor is advanced by
reconciliation (see :mod:`monitor.reconcile`), which the new post wakes.
Deletions are recorded under the authorization that covers the channel now
(:func:`monitor.revisit.record_deletions`): none, none recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import structlog
from telethon import TelegramClient, events
from telethon.tl import types

from monitor.reconcile import Reconciler
from monitor.revisit import record_deletions
from monitor.telegram.convert import channel_id_of, is_post
from storage.api import Store

log = structlog.get_logger(__name__)

IsWatched = Callable[[int], bool]


class Intake:
    """Registers the three event handlers on a client and routes them."""

    def __init__(
        self,
        client: TelegramClient,
        store: Store,
        reconciler: Reconciler,
        is_watched: IsWatched,
    ) -> None:
        self._client = client
        self._store = store
        self._reconciler = reconciler
        self._is_watched = is_watched
        self._registered: list[tuple[Any, Any]] = []

    def register(self) -> None:
        pairs = [
            (self._on_new, events.NewMessage()),
            (self._on_edit, events.MessageEdited()),
            (self._on_delete, events.MessageDeleted()),
        ]
        for callback, event in pairs:
            self._client.add_event_handler(callback, event)
            self._registered.append((callback, event))

    def unregister(self) -> None:
        for callback, event in self._registered:
            self._client.remove_event_handler(callback, event)
        self._registered.clear()

    def _watched_message(self, message: Any) -> int | None:
        cid = channel_id_of(message)
        if cid is None or not self._is_watched(cid) or not is_post(message):
            return None
        return cid

    async def _on_new(self, event: Any) -> None:
        cid = self._watched_message(event.message)
        if cid is None:
            return
        try:
            await self._reconciler.process_live(event.message)
        except Exception:  # the post stays above the cursor: reconciliation retries it
            log.exception("live_post_failed", channel_id=cid, message_id=event.message.id)
            self._reconciler.request(cid)

    async def _on_edit(self, event: Any) -> None:
        cid = self._watched_message(event.message)
        if cid is None:
            return
        try:
            await self._reconciler.process_edit(event.message)
        except Exception:  # logged with the post's ids; the next edit or pass retries
            log.exception("live_edit_failed", channel_id=cid, message_id=event.message.id)

    async def _on_delete(self, event: Any) -> None:
        update = event.original_update
        if not isinstance(update, types.UpdateDeleteChannelMessages):
            return  # deletions outside channels carry no chat: never ours
        cid = int(update.channel_id)
        if not self._is_watched(cid):
            return
        ids = [int(m) for m in update.messages]
        count = await record_deletions(self._store, cid, ids, self._reconciler.authority_of)
        if count is not None:
            log.info("posts_deleted", channel_id=cid, message_ids=ids, known=count)
