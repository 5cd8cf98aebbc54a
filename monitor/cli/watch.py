"""``chanwatch watch list|remove``: the watch table.

A watch is created only through the authorization workflow of
:mod:`monitor.cli.case`: ``watch request CASE TARGET --reason`` (investigator),
then ``watch approve`` by a supervisor other than the requester. The removed
``watch add`` (a watch with no request, case or approval) answers with a usage
error that says so.

These commands only parse, call :mod:`access.watches` and print; they only
change the database. The running monitor (``chanwatch
run``) compares the watch table with the channels it has joined every few
seconds: it joins an approved watch whose authorization is valid (once; the
channel id and access hash are kept and the name is never resolved again) and
leaves the channel of a removed one.
"""

from __future__ import annotations

import argparse
from typing import Any

from monitor.cli.access_support import refusals, services
from monitor.cli.arguments import row_id
from monitor.cli.common import (
    CliContext,
    SubParsers,
    UsageError,
    acting_user,
    add_json_flag,
    emit_list,
    open_store,
    say,
)
from storage.models import WATCH_STATES, WatchRecord

COLUMNS = ("id", "state", "target", "channel_id", "account", "created_at", "reason")


def register(sub: SubParsers) -> None:
    watch = sub.add_parser("watch", help="channels to watch")
    cmds = watch.add_subparsers(dest="watch_command", metavar="ACTION", required=True)

    # Removed: no help, so it is not listed; it accepts the old arguments only to
    # point its users at `watch request`.
    removed = cmds.add_parser("add")
    removed.add_argument("target", nargs="?", help=argparse.SUPPRESS)
    removed.add_argument("--reason", help=argparse.SUPPRESS)
    removed.set_defaults(func=cmd_add_removed, quiet=True)

    lst = cmds.add_parser("list", help="the watches and their states")
    lst.add_argument("--state", choices=WATCH_STATES, action="append", help="only these states")
    add_json_flag(lst)
    lst.set_defaults(func=cmd_list, quiet=True)

    rm = cmds.add_parser("remove", help="stop watching: the monitor leaves the channel")
    rm.add_argument("id", type=row_id, help="watch id (see `watch list`)")
    rm.add_argument("--reason", help="why (recorded in the audit trail)")
    rm.set_defaults(func=cmd_remove, quiet=True)


def watch_row(watch: WatchRecord) -> dict[str, Any]:
    return {
        "id": watch.id,
        "state": watch.state,
        "target": watch.target,
        "channel_id": watch.channel_id,
        "account": watch.account,
        "created_at": watch.created_at,
        "reason": watch.reason,
        "wait_until": watch.wait_until,
    }


def cmd_add_removed(args: argparse.Namespace, ctx: CliContext) -> int:
    raise UsageError(
        "`chanwatch watch add` was removed: a watch needs an approved request under a "
        "case; use `chanwatch watch request CASE TARGET --reason ...` (investigator), "
        "then `chanwatch watch approve REQUEST` (a different supervisor)"
    )


async def cmd_list(args: argparse.Namespace, ctx: CliContext) -> int:
    async with open_store(ctx) as store:
        watches = await services(store, ctx).watches.list(args.state)
    emit_list(args, ctx, [watch_row(w) for w in watches], COLUMNS, empty="no watches")
    return 0


async def cmd_remove(args: argparse.Namespace, ctx: CliContext) -> int:
    actor = await acting_user(args, ctx, "supervisor")
    reason = args.reason or "removed with `chanwatch watch remove`"
    async with open_store(ctx) as store:
        with refusals():
            watch = await services(store, ctx).watches.remove(actor, args.id, reason)
    say(ctx, f"watch {watch.id} removed: {watch.target}; the running monitor leaves the channel")
    return 0
