"""``chanwatch account add|list|disable``: the Telegram accounts (personas).

Each account has its own Telethon session file (create it with ``chanwatch
login``; it is a credential: mode 0600, outside the repository). Joins are
paced per account and spread over the accounts with room; a disabled account's
watches move to the others. Adding and disabling need the admin role.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from access.accounts import AccountView
from monitor.cli.access_support import refusals, services
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

COLUMNS = ("name", "status", "channels", "limit", "joins_24h", "next_join_at", "session")


def register(sub: SubParsers) -> None:
    acc = sub.add_parser("account", help="Telegram accounts (personas)")
    cmds = acc.add_subparsers(dest="account_command", metavar="ACTION", required=True)

    add = cmds.add_parser("add", help="add an account with its session file (admin)")
    add.add_argument("name", help="a name for the account (persona), e.g. persona1")
    add.add_argument("--session", required=True, type=Path, help="its Telethon session file")
    add.add_argument("--why", help="why (audited)")
    add.set_defaults(func=cmd_add, quiet=True)

    lst = cmds.add_parser("list", help="accounts, their load and when they may join next")
    add_json_flag(lst)
    lst.set_defaults(func=cmd_list, quiet=True)

    dis = cmds.add_parser("disable", help="take an account out of service (admin)")
    dis.add_argument("name", help="the account's name (see `chanwatch account list`)")
    dis.add_argument("--reason", required=True, help="why (audited)")
    dis.set_defaults(func=cmd_disable, quiet=True)


def account_row(v: AccountView, default_limit: int) -> dict[str, Any]:
    a = v.account
    return {
        "name": a.name,
        "status": a.status,
        "reason": a.status_reason,
        "channels": v.owned,
        "limit": a.channel_limit or default_limit,
        "joins_24h": v.joins_24h,
        "next_join_at": v.next_join_at,
        "flood_until": a.flood_until,
        "session": a.session_path,
    }


def _check_session(path: Path) -> Path:
    """A session file that exists must not be readable by group or others."""
    if path.exists() and path.stat().st_mode & 0o077:
        raise UsageError(f"session file {path} is readable by group or others: chmod 600 it first")
    return path.resolve()


async def cmd_add(args: argparse.Namespace, ctx: CliContext) -> int:
    actor = await acting_user(args, ctx, "admin")
    session = _check_session(args.session)
    async with open_store(ctx) as store:
        with refusals():
            a = await services(store, ctx).accounts.add(actor, args.name, session, args.why)
    say(ctx, f"account {a.name!r} added (session {a.session_path})")
    return 0


async def cmd_list(args: argparse.Namespace, ctx: CliContext) -> int:
    async with open_store(ctx) as store:
        views = await services(store, ctx).accounts.views()
    limit = ctx.settings.accounts.channel_limit
    emit_list(args, ctx, [account_row(v, limit) for v in views], COLUMNS, empty="no accounts")
    return 0


async def cmd_disable(args: argparse.Namespace, ctx: CliContext) -> int:
    actor = await acting_user(args, ctx, "admin")
    async with open_store(ctx) as store:
        with refusals():
            moved = await services(store, ctx).accounts.disable(actor, args.name, args.reason)
    say(ctx, f"account {args.name!r} disabled; {len(moved)} watch(es) moved to other accounts")
    return 0
