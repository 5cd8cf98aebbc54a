"""messages.getDialogs / getPeerDialogs: the channels a user has joined.

Each dialog carries the channel's pts, so Telethon's ``get_dialogs`` also seeds
its update state for those channels (as it does against Telegram).
"""

from __future__ import annotations

from typing import Any

from tgsim import render
from tgsim.rpc import Ctx, Handler
from tgsim.tlkit import mk, tl
from tgsim.world import Channel


def _dialog(ch: Channel) -> Any:
    top = max(ch.posts, default=0)
    return mk(
        tl.Dialog,
        peer=render.peer(ch),
        top_message=top,
        read_inbox_max_id=top,
        read_outbox_max_id=0,
        unread_count=0,
        unread_mentions_count=0,
        unread_reactions_count=0,
        notify_settings=mk(tl.PeerNotifySettings),
        pts=ch.pts,
    )


def _last_date(ch: Channel) -> tuple[float, int]:
    date = ch.posts[max(ch.posts)].date if ch.posts else ch.date
    return date.timestamp(), ch.last_activity


def _dialogs_result(ctx: Ctx, channels: list[Channel], cls: Any) -> Any:
    world = ctx.hub.world
    channels.sort(key=_last_date, reverse=True)
    messages = [render.message(world, ch, ch.posts[max(ch.posts)]) for ch in channels if ch.posts]
    chats = [render.channel(ch, ctx.user_id) for ch in channels]
    extra: dict[str, Any] = {}
    if cls is tl.messages.PeerDialogs:
        extra["state"] = mk(
            tl.updates.State, pts=world.account_pts, qts=0, date=None, seq=0, unread_count=0
        )
    return mk(
        cls,
        dialogs=[_dialog(ch) for ch in channels],
        messages=messages,
        chats=chats,
        users=[],
        **extra,
    )


async def get_dialogs(ctx: Ctx, req: Any) -> Any:
    uid = ctx.user_id
    if getattr(req, "folder_id", None) == 1:  # the archive is always empty
        channels: list[Channel] = []
    else:
        channels = [
            ch for ch in ctx.hub.world.channels.values()
            if uid in ch.members and uid not in ch.banned
        ]
    return _dialogs_result(ctx, channels, tl.messages.Dialogs)


async def get_peer_dialogs(ctx: Ctx, req: Any) -> Any:
    channels = []
    for ref in req.peers:
        peer = getattr(ref, "peer", ref)
        ch = ctx.channel(peer)
        if ctx.user_id in ch.members:
            channels.append(ch)
    return _dialogs_result(ctx, channels, tl.messages.PeerDialogs)


HANDLERS: dict[str, Handler] = {
    "messages.GetDialogsRequest": get_dialogs,
    "messages.GetPeerDialogsRequest": get_peer_dialogs,
}
PUBLIC: set[str] = set()
