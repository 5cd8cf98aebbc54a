"""The hotline in the running monitor: the notifier, new-alert announcements
and the due-time job (:mod:`hotline.notices`).

:func:`build_notifier` makes the notifier the settings ask for (a
:class:`~hotline.notify.WebhookNotifier` when ``hotline.webhook_url`` is set,
else ``None``: notices are logged only). :class:`AnnouncingSink` wraps the
monitor's post sink: when a post's pipeline raised or extended an alert, the
operators are told in the background. :meth:`Alerting.schedule` adds the
``hotline-due`` job (every ``hotline.due_check_interval``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from handlers.post import Post
from hotline.notices import AlertNotices
from hotline.notify import Notifier, WebhookNotifier
from monitor.reconcile import Outcome, PostSink
from monitor.settings import Settings
from storage.codec import utc_now
from storage.sqlite import SQLiteStore


def build_notifier(settings: Settings) -> Notifier | None:
    """The webhook notifier when ``hotline.webhook_url`` is set; else None (log only)."""
    url = settings.hotline.webhook_url
    if url is None:
        return None
    return WebhookNotifier(
        url.get_secret_value(), timeout=settings.hotline.webhook_timeout.total_seconds()
    )


class AnnouncingSink:
    """A post sink that announces the alert a post's pipeline raised."""

    def __init__(self, inner: PostSink, notices: AlertNotices) -> None:
        self._inner = inner
        self._notices = notices

    async def process(self, post: Post) -> Outcome:
        outcome = await self._inner.process(post)
        alert_id = getattr(outcome, "alert_id", None)  # a refused post has none
        if isinstance(alert_id, int):
            self._notices.announce_soon(alert_id)
        return outcome


class Alerting:
    """Announcements and the due-time job of one monitor."""

    def __init__(
        self,
        store: SQLiteStore,
        settings: Settings,
        notifier: Notifier | None,
        *,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.settings = settings.hotline
        self.notices = AlertNotices(
            store, notifier, warning=self.settings.due_warning, clock=clock
        )

    def wrap(self, sink: PostSink) -> PostSink:
        return AnnouncingSink(sink, self.notices)

    def schedule(self, scheduler: AsyncIOScheduler) -> None:
        scheduler.add_job(
            self.notices.check_due, "interval",
            seconds=self.settings.due_check_interval.total_seconds(),
            id="hotline-due", coalesce=True, max_instances=1,
        )

    async def stop(self) -> None:
        await self.notices.drain()
