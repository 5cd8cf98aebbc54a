"""handlers.builtin.media: download once, hash, sightings, and every recorded reason."""

from __future__ import annotations

import hashlib
import struct
import zlib
from pathlib import Path

import pytest
from db_backends import raw_for
from pipeline_support import Rig, Source, expected_pdq, image_bytes, media, post, rig_at

from handlers.builtin.media import handle_media
from handlers.builtin.record import handle_record
from handlers.context import Context
from handlers.hashing import hamming_hex
from handlers.post import Post
from storage.ledger import canonical
from storage.models import Authority, MediaRecord


async def run_media(rig: Rig, p: Post) -> Context:
    """Record the post (sightings need it), then run the media handler."""
    ctx = rig.for_post(p)
    await handle_record(p, ctx)
    await handle_media(p, ctx)
    return ctx


def media_of(ctx: Context) -> MediaRecord:
    assert ctx.state.media is not None
    return ctx.state.media


async def media_rows(rig: Rig) -> list[dict[str, object]]:
    raw = raw_for(rig.store)
    names = [r[1] for r in raw.query("PRAGMA table_info(media)")]
    rows = raw.query("SELECT * FROM media ORDER BY id")
    return [dict(zip(names, row, strict=True)) for row in rows]


async def sightings(rig: Rig) -> list[tuple[int, int, int]]:
    sql = "SELECT media_id, channel_id, message_id FROM sightings ORDER BY message_id"
    return [(int(a), int(b), int(c)) for a, b, c in raw_for(rig.store).query(sql)]


