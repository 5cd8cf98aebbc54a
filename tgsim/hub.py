"""The shared core of a running server: world, media, auth keys, live
connections, and the pushing of channel updates to connected members."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any, Protocol

from tgsim import render
from tgsim.crypto import ServerKey
from tgsim.faults import Faults
from tgsim.media import StoredFile
from tgsim.quirks import Quirks
from tgsim.rpc import Registry, updates_of
from tgsim.session import AuthKey
from tgsim.tlkit import mk, tl
from tgsim.world import Channel, ChannelEvent, Post, World

if TYPE_CHECKING:
    import structlog


class Pushable(Protocol):
    """A live client connection the hub can push updates to."""

    key: AuthKey | None
    no_updates: bool

    def push(self, updates: Any) -> None:
        """Queue an ``Updates`` object for the client."""


class Hub:
    """State shared by all connections of one server."""

    def __init__(
        self,
        world: World,
        faults: Faults,
        server_key: ServerKey,
        log: structlog.stdlib.BoundLogger,
    ) -> None:
        self.world = world
        self.server_key = server_key
        self.faults = faults
        self.faults.resolve = world.resolve_user
        self.log = log
        self.registry = Registry.default()
        self.keys: dict[int, AuthKey] = {}
        self.files: dict[tuple[str, int], StoredFile] = {}
        self.connections: set[Pushable] = set()
        self.host = "127.0.0.1"
        self.port = 0
        self._file_ids = itertools.count(5_000_000_000_001)
        self._group_ids = itertools.count(13_000_000_000_000_001)
        self.on_keys_changed: list[Any] = []

    @property
    def quirks(self) -> Quirks:
        """The server's quirks (the world's: ids are allocated there)."""
        return self.world.quirks

    def new_file_id(self) -> int:
        """A fresh photo/document id."""
        return next(self._file_ids)

    def new_group_id(self) -> int:
        """A fresh album (grouped_id)."""
        return next(self._group_ids)

    def add_file(self, f: StoredFile) -> None:
        """Register a stored file so upload.getFile can serve it."""
        self.files[(f.kind, f.id)] = f

    def keys_changed(self) -> None:
        """Tell listeners (persistence) that auth keys or their users changed."""
        for callback in self.on_keys_changed:
            callback()

    def _update_for(self, ch: Channel, event: ChannelEvent) -> tuple[Any, Post | None]:
        if event.kind == "delete":
            update = mk(
                tl.UpdateDeleteChannelMessages,
                channel_id=ch.id,
                messages=list(event.msg_ids),
                pts=event.pts,
                pts_count=event.pts_count,
            )
            return update, None
        post = ch.posts.get(event.msg_ids[0])
        if post is None:
            return None, None
        cls = tl.UpdateNewChannelMessage if event.kind == "new" else tl.UpdateEditChannelMessage
        update = mk(
            cls,
            message=render.message(self.world, ch, post),
            pts=event.pts,
            pts_count=event.pts_count,
        )
        return update, post

    def push_event(self, ch: Channel, event: ChannelEvent) -> None:
        """Send the update for a channel change to every connected member."""
        self.push_events(ch, [event])

    def push_events(self, ch: Channel, events: list[ChannelEvent]) -> None:
        """Send several changes of one channel in one ``Updates`` (as for an album)."""
        updates: list[Any] = []
        posts: list[Post] = []
        for event in events:
            update, post = self._update_for(ch, event)
            if update is not None:
                updates.append(update)
            if post is not None:
                posts.append(post)
        if not updates:
            return
        for conn in list(self.connections):
            key = conn.key
            if key is None or key.user_id is None or conn.no_updates:
                continue
            if key.user_id not in ch.members or key.user_id in ch.banned:
                continue
            chats = render.chats_for(self.world, posts, ch, key.user_id)
            conn.push(updates_of(updates, chats))
        self.log.debug("pushed", channel=ch.id, kinds=[e.kind for e in events],
                       pts=events[-1].pts)

    def push_channel_state(self, ch: Channel, user_id: int) -> None:
        """Tell a user's connections that its membership of a channel changed."""
        update = mk(tl.UpdateChannel, channel_id=ch.id)
        for conn in list(self.connections):
            key = conn.key
            if key is not None and key.user_id == user_id and not conn.no_updates:
                conn.push(updates_of([update], [render.channel(ch, user_id)]))
