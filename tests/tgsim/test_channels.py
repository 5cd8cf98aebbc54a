"""Resolving, joining (by username and invite link) and leaving channels
(tgsim/methods/channels.py), with plain Telethon."""

from __future__ import annotations

import pytest
from telethon import TelegramClient, errors
from telethon.tl import functions, types
from tgsim_support import ClientFactory

from tgsim import Server


async def test_resolve_username_and_join(sim: Server, new_client: ClientFactory) -> None:
    """get_entity resolves a public channel; JoinChannelRequest makes the user a member."""
    ch = await sim.create_channel("News", username="news_room", about="daily")
    client = await new_client(1)
    entity = await client.get_entity("news_room")
    assert isinstance(entity, types.Channel)
    assert entity.id == ch.id and entity.broadcast and entity.left
    await client(functions.channels.JoinChannelRequest(entity))
    me = await client.get_me()
    assert sim.is_member(ch, me.id)
    assert sim.events[-1] == ("join", ch.id, me.id)
    full = await client(functions.channels.GetFullChannelRequest(entity))
    assert full.full_chat.about == "daily"
    assert full.full_chat.participants_count == 1


async def test_unknown_username(sim: Server, new_client: ClientFactory) -> None:
    """An unknown username gives Telethon's 'no user has X as username' ValueError."""
    client = await new_client(1)
    with pytest.raises((ValueError, errors.UsernameNotOccupiedError)):
        await client.get_entity("nobody_here")


async def test_join_by_invite_link(sim: Server, new_client: ClientFactory) -> None:
    """checkChatInvite previews a private channel; importChatInvite joins it."""
    ch = await sim.create_channel("Hidden", private=True)
    assert ch.username is None and ch.invite_link.startswith("https://t.me/+")
    client = await new_client(2)
    invite = await client(functions.messages.CheckChatInviteRequest(ch.invite_hash))
    assert isinstance(invite, types.ChatInvite) and invite.title == "Hidden"
    updates = await client(functions.messages.ImportChatInviteRequest(ch.invite_hash))
    assert updates.chats[0].id == ch.id
    assert sim.is_member(ch, (await client.get_me()).id)
    again = await client(functions.messages.CheckChatInviteRequest(ch.invite_hash))
    assert isinstance(again, types.ChatInviteAlready)
    with pytest.raises(errors.UserAlreadyParticipantError):
        await client(functions.messages.ImportChatInviteRequest(ch.invite_hash))


async def test_invalid_invite_hash(sim: Server, new_client: ClientFactory) -> None:
    """An unknown invite hash raises InviteHashInvalidError."""
    client = await new_client(1)
    with pytest.raises(errors.InviteHashInvalidError):
        await client(functions.messages.CheckChatInviteRequest("doesnotexist"))


async def test_private_channel_unreadable_until_joined(
    sim: Server, new_client: ClientFactory
) -> None:
    """A non-member reading a private channel's history gets ChannelPrivateError."""
    ch = await sim.create_channel("Closed", private=True)
    await sim.post(ch, text="secret")
    member = await new_client(1)
    await member(functions.messages.ImportChatInviteRequest(ch.invite_hash))
    entity = await member.get_entity(types.PeerChannel(ch.id))
    outsider = await new_client(2)
    peer = types.InputPeerChannel(ch.id, entity.access_hash)
    with pytest.raises(errors.ChannelPrivateError):
        await outsider.get_messages(peer, limit=5)
    assert [m.text for m in await member.get_messages(entity, limit=5)] == ["secret"]


async def test_leave_channel(sim: Server, new_client: ClientFactory) -> None:
    """LeaveChannelRequest removes the membership and records a leave event."""
    ch = await sim.create_channel("Bye", username="bye_channel")
    client: TelegramClient = await new_client(1)
    entity = await client.get_entity("bye_channel")
    await client(functions.channels.JoinChannelRequest(entity))
    await client(functions.channels.LeaveChannelRequest(entity))
    me = await client.get_me()
    assert not sim.is_member(ch, me.id)
    assert sim.events[-2:] == [("join", ch.id, me.id), ("leave", ch.id, me.id)]
    with pytest.raises(errors.UserNotParticipantError):
        await client(functions.channels.LeaveChannelRequest(entity))


async def test_banned_user_gets_channel_private(sim: Server, new_client: ClientFactory) -> None:
    """After Server.ban the user gets ChannelPrivateError, as if banned on Telegram."""
    ch = await sim.create_channel("Strict", username="strict_ch")
    client = await new_client(1)
    entity = await client.get_entity("strict_ch")
    await client(functions.channels.JoinChannelRequest(entity))
    await sim.ban(ch, (await client.get_me()).id)
    with pytest.raises(errors.ChannelPrivateError):
        await client.get_messages(entity, limit=1)
    with pytest.raises(errors.ChannelPrivateError):
        await client(functions.channels.JoinChannelRequest(entity))


async def test_get_channels_by_id(sim: Server, new_client: ClientFactory) -> None:
    """channels.getChannels returns the channel for a cached access hash."""
    ch = await sim.create_channel("Cached", username="cached_ch")
    client = await new_client(1)
    await client.get_entity("cached_ch")
    result = await client(
        functions.channels.GetChannelsRequest([types.InputChannel(ch.id, ch.access_hash)])
    )
    assert [c.title for c in result.chats] == ["Cached"]
    with pytest.raises(errors.ChannelInvalidError):
        await client(functions.channels.GetChannelsRequest([types.InputChannel(ch.id, 1)]))
