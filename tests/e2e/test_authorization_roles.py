"""Every state-changing command refuses a user without its role, and changes
nothing; the walk covers every command the CLI registers (a new command fails
this test until it is classified here)."""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import io
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from access_support import CLI_USERS, READ_COMMANDS, seed_cli_users
from db_backends import SQLiteRaw

from monitor.cli import LOGIN_TO_READ, build_parser, main
from storage.sqlite import SQLiteStore

#: command -> (role it needs, arguments). The arguments are valid enough that
#: only the missing role stops the command.
NEEDS_ROLE: dict[str, tuple[str | tuple[str, ...], list[str]]] = {
    "user add": ("admin", ["user", "add", "zed", "--role", "operator", "--password-stdin"]),
    "user disable": ("admin", ["user", "disable", "otto", "--reason", "left"]),
    "user enable": ("admin", ["user", "enable", "otto"]),
    "login": ("admin", ["login", "--phone", "+999661234"]),
    "account add": ("admin", ["account", "add", "p9", "--session", "{tmp}/p9.session"]),
    "account disable": ("admin", ["account", "disable", "p1", "--reason", "burnt"]),
    "watch remove": ("supervisor", ["watch", "remove", "1", "--reason", "done"]),
    "watch request": (
        "investigator",
        ["watch", "request", "K-1", "@alpha_news", "--reason", "lead"],
    ),
    "watch approve": ("supervisor", ["watch", "approve", "1"]),
    "watch refuse": ("supervisor", ["watch", "refuse", "1", "--note", "no"]),
    "case open": ("investigator", ["case", "open", "K-2", "--title", "t", "--supervisor", "sam"]),
    "case authorize": (
        "investigator",
        [
            "case",
            "authorize",
            "K-1",
            "--kind",
            "court",
            "--authority",
            "AG",
            "--document",
            "Gs 2",
            "--until",
            "+30d",
            "--scope",
            "@alpha_news",
        ],
    ),
    "case extend": (
        "investigator",
        ["case", "extend", "1", "--until", "+60d", "--authority", "AG", "--document", "Gs 3"],
    ),
    "case confirm": (
        "investigator",
        ["case", "confirm", "1", "--authority", "AG", "--document", "Gs 4"],
    ),
    "case revoke": ("supervisor", ["case", "revoke", "1", "--reason", "lifted"]),
    "bank import": ("admin", ["bank", "import", "known", "{tmp}/bank.csv"]),
    "alerts claim": ("operator", ["alerts", "claim", "1"]),
    # a supervisor may decide too (and overrule another's claim: hotline/queue.py)
    "alerts confirm": (("operator", "supervisor"), ["alerts", "confirm", "1", "--note", "seen"]),
    "alerts dismiss": (
        ("operator", "supervisor"),
        ["alerts", "dismiss", "1", "--note", "false positive"],
    ),
    "evidence export": (
        "supervisor",
        ["evidence", "export", "--case", "K-1", "-o", "{tmp}/bundle.zip"],
    ),
    "evidence key": ("admin", ["evidence", "key", "--generate"]),
    "evidence checkpoint": ("supervisor", ["evidence", "checkpoint"]),
}
#: Commands any logged-in user may run for themselves (refused without credentials).
SELF_SERVICE: dict[str, list[str]] = {
    "user passwd": ["user", "passwd", "--password-stdin"],
    "user token": ["user", "token", "--label", "x"],
    "user revoke-tokens": ["user", "revoke-tokens"],
}
#: Commands that only read case data: any logged-in user, refused without one.
READ_ONLY = READ_COMMANDS
#: Commands that need no logged-in user, and why.
NO_USER = {
    "init": "creates the first admin; refused once any user exists (tested below)",
    "run": "the service itself: acts as service:chanwatch, and everything it joins or "
    "records passes the authorization gate",
    "watch add": "removed: a usage error naming `watch request`, before any login or change "
    "(tests/monitor/test_cli_watch.py)",
    "sim": "starts a test Telegram server in its own folder; opens no database "
    "(tests/monitor/test_cli_sim.py)",
    "health": "reads only the running monitor's heartbeat file, no database or case data "
    "(tests/monitor/test_health.py)",
    "hash": "hashes the files it is given; opens no database",
    "evidence verify": "checks a bundle file against a verifier key; opens no database",
    "web": "serves the console: every page and API call signs its user in and checks "
    "the role (tests/hotline/console/test_console_refusals.py)",
}


