"""chanwatch watch list|remove (and the removed watch add), in-process through
monitor.cli.main. Watches are made the lawful way: `watch request` under a case
with an authorization, `watch approve` by another user."""

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
    """A fresh database path for the commands, no outside CHANWATCH_* settings, and
    case K-1 whose court order covers the channels the tests watch; the
    investigator ivan is logged in."""
    for key in list(os.environ):
        if key.upper().startswith("CHANWATCH_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "cw.db"
    monkeypatch.setenv("CHANWATCH_DATABASE__PATH", str(path))
    # state-changing commands need an authenticated user holding the role
    TOKENS.clear()
    TOKENS.update(seed_cli_users(path, {"ivan": ("investigator",), "sam": ("supervisor",)}))
    monkeypatch.setenv("CHANWATCH_TOKEN", TOKENS["ivan"])
    assert run("case", "open", "K-1", "--title", "t", "--supervisor", "sam")[0] == 0
    authorize = ["case", "authorize", "K-1", "--kind", "court", "--authority", "AG"]
    authorize += ["--document", "Gs 1", "--until", "+30d"]
    for channel in SCOPE:
        authorize += ["--scope", channel]
    code, _, err = run(*authorize)
    assert code == 0, err
    return path


#: Channels the case's authorization covers.
SCOPE = ("@some_channel", "@alpha_chan", "t.me/+AbCdEfGh12", "@gone_chan")
#: user -> personal API token, filled by the ``db`` fixture.
TOKENS: dict[str, str] = {}


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


def as_user(monkeypatch: pytest.MonkeyPatch, user: str) -> None:
    monkeypatch.setenv("CHANWATCH_TOKEN", TOKENS[user])


def approved_watch(monkeypatch: pytest.MonkeyPatch, target: str) -> None:
    """ivan requests ``target`` under K-1 and sam approves it: an approved watch."""
    as_user(monkeypatch, "ivan")
    code, _, err = run("watch", "request", "K-1", target, "--reason", "lead")
    assert code == 0, err
    code, out, err = run("watch", "requests", "--json")
    request = max(json.loads(line)["id"] for line in out.splitlines())
    as_user(monkeypatch, "sam")
    code, out, err = run("watch", "approve", str(request), "--note", "order checked")
    assert code == 0 and "approved: watch" in out, err


def test_request_list_remove(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An approved request's watch is listed, removed by a supervisor, and each
    change audited."""
    approved_watch(monkeypatch, "https://t.me/Some_Channel")
    code, out, _ = run("watch", "list")
    assert code == 0
    header, row = out.strip().splitlines()
    assert header.split()[:3] == ["ID", "STATE", "TARGET"]
    assert row.split()[:3] == ["1", "approved", "https://t.me/Some_Channel"]

    code, out, _ = run("watch", "remove", "1", "--reason", "case closed")
    assert code == 0 and "watch 1 removed" in out
    code, out, _ = run("watch", "list", "--json")
    (record,) = [json.loads(line) for line in out.splitlines()]
    assert record["state"] == "revoked" and record["reason"] == "case closed"

    actions = audit_rows(db, "watch:1")
    assert ("sam", "watch.create") in actions
    assert ("sam", "watch.update") in actions


def test_list_json_and_state_filter(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--json prints one object per line with every field; --state filters."""
    approved_watch(monkeypatch, "@alpha_chan")
    approved_watch(monkeypatch, "t.me/+AbCdEfGh12")
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


def test_request_bad_target(db: Path) -> None:
    """`watch request` for a name that is not a channel is refused with exit
    status 2 and one line; no request is recorded."""
    code, out, err = run("watch", "request", "K-1", "https://example.com/x", "--reason", "r")
    assert code == 2 and out == ""
    assert err.startswith("chanwatch: error: ") and err.count("\n") == 1
    assert "not a channel reference" in err
    assert run("watch", "requests") == (0, "no watch requests\n", "")


def test_remove_unknown_or_ended(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Removing an unknown or already ended watch says so (exit status 2)."""
    as_user(monkeypatch, "sam")
    code, _, err = run("watch", "remove", "9")
    assert code == 2 and "no watch with id 9" in err
    approved_watch(monkeypatch, "@gone_chan")
    assert run("watch", "remove", "1")[0] == 0
    code, _, err = run("watch", "remove", "1")
    assert code == 2 and "already ended" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["watch", "add", "@alpha_chan"],
        ["watch", "add", "@alpha_chan", "--reason", "case 7"],
        ["watch", "add"],
    ],
)
def test_watch_add_was_removed(db: Path, argv: list[str]) -> None:
    """The old `watch add` is a usage error (exit 2, one line) that points at
    `watch request`, and it creates nothing."""
    code, out, err = run(*argv)
    assert code == 2 and out == ""
    assert err.startswith("chanwatch: error: `chanwatch watch add` was removed")
    assert "chanwatch watch request CASE TARGET --reason" in err and err.count("\n") == 1
    assert run("watch", "list") == (0, "no watches\n", "")
    assert audit_rows(db, "watch:1") == []


def test_watch_add_is_not_listed_in_help(capsys: pytest.CaptureFixture[str]) -> None:
    """`watch --help` lists the commands that exist, not the removed `add`."""
    assert main(["watch", "--help"]) == 0
    listed = capsys.readouterr().out
    assert "request" in listed and "remove" in listed
    assert not any(line.split()[:1] == ["add"] for line in listed.splitlines())
