"""The watch lifecycle on Telegram's side: resolve once, join, leave.

A watch names a channel as the user typed it. The first time it is taken up the
name is resolved (``contacts.resolveUsername``, or ``messages.checkChatInvite``
for an invite link), the channel joined, and its id and access hash stored.
From then on the stored id and access hash are used: the name is never resolved
again (a username can change hands; the id cannot).

Which watches may be joined and recorded is decided by a *gate*
(``async (watch) -> bool``); the authorization issue plugs its check in there.
The default lets every watch in a joinable state through.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import structlog
from telethon import TelegramClient
from telethon.errors import (
    AuthKeyError,
    ChannelInvalidError,
    ChannelPrivateError,
    ChannelsTooMuchError,
    FloodWaitError,
    InviteHashExpiredError,
    InviteHashInvalidError,
    RPCError,
    UnauthorizedError,
    UserAlreadyParticipantError,
    UsernameInvalidError,
    UsernameNotOccupiedError,
)
from telethon.tl import functions, types

from monitor.metrics import FLOOD_WAIT_SECONDS
from monitor.targets import Target, TargetError, parse_target
from storage.api import Store
from storage.errors import NotFound
from storage.models import ChannelRecord, WatchRecord

log = structlog.get_logger(__name__)

WatchGate = Callable[[WatchRecord], Awaitable[bool]]
#: Told when a watch became active with its channel id (the authorization gate
#: forgets its snapshot, so the channel's first posts are judged on fresh data).
OnActive = Callable[[WatchRecord], None]


class JoinReporter(Protocol):
    """Who hears what Telegram said about a join (:class:`access.accounts.AccountPool`):
    it moves the account's pending joins, hands the watch to another account,
    or marks a lost session and reassigns its watches."""

    async def flood_wait(self, account: str, seconds: int) -> datetime: ...
    async def too_many_channels(self, account: str, watch_id: int) -> str | None: ...
    async def lost(self, account: str, error: str) -> list[int]: ...

#: Watches in these states are to be joined (or stay joined) and recorded.
JOINABLE_STATES = frozenset({"approved", "joining", "waiting", "active"})
#: Watches in these states end: their channel is left (unless another watch
#: still covers it) and the watch becomes ``left``.
LEAVE_STATES = frozenset({"expired", "revoked"})


class UnknownChannelError(NotFound):
    """The name does not lead to a channel chanwatch can watch."""


async def allow_all(watch: WatchRecord) -> bool:
    """The default gate: every watch in a joinable state may be recorded."""
    return True


def channel_type(chat: Any) -> str:
    if getattr(chat, "gigagroup", False):
        return "gigagroup"
    if getattr(chat, "megagroup", False):
        return "megagroup"
    return "broadcast"


def channel_record(chat: Any) -> ChannelRecord:
    return ChannelRecord(
        id=int(chat.id),
        access_hash=getattr(chat, "access_hash", None),
        title=str(getattr(chat, "title", "") or ""),
        username=getattr(chat, "username", None),
        type=channel_type(chat),
    )


def _first_channel(chats: list[Any], what: str) -> Any:
    for chat in chats:
        if isinstance(chat, types.Channel):
            return chat
        if isinstance(chat, types.ChannelForbidden):
            raise UnknownChannelError(
                f"{what}: channel is private or we are banned (Telegram sent ChannelForbidden)"
            )
    raise UnknownChannelError(f"{what} is not a channel")


class WatchManager:
    """Keeps the account's channel memberships in line with the watch table."""

    def __init__(
        self,
        client: TelegramClient,
        store: Store,
        *,
        account: str,
        gate: WatchGate = allow_all,
        actor: str = "monitor",
        reporter: JoinReporter | None = None,
        on_active: OnActive | None = None,
    ) -> None:
        self._client = client
        self._on_active = on_active
        self._store = store
        self._account = account
        self._gate = gate
        self._actor = actor
        self._reporter = reporter
        self._watched: dict[int, Any] = {}  # channel id -> InputPeerChannel

    # -- what is watched -------------------------------------------------
    def is_watched(self, channel_id: int) -> bool:
        return channel_id in self._watched

    def watched(self) -> dict[int, Any]:
        """Channel id -> input peer, for every channel being recorded now."""
        return dict(self._watched)

    def set_gate(self, gate: WatchGate) -> None:
        self._gate = gate

    # -- resolution (once) -----------------------------------------------
    async def resolve(self, target: Target) -> Any:
        """Resolve a username to its :tl:`Channel`; raises UnknownChannelError."""
        try:
            res = await self._client(functions.contacts.ResolveUsernameRequest(target.value))
        except (UsernameNotOccupiedError, UsernameInvalidError) as exc:
            raise UnknownChannelError(f"no channel named @{target.value} on Telegram") from exc
        if not isinstance(res.peer, types.PeerChannel):
            raise UnknownChannelError(f"@{target.value} is a user or a bot, not a channel")
        return _first_channel(res.chats, f"@{target.value}")

    async def join_invite(self, target: Target) -> Any:
        """Join through an invite hash; returns the :tl:`Channel`."""
        try:
            info = await self._client(functions.messages.CheckChatInviteRequest(target.value))
        except (InviteHashExpiredError, InviteHashInvalidError) as exc:
            raise UnknownChannelError(f"invite link {target} is expired or invalid") from exc
        if (
            isinstance(info, types.ChatInviteAlready | types.ChatInvitePeek)
            and isinstance(info.chat, types.Channel)
            and not info.chat.left
        ):
            return info.chat
        try:
            updates = await self._client(functions.messages.ImportChatInviteRequest(target.value))
        except UserAlreadyParticipantError:
            info = await self._client(functions.messages.CheckChatInviteRequest(target.value))
            return _first_channel([getattr(info, "chat", None)], str(target))
        except (InviteHashExpiredError, InviteHashInvalidError) as exc:
            raise UnknownChannelError(f"invite link {target} is expired or invalid") from exc
        return _first_channel(list(getattr(updates, "chats", [])), str(target))

    async def join_channel(self, channel_id: int, access_hash: int) -> None:
        peer = types.InputChannel(channel_id, access_hash)
        try:
            await self._client(functions.channels.JoinChannelRequest(peer))
        except UserAlreadyParticipantError:
            return

    # -- the lifecycle ---------------------------------------------------
    async def take_up(self, watch: WatchRecord) -> WatchRecord:
        """Resolve (first time only) and join one watch; returns its new record.

        Errors become watch states: an unknown name or a private channel is
        ``failed`` with the reason; a FloodWait is ``waiting`` until it ends.
        """
        try:
            return await self._take_up(watch)
        except FloodWaitError as exc:
            until = datetime.now(UTC) + timedelta(seconds=int(exc.seconds))
            FLOOD_WAIT_SECONDS.labels("join").inc(int(exc.seconds))
            log.warning(
                "flood_wait", request="join", watch_id=watch.id, seconds=int(exc.seconds)
            )
            if self._reporter is not None:  # the pool moves all this account's joins
                await self._reporter.flood_wait(self._account, int(exc.seconds))
                return await self._store.get_watch(watch.id) or watch
            return await self._store.update_watch(
                watch.id, actor=self._actor, state="waiting", wait_until=until,
                reason=f"FloodWait {exc.seconds}s on join",
            )
        except (UnknownChannelError, TargetError) as exc:
            return await self._fail(watch, str(exc))
        except (ChannelPrivateError, ChannelInvalidError) as exc:
            return await self._fail(watch, f"channel is private or we are banned ({exc.message})")
        except ChannelsTooMuchError:
            if self._reporter is not None:  # the pool hands the watch to another account
                await self._reporter.too_many_channels(self._account, watch.id)
                return await self._store.get_watch(watch.id) or watch
            return await self._fail(watch, "this account is in too many channels")
        except (UnauthorizedError, AuthKeyError) as exc:  # banned, deactivated, logged out
            error = type(exc).__name__  # e.g. UserDeactivatedBanError: Telethon keeps no name
            log.error("account_lost", account=self._account, error=error)
            if self._reporter is not None:  # marked; its watches go to other accounts
                await self._reporter.lost(self._account, error)
                return await self._store.get_watch(watch.id) or watch
            return await self._fail(watch, f"the account's session is gone ({error})")
        except RPCError as exc:
            return await self._fail(watch, f"Telegram refused: {exc.message}")

    async def _take_up(self, watch: WatchRecord) -> WatchRecord:
        if watch.channel_id is None:
            target = parse_target(watch.target)
            await self._store.update_watch(watch.id, actor=self._actor, state="joining")
            if target.kind == "username":
                chat = await self.resolve(target)
                await self.join_channel(int(chat.id), int(chat.access_hash))
            else:
                chat = await self.join_invite(target)
            record = channel_record(chat)
            await self._store.upsert_channel(record)
            log.info("channel_joined", watch_id=watch.id, channel_id=record.id, title=record.title)
        else:
            record_or_none = await self._store.get_channel(watch.channel_id)
            if record_or_none is None or record_or_none.access_hash is None:
                raise UnknownChannelError(
                    f"channel {watch.channel_id} has no stored access hash; add the watch again"
                )
            record = record_or_none
            if watch.state != "active":
                try:
                    await self.join_channel(record.id, record.access_hash)  # type: ignore[arg-type]
                except ChannelInvalidError:
                    # Access hashes are per account: a watch handed over by another
                    # account finds its channel again with this one (same id only).
                    record = await self._find_again(watch, record)
                log.info("channel_joined", watch_id=watch.id, channel_id=record.id)
        assert record.access_hash is not None
        updated = await self._store.update_watch(
            watch.id, actor=self._actor, state="active", channel_id=record.id,
            account=self._account, reason=None,
        )
        if self._on_active is not None:  # before the channel's first post is offered
            self._on_active(updated)
        self._watched[record.id] = types.InputPeerChannel(record.id, record.access_hash)
        return updated

    async def _find_again(self, watch: WatchRecord, known: ChannelRecord) -> ChannelRecord:
        """Resolve the watch's name with this account and join; the channel must be
        the one resolved first (its id is pinned), else the watch fails."""
        target = parse_target(watch.target)
        chat = await (self.resolve(target) if target.kind == "username"
                      else self.join_invite(target))
        if int(chat.id) != known.id:
            raise UnknownChannelError(
                f"{watch.target} now names channel {chat.id}, not the watched {known.id}"
            )
        if target.kind == "username":
            await self.join_channel(int(chat.id), int(chat.access_hash))
        record = channel_record(chat)
        await self._store.upsert_channel(record)
        log.info("channel_found_again", watch_id=watch.id, channel_id=record.id,
                 account=self._account)
        return record

    async def _fail(self, watch: WatchRecord, reason: str) -> WatchRecord:
        log.error("watch_failed", watch_id=watch.id, target=watch.target, reason=reason)
        return await self._store.update_watch(
            watch.id, actor=self._actor, state="failed", reason=reason
        )

    async def leave(self, channel_id: int) -> None:
        """Stop recording ``channel_id`` at once, then leave it on Telegram."""
        peer = self._watched.pop(channel_id, None)
        if peer is None:
            record = await self._store.get_channel(channel_id)
            if record is None or record.access_hash is None:
                return
            peer = types.InputPeerChannel(record.id, record.access_hash)
        try:
            await self._client(
                functions.channels.LeaveChannelRequest(
                    types.InputChannel(peer.channel_id, peer.access_hash)
                )
            )
            log.info("channel_left", channel_id=channel_id)
        except (ChannelPrivateError, ChannelInvalidError, UserAlreadyParticipantError) as exc:
            log.info("channel_left", channel_id=channel_id, note=exc.message)

    async def mark_lost(self, channel_id: int, reason: str) -> None:
        """The channel became unreachable (banned, deleted): stop and fail its watches."""
        self._watched.pop(channel_id, None)
        for watch in await self._store.list_watches():
            if watch.channel_id == channel_id and watch.state in JOINABLE_STATES:
                await self._fail(watch, reason)

    async def sync(self) -> set[int]:
        """Bring memberships in line with the watch table; returns watched ids.

        Never raises for one bad watch: each problem is recorded on its watch.
        """
        now = datetime.now(UTC)
        wanted: set[int] = set()
        for watch in await self._store.list_watches():
            if watch.state not in JOINABLE_STATES:
                continue
            if not await self._gate(watch):
                continue
            if watch.state == "waiting" and watch.wait_until and watch.wait_until > now:
                continue
            if watch.state == "active" and watch.channel_id is not None:
                if watch.channel_id not in self._watched:
                    record = await self._store.get_channel(watch.channel_id)
                    if record is not None and record.access_hash is not None:
                        if self._on_active is not None:
                            self._on_active(watch)
                        self._watched[record.id] = types.InputPeerChannel(
                            record.id, record.access_hash
                        )
                wanted.add(watch.channel_id)
                continue
            updated = await self.take_up(watch)
            if updated.state == "active" and updated.channel_id is not None:
                wanted.add(updated.channel_id)
        left: set[int] = set()
        for channel_id in set(self._watched) - wanted:
            await self.leave(channel_id)
            left.add(channel_id)
        for watch in await self._store.list_watches(states=sorted(LEAVE_STATES)):
            if watch.channel_id is None or watch.channel_id in wanted:
                continue
            if watch.channel_id not in left:
                await self.leave(watch.channel_id)
                left.add(watch.channel_id)
            await self._store.update_watch(watch.id, actor=self._actor, state="left")
        return set(self._watched)
