"""The pipeline's own Prometheus metrics (prometheus-client's default registry):
hashing and bank lookup latency. ``chanwatch run`` serves them on its metrics
port (``web.monitor_metrics_port``) with the database's counts."""

from __future__ import annotations

from prometheus_client import Histogram

_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

HASH_SECONDS = Histogram(
    "chanwatch_hashing_seconds", "Time to hash one downloaded medium (all its hashes)",
    buckets=_BUCKETS,
)
LOOKUP_SECONDS = Histogram(
    "chanwatch_lookup_seconds", "Time to look one medium's hashes up in the bank index",
    buckets=_BUCKETS,
)
