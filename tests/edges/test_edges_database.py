"""Databases that are damaged, foreign, read-only or full: one line naming the file
and the next step, exit status 1 (a failure, not the caller's input), and the
file as it was. A read-only database still serves the commands that only read."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from edges_support import MD5, Workspace
from mount_support import remount_read_only, tmpfs

CHECK = "check setting database.path (CHANWATCH_DATABASE__PATH) and --config"


def test_a_file_that_is_not_a_database(ws: Workspace) -> None:
    path = ws.file("notes.db", b"Dear diary, " * 1000)
    for argv in (["watch", "list"], ["bank", "list"], ["alerts", "show", "1"]):
        result = ws.cli(*argv, env={"CHANWATCH_DATABASE__PATH": str(path)})
        assert result.code == 1
        assert result.error_line() == (
            f"chanwatch: error: database {path} is not a chanwatch database "
            f"(file is not a database): {CHECK}"
        )
    assert path.read_bytes() == b"Dear diary, " * 1000


def test_another_programs_database(ws: Workspace) -> None:
    path = ws.root / "app.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, total REAL)")
        conn.execute("INSERT INTO orders (total) VALUES (9.5)")
    before = path.read_bytes()
    result = ws.cli("alerts", "list", env={"CHANWATCH_DATABASE__PATH": str(path)})
    assert result.code == 1
    assert "is not a chanwatch database (it holds tables of another program: orders)" in (
        result.error_line()
    )
    assert path.read_bytes() == before


def test_a_damaged_database(ws: Workspace) -> None:
    damaged = ws.root / "damaged.db"
    shutil.copy(ws.db, damaged)
    with damaged.open("r+b") as f:
        f.seek(4096 * 4)
        f.write(b"\xa5" * 4096 * 40)
    before = damaged.read_bytes()
    result = ws.cli("bank", "list", env={"CHANWATCH_DATABASE__PATH": str(damaged)})
    assert result.code == 1
    line = result.error_line()
    assert f"database {damaged} is damaged (database disk image is malformed)" in line
    assert "restore the last backup" in line
    assert damaged.read_bytes() == before


def test_a_read_only_database(ws: Workspace, tmp_path: Path) -> None:
    """Reads work; a write names the file and says what to do; nothing changes."""
    mount = tmp_path / "ro"
    with tmpfs(mount, "8m"):
        db = mount / "cw.db"
        shutil.copy(ws.db, db)
        remount_read_only(mount)
        env = {"CHANWATCH_DATABASE__PATH": str(db)}
        listed = ws.cli("bank", "list", "--json", env=env)
        assert listed.code == 0 and '"name":"base"' in listed.out, listed.err
        before = db.read_bytes()
        bank = ws.file("more.csv", f"hash_type,hash_value\nmd5,{'2' * 32}\n")
        result = ws.cli("bank", "import", "base", str(bank), env=env)
        assert result.code == 1
        line = result.error_line()
        assert line.startswith(f"chanwatch: error: database {db} is read-only (")
        assert "use a command that only reads" in line
        assert db.read_bytes() == before


def test_a_full_disk(ws: Workspace, tmp_path: Path) -> None:
    """The import that does not fit: 'is full', nothing of it written."""
    mount = tmp_path / "full"
    with tmpfs(mount, "1m"):
        db = mount / "cw.db"
        shutil.copy(ws.db, db)
        env = {"CHANWATCH_DATABASE__PATH": str(db)}
        assert ws.cli("bank", "list", env=env).code == 0  # the WAL and its index exist
        free = shutil.disk_usage(mount).free
        (mount / "filler").write_bytes(b"\0" * max(0, free - 96 * 1024))
        rows = "\n".join(f"md5,{i:032x}" for i in range(1, 4001))
        bank = ws.file("big.csv", f"hash_type,hash_value\n{rows}\n")
        result = ws.cli("bank", "import", "base", str(bank), env=env)
        assert result.code == 1
        line = result.error_line()
        assert line.startswith(f"chanwatch: error: database {db} is full (")
        assert "nothing of this change was written" in line
        (mount / "filler").unlink()
        listed = ws.cli("bank", "list", "--json", env=env)
        assert '"entries":2' in listed.out, listed.out  # still the two of base.csv
        assert MD5 in ws.cli("hash", str(ws.file("x.txt", b"hello"))).out
