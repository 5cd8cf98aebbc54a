"""The changes the detector stage makes, each with its ledger record, written
once for every backend: a detector's finding on a medium, and the post's alert
it raises (kind ``detected``).

Each function runs inside ``store.transaction``; ``tx.now`` stamps the change.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from storage.changes import audited, require_actor
from storage.detection_models import Detection, DetectionIn
from storage.ledger import records
from storage.models import Alert, Authority, Capture
from storage.repos import Transaction

#: The actor of the detector stage's alerts.
DETECTOR_ACTOR = "system:detector"


async def record_detection(
    tx: Transaction, detection: DetectionIn, capture: Capture
) -> tuple[Detection, bool]:
    """Store a finding (idempotent per medium, detector, model and version);
    a new one is recorded in the ledger (``detection``) with the post it was
    found in. Returns (the row, True when new)."""
    stored, new = await tx.detections.add(detection, tx.now)
    if new:
        media = await tx.media.get(detection.media_id)
        await records.detection_found(tx, stored, media, capture, tx.now)
    return stored, new


async def raise_detected_alert(
    tx: Transaction,
    channel_id: int,
    message_id: int,
    detection_ids: Sequence[int],
    priority: int,
    due_at: datetime,
    actor: str = DETECTOR_ACTOR,
    authority: Authority | None = None,
) -> Alert:
    """The post's alert (created ``open``, kind ``detected``, if it has none) with
    the detections attached: ``alert.raised`` (with the post, its authorization
    and case, the detections' labels and scores) for a new alert,
    ``alert.detection`` when detections join an existing one."""
    require_actor(actor)
    if not detection_ids:
        raise ValueError("a detected alert needs at least one detection")
    raised = await tx.detections.attach(
        channel_id, message_id, detection_ids, priority, due_at, tx.now
    )
    alert = raised.alert
    if not raised.added:
        return alert
    shown = [d for d in alert.detections if d["detection_id"] in raised.added]
    found = [{k: d[k] for k in ("detection_id", "media_id", "detector", "model", "version",
                                "signal", "scores")} for d in shown]
    origin = {"channel": channel_id, "message": message_id, "alert": alert.id,
              **records.authority_fields(authority)}
    if raised.created:
        await audited(
            tx, actor=actor, action="alert.raise", subject=f"alert:{alert.id}",
            after={"state": "open", "kind": "detected", "priority": priority, "due_at": due_at,
                   "channel_id": channel_id, "message_id": message_id, "detections": found},
            ledger=origin,
        )
    else:
        await audited(tx, actor=actor, action="alert.detection", subject=f"alert:{alert.id}",
                      after={"detections": found}, ledger=origin)
    return alert
