"""chanwatch bank import|list with the project's test bank files and a real store."""

from __future__ import annotations

import asyncio
import io
import json
import os
from pathlib import Path

import pytest
from access_support import seed_cli_users

from hotline.decisions import transition_alert
from monitor.cli import main
from storage.models import BankEntry
from storage.sqlite import SQLiteStore

BANKS = Path(__file__).resolve().parents[1] / "handlers" / "data" / "banks"
PDQ = "d8f8f0cce0f4a84f0e370a22028f67f0b36e2ed596623e1d33e6b39c4e9c9b22"


@pytest.fixture
def db(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A fresh database, no outside settings, and an authenticated admin (token)."""
    for key in list(os.environ):
        if key.upper().startswith("CHANWATCH_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "cw.db"
    monkeypatch.setenv("CHANWATCH_DATABASE__PATH", str(path))
    tokens = seed_cli_users(path, {"banker": ("admin",), "opal": ("operator",)})
    monkeypatch.setenv("CHANWATCH_TOKEN", tokens["banker"])
    monkeypatch.setenv("_TEST_OPERATOR_TOKEN", tokens["opal"])
    return path


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def entries(path: Path, bank: str) -> list[BankEntry]:
    async def read() -> list[BankEntry]:
        store = SQLiteStore(path)
        await store.open()
        try:
            return [e async for e in store.iter_bank_entries(enabled_only=False) if e.bank == bank]
        finally:
            await store.close()

    return asyncio.run(read())


def audit_actions(path: Path) -> list[tuple[str, str]]:
    async def read() -> list[tuple[str, str]]:
        store = SQLiteStore(path)
        await store.open()
        try:
            return [(r.actor, r.action) for r in await store.list_audit(subject="bank:ref")]
        finally:
            await store.close()

    return asyncio.run(read())


def test_import_csv_and_list(db: Path) -> None:
    """A valid CSV is imported into a new bank with the default threshold; list shows it."""
    code, out, err = run("bank", "import", "ref", str(BANKS / "v1.csv"))
    assert (code, err) == (0, "")
    assert out.startswith("bank ref: imported") and "(csv)" in out and "3 entries" in out
    stored = {(e.hash_type, e.hash_value): e for e in entries(db, "ref")}
    assert stored[("pdq", PDQ)].category == "csam" and stored[("pdq", PDQ)].source_ref == "case-1"
    assert all(e.enabled for e in stored.values())
    code, out, _ = run("bank", "list", "--json")
    assert code == 0
    (row,) = [json.loads(line) for line in out.splitlines()]
    assert (row["name"], row["threshold"], row["entries"], row["enabled_entries"]) == (
        "ref", 31, 3, 3
    )
    code, out, _ = run("bank", "list")
    assert out.splitlines()[0].split()[:2] == ["NAME", "THRESHOLD"]
    assert ("banker", "bank.create") in audit_actions(db)


def test_broken_file_is_refused_whole(db: Path) -> None:
    """Invalid lines are listed with their numbers and nothing is imported (exit 2)."""
    code, out, err = run("bank", "import", "ref", str(BANKS / "broken.csv"))
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "line 3:" in err and "line 4:" in err and "nothing was imported" in err
    assert "--skip-invalid" in err
    assert entries(db, "ref") == []
    assert run("bank", "list")[1] == "no banks\n"


def test_skip_invalid_imports_the_rest(db: Path) -> None:
    """--skip-invalid imports the valid lines and warns about the others."""
    code, out, err = run("bank", "import", "ref", str(BANKS / "signals-broken.txt"),
                         "--skip-invalid", "--category", "CSAM")
    assert code == 0
    assert err.startswith("chanwatch: warning: skipped") and "line 2:" in err
    assert "(hma)" in out
    stored = entries(db, "ref")
    assert [(e.hash_type, e.hash_value, e.category) for e in stored] == [("pdq", PDQ, "csam")]


def test_update_with_replace_disables_absent_entries(db: Path) -> None:
    """Re-importing v2 with --replace adds the new entry and disables the dropped one."""
    assert run("bank", "import", "ref", str(BANKS / "v1.csv"))[0] == 0
    code, out, _ = run("bank", "import", "ref", str(BANKS / "v2.csv"), "--replace")
    assert code == 0 and "1 new to the bank" in out
    state = {e.hash_type: e.enabled for e in entries(db, "ref")}
    assert state == {"pdq": True, "md5": False, "sha256": True, "sha1": True}


def test_tombstones_disable_by_reference(db: Path) -> None:
    """An NCMEC tombstone (id only) disables that record's entries; nothing is deleted."""
    assert run("bank", "import", "ncmec", str(BANKS / "ncmec-v1.jsonl"))[0] == 0
    before = entries(db, "ncmec")
    code, out, _ = run("bank", "import", "ncmec", str(BANKS / "ncmec-v2.jsonl"))
    assert code == 0 and "(ncmec)" in out
    after = {e.id: e for e in entries(db, "ncmec")}
    assert set(after) >= {e.id for e in before}  # never forgotten
    n1 = [e for e in after.values() if e.source_ref == "N-1"]
    assert n1 and not any(e.enabled for e in n1)
    assert all(e.enabled for e in after.values() if e.source_ref in ("N-2", "N-3"))


def test_threshold_for_a_new_bank(db: Path) -> None:
    """--threshold sets a new bank's PDQ threshold; it cannot be changed by a later import."""
    assert run("bank", "import", "strict", str(BANKS / "v1.csv"), "--threshold", "10")[0] == 0
    (row,) = [json.loads(x) for x in run("bank", "list", "--json")[1].splitlines()]
    assert row["threshold"] == 10
    code, _, err = run("bank", "import", "strict", str(BANKS / "v2.csv"), "--threshold", "20")
    assert code == 2 and "exists with threshold 10" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--threshold", "300"), "0..256"),
        (("--format", "hma"), "line 1:"),
    ],
)
def test_bad_options(db: Path, args: tuple[str, ...], message: str) -> None:
    """A threshold out of range, or a wrong explicit format, is bad input (exit 2)."""
    code, _, err = run("bank", "import", "ref", str(BANKS / "v1.csv"), *args)
    assert code == 2 and message in err


