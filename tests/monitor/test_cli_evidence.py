"""chanwatch evidence export|verify|verify-db|key|checkpoint, in-process through
monitor.cli.main against a real SQLite store."""

from __future__ import annotations

import asyncio
import io
import os
import sqlite3
import stat
import zipfile
from pathlib import Path

import pytest
from tsa_support import closed_port_url, make_tsa, serve

from access.users import Users
from monitor.cli import main
from storage.ledger.ledger import append_record
from storage.repos import Transaction
from storage.sqlite import SQLiteStore


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A fresh database and key path, and no outside CHANWATCH_* settings."""
    for key in list(os.environ):
        if key.upper().startswith("CHANWATCH_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CHANWATCH_DATABASE__PATH", str(tmp_path / "cw.db"))
    monkeypatch.setenv("CHANWATCH_LEDGER__SIGNING_KEY_FILE", str(tmp_path / "ledger.key"))
    monkeypatch.setenv("CHANWATCH_LEDGER__ORIGIN", "unit.test/chanwatch")
    return tmp_path


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


PASSWORD = "correct horse battery staple"


@pytest.fixture
def tokens(env: Path) -> dict[str, str]:
    """An admin and a supervisor with personal API tokens (real users in the store)."""
    async def go() -> dict[str, str]:
        store = SQLiteStore(env / "cw.db")
        await store.open()
        try:
            users = Users(store)
            await users.init_admin("adm", PASSWORD)
            await users.add("adm", "sue", ["supervisor"], PASSWORD, "test")
            await users.add("adm", "otto", ["operator"], PASSWORD, "test")
            return {name: (await users.issue_token(name, "cli")).token
                    for name in ("adm", "sue", "otto")}
        finally:
            await store.close()

    return asyncio.run(go())


def ledger_size(path: Path) -> int:
    """Records in the ledger (user changes and logins are recorded too)."""
    with sqlite3.connect(path) as conn:
        return int(conn.execute("SELECT count(*) FROM ledger").fetchone()[0])


def as_user(monkeypatch: pytest.MonkeyPatch, token: str) -> None:
    monkeypatch.setenv("CHANWATCH_TOKEN", token)


def seed(path: Path) -> None:
    async def go() -> None:
        store = SQLiteStore(path)
        await store.open()

        async def add(tx: Transaction) -> None:
            await append_record(tx, "authorization.granted", "sup", {
                "case": "K-1", "authorization": "A-1", "channels": [100]})
            for i in range(3):
                await append_record(tx, "post.captured", "service:monitor", {
                    "channel": 100, "message": i, "authorization": "A-1", "text_sha256": "00"})

        try:
            await store.transaction(add)
        finally:
            await store.close()

    asyncio.run(go())


def test_key_checkpoint_export_verify(
    env: Path, tokens: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The supervisor's whole path: key, checkpoint, export, verify (0), verify-db (0)."""
    as_user(monkeypatch, tokens["adm"])
    code, vkey, err = run("evidence", "key", "--generate")
    assert code == 0, err
    vkey = vkey.strip()
    assert vkey.startswith("unit.test/chanwatch+")
    assert stat.S_IMODE((env / "ledger.key").stat().st_mode) == 0o600
    assert run("evidence", "key")[1].strip() == vkey
    seed(env / "cw.db")
    as_user(monkeypatch, tokens["sue"])

    code, out, err = run("evidence", "checkpoint")
    assert code == 0, err
    assert out.startswith(f"unit.test/chanwatch\n{ledger_size(env / 'cw.db')}\n")

    code, out, err = run("evidence", "export", "--case", "K-1", "-o", "k1.zip")
    assert code == 0, err
    assert "exported case K-1: 5 records" in out
    monkeypatch.delenv("CHANWATCH_TOKEN")  # verifying needs no account

    code, out, _ = run("evidence", "verify", "k1.zip", "--key", vkey, "--case", "K-1")
    assert code == 0 and out.splitlines()[-1].startswith("VERIFIED: case K-1, 5 records")
    (env / "trusted.vkey").write_text(vkey + "\n")
    assert run("evidence", "verify", "k1.zip", "--key", "trusted.vkey")[0] == 0
    code, out, _ = run("evidence", "verify", "k1.zip")  # trusted: this installation's key
    assert code == 0 and "not checked" not in out
    monkeypatch.setenv("CHANWATCH_LEDGER__SIGNING_KEY_FILE", str(env / "elsewhere.key"))
    code, out, _ = run("evidence", "verify", "k1.zip")  # a machine without the key
    assert code == 3 and "not checked: no trusted key" in out
    (env / "keys.txt").write_text(f"# the unit's ledger\n{vkey}\n")
    monkeypatch.setenv("CHANWATCH_LEDGER__TRUSTED_KEYS_FILE", str(env / "keys.txt"))
    assert run("evidence", "verify", "k1.zip")[0] == 0  # the trusted-keys file of settings
    monkeypatch.delenv("CHANWATCH_LEDGER__TRUSTED_KEYS_FILE")
    monkeypatch.setenv("CHANWATCH_LEDGER__SIGNING_KEY_FILE", str(env / "ledger.key"))

    as_user(monkeypatch, tokens["otto"])  # reading the ledger needs a login
    code, out, _ = run("evidence", "verify-db")
    size = ledger_size(env / "cw.db")
    assert code == 0 and f"LEDGER VERIFIED: {size} records, 2 checkpoints" in out


