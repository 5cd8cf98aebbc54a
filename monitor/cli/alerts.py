"""``chanwatch alerts list|show|claim|confirm|dismiss``: the review queue.

An alert is ``open`` when raised; an operator ``claim``s it (it is theirs to
decide), then ``confirm``s it (the content is what the bank says: takedown and
evidence follow) or ``dismiss``es it (a false positive). ``confirm`` and
``dismiss`` may also be done straight from ``open``. Decisions need a
``--note`` saying why. Every change is audited with who and when.

Decisions teach the matcher (in the same transaction): ``confirm`` puts every
hash of the alert's media into the local ``confirmed`` bank (source
``alert:ID``), so a repost anywhere is caught; ``dismiss`` disables each matched
bank entry for that medium only. A running monitor picks both up at its next
bank check and re-matches recent media when a bank grew.
"""

from __future__ import annotations

import argparse
from typing import Any, get_args

from monitor.cli.common import (
    CliContext,
    SubParsers,
    UsageError,
    acting_user,
    add_json_flag,
    emit_list,
    emit_object,
    open_store,
    say,
)
from storage.models import Alert, AlertState

STATES: tuple[str, ...] = get_args(AlertState)
COLUMNS = ("id", "state", "priority", "due_at", "channel_id", "message_id", "matches", "banks",
           "claimed_by")
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
    add_json_flag(lst)
    lst.set_defaults(func=cmd_list, quiet=True)

    show = cmds.add_parser("show", help="one alert with its matches and the post's metadata")
    show.add_argument("id", type=int)
    add_json_flag(show)
    show.set_defaults(func=cmd_show, quiet=True)

    for verb, (_state, text, note_required) in _VERBS.items():
        p = cmds.add_parser(verb, help=text)
        p.add_argument("id", type=int)
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
        "banks": sorted({str(m.get("bank")) for m in alert.matches}),
        "claimed_by": alert.claimed_by,
        "decided_by": alert.decided_by,
        "decided_at": alert.decided_at,
        "note": alert.note,
    }


async def cmd_list(args: argparse.Namespace, ctx: CliContext) -> int:
    async with open_store(ctx) as store:
        alerts = await store.list_alerts(args.state)
    alerts.sort(key=lambda a: (a.state not in ("open", "claimed"), a.priority, a.due_at, a.id))
    emit_list(args, ctx, [alert_row(a) for a in alerts], COLUMNS, empty="no alerts")
    return 0


async def cmd_show(args: argparse.Namespace, ctx: CliContext) -> int:
    async with open_store(ctx) as store:
        alert = await store.get_alert(args.id)
        if alert is None:
            raise UsageError(f"no alert with id {args.id}")
        post = await store.get_post(alert.channel_id, alert.message_id)
        channel = await store.get_channel(alert.channel_id)
    obj = alert_row(alert)
    obj["channel"] = (
        f"{channel.title} (@{channel.username})" if channel and channel.username
        else channel.title if channel else None
    )
    if post is not None:
        text = str(post.get("text") or "")
        obj["post_date"] = post.get("date")
        obj["post_text"] = text[:TEXT_PREVIEW] + ("…" if len(text) > TEXT_PREVIEW else "")
        obj["post_deleted_at"] = post.get("deleted_at")
    obj["match_list"] = [
        {k: m.get(k) for k in ("bank", "bank_entry_id", "hash_type", "distance", "category",
                               "source_ref", "media_id")}
        for m in alert.matches
    ]
    emit_object(args, ctx, obj)
    return 0


async def cmd_transition(args: argparse.Namespace, ctx: CliContext) -> int:
    to, _text, _required = _VERBS[args.verb]
    actor = await acting_user(args, ctx, "operator")
    async with open_store(ctx) as store:
        alert = await store.get_alert(args.id)
        if alert is None:
            raise UsageError(f"no alert with id {args.id}")
        updated = await store.transition_alert(alert.id, to, actor, args.note)
    say(ctx, f"alert {updated.id}: {alert.state} -> {updated.state} by {actor}")
    return 0
