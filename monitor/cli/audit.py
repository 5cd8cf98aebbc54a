"""``chanwatch audit list``: the audit trail (who did what, when, why).

Newest first; filter by ``--actor`` (a username, or ``service:chanwatch``),
``--action`` (e.g. ``alert.confirm``, ``token.create``, ``record.view``),
``--subject`` (e.g. ``alert:12``, ``user:ivan``) and period (``--since``,
``--until``). Needs a logged-in user. The trail is also in the evidence
ledger (``chanwatch evidence verify-db`` checks it).
"""

from __future__ import annotations

import argparse
from typing import Any

from monitor.cli.access_support import parse_when
from monitor.cli.common import (
    CliContext,
    SubParsers,
    UsageError,
    add_json_flag,
    emit_list,
    open_store,
)
from storage.codec import to_db
from storage.models import AuditRecord

COLUMNS = ("id", "at", "actor", "action", "subject", "why")


def register(sub: SubParsers) -> None:
    audit = sub.add_parser("audit", help="the audit trail: who did what and when (login)")
    cmds = audit.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    lst = cmds.add_parser("list", help="audit rows, newest first")
    lst.add_argument("--actor", help="only this actor's rows (a username, `user list`)")
    lst.add_argument("--action", help="only this action, e.g. alert.confirm, record.view")
    lst.add_argument("--subject", help="only rows about this, e.g. alert:12, user:ivan")
    lst.add_argument("--since", help="rows at or after (2026-06-30, 2026-06-30T12:00Z)")
    lst.add_argument("--until", help="rows before (2026-06-30, 2026-06-30T12:00Z, now)")
    lst.add_argument("--limit", type=int, default=100, help="at most this many (default 100)")
    add_json_flag(lst)
    lst.set_defaults(func=cmd_list, quiet=True)


def audit_row(record: AuditRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "at": record.at,
        "actor": record.actor,
        "action": record.action,
        "subject": record.subject,
        "why": record.why,
        "before": record.before_json,
        "after": record.after_json,
    }


async def cmd_list(args: argparse.Namespace, ctx: CliContext) -> int:
    if not 1 <= args.limit <= 10_000:
        raise UsageError(f"--limit must be 1..10000, not {args.limit}")
    since = to_db(parse_when(args.since)) if args.since else None
    until = to_db(parse_when(args.until)) if args.until else None
    async with open_store(ctx) as store:
        records = await store.snapshot(
            lambda tx: tx.audit.list(
                args.subject,
                args.limit,
                actor=args.actor,
                action=args.action,
                since=since,
                until=until,
            )
        )
    emit_list(args, ctx, [audit_row(r) for r in records], COLUMNS, empty="no audit rows")
    return 0