def leaves(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> Iterator[str]:
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        yield " ".join(path)
        return
    for name, child in subs[0].choices.items():
        yield from leaves(child, (*path, name))


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    """A database with one user per role, a case with an authorization, a pending
    request, a watch and an alert; returns each user's token."""
    for key in list(os.environ):
        if key.upper().startswith("CHANWATCH_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "cw.db"
    monkeypatch.setenv("CHANWATCH_DATABASE__PATH", str(db))
    monkeypatch.setenv("CHANWATCH_LEDGER__SIGNING_KEY_FILE", str(tmp_path / "ledger.key"))
    tokens = seed_cli_users(db, {**CLI_USERS, "boss": ("investigator", "supervisor")})
    (tmp_path / "bank.csv").write_text("hash_type,hash_value\nsha256," + "ab" * 32 + "\n")
    monkeypatch.setenv("CHANWATCH_TOKEN", tokens["ivan"])
    assert run("case", "open", "K-1", "--title", "t", "--supervisor", "sam")[0] == 0
    assert (
        run(
            "case",
            "authorize",
            "K-1",
            "--kind",
            "court",
            "--authority",
            "AG",
            "--document",
            "Gs 1",
            "--until",
            "+30d",
            "--scope",
            "@alpha_news",
        )[0]
        == 0
    )
    assert run("watch", "request", "K-1", "@alpha_news", "--reason", "lead")[0] == 0
    monkeypatch.setenv("CHANWATCH_TOKEN", tokens["root"])
    assert run("account", "add", "p1", "--session", str(tmp_path / "p1.session"))[0] == 0
    monkeypatch.delenv("CHANWATCH_TOKEN")
    return tokens


def run(*argv: str, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    saved, sys.stdin = sys.stdin, io.StringIO(stdin)
    try:
        code = main(list(argv), stdout=out, stderr=err)
    finally:
        sys.stdin = saved
    return code, out.getvalue(), err.getvalue()


def fingerprint(db: Path) -> str:
    """A digest of every row of every table, except the audit rows of refusals
    (and their ledger records)."""

    raw = SQLiteRaw(db)
    digest = hashlib.sha256()
    for (table,) in raw.query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"):
        where = {
            "audit": " WHERE action <> 'access.refused'",
            "ledger": " WHERE type <> 'access.refused'",
        }.get(table, "")
        rows = raw.query(f"SELECT * FROM {table}{where}")
        digest.update(f"{table}:{sorted(rows)!r}".encode())
    return digest.hexdigest()


def test_every_command_is_classified() -> None:
    """Each registered command needs a role, is self-service, read-only or needs no user."""
    known = set(NEEDS_ROLE) | set(SELF_SERVICE) | set(READ_ONLY) | set(NO_USER)
    assert set(leaves(build_parser())) == known
    assert set(READ_ONLY) == LOGIN_TO_READ


def test_reads_of_case_data_need_a_login(
    cli: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every read command, without a token or terminal, is refused (exit 1), prints
    nothing on stdout and is audited; with any user's token it runs."""
    db = tmp_path / "cw.db"
    for command, argv in READ_ONLY.items():
        code, out, err = run(*argv)
        assert code == 1 and out == "", (command, out)
        assert f"refused: `{command}` needs a logged-in user" in err, (command, err)
        assert err.count("\n") == 1, (command, err)  # one line, no log lines
    refused = {r[2] for r in audit(db) if r[1] == "access.refused"}
    assert {f"command:{c}" for c in READ_ONLY} <= refused
    monkeypatch.setenv("CHANWATCH_TOKEN", cli["otto"])
    code, out, err = run("case", "list")
    assert code == 0 and "K-1" in out, err


def test_a_user_without_the_role_is_refused_for_every_command(
    cli: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every state-changing command, run by each user lacking its role, is refused
    with a message naming the role, audited, and changes nothing."""
    db = tmp_path / "cw.db"
    for command, (role, argv) in NEEDS_ROLE.items():
        args = [a.replace("{tmp}", str(tmp_path)) for a in argv]
        wanted = (role,) if isinstance(role, str) else role
        for user, roles in CLI_USERS.items():
            if set(wanted) & set(roles):
                continue
            before = fingerprint(db)
            monkeypatch.setenv("CHANWATCH_TOKEN", cli[user])
            code, out, err = run(*args, stdin="a new password here\n")
            assert code != 0, (command, user, out)
            needed = " or ".join(repr(r) for r in wanted)
            assert f"refused: user '{user}' lacks the role {needed}" in err, (command, user, err)
            assert f"`{command}`" in err
            assert fingerprint(db) == before, (command, user)
    refusals = [r for r in audit(db) if r[1] == "access.refused"]
    assert {r[2] for r in refusals} == {f"command:{c}" for c in NEEDS_ROLE}


def test_without_credentials_every_changing_command_is_refused(
    cli: dict[str, str], tmp_path: Path
) -> None:
    """No token and no terminal: every state-changing command says how to log in."""
    db = tmp_path / "cw.db"
    before = fingerprint(db)
    argvs = [a for _role, a in NEEDS_ROLE.values()] + list(SELF_SERVICE.values())
    for argv in argvs:
        args = [a.replace("{tmp}", str(tmp_path)) for a in argv]
        code, _out, err = run(*args, stdin="a new password here\n")
        assert code != 0 and "needs a logged-in user: set CHANWATCH_TOKEN" in err, args
    assert fingerprint(db) == before


def test_self_approval_is_refused_through_the_cli(
    cli: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A user holding both roles cannot approve their own watch request."""
    monkeypatch.setenv("CHANWATCH_TOKEN", cli["boss"])
    code, out, _ = run("watch", "request", "K-1", "@alpha_news", "--reason", "mine")
    assert code == 0 and "watch request #2" in out
    code, _, err = run("watch", "approve", "2")
    assert code == 2 and "self-approval refused" in err
    monkeypatch.setenv("CHANWATCH_TOKEN", cli["sam"])
    code, out, _ = run("watch", "approve", "2", "--note", "checked the order")
    assert code == 0 and "approved: watch" in out


def test_init_is_refused_once_users_exist(cli: dict[str, str]) -> None:
    """`init` creates the first admin only."""
    code, _, err = run("init", "mallory", "--password-stdin", stdin="a password long enough\n")
    assert code == 2 and "already initialised" in err


def test_self_service_commands_act_for_the_logged_in_user(
    cli: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`user token` issues a working token for the caller; `user passwd` of
    someone else needs the admin role."""
    monkeypatch.setenv("CHANWATCH_TOKEN", cli["otto"])
    code, out, _ = run("user", "token", "--label", "script")
    assert code == 0 and out.startswith("cwt_")
    monkeypatch.setenv("CHANWATCH_TOKEN", out.strip())
    code, _, err = run("user", "passwd", "ivan", "--password-stdin", stdin="hijacked password\n")
    assert code == 1 and "lacks the role 'admin'" in err
    code, out, _ = run("user", "passwd", "--password-stdin", stdin="otto's new password\n")
    assert code == 0 and "password of 'otto' changed" in out


def audit(db: Path) -> list[tuple[str, str, str]]:
    async def read() -> list[tuple[str, str, str]]:
        store = SQLiteStore(db)
        await store.open()
        try:
            rows = await store.list_audit(limit=10_000)
            return [(r.actor, r.action, r.subject) for r in rows]
        finally:
            await store.close()

    return asyncio.run(read())
