"""``chanwatch sweep``: the history sweep's progress per channel, read from the
database (in-process through monitor.cli.main)."""

from __future__ import annotations

import asyncio
import io
import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from access_support import seed_cli_users

from monitor.cli import main
from storage.models import ChannelRecord, SweepProgress
from storage.sqlite import SQLiteStore

T0 = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


async def _seed(path: Path) -> None:
    store = SQLiteStore(path)
    await store.open()
    try:
        for cid, title in ((11, "Open pass"), (12, "Done"), (13, "Not yet")):
            await store.upsert_channel(ChannelRecord(cid, 1, title, None, "broadcast"))
            watch = await store.add_watch(f"@chan{cid}", "test", state="approved")
            await store.update_watch(watch.id, actor="test", state="active", channel_id=cid)
        base = SweepProgress(channel_id=11, pass_no=3, below=480, checked=200, deleted=1,
                             pass_started_at=T0, updated_at=T0, last_pass_at=T0,
                             last_pass_checked=650, last_pass_deleted=4)
        await store.save_sweep_progress(base)
        await store.save_sweep_progress(SweepProgress(
            channel_id=12, pass_no=1, below=None, checked=40, deleted=0,
            pass_started_at=T0, updated_at=T0, last_pass_at=T0, last_pass_checked=40,
            last_pass_deleted=0))
    finally:
        await store.close()


@pytest.fixture
def db(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for key in list(os.environ):
        if key.upper().startswith("CHANWATCH_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "cw.db"
    monkeypatch.setenv("CHANWATCH_DATABASE__PATH", str(path))
    asyncio.run(_seed(path))
    monkeypatch.setenv("CHANWATCH_TOKEN", seed_cli_users(path)["otto"])
    return path


def test_sweep_progress_table_and_json(db: Path) -> None:
    """Every watched channel is listed: an open pass with how far it got, one
    between passes, one the sweep has not reached yet."""
    code, out, err = run("sweep")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split()[:5] == ["CHANNEL_ID", "TITLE", "STORED", "PASS", "STATE"]
    assert "checking" in lines[1] and "480" in lines[1]
    assert "between passes" in lines[2] and "not started" in lines[3]
    code, out, err = run("sweep", "--json")
    assert code == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    assert [(r["channel_id"], r["state"]) for r in rows] == [
        (11, "checking"), (12, "between passes"), (13, "not started")]
    assert (rows[0]["pass"], rows[0]["below"], rows[0]["checked"]) == (3, 480, 200)
    assert rows[0]["last_pass_checked"] == 650 and rows[0]["last_pass_at"] == T0.isoformat()
