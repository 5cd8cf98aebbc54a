"""The detector protocol: what a detector receives, what it returns, and the
check every answer goes through.

A detector scores one decoded picture held in memory (:class:`Sample`: an
image, or one keyframe of a video as vPDQ decoded it) and returns a
:class:`Finding`: labels with scores in [0, 1], the model's identifier and
its version, and optional evidence as strings. Labels name what the detector
flags ("nsfw", later "synthetic", "c2pa_ai_generated"...); the stage compares
the highest score with the detector's threshold.

A detector is made by a factory, ``package.module:factory``, called with no
argument once in each worker process of the pool (so a model is loaded where
it runs, never in the monitor's event loop), returning an object with:

``signal`` (str, required)
    What its scores mean: ``"sexual"`` for the built-in; issue 21 adds
    ``"synthetic"``. Stored with every finding; alert urgency rules combine it.
``detect(sample) -> Finding`` (required)
    Synchronous; it may take the time it needs up to the per-image budget
    (``detectors.budget``), after which its worker process is killed.
``wants_bytes`` (bool, optional, default False)
    True for detectors that read the file itself (metadata, a C2PA manifest):
    they are called once per medium, with ``sample.data`` set to the file's
    bytes and ``sample.pixels`` its first picture, instead of once per keyframe.

Whatever ``detect`` returns goes through :func:`check_finding`: anything but a
well-formed :class:`Finding` is garbage, logged, and raises no alert.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from numbers import Real
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from storage.detection_models import SCORE_DECIMALS
from storage.errors import ChanwatchError

#: Limits on one finding (a detector that returns more is returning garbage).
MAX_LABELS = 64
MAX_NAME = 128
MAX_EVIDENCE_ITEMS = 32
MAX_EVIDENCE_VALUE = 2000


@dataclass(frozen=True, slots=True)
class Sample:
    """One decoded picture to score.

    ``pixels`` is an RGB ``uint8`` array of shape (height, width, 3), at most
    ``detectors.max_side`` pixels on its longer side (larger pictures are
    reduced, keeping their aspect ratio). For a video keyframe ``frame`` is its
    number in decode order and ``time`` its presentation time in seconds.
    ``data`` is the file's bytes, only for detectors that set ``wants_bytes``.
    """

    pixels: npt.NDArray[np.uint8]
    kind: str
    frame: int | None = None
    time: float | None = None
    mime: str | None = None
    data: bytes | None = None

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])


@dataclass(frozen=True, slots=True)
class Finding:
    """What a detector says about one sample."""

    model: str
    version: str
    scores: Mapping[str, float]
    evidence: Mapping[str, str] = field(default_factory=dict)

    @property
    def top(self) -> tuple[str, float] | None:
        """The label with the highest score (ties: the first in name order)."""
        if not self.scores:
            return None
        label = max(sorted(self.scores), key=lambda k: self.scores[k])
        return label, self.scores[label]


class Detector(Protocol):
    signal: str

    def detect(self, sample: Sample) -> Finding: ...


DetectorFactory = Callable[[], Detector]


class DetectorGarbage(ChanwatchError, ValueError):
    """A detector's answer is not a well-formed :class:`Finding`; says what is wrong.
    A failure of the detector (no category): it never leaves the worker, whose
    answer says so (:mod:`handlers.detect.worker`)."""


def _name(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_NAME:
        raise DetectorGarbage(f"{what} must be a non-empty string of at most {MAX_NAME} "
                              f"characters, not {value!r:.80}")
    return value


def _score(label: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise DetectorGarbage(f"score of {label!r} is not a number: {value!r:.80}")
    score = float(value)
    if not math.isfinite(score) or not 0.0 <= score <= 1.0:
        raise DetectorGarbage(f"score of {label!r} is not in [0, 1]: {score!r}")
    return round(score, SCORE_DECIMALS)


def check_finding(value: Any) -> Finding:
    """``value`` as a clean :class:`Finding` (plain dicts, scores rounded to
    :data:`~storage.detection_models.SCORE_DECIMALS` decimals), or
    :class:`DetectorGarbage` naming what is wrong."""
    if not isinstance(value, Finding):
        raise DetectorGarbage(f"detect() returned {type(value).__name__}, not a Finding")
    model = _name(value.model, "model")
    version = _name(value.version, "version")
    if not isinstance(value.scores, Mapping):
        raise DetectorGarbage(f"scores must be a mapping label -> score, "
                              f"not {type(value.scores).__name__}")
    if len(value.scores) > MAX_LABELS:
        raise DetectorGarbage(f"{len(value.scores)} labels (at most {MAX_LABELS})")
    scores = {_name(k, "label"): _score(k, v) for k, v in value.scores.items()}
    if not isinstance(value.evidence, Mapping):
        raise DetectorGarbage(f"evidence must be a mapping of strings, "
                              f"not {type(value.evidence).__name__}")
    if len(value.evidence) > MAX_EVIDENCE_ITEMS:
        raise DetectorGarbage(f"{len(value.evidence)} evidence items "
                              f"(at most {MAX_EVIDENCE_ITEMS})")
    evidence: dict[str, str] = {}
    for key, item in value.evidence.items():
        if not isinstance(item, str) or len(item) > MAX_EVIDENCE_VALUE:
            raise DetectorGarbage(f"evidence {key!r} must be a string of at most "
                                  f"{MAX_EVIDENCE_VALUE} characters")
        evidence[_name(key, "evidence key")] = item
    return Finding(model=model, version=version, scores=scores, evidence=evidence)


def check_detector(value: Any, path: str) -> Detector:
    """What a factory made, checked: a ``signal`` and a callable ``detect``."""
    signal = getattr(value, "signal", None)
    if not isinstance(signal, str) or not signal.strip():
        raise TypeError(f"detector {path!r}: its object has no 'signal' string "
                        "(what its scores mean, e.g. 'sexual')")
    if not callable(getattr(value, "detect", None)):
        raise TypeError(f"detector {path!r}: its object has no detect(sample) method")
    wants = getattr(value, "wants_bytes", False)
    if not isinstance(wants, bool):
        raise TypeError(f"detector {path!r}: wants_bytes must be True or False")
    detector: Detector = value
    return detector
