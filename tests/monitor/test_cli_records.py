"""`chanwatch posts list|show` and `audit list` on a real store, and a
supervisor deciding an alert another operator claimed (the queue's overrule)."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from access_support import seed_cli_users

from monitor.cli import main
from storage.bank_entries import BankEntryIn
from storage.models import ChannelRecord, MatchIn, NewMedia, PostRecord
from storage.sqlite import SQLiteStore

T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
SHA = "ab" * 32


def post(message_id: int, text: str, date: datetime) -> PostRecord:
    return PostRecord(
        channel_id=777, message_id=message_id, date=date, text=text, edit_date=None,
        author_signature=None, views=1, forwards=0, fwd_channel_id=None, fwd_message_id=None,
        fwd_from_name=None, fwd_date=None, reply_to=None, grouped_id=None, entities_json="[]",
        links=(), mentions=(), captured_at=date, captured_by="main", has_media=False,
    )


async def seed(path: Path) -> None:
    store = SQLiteStore(path)
    await store.open()
    try:
        await store.upsert_channel(ChannelRecord(id=777, access_hash=1, title="Chan",
                                                 username="chan", type="broadcast"))
        for mid in (1, 2, 3):
            await store.record_post(post(mid, f"post {mid}", T0 + timedelta(days=mid)))
        edited = dataclasses.replace(post(2, "post 2, edited", T0 + timedelta(days=2)),
                                     edit_date=T0 + timedelta(days=2, hours=1))
        await store.record_post(edited)
        await store.mark_deleted(777, [3], T0 + timedelta(days=4))
        await store.create_bank("known", 0, "local:test")
        await store.import_bank_entries("known", [BankEntryIn("sha256", SHA)], "local:test",
                                        "seed.csv")
        (entry,) = [e.id async for e in store.iter_bank_entries()]
        media = await store.add_media(NewMedia(
            file_id="photo:1", kind="photo", size=1, mime="image/jpeg", width=1, height=1,
            duration=None, sha256=SHA, md5=None, pdq=None, pdq_quality=None, status="hashed"))
        await store.add_sighting(media.id, 777, 1)
        await store.raise_alert(777, 1, [MatchIn(entry, media.id, "sha256", 0)], 1,
                                T0 + timedelta(days=9))
    finally:
        await store.close()


@pytest.fixture
def tokens(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    for key in list(os.environ):
        if key.upper().startswith("CHANWATCH_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "cw.db"
    monkeypatch.setenv("CHANWATCH_DATABASE__PATH", str(db))
    asyncio.run(seed(db))
    users = {"otto": ("operator",), "olga": ("operator",), "sam": ("supervisor",),
             "ivan": ("investigator",)}
    return seed_cli_users(db, users)


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def as_user(monkeypatch: pytest.MonkeyPatch, token: str) -> None:
    monkeypatch.setenv("CHANWATCH_TOKEN", token)


def test_posts_list_by_channel_and_period(
    tokens: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    as_user(monkeypatch, tokens["ivan"])
    code, out, err = run("posts", "list", "--channel", "777", "--json")
    assert code == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["message_id"] for r in rows] == [3, 2, 1]  # newest first
    assert rows[0]["deleted_at"] is not None and rows[1]["text"] == "post 2, edited"
    code, out, _ = run("posts", "list", "--channel", "777", "--since", "2026-06-02T13:00Z",
                       "--until", "2026-06-04T13:00Z", "--json")
    assert [json.loads(line)["message_id"] for line in out.splitlines()] == [3, 2]
    code, out, _ = run("posts", "list", "--channel", "778")
    assert code == 0 and out == "no posts\n"
    code, out, _ = run("posts", "list")
    assert out.splitlines()[0].split()[:3] == ["CHANNEL_ID", "MESSAGE_ID", "DATE"]
    code, _, err = run("posts", "list", "--since", "yesterday")
    assert code == 2 and "not a time" in err


def test_posts_show_has_edits_and_deletion_and_is_audited(
    tokens: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    as_user(monkeypatch, tokens["ivan"])
    code, out, err = run("posts", "show", "777", "2", "--json")
    assert code == 0, err
    shown = json.loads(out)
    assert shown["text"] == "post 2, edited" and shown["edits"] == 1
    assert shown["edit_list"][0]["previous_text"] == "post 2"
    code, out, _ = run("posts", "show", "777", "3")
    assert code == 0 and "deleted_at" in out and "2026-06-05" in out
    code, _, err = run("posts", "show", "777", "99")
    assert code == 2 and "no recorded post 99 in channel 777" in err
    code, out, err = run("audit", "list", "--action", "record.view", "--json")
    assert code == 0, err
    views = [json.loads(line) for line in out.splitlines()]
    assert [(v["actor"], v["subject"]) for v in views] == [
        ("ivan", "post:777:3"), ("ivan", "post:777:2"),
    ]  # the missing post was not shown, so not audited


def test_audit_list_filters(tokens: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    as_user(monkeypatch, tokens["sam"])
    code, out, err = run("audit", "list", "--actor", "root", "--action", "user.create", "--json")
    assert code == 0, err
    added = {json.loads(line)["subject"] for line in out.splitlines()}
    assert added == {"user:root", "user:otto", "user:olga", "user:sam", "user:ivan"}
    code, out, _ = run("audit", "list", "--until", "2000-01-01")
    assert code == 0 and out == "no audit rows\n"
    code, out, _ = run("audit", "list", "--since", "2020-01-01", "--action", "auth.login",
                       "--json")
    assert {json.loads(line)["actor"] for line in out.splitlines()} == {"sam"}  # each read
    code, out, _ = run("audit", "list", "--since", "+1d")
    assert code == 0 and out == "no audit rows\n"
    code, out, _ = run("audit", "list", "--limit", "2")
    assert code == 0 and len(out.splitlines()) == 3  # the header and two rows
    assert run("audit", "list", "--limit", "0")[0] == 2


def test_a_supervisor_decides_an_alert_an_operator_claimed(
    tokens: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    as_user(monkeypatch, tokens["otto"])
    assert run("alerts", "claim", "1")[0] == 0
    as_user(monkeypatch, tokens["olga"])  # another operator may not
    code, _, err = run("alerts", "dismiss", "1", "--note", "mine now")
    assert code == 1 and "claimed by otto" in err
    as_user(monkeypatch, tokens["ivan"])  # nor an investigator
    code, _, err = run("alerts", "confirm", "1", "--note", "x")
    assert code == 1 and "lacks the role 'operator' or 'supervisor'" in err
    as_user(monkeypatch, tokens["sam"])  # a supervisor overrules
    code, out, err = run("alerts", "confirm", "1", "--note", "the known picture")
    assert code == 0 and "claimed -> confirmed by sam" in out, err
    code, _, err = run("alerts", "claim", "1")  # claiming stays an operator's
    assert code == 1 and "lacks the role 'operator'" in err
