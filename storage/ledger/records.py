"""Which ledger record each change writes: the one mapping, for every backend.

Every function here runs inside the transaction that makes the change
(``store.transaction``), so a change and its ledger record commit or roll back
together (:func:`storage.ledger.ledger.append_record`).

Captures (the pipeline's changes):

========================  ==========================================================
``post.captured``         a post stored for the first time (``record_post``)
``post.edited``           a replay with a later edit date and another text
``post.deleted``          a post marked deleted (one record per message)
``media.hashed``          a media row created, or upgraded once its file was hashed
``media.seen``            a medium seen in a post (a new sighting, with its hashes)
``match``                 one bank entry matched by a post's media
``detection``             a detector's finding on a post's medium (labels, scores,
                          model and version; never the image)
========================  ==========================================================

They carry ``channel``, ``message``, ``authorization`` and ``case`` (from the
:class:`~storage.models.Authority` the monitor's gate gave the post; null in an
unrestricted run) and the hashes: ``text_sha256`` (SHA-256 of the UTF-8 text),
``sha256``, ``md5``, ``pdq``.

Every audited change (:func:`storage.changes.audited`) is mirrored as one
record: its type is the audit action (a few renamed, :func:`ledger_type`), its
fields ``subject``, ``before``, ``after``, ``why`` plus the ``case``,
``authorization`` and scope the export selection needs
(:mod:`storage.ledger.selection`). ``alert.match`` is not mirrored: the
``match`` records written with it say the same, per match.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from storage.codec import dumps
from storage.detection_models import Detection, score_text
from storage.ledger import canonical
from storage.ledger.ledger import append_record
from storage.models import Authority, Capture, MediaRecord, PostRecord
from storage.repos import Transaction

#: The actor of the pipeline's captures.
MONITOR_ACTOR = "service:monitor"

#: Audit actions whose ledger type differs (past tense where the export reads it).
RENAMED: dict[str, str] = {
    "alert.raise": "alert.raised",
    "alert.claim": "alert.claimed",
    "alert.confirm": "alert.confirmed",
    "alert.dismiss": "alert.dismissed",
    "authorization.revoke": "authorization.revoked",
    "auth.login": "login",
    "setting.change": "setting.change",
}
#: Audit actions with no ledger record of their own (recorded otherwise).
NOT_MIRRORED = frozenset({"alert.match"})


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def authority_fields(authority: Authority | None) -> dict[str, Any]:
    if authority is None:
        return {"authorization": None, "case": None}
    return {"authorization": authority.authorization_id, "case": authority.case_reference}


def media_fields(media: MediaRecord) -> dict[str, Any]:
    return {
        "media": media.id,
        "file_id": media.file_id,
        "kind": media.kind,
        "size": media.size,
        "status": media.status,
        "reason": media.reason,
        "sha256": media.sha256,
        "md5": media.md5,
        "pdq": media.pdq,
        "pdq_quality": media.pdq_quality,
    }


async def post_captured(tx: Transaction, post: PostRecord, now: datetime) -> None:
    await append_record(tx, "post.captured", MONITOR_ACTOR, {
        "channel": post.channel_id,
        "message": post.message_id,
        **authority_fields(post.authority),
        "account": post.captured_by,
        "date": post.date,
        "edit_date": post.edit_date,
        "text_sha256": text_sha256(post.text),
        "has_media": post.has_media,
        "links": list(post.links),
        "mentions": list(post.mentions),
        "fwd_channel": post.fwd_channel_id,
        "fwd_message": post.fwd_message_id,
    }, at=now)


async def post_edited(
    tx: Transaction, post: PostRecord, previous_text: str, now: datetime
) -> None:
    await append_record(tx, "post.edited", MONITOR_ACTOR, {
        "channel": post.channel_id,
        "message": post.message_id,
        **authority_fields(post.authority),
        "account": post.captured_by,
        "edit_date": post.edit_date,
        "text_sha256": text_sha256(post.text),
        "previous_text_sha256": text_sha256(previous_text),
    }, at=now)


async def post_deleted(
    tx: Transaction,
    channel_id: int,
    message_id: int,
    authority: Authority | None,
    at: datetime,
) -> None:
    await append_record(tx, "post.deleted", MONITOR_ACTOR, {
        "channel": channel_id, "message": message_id, **authority_fields(authority),
    }, at=at)


async def media_hashed(
    tx: Transaction, media: MediaRecord, capture: Capture | None, now: datetime
) -> None:
    """A media row created or upgraded, for the post ``capture`` names (if any)."""
    await append_record(tx, "media.hashed", MONITOR_ACTOR, {
        **media_fields(media),
        "channel": capture.channel_id if capture else None,
        "message": capture.message_id if capture else None,
        **authority_fields(capture.authority if capture else None),
    }, at=now)


async def media_seen(
    tx: Transaction,
    media: MediaRecord,
    channel_id: int,
    message_id: int,
    authority: Authority | None,
    now: datetime,
) -> None:
    await append_record(tx, "media.seen", MONITOR_ACTOR, {
        **media_fields(media),
        "channel": channel_id,
        "message": message_id,
        **authority_fields(authority),
    }, at=now)


async def detection_found(
    tx: Transaction, detection: Detection, media: MediaRecord | None, capture: Capture,
    now: datetime,
) -> None:
    """A detector's finding on the medium of the post ``capture`` names: the
    labels and their scores (decimal strings), the model and its version, the
    medium's SHA-256; never the image."""
    await append_record(tx, "detection", MONITOR_ACTOR, {
        "channel": capture.channel_id,
        "message": capture.message_id,
        **authority_fields(capture.authority),
        "media": detection.media_id,
        "sha256": media.sha256 if media is not None else None,
        "detection": detection.id,
        "detector": detection.detector,
        "model": detection.model,
        "version": detection.version,
        "signal": detection.signal,
        "scores": {label: score_text(v) for label, v in detection.scores.items()},
        "evidence": dict(detection.evidence),
        "frames": detection.frames,
    }, at=now)


