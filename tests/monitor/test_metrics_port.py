"""``chanwatch run``'s metrics port: the database's counts and the process's
own metrics (hashing and lookup histograms, FloodWait seconds), off by default."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import httpx
import pytest

from monitor.metrics import FLOOD_WAIT_SECONDS, serve_metrics
from monitor.settings import Settings
from storage.sqlite import SQLiteStore


def test_off_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With no settings at all (no CHANWATCH_* variable, no .env), no port."""
    import os

    for key in [k for k in os.environ if k.upper().startswith("CHANWATCH_")]:
        monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    assert Settings().web.monitor_metrics_port == 0


async def test_serves_counts_and_process_metrics(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "m.db")
    await store.open()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    FLOOD_WAIT_SECONDS.labels("join").inc(7)
    task = serve_metrics(store, "127.0.0.1", port)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            for _ in range(100):
                try:
                    r = await http.get("/metrics")
                    break
                except httpx.ConnectError:
                    await asyncio.sleep(0.05)
            text = r.text
            assert (await http.get("/readyz")).json()["status"] == "ready"
        for name in ("chanwatch_posts_recorded_total 0.0", "chanwatch_hashing_seconds_bucket",
                     "chanwatch_lookup_seconds_count", 'chanwatch_flood_wait_seconds_total{'
                     'request="join"}', "chanwatch_ledger_unsigned_records 0.0",
                     'chanwatch_alerts{state="open"} 0.0', "chanwatch_notices_sent_total"):
            assert name in text, name
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await store.close()