def test_missing_and_unrecognised_files(db: Path, tmp_path: Path) -> None:
    """A file that cannot be read or whose format cannot be told: exit 2, one line."""
    code, _, err = run("bank", "import", "ref", str(tmp_path / "nope.csv"))
    assert code == 2 and "cannot read bank file" in err
    odd = tmp_path / "odd.txt"
    odd.write_text("hello world\n", encoding="utf-8")
    code, _, err = run("bank", "import", "ref", str(odd))
    assert code == 2 and "cannot tell the format" in err and err.count("\n") == 1


def test_import_needs_the_admin_role(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An operator may list banks but not import them."""
    monkeypatch.setenv("CHANWATCH_TOKEN", os.environ["_TEST_OPERATOR_TOKEN"])
    code, _, err = run("bank", "import", "ref", str(BANKS / "v1.csv"))
    assert code == 1 and "admin" in err
    assert run("bank", "list")[0] == 0
    assert entries(db, "ref") == []


def test_list_shows_false_positives_per_bank(db: Path) -> None:
    """Dismissed alerts count as false positives of the matched bank, with their rate
    among the decided alerts; a confirmed one fills the `confirmed` bank."""
    assert run("bank", "import", "ref", str(BANKS / "v1.csv"))[0] == 0

    async def decide() -> None:
        from datetime import UTC, datetime

        from storage.models import MatchIn, NewMedia, PostRecord

        store = SQLiteStore(db)
        await store.open()
        try:
            (entry,) = [e async for e in store.iter_bank_entries() if e.hash_type == "pdq"]
            now = datetime.now(UTC)
            for n, state in ((1, "dismissed"), (2, "dismissed"), (3, "confirmed")):
                await store.record_post(PostRecord(
                    channel_id=9, message_id=n, date=now, text="", edit_date=None,
                    author_signature=None, views=None, forwards=None, fwd_channel_id=None,
                    fwd_message_id=None, fwd_from_name=None, fwd_date=None, reply_to=None,
                    grouped_id=None, entities_json="[]", links=(), mentions=(),
                    captured_at=now, captured_by="acct"))
                m = await store.add_media(NewMedia(
                    file_id=f"photo:{n}", kind="photo", size=1, mime=None, width=None,
                    height=None, duration=None, sha256=f"{n:064x}", md5=None, pdq=PDQ,
                    pdq_quality=90, status="hashed"))
                alert = await store.raise_alert(9, n, [MatchIn(entry.id, m.id, "pdq", 3)], 1,
                                                now)
                await transition_alert(store, alert.id, state, "opal", "decided")  # type: ignore[arg-type]
        finally:
            await store.close()

    asyncio.run(decide())
    code, out, _ = run("bank", "list", "--json")
    assert code == 0
    rows = {r["name"]: r for r in map(json.loads, out.splitlines())}
    ref = rows["ref"]
    assert (ref["confirmed"], ref["false_positives"], ref["fp_rate"]) == (1, 2, "66.7%")
    assert ref["disabled_for_media"] == 2
    assert rows["confirmed"]["enabled_entries"] == 2  # sha256 and pdq of the confirmed media
    code, out, _ = run("bank", "list")
    header = out.splitlines()[0].split()
    assert code == 0
    assert "FALSE_POSITIVES" in header and "FP_RATE" in header
