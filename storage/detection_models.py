"""Plain values of the detection tables (migration 0008): what a detector found
in a medium (:class:`DetectionIn` to store, :class:`Detection` as stored) and
what attaching detections to a post's alert did (:class:`DetectedAlert`).

A finding holds labels with scores, the model and its version, what the scores
mean (``signal``) and detector-specific evidence: never the media itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

from storage.models import Alert

#: A score is written with this many decimals (detectors' noise lies beyond).
SCORE_DECIMALS = 4


def score_text(score: float) -> str:
    """A score as the ledger and the CLI write it (``0.9731``)."""
    return f"{score:.{SCORE_DECIMALS}f}"


def _top(scores: Mapping[str, float]) -> tuple[str | None, float | None]:
    if not scores:
        return None, None
    label = max(sorted(scores), key=lambda k: scores[k])
    return label, scores[label]


@dataclass(frozen=True, slots=True)
class DetectionIn:
    """One detector's finding on one medium, before it is stored."""

    media_id: int
    #: The detector's registered name (``open_nsfw``, ``package.module:factory``).
    detector: str
    #: The model's identifier and version, as the detector reports them.
    model: str
    version: str
    #: What the scores mean: ``sexual`` (issue 21 adds ``synthetic``).
    signal: str
    #: Label -> score in [0, 1]; for a video, each label's maximum over its keyframes.
    scores: Mapping[str, float]
    #: Detector-specific evidence as strings (a manifest's signer, a watermark...).
    evidence: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    #: How many images or keyframes were scored (1 for an image).
    frames: int = 1
    #: Video: the time in seconds of the keyframe with the top score.
    frame_time: float | None = None

    @property
    def top_label(self) -> str | None:
        return _top(self.scores)[0]

    @property
    def top_score(self) -> float | None:
        return _top(self.scores)[1]


@dataclass(frozen=True, slots=True)
class Detection:
    """A stored finding (table ``detections``)."""

    id: int
    media_id: int
    detector: str
    model: str
    version: str
    signal: str
    scores: Mapping[str, float]
    evidence: Mapping[str, str]
    frames: int
    frame_time: float | None
    detected_at: datetime

    @property
    def top_label(self) -> str | None:
        return _top(self.scores)[0]

    @property
    def top_score(self) -> float | None:
        return _top(self.scores)[1]

    def summary(self) -> dict[str, Any]:
        """What an alert shows of it: labels and scores, never the image."""
        return {
            "detection_id": self.id,
            "media_id": self.media_id,
            "detector": self.detector,
            "model": self.model,
            "version": self.version,
            "signal": self.signal,
            "scores": dict(self.scores),
            "top_label": self.top_label,
            "top_score": self.top_score,
            "evidence": dict(self.evidence),
            "frames": self.frames,
            "frame_time": self.frame_time,
            "detected_at": self.detected_at,
        }


@dataclass(frozen=True, slots=True)
class DetectedAlert:
    """What attaching detections to a post's alert did."""

    alert: Alert
    created: bool
    added: tuple[int, ...]  # the detection ids new to the alert
