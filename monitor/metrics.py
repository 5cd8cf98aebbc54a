"""``chanwatch run``'s metrics port (``web.monitor_metrics_port``, off by
default): ``/metrics`` (the database's counts and the process's own metrics:
hashing and lookup latency, FloodWait seconds, each channel's last
reconciliation), ``/healthz`` and ``/readyz``, served by uvicorn in the
monitor's own event loop."""

from __future__ import annotations

import asyncio

import uvicorn
from prometheus_client import Counter, Gauge
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

import handlers.metrics  # noqa: F401 - registers the pipeline's histograms
from hotline.console.metrics import CONTENT_TYPE, render
from storage.api import Store
from storage.codec import utc_now

FLOOD_WAIT_SECONDS = Counter(
    "chanwatch_flood_wait_seconds", "Seconds of FloodWait Telegram asked for, by request",
    ["request"],
)
RECONCILED_AT = Gauge(
    "chanwatch_reconcile_last_success_timestamp_seconds",
    "When each channel's history was last reconciled (lag: now minus this)", ["channel_id"],
)


def metrics_app(store: Store) -> Starlette:
    async def metrics(request: Request) -> Response:
        return Response(await render(store, utc_now()), media_type=CONTENT_TYPE)

    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok")

    async def readyz(request: Request) -> Response:
        try:
            size = await store.snapshot(lambda tx: tx.ledger.size())
        except Exception as exc:  # noqa: BLE001 - not ready, whatever the cause
            return JSONResponse({"status": "not ready", "detail": str(exc)}, 503)
        return JSONResponse({"status": "ready", "ledger_records": size})

    return Starlette(routes=[Route("/metrics", metrics), Route("/healthz", healthz),
                             Route("/readyz", readyz)])


def serve_metrics(store: Store, host: str, port: int) -> asyncio.Task[None]:
    """Start the metrics server in this loop; cancel the task to stop it."""
    config = uvicorn.Config(metrics_app(store), host=host, port=port, log_config=None,
                            access_log=False, lifespan="off")
    return asyncio.create_task(uvicorn.Server(config).serve(), name="metrics-server")
