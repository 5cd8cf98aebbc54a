"""The notifier hook: how reminders, ended authorizations and account problems
reach people.

chanwatch always logs the message (:func:`tell`); a :class:`Notifier` may also
deliver it. Recipients are chanwatch usernames. :class:`LogNotifier` delivers
nothing beyond a log line. The hotline's notifiers (:mod:`hotline.notify`, a
webhook) are Notifiers too; the monitor's wiring hands one in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import structlog

log = structlog.get_logger(__name__)


class Notifier(Protocol):
    async def notify(
        self, recipients: Sequence[str], subject: str, details: Mapping[str, Any]
    ) -> None: ...


class LogNotifier:
    """Delivers nothing beyond a structured log line (the default)."""

    async def notify(
        self, recipients: Sequence[str], subject: str, details: Mapping[str, Any]
    ) -> None:
        log.info("notification", to=list(recipients), subject=subject, **dict(details))


async def tell(
    notifier: Notifier | None, recipients: Sequence[str], subject: str, details: Mapping[str, Any]
) -> None:
    """Log the message, then hand it to ``notifier``; a failing notifier is logged,
    never allowed to stop the job that calls it."""
    log.warning("notify", to=list(recipients), subject=subject, **dict(details))
    if notifier is None:
        return
    try:
        await notifier.notify(recipients, subject, details)
    except Exception:  # a notifier is someone else's code: log it with what was lost
        log.exception("notifier_failed", to=list(recipients), subject=subject)
