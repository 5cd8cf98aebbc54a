"""Posts: stored once, replays idempotent, edits kept, deletions marked."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from backends import DatabaseRefused, RawDB
from sqlite_support import T0, make_post

from storage.api import Store


async def test_record_post_is_idempotent(store: Store) -> None:
    """The first record_post is new, every replay is not, and there is one row."""
    post = make_post(links=("https://example.org/a",), mentions=("@someone",))
    assert await store.record_post(post) is True
    assert await store.record_post(post) is False
    assert await store.record_post(post) is False
    assert await store.count_posts() == 1
    stored = await store.get_post(100, 1)
    assert stored is not None
    assert stored["text"] == "post 1" and stored["captured_by"] == "acct-1"
    assert stored["date"] == T0 and stored["captured_at"] == T0
    assert stored["links"] == ["https://example.org/a"] and stored["mentions"] == ["@someone"]
    assert stored["edits"] == [] and stored["deleted_at"] is None


async def test_concurrent_replays_store_one_row(store: Store) -> None:
    """A live update and a history page delivering the same post at once: one row,
    exactly one caller told it is new."""
    results = await asyncio.gather(*(store.record_post(make_post(message_id=5)) for _ in range(20)))
    assert sorted(results) == [False] * 19 + [True]
    assert await store.count_posts(100) == 1


async def test_all_fields_are_kept(store: Store) -> None:
    """Every PostRecord field comes back from get_post."""
    post = make_post(
        message_id=9,
        edit_date=T0 + timedelta(minutes=1),
        author_signature="Admin",
        views=99,
        forwards=7,
        fwd_channel_id=222,
        fwd_message_id=33,
        fwd_from_name="Origin",
        fwd_date=T0 - timedelta(days=1),
        reply_to=8,
        grouped_id=-123456789012345,
        entities_json='[{"type":"url","offset":0,"length":5,"url":null}]',
        has_media=True,
    )
    await store.record_post(post)
    got = await store.get_post(100, 9)
    assert got is not None
    for name in (
        "edit_date", "author_signature", "views", "forwards", "fwd_channel_id", "fwd_message_id",
        "fwd_from_name", "fwd_date", "reply_to", "grouped_id", "entities_json", "has_media",
    ):  # fmt: skip
        assert got[name] == getattr(post, name), name


async def test_edit_keeps_previous_text(store: Store) -> None:
    """A replay with a later edit date and new text updates the post and keeps the
    replaced version, with its dates, in edits."""
    await store.record_post(make_post(text="original"))
    e1, e2 = T0 + timedelta(minutes=5), T0 + timedelta(minutes=9)
    assert await store.record_post(make_post(text="first edit", edit_date=e1)) is False
    await store.record_post(make_post(text="second edit", edit_date=e2))
    await store.record_post(make_post(text="second edit", edit_date=e2))  # replay: no new edit
    got = await store.get_post(100, 1)
    assert got is not None
    assert got["text"] == "second edit" and got["edit_date"] == e2
    history = [(e["previous_text"], e["previous_edit_date"], e["edit_date"]) for e in got["edits"]]
    assert history == [
        ("original", None, e1),
        ("first edit", e1, e2),
    ]


async def test_older_version_does_not_overwrite_newer(store: Store) -> None:
    """A stale copy (earlier or no edit date) arriving late changes nothing."""
    edited = T0 + timedelta(minutes=5)
    await store.record_post(make_post(text="new", edit_date=edited))
    await store.record_post(make_post(text="old"))
    await store.record_post(make_post(text="older", edit_date=T0 + timedelta(minutes=1)))
    got = await store.get_post(100, 1)
    assert got is not None and got["text"] == "new" and got["edits"] == []


async def test_views_and_forwards_only_grow(store: Store) -> None:
    """Replays refresh counters upwards; a stale lower count is ignored."""
    await store.record_post(make_post(views=10, forwards=1))
    await store.record_post(make_post(views=50, forwards=3))
    await store.record_post(make_post(views=20, forwards=None))
    got = await store.get_post(100, 1)
    assert got is not None and (got["views"], got["forwards"]) == (50, 3)


async def test_links_once_seen_are_kept(store: Store) -> None:
    """An edit that removes a link keeps it recorded; new links are appended in order."""
    await store.record_post(make_post(links=("https://a.example",), mentions=("@x",)))
    await store.record_post(
        make_post(
            text="edited",
            edit_date=T0 + timedelta(seconds=1),
            links=("https://b.example", "https://b.example"),
            mentions=("@y", "@x"),
        )
    )
    got = await store.get_post(100, 1)
    assert got is not None
    assert got["links"] == ["https://a.example", "https://b.example"]
    assert got["mentions"] == ["@x", "@y"]


async def test_mark_deleted(store: Store) -> None:
    """Deletion sets deleted_at once; unknown ids and repeats count zero; the post stays."""
    for i in (1, 2, 3):
        await store.record_post(make_post(message_id=i))
    at = T0 + timedelta(hours=1)
    assert await store.mark_deleted(100, [1, 2, 99], at) == 2
    assert await store.mark_deleted(100, [1, 2], at + timedelta(hours=1)) == 0
    assert await store.mark_deleted(100, [], at) == 0
    got = await store.get_post(100, 1)
    assert got is not None and got["deleted_at"] == at and got["text"] == "post 1"
    third = await store.get_post(100, 3)
    assert third is not None and third["deleted_at"] is None
    assert await store.count_posts(100) == 3


async def test_list_and_count_posts(store: Store) -> None:
    """Listing per channel is newest message first; counts are per channel or total."""
    for i in (3, 1, 2):
        await store.record_post(make_post(message_id=i))
    await store.record_post(make_post(channel_id=200, message_id=1))
    assert [p["message_id"] for p in await store.list_posts(100)] == [3, 2, 1]
    assert len(await store.list_posts(limit=2)) == 2
    assert (await store.count_posts(100), await store.count_posts(200)) == (3, 1)
    assert await store.count_posts() == 4
    assert await store.get_post(100, 42) is None


async def test_database_refuses_a_duplicate_post(store: Store, raw: RawDB) -> None:
    """(channel_id, message_id) is UNIQUE in the schema itself, not only in code."""
    await store.record_post(make_post())
    with pytest.raises(DatabaseRefused, match="UNIQUE"):
        raw.execute(
            "INSERT INTO posts (channel_id, message_id, date, text, captured_at, captured_by, "
            "updated_at) VALUES (100, 1, 'x', 'dup', 'x', 'x', 'x')"
        )


async def test_naive_post_time_is_refused(store: Store) -> None:
    """A post with a naive date is refused with a clear error, and nothing is stored."""
    with pytest.raises(ValueError, match="naive"):
        await store.record_post(make_post(date=T0.replace(tzinfo=None)))
    assert await store.count_posts() == 0
