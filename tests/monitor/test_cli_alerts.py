"""chanwatch alerts list|show|claim|confirm|dismiss against a real SQLite store."""

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
from storage.models import (
    BankEntryIn,
    ChannelRecord,
    HashType,
    MatchIn,
    NewMedia,
    PostRecord,
)
from storage.sqlite import SQLiteStore

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SHA = "ab" * 32
PDQ = "d8f8f0cce0f4a84f0e370a22028f67f0b36e2ed596623e1d33e6b39c4e9c9b22"


@pytest.fixture
def db(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A database with two alerts: #1 priority 3 on post 10, #2 priority 1 on post 11."""
    for key in list(os.environ):
        if key.upper().startswith("CHANWATCH_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "cw.db"
    monkeypatch.setenv("CHANWATCH_DATABASE__PATH", str(path))
    asyncio.run(_seed(path))
    # state-changing commands need an authenticated user holding the role
    monkeypatch.setenv("CHANWATCH_TOKEN", seed_cli_users(path, {"tester": ("operator",)})["tester"])
    return path


async def _seed(path: Path) -> None:
    store = SQLiteStore(path)
    await store.open()
    try:
        await store.upsert_channel(
            ChannelRecord(id=777, access_hash=1, title="Bad Channel", username="bad_chan",
                          type="broadcast")
        )
        await store.create_bank("ncmec", 31, "local:test")
        await store.import_bank_entries(
            "ncmec",
            [BankEntryIn("sha256", SHA, category="B2", source_ref="ref-1"),
             BankEntryIn("pdq", PDQ, category="A1", source_ref="ref-2")],
            "local:test",
            "seed.csv",
        )
        entries = {e.hash_type: e.id async for e in store.iter_bank_entries()}
        plan: tuple[tuple[int, HashType, int, int], ...] = ((10, "sha256", 3, 0), (11, "pdq", 1, 4))
        for message_id, hash_type, priority, distance in plan:
            await store.record_post(_post(message_id))
            media = await store.add_media(_media(message_id))
            await store.add_sighting(media.id, 777, message_id)
            await store.raise_alert(
                777, message_id,
                [MatchIn(entries[hash_type], media.id, hash_type, distance)],
                priority, T0 + timedelta(hours=24),
            )
    finally:
        await store.close()


def _post(message_id: int) -> PostRecord:
    return PostRecord(
        channel_id=777, message_id=message_id, date=T0, text=f"post number {message_id} " * 30,
        edit_date=None, author_signature=None, views=5, forwards=0, fwd_channel_id=None,
        fwd_message_id=None, fwd_from_name=None, fwd_date=None, reply_to=None, grouped_id=None,
        entities_json="[]", links=(), mentions=(), captured_at=T0, captured_by="main",
        has_media=True,
    )


def _media(message_id: int) -> NewMedia:
    return NewMedia(
        file_id=f"photo:{message_id}", kind="photo", size=100, mime="image/jpeg", width=10,
        height=10, duration=None, sha256=SHA if message_id == 10 else None, md5=None,
        pdq=PDQ if message_id == 11 else None, pdq_quality=100, status="hashed",
    )


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def json_lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines()]


def test_list_most_urgent_first(db: Path) -> None:
    """Open alerts are listed by priority: the A1 match (priority 1) comes first."""
    code, out, err = run("alerts", "list")
    assert (code, err) == (0, "")
    lines = out.strip().splitlines()
    assert lines[0].split()[:3] == ["ID", "STATE", "PRIORITY"]
    assert [line.split()[0] for line in lines[1:]] == ["2", "1"]
    assert "ncmec" in lines[1]


def test_list_json(db: Path) -> None:
    """--json: one object per line with every field."""
    code, out, _ = run("alerts", "list", "--json")
    assert code == 0
    rows = json_lines(out)
    assert [r["id"] for r in rows] == [2, 1]
    assert rows[0]["priority"] == 1 and rows[0]["banks"] == ["ncmec"]
    assert rows[0]["due_at"] == (T0 + timedelta(hours=24)).isoformat()


def test_show(db: Path) -> None:
    """show: the alert, its matches, and the post's metadata with a short text preview."""
    code, out, _ = run("alerts", "show", "2", "--json")
    assert code == 0
    (obj,) = json_lines(out)
    assert obj["channel"] == "Bad Channel (@bad_chan)"
    assert obj["message_id"] == 11
    assert isinstance(obj["post_text"], str) and obj["post_text"].endswith("…")
    assert len(obj["post_text"]) == 201
    assert obj["match_list"] == [
        {"bank": "ncmec", "bank_entry_id": 2, "hash_type": "pdq", "distance": 4,
         "category": "A1", "source_ref": "ref-2", "media_id": 2}
    ]
    code, text, _ = run("alerts", "show", "2")
    assert code == 0 and "match_list:" in text and "bank=ncmec" in text


async def _seed_video_alert(path: Path) -> int:
    """Post 12 with a video that matched a banked clip it contains: the alert's id."""
    store = SQLiteStore(path)
    await store.open()
    try:
        frames = ";".join(f"{i},100,{f'{i:02x}' * 32},{i}.000" for i in range(4))
        await store.import_bank_entries("ncmec", [BankEntryIn("vpdq", frames, category="A1")],
                                        "local:test", "videos.csv")
        entry = {e.hash_type: e.id async for e in store.iter_bank_entries()}["vpdq"]
        await store.record_post(_post(12))
        media = await store.add_media(NewMedia(
            file_id="video:12", kind="video", size=100, mime="video/mp4", width=10, height=10,
            duration=12.0, sha256=None, md5=None, pdq=None, pdq_quality=None, status="hashed"))
        detail = {"direction": "contains", "banked_found": "100.0", "posted_found": "33.3"}
        alert = await store.raise_alert(777, 12, [MatchIn(entry, media.id, "vpdq", 9, detail)],
                                        1, T0 + timedelta(hours=24))
        return alert.id
    finally:
        await store.close()


def test_show_says_which_vpdq_direction_matched(db: Path) -> None:
    """A vPDQ match shows its direction and both percentages (text and --json)."""
    alert_id = asyncio.run(_seed_video_alert(db))
    code, out, _ = run("alerts", "show", str(alert_id), "--json")
    assert code == 0
    (match,) = json_lines(out)[0]["match_list"]  # type: ignore[misc]
    assert match == {"bank": "ncmec", "bank_entry_id": 3, "hash_type": "vpdq", "distance": 9,
                     "category": "A1", "source_ref": None, "media_id": 3,
                     "direction": "contains", "banked_found": "100.0%", "posted_found": "33.3%"}
    code, text, _ = run("alerts", "show", str(alert_id))
    assert code == 0
    assert "hash_type=vpdq" in text
    assert "direction=contains, banked_found=100.0%, posted_found=33.3%" in text
    code, text, _ = run("alerts", "show", "2")  # a PDQ match: no vPDQ keys
    assert code == 0 and "direction=" not in text


def test_claim_then_confirm_is_audited(db: Path) -> None:
    """claim then confirm: the state moves, who and why are kept and audited."""
    actor = "tester"
    code, out, _ = run("alerts", "claim", "2")
    assert code == 0 and out.strip() == f"alert 2: open -> claimed by {actor}"
    code, out, _ = run("alerts", "confirm", "2", "--note", "matches the known image")
    assert code == 0 and "claimed -> confirmed" in out
    (obj,) = json_lines(run("alerts", "show", "2", "--json")[1])
    assert obj["state"] == "confirmed" and obj["claimed_by"] == actor
    assert obj["decided_by"] == actor and obj["note"] == "matches the known image"

    async def audit() -> list[str]:
        store = SQLiteStore(db)
        await store.open()
        try:
            return [r.action for r in await store.list_audit(subject="alert:2")]
        finally:
            await store.close()

    actions = asyncio.run(audit())
    assert "alert.claim" in actions and "alert.confirm" in actions


def test_dismiss_from_open_and_state_filter(db: Path) -> None:
    """dismiss works from open; --state lists only that state."""
    assert run("alerts", "dismiss", "1", "--note", "false positive: blank image")[0] == 0
    code, out, _ = run("alerts", "list", "--state", "dismissed", "--json")
    assert code == 0 and [r["id"] for r in json_lines(out)] == [1]
    _, out, _ = run("alerts", "list", "--state", "open", "--json")
    assert [r["id"] for r in json_lines(out)] == [2]


def test_decision_needs_a_note(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """confirm and dismiss without --note are usage errors (exit status 2)."""
    assert main(["alerts", "dismiss", "1"]) == 2
    assert "--note" in capsys.readouterr().err


def test_illegal_transition(db: Path) -> None:
    """A decided alert cannot be decided again: exit status 1 and one line."""
    assert run("alerts", "confirm", "1", "--note", "yes")[0] == 0
    code, _, err = run("alerts", "dismiss", "1", "--note", "changed my mind")
    assert code == 1 and err.count("\n") == 1 and err.startswith("chanwatch: error:")


def test_unknown_alert(db: Path) -> None:
    """An unknown alert id is bad input: exit status 2."""
    for argv in (("alerts", "show", "99"), ("alerts", "claim", "99")):
        code, _, err = run(*argv)
        assert code == 2 and "no alert with id 99" in err


def test_list_time_left_and_overdue_filter(db: Path) -> None:
    """list shows OVERDUE for undecided alerts past due (the seeded ones are, in March);
    --overdue lists only those; a decided alert shows no time left."""
    code, out, _ = run("alerts", "list")
    lines = out.strip().splitlines()
    assert code == 0 and "TIME_LEFT" in lines[0].upper()
    assert all("OVERDUE" in line for line in lines[1:])
    assert run("alerts", "dismiss", "1", "--note", "false positive")[0] == 0
    rows = json_lines(run("alerts", "list", "--json")[1])
    assert [(r["id"], r["overdue"], r["time_left"]) for r in rows] == [
        (2, True, "OVERDUE"), (1, False, "-")]
    assert isinstance(rows[0]["time_left_s"], int) and rows[0]["time_left_s"] < 0
    code, out, _ = run("alerts", "list", "--overdue", "--json")
    assert code == 0 and [r["id"] for r in json_lines(out)] == [2]
    assert run("alerts", "confirm", "2", "--note", "the known image")[0] == 0
    code, out, err = run("alerts", "list", "--overdue")
    assert code == 0 and "no overdue alerts" in out + err