async def alert_origin(
    tx: Transaction, alert_id: int, channel_id: int
) -> dict[str, Any]:
    """``authorization`` and ``case`` of the alert's ``alert.raised`` record (so a
    decision is exported with the case it was raised under)."""
    # Records are canonical: the alert's id appears exactly as '"alert":"ID"'.
    rows = await tx.ledger.rows(
        types=["alert.raised"], channel=str(channel_id),
        contains=f'"alert":"{alert_id}"'.encode(), newest_first=True,
    )
    for row in rows:
        record = canonical.loads(row.record)
        if record.get("alert") == str(alert_id):
            return {"authorization": record.get("authorization"), "case": record.get("case")}
    return {"authorization": None, "case": None}


def ledger_type(action: str) -> str:
    """The ledger type of an audit action: :data:`RENAMED`, else the action, with
    an area written with an underscore folded into the area before it
    (``bank_entry.disable`` -> ``bank.entry_disable``)."""
    if action in RENAMED:
        return RENAMED[action]
    area, dot, change = action.partition(".")
    head, underscore, rest = area.partition("_")
    if dot and underscore:
        return f"{head}.{rest}_{change}"
    return action


def plain(value: Any) -> Any:
    """An audit value (dataclasses, datetimes, numbers) as ledger JSON: the audit
    trail's own JSON form, numbers written as decimal strings."""
    if value is None:
        return None
    return json.loads(dumps(value), parse_int=str, parse_float=str)


def _scope(subject: str, values: list[Any]) -> dict[str, Any]:
    """``case``/``authorization``/scope fields derivable from an audit row
    (``values``: before, then after, so the state after the change wins).

    The legal basis of a capture travels with the case's bundle: a watch's and
    a watch request's records carry ``watch`` and ``request`` (their ids), a
    watch's records the ``channel`` it is bound to, and every record whose
    values name a case (``case_reference`` or ``case``) carries that ``case``.
    """
    kind, _, ident = subject.partition(":")
    out: dict[str, Any] = {}
    if kind == "case":
        out["case"] = ident
    if kind == "authorization":
        out["authorization"] = ident
    if kind in ("watch", "request") and ident.isdigit():
        out[kind] = ident
    for value in values:
        if not isinstance(value, dict):
            continue
        case = value.get("case_reference")
        if case is None and kind in ("authorization", "watch", "request"):
            case = value.get("case")
        if isinstance(case, str):
            out["case"] = case
        if kind == "request":
            watch = value.get("watch", value.get("watch_id"))
            if isinstance(watch, str) and watch.isdigit():
                out["watch"] = watch
        if kind == "watch" and isinstance(value.get("channel_id"), str):
            out["channel"] = value["channel_id"]
        if kind == "authorization":
            if isinstance(value.get("scope"), list):
                out["channels"] = value["scope"]
            for key in ("valid_from", "valid_until"):  # the store writes canonical times
                if isinstance(value.get(key), str):
                    out[key] = value[key]
            for key, name in (("kind", "kind"), ("authority", "authority"),
                              ("document_ref", "document")):
                if isinstance(value.get(key), str):
                    out[name] = value[key]
    return out


async def _channel_names(tx: Transaction, channel: Any) -> dict[str, Any]:
    """``channel_title`` and ``channel_username`` of a channel the store knows, so
    a bundle's report can name the channel a watch is bound to."""
    if not isinstance(channel, str) or not channel.lstrip("-").isdigit():
        return {}
    known = await tx.channels.get(int(channel))
    if known is None:
        return {}
    return {"channel_title": known.title, "channel_username": known.username}


async def mirror_audit(
    tx: Transaction,
    *,
    at: datetime,
    actor: str,
    action: str,
    subject: str,
    before: Any,
    after: Any,
    why: str | None,
    extra: Mapping[str, Any] | None,
) -> int | None:
    """Append the ledger record of one audit row; its seq (None when not mirrored)."""
    if action in NOT_MIRRORED:
        return None
    rtype = ledger_type(action)
    old, new = plain(before), plain(after)
    fields: dict[str, Any] = {"subject": subject, "before": old, "after": new, "why": why}
    fields.update(_scope(subject, [old, new]))
    if subject.startswith("watch:") and "channel" in fields:
        fields.update(await _channel_names(tx, fields["channel"]))
    fields.update(extra or {})
    return await append_record(tx, rtype, actor, fields, at=at)


async def capture_authority(
    tx: Transaction, channel_id: int, message_id: int
) -> Authority | None:
    """The authorization a post was captured under (its ``post.captured`` record)."""
    rows = await tx.ledger.rows(
        types=["post.captured"], channel=str(channel_id),
        contains=f'"message":"{message_id}"'.encode(),
    )
    for row in rows:
        record = canonical.loads(row.record)
        if record.get("message") != str(message_id):
            continue
        authz, case = record.get("authorization"), record.get("case")
        if not isinstance(authz, str) or not isinstance(case, str):
            return None
        return Authority(int(authz), case)
    return None
