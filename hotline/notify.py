"""Notifiers: how new alerts, due times, reminders and account problems reach people.

chanwatch always logs the message (:func:`tell`); a :class:`Notifier` may also
deliver it. Recipients are chanwatch usernames. :class:`LogNotifier` delivers
nothing beyond a log line (it, the Notifier protocol and :func:`tell` live in
:mod:`access.notify`, below the hotline); :class:`WebhookNotifier` POSTs the
message as JSON to one URL (a chat bridge, a ticket system, a pager).

A notifier never raises into its caller and never blocks the event loop: the
webhook's HTTP request runs in a worker thread with a timeout, and a failure
(refused connection, timeout, non-2xx status) is logged with what was lost.
Details are metadata only (ids, priority, due time, bank names): never media,
never post text. The webhook's URL is never logged (it often carries a token).
"""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import structlog

from access.notify import LogNotifier, Notifier, tell

log = structlog.get_logger(__name__)

__all__ = ["LogNotifier", "Notifier", "WebhookError", "WebhookNotifier", "tell", "webhook_body"]

#: The webhook request's User-Agent and content type.
USER_AGENT = "chanwatch-hotline"
#: Longest answer body read (and logged, in part) from the webhook.
MAX_ANSWER = 4096


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (tuple, list, set, frozenset)):
        return [_jsonable(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def webhook_body(recipients: Sequence[str], subject: str, details: Mapping[str, Any]) -> bytes:
    """The JSON document POSTed: ``{"subject", "recipients", "details"}``."""
    doc = {"subject": subject, "recipients": list(recipients), "details": _jsonable(details)}
    return json.dumps(doc, sort_keys=True, ensure_ascii=False).encode()


class WebhookError(Exception):
    """The webhook did not accept a notification (its status or why it failed)."""


def _post(url: str, body: bytes, timeout: float) -> int:
    """POST ``body`` (blocking: run in a worker thread); the HTTP status, 2xx only."""
    request = urllib.request.Request(  # noqa: S310 (scheme checked in WebhookNotifier)
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": USER_AGENT},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310 (checked scheme)
            answer.read(MAX_ANSWER)
            status = int(answer.status)
    except urllib.error.HTTPError as exc:  # non-2xx (after redirects)
        text = exc.read(MAX_ANSWER).decode("utf-8", "replace")[:200]
        exc.close()
        raise WebhookError(f"status {exc.code}: {text!r}") from None
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        reason = getattr(exc, "reason", exc)
        raise WebhookError(f"{type(reason).__name__}: {reason}") from None
    if not 200 <= status < 300:
        raise WebhookError(f"status {status}")
    return status


class WebhookNotifier:
    """POSTs each notification as JSON to ``url`` (``hotline.webhook_url``).

    ``timeout``: seconds for connecting and for each read. :meth:`notify` never
    raises for a network or HTTP failure: it logs it and counts it in ``failed``.
    """

    def __init__(self, url: str, *, timeout: float = 10.0) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError("the webhook URL must be an http:// or https:// URL")
        if timeout <= 0:
            raise ValueError(f"the webhook timeout must be positive, not {timeout}")
        self._url = url
        self._timeout = timeout
        self.sent = 0
        self.failed = 0

    def __repr__(self) -> str:  # the URL may carry a token: never shown
        return f"WebhookNotifier(timeout={self._timeout})"

    async def notify(
        self, recipients: Sequence[str], subject: str, details: Mapping[str, Any]
    ) -> None:
        body = webhook_body(recipients, subject, details)
        try:
            # the thread is bounded by the timeout; the wait_for bounds the caller
            # too (a server trickling its answer byte by byte)
            status = await asyncio.wait_for(
                asyncio.to_thread(_post, self._url, body, self._timeout),
                self._timeout * 2,
            )
        except (WebhookError, TimeoutError) as exc:
            self.failed += 1
            log.warning("webhook_failed", subject=subject, to=list(recipients),
                        error=str(exc) or "timed out", timeout_s=self._timeout)
            return
        self.sent += 1
        log.info("webhook_sent", subject=subject, to=list(recipients), status=status)
