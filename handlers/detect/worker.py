"""The body of one detector worker process (:mod:`handlers.detect.pool` starts
it with multiprocessing's ``spawn``: a fresh interpreter, no inherited event
loop, threads or database connections).

It calls every detector's factory once (the models load here), reports which
loaded and which failed, then answers jobs one at a time until the pool closes
its end of the pipe. Messages (pickled over a ``multiprocessing`` pipe):

* worker -> pool, once: ``("ready", {name: DetectorInfo | error text})``
* pool -> worker: ``(job_id, detector name, Sample)``; ``None`` to stop
* worker -> pool: ``("ok", job_id, Finding)``, ``("garbage", job_id, text)``
  or ``("error", job_id, text)``

A detector that hangs is not this module's business: the pool kills the
process when the budget runs out and starts another.
"""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from handlers.detect.protocol import Detector, DetectorGarbage, check_detector, check_finding
from handlers.detect.registry import DetectorSpec, resolve


@dataclass(frozen=True, slots=True)
class DetectorInfo:
    """What a loaded detector told its worker about itself."""

    signal: str
    wants_bytes: bool


def _describe(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0] if text else ''}".rstrip(": ")


def load(specs: list[DetectorSpec]) -> tuple[dict[str, Detector], dict[str, DetectorInfo | str]]:
    """Call each factory once: the detectors that loaded, and a report per name
    (its :class:`DetectorInfo`, or why it failed)."""
    detectors: dict[str, Detector] = {}
    report: dict[str, DetectorInfo | str] = {}
    for spec in specs:
        try:
            made = check_detector(resolve(spec.path)(), spec.path)
        except Exception as err:  # noqa: BLE001 (user code: reported, not fatal)
            report[spec.name] = _describe(err)
            continue
        detectors[spec.name] = made
        report[spec.name] = DetectorInfo(made.signal, bool(getattr(made, "wants_bytes", False)))
    return detectors, report


def answer(detectors: dict[str, Detector], name: str, sample: Any) -> tuple[str, Any]:
    """One job's answer: ("ok", Finding), ("garbage", why) or ("error", why)."""
    detector = detectors.get(name)
    if detector is None:
        return "error", f"detector {name!r} is not loaded in this worker"
    try:
        result = detector.detect(sample)
    except Exception as err:  # noqa: BLE001 (the detector's failure: reported)
        return "error", _describe(err)
    try:
        return "ok", check_finding(result)
    except DetectorGarbage as err:
        return "garbage", str(err)


def main(conn: Connection, specs: list[DetectorSpec]) -> None:
    """The worker's loop (the process target)."""
    # Ctrl-C reaches the whole process group: the monitor stops its workers itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    detectors, report = load(specs)
    conn.send(("ready", report))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return  # the pool is gone
        if job is None:
            return
        job_id, name, sample = job
        status, value = answer(detectors, name, sample)
        try:
            conn.send((status, job_id, value))
        except (BrokenPipeError, OSError):
            return
        except Exception as err:  # noqa: BLE001 (an unpicklable answer)
            conn.send(("garbage", job_id, f"answer cannot be sent: {_describe(err)}"))
