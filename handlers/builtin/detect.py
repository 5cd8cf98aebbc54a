"""The ``detect`` handler: what the detectors say about the post's medium, stored
per medium, and a ``detected`` alert when a score reaches its threshold.

It runs after ``alert`` when the detector stage is on (``ctx.detectors``) and
looks at the media kinds ``detectors.kinds`` names:

* **A medium hashed for this post**: the pictures ``media`` took while hashing
  (``ctx.state.detect_input``, memory only) go to every detector in the worker
  pool (:class:`handlers.detect.DetectorStage`). Each detector's finding
  (labels, scores, model, version) is stored for the medium with a
  ``detection`` ledger record naming this post; the pictures are dropped.
* **A medium seen before** (no download): its stored findings are used again,
  so a repost in another channel gets its own alert.

A finding whose top score reaches the detector's threshold
(``detectors.threshold`` / ``detectors.thresholds``) raises the post's alert,
or joins the alert a bank match already raised, with priority
``detectors.priority`` (default 4: below every bank match). A detector whose
detection on this medium an operator dismissed raises nothing for it again.
A detector that fails (raises, runs past its budget, returns garbage) is
logged with the post's ids; it stores nothing and raises nothing, and the post
is recorded as always.
"""

from __future__ import annotations

from collections.abc import Sequence

from handlers.context import Context
from handlers.detect.stage import DetectorStage, Outcome
from handlers.post import Post
from storage.detection_models import Detection, DetectionIn
from storage.detections import raise_detected_alert, record_detection
from storage.models import Alert, Capture, MediaRecord
from storage.repos import Transaction


def detection_in(media_id: int, outcome: Outcome) -> DetectionIn:
    """The finding of a successful outcome, to store for ``media_id``."""
    finding = outcome.finding
    assert finding is not None
    return DetectionIn(
        media_id=media_id, detector=outcome.detector, model=finding.model,
        version=finding.version, signal=outcome.signal, scores=dict(finding.scores),
        evidence=dict(finding.evidence), frames=max(1, outcome.frames),
        frame_time=outcome.frame_time,
    )


async def _raise(
    tx: Transaction, stage: DetectorStage, post: Post, ctx: Context, media: MediaRecord,
    stored: Sequence[Detection],
) -> Alert | None:
    flagged = [d for d in stored if stage.flags(d.detector, d.scores)]
    if not flagged:
        return None
    dismissed = await tx.detections.dismissed_detectors(media.id)
    flagged = [d for d in flagged if d.detector not in dismissed]
    if not flagged:
        return None
    return await raise_detected_alert(
        tx, post.channel_id, post.message_id, [d.id for d in flagged],
        stage.config.priority, ctx.clock() + ctx.config.alert_due, authority=post.authority,
    )


async def _fresh(
    post: Post, ctx: Context, stage: DetectorStage, media: MediaRecord
) -> tuple[list[Detection], Alert | None]:
    media_input = ctx.state.detect_input
    ctx.state.detect_input = None  # the pictures are not kept past this point
    if media_input is None:
        return [], None
    outcomes = await stage.detect(media_input)
    found = []
    for outcome in outcomes:
        if outcome.ok:
            found.append(detection_in(media.id, outcome))
        else:
            ctx.log.warning(
                "detector_failed", detector=outcome.detector, failure=outcome.failure,
                error=outcome.error, media_id=media.id, kind=media.kind,
                frames_scored=outcome.frames,
            )
    if not found:
        return [], None
    capture = Capture(post.channel_id, post.message_id, post.authority)

    async def write(tx: Transaction) -> tuple[list[Detection], Alert | None]:
        stored = [(await record_detection(tx, d, capture))[0] for d in found]
        return stored, await _raise(tx, stage, post, ctx, media, stored)

    return await ctx.store.transaction(write)


async def _seen_before(
    post: Post, ctx: Context, stage: DetectorStage, media: MediaRecord
) -> tuple[list[Detection], Alert | None]:
    stored = await ctx.store.snapshot(lambda tx: tx.detections.for_media(media.id))
    if not any(stage.flags(d.detector, d.scores) for d in stored):
        return stored, None

    async def write(tx: Transaction) -> Alert | None:
        return await _raise(tx, stage, post, ctx, media, stored)

    return stored, await ctx.store.transaction(write)


async def handle_detect(post: Post, ctx: Context) -> None:
    """Run the detectors on the post's medium (or reuse their findings)."""
    stage = ctx.detectors
    media = ctx.state.media
    if stage is None or media is None or not stage.wants(media.kind):
        ctx.state.detect_input = None
        return
    if ctx.state.detect_input is not None:
        stored, alert = await _fresh(post, ctx, stage, media)
    elif ctx.state.media_reused and media.status == "hashed":
        stored, alert = await _seen_before(post, ctx, stage, media)
    else:
        return
    ctx.state.detections = stored
    for d in stored:
        ctx.log.info("media_detected", media_id=media.id, detector=d.detector,
                     top_label=d.top_label, top_score=d.top_score, frames=d.frames)
    if alert is not None:
        ctx.state.alert = alert
        ctx.log.warning("detected_alert", alert_id=alert.id, kind=alert.kind,
                        priority=alert.priority, detections=len(alert.detections))
