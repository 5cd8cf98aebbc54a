"""History paging, fetching by id, entities, forwards and albums
(tgsim/methods/history.py, tgsim/render.py)."""

from __future__ import annotations

import datetime as dt

from telethon.tl import functions, types
from tgsim_support import ClientFactory

from tgsim import Server


async def test_history_paging_over_1000_posts(sim: Server, new_client: ClientFactory) -> None:
    """iter_messages pages through 1,000 posts newest first, and oldest first with reverse."""
    ch = await sim.create_channel("Archive", username="archive_ch")
    for i in range(1000):
        await sim.post(ch, text=f"post {i}")
    client = await new_client(1)
    entity = await client.get_entity("archive_ch")
    newest_first = [m.id async for m in client.iter_messages(entity, wait_time=0)]
    assert newest_first == list(range(1000, 0, -1))
    oldest_first = [m.id async for m in client.iter_messages(entity, reverse=True, min_id=900)]
    assert oldest_first == list(range(901, 1001))
    window = await client.get_messages(entity, limit=10, offset_id=500)
    assert [m.id for m in window] == list(range(499, 489, -1))
    total = await client.get_messages(entity, limit=0)
    assert total.total == 1000


async def test_history_by_date(sim: Server, new_client: ClientFactory) -> None:
    """Posts made at given times page by offset_date like on Telegram."""
    ch = await sim.create_channel("Dated", username="dated_ch")
    base = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    for day in range(10):
        await sim.post(ch, text=f"day {day}", date=base + dt.timedelta(days=day))
    client = await new_client(1)
    entity = await client.get_entity("dated_ch")
    older = await client.get_messages(entity, limit=3, offset_date=base + dt.timedelta(days=5))
    assert [m.text for m in older] == ["day 4", "day 3", "day 2"]
    assert older[0].date == base + dt.timedelta(days=4)


async def test_get_messages_by_ids(sim: Server, new_client: ClientFactory) -> None:
    """channels.getMessages returns posts by id and None for deleted/unknown ids."""
    ch = await sim.create_channel("Ids", username="ids_ch")
    a = await sim.post(ch, text="a")
    b = await sim.post(ch, text="b")
    await sim.delete(ch, [a])
    client = await new_client(1)
    entity = await client.get_entity("ids_ch")
    got = await client.get_messages(entity, ids=[a, b, 99])
    assert got[0] is None and got[1].text == "b" and got[2] is None


async def test_entities_and_signature(sim: Server, new_client: ClientFactory) -> None:
    """Entities given as dicts or TL objects and the author signature reach the client."""
    ch = await sim.create_channel("Fmt", username="fmt_ch")
    text = "bold link"
    await sim.post(
        ch,
        text=text,
        entities=[
            {"type": "bold", "offset": 0, "length": 4},
            types.MessageEntityTextUrl(5, 4, "https://example.org/x"),
        ],
        author="Editor",
    )
    client = await new_client(1)
    msg = (await client.get_messages(await client.get_entity("fmt_ch"), limit=1))[0]
    assert msg.post and msg.post_author == "Editor"
    assert isinstance(msg.entities[0], types.MessageEntityBold)
    assert msg.entities[1].url == "https://example.org/x"
    assert msg.text == "**bold** [link](https://example.org/x)"


async def test_forward_from_other_channel(sim: Server, new_client: ClientFactory) -> None:
    """A forwarded post carries fwd_from naming the source channel and post."""
    src = await sim.create_channel("Source", username="source_ch")
    dst = await sim.create_channel("Dest", username="dest_ch")
    orig = await sim.post(src, text="original", author="Src")
    fwd = await sim.post(dst, forward_from=(src, orig))
    client = await new_client(1)
    msg = await client.get_messages(await client.get_entity("dest_ch"), ids=fwd)
    assert msg.text == "original"
    assert msg.fwd_from is not None
    assert msg.fwd_from.from_id == types.PeerChannel(src.id)
    assert msg.fwd_from.channel_post == orig
    assert msg.forward.chat.title == "Source"


async def test_album_shares_grouped_id(sim: Server, new_client: ClientFactory, jpeg: bytes) -> None:
    """post_album posts photos with one grouped_id, the caption on the first."""
    ch = await sim.create_channel("Album", username="album_ch")
    ids = await sim.post_album(ch, [jpeg, jpeg, jpeg], text="three")
    client = await new_client(1)
    msgs = await client.get_messages(await client.get_entity("album_ch"), ids=ids)
    assert len({m.grouped_id for m in msgs}) == 1 and msgs[0].grouped_id is not None
    assert [m.text for m in msgs] == ["three", "", ""]
    assert all(m.photo is not None for m in msgs)


async def test_full_channel_reports_pts(sim: Server, new_client: ClientFactory) -> None:
    """getFullChannel reports the channel's current pts."""
    ch = await sim.create_channel("Pts", username="pts_ch")
    await sim.post(ch, text="x")
    client = await new_client(1)
    full = await client(functions.channels.GetFullChannelRequest(await client.get_entity("pts_ch")))
    assert full.full_chat.pts == ch.pts == 2
