"""chanwatch media spread: sightings of a medium and its copies, with forward chains,
from a real store."""

from __future__ import annotations

import asyncio
import io
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from access_support import seed_cli_users

from monitor.cli import main
from storage.models import ChannelRecord, NewMedia, PostRecord
from storage.sqlite import SQLiteStore

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
PDQ = "d8f8f0cce0f4a84f0e370a22028f67f0b36e2ed596623e1d33e6b39c4e9c9b22"
NEAR = f"{int(PDQ, 16) ^ 0b111:064x}"  # distance 3
FAR = f"{int(PDQ, 16) ^ ((1 << 100) - 1):064x}"  # distance 100


@pytest.fixture
def db(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A database with a picture posted in @source, forwarded to @relay, and a near
    copy re-uploaded in @other; plus an unrelated picture."""
    for key in list(os.environ):
        if key.upper().startswith("CHANWATCH_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "cw.db"
    monkeypatch.setenv("CHANWATCH_DATABASE__PATH", str(path))

    def post(cid: int, mid: int, minutes: int, fwd: tuple[int, int] | None = None) -> PostRecord:
        return PostRecord(
            channel_id=cid, message_id=mid, date=T0 + timedelta(minutes=minutes), text="",
            edit_date=None, author_signature=None, views=None, forwards=None,
            fwd_channel_id=fwd[0] if fwd else None, fwd_message_id=fwd[1] if fwd else None,
            fwd_from_name=None, fwd_date=T0 if fwd else None, reply_to=None, grouped_id=None,
            entities_json="[]", links=(), mentions=(), captured_at=T0, captured_by="acct",
            has_media=True)

    def medium(file_id: str, sha: str, pdq: str) -> NewMedia:
        return NewMedia(file_id=file_id, kind="photo", size=1, mime="image/jpeg", width=1,
                        height=1, duration=None, sha256=sha, md5=sha[:32], pdq=pdq,
                        pdq_quality=90, status="hashed")

    async def seed() -> None:
        async with SQLiteStore(path) as store:
            for cid, name in ((1, "source"), (2, "relay"), (3, "other")):
                await store.upsert_channel(ChannelRecord(cid, 5, name.title(), name,
                                                         "broadcast"))
            await store.record_post(post(1, 10, 0))
            await store.record_post(post(2, 20, 5, fwd=(1, 10)))
            await store.record_post(post(3, 30, 9))
            await store.record_post(post(3, 31, 10))
            a = await store.add_media(medium("photo:a", "aa" * 32, PDQ))
            b = await store.add_media(medium("photo:b", "bb" * 32, NEAR))
            c = await store.add_media(medium("photo:c", "cc" * 32, FAR))
            await store.add_sighting(a.id, 1, 10)
            await store.add_sighting(a.id, 2, 20)
            await store.add_sighting(b.id, 3, 30)
            await store.add_sighting(c.id, 3, 31)

    asyncio.run(seed())
    monkeypatch.setenv("CHANWATCH_TOKEN", seed_cli_users(path)["otto"])
    return path


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_spread_json(db: Path) -> None:
    """--json: first seen, the channels, every sighting with dates, the forward chain."""
    code, out, err = run("media", "spread", "2", "--json")
    assert (code, err) == (0, "")
    obj = json.loads(out)
    assert obj["media_id"] == 2
    assert {(r["media_id"], r["relation"]) for r in obj["related"]} == {(2, "self"), (1, "pdq")}
    assert obj["first_seen"]["channel"] == "1 @source" and obj["first_seen"]["message_id"] == 10
    assert obj["channels"] == [1, 2, 3]
    assert [(s["channel_id"], s["message_id"]) for s in obj["sightings"]] == [
        (1, 10), (2, 20), (3, 30)]
    assert obj["sightings"][1]["post_date"] == "2026-03-01T12:05:00+00:00"
    assert obj["forwards"] == [{
        "from_channel_id": 1, "from_message_id": 10, "from_date": "2026-03-01T12:00:00+00:00",
        "to_channel_id": 2, "to_message_id": 20, "source_recorded": True}]


def test_spread_table_and_threshold(db: Path) -> None:
    """The table names first seen and the forward; --threshold 0 leaves the near copy out."""
    code, out, _ = run("media", "spread", "1")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("media 1 (photo): 2 media, 3 sighting(s) in 3 channel(s)")
    assert lines[1].startswith("first seen: 2026-03-01") and "@source post 10" in lines[1]
    assert "forward: 1/10 (recorded) -> 2/20" in out
    code, out, _ = run("media", "spread", "1", "--threshold", "0", "--json")
    assert [s["message_id"] for s in json.loads(out)["sightings"]] == [10, 20]


def test_unknown_media_and_bad_threshold(db: Path) -> None:
    """An unknown id and a threshold outside 0..256 are one-line usage errors (exit 2)."""
    code, _, err = run("media", "spread", "99")
    assert code == 2 and "no media with id 99" in err
    code, _, err = run("media", "spread", "1", "--threshold", "300")
    assert code == 2 and "--threshold" in err
