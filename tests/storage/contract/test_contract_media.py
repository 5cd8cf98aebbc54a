"""Media (one row per Telegram file) and sightings."""

from __future__ import annotations

import pytest
from backends import DatabaseRefused, RawDB
from sqlite_support import make_post

from storage.api import Store
from storage.errors import NotFound
from storage.models import NewMedia

SHA = "ab" * 32


def _media(file_id: str = "photo:1", **overrides: object) -> NewMedia:
    values: dict[str, object] = {
        "file_id": file_id, "kind": "photo", "size": 1234, "mime": "image/jpeg",
        "width": 1280, "height": 720, "duration": None, "sha256": SHA, "md5": "cd" * 16,
        "pdq": "ef" * 32, "pdq_quality": 90, "status": "hashed",
    }  # fmt: skip
    values.update(overrides)
    return NewMedia(**values)  # type: ignore[arg-type]


async def test_add_media_is_idempotent_on_file_id(store: Store) -> None:
    """The same Telegram file added twice is one row with one id."""
    first = await store.add_media(_media())
    again = await store.add_media(_media(sha256="00" * 32))
    assert first == again and first.sha256 == SHA
    assert (first.width, first.height, first.status) == (1280, 720, "hashed")


async def test_failed_media_gets_hashes_later(store: Store) -> None:
    """A file first recorded as failed is upgraded when a later attempt hashes it;
    a hashed file is never downgraded."""
    failed = await store.add_media(
        _media(sha256=None, md5=None, pdq=None, pdq_quality=None, status="failed", reason="x")
    )
    assert failed.status == "failed" and failed.reason == "x"
    hashed = await store.add_media(_media())
    assert hashed.id == failed.id and hashed.status == "hashed" and hashed.sha256 == SHA
    after = await store.add_media(_media(status="failed", reason="later"))
    assert after == hashed


async def test_find_media(store: Store) -> None:
    """By file id, or by SHA-256 (case-insensitive) when the file id is new."""
    added = await store.add_media(_media(sha256=SHA.upper()))
    assert added.sha256 == SHA
    assert await store.find_media(file_id="photo:1") == added
    assert await store.find_media(file_id="photo:other", sha256=SHA.upper()) == added
    assert await store.find_media(file_id="photo:other") is None
    assert await store.find_media(sha256="11" * 32) is None
    with pytest.raises(ValueError, match="file_id or a sha256"):
        await store.find_media()


async def test_sightings_are_unique(store: Store, raw: RawDB) -> None:
    """One medium in several posts: one sighting per post, replays add nothing."""
    media = await store.add_media(_media())
    for message_id in (1, 2):
        await store.record_post(make_post(message_id=message_id, has_media=True))
        await store.add_sighting(media.id, 100, message_id)
        await store.add_sighting(media.id, 100, message_id)
    rows = raw.query("SELECT media_id, message_id FROM sightings ORDER BY 2")
    assert rows == [(media.id, 1), (media.id, 2)]


async def test_sighting_needs_post_and_media(store: Store) -> None:
    """A sighting of an unrecorded post or unknown media is a clear NotFound."""
    media = await store.add_media(_media())
    with pytest.raises(NotFound, match="post 100/7 is not recorded"):
        await store.add_sighting(media.id, 100, 7)
    await store.record_post(make_post(message_id=7))
    with pytest.raises(NotFound, match="no media"):
        await store.add_sighting(999, 100, 7)


async def test_database_refuses_duplicate_file_id(store: Store, raw: RawDB) -> None:
    """file_id is UNIQUE in the schema itself."""
    await store.add_media(_media())
    with pytest.raises(DatabaseRefused, match="UNIQUE"):
        raw.execute(
            "INSERT INTO media (file_id, kind, status, created_at, updated_at) "
            "VALUES ('photo:1', 'photo', 'hashed', 'x', 'x')"
        )
