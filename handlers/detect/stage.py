"""The detector stage: the settings it runs with (:class:`DetectConfig`), and
:class:`DetectorStage`, which runs every loaded detector on one medium's
pictures in the worker pool and sums up what each found (:class:`Outcome`).

Per detector and medium: each picture (an image, or each keyframe of a video)
gets ``budget`` seconds; the scores are each label's maximum over the
pictures, with the time of the keyframe that scored highest. A detector that
raises, runs past its budget or returns garbage on any picture of the medium
fails for that medium (its other keyframes are not tried): the outcome carries
the error, and raises no alert. Detectors run concurrently, one picture after
the other each. A detector that reads the file itself (``wants_bytes``) is
called once per medium.

The same stage serves the pipeline's ``detect`` handler and ``chanwatch hash
--detect``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType

import structlog

from handlers.detect.frames import (
    DEFAULT_MAX_FRAMES,
    DEFAULT_MAX_SIDE,
    MediaInput,
    MediaSampler,
)
from handlers.detect.pool import DEFAULT_START_TIMEOUT, DetectorFailed, DetectorPool, FailureKind
from handlers.detect.protocol import Finding, Sample
from handlers.detect.registry import DetectorSpec
from handlers.detect.worker import DetectorInfo

log = structlog.get_logger(__name__)

#: Media kinds the detectors look at unless ``detectors.kinds`` says otherwise.
DEFAULT_KINDS: frozenset[str] = frozenset({"photo", "video", "animation", "document", "sticker"})
#: A top score at or above this raises a ``detected`` alert (``detectors.threshold``).
DEFAULT_THRESHOLD = 0.8
#: Priority of a ``detected`` alert: below every bank match's default (3).
DEFAULT_PRIORITY = 4
#: Seconds a detector may spend on one picture.
DEFAULT_BUDGET = 5.0


@dataclass(frozen=True, slots=True)
class DetectConfig:
    """The stage's settings (built by ``monitor.settings`` from ``[detectors]``)."""

    kinds: frozenset[str] = DEFAULT_KINDS
    threshold: float = DEFAULT_THRESHOLD
    #: Per-detector thresholds (detector name -> threshold), overriding ``threshold``.
    thresholds: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    priority: int = DEFAULT_PRIORITY
    budget: float = DEFAULT_BUDGET
    max_frames: int = DEFAULT_MAX_FRAMES
    max_side: int = DEFAULT_MAX_SIDE
    workers: int = 1

    def threshold_of(self, detector: str) -> float:
        return self.thresholds.get(detector, self.threshold)


@dataclass(frozen=True, slots=True)
class Outcome:
    """One detector's result on one medium."""

    detector: str
    signal: str
    #: Each label's maximum over the pictures; None when the detector failed.
    finding: Finding | None
    frames: int = 0
    frame_time: float | None = None
    failure: FailureKind | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.finding is not None


def combine(findings: Sequence[tuple[Sample, Finding]]) -> tuple[Finding, float | None]:
    """Several pictures' findings as one: each label's maximum, the first
    picture's model, version and evidence; the time of the top-scoring keyframe."""
    first = findings[0][1]
    scores: dict[str, float] = {}
    best: tuple[float, float | None] = (-1.0, None)
    for sample, finding in findings:
        for label, score in finding.scores.items():
            scores[label] = max(score, scores.get(label, 0.0))
        top = finding.top
        if top is not None and top[1] > best[0]:
            best = (top[1], sample.time)
    merged = Finding(model=first.model, version=first.version, scores=scores,
                     evidence=dict(first.evidence))
    return merged, best[1]


class DetectorStage:
    """Runs the detectors of ``specs`` in a :class:`DetectorPool`."""

    def __init__(
        self,
        specs: Sequence[DetectorSpec],
        config: DetectConfig | None = None,
        *,
        start_timeout: float = DEFAULT_START_TIMEOUT,
    ) -> None:
        self.config = config or DetectConfig()
        self.pool = DetectorPool(specs, self.config.workers, start_timeout=start_timeout)

    async def start(self) -> None:
        await self.pool.start()
        log.info("detectors_started", detectors=list(self.pool.detectors),
                 failed=sorted(self.pool.failed), workers=self.pool.alive,
                 kinds=sorted(self.config.kinds))

    async def close(self) -> None:
        await self.pool.close()

    @property
    def detectors(self) -> dict[str, DetectorInfo]:
        """The detectors that loaded, by name."""
        return dict(self.pool.detectors)

    def wants(self, kind: str) -> bool:
        """True when a medium of ``kind`` goes to the detectors."""
        return kind in self.config.kinds and bool(self.pool.detectors)

    def sampler(self, kind: str, mime: str | None = None) -> MediaSampler | None:
        """A sampler for one medium of ``kind`` (None: not detected)."""
        if not self.wants(kind):
            return None
        keep = any(i.wants_bytes for i in self.pool.detectors.values())
        return MediaSampler(kind, mime, max_side=self.config.max_side,
                            max_frames=self.config.max_frames, keep_bytes=keep)

    def flags(self, detector: str, scores: Mapping[str, float]) -> bool:
        """True when the top score reaches the detector's threshold."""
        return bool(scores) and max(scores.values()) >= self.config.threshold_of(detector)

    async def detect(self, media: MediaInput) -> list[Outcome]:
        """Every loaded detector's outcome on ``media``, in registration order."""
        if not media.samples:
            return []
        return list(await asyncio.gather(
            *(self._one(name, info, media) for name, info in self.pool.detectors.items())
        ))

    async def _one(self, name: str, info: DetectorInfo, media: MediaInput) -> Outcome:
        samples = media.samples
        if info.wants_bytes:
            samples = (replace(samples[0], data=media.data),)
        found: list[tuple[Sample, Finding]] = []
        for sample in samples:
            try:
                finding = await self.pool.run(name, sample, self.config.budget)
            except DetectorFailed as failed:
                return Outcome(name, info.signal, None, frames=len(found),
                               failure=failed.kind, error=failed.message)
            found.append((sample, finding))
        merged, when = combine(found)
        return Outcome(name, info.signal, merged, frames=len(found), frame_time=when)