def huge_png(width: int = 100_000, height: int = 100_000) -> bytes:
    """A tiny PNG whose header claims a gigantic image (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


async def test_photo_is_hashed(tmp_path: Path) -> None:
    """SHA-256 and MD5 of the bytes, PDQ within 10 bits of the reference, a sighting."""
    data = image_bytes("aaa-orig.jpg")
    ref_hex, _ = expected_pdq()["aaa-orig.jpg"]
    async with rig_at(tmp_path) as rig:
        ctx = await run_media(rig, post(1, media=media(Source(data), "photo:1")))
        m = media_of(ctx)
        assert m is not None and m.status == "hashed" and m.reason is None
        assert m.sha256 == hashlib.sha256(data).hexdigest()
        assert m.md5 == hashlib.md5(data).hexdigest()
        assert m.pdq is not None and hamming_hex(m.pdq, ref_hex) <= 10
        assert m.pdq_quality is not None and m.pdq_quality >= 80
        assert m.size == len(data) and m.kind == "photo"
        assert ctx.state.hashes is not None
        assert len(ctx.state.hashes.pdq_dihedral) == 8
        assert await sightings(rig) == [(m.id, 500, 1)]


async def test_same_file_is_not_downloaded_again(tmp_path: Path) -> None:
    """The same Telegram file in another post: no download, another sighting."""
    source = Source(image_bytes("aaa-orig.jpg"))
    async with rig_at(tmp_path) as rig:
        ctx = await run_media(rig, post(1, media=media(source, "photo:1")))
        first = media_of(ctx)
        ctx = await run_media(rig, post(2, channel_id=600, media=media(source, "photo:1")))
        second = ctx.state
        assert source.calls == 1
        assert second.media_reused and second.media.id == first.id and second.hashes is None
        assert await sightings(rig) == [(first.id, 500, 1), (first.id, 600, 2)]
        assert len(await media_rows(rig)) == 1


async def test_same_bytes_other_file_id_is_not_hashed_again(tmp_path: Path) -> None:
    """Another file id with the same bytes is downloaded, recognised by SHA-256, not hashed."""
    data = image_bytes("aaa-orig.jpg")
    async with rig_at(tmp_path) as rig:
        ctx = await run_media(rig, post(1, media=media(Source(data), "photo:1")))
        first = media_of(ctx)
        ctx = await run_media(rig, post(2, media=media(Source(data), "photo:2")))
        state = ctx.state
        assert state.media.id == first.id and state.media_reused and state.hashes is None
        assert len(await media_rows(rig)) == 1
        assert [s[0] for s in await sightings(rig)] == [first.id, first.id]


async def test_kind_not_hashed_is_skipped(tmp_path: Path) -> None:
    """A kind outside hash_kinds: metadata only, status skipped, nothing downloaded."""
    source = Source(b"OggS" + b"\x00" * 100)
    async with rig_at(tmp_path) as rig:
        ctx = await run_media(rig, post(1, media=media(source, "voice:1", "voice", mime="audio/ogg",
                                                 duration=3.5)))
        m = media_of(ctx)
        assert source.calls == 0
        assert m.status == "skipped" and "hash_kinds" in m.reason
        assert m.mime == "audio/ogg" and m.duration == 3.5 and m.sha256 is None


async def test_announced_too_large(tmp_path: Path) -> None:
    """A file announced above the cap is not downloaded: metadata, status too_large."""
    source = Source(image_bytes("aaa-orig.jpg"))
    async with rig_at(tmp_path, media_max_bytes=1000) as rig:
        ctx = await run_media(rig, post(1, media=media(source, "photo:1", width=1024, height=768)))
        m = media_of(ctx)
        assert source.calls == 0
        assert m.status == "too_large" and "1000 bytes" in m.reason
        assert (m.width, m.height) == (1024, 768) and m.sha256 is None


async def test_too_large_found_while_downloading(tmp_path: Path) -> None:
    """Size unknown in advance: the download stops at the cap, status too_large."""
    source = Source(image_bytes("aaa-orig.jpg"))
    async with rig_at(tmp_path, media_max_bytes=1000) as rig:
        ref = media(source, "document:1", "document", size=None)
        ctx = await run_media(rig, post(1, media=ref))
        m = media_of(ctx)
        assert source.calls == 1 and m.status == "too_large"


async def test_truncated_image_gets_a_reason(tmp_path: Path) -> None:
    """A truncated JPEG: byte hashes kept, status undecodable with the reason."""
    data = image_bytes("aaa-orig.jpg")[:20000]
    async with rig_at(tmp_path) as rig:
        ctx = await run_media(rig, post(1, media=media(Source(data), "photo:1")))
        m = media_of(ctx)
        assert m.status == "undecodable" and m.reason and "truncated" in m.reason
        assert m.sha256 == hashlib.sha256(data).hexdigest() and m.pdq is None


async def test_decompression_bomb_gets_a_reason(tmp_path: Path) -> None:
    """A decompression bomb is refused before decoding, with a reason that says so."""
    async with rig_at(tmp_path) as rig:
        ctx = await run_media(rig, post(1, media=media(Source(huge_png()), "photo:1")))
        m = media_of(ctx)
        assert m.status == "undecodable" and m.reason.startswith("decompression bomb")


async def test_download_failure_is_recorded_raised_and_retried(tmp_path: Path) -> None:
    """A failed download: status failed with the reason, error raised; the next sighting
    of the same file downloads again and the row becomes hashed."""
    source = Source(image_bytes("aaa-orig.jpg"), fail_with=ConnectionError("link down"))
    async with rig_at(tmp_path) as rig:
        p = post(1, media=media(source, "photo:1"))
        ctx = rig.for_post(p)
        await handle_record(p, ctx)
        with pytest.raises(ConnectionError, match="link down"):
            await handle_media(p, ctx)
        assert ctx.state.media is not None and ctx.state.media.status == "failed"
        assert "ConnectionError: link down" in (ctx.state.media.reason or "")
        source.fail_with = None
        ctx = await run_media(rig, post(2, media=media(source, "photo:1")))
        m = media_of(ctx)
        assert source.calls == 2 and m.status == "hashed" and m.id == ctx.state.media.id
        assert len(await sightings(rig)) == 2


async def test_no_download_offered(tmp_path: Path) -> None:
    """Media Telegram offers no download for is recorded as failed with the reason."""
    async with rig_at(tmp_path) as rig:
        ctx = await run_media(rig, post(1, media=media(None, "document:1", "document")))
        m = media_of(ctx)
        assert m.status == "failed" and "no download" in m.reason


async def test_post_without_media(tmp_path: Path) -> None:
    """A text post leaves the media state empty."""
    async with rig_at(tmp_path) as rig:
        ctx = await run_media(rig, post(1, text="only words"))
        assert ctx.state.media is None
        assert await media_rows(rig) == []


async def test_ledger_records_carry_the_posts_authority(tmp_path: Path) -> None:
    """A hashed photo appends media.hashed and media.seen under the post's authority;
    the same file in a second post appends media.seen only (no new hashing)."""
    source = Source(image_bytes("aaa-orig.jpg"))
    one, two = Authority(4, "K-1"), Authority(5, "K-2")
    async with rig_at(tmp_path) as rig:
        await run_media(rig, post(1, media=media(source, "photo:1"), authority=one))
        await run_media(rig, post(2, channel_id=600, media=media(source, "photo:1"),
                                  authority=two))

        rows = await rig.store.snapshot(lambda tx: tx.ledger.rows())
        found = [(r["type"], r["message"], r["case"], r.get("sha256"))
                 for r in (canonical.loads(row.record) for row in rows)]
    sha = hashlib.sha256(source.data).hexdigest()
    assert found == [
        ("post.captured", "1", "K-1", None),
        ("media.hashed", "1", "K-1", sha),
        ("media.seen", "1", "K-1", sha),
        ("post.captured", "2", "K-2", None),
        ("media.seen", "2", "K-2", sha),
    ]
