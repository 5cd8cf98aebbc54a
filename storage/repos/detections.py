"""The repository of detectors' findings and of the alerts they raise. Rows
only: which detector runs and when a score flags are :mod:`handlers.detect`'s
rules, the ledger records of a finding :mod:`storage.detections`'."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from storage.detection_models import DetectedAlert, Detection, DetectionIn


class DetectionsRepo(Protocol):
    async def add(self, detection: DetectionIn, now: datetime) -> tuple[Detection, bool]: ...
    # Idempotent on (media, detector, model, version): (the row, True when new).
    # NotFound for an unknown medium; ValueError for a score outside [0, 1].
    async def get(self, detection_id: int) -> Detection | None: ...
    async def for_media(self, media_id: int) -> list[Detection]: ...  # oldest first
    async def dismissed_detectors(self, media_id: int) -> set[str]: ...
    # detectors whose detection on this medium is on a dismissed alert
    async def attach(
        self,
        channel_id: int,
        message_id: int,
        detection_ids: Sequence[int],
        priority: int,
        due_at: datetime,
        now: datetime,
    ) -> DetectedAlert: ...
    # the post's alert (created open, kind 'detected', if it has none) with the
    # detections linked; NotFound for an unknown post or detection