def test_verify_fails_with_status_1_and_names_the_problem(
    env: Path, tokens: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tampered bundle exits 1 with FAIL lines and the NOT VERIFIED verdict."""
    as_user(monkeypatch, tokens["adm"])
    run("evidence", "key", "--generate")
    seed(env / "cw.db")
    as_user(monkeypatch, tokens["sue"])
    assert run("evidence", "export", "--case", "K-1", "-o", "k1.zip")[0] == 0
    with zipfile.ZipFile(env / "k1.zip") as zf:
        files = {n: zf.read(n) for n in zf.namelist()}
    files["records.jsonl"] = files["records.jsonl"].replace(b'"message":"1"', b'"message":"7"')
    with zipfile.ZipFile(env / "bad.zip", "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    code, out, _ = run("evidence", "verify", "bad.zip")
    assert code == 1
    assert "FAIL: records.jsonl: SHA-256 is" in out
    assert "FAIL: records.jsonl line 3: its leaf hash is" in out
    assert "have selection_sha256" in out
    assert out.splitlines()[-1].startswith("NOT VERIFIED: 3 problems (listed above)")


def test_only_a_supervisor_exports(
    env: Path, tokens: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An operator may not export or sign, nor generate the key; nothing is exported."""
    as_user(monkeypatch, tokens["otto"])
    code, _, err = run("evidence", "key", "--generate")
    assert code == 1 and "refused" in err and not (env / "ledger.key").exists()
    as_user(monkeypatch, tokens["adm"])
    run("evidence", "key", "--generate")
    seed(env / "cw.db")
    as_user(monkeypatch, tokens["otto"])
    for argv in (("export", "--case", "K-1", "-o", "k1.zip"), ("checkpoint",)):
        code, _, err = run("evidence", *argv)
        assert code == 1 and "refused" in err, argv
    assert not (env / "k1.zip").exists()


def test_clear_errors(env: Path, tokens: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """No key yet, a bad --key, an unknown case and a bad date each give one clear line."""
    code, _, err = run("evidence", "key")
    assert code == 1 and "chanwatch init" in err
    as_user(monkeypatch, tokens["adm"])
    run("evidence", "key", "--generate")
    seed(env / "cw.db")
    as_user(monkeypatch, tokens["sue"])
    code, _, err = run("evidence", "verify", "x.zip", "--key", "nokey")
    assert code == 2 and "not a verifier key and not a readable file" in err
    code, _, err = run("evidence", "export", "--case", "K-404", "-o", "x.zip")
    assert code == 2 and "case 'K-404' has no records" in err
    code, _, err = run("evidence", "export", "--case", "K-1", "--from", "yesterday", "-o", "x.zip")
    assert code == 2 and "not a date or time" in err


def test_timestamps_status_and_a_tsa_that_was_down(
    env: Path, tokens: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the TSA down, `evidence checkpoint` still signs and `evidence status` shows the
    gap (exit 1); once the TSA answers, `checkpoint` retries it and status is clean; an
    export is then timestamped and verifies with the TSA's CA (exit 0), without it exit 3."""
    as_user(monkeypatch, tokens["adm"])
    vkey = run("evidence", "key", "--generate")[1].strip()
    seed(env / "cw.db")
    tsa = make_tsa(env / "tsa")
    monkeypatch.setenv("CHANWATCH_LEDGER__TIMESTAMP__URL", closed_port_url())
    monkeypatch.setenv("CHANWATCH_LEDGER__TIMESTAMP__CA_FILE", str(tsa.ca.pem))
    monkeypatch.setenv("CHANWATCH_LEDGER__TIMESTAMP__TIMEOUT", "2s")
    as_user(monkeypatch, tokens["sue"])
    code, out, err = run("evidence", "checkpoint")
    assert code == 0 and out.startswith("unit.test/chanwatch\n"), err
    code, out, _ = run("evidence", "status")
    assert code == 1
    assert "timestamp gap: checkpoint #1" in out and "TSA unreachable" in out, out
    with serve(tsa):
        monkeypatch.setenv("CHANWATCH_LEDGER__TIMESTAMP__URL", tsa.url)
        assert run("evidence", "checkpoint")[0] == 0
        code, out, _ = run("evidence", "status")
        assert code == 0 and "gap" not in out and "newest timestamp: checkpoint #" in out, out
        code, out, err = run("evidence", "export", "--case", "K-1", "-o", "k1.zip")
        assert code == 0 and "timestamp: 20" in out, err
    monkeypatch.delenv("CHANWATCH_TOKEN")
    monkeypatch.delenv("CHANWATCH_LEDGER__TIMESTAMP__CA_FILE")
    monkeypatch.delenv("CHANWATCH_LEDGER__TIMESTAMP__URL")
    code, out, _ = run("evidence", "verify", "k1.zip", "--key", vkey, "--tsa-ca",
                       str(tsa.ca.pem))
    assert code == 0 and "timestamp 20" in out and "by CN=Test TSA" in out, out
    code, out, _ = run("evidence", "verify", "k1.zip", "--key", vkey)
    assert code == 3 and "not checked: timestamp: checkpoint.tsr (by CN=Test TSA)" in out, out
