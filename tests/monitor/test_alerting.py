"""monitor.alerting: the notifier from the settings, the announcing post sink over the
real pipeline, and the due-time job's schedule."""

from __future__ import annotations

import hashlib
import os
from datetime import timedelta
from pathlib import Path

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from hotline_support import Notified, seed_users
from pipeline_support import Source, image_bytes, media, post, rig_at

from handlers.pipeline import Pipeline, Registry
from hotline.notify import WebhookNotifier
from monitor.alerting import Alerting, AnnouncingSink, build_notifier
from monitor.settings import Settings, SettingsError
from storage.models import BankEntryIn

DATA = image_bytes("shrink-a-little.jpg")


async def test_sink_announces_a_new_alert_once(tmp_path: Path) -> None:
    """Through the real pipeline: a matching photo tells the operators once (a replay of
    the post does not tell them again); a text post tells nobody."""
    notified = Notified()
    async with rig_at(tmp_path) as rig:
        await seed_users(rig.store)
        await rig.add_bank("exact", [BankEntryIn("sha256", hashlib.sha256(DATA).hexdigest(),
                                                 category="A1")])
        alerting = Alerting(rig.store, Settings(), notified, clock=rig.clock)
        sink = alerting.wrap(Pipeline(Registry.default(), rig.ctx))
        assert isinstance(sink, AnnouncingSink)
        await sink.process(post(1, text="hello"))
        photo = post(2, media=media(Source(DATA), "photo:2"))
        outcome = await sink.process(photo)
        await sink.process(photo)  # a replay: the same alert
        await alerting.stop()  # waits for the background announcements
    assert outcome.committed
    ((to, subject, details),) = notified.calls
    assert to == ["olga", "otto"] and subject.startswith("new alert ")
    assert (details["message_id"], details["banks"], details["priority"]) == (2, ["exact"], 1)


def test_notifier_from_settings() -> None:
    """No URL: log only; a URL: the webhook, its URL kept secret in the settings."""
    assert build_notifier(Settings()) is None
    url = "https://chat.example/hooks/s3cr3t-token"
    settings = Settings(hotline={"webhook_url": url, "webhook_timeout": "3s"})
    notifier = build_notifier(settings)
    assert isinstance(notifier, WebhookNotifier)
    assert "s3cr3t-token" not in repr(settings) and "s3cr3t-token" not in repr(notifier)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("webhook_url", "ftp://chat.example/hook", "http:// or https://"),
        ("webhook_timeout", "0s", "at least 1s"),
        ("due_check_interval", "500ms", "at least 1s"),
        ("due_warning", "-1h", ""),
    ],
)
def test_bad_hotline_settings(
    monkeypatch: pytest.MonkeyPatch, field: str, value: str, message: str
) -> None:
    """A wrong [hotline] setting fails at start with one line naming it."""
    for key in list(os.environ):
        if key.upper().startswith("CHANWATCH_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv(f"CHANWATCH_HOTLINE__{field.upper()}", value)
    with pytest.raises(SettingsError) as info:
        Settings.load(env_file=None)
    text = str(info.value)
    assert "hotline" in text and field in text and message in text and "\n" not in text


async def test_due_job_is_scheduled(tmp_path: Path) -> None:
    """The due-time job runs every hotline.due_check_interval."""
    async with rig_at(tmp_path) as rig:
        settings = Settings(hotline={"due_check_interval": "30s", "due_warning": "1h"})
        alerting = Alerting(rig.store, settings, None)
        scheduler = AsyncIOScheduler(timezone="UTC")
        alerting.schedule(scheduler)
        job = scheduler.get_job("hotline-due")
        assert job is not None and job.trigger.interval == timedelta(seconds=30)
        assert alerting.notices.warning == timedelta(hours=1)
