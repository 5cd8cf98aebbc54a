"""updates.getState / getDifference / getChannelDifference.

The simulated world has no private chats, so the account's common pts never
moves. getDifference answers ``updateChannelTooLong`` for every channel the user
is a member of, which makes the client ask each channel's difference from the
pts it remembers; getChannelDifference replays the channel's event log.
"""

from __future__ import annotations

from typing import Any

from tgsim import render
from tgsim.rpc import Ctx, Handler
from tgsim.tlkit import TLError, mk, tl
from tgsim.world import Post, utcnow

DIFF_TIMEOUT = 30


def _state(ctx: Ctx) -> Any:
    return mk(
        tl.updates.State,
        pts=ctx.hub.world.account_pts,
        qts=0,
        date=utcnow(),
        seq=0,
        unread_count=0,
    )


async def get_state(ctx: Ctx, req: Any) -> Any:
    return _state(ctx)


async def get_difference(ctx: Ctx, req: Any) -> Any:
    uid = ctx.user_id
    channels = [
        ch
        for ch in ctx.hub.world.channels.values()
        if uid in ch.members and uid not in ch.banned
    ]
    if not channels:
        return mk(tl.updates.DifferenceEmpty, date=utcnow(), seq=0)
    return mk(
        tl.updates.Difference,
        new_messages=[],
        new_encrypted_messages=[],
        other_updates=[
            mk(tl.UpdateChannelTooLong, channel_id=ch.id, pts=ch.pts) for ch in channels
        ],
        chats=[render.channel(ch, uid) for ch in channels],
        users=[],
        state=_state(ctx),
    )


async def get_channel_difference(ctx: Ctx, req: Any) -> Any:
    ch = ctx.channel(req.channel)
    if req.pts <= 0:
        raise TLError(400, "PERSISTENT_TIMESTAMP_EMPTY")
    if req.pts > ch.pts:
        raise TLError(400, "PERSISTENT_TIMESTAMP_INVALID")
    events = ch.events_after(req.pts)
    if not events:
        return mk(tl.updates.ChannelDifferenceEmpty, pts=ch.pts, final=True, timeout=DIFF_TIMEOUT)
    limit = max(1, min(req.limit or 100, 100_000))
    world = ctx.hub.world
    new_ids: list[int] = []
    other: list[Any] = []
    pts = req.pts
    for event in events:
        if len(new_ids) >= limit:
            break
        pts = event.pts
        if event.kind == "new":
            new_ids.extend(event.msg_ids)
        elif event.kind == "edit":
            mid = event.msg_ids[0]
            if mid in ch.posts and mid not in new_ids:
                other.append(
                    mk(
                        tl.UpdateEditChannelMessage,
                        message=render.message(world, ch, ch.posts[mid]),
                        pts=event.pts,
                        pts_count=event.pts_count,
                    )
                )
        else:
            other.append(
                mk(
                    tl.UpdateDeleteChannelMessages,
                    channel_id=ch.id,
                    messages=list(event.msg_ids),
                    pts=event.pts,
                    pts_count=event.pts_count,
                )
            )
    posts: list[Post] = [ch.posts[m] for m in new_ids if m in ch.posts]
    return mk(
        tl.updates.ChannelDifference,
        pts=pts,
        new_messages=[render.message(world, ch, p) for p in posts],
        other_updates=other,
        chats=render.chats_for(world, posts, ch, ctx.user_id),
        users=[],
        final=pts == ch.pts,
        timeout=DIFF_TIMEOUT,
    )


HANDLERS: dict[str, Handler] = {
    "updates.GetStateRequest": get_state,
    "updates.GetDifferenceRequest": get_difference,
    "updates.GetChannelDifferenceRequest": get_channel_difference,
}
PUBLIC: set[str] = set()
