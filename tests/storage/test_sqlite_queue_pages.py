"""The console queue's pages (storage/sqlite/console_repos.py) on a real
database: for every filter, walking the keyset pages gives exactly the alerts
the filter selects, in urgency order, each once; and the page's SQL is a range
of an index read in order (migration 0011), not a sort of every alert."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from hotline.queue import urgency
from storage.codec import utc_now
from storage.models import Alert
from storage.repos.console import QueueFilter, QueueKey
from storage.sqlite import SQLiteStore
from storage.sqlite.bench_seed import seed_alerts
from storage.sqlite.console_repos import page_query

ALERTS = 240


async def _seeded(store: SQLiteStore, db_path: Path, now: datetime) -> None:
    await store.write(lambda conn: seed_alerts(conn, ALERTS, now))
    with sqlite3.connect(db_path) as raw:  # some claimed and dismissed ones too
        raw.execute("UPDATE alerts SET state = 'claimed', claimed_by = 'olga' WHERE id % 7 = 0 "
                    "AND state = 'open'")
        raw.execute("UPDATE alerts SET state = 'dismissed' WHERE id % 11 = 0 AND state = 'open'")


async def _walk(store: SQLiteStore, where: QueueFilter, limit: int) -> list[int]:
    seen: list[int] = []
    after: QueueKey | None = None
    while True:
        page = await store.snapshot(
            lambda tx, after=after: tx.alert_pages.page(where, after, limit))  # type: ignore[misc]
        seen.extend(e.alert.id for e in page)
        if len(page) < limit:
            return seen
        after = page[-1].key


def _expected(alerts: list[Alert], where: QueueFilter) -> list[int]:
    chosen = [a for a in alerts if a.state in where.states
              and (where.overdue_at is None
                   or (a.state in ("open", "claimed") and a.due_at <= where.overdue_at))
              and (where.channel_id is None or a.channel_id == where.channel_id)]
    return [a.id for a in sorted(chosen, key=urgency)]


def _filters(now: datetime) -> list[QueueFilter]:
    return [
        QueueFilter(),
        QueueFilter(overdue_at=now),
        QueueFilter(states=("open", "claimed", "confirmed", "dismissed")),
        QueueFilter(states=("claimed", "open")),
        QueueFilter(states=("open",)),
        QueueFilter(states=("claimed",)),
        QueueFilter(states=("confirmed", "dismissed")),
        QueueFilter(states=("open", "confirmed")),
        QueueFilter(channel_id=1),
        QueueFilter(channel_id=2),
        QueueFilter(bank="bench"),
    ]


async def test_keyset_pages_walk_each_filter_in_urgency_order(
    store: SQLiteStore, db_path: Path
) -> None:
    now = utc_now()
    await _seeded(store, db_path, now)
    alerts = await store.list_alerts(None)
    assert {a.state for a in alerts} == {"open", "claimed", "confirmed", "dismissed"}
    for where in _filters(now):
        expected = _expected(alerts, where)
        for limit in (1, 7, 50, ALERTS + 1):
            assert await _walk(store, where, limit) == expected, (where, limit)
        total = await store.snapshot(lambda tx, w=where: tx.alert_pages.count(w))  # type: ignore[misc]
        assert total == len(expected)
    with sqlite3.connect(db_path) as raw:  # the kept counts are the alerts' own
        kept = raw.execute("SELECT channel_id, state, n FROM alert_counts WHERE n > 0 "
                           "ORDER BY 1, 2").fetchall()
        assert kept == raw.execute("SELECT channel_id, state, count(*) FROM alerts "
                                   "GROUP BY 1, 2 ORDER BY 1, 2").fetchall()


async def test_a_cursor_from_another_view_starts_or_ends_the_page(
    store: SQLiteStore, db_path: Path
) -> None:
    now = utc_now()
    await _seeded(store, db_path, now)
    undecided = QueueKey(False, 3, now + timedelta(days=9), 10**9)  # after every undecided one
    decided = QueueKey(True, 1, now - timedelta(days=9), 0)  # before every decided one
    done = QueueFilter(states=("confirmed", "dismissed"))
    first = await store.snapshot(lambda tx: tx.alert_pages.page(done, None, 5))
    assert [e.alert.id for e in await store.snapshot(
        lambda tx: tx.alert_pages.page(done, undecided, 5))] == [e.alert.id for e in first]
    assert await store.snapshot(lambda tx: tx.alert_pages.page(QueueFilter(), decided, 5)) == []


@pytest.mark.parametrize(
    ("where", "index"),
    [(QueueFilter(), "INDEX alerts_urgency (<expr>=?"),
     (QueueFilter(states=("confirmed", "dismissed")), "INDEX alerts_urgency (<expr>=?"),
     (QueueFilter(states=("open",)), "INDEX alerts_state_urgency (state=?"),
     (QueueFilter(states=("confirmed",)), "INDEX alerts_state_urgency (state=?"),
     (QueueFilter(states=("open", "claimed", "confirmed", "dismissed")), "INDEX alerts_urgency"),
     (QueueFilter(channel_id=1), "INDEX alerts_channel_urgency (channel_id=? AND <expr>=?"),
     (QueueFilter(overdue_at=utc_now()), "COVERING INDEX alerts_due_urgency (state=? AND due_at<")],
)
async def test_a_page_is_an_index_range_not_a_scan_of_every_alert(
    store: SQLiteStore, db_path: Path, where: QueueFilter, index: str
) -> None:
    now = utc_now()
    await _seeded(store, db_path, now)
    with sqlite3.connect(db_path) as raw:
        for after in (None, QueueKey(False, 2, now, 5)):
            sql, params = page_query(where, after, 51)
            plan = " / ".join(r[3] for r in raw.execute(f"EXPLAIN QUERY PLAN {sql}", params))
            assert index in plan, plan
            if len(where.states) < 4:  # all four: the whole of alerts_urgency, in order
                assert "SCAN a " not in f"{plan} ", plan
            if where.overdue_at is None:  # overdue: sorts the ids of the overdue range
                assert "TEMP B-TREE" not in plan, plan
