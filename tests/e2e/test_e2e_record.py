"""Text, edits, deletions, forwards, albums and documents are recorded with their
metadata, through tgsim, real Telethon and the real SQLite store."""

from __future__ import annotations

import json

from access_support import lawful_watch
from e2e_support import (
    MonitorFactory,
    drawing,
    has_posts,
    media_of,
    monitor_user,
    poll,
)
from tgsim_support import wait_for

from storage.sqlite import SQLiteStore
from tgsim import Server


async def test_posts_and_their_metadata(
    sim: Server, start_monitor: MonitorFactory, store: SQLiteStore
) -> None:
    """Every kind of post is stored once with its metadata; edits keep the old text;
    deletions are marked, not erased. The periodic reconciliation is set to an hour,
    so all of it arrives through Telethon's live events."""
    ch = await sim.create_channel("Watched", username="watched_news")
    other = await sim.create_channel("Elsewhere", username="elsewhere")
    source = await sim.post(other, text="original elsewhere", author="Their Editor")
    await lawful_watch(store, "t.me/watched_news")
    app = await start_monitor(reconcile_interval="1h")
    await app.reconciler.wait_idle(10)
    await wait_for(lambda: sim.is_member(ch, monitor_user(sim)), timeout=10)

    text = "Read https://example.org/a and ask @someone"
    t_id = await sim.post(
        ch, text=text, author="Desk",
        entities=[{"type": "url", "offset": 5, "length": 21},
                  {"type": "mention", "offset": 35, "length": 8}],
    )
    pdf = b"%PDF-1.4\n" + bytes(range(256)) * 40
    d_id = await sim.post(ch, text="the report", document=(pdf, "report.pdf", "application/pdf"))
    album = await sim.post_album(ch, [drawing(1), drawing(2)], text="two pictures")
    f_id = await sim.post(ch, forward_from=(other, source))
    await sim.edit(ch, t_id, text="Corrected: see https://example.org/b")
    gone = await sim.post(ch, text="posted by mistake")
    await poll(lambda: has_posts(store, ch.id, [t_id, d_id, *album, f_id, gone]))
    await sim.delete(ch, [gone])

    async def edited_and_deleted() -> bool:
        t = await store.get_post(ch.id, t_id)
        g = await store.get_post(ch.id, gone)
        return bool(t and t["edits"] and g and g["deleted_at"] is not None)

    await poll(edited_and_deleted)

    t = await store.get_post(ch.id, t_id)
    assert t is not None
    assert t["text"] == "Corrected: see https://example.org/b"
    assert t["edits"][0]["previous_text"] == text
    assert t["author_signature"] == "Desk"
    assert t["captured_by"] == "e2e"
    assert "https://example.org/a" in t["links"]
    kinds = {e["type"] for e in json.loads(t["edits"][0]["previous_entities_json"])}
    assert kinds == {"url", "mention"}

    doc = await media_of(store, ch.id, d_id)
    assert doc is not None
    assert (doc["kind"], doc["mime"], doc["size"]) == ("document", "application/pdf", len(pdf))
    assert doc["status"] == "hashed" and doc["sha256"] is not None and doc["pdq"] is None

    posts = [await store.get_post(ch.id, m) for m in album]
    assert all(p is not None for p in posts)
    groups = {p["grouped_id"] for p in posts if p is not None}
    assert len(groups) == 1 and None not in groups
    photo = await media_of(store, ch.id, album[0])
    assert photo is not None and photo["kind"] == "photo" and photo["pdq"] is not None

    f = await store.get_post(ch.id, f_id)
    assert f is not None
    assert (f["fwd_channel_id"], f["fwd_message_id"]) == (other.id, source)
    assert f["text"] == "original elsewhere"

    g = await store.get_post(ch.id, gone)
    assert g is not None and g["text"] == "posted by mistake"


async def test_unwatched_channels_are_never_recorded(
    sim: Server, start_monitor: MonitorFactory, store: SQLiteStore
) -> None:
    """Posts of a channel the account is in but that is not watched never reach the store."""
    watched = await sim.create_channel("Watched", username="watched_one")
    unwatched = await sim.create_channel("Not watched", username="not_watched")
    await lawful_watch(store, "@watched_one")
    app = await start_monitor()
    await wait_for(lambda: sim.is_member(watched, monitor_user(sim)), timeout=10)
    # The account joins the other channel by itself (as if a human had clicked).
    from telethon.tl.functions.channels import JoinChannelRequest
    from telethon.tl.types import InputChannel
    await app.client(JoinChannelRequest(InputChannel(unwatched.id, unwatched.access_hash)))

    await sim.post(unwatched, text="not for us")
    await sim.post(unwatched, photo=drawing(9))
    last = await sim.post(watched, text="for us")
    await poll(lambda: has_posts(store, watched.id, [last]))
    await app.reconciler.wait_idle(10)
    assert await store.count_posts(unwatched.id) == 0
    assert await store.get_channel(unwatched.id) is None
    assert await store.count_posts() == 1
