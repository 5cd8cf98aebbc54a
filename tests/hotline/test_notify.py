"""hotline.notify: the log notifier, tell(), and the webhook against a real local
HTTP server (2xx, 500, a hanging endpoint, nobody listening)."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from structlog.testing import capture_logs
from webhook_support import webhook_server

from hotline.notify import LogNotifier, WebhookNotifier, tell, webhook_body

DETAILS = {"alert_id": 7, "priority": 1, "due_at": datetime(2026, 3, 2, 12, tzinfo=UTC),
           "banks": ["ncmec"], "matches": 2}


class Broken:
    """A notifier whose service is down."""

    async def notify(
        self, recipients: Sequence[str], subject: str, details: Mapping[str, Any]
    ) -> None:
        raise ConnectionRefusedError("mail server down")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_log_notifier_and_tell() -> None:
    """tell() logs the message and hands it to the notifier, which logs it too."""
    with capture_logs() as logs:
        await tell(LogNotifier(), ["otto"], "new alert 7", DETAILS)
    events = [(e["event"], e["to"], e["subject"]) for e in logs]
    assert events == [
        ("notify", ["otto"], "new alert 7"), ("notification", ["otto"], "new alert 7")]


async def test_tell_survives_a_failing_notifier() -> None:
    """A notifier that raises is logged with what was lost; tell() returns normally."""
    with capture_logs() as logs:
        await tell(Broken(), ["otto"], "new alert 7", DETAILS)
    failed = [e for e in logs if e["event"] == "notifier_failed"]
    assert failed and failed[0]["subject"] == "new alert 7"


def test_webhook_body_is_json_metadata() -> None:
    """The body: subject, recipients and details, times in ISO-8601."""
    doc = json.loads(webhook_body(["otto"], "s", DETAILS))
    assert doc == {"subject": "s", "recipients": ["otto"], "details": {
        "alert_id": 7, "priority": 1, "due_at": "2026-03-02T12:00:00+00:00",
        "banks": ["ncmec"], "matches": 2}}


async def test_webhook_delivers() -> None:
    """A 2xx answer: the JSON document arrives, with its content type; counted as sent."""
    with webhook_server(status=204) as hook:
        notifier = WebhookNotifier(hook.url, timeout=5)
        with capture_logs() as logs:
            await notifier.notify(["otto", "olga"], "new alert 7", DETAILS)
        (doc,) = hook.received
    assert doc["recipients"] == ["otto", "olga"] and doc["details"]["alert_id"] == 7
    assert hook.headers[0]["Content-Type"] == "application/json"
    assert (notifier.sent, notifier.failed) == (1, 0)
    assert [e["status"] for e in logs if e["event"] == "webhook_sent"] == [204]
    assert "s3cr3t-token" not in repr(logs) and "s3cr3t-token" not in repr(notifier)


async def test_webhook_500_is_logged_not_raised() -> None:
    """A 500 is logged with its status and never raised into the caller."""
    with webhook_server(status=500) as hook:
        notifier = WebhookNotifier(hook.url, timeout=5)
        with capture_logs() as logs:
            await notifier.notify(["otto"], "new alert 7", DETAILS)
    failed = [e for e in logs if e["event"] == "webhook_failed"]
    assert len(failed) == 1 and "status 500" in failed[0]["error"]
    assert (notifier.sent, notifier.failed) == (0, 1)
    assert "s3cr3t-token" not in repr(logs)


async def test_webhook_hanging_endpoint_times_out_without_blocking_the_loop() -> None:
    """An endpoint that never answers: the call ends after its timeout, logged; the
    event loop keeps running other tasks meanwhile."""
    with webhook_server(hang=True) as hook:
        notifier = WebhookNotifier(hook.url, timeout=0.5)
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.01)

        running = asyncio.create_task(ticker())
        with capture_logs() as logs:
            await notifier.notify(["otto"], "new alert 7", DETAILS)
        running.cancel()
    assert notifier.failed == 1 and hook.received  # it did arrive; the answer never came
    assert [e["event"] for e in logs if e["event"].startswith("webhook")] == ["webhook_failed"]
    assert ticks > 1  # the loop was free while the request waited


async def test_webhook_nobody_listening() -> None:
    """A refused connection is logged, not raised."""
    notifier = WebhookNotifier(f"http://127.0.0.1:{_free_port()}/hook", timeout=2)
    with capture_logs() as logs:
        await notifier.notify(["otto"], "new alert 7", DETAILS)
    assert notifier.failed == 1
    assert any(e["event"] == "webhook_failed" for e in logs)


def test_webhook_refuses_bad_settings() -> None:
    """Only http(s) URLs and a positive timeout."""
    with pytest.raises(ValueError, match="http:// or https://"):
        WebhookNotifier("file:///etc/passwd")
    with pytest.raises(ValueError, match="timeout must be positive"):
        WebhookNotifier("http://127.0.0.1/", timeout=0)
