"""Long work started from the console (a case's evidence export, a bank import)
runs as a job in the background; the page and the API show its phase and
progress, and its result when done. Jobs live in the process that runs them
(a restart forgets them; an export's bundle stays on disk). Only the person who
started a job sees it: anyone else gets 404, as for a job that does not exist.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import structlog

from hotline.console.errors import Missing

log = structlog.get_logger(__name__)

#: Finished jobs kept (oldest forgotten first).
KEEP = 200


@dataclass
class Job:
    id: str
    kind: str  # "export" | "import"
    owner: str
    title: str
    started_at: datetime
    phase: str = "queued"
    done: bool = False
    ok: bool = False
    error: str | None = None
    result: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None  # the file being written (export)
    finished_at: datetime | None = None

    def view(self, now: datetime) -> dict[str, Any]:
        size = None
        if self.path is not None:
            try:
                size = self.path.stat().st_size
            except OSError:
                size = None
        end = self.finished_at or now
        return {
            "id": self.id, "kind": self.kind, "title": self.title, "phase": self.phase,
            "done": self.done, "ok": self.ok, "error": self.error, "result": self.result,
            "bytes_written": size, "started_at": self.started_at,
            "elapsed_s": round((end - self.started_at).total_seconds(), 1),
        }


class Jobs:
    def __init__(self, clock: Callable[[], datetime]) -> None:
        self._clock = clock
        self._jobs: dict[str, Job] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def start(
        self,
        kind: str,
        owner: str,
        title: str,
        work: Callable[[Job], Awaitable[dict[str, Any]]],
        errors: tuple[type[BaseException], ...],
    ) -> Job:
        """Run ``work(job)`` in the background; ``errors``: exceptions that end it
        with their message (anything else ends it as an internal error, logged)."""
        job = Job(secrets.token_urlsafe(12), kind, owner, title, self._clock())
        self._jobs[job.id] = job
        self._forget_old()

        async def run() -> None:
            try:
                job.result = await work(job)
                job.ok = True
                job.phase = "done"
            except errors as exc:
                job.error, job.phase = str(exc), "failed"
            except Exception as exc:  # a job must not die silently
                log.exception("console_job_failed", job=job.id, kind=kind)
                job.error, job.phase = f"internal error: {type(exc).__name__}", "failed"
            finally:
                job.done = True
                job.finished_at = self._clock()

        task = asyncio.create_task(run(), name=f"console-{kind}-{job.id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return job

    def get(self, job_id: str, owner: str, kind: str | None = None) -> Job:
        job = self._jobs.get(job_id)
        if job is None or job.owner != owner or (kind is not None and job.kind != kind):
            raise Missing(f"no job {job_id[:40]!r} of yours")
        return job

    def mine(self, owner: str) -> list[Job]:
        return sorted((j for j in self._jobs.values() if j.owner == owner),
                      key=lambda j: j.started_at, reverse=True)

    def _forget_old(self) -> None:
        finished = sorted((j for j in self._jobs.values() if j.done), key=lambda j: j.started_at)
        for job in finished[: max(0, len(finished) - KEEP)]:
            del self._jobs[job.id]

    async def wait(self) -> None:
        """Let running jobs finish (shutdown, tests)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
