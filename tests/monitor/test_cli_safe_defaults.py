"""Issue 18's safe defaults, through the real command line: a read command in an
empty folder creates nothing; files chanwatch makes are 0600 (directories 0700);
`init` takes the ledger origin, a changed origin later is an error, a failed
`init` leaves nothing; errors are one line without log lines; scripted tokens
(--password-stdin, an admin's token for a user, revoke-tokens); a supervisor
decides an alert another operator claimed."""

from __future__ import annotations

import io
import json
import os
import stat
import sys
from pathlib import Path

import pytest
from access_support import READ_COMMANDS, seed_cli_users

from monitor.cli import LOGIN_TO_READ, main

PW = "a long enough password"  # test-only
#: Each read command with arguments valid enough to reach the database.
READS = READ_COMMANDS


def run(*argv: str, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    saved, sys.stdin = sys.stdin, io.StringIO(stdin)
    try:
        code = main(list(argv), stdout=out, stderr=err)
    finally:
        sys.stdin = saved
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def here(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """An empty folder, the working directory, with chanwatch's default settings
    except the signing key kept in it (never in the user's home)."""
    for key in list(os.environ):
        if key.upper().startswith("CHANWATCH_"):
            monkeypatch.delenv(key)
    folder = tmp_path / "empty"
    folder.mkdir()
    monkeypatch.chdir(folder)
    monkeypatch.setenv("CHANWATCH_LEDGER__SIGNING_KEY_FILE", str(tmp_path / "ledger.key"))
    return folder


def test_a_read_command_in_an_empty_folder_creates_nothing(here: Path) -> None:
    """Every read command: non-zero, one line naming the path and `chanwatch init`,
    and no database, -wal or -shm left behind."""
    assert set(READS) == LOGIN_TO_READ
    for command, argv in READS.items():
        code, out, err = run(*argv)
        assert code == 2 and out == "", (command, out, err)
        lines = err.splitlines()
        assert len(lines) == 1, (command, err)
        assert str(here / "chanwatch.db") in lines[0] and "chanwatch init" in lines[0], lines
        assert list(here.iterdir()) == [], (command, list(here.iterdir()))


def test_init_makes_private_files_and_takes_the_origin(here: Path) -> None:
    code, token, err = run(
        "init", "root", "--origin", "unit.test/ledger", "--token", "--password-stdin",
        stdin=PW + "\n",
    )
    assert code == 0, err
    assert "ledger origin: 'unit.test/ledger'" in err
    db = here / "chanwatch.db"
    for path in (db, here.parent / "ledger.key"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    os.environ["CHANWATCH_TOKEN"] = token.strip()
    try:
        code, out, err = run("user", "list")  # keeps the database open long enough
        assert code == 0, err
        for path in here.iterdir():  # the database and its WAL/SHM, if left
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        # the origin comes from the key: no setting needed, a contradicting one refused
        code, vkey, err = run("evidence", "key")
        assert code == 0 and vkey.startswith("unit.test/ledger+"), err
        os.environ["CHANWATCH_LEDGER__ORIGIN"] = "other.test/ledger"
        code, out, err = run("alerts", "list")
        assert code == 2 and out == ""
        assert err.count("\n") == 1 and "'unit.test/ledger'" in err and "never changes" in err
    finally:
        os.environ.pop("CHANWATCH_TOKEN", None)
        os.environ.pop("CHANWATCH_LEDGER__ORIGIN", None)


def test_a_failed_init_leaves_nothing(here: Path) -> None:
    key = here.parent / "ledger.key"
    # no terminal and no --password-stdin: refused before anything is made
    code, _, err = run("init", "root")
    assert code == 2 and "--password-stdin" in err
    assert list(here.iterdir()) == [] and not key.exists()
    # the key cannot be written (its folder is a file): the new database goes too
    # refused after the database and key were made (an invalid username): both go
    code, _, err = run("init", "Not A Name", "--password-stdin", stdin=PW + "\n")
    assert code == 2 and "invalid username" in err, err
    assert list(here.iterdir()) == [] and not key.exists()


def test_errors_are_one_line_and_logs_come_when_asked(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed_cli_users(here / "chanwatch.db", {"otto": ("operator",)})
    code, _, err = run("user", "add", "zed", "--role", "operator", "--password-stdin")
    assert code == 1 and err.count("\n") == 1 and "needs a logged-in user" in err
    assert "chanwatch user token NAME --password-stdin" in err  # a way in without a login
    assert capsys.readouterr().err == ""  # no log line beside it
    code, _, err = run("--log-format", "json", "alerts", "list")
    assert code == 1
    logged = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert any(line["event"] == "access_refused" for line in logged)
    assert all("datetime.datetime(" not in json.dumps(line) for line in logged)


def test_scripted_tokens(here: Path) -> None:
    """`user token NAME --password-stdin`, an admin's token for another user, and
    `user revoke-tokens`, all without a terminal and audited."""
    db = here / "chanwatch.db"
    code, _, err = run("init", "root", "--password-stdin", stdin=PW + "\n")
    assert code == 0, err
    code, root, err = run("user", "token", "root", "--password-stdin", stdin=PW + "\n")
    assert code == 0 and root.startswith("cwt_"), err
    os.environ["CHANWATCH_TOKEN"] = root.strip()
    try:
        code, _, err = run("user", "add", "ivan", "--role", "investigator", "--password-stdin",
                           stdin="ivan's own password\n")
        assert code == 0, err
        code, _, err = run("user", "token", "ivan", "--password-stdin", stdin="wrong password\n")
        assert code == 1 and "wrong username or password" in err
        code, own, err = run("user", "token", "ivan", "--password-stdin",
                             stdin="ivan's own password\n")
        assert code == 0 and own.startswith("cwt_"), err
        code, issued, err = run("user", "token", "ivan", "--label", "setup")
        assert code == 0 and "for 'ivan'" in err
        os.environ["CHANWATCH_TOKEN"] = issued.strip()
        code, out, err = run("case", "list")  # ivan's token works
        assert code == 0 and out == "no cases\n", err
        code, _, err = run("user", "token", "root")  # not an admin: refused
        assert code == 1 and "lacks the role 'admin'" in err
        os.environ["CHANWATCH_TOKEN"] = root.strip()
        code, out, err = run("user", "revoke-tokens", "ivan", "--reason", "left")
        assert code == 0 and "2 token(s) of 'ivan' revoked" in out, err
        os.environ["CHANWATCH_TOKEN"] = issued.strip()
        code, _, err = run("case", "list")
        assert code == 1 and "unknown or was revoked" in err
        os.environ["CHANWATCH_TOKEN"] = root.strip()
        code, out, err = run("audit", "list", "--subject", "user:ivan", "--json")
        assert code == 0, err
        rows = [json.loads(line) for line in out.splitlines()]
        actions = [(r["actor"], r["action"]) for r in rows]
        assert ("root", "token.create") in actions and ("ivan", "token.create") in actions
        assert ("root", "token.revoke") in actions
    finally:
        os.environ.pop("CHANWATCH_TOKEN", None)
    assert db.exists()


def test_every_argument_says_what_it_is() -> None:
    """`--help` of every command describes each of its arguments."""
    import argparse

    from monitor.cli import build_parser

    missing: list[str] = []

    def walk(parser: argparse.ArgumentParser, path: tuple[str, ...]) -> None:
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if subs:
            for name, child in subs[0].choices.items():
                walk(child, (*path, name))
            return
        missing.extend(
            f"{' '.join(path)}: {a.dest}"
            for a in parser._actions
            if not a.help and not isinstance(a, argparse._HelpAction)
        )

    walk(build_parser(), ())
    assert missing == []
