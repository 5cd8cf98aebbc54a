"""``chanwatch alerts list|show|claim|confirm|dismiss``: the review queue.

An alert is ``open`` when raised; an operator ``claim``s it (it is theirs to
decide), then ``confirm``s it (the content is what the bank says: takedown and
evidence follow) or ``dismiss``es it (a false positive). ``confirm`` and
``dismiss`` may also be done straight from ``open``. Decisions need a
``--note`` saying why; a claimed alert is decided by whoever claimed it (or a
supervisor). Every change is audited with who and when. The queue's logic is
:mod:`hotline.queue`; this module parses and prints.

``alerts list`` shows each undecided alert's time left before its due time, or
``OVERDUE``; ``--overdue`` lists only those. ``alerts show`` lists the matches;
a vPDQ match also says which direction matched (``contains``: the post contains
the banked video; ``excerpt``: the post is an excerpt of it; ``both``) and the
two percentages (``banked_found``: of the banked video's frames, found in the
post; ``posted_found``: of the post's frames, found in the banked video).

Decisions teach the matcher (in the same transaction): ``confirm`` puts every
hash of the alert's media into the local ``confirmed`` bank (source
``alert:ID``), so a repost anywhere is caught; ``dismiss`` disables each matched
bank entry for that medium only. A running monitor picks both up at its next
bank check and re-matches recent media when a bank grew.
"""

from __future__ import annotations

import argparse
from typing import Any

from hotline.queue import (
    OVERRULING_ROLE,
    STATES,
    AlertQueue,
    QueueItem,
    bank_names,
    detection_labels,
    format_time_left,
)
from monitor.cli.arguments import row_id
from monitor.cli.common import (
    CliContext,
    SubParsers,
    acting_user,
    add_json_flag,
    emit_list,
    emit_object,
    open_store,
    say,
)
from storage.models import Alert, AlertState

COLUMNS = ("id", "state", "priority", "due_at", "time_left", "channel_id", "message_id",
           "matches", "banks", "claimed_by", "kind", "detections")
#: Characters of post text shown by ``alerts show`` (metadata, never the media).
TEXT_PREVIEW = 200

_VERBS: dict[str, tuple[AlertState, str, bool]] = {
    # command: (new state, help, note required)
    "claim": ("claimed", "take an open alert to review it", False),
    "confirm": ("confirmed", "confirm: the content is what the bank entry says", True),
    "dismiss": ("dismissed", "dismiss: a false positive", True),
}


def register(sub: SubParsers) -> None:
    alerts = sub.add_parser("alerts", help="the alert review queue")
    cmds = alerts.add_subparsers(dest="alerts_command", metavar="ACTION", required=True)

    lst = cmds.add_parser("list", help="alerts, most urgent first")
    lst.add_argument("--state", choices=STATES, help="only alerts in this state")
    lst.add_argument("--overdue", action="store_true",
                     help="only undecided alerts past their due time")
    add_json_flag(lst)
    lst.set_defaults(func=cmd_list, quiet=True)

    show = cmds.add_parser("show", help="one alert with its matches and the post's metadata")
    show.add_argument("id", type=row_id, help="the alert's id (see `chanwatch alerts list`)")
    add_json_flag(show)
    show.set_defaults(func=cmd_show, quiet=True)

    for verb, (_state, text, note_required) in _VERBS.items():
        p = cmds.add_parser(verb, help=text)
        p.add_argument("id", type=row_id, help="the alert's id (see `chanwatch alerts list`)")
        p.add_argument(
            "--note",
            required=note_required,
            help="why (recorded with the decision)" + ("" if note_required else "; optional"),
        )
        p.set_defaults(func=cmd_transition, verb=verb, quiet=True)


def alert_row(alert: Alert) -> dict[str, Any]:
    return {
        "id": alert.id,
        "state": alert.state,
        "priority": alert.priority,
        "created_at": alert.created_at,
        "due_at": alert.due_at,
        "channel_id": alert.channel_id,
        "message_id": alert.message_id,
        "matches": len(alert.matches),
        "banks": bank_names(alert),
        "claimed_by": alert.claimed_by,
        "decided_by": alert.decided_by,
        "decided_at": alert.decided_at,
        "note": alert.note,
        "kind": alert.kind,
        "detections": detection_labels(alert),
    }


