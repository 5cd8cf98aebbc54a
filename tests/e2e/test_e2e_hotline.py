"""A new alert raised through tgsim reaches the operators through the webhook."""

from __future__ import annotations

import asyncio

from access_support import lawful_watch
from e2e_support import PDQ_DIR, MonitorFactory, add_pdq_bank, drawing, monitor_user, poll
from hotline_support import seed_users
from tgsim_support import wait_for
from webhook_support import webhook_server

from hotline.notify import WebhookNotifier
from storage.sqlite import SQLiteStore
from tgsim import Server


async def test_new_alert_reaches_the_webhook(
    sim: Server, start_monitor: MonitorFactory, store: SQLiteStore
) -> None:
    """A near-duplicate photo posted live: the operators are told once, with the alert's
    metadata and nothing of the post; a harmless photo tells nobody."""
    await seed_users(store)
    ch = await sim.create_channel("News", username="newsroom")
    await add_pdq_bank(store)
    await lawful_watch(store, "@newsroom")
    with webhook_server() as hook:
        app = await start_monitor(notifier=WebhookNotifier(hook.url, timeout=5))
        await wait_for(lambda: sim.is_member(ch, monitor_user(sim)), timeout=10)
        await sim.post(ch, photo=drawing(3), text="holiday")
        edited = (PDQ_DIR / "bridge-mods" / "high-contrast.jpg").read_bytes()
        bad = await sim.post(ch, photo=edited, text="look at this")

        async def alerted() -> bool:
            return any(a.message_id == bad for a in await store.list_alerts())

        await poll(alerted, 20)
        (doc,) = await asyncio.to_thread(hook.wait_for, 1)
        assert app.alerting is not None
        await app.alerting.notices.drain()
        await app.alerting.notices.check_due()  # already told: the due job sends nothing
        assert len(hook.received) == 1
    (alert,) = await store.list_alerts()
    assert doc["recipients"] == ["olga", "otto"]
    assert doc["subject"].startswith(f"new alert {alert.id}: priority 1")
    details = doc["details"]
    assert (details["alert_id"], details["channel_id"], details["message_id"]) == (
        alert.id, ch.id, bad)
    assert details["banks"] == ["known"] and details["matches"] == len(alert.matches)
    assert details["due_at"] == alert.due_at.isoformat() and details["notice"] == "raised"
    assert "look at this" not in repr(doc)
