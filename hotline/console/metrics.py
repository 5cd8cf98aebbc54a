"""``/metrics`` in the Prometheus text format, for the console and for
``chanwatch run`` (its own port): what the database says at scrape time
(posts recorded, media by status, matches, alerts by state and overdue,
notices sent, accounts by state, ledger size and unsigned records, each
channel's cursor age), followed by the process's own metrics (prometheus
client's default registry: in ``chanwatch run`` the hashing and lookup latency
histograms, FloodWait seconds and reconcile lag; in the console its requests).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from storage.api import Store
from storage.repos.console import Counts

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

REQUESTS = Counter(
    "chanwatch_web_requests_total", "Console requests answered, by route and status",
    ["method", "route", "status"],
)
REQUEST_SECONDS = Histogram(
    "chanwatch_web_request_seconds", "Console request latency by route", ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)


class CountsCollector(Collector):
    """The database's counts, read once per scrape."""

    def __init__(self, counts: Counts, now: datetime) -> None:
        self._c = counts
        self._now = now

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        c = self._c
        yield CounterMetricFamily("chanwatch_posts_recorded", "Posts recorded", value=c.posts)
        media = GaugeMetricFamily("chanwatch_media", "Media rows by hashing status",
                                  labels=["status"])
        for status, n in sorted(c.media_by_status.items()):
            media.add_metric([status], n)
        yield media
        yield CounterMetricFamily("chanwatch_media_hashed", "Media hashed",
                                  value=c.media_by_status.get("hashed", 0))
        yield CounterMetricFamily("chanwatch_matches", "Bank matches recorded", value=c.matches)
        alerts = GaugeMetricFamily("chanwatch_alerts", "Alerts by state", labels=["state"])
        for state in ("open", "claimed", "confirmed", "dismissed"):
            alerts.add_metric([state], c.alerts_by_state.get(state, 0))
        yield alerts
        yield GaugeMetricFamily("chanwatch_alerts_overdue",
                                "Undecided alerts past their due time", value=c.alerts_overdue)
        notices = CounterMetricFamily("chanwatch_notices_sent", "Hotline notices sent, by kind",
                                      labels=["kind"])
        for kind in ("raised", "due_soon", "overdue"):
            notices.add_metric([kind], c.notices_by_kind.get(kind, 0))
        yield notices
        accounts = GaugeMetricFamily("chanwatch_accounts", "Telegram accounts by state",
                                     labels=["state"])
        for state, n in sorted(c.accounts_by_status.items()):
            accounts.add_metric([state], n)
        yield accounts
        yield GaugeMetricFamily("chanwatch_ledger_records", "Records in the evidence ledger",
                                value=c.ledger_size)
        yield GaugeMetricFamily(
            "chanwatch_ledger_unsigned_records",
            "Ledger records not yet covered by a signed checkpoint",
            value=c.ledger_size - c.ledger_signed_size,
        )
        age = GaugeMetricFamily(
            "chanwatch_cursor_age_seconds",
            "Seconds since each channel's history cursor last moved", labels=["channel_id"],
        )
        for channel_id, moved in c.cursor_age:
            age.add_metric([str(channel_id)], max(0.0, (self._now - moved).total_seconds()))
        yield age


async def render(store: Store, now: datetime, *, own: CollectorRegistry = REGISTRY) -> bytes:
    """The whole exposition: the database's counts, then ``own`` (the process's)."""
    counts = await store.snapshot(lambda tx: tx.stats.counts(now))
    registry = CollectorRegistry(auto_describe=False)
    registry.register(CountsCollector(counts, now))
    return generate_latest(registry) + generate_latest(own)
