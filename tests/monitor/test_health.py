"""`chanwatch health`: the running monitor's heartbeat (written by its scheduler,
removed on a clean stop) read by the command the container's HEALTHCHECK runs."""

from __future__ import annotations

import io
import json
import os
import stat
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from e2e_support import logged_in_session, make_settings

from monitor.app import MonitorApp
from monitor.cli import main
from monitor.health import Unhealthy, Vitals, beat, check, heartbeat_path
from monitor.settings import Settings
from tgsim import Server

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
async def sim(tmp_path: Path) -> AsyncIterator[Server]:
    server = await Server.start(tmp_path / "tgsim-state")
    try:
        yield server
    finally:
        await server.stop()


def test_heartbeat_is_private_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "chanwatch.db.main.health"
    beat(path, Vitals(connected=True, channels=3), now=T0)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert check(path, now=T0 + timedelta(seconds=40)) == (
        "healthy: connected, 3 channel(s) watched, last heartbeat 40s ago"
    )


def test_stale_missing_disconnected_and_broken_are_unhealthy(tmp_path: Path) -> None:
    path = tmp_path / "h.health"
    with pytest.raises(Unhealthy, match=r"no heartbeat at .*: the monitor is not running"):
        check(path, now=T0)
    beat(path, Vitals(connected=True, channels=1), now=T0)
    with pytest.raises(Unhealthy, match=r"last heartbeat was 180s ago \(more than 120s\)"):
        check(path, now=T0 + timedelta(minutes=3))
    beat(path, Vitals(connected=False, channels=1), now=T0)
    with pytest.raises(Unhealthy, match="running but not connected to Telegram"):
        check(path, now=T0)
    path.write_text("{not json")
    with pytest.raises(Unhealthy, match="is unreadable"):
        check(path, now=T0)
    path.write_text(json.dumps({"at": T0.isoformat()}))
    with pytest.raises(Unhealthy, match="is unreadable"):
        check(path, now=T0)


def test_heartbeat_path_is_per_account_next_to_the_database(tmp_path: Path) -> None:
    settings = Settings(database={"path": tmp_path / "cw.db"}, telegram={"account": "p/1 x"})
    assert heartbeat_path(settings) == tmp_path / "cw.db.p_1_x.health"


def _health(settings_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    for key in [k for k in os.environ if k.startswith("CHANWATCH_")]:
        monkeypatch.delenv(key)
    for key, value in settings_env.items():
        monkeypatch.setenv(key, value)
    out, err = io.StringIO(), io.StringIO()
    code = main(["health"], stdout=out, stderr=err)
    return code, (out.getvalue() + err.getvalue()).strip()


async def test_running_monitor_is_healthy_until_it_stops(
    sim: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`chanwatch health` says healthy while `run` is up, and exits 1 once it stopped."""
    session = await logged_in_session(sim, tmp_path / "m.session")
    db = tmp_path / "a.db"
    env = {"CHANWATCH_DATABASE__PATH": str(db), "CHANWATCH_TELEGRAM__ACCOUNT": "e2e"}
    app = MonitorApp(make_settings(sim, session, db))
    await app.start()
    try:
        assert (tmp_path / "a.db.e2e.health").exists()
        code, text = _health(env, monkeypatch)
        assert code == 0, text
        assert text.startswith("healthy: connected, 0 channel(s) watched")
    finally:
        await app.stop()
    assert not (tmp_path / "a.db.e2e.health").exists()
    code, text = _health(env, monkeypatch)
    assert code == 1
    assert text == (f"chanwatch: error: no heartbeat at {tmp_path / 'a.db.e2e.health'}: "
                    "the monitor is not running")
    out, err = io.StringIO(), io.StringIO()
    assert main(["health", "--max-age", "soon"], stdout=out, stderr=err) == 2
    assert "--max-age: not a duration" in err.getvalue()
