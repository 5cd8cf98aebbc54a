"""A medium's other hashes (media_hashes), recent media, sightings with their posts,
media sharing hashes and capture authority."""

from __future__ import annotations

from datetime import timedelta

from clocks import TestClock
from sqlite_support import make_post

from storage.api import Store
from storage.models import Authority, ChannelRecord, NewMedia

SHA = "ab" * 32
VARIANTS = [f"{i:02x}" * 32 for i in range(8)]
EXTRA = {"sha1": "ef" * 20, "pdq_dihedral": VARIANTS, "vpdq": "0,100,ab,0.0"}


def _media(file_id: str = "photo:1", **overrides: object) -> NewMedia:
    values: dict[str, object] = {
        "file_id": file_id, "kind": "photo", "size": 1234, "mime": "image/jpeg",
        "width": 1280, "height": 720, "duration": None, "sha256": SHA, "md5": "cd" * 16,
        "pdq": VARIANTS[0], "pdq_quality": 90, "status": "hashed", "extra": EXTRA,
    }  # fmt: skip
    values.update(overrides)
    return NewMedia(**values)  # type: ignore[arg-type]


async def test_extra_hashes_are_stored_with_the_media(store: Store) -> None:
    """SHA-1, the 8 dihedral PDQs in order and the vPDQ frames come back by media id."""
    record = await store.add_media(_media())
    got = await store.get_media_hashes(record.id)
    assert got.sha1 == "ef" * 20
    assert got.pdq_dihedral == tuple(VARIANTS)
    assert got.vpdq == "0,100,ab,0.0"
    assert (await store.get_media_hashes_many([record.id, 999]))[999].pdq_dihedral == ()


async def test_unhashed_media_gets_its_hashes_when_upgraded(store: Store) -> None:
    """A failed download keeps no hashes; the later successful one stores them."""
    failed = await store.add_media(_media(status="failed", sha256=None, extra={}))
    assert (await store.get_media_hashes(failed.id)).sha1 is None
    await store.add_media(_media())
    assert (await store.get_media_hashes(failed.id)).pdq_dihedral == tuple(VARIANTS)


async def test_recent_media_and_sightings(store: Store, clock: TestClock) -> None:
    """Media seen since a time, and each sighting with channel, post and forward origin."""
    await store.upsert_channel(ChannelRecord(100, 1, "Source", "src", "broadcast"))
    old = await store.add_media(_media("photo:old", sha256="01" * 32))
    await store.record_post(make_post(100, 1))
    await store.add_sighting(old.id, 100, 1)
    clock.advance(timedelta(days=10))
    since = clock.now
    new = await store.add_media(_media("photo:new"))
    await store.record_post(make_post(100, 2))
    await store.record_post(make_post(200, 5, fwd_channel_id=100, fwd_message_id=2))
    await store.add_sighting(new.id, 100, 2)
    await store.add_sighting(new.id, 200, 5)
    assert [m.id for m in await store.recent_media(since)] == [new.id]
    seen = await store.list_sightings([new.id])
    assert [(s.channel_id, s.message_id) for s in seen] == [(100, 2), (200, 5)]
    assert seen[0].channel_username == "src" and seen[0].fwd_channel_id is None
    assert (seen[1].fwd_channel_id, seen[1].fwd_message_id) == (100, 2)
    assert seen[1].alert_id is None
    assert await store.list_sightings([old.id], since) == []


async def test_media_sharing_hashes(store: Store) -> None:
    """Media rows with the same SHA-256, or the same MD5, are found by either."""
    a = await store.add_media(_media("photo:a"))
    b = await store.add_media(_media("document:b", sha256=SHA, md5="99" * 16))
    c = await store.add_media(_media("photo:c", sha256="02" * 32))
    assert await store.media_sharing_hashes(SHA, None) == [a.id, b.id]
    assert await store.media_sharing_hashes(None, "cd" * 16) == [a.id, c.id]
    assert [m for m, _, _ in await store.media_pdq()] == [a.id, b.id, c.id]


async def test_capture_authority_comes_from_the_ledger(store: Store) -> None:
    """The authorization a post was captured under; None for an unrestricted capture."""
    await store.record_post(make_post(100, 1, authority=Authority(7, "K-1")))
    await store.record_post(make_post(100, 11))
    assert await store.capture_authority(100, 1) == Authority(7, "K-1")
    assert await store.capture_authority(100, 11) is None
    assert await store.capture_authority(100, 2) is None
