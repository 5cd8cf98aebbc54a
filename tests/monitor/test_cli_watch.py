"""chanwatch watch add|list|remove, in-process through monitor.cli.main."""

from __future__ import annotations

import asyncio
import io
import json
import os
from pathlib import Path

import pytest
from access_support import seed_cli_users

from monitor.cli import main
from storage.sqlite import SQLiteStore


@pytest.fixture
def db(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A fresh database path for the commands, and no outside CHANWATCH_* settings."""
    for key in list(os.environ):
        if key.upper().startswith("CHANWATCH_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "cw.db"
    monkeypatch.setenv("CHANWATCH_DATABASE__PATH", str(path))
    # state-changing commands need an authenticated user holding the role
    tokens = seed_cli_users(path, {"tester": ("admin", "investigator", "supervisor")})
    monkeypatch.setenv("CHANWATCH_TOKEN", tokens["tester"])
    return path


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def audit_rows(path: Path, subject: str) -> list[tuple[str, str]]:
    async def read() -> list[tuple[str, str]]:
        store = SQLiteStore(path)
        await store.open()
        try:
            return [(r.actor, r.action) for r in await store.list_audit(subject=subject)]
        finally:
            await store.close()

    return asyncio.run(read())


def test_add_list_remove(db: Path) -> None:
    """A watch is added as typed (normalized), listed, removed, and each change audited."""
    code, out, err = run("watch", "add", "https://t.me/Some_Channel", "--reason", "case 7")
    assert (code, err) == (0, "")
    assert "watch 1 added: @some_channel (approved)" in out

    code, out, _ = run("watch", "list")
    assert code == 0
    header, row = out.strip().splitlines()
    assert header.split()[:3] == ["ID", "STATE", "TARGET"]
    assert row.split()[:3] == ["1", "approved", "@some_channel"]

    code, out, _ = run("watch", "remove", "1", "--reason", "case closed")
    assert code == 0 and "watch 1 removed" in out
    code, out, _ = run("watch", "list", "--json")
    (record,) = [json.loads(line) for line in out.splitlines()]
    assert record["state"] == "revoked" and record["reason"] == "case closed"

    actor = "tester"
    actions = audit_rows(db, "watch:1")
    assert (actor, "watch.add") in actions
    assert (actor, "watch.update") in actions


def test_list_json_and_state_filter(db: Path) -> None:
    """--json prints one object per line with every field; --state filters."""
    assert run("watch", "add", "@alpha_chan")[0] == 0
    assert run("watch", "add", "t.me/+AbCdEfGh12")[0] == 0
    assert run("watch", "remove", "1")[0] == 0
    code, out, _ = run("--json", "watch", "list")
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["target"] for r in rows] == ["@alpha_chan", "t.me/+AbCdEfGh12"]
    assert set(rows[0]) >= {"id", "state", "target", "channel_id", "created_at", "reason"}
    code, out, _ = run("watch", "list", "--state", "approved", "--json")
    assert code == 0
    assert [json.loads(line)["id"] for line in out.splitlines()] == [2]


def test_empty_list(db: Path) -> None:
    """No watches: a clear line, and nothing at all with --json."""
    assert run("watch", "list") == (0, "no watches\n", "")
    assert run("watch", "list", "--json") == (0, "", "")


def test_bad_target(db: Path) -> None:
    """A name that is not a channel is refused with exit status 2 and one line."""
    code, out, err = run("watch", "add", "https://example.com/x")
    assert code == 2 and out == ""
    assert err.startswith("chanwatch: error: ") and err.count("\n") == 1
    assert "is not a channel" in err


def test_duplicate_watch(db: Path) -> None:
    """The same channel (any spelling) cannot be watched twice at once."""
    assert run("watch", "add", "@Dup_chan")[0] == 0
    code, _, err = run("watch", "add", "t.me/dup_chan")
    assert code == 2 and "already watched (watch 1" in err
    assert run("watch", "remove", "1")[0] == 0
    assert run("watch", "add", "@dup_chan")[0] == 0  # allowed again once the first ended


def test_remove_unknown_or_ended(db: Path) -> None:
    """Removing an unknown or already ended watch says so (exit status 2)."""
    code, _, err = run("watch", "remove", "9")
    assert code == 2 and "no watch with id 9" in err
    assert run("watch", "add", "@gone_chan")[0] == 0
    assert run("watch", "remove", "1")[0] == 0
    code, _, err = run("watch", "remove", "1")
    assert code == 2 and "already ended" in err
