"""Telling the operators: a new alert, an alert close to its due time, an overdue one.

Each notice is sent once per alert and kind, ever: ``raised`` (a new alert, to
the operators), ``due_soon`` (an undecided alert within ``warning`` of its due
time, to the operators) and ``overdue`` (an undecided alert past its due time,
to the operators and the supervisors). The ``hotline_notices`` row is committed
before the notice goes out, so a restart never sends it again (a crash between
the two loses that one notice, which the log still shows). Decided alerts get no
more notices.

:meth:`AlertNotices.announce_soon` is called by the monitor for each post whose
pipeline raised or extended an alert: the notice is sent in the background (a
slow notifier never holds up recording). :meth:`AlertNotices.check_due` is the
scheduled job; it also announces undecided alerts nobody was told about (raised
by re-matching, or while the monitor was down after the commit).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Final, Literal

import aiosqlite
import structlog

from hotline.notify import Notifier, tell
from hotline.queue import AlertQueue, QueueItem, format_time_left, summary, utc_now
from storage.sqlite import access_sql as access_queries
from storage.sqlite import SQLiteStore
from storage.codec import to_db
from storage.sqlite.connect import execute, fetch_all

log = structlog.get_logger(__name__)

Kind = Literal["raised", "due_soon", "overdue"]
#: Who is told, by notice kind.
RECIPIENT_ROLES: Final[dict[str, tuple[str, ...]]] = {
    "raised": ("operator",),
    "due_soon": ("operator",),
    "overdue": ("operator", "supervisor"),
}
#: Default warning before an alert's due time.
DUE_WARNING: Final = timedelta(hours=2)


async def _claim(
    conn: aiosqlite.Connection, wanted: Sequence[tuple[int, Kind]], now: datetime
) -> list[tuple[int, Kind]]:
    """Record the notices not recorded before; the ones this call recorded."""
    claimed = []
    for alert_id, kind in wanted:
        rowcount, _ = await execute(
            conn,
            "INSERT INTO hotline_notices (alert_id, kind, sent_at) VALUES (?, ?, ?) "
            "ON CONFLICT (alert_id, kind) DO NOTHING",
            (alert_id, kind, to_db(now)),
        )
        if rowcount == 1:
            claimed.append((alert_id, kind))
    return claimed


async def _sent(conn: aiosqlite.Connection) -> set[tuple[int, str]]:
    rows = await fetch_all(
        conn,
        "SELECT n.alert_id, n.kind FROM hotline_notices n JOIN alerts a ON a.id = n.alert_id "
        "WHERE a.state IN ('open', 'claimed')",
    )
    return {(int(r[0]), str(r[1])) for r in rows}


async def _recipients(conn: aiosqlite.Connection, roles: Sequence[str]) -> list[str]:
    names: set[str] = set()
    for role in roles:
        names.update(await access_queries.usernames_with_role(conn, role))
    return sorted(names)


def wanted_notices(item: QueueItem, warning: timedelta) -> list[Kind]:
    """The notices an undecided alert is due, at the queue's time."""
    if item.time_left is None:
        return []
    kinds: list[Kind] = ["raised"]
    if item.overdue:
        kinds.append("overdue")
    elif item.time_left <= warning:
        kinds.append("due_soon")
    return kinds


def subject(kind: Kind, item: QueueItem) -> str:
    alert = item.alert
    due = alert.due_at.strftime("%Y-%m-%d %H:%M UTC")
    if kind == "raised":
        return f"new alert {alert.id}: priority {alert.priority}, due {due}"
    if kind == "due_soon":
        return f"alert {alert.id} is due in {format_time_left(item)} ({due})"
    return f"alert {alert.id} is OVERDUE (was due {due})"


class AlertNotices:
    """Sends the hotline's notices through ``notifier`` (None: the log only)."""

    def __init__(
        self,
        store: SQLiteStore,
        notifier: Notifier | None,
        *,
        warning: timedelta = DUE_WARNING,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        if warning < timedelta(0):
            raise ValueError(f"the due warning must not be negative, not {warning}")
        self.store = store
        self.notifier = notifier
        self.warning = warning
        self.queue = AlertQueue(store, clock=clock)
        self._pending: set[asyncio.Task[None]] = set()

    async def announce(self, alert_id: int) -> bool:
        """Tell the operators about alert ``alert_id`` unless they were told; True if sent."""
        claimed = await self.store.write(
            partial(_claim, wanted=[(alert_id, "raised")], now=self.queue.clock())
        )
        if not claimed:
            return False
        await self._send("raised", await self.queue.get(alert_id))
        return True

    def announce_soon(self, alert_id: int) -> None:
        """:meth:`announce` in the background (see :meth:`drain`)."""
        task = asyncio.create_task(self._announce_logged(alert_id), name=f"announce-{alert_id}")
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _announce_logged(self, alert_id: int) -> None:
        try:
            await self.announce(alert_id)
        except Exception:  # a background task: logged, the due check retries it
            log.exception("hotline.announce_failed", alert_id=alert_id)

    async def drain(self, grace: float = 10.0) -> None:
        """Wait (at most ``grace`` s) for background announcements, then cancel the rest."""
        pending = set(self._pending)
        if not pending:
            return
        _done, late = await asyncio.wait(pending, timeout=grace)
        for task in late:
            task.cancel()
        if late:
            log.warning("hotline.announcements_cancelled", count=len(late))

    async def check_due(self) -> list[tuple[int, Kind]]:
        """The scheduled job: send what undecided alerts are due; the notices sent."""
        items = await self.queue.active()
        if not items:
            return []
        sent_before = await self.store.read(_sent)
        wanted = [
            (item.alert.id, kind)
            for item in items
            for kind in wanted_notices(item, self.warning)
            if (item.alert.id, kind) not in sent_before
        ]
        if not wanted:
            return []
        claimed = await self.store.write(partial(_claim, wanted=wanted, now=self.queue.clock()))
        by_id = {item.alert.id: item for item in items}
        for alert_id, kind in claimed:
            await self._send(kind, by_id[alert_id])
        return claimed

    async def _send(self, kind: Kind, item: QueueItem) -> None:
        recipients = await self.store.read(partial(_recipients, roles=RECIPIENT_ROLES[kind]))
        details = {**summary(item.alert), "notice": kind,
                   "time_left_s": None if item.time_left is None
                   else int(item.time_left.total_seconds())}
        await tell(self.notifier, recipients, subject(kind, item), details)
