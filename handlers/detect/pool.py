"""The detectors' worker pool: N worker processes, each with every detector
loaded, one job at a time each.

**Processes, not threads.** A detector is third-party code with a model
inside. In a process it can be *stopped*: when it hangs past its per-image
budget the pool kills that worker (SIGKILL) and starts another, which a
thread cannot do (a hung thread is lost for good, and the next hang takes the
next one). A process also keeps a pure-Python detector from holding the
monitor's GIL, and a crash in native code (onnxruntime, a codec) from taking
the monitor down. The price: a picture is pickled through a pipe (a 1280 px
RGB photo is 4.9 MB, a few milliseconds) and each worker holds its own copy of
the models (the built-in's is 23 MB). Workers use multiprocessing's ``spawn``
start: a fresh interpreter, nothing inherited from the monitor's event loop,
threads or database connections.

**The event loop never waits.** A picture is sent from a worker thread; the
answer is awaited with ``loop.add_reader`` on the pipe and ``asyncio.wait_for``
with the budget. A worker that does not answer in time is killed; one that
dies is replaced; either way the job fails with :class:`DetectorFailed` and
the caller goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import multiprocessing
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Literal

import structlog

from handlers.detect import worker
from handlers.detect.protocol import Finding, Sample
from handlers.detect.registry import DetectorSpec
from handlers.detect.worker import DetectorInfo
from storage.errors import ChanwatchError

log = structlog.get_logger(__name__)

FailureKind = Literal["error", "garbage", "timeout", "crashed", "unavailable"]
#: How long a new worker may take to load every detector.
DEFAULT_START_TIMEOUT = 120.0
#: How long a worker asked to stop may take before it is killed.
STOP_GRACE = 2.0


class DetectorFailed(ChanwatchError):
    """A detector gave no usable answer for one sample: it raised (``error``),
    returned garbage, ran past its budget (``timeout``), its worker died
    (``crashed``), or no worker runs (``unavailable``)."""

    def __init__(self, kind: FailureKind, message: str) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.message = message


@dataclass(eq=False, slots=True)
class _Worker:
    process: BaseProcess
    conn: Connection


async def _readable(conn: Connection, within: float | None) -> None:
    """Wait until ``conn`` has data (or EOF) without blocking the event loop."""
    loop = asyncio.get_running_loop()
    ready: asyncio.Future[None] = loop.create_future()

    def wake() -> None:
        if not ready.done():
            ready.set_result(None)

    fd = conn.fileno()
    loop.add_reader(fd, wake)
    try:
        await asyncio.wait_for(ready, within)
    finally:
        loop.remove_reader(fd)


class DetectorPool:
    """Worker processes running the detectors of ``specs``."""

    def __init__(
        self,
        specs: Sequence[DetectorSpec],
        workers: int = 1,
        *,
        start_timeout: float = DEFAULT_START_TIMEOUT,
    ) -> None:
        if workers < 1:
            raise ValueError(f"a detector pool needs at least one worker, not {workers}")
        self._specs = list(specs)
        self._size = workers
        self._start_timeout = start_timeout
        self._mp = multiprocessing.get_context("spawn")
        self._idle: asyncio.Queue[_Worker | None] = asyncio.Queue()
        self._workers: set[_Worker] = set()
        self._starting = 0
        self._pending: set[asyncio.Task[None]] = set()
        self._jobs = itertools.count(1)
        self._closed = False
        #: Detectors that loaded (name -> signal, wants_bytes), in spec order.
        self.detectors: dict[str, DetectorInfo] = {}
        #: Detectors whose factory failed in the worker: name -> why.
        self.failed: dict[str, str] = {}

    @property
    def alive(self) -> int:
        """Workers running or starting."""
        return len(self._workers) + self._starting

    async def start(self) -> None:
        """Start the workers and wait until each has loaded its detectors.
        Afterwards :attr:`detectors` and :attr:`failed` say what loaded."""
        if not self._specs:
            return
        started = await asyncio.gather(
            *(self._spawn() for _ in range(self._size)), return_exceptions=True
        )
        reports = [r for r in started if not isinstance(r, BaseException)]
        for result in started:
            if isinstance(result, BaseException):
                log.error("detector_worker_start_failed", error=str(result))
        if reports:
            report = reports[0]
            for spec in self._specs:
                outcome = report.get(spec.name, "not loaded")
                if isinstance(outcome, DetectorInfo):
                    self.detectors[spec.name] = outcome
                else:
                    self.failed[spec.name] = outcome
                    log.error("detector_load_failed", detector=spec.name, error=outcome)
        if not self.detectors:
            await self.close()

    async def _spawn(self) -> dict[str, DetectorInfo | str]:
        """One new worker, ready and idle; its load report."""
        self._starting += 1
        try:
            parent, child = self._mp.Pipe(duplex=True)
            process = self._mp.Process(
                target=worker.main, args=(child, self._specs), daemon=True,
                name="chanwatch-detector",
            )
            # Starting is a fork and exec (milliseconds), done here so that no
            # cancellation can leave a process behind that nobody tracks.
            process.start()
            child.close()
            new = _Worker(process, parent)
            try:
                await _readable(parent, self._start_timeout)
                kind, report = parent.recv()
            except (TimeoutError, EOFError, OSError, ValueError) as err:
                await self._kill(new)
                raise RuntimeError(
                    f"detector worker did not start: {type(err).__name__} {err}".rstrip()
                ) from None
            except BaseException:  # cancelled while it loaded: never leave it running
                await asyncio.shield(self._kill(new))
                raise
            if kind != "ready" or not isinstance(report, dict):
                await self._kill(new)
                raise RuntimeError(f"detector worker sent {kind!r} instead of its report")
            if self._closed:
                await self._kill(new)
                raise RuntimeError("the detector pool closed while a worker started")
            self._workers.add(new)
            self._idle.put_nowait(new)
            return report
        finally:
            self._starting -= 1

    async def _acquire(self) -> _Worker:
        while True:
            if self._closed or self.alive == 0:
                raise DetectorFailed("unavailable", "no detector worker is running")
            got = await self._idle.get()
            if got is not None and got in self._workers:
                return got

    async def run(self, name: str, sample: Sample, budget: float) -> Finding:
        """Detector ``name``'s finding on ``sample``, within ``budget`` seconds
        from the moment the worker has the picture; :class:`DetectorFailed`
        otherwise."""
        if name not in self.detectors:
            raise DetectorFailed("unavailable", f"detector {name!r} is not loaded")
        w = await self._acquire()
        healthy = False
        try:
            job = next(self._jobs)
            try:
                await asyncio.to_thread(w.conn.send, (job, name, sample))
            except (OSError, ValueError) as err:
                raise DetectorFailed("crashed", f"worker cannot take the picture: {err}") from None
            try:
                await _readable(w.conn, budget)
                status, job_id, value = w.conn.recv()
            except TimeoutError:
                raise DetectorFailed(
                    "timeout", f"no answer within the budget of {budget:g}s; worker killed"
                ) from None
            except (EOFError, OSError):
                raise DetectorFailed("crashed", "its worker process died") from None
            if job_id != job:
                raise DetectorFailed("crashed", f"worker answered job {job_id}, not {job}")
            healthy = True
            if status == "ok" and isinstance(value, Finding):
                return value
            if status in ("error", "garbage"):
                raise DetectorFailed(status, str(value))
            raise DetectorFailed("garbage", f"worker answered {status!r}")
        finally:
            if healthy:
                self._idle.put_nowait(w)
            else:  # busy, dead or out of step: never reuse it
                await self._kill(w)
                self._replace()

    def _replace(self) -> None:
        if self._closed:
            return
        task = asyncio.get_running_loop().create_task(self._replacement())
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _replacement(self) -> None:
        try:
            await self._spawn()
            log.info("detector_worker_replaced", workers=len(self._workers))
        except Exception as err:  # noqa: BLE001 (logged; the pool runs with fewer workers)
            log.error("detector_worker_replace_failed", error=str(err))
            self._idle.put_nowait(None)  # wake a waiter: it re-checks what is alive

    async def _kill(self, w: _Worker) -> None:
        self._workers.discard(w)
        with contextlib.suppress(OSError):
            w.conn.close()
        if w.process.is_alive():
            w.process.kill()
        await asyncio.to_thread(w.process.join, STOP_GRACE)
        with contextlib.suppress(ValueError):
            w.process.close()

    async def close(self) -> None:
        """Stop every worker (asked first, killed after :data:`STOP_GRACE`)."""
        self._closed = True
        for task in list(self._pending):
            task.cancel()
        for task in list(self._pending):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        workers = list(self._workers)
        for w in workers:
            with contextlib.suppress(OSError, ValueError):
                w.conn.send(None)
        await asyncio.gather(*(self._stop(w) for w in workers))
        self._idle.put_nowait(None)

    async def _stop(self, w: _Worker) -> None:
        await asyncio.to_thread(w.process.join, STOP_GRACE)
        await self._kill(w)

    def __repr__(self) -> str:
        return f"DetectorPool(detectors={list(self.detectors)}, workers={self.alive})"
