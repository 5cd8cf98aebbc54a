"""The access commands in-process through monitor.cli.main: init, user, case,
watch request|approve|requests, account."""

from __future__ import annotations

import asyncio
import io
import json
import os
import stat
import sys
from pathlib import Path

import pytest

from access.users import Users
from monitor.cli import main
from storage.sqlite import SQLiteStore


def run(*argv: str, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    saved, sys.stdin = sys.stdin, io.StringIO(stdin)
    try:
        code = main(list(argv), stdout=out, stderr=err)
    finally:
        sys.stdin = saved
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def admin(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """`chanwatch init` on a fresh database; the admin's token is in CHANWATCH_TOKEN."""
    for key in list(os.environ):
        if key.upper().startswith("CHANWATCH_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CHANWATCH_DATABASE__PATH", str(tmp_path / "cw.db"))
    code, out, err = run(
        "init", "root", "--password-stdin", "--token", stdin="the admin's passphrase\n"
    )
    assert code == 0 and "admin 'root' created" in err
    token = out.strip()
    monkeypatch.setenv("CHANWATCH_TOKEN", token)
    return token


def add_user(user: str, roles: list[str]) -> None:
    """The admin (CHANWATCH_TOKEN) adds ``user`` with ``roles``."""
    args = ["user", "add", user, "--password-stdin"]
    for role in roles:
        args += ["--role", role]
    code, _, err = run(*args, stdin=f"{user}'s passphrase!\n")
    assert code == 0, err


def token_for(user: str) -> str:
    """A personal token for ``user``, issued as ``chanwatch user token`` would after
    a password login (the prompt needs a terminal, which tests do not have)."""

    async def issue() -> str:
        store = SQLiteStore(Path(os.environ["CHANWATCH_DATABASE__PATH"]))
        await store.open()
        try:
            return (await Users(store).issue_token(user, "test")).token
        finally:
            await store.close()

    return asyncio.run(issue())


def test_init_user_add_and_list(admin: str) -> None:
    """The admin adds users with roles; `user list --json` shows them without secrets."""
    assert admin.startswith("cwt_")
    add_user("ivan", ["investigator"])
    code, out, _ = run("user", "list", "--json")
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and {r["username"]: r["roles"] for r in rows} == {
        "ivan": ["investigator"],
        "root": ["admin"],
    }
    assert "password" not in out and "argon2" not in out
    code, out, _ = run("user", "disable", "ivan", "--reason", "left the unit")
    assert code == 0 and "disabled" in out


def test_init_creates_the_ledger_signing_key(admin: str, tmp_path: Path) -> None:
    """init creates the signing key (mode 0600) whose vkey `evidence key` prints;
    a second, refused init leaves it as it was."""
    key = tmp_path / "chanwatch-ledger.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    before = key.read_bytes()
    code, vkey, _ = run("evidence", "key")
    assert code == 0 and vkey.startswith("chanwatch.local/ledger+")
    code, _, err = run("init", "again", "--password-stdin", stdin="another passphrase!\n")
    assert code != 0 and "already initialised" in err
    assert key.read_bytes() == before


def test_case_flow_and_show(admin: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """An investigator opens a case and records an authorization; a supervisor
    approves the request; `case show --json` holds both."""
    add_user("ivan", ["investigator"])
    add_user("sam", ["supervisor"])
    monkeypatch.setenv("CHANWATCH_TOKEN", token_for("ivan"))
    assert run("case", "open", "K-1", "--title", "Market", "--supervisor", "sam")[0] == 0
    code, out, _ = run(
        "case",
        "authorize",
        "K-1",
        "--kind",
        "court-approval",
        "--authority",
        "AG Berlin",
        "--document",
        "Gs 12/26",
        "--until",
        "+30d",
        "--scope",
        "t.me/alpha_news",
    )
    assert code == 0 and "authorization #1 recorded" in out and "@alpha_news" in out
    code, out, _ = run("watch", "request", "K-1", "@alpha_news", "--reason", "sells material")
    assert code == 0 and "watch request #1" in out
    monkeypatch.setenv("CHANWATCH_TOKEN", token_for("sam"))
    code, out, _ = run("watch", "approve", "1", "--note", "order checked")
    assert code == 0 and "approved: watch 1" in out
    code, out, _ = run("case", "show", "K-1", "--json")
    case = json.loads(out)
    assert case["authorizations"][0]["status"] == "valid"
    assert case["requests"][0]["state"] == "approved" and case["requests"][0]["watch_id"] == 1
    code, out, _ = run("watch", "requests", "--state", "approved")
    assert code == 0 and "@alpha_news" in out


def test_bad_input_is_one_clear_line(admin: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bad time, an unknown kind, a limit broken: exit 2 with the reason."""
    add_user("ivan", ["investigator"])
    add_user("sam", ["supervisor"])
    monkeypatch.setenv("CHANWATCH_TOKEN", token_for("ivan"))
    assert run("case", "open", "K-1", "--title", "t", "--supervisor", "sam")[0] == 0
    base = [
        "case",
        "authorize",
        "K-1",
        "--authority",
        "AG",
        "--document",
        "D",
        "--scope",
        "@alpha_news",
    ]
    code, _, err = run(*base, "--kind", "court", "--until", "next tuesday")
    assert code == 2 and "not a time: 'next tuesday'" in err
    code, _, err = run(*base, "--kind", "hunch", "--until", "+1d")
    assert code == 2 and "unknown authorization kind 'hunch'" in err
    code, _, err = run(*base, "--kind", "court", "--until", "+200d")
    assert code == 2 and "at most 3 months" in err
    assert err.count("\n") == 1


def test_accounts_add_list_disable(admin: str, tmp_path: Path) -> None:
    """Accounts are added with their session file, listed with their pace, disabled."""
    session = tmp_path / "p1.session"
    session.write_bytes(b"")
    session.chmod(0o644)
    code, _, err = run("account", "add", "p1", "--session", str(session))
    assert code == 2 and "chmod 600" in err
    session.chmod(0o600)
    assert run("account", "add", "p1", "--session", str(session))[0] == 0
    code, out, _ = run("account", "list", "--json")
    [row] = [json.loads(line) for line in out.splitlines()]
    assert (row["name"], row["status"], row["limit"], row["channels"]) == ("p1", "active", 450, 0)
    code, out, _ = run("account", "disable", "p1", "--reason", "persona burnt")
    assert code == 0 and "disabled" in out
