"""A near-duplicate photo posted in a watched channel raises an alert."""

from __future__ import annotations

from access_support import lawful_watch
from e2e_support import PDQ_DIR, MonitorFactory, add_pdq_bank, drawing, monitor_user, poll
from tgsim_support import wait_for

from storage.sqlite import SQLiteStore
from tgsim import Server


async def test_near_duplicate_photo_raises_alert(
    sim: Server, start_monitor: MonitorFactory, store: SQLiteStore
) -> None:
    """An edited copy of a bank image, posted live, is recorded, hashed and alerted once."""
    ch = await sim.create_channel("News", username="newsroom")
    await add_pdq_bank(store)
    await lawful_watch(store, "@newsroom")
    app = await start_monitor()
    await wait_for(lambda: sim.is_member(ch, monitor_user(sim)), timeout=10)

    harmless = await sim.post(ch, photo=drawing(3), text="holiday")
    edited = (PDQ_DIR / "bridge-mods" / "high-contrast.jpg").read_bytes()
    bad = await sim.post(ch, photo=edited, text="look")

    async def alerted() -> bool:
        return any(a.message_id == bad for a in await store.list_alerts())

    await poll(alerted, 20)
    alerts = await store.list_alerts()
    assert [(a.channel_id, a.message_id) for a in alerts] == [(ch.id, bad)]
    assert alerts[0].matches and alerts[0].matches[0]["hash_type"] == "pdq"
    assert alerts[0].priority == 1  # category csam (settings: csam -> 1)
    assert await store.get_post(ch.id, harmless) is not None
    assert app.watches.is_watched(ch.id)
