"""The ``[detectors]`` section of chanwatch's settings: which detectors run on
which media kinds, their thresholds, the alert priority, the per-image time
budget and the worker pool (:mod:`handlers.detect`).

:mod:`monitor.settings` puts it into the one ``Settings`` object; import it
from there.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator
from pydantic_settings import NoDecode

from handlers.detect.frames import DEFAULT_MAX_FRAMES, DEFAULT_MAX_SIDE
from handlers.detect.stage import (
    DEFAULT_KINDS,
    DEFAULT_PRIORITY,
    DEFAULT_THRESHOLD,
    DetectConfig,
)
from monitor.settings_sections import MEDIA_KINDS
from monitor.settings_values import DOTTED, Duration, split_list, split_mapping

#: Longest per-image budget (a detector needing more is misconfigured).
MAX_BUDGET = timedelta(minutes=10)


def _no_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("must be a number between 0 and 1, not true/false")
    return value


Score = Annotated[float, BeforeValidator(_no_bool), Field(gt=0, le=1, allow_inf_nan=False)]


class DetectorSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    #: The built-in open_nsfw detector: ``auto`` runs it when the extra
    #: ``chanwatch[detect]`` is installed, ``on`` requires it, ``off`` never.
    builtin: Literal["auto", "on", "off"] = "auto"
    #: Your own detectors, ``package.module:factory``, run after the built-in.
    extra: Annotated[tuple[str, ...], NoDecode, BeforeValidator(split_list)] = ()
    #: Media kinds the detectors look at (a kind must also be in media.hash_kinds).
    kinds: Annotated[frozenset[str], NoDecode, BeforeValidator(split_list)] = DEFAULT_KINDS
    #: A top score at or above this raises a ``detected`` alert.
    threshold: Score = DEFAULT_THRESHOLD
    #: Per detector (its name: ``open_nsfw`` or ``package.module:factory``).
    thresholds: Annotated[dict[str, Score], NoDecode, BeforeValidator(split_mapping)] = Field(
        default_factory=dict
    )
    #: Priority of a ``detected`` alert (1 is the most urgent; bank matches
    #: default to 1-3, so 4 keeps detections below every hash match).
    priority: int = Field(default=DEFAULT_PRIORITY, ge=1)
    #: Time a detector may spend on one image or keyframe; then its worker is killed.
    budget: Duration = timedelta(seconds=5)
    #: Worker processes (each loads every detector).
    workers: int = Field(default=1, ge=1, le=64)
    #: Keyframes of a video given to the detectors, evenly spread (from vPDQ's).
    max_frames: int = Field(default=DEFAULT_MAX_FRAMES, ge=1, le=256)
    #: Pictures are reduced to at most this many pixels on the longer side.
    max_side: int = Field(default=DEFAULT_MAX_SIDE, ge=64, le=8192)

    @field_validator("extra")
    @classmethod
    def _dotted(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for item in value:
            if not DOTTED.match(item):
                raise ValueError(f"{item!r} is not a dotted path like 'package.module:factory'")
        return value

    @field_validator("kinds")
    @classmethod
    def _kinds(cls, value: frozenset[str]) -> frozenset[str]:
        unknown = sorted(set(value) - MEDIA_KINDS)
        if unknown:
            raise ValueError(
                f"unknown media kind {', '.join(unknown)}; known: {', '.join(sorted(MEDIA_KINDS))}"
            )
        return value

    @field_validator("budget")
    @classmethod
    def _budget(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0) or value > MAX_BUDGET:
            raise ValueError("must be positive and at most 10m")
        return value

    def config(self) -> DetectConfig:
        """The stage's view of these settings."""
        return DetectConfig(
            kinds=self.kinds,
            threshold=self.threshold,
            thresholds=dict(self.thresholds),
            priority=self.priority,
            budget=self.budget.total_seconds(),
            max_frames=self.max_frames,
            max_side=self.max_side,
            workers=self.workers,
        )
