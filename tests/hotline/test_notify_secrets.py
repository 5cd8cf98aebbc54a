"""hotline.notify never logs its webhook URL (a secret), whatever goes wrong."""

from __future__ import annotations

import socket

import pytest
from structlog.testing import capture_logs

from hotline.notify import WebhookNotifier

SECRET = "T0KEN-s3cr3t"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(
    "url",
    [
        f"http://127.0.0.1:{_free_port()}/hooks/{SECRET}",  # nobody listening
        f"https://127.0.0.1:{SECRET}/hooks",  # a port that is no number
        f"http://{SECRET}.invalid/hooks",  # a host that does not resolve
    ],
)
async def test_a_failing_webhook_logs_no_secret(url: str) -> None:
    """The failure is logged and counted; neither the log nor repr shows the URL."""
    notifier = WebhookNotifier(url, timeout=2)
    with capture_logs() as logs:
        await notifier.notify(["otto"], "new alert", {"alert_id": 1})
    assert notifier.failed == 1
    assert [entry["event"] for entry in logs] == ["webhook_failed"]
    assert SECRET not in repr(logs) and SECRET not in repr(notifier)
