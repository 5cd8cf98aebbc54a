"""Live channel updates and catching up after being offline
(tgsim/methods/updates.py and the pushes of tgsim/hub.py)."""

from __future__ import annotations

from pathlib import Path

from telethon import TelegramClient, events
from telethon.tl import functions
from tgsim_support import ClientFactory, login, make_client, sim_phone, wait_for

from tgsim import Server


async def _joined(client: TelegramClient, username: str) -> object:
    entity = await client.get_entity(username)
    await client(functions.channels.JoinChannelRequest(entity))
    return entity


async def test_live_new_edit_delete_events(sim: Server, new_client: ClientFactory) -> None:
    """Posts made after the join raise NewMessage, MessageEdited and MessageDeleted."""
    ch = await sim.create_channel("Live", username="live_ch")
    await sim.post(ch, text="before the join")
    client = await new_client(1)
    new: list[str] = []
    edited: list[str] = []
    deleted: list[int] = []

    async def on_new(event: events.NewMessage.Event) -> None:
        new.append(event.raw_text)

    async def on_edit(event: events.MessageEdited.Event) -> None:
        edited.append(event.raw_text)

    async def on_delete(event: events.MessageDeleted.Event) -> None:
        assert event.chat_id == -1000000000000 - ch.id
        deleted.extend(event.deleted_ids)

    client.add_event_handler(on_new, events.NewMessage(chats=[-1000000000000 - ch.id]))
    client.add_event_handler(on_edit, events.MessageEdited())
    client.add_event_handler(on_delete, events.MessageDeleted())
    await _joined(client, "live_ch")
    first = await sim.post(ch, text="one")
    second = await sim.post(ch, text="two")
    await wait_for(lambda: new == ["one", "two"])
    await sim.edit(ch, first, text="one (edited)")
    await wait_for(lambda: edited == ["one (edited)"])
    await sim.delete(ch, [first, second])
    await wait_for(lambda: sorted(deleted) == [first, second])
    assert ch.pts == 1 + 3 + 1 + 2  # three posts, one edit, two deletions


async def test_non_members_get_no_pushes(sim: Server, new_client: ClientFactory) -> None:
    """Only members of a channel receive its updates."""
    ch = await sim.create_channel("Quiet", username="quiet_ch")
    member = await new_client(1)
    outsider = await new_client(2)
    seen_member: list[str] = []
    seen_outsider: list[str] = []

    async def on_member(event: events.NewMessage.Event) -> None:
        seen_member.append(event.raw_text)

    async def on_outsider(event: events.NewMessage.Event) -> None:
        seen_outsider.append(event.raw_text)

    member.add_event_handler(on_member, events.NewMessage())
    outsider.add_event_handler(on_outsider, events.NewMessage())
    await _joined(member, "quiet_ch")
    await outsider.get_entity("quiet_ch")
    await sim.post(ch, text="hello")
    await sim.post(ch, text="marker")
    await wait_for(lambda: seen_member == ["hello", "marker"])
    # the outsider is connected through the same server; it got nothing
    assert seen_outsider == []


async def test_offline_client_catches_up(sim: Server, tmp_path: Path) -> None:
    """50 posts made while the client was offline arrive after it reconnects (catch_up)."""
    ch = await sim.create_channel("Busy", username="busy_ch")
    session = tmp_path / "offline.session"
    phone = sim_phone(sim.dc_id, 3)
    client = make_client(sim, session)
    await login(client, phone)
    got: list[str] = []

    async def on_new(event: events.NewMessage.Event) -> None:
        got.append(event.raw_text)

    client.add_event_handler(on_new, events.NewMessage())
    await _joined(client, "busy_ch")
    await sim.post(ch, text="seen live")
    await wait_for(lambda: got == ["seen live"])
    await client.disconnect()

    for i in range(50):
        await sim.post(ch, text=f"missed {i}")

    later = make_client(sim, session, catch_up=True)
    caught: list[str] = []

    async def on_caught(event: events.NewMessage.Event) -> None:
        caught.append(event.raw_text)

    later.add_event_handler(on_caught, events.NewMessage())
    try:
        await later.connect()
        await wait_for(lambda: len(caught) == 50, timeout=20)
        assert caught == [f"missed {i}" for i in range(50)]
        await sim.post(ch, text="live again")
        await wait_for(lambda: caught[-1:] == ["live again"])
    finally:
        await later.disconnect()


async def test_get_channel_difference_in_slices(sim: Server, new_client: ClientFactory) -> None:
    """getChannelDifference honours its limit and returns the rest when asked again."""
    ch = await sim.create_channel("Slices", username="slices_ch")
    client = await new_client(1)
    entity = await _joined(client, "slices_ch")
    start = ch.pts
    for i in range(7):
        await sim.post(ch, text=str(i))
    await sim.edit(ch, 1, text="0 edited")
    await sim.delete(ch, [2])
    from telethon.tl import types

    first = await client(
        functions.updates.GetChannelDifferenceRequest(
            entity, types.ChannelMessagesFilterEmpty(), start, 5
        )
    )
    assert isinstance(first, types.updates.ChannelDifference) and not first.final
    assert [m.message for m in first.new_messages] == ["0 edited", "2", "3", "4"]
    rest = await client(
        functions.updates.GetChannelDifferenceRequest(
            entity, types.ChannelMessagesFilterEmpty(), first.pts, 100
        )
    )
    assert rest.final and rest.pts == ch.pts
    assert [m.message for m in rest.new_messages] == ["5", "6"]
    assert any(isinstance(u, types.UpdateDeleteChannelMessages) for u in rest.other_updates)
    empty = await client(
        functions.updates.GetChannelDifferenceRequest(
            entity, types.ChannelMessagesFilterEmpty(), ch.pts, 100
        )
    )
    assert isinstance(empty, types.updates.ChannelDifferenceEmpty)


async def test_album_arrives_as_one_album_event(
    sim: Server, new_client: ClientFactory, jpeg: bytes
) -> None:
    """An album's items arrive together, so Telethon raises one events.Album."""
    ch = await sim.create_channel("Albums", username="albums_ch")
    client = await new_client(1)
    albums: list[list[int]] = []

    async def on_album(event: events.Album.Event) -> None:
        albums.append([m.id for m in event.messages])

    client.add_event_handler(on_album, events.Album())
    await _joined(client, "albums_ch")
    ids = await sim.post_album(ch, [jpeg, jpeg, jpeg], text="set")
    await wait_for(lambda: albums == [ids])


async def test_updates_missed_during_a_drop_are_recovered(
    sim: Server, new_client: ClientFactory
) -> None:
    """Posts pushed while the connection was down arrive through the pts gap they leave."""
    ch = await sim.create_channel("Gap", username="gap_ch")
    client = await new_client(1)
    got: list[str] = []

    async def on_new(event: events.NewMessage.Event) -> None:
        got.append(event.raw_text)

    client.add_event_handler(on_new, events.NewMessage())
    await _joined(client, "gap_ch")
    await sim.post(ch, text="a")
    await wait_for(lambda: got == ["a"])
    before = set(sim.hub.connections)
    assert sim.drop_connections((await client.get_me()).id) >= 1
    for text in ("b", "c", "d"):
        await sim.post(ch, text=text)
    # Telethon reconnects by itself and sends a request, which binds the new connection
    await wait_for(lambda: bool(sim.hub.connections - before))
    await sim.post(ch, text="e")
    await wait_for(lambda: sorted(got) == ["a", "b", "c", "d", "e"], timeout=20)
