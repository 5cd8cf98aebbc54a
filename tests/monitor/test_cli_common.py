"""monitor.cli.common: output helpers (tables, JSON lines), errors and the store."""

from __future__ import annotations

import argparse
import io
import stat
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.cli.common import (
    CliContext,
    CliError,
    NotInitialised,
    UsageError,
    add_json_flag,
    emit_list,
    emit_object,
    jsonable,
    open_store,
    write_table,
)
from monitor.settings import Settings

T = datetime(2026, 5, 6, 7, 8, 9, tzinfo=UTC)


@pytest.fixture
def ctx(tmp_path: Path) -> CliContext:
    settings = Settings(database={"path": tmp_path / "c.db"})
    return CliContext(settings=settings, stdout=io.StringIO(), stderr=io.StringIO())


def out(ctx: CliContext) -> str:
    assert isinstance(ctx.stdout, io.StringIO)
    return ctx.stdout.getvalue()


@dataclass
class Thing:
    name: str
    at: datetime


def test_exit_codes() -> None:
    """Bad input is exit status 2, any other command failure 1."""
    assert UsageError("x").exit_code == 2 and CliError("x").exit_code == 1


def test_jsonable() -> None:
    """Datetimes become RFC 3339, durations seconds, dataclasses objects, sets lists."""
    value = {"t": T, "d": timedelta(minutes=2), "p": Path("/x"), "thing": Thing("a", T),
             "s": (1, 2)}
    assert jsonable(value) == {
        "t": "2026-05-06T07:08:09+00:00", "d": 120.0, "p": "/x",
        "thing": {"name": "a", "at": "2026-05-06T07:08:09+00:00"}, "s": [1, 2],
    }


def test_table_alignment_and_cells(ctx: CliContext) -> None:
    """Columns are aligned under an upper-case header; None is '-', long cells cut."""
    rows = [{"id": 1, "name": "short", "at": T, "tags": ["a", "b"]},
            {"id": 22, "name": "x" * 80, "at": None, "tags": []}]
    write_table(ctx, rows, ("id", "name", "at", "tags"))
    lines = out(ctx).splitlines()
    assert lines[0].split() == ["ID", "NAME", "AT", "TAGS"]
    assert lines[1].split() == ["1", "short", "2026-05-06", "07:08:09Z", "a,b"]
    assert lines[2].split()[0] == "22" and lines[2].split()[1].endswith("…")
    assert len(lines[2].split()[1]) == 60 and lines[2].split()[2:] == ["-", "-"]
    assert lines[1].index("short") == lines[0].index("NAME")


def test_emit_list_json_and_empty(ctx: CliContext) -> None:
    """--json writes every field of each row as one sorted JSON object per line."""
    args = argparse.Namespace(json=True)
    emit_list(args, ctx, [{"b": 1, "a": T}], ("b",), empty="none")
    assert out(ctx) == '{"a":"2026-05-06T07:08:09+00:00","b":1}\n'
    ctx2 = CliContext(ctx.settings, io.StringIO(), io.StringIO())
    emit_list(argparse.Namespace(), ctx2, [], ("b",), empty="no things")
    assert out(ctx2) == "no things\n"


def test_emit_object(ctx: CliContext) -> None:
    """An object as aligned key/value lines, with nested lists of objects indented."""
    emit_object(argparse.Namespace(), ctx, {"id": 3, "matches": [{"bank": "b", "d": 2}]})
    assert out(ctx).splitlines() == ["id       3", "matches:", "  - bank=b, d=2"]


def test_json_flag_on_subcommand_keeps_root_value() -> None:
    """--json may be given before or after the subcommand."""
    root = argparse.ArgumentParser()
    root.add_argument("--json", action="store_true")
    sub = root.add_subparsers(dest="cmd")
    add_json_flag(sub.add_parser("list"))
    assert root.parse_args(["--json", "list"]).json is True
    assert root.parse_args(["list", "--json"]).json is True
    assert root.parse_args(["list"]).json is False


async def test_open_store_migrates_and_closes(ctx: CliContext) -> None:
    """open_store(create=True) (init) creates and migrates the configured database,
    0600, and closes it after; without create it refuses a missing database."""
    path = ctx.settings.database.path
    with pytest.raises(NotInitialised, match="chanwatch init"):
        async with open_store(ctx):
            pass
    assert not path.exists()
    async with open_store(ctx, create=True) as store:
        assert await store.list_watches() == []
        assert stat.S_IMODE(Path(f"{path}-wal").stat().st_mode) == 0o600
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    async with open_store(ctx) as store:
        assert await store.list_watches() == []
