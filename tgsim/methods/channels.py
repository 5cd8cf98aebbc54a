"""Finding, joining and leaving channels: contacts.resolveUsername,
channels.getChannels / getFullChannel / joinChannel / leaveChannel /
readHistory, messages.checkChatInvite / importChatInvite."""

from __future__ import annotations

from typing import Any

from tgsim import render
from tgsim.rpc import Ctx, Handler, updates_of
from tgsim.tlkit import TLError, mk, tl
from tgsim.world import Channel


async def resolve_username(ctx: Ctx, req: Any) -> Any:
    name = req.username.lstrip("@").lower()
    world = ctx.hub.world
    cid = world.by_username.get(name)
    if cid is not None:
        ch = world.channels[cid]
        return mk(
            tl.contacts.ResolvedPeer,
            peer=render.peer(ch),
            chats=[render.channel(ch, ctx.user_id)],
            users=[],
        )
    for acc in world.accounts.values():
        if acc.username and acc.username.lower() == name:
            return mk(
                tl.contacts.ResolvedPeer,
                peer=mk(tl.PeerUser, user_id=acc.user_id),
                chats=[],
                users=[render.user(acc, ctx.user_id)],
            )
    raise TLError(400, "USERNAME_NOT_OCCUPIED")


async def get_channels(ctx: Ctx, req: Any) -> Any:
    chats = []
    for ref in req.id:
        ch = ctx.channel(ref, readable=False)
        chats.append(render.channel(ch, ctx.user_id))
    return mk(tl.messages.Chats, chats=chats)


async def get_full_channel(ctx: Ctx, req: Any) -> Any:
    ch = ctx.channel(req.channel)
    member = ctx.user_id in ch.members
    full = mk(
        tl.ChannelFull,
        id=ch.id,
        about=ch.about,
        read_inbox_max_id=ch.top_msg_id if member else 0,
        read_outbox_max_id=0,
        unread_count=0,
        chat_photo=mk(tl.PhotoEmpty, id=0),
        notify_settings=mk(tl.PeerNotifySettings),
        bot_info=[],
        pts=ch.pts,
        participants_count=len(ch.members),
        exported_invite=None,
        available_reactions=mk(tl.ChatReactionsNone),
    )
    return mk(
        tl.messages.ChatFull,
        full_chat=full,
        chats=[render.channel(ch, ctx.user_id)],
        users=[],
    )


def _join(ctx: Ctx, ch: Channel) -> Any:
    if ctx.user_id in ch.banned:
        raise TLError(400, "CHANNEL_PRIVATE")
    if ctx.hub.world.join(ch, ctx.user_id):
        ctx.hub.log.info("joined", channel=ch.id, user_id=ctx.user_id)
    return updates_of([mk(tl.UpdateChannel, channel_id=ch.id)], [render.channel(ch, ctx.user_id)])


async def join_channel(ctx: Ctx, req: Any) -> Any:
    ch = ctx.channel(req.channel)
    if ctx.user_id in ch.members:
        # Telegram answers an empty Updates when the user already is a member.
        return updates_of([], [render.channel(ch, ctx.user_id)])
    return _join(ctx, ch)


async def leave_channel(ctx: Ctx, req: Any) -> Any:
    ch = ctx.channel(req.channel, readable=False)
    if not ctx.hub.world.leave(ch, ctx.user_id):
        raise TLError(400, "USER_NOT_PARTICIPANT")
    ctx.hub.log.info("left", channel=ch.id, user_id=ctx.user_id)
    return updates_of([mk(tl.UpdateChannel, channel_id=ch.id)], [render.channel(ch, ctx.user_id)])


def _by_invite(ctx: Ctx, invite: str) -> Channel:
    cid = ctx.hub.world.by_invite.get(invite)
    if cid is None:
        raise TLError(400, "INVITE_HASH_INVALID")
    return ctx.hub.world.channels[cid]


async def check_chat_invite(ctx: Ctx, req: Any) -> Any:
    ch = _by_invite(ctx, req.hash)
    if ctx.user_id in ch.banned:
        raise TLError(400, "CHANNEL_PRIVATE")
    if ctx.user_id in ch.members:
        return mk(tl.ChatInviteAlready, chat=render.channel(ch, ctx.user_id))
    return mk(
        tl.ChatInvite,
        title=ch.title,
        photo=mk(tl.PhotoEmpty, id=0),
        participants_count=len(ch.members),
        channel=True,
        broadcast=True,
        public=not ch.private,
        about=ch.about or None,
        color=0,
    )


async def import_chat_invite(ctx: Ctx, req: Any) -> Any:
    ch = _by_invite(ctx, req.hash)
    if ctx.user_id in ch.members:
        raise TLError(400, "USER_ALREADY_PARTICIPANT")
    return _join(ctx, ch)


async def read_history(ctx: Ctx, req: Any) -> Any:
    ctx.channel(req.channel)
    return True


async def get_participant(ctx: Ctx, req: Any) -> Any:
    ch = ctx.channel(req.channel)
    ref = req.participant
    if type(ref).__name__ != "InputPeerSelf" or ctx.user_id not in ch.members:
        raise TLError(400, "USER_NOT_PARTICIPANT")
    part = mk(tl.ChannelParticipantSelf, user_id=ctx.user_id, inviter_id=ctx.user_id, date=ch.date)
    acc = ctx.hub.world.accounts[ctx.user_id]
    return mk(
        tl.channels.ChannelParticipant,
        participant=part,
        chats=[render.channel(ch, ctx.user_id)],
        users=[render.user(acc, ctx.user_id)],
    )


HANDLERS: dict[str, Handler] = {
    "contacts.ResolveUsernameRequest": resolve_username,
    "channels.GetChannelsRequest": get_channels,
    "channels.GetFullChannelRequest": get_full_channel,
    "channels.JoinChannelRequest": join_channel,
    "channels.LeaveChannelRequest": leave_channel,
    "channels.ReadHistoryRequest": read_history,
    "channels.GetParticipantRequest": get_participant,
    "messages.CheckChatInviteRequest": check_chat_invite,
    "messages.ImportChatInviteRequest": import_chat_invite,
}
PUBLIC: set[str] = set()
