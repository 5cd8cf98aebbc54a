"""Reading posts: messages.getHistory and channels.getMessages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tgsim import render
from tgsim.rpc import Ctx, Handler
from tgsim.tlkit import TLError, mk, tl
from tgsim.world import Channel, Post

MAX_LIMIT = 100


def _page(ch: Channel, req: Any) -> list[Post]:
    """Telegram's paging: newest first, before offset_id/offset_date, shifted by add_offset."""
    ids = sorted(ch.posts, reverse=True)
    start = 0
    offset_date = req.offset_date
    if req.offset_id:
        start = next((i for i, mid in enumerate(ids) if mid < req.offset_id), len(ids))
    elif isinstance(offset_date, dt.datetime) and offset_date.timestamp() > 0:
        start = next(
            (i for i, mid in enumerate(ids) if ch.posts[mid].date < offset_date), len(ids)
        )
    start += req.add_offset
    limit = min(max(req.limit, 0), MAX_LIMIT) or MAX_LIMIT
    end = start + limit
    start = max(start, 0)
    out = []
    for mid in ids[start:max(end, 0)]:
        if req.max_id and mid >= req.max_id:
            continue
        if req.min_id and mid <= req.min_id:
            continue
        out.append(ch.posts[mid])
    return out


async def get_history(ctx: Ctx, req: Any) -> Any:
    if type(req.peer).__name__ not in ("InputPeerChannel", "InputPeerChannelFromMessage"):
        # Only channels exist in the simulated world.
        raise TLError(400, "PEER_ID_INVALID")
    ch = ctx.channel(req.peer)
    posts = _page(ch, req)
    world = ctx.hub.world
    return mk(
        tl.messages.ChannelMessages,
        pts=ch.pts,
        count=len(ch.posts),
        messages=[render.message(world, ch, p) for p in posts],
        topics=[],
        chats=render.chats_for(world, posts, ch, ctx.user_id),
        users=[],
    )


def _wanted_id(ch: Channel, ref: Any) -> int:
    name = type(ref).__name__
    if name == "InputMessageID":
        return int(ref.id)
    if name == "InputMessagePinned":
        return 0
    raise TLError(400, "MESSAGE_IDS_EMPTY")


async def get_channel_messages(ctx: Ctx, req: Any) -> Any:
    """One entry per requested id in request order, ``messageEmpty`` for a missing
    one; with the quirk ``get_messages = "sorted_sparse"`` sorted by id, each id
    once, missing ids left out."""
    ch = ctx.channel(req.channel)
    world = ctx.hub.world
    wanted = [_wanted_id(ch, ref) for ref in req.id]
    sparse = world.quirks.get_messages == "sorted_sparse"
    if sparse:
        wanted = sorted({mid for mid in wanted if mid in ch.posts})
    messages: list[Any] = []
    posts: list[Post] = []
    for mid in wanted:
        post = ch.posts.get(mid)
        if post is None:
            messages.append(render.message_empty(ch, mid))
        else:
            posts.append(post)
            messages.append(render.message(world, ch, post))
    return mk(
        tl.messages.ChannelMessages,
        pts=ch.pts,
        count=len(messages),
        messages=messages,
        topics=[],
        chats=render.chats_for(world, posts, ch, ctx.user_id),
        users=[],
    )


async def get_messages(ctx: Ctx, req: Any) -> Any:
    # Private chats and basic groups do not exist in the simulated world: every
    # id is missing, so both quirk modes answer an empty list here.
    return mk(tl.messages.Messages, messages=[], chats=[], users=[], topics=[])


HANDLERS: dict[str, Handler] = {
    "messages.GetHistoryRequest": get_history,
    "channels.GetMessagesRequest": get_channel_messages,
    "messages.GetMessagesRequest": get_messages,
}
PUBLIC: set[str] = set()
