"""The detector stage end to end through tgsim (real Telethon, real SQLite, real
worker processes), with the detectors of tests/detector_fakes.py:

* a flagged picture raises one ``detected`` alert (labels and scores, no bank
  match); the same bytes reposted elsewhere raise their own alert from the stored
  finding; confirming the first puts its hashes into the ``confirmed`` bank, and a
  mirrored repost (which the detector does not flag) then raises a hash-match alert;
* a dismissed detection raises nothing for that medium again;
* detectors that raise, hang past their budget or return garbage: logged, the post
  recorded and hashed, no finding stored, no alert.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import structlog
from access_support import lawful_watch
from db_backends import SQLiteRaw
from detector_fakes import marked_jpeg
from e2e_support import make_settings, media_of, monitor_user, poll
from PIL import Image
from tgsim_support import wait_for

from hotline.decisions import transition_alert
from monitor.access_control import AccessOptions
from monitor.app import MonitorApp
from monitor.settings import Settings
from storage.ledger import canonical
from storage.models import Alert
from storage.sqlite import SQLiteStore
from tgsim import Server

RELOAD = timedelta(seconds=0.2)
MARKER = "detector_fakes:marker"
Start = Callable[..., Awaitable[MonitorApp]]


@pytest.fixture
async def start(sim: Server, session_file: Path, db_path: Path) -> AsyncIterator[Start]:
    """Factory: a started monitor running the given detectors (stopped at teardown)."""
    apps: list[MonitorApp] = []

    async def factory(*extra: str, **detectors: Any) -> MonitorApp:
        base = make_settings(sim, session_file, db_path,
                             detectors={"builtin": "off", "extra": list(extra), **detectors})
        settings = Settings(**{**base.model_dump(),
                               "accounts": {"join_min_gap": "0s", "join_daily_limit": 500}})
        app = MonitorApp(settings, watch_sync_every=timedelta(seconds=0.3),
                         access=AccessOptions(gate_ttl=timedelta(0)), index_reload_every=RELOAD)
        apps.append(app)
        await app.start()
        return app

    try:
        yield factory
    finally:
        for app in apps:
            await app.stop()


def mirrored(data: bytes) -> bytes:
    import io

    with Image.open(io.BytesIO(data)) as img:
        out = io.BytesIO()
        img.transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(out, "JPEG", quality=90)
        return out.getvalue()


async def alert_of(store: SQLiteStore, channel_id: int, message_id: int) -> Alert | None:
    return next((a for a in await store.list_alerts()
                 if (a.channel_id, a.message_id) == (channel_id, message_id)), None)


async def watching(sim: Server, store: SQLiteStore, *names: str) -> list[Any]:
    channels = []
    for name in names:
        channels.append(await sim.create_channel(name.title(), username=name))
        await lawful_watch(store, f"@{name}")
    return channels


async def joined(sim: Server, *channels: Any) -> None:
    for ch in channels:
        await wait_for(lambda ch=ch: sim.is_member(ch, monitor_user(sim)), timeout=10)


async def hashed(store: SQLiteStore, channel_id: int, message_id: int) -> bool:
    media = await media_of(store, channel_id, message_id)
    return media is not None and media.get("status") == "hashed"


def findings(db_path: Path) -> list[tuple[Any, ...]]:
    """Every stored finding: (media id, detector, top score)."""
    return SQLiteRaw(db_path).query("SELECT media_id, detector, top_score FROM detections")


async def test_detected_alert_confirmed_then_a_mirrored_repost_is_caught_by_hash(
    sim: Server, start: Start, store: SQLiteStore, db_path: Path
) -> None:
    alpha, beta, gamma = await watching(sim, store, "alpha", "beta", "gamma")
    app = await start(MARKER)
    await joined(sim, alpha, beta, gamma)
    picture = marked_jpeg(11)

    plain = await sim.post(alpha, photo=marked_jpeg(12, marker=False), text="plain")
    first = await sim.post(alpha, photo=picture, text="first")
    await poll(lambda: _alerted(store, alpha.id, first), 30)
    await poll(lambda: hashed(store, alpha.id, plain), 30)
    alert = await alert_of(store, alpha.id, first)
    assert alert is not None and alert.kind == "detected" and alert.matches == ()
    assert alert.priority == 4  # below every bank match
    (found,) = alert.detections
    assert (found["detector"], found["model"], found["scores"]) == (
        MARKER, "test/marker", {"flagged": 0.99})
    assert await alert_of(store, alpha.id, plain) is None
    assert len(await store.list_alerts()) == 1
    assert sorted(round(f[2], 2) for f in findings(db_path)) == [0.01, 0.99]
    rows = await store.snapshot(lambda tx: tx.ledger.rows(types=["detection"]))
    records = [canonical.loads(r.record) for r in rows]
    assert {r["scores"]["flagged"] for r in records} == {"0.0100", "0.9900"}
    assert all(r["case"] == "LAWFUL-1" and r["authorization"] for r in records)

    # The same bytes in another channel: no new download, the stored finding alerts.
    again = await sim.post(beta, photo=picture, text="again")
    await poll(lambda: _alerted(store, beta.id, again), 30)
    second = await alert_of(store, beta.id, again)
    assert second is not None and second.kind == "detected"
    assert [d["detection_id"] for d in second.detections] == [found["detection_id"]]
    assert len(findings(db_path)) == 2

    await transition_alert(store, alert.id, "confirmed", "olga", "confirmed: sexual content")
    confirmed = [e async for e in store.iter_bank_entries() if e.bank == "confirmed"]
    assert {e.hash_type for e in confirmed} >= {"sha256", "md5", "sha1", "pdq"}
    assert {e.source_ref for e in confirmed} == {f"alert:{alert.id}"}
    pdq = next(e.hash_value for e in confirmed if e.hash_type == "pdq")

    async def reloaded() -> bool:
        assert app.pipeline is not None
        return any(h.bank == "confirmed" for h in app.pipeline.ctx.index.lookup_values(pdq=pdq))

    await poll(reloaded, 10)
    repost = await sim.post(gamma, photo=mirrored(picture), text="mirrored")
    await poll(lambda: _alerted(store, gamma.id, repost), 30)
    caught = await alert_of(store, gamma.id, repost)
    assert caught is not None and caught.kind == "match"
    assert {m["bank"] for m in caught.matches} == {"confirmed"}
    assert {m["source_ref"] for m in caught.matches} == {f"alert:{alert.id}"}
    assert caught.detections == ()  # the marker is top-right now: only the hash caught it


async def test_a_dismissed_detection_stays_quiet_for_that_medium(
    sim: Server, start: Start, store: SQLiteStore
) -> None:
    alpha, beta = await watching(sim, store, "alpha", "beta")
    await start(MARKER)
    await joined(sim, alpha, beta)
    picture = marked_jpeg(21)
    first = await sim.post(alpha, photo=picture, text="first")
    await poll(lambda: _alerted(store, alpha.id, first), 30)
    alert = await alert_of(store, alpha.id, first)
    assert alert is not None
    await transition_alert(store, alert.id, "dismissed", "olga", "a test card, not content")
    again = await sim.post(beta, photo=picture, text="again")
    other = await sim.post(beta, photo=marked_jpeg(22), text="another flagged picture")
    await poll(lambda: _alerted(store, beta.id, other), 30)
    assert await hashed(store, beta.id, again)
    assert await alert_of(store, beta.id, again) is None
    assert [d.bank async for d in store.iter_bank_entries()] == []


async def test_faulty_detectors_are_logged_and_raise_nothing(
    sim: Server, start: Start, store: SQLiteStore, db_path: Path
) -> None:
    (alpha,) = await watching(sim, store, "alpha")
    with structlog.testing.capture_logs() as logs:
        await start("detector_fakes:raising", "detector_fakes:hanging",
                    "detector_fakes:garbage", budget="1s")
        await joined(sim, alpha)
        posts = [await sim.post(alpha, photo=marked_jpeg(30 + i), text=f"p{i}")
                 for i in range(2)]
        for message_id in posts:
            await poll(lambda m=message_id: hashed(store, alpha.id, m), 30)
        await poll(lambda: _failures(logs, 6), 30)
    assert await store.count_posts(alpha.id) == 2
    assert await store.list_alerts() == []
    assert findings(db_path) == []
    failed = [e for e in logs if e.get("event") == "detector_failed"]
    assert {(e["detector"], e["failure"]) for e in failed} == {
        ("detector_fakes:raising", "error"), ("detector_fakes:hanging", "timeout"),
        ("detector_fakes:garbage", "garbage")}
    assert {e["message_id"] for e in failed} == set(posts)


async def _failures(logs: list[dict[str, Any]], n: int) -> bool:
    return sum(1 for e in logs if e.get("event") == "detector_failed") >= n


async def _alerted(store: SQLiteStore, channel_id: int, message_id: int) -> bool:
    return await alert_of(store, channel_id, message_id) is not None