def item_row(item: QueueItem) -> dict[str, Any]:
    """``alert_row`` plus ``time_left`` (text), ``time_left_s`` and ``overdue``."""
    row = alert_row(item.alert)
    row["time_left"] = format_time_left(item)
    row["time_left_s"] = (
        None if item.time_left is None else int(item.time_left.total_seconds())
    )
    row["overdue"] = item.overdue
    return row


def match_row(match: dict[str, Any]) -> dict[str, Any]:
    """One match as ``alerts show`` prints it (a vPDQ verdict as three more keys)."""
    row = {k: match.get(k) for k in ("bank", "bank_entry_id", "hash_type", "distance",
                                     "category", "source_ref", "media_id")}
    detail = match.get("detail") or {}
    if match.get("hash_type") == "vpdq" and detail:
        row["direction"] = detail.get("direction")
        for key in ("banked_found", "posted_found"):
            row[key] = f"{detail[key]}%" if detail.get(key) is not None else None
    return row


def detection_row(found: dict[str, Any]) -> dict[str, Any]:
    """One detection as ``alerts show`` prints it: detector, model and version,
    every label with its score, the keyframe; never the image."""
    scores = found.get("scores") or {}
    labels = ", ".join(f"{k} {scores[k]:.4f}" for k in sorted(scores, key=lambda k: -scores[k]))
    row = {k: found.get(k) for k in ("detection_id", "detector", "model", "version", "signal",
                                     "media_id", "frames", "frame_time")}
    row["scores"] = labels or "-"
    for key, value in sorted((found.get("evidence") or {}).items()):
        row[f"evidence.{key}"] = value
    return row


async def cmd_list(args: argparse.Namespace, ctx: CliContext) -> int:
    async with open_store(ctx) as store:
        items = await AlertQueue(store).items(args.state, overdue_only=args.overdue)
    empty = "no overdue alerts" if args.overdue else "no alerts"
    emit_list(args, ctx, [item_row(i) for i in items], COLUMNS, empty=empty)
    return 0


async def cmd_show(args: argparse.Namespace, ctx: CliContext) -> int:
    async with open_store(ctx) as store:
        item = await AlertQueue(store).get(args.id)
        alert = item.alert
        post = await store.get_post(alert.channel_id, alert.message_id)
        channel = await store.get_channel(alert.channel_id)
    obj = item_row(item)
    obj["channel"] = (
        f"{channel.title} (@{channel.username})" if channel and channel.username
        else channel.title if channel else None
    )
    if post is not None:
        text = str(post.get("text") or "")
        obj["post_date"] = post.get("date")
        obj["post_text"] = text[:TEXT_PREVIEW] + ("…" if len(text) > TEXT_PREVIEW else "")
        obj["post_deleted_at"] = post.get("deleted_at")
    obj["match_list"] = [match_row(m) for m in alert.matches]
    obj["detection_list"] = [detection_row(d) for d in alert.detections]
    emit_object(args, ctx, obj)
    return 0


#: Who may run each change: a claim is an operator's; a decision an operator's or
#: a supervisor's (who may overrule another's claim: :mod:`hotline.queue` decides).
DECIDING_ROLES: dict[str, tuple[str, ...]] = {
    "claim": ("operator",),
    "confirm": ("operator", OVERRULING_ROLE),
    "dismiss": ("operator", OVERRULING_ROLE),
}


async def cmd_transition(args: argparse.Namespace, ctx: CliContext) -> int:
    actor = await acting_user(args, ctx, DECIDING_ROLES[args.verb])
    async with open_store(ctx) as store:
        queue = AlertQueue(store)
        change = {"claim": queue.claim, "confirm": queue.confirm, "dismiss": queue.dismiss}
        before, after = await change[args.verb](args.id, actor, args.note)
    say(ctx, f"alert {after.id}: {before.state} -> {after.state} by {actor}")
    return 0
