"""handlers.builtin.record: every Post field reaches the store; edits keep history."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from pipeline_support import T0, Source, media, post, rig_at

from handlers.builtin.links import handle_links
from handlers.builtin.record import entities_json, handle_record, to_record
from handlers.post import Entity, ForwardOrigin


async def test_all_metadata_is_stored(tmp_path: Path) -> None:
    """Dates, signature, counters, forward origin, reply, album, entities, links, account."""
    text = "🔥 join t.me/elsewhere"
    p = post(
        42,
        text=text,
        edit_date=None,
        author_signature="Admin",
        views=1200,
        forwards=33,
        forward=ForwardOrigin(date=T0 - timedelta(days=1), channel_id=9001, message_id=17,
                              from_name=None),
        reply_to=40,
        grouped_id=777000,
        entities=(Entity("url", 8, 14),),
        media=media(Source(b"x"), "photo:9"),
        account="persona-2",
    )
    async with rig_at(tmp_path) as rig:
        ctx = rig.for_post(p)
        await handle_links(p, ctx)
        await handle_record(p, ctx)
        assert ctx.state.committed and ctx.state.new
        row = await rig.store.get_post(500, 42)
    assert row is not None
    assert row["text"] == text and row["date"] == p.date
    assert row["author_signature"] == "Admin"
    assert (row["views"], row["forwards"]) == (1200, 33)
    assert (row["fwd_channel_id"], row["fwd_message_id"]) == (9001, 17)
    assert row["fwd_date"] == T0 - timedelta(days=1)
    assert row["reply_to"] == 40 and row["grouped_id"] == 777000
    assert json.loads(row["entities_json"]) == [
        {"type": "url", "offset": 8, "length": 14, "url": None}
    ]
    assert row["links"] == ["https://t.me/elsewhere"]
    assert row["captured_by"] == "persona-2" and row["captured_at"] == T0
    assert row["has_media"] in (1, True)


async def test_edit_keeps_previous_text(tmp_path: Path) -> None:
    """A later edit replaces the text; the previous version is kept in the edits."""
    async with rig_at(tmp_path) as rig:
        first = post(5, text="original words")
        ctx = rig.for_post(first)
        await handle_record(first, ctx)
        edited = post(5, text="edited words", edit_date=T0 + timedelta(hours=1))
        ctx2 = rig.for_post(edited)
        await handle_record(edited, ctx2)
        assert ctx2.state.committed and not ctx2.state.new
        row = await rig.store.get_post(500, 5)
    assert row is not None and row["text"] == "edited words"
    assert [e["previous_text"] for e in row["edits"]] == ["original words"]


def test_entities_json_is_compact_utf8() -> None:
    """Entities are stored as compact JSON with their URLs."""
    p = post(1, text="x", entities=(Entity("text_url", 0, 1, "https://ä.example/"),))
    assert entities_json(p) == (
        '[{"type":"text_url","offset":0,"length":1,"url":"https://ä.example/"}]'
    )


async def test_post_without_account_is_refused(tmp_path: Path) -> None:
    """Every capture is attributable: a post that names no account is not stored."""
    async with rig_at(tmp_path) as rig:
        p = post(1, text="x", account="")
        with pytest.raises(ValueError, match="capturing account"):
            to_record(p, rig.for_post(p))
