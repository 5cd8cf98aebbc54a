"""The in-process API of tgsim: start a server, build a scenario, inject faults.

>>> sim = await Server.start(state_dir)
>>> ch = await sim.create_channel("News", username="news")
>>> await sim.post(ch, text="hello")
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from pathlib import Path
from typing import Any

import structlog

from tgsim.connection import Connection
from tgsim.content import ContentMaker, EntitySpec
from tgsim.crypto import ServerKey
from tgsim.faults import Faults
from tgsim.hub import Hub
from tgsim.persist import accounts_doc, load_accounts, load_secret, save_accounts
from tgsim.quirks import Quirks
from tgsim.world import Channel, ChannelEvent, Post, World, utcnow

log = structlog.get_logger(__name__)

ChannelRef = Any  # a ChannelHandle, a channel id or a username


class ChannelHandle:
    """What :meth:`Server.create_channel` returns; pass it back to post/edit/delete."""

    def __init__(self, ch: Channel) -> None:
        self._ch = ch

    @property
    def id(self) -> int:
        """The channel id (Telethon's peer id is ``-100`` followed by it)."""
        return self._ch.id

    @property
    def access_hash(self) -> int:
        """The channel's access hash."""
        return self._ch.access_hash

    @property
    def title(self) -> str:
        """The title."""
        return self._ch.title

    @property
    def username(self) -> str | None:
        """The public username (None for private channels)."""
        return self._ch.username

    @property
    def private(self) -> bool:
        """Whether the channel is private (reachable by invite link only)."""
        return self._ch.private

    @property
    def invite_hash(self) -> str:
        """The invite hash: the link is ``https://t.me/+HASH``."""
        return self._ch.invite_hash

    @property
    def invite_link(self) -> str:
        """``https://t.me/+HASH``."""
        return self._ch.invite_link

    @property
    def pts(self) -> int:
        """The channel's current pts."""
        return self._ch.pts

    def __repr__(self) -> str:
        return f"ChannelHandle(id={self.id}, username={self.username!r}, title={self.title!r})"


class Server:
    """A running tgsim server. Create it with :meth:`start`."""

    def __init__(self, state_dir: Path, hub: Hub, dc_id: int) -> None:
        self.state_dir = state_dir
        self.hub = hub
        self.dc_id = dc_id
        self.faults: Faults = hub.faults
        self.host = "127.0.0.1"
        self.port = 0
        self._server: asyncio.Server | None = None
        self._content = ContentMaker(hub)
        self._save_wanted = asyncio.Event()
        self._saver: asyncio.Task[None] | None = None
        self._conn_tasks: set[asyncio.Task[None]] = set()

    @classmethod
    async def start(
        cls,
        state_dir: Path | str,
        host: str = "127.0.0.1",
        port: int = 0,
        dc_id: int = 2,
        quirks: Quirks | None = None,
    ) -> Server:
        """Start listening; returns once the socket accepts connections.

        ``quirks``: behaviours of other server implementations (default: none,
        the server answers as Telegram does); see :mod:`tgsim.quirks`.
        """
        if not 1 <= dc_id <= 9:
            raise ValueError(f"dc_id must be a single digit 1..9, got {dc_id}")
        state = Path(state_dir)
        await asyncio.to_thread(state.mkdir, mode=0o700, parents=True, exist_ok=True)
        server_key = await asyncio.to_thread(ServerKey.load_or_create, state)
        secret = await asyncio.to_thread(load_secret, state)
        world = World(dc_id, secret, quirks if quirks is not None else Quirks())
        keys = await asyncio.to_thread(load_accounts, state, world)
        hub = Hub(world, Faults(), server_key, log.bind(dc=dc_id))
        hub.keys.update(keys)
        sim = cls(state, hub, dc_id)
        hub.on_keys_changed.append(sim._save_wanted.set)
        sim._server = await asyncio.start_server(sim._accept, host, port)
        sockname = sim._server.sockets[0].getsockname()
        sim.host, sim.port = str(sockname[0]), int(sockname[1])
        hub.host, hub.port = sim.host, sim.port
        sim._saver = asyncio.create_task(sim._save_loop())
        log.info("tgsim listening", host=sim.host, port=sim.port, dc_id=dc_id,
                 quirks=world.quirks.active)
        return sim

    @property
    def quirks(self) -> Quirks:
        """The server's quirks; change them per test (from the next request on)."""
        return self.hub.quirks

    @property
    def public_key_pem(self) -> str:
        """The server's RSA public key, PKCS#1 PEM, for ``telethon.crypto.rsa.add_key``."""
        return self.hub.server_key.public_pem

    @property
    def events(self) -> list[tuple[str, int, int]]:
        """Joins and leaves as ``("join" | "leave", channel_id, user_id)``, in order."""
        return self.hub.world.events

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._conn_tasks.add(task)
        try:
            await Connection(self.hub, reader, writer).run()
        finally:
            if task is not None:
                self._conn_tasks.discard(task)

    async def _save_loop(self) -> None:
        while True:
            await self._save_wanted.wait()
            self._save_wanted.clear()
            data = accounts_doc(self.hub.world, self.hub.keys)
            await asyncio.to_thread(save_accounts, self.state_dir, data)

    async def stop(self) -> None:
        """Close every connection and stop listening."""
        if self._server is not None:
            self._server.close()
        for conn in list(self.hub.connections):
            if isinstance(conn, Connection):
                conn.close()
        for task in list(self._conn_tasks):
            task.cancel()
        if self._conn_tasks:
            await asyncio.gather(*self._conn_tasks, return_exceptions=True)
        if self._server is not None:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._server.wait_closed(), 2)
        if self._saver is not None:
            self._saver.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._saver
        data = accounts_doc(self.hub.world, self.hub.keys)
        await asyncio.to_thread(save_accounts, self.state_dir, data)
        log.info("tgsim stopped", port=self.port)

    # scenario API

    def _channel(self, ref: ChannelRef) -> Channel:
        world = self.hub.world
        if isinstance(ref, ChannelHandle):
            return world.channels[ref.id]
        if isinstance(ref, int) and ref in world.channels:
            return world.channels[ref]
        if isinstance(ref, str) and ref.lstrip("@").lower() in world.by_username:
            return world.channels[world.by_username[ref.lstrip("@").lower()]]
        raise KeyError(f"no such channel: {ref!r}")

    def channel(self, ref: ChannelRef) -> ChannelHandle:
        """A handle for a channel given by handle, id or username."""
        return ChannelHandle(self._channel(ref))

    async def create_channel(
        self,
        title: str,
        username: str | None = None,
        private: bool = False,
        about: str = "",
        invite_hash: str | None = None,
    ) -> ChannelHandle:
        """Create a broadcast channel: public (with a username) or private (invite link).

        ``invite_hash`` fixes the invite hash (default: random).
        """
        ch = self.hub.world.create_channel(title, username, private, about, invite_hash)
        log.info("channel created", channel=ch.id, username=username, private=private)
        return ChannelHandle(ch)

    async def post(
        self,
        ch: ChannelRef,
        text: str = "",
        entities: list[EntitySpec] | None = None,
        photo: bytes | None = None,
        video: bytes | None = None,
        animation: bytes | None = None,
        document: tuple[bytes, str, str] | None = None,
        forward_from: tuple[ChannelRef, int] | None = None,
        date: dt.datetime | None = None,
        author: str | None = None,
        *,
        width: int = 0,
        height: int = 0,
        duration: float = 0.0,
    ) -> int:
        """Publish a post; returns its message id. At most one kind of media."""
        channel = self._channel(ch)
        media_given = [m for m in (photo, video, animation, document) if m is not None]
        if len(media_given) > 1:
            raise ValueError("a post carries at most one of photo, video, animation, document")
        post_date = date or utcnow()
        fwd = None
        stored = None
        ents = self._content.entities(entities or [], text)
        if forward_from is not None:
            src = self._channel(forward_from[0])
            src_post = src.posts.get(forward_from[1])
            if src_post is None:
                raise KeyError(f"channel {src.id} has no message {forward_from[1]}")
            fwd = (src.id, src_post.id, src_post.date, src_post.author)
            text, ents, stored = src_post.text, list(src_post.entities), src_post.media
        elif media_given:
            stored = await self._content.media(
                photo=photo,
                video=video,
                animation=animation,
                document=document,
                date=post_date,
                width=width,
                height=height,
                duration=duration,
            )
        world = self.hub.world
        post = Post(
            id=world.next_id(channel),
            date=post_date,
            text=text,
            entities=ents,
            media=stored,
            fwd_from=fwd,
            author=author,
        )
        event = world.add_post(channel, post)
        self.hub.push_event(channel, event)
        return post.id

    async def post_album(
        self, ch: ChannelRef, photos: list[bytes], text: str = "", date: dt.datetime | None = None
    ) -> list[int]:
        """Publish photos as one album (shared grouped_id, caption on the first)."""
        if not 2 <= len(photos) <= 10:
            raise ValueError("an album has 2 to 10 items")
        channel = self._channel(ch)
        post_date = date or utcnow()
        media = [
            await self._content.media(
                photo=data, video=None, animation=None, document=None, date=post_date
            )
            for data in photos
        ]  # all pictures are checked before anything is posted
        group = self.hub.new_group_id()
        world = self.hub.world
        ids: list[int] = []
        events: list[ChannelEvent] = []
        for i, stored in enumerate(media):
            post = Post(
                id=world.next_id(channel),
                date=post_date,
                text=text if i == 0 else "",
                media=stored,
                grouped_id=group,
            )
            events.append(world.add_post(channel, post))
            ids.append(post.id)
        # One Updates with every item, as Telegram sends an album.
        self.hub.push_events(channel, events)
        return ids

    async def edit(
        self, ch: ChannelRef, msg_id: int, text: str, entities: list[EntitySpec] | None = None
    ) -> None:
        """Edit a post's text (pushes UpdateEditChannelMessage)."""
        channel = self._channel(ch)
        ents = self._content.entities(entities or [], text)
        event = self.hub.world.edit_post(channel, msg_id, text, ents)
        self.hub.push_event(channel, event)

    async def delete(self, ch: ChannelRef, ids: list[int]) -> None:
        """Delete posts (pushes UpdateDeleteChannelMessages)."""
        channel = self._channel(ch)
        event = self.hub.world.delete_posts(channel, list(ids))
        if event is not None:
            self.hub.push_event(channel, event)

    def is_member(self, ch: ChannelRef, who: int | str) -> bool:
        """Whether a user (id or phone) is a member of the channel."""
        uid = self.hub.world.resolve_user(who)
        return uid is not None and uid in self._channel(ch).members

    def user_id(self, phone: str) -> int | None:
        """The user id registered for a phone number."""
        return self.hub.world.resolve_user(phone)

    async def ban(self, ch: ChannelRef, who: int | str) -> None:
        """Ban a user from a channel: it is removed and gets CHANNEL_PRIVATE from now on."""
        channel = self._channel(ch)
        uid = self.hub.world.resolve_user(who)
        if uid is None:
            raise KeyError(f"no such user: {who!r}")
        self.hub.world.leave(channel, uid)
        channel.banned.add(uid)
        self.hub.push_channel_state(channel, uid)

    def drop_connections(self, who: int | str | None = None) -> int:
        """Close the TCP connections of one user (id or phone), or all; returns how many.

        Clients reconnect by themselves; updates pushed meanwhile are recovered
        through the pts gap the next update reveals (getChannelDifference).
        """
        uid = None if who is None else self.hub.world.resolve_user(who)
        if who is not None and uid is None:
            raise KeyError(f"no such user: {who!r}")
        dropped = 0
        for conn in list(self.hub.connections):
            key = conn.key
            if isinstance(conn, Connection) and (uid is None or (key and key.user_id == uid)):
                conn.close()
                dropped += 1
        return dropped

    def expire_file_references(self, ch: ChannelRef, msg_id: int) -> None:
        """Invalidate the file reference of a post's media (refreshed on re-fetch)."""
        post = self._channel(ch).posts.get(msg_id)
        if post is not None and post.media is not None:
            post.media.expire_reference()
