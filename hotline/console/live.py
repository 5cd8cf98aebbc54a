"""Live updates of an open queue: server-sent events (``GET /queue/events``).

Why SSE and not polling: one long HTTP response per open queue, pushed to
within ``live_interval`` (1 s) of a change, with no request per client per
interval; ``EventSource`` reconnects by itself; it is plain HTTP, so it passes
a reverse proxy (with response buffering off for that path) and needs no
WebSocket. One task per process looks for a change (the newest alert id and
audit id: two indexed reads) while anyone listens, and tells every listener;
the page then fetches its rows again with its own filters. A stream ends after
:data:`STREAM_FOR` (the browser reconnects, and the session is checked again).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta

import structlog

from storage.api import Store

log = structlog.get_logger(__name__)

#: How long one stream lasts before the browser reconnects.
STREAM_FOR = timedelta(minutes=10)
KEEPALIVE = 15.0


class LiveFeed:
    def __init__(self, store: Store, interval: timedelta) -> None:
        self._store = store
        self._interval = interval.total_seconds()
        self._listeners: set[asyncio.Queue[str]] = set()
        self._task: asyncio.Task[None] | None = None
        self._closed = False

    @property
    def listeners(self) -> int:
        return len(self._listeners)

    async def stream(self) -> AsyncIterator[str]:
        """The event stream of one listener (``text/event-stream`` lines)."""
        queue: asyncio.Queue[str] = asyncio.Queue(maxsize=1)
        self._listeners.add(queue)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._watch(), name="console-live")
        loop = asyncio.get_running_loop()
        end = loop.time() + STREAM_FOR.total_seconds()
        try:
            yield "retry: 2000\n\n"
            while not self._closed and loop.time() < end:
                try:
                    marker = await asyncio.wait_for(queue.get(), KEEPALIVE)
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                if marker == "":
                    break
                yield f"event: changed\ndata: {marker}\n\n"
        finally:
            self._listeners.discard(queue)

    async def _watch(self) -> None:
        last: tuple[int, int] | None = None
        while self._listeners and not self._closed:
            marker: tuple[int, int] | None
            try:
                marker = await self._store.snapshot(lambda tx: tx.alert_pages.marker())
            except Exception:  # the feed must survive a store hiccup
                log.warning("console_live_read_failed", exc_info=True)
                marker = last
            if last is not None and marker is not None and marker != last:
                for queue in list(self._listeners):
                    with contextlib.suppress(asyncio.QueueFull):
                        queue.put_nowait(f"{marker[0]}.{marker[1]}")
            last = marker
            await asyncio.sleep(self._interval)

    async def close(self) -> None:
        self._closed = True
        for queue in list(self._listeners):
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait("")
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
