"""``chanwatch user add|list|disable|enable|passwd|token``: people and roles.

Adding, disabling and enabling users needs the admin role. ``passwd`` changes
your own password (an admin may set anyone's); ``token`` issues a personal API
token for the logged-in user, shown once (only its SHA-256 is stored), or
revokes tokens with ``--revoke``.
"""

from __future__ import annotations

import argparse
from typing import Any

from access.roles import ROLES
from monitor.cli.access_support import (
    add_password_stdin,
    logged_in,
    new_password,
    refusals,
    services,
)
from monitor.cli.common import (
    CliContext,
    SubParsers,
    acting_user,
    add_json_flag,
    emit_list,
    open_store,
    say,
)
from storage.access_models import User

COLUMNS = ("username", "roles", "active", "created_at", "created_by")


def register(sub: SubParsers) -> None:
    user = sub.add_parser("user", help="users and their roles")
    cmds = user.add_subparsers(dest="user_command", metavar="ACTION", required=True)

    add = cmds.add_parser("add", help="add a user (admin)")
    add.add_argument("username")
    add.add_argument(
        "--role", action="append", required=True, choices=ROLES, help="a role; repeat for several"
    )
    add.add_argument("--why", help="why (recorded in the audit trail)")
    add_password_stdin(add)
    add.set_defaults(func=cmd_add, quiet=True)

    lst = cmds.add_parser("list", help="users, roles and whether they are active")
    add_json_flag(lst)
    lst.set_defaults(func=cmd_list, quiet=True)

    for verb, text in (
        ("disable", "disable a user and revoke their tokens (admin)"),
        ("enable", "enable a disabled user (admin)"),
    ):
        p = cmds.add_parser(verb, help=text)
        p.add_argument("username")
        p.add_argument("--reason", required=verb == "disable", help="why (audited)")
        p.set_defaults(func=cmd_disable if verb == "disable" else cmd_enable, quiet=True)

    pw = cmds.add_parser("passwd", help="change your password (admin: anyone's)")
    pw.add_argument("username", nargs="?", help="whose (default: yours)")
    add_password_stdin(pw)
    pw.set_defaults(func=cmd_passwd, quiet=True)

    tok = cmds.add_parser("token", help="issue yourself a personal API token (shown once)")
    tok.add_argument("--label", default="cli", help="what the token is for")
    tok.add_argument(
        "--revoke",
        action="store_true",
        help="instead revoke all tokens (yours, or --user's as admin)",
    )
    tok.add_argument("--user", help="with --revoke: whose tokens (admin)")
    tok.set_defaults(func=cmd_token, quiet=True)


def user_row(u: User) -> dict[str, Any]:
    return {
        "username": u.username,
        "roles": list(u.roles),
        "active": u.active,
        "created_at": u.created_at,
        "created_by": u.created_by,
    }


async def cmd_add(args: argparse.Namespace, ctx: CliContext) -> int:
    actor = await acting_user(args, ctx, "admin")
    password = new_password(args, ctx, args.username)
    async with open_store(ctx) as store:
        with refusals():
            user = await services(store, ctx).users.add(
                actor, args.username, args.role, password, args.why
            )
    say(ctx, f"user {user.username!r} added with roles {', '.join(user.roles)}")
    return 0


async def cmd_list(args: argparse.Namespace, ctx: CliContext) -> int:
    async with open_store(ctx) as store:
        users = await services(store, ctx).users.all()
    emit_list(args, ctx, [user_row(u) for u in users], COLUMNS, empty="no users: run init")
    return 0


async def _set_active(args: argparse.Namespace, ctx: CliContext, active: bool) -> int:
    actor = await acting_user(args, ctx, "admin")
    async with open_store(ctx) as store:
        with refusals():
            user = await services(store, ctx).users.set_active(
                actor, args.username, active, args.reason
            )
    say(ctx, f"user {user.username!r} {'enabled' if active else 'disabled'}")
    return 0


async def cmd_disable(args: argparse.Namespace, ctx: CliContext) -> int:
    return await _set_active(args, ctx, False)


async def cmd_enable(args: argparse.Namespace, ctx: CliContext) -> int:
    return await _set_active(args, ctx, True)


async def cmd_passwd(args: argparse.Namespace, ctx: CliContext) -> int:
    async with open_store(ctx) as store:
        actor = await logged_in(args, store, ctx)
    whose = (args.username or actor).strip().lower()
    if whose != actor:  # setting someone else's password is an admin's act
        actor = await acting_user(args, ctx, "admin")
    password = new_password(args, ctx, whose)
    async with open_store(ctx) as store:
        with refusals():
            await services(store, ctx).users.set_password(actor, whose, password)
    say(ctx, f"password of {whose!r} changed")
    return 0


async def cmd_token(args: argparse.Namespace, ctx: CliContext) -> int:
    async with open_store(ctx) as store:
        actor = await logged_in(args, store, ctx)
    whose = (args.user or actor).strip().lower()
    if args.revoke and whose != actor:
        actor = await acting_user(args, ctx, "admin")
    async with open_store(ctx) as store:
        users = services(store, ctx).users
        with refusals():
            if args.revoke:
                count = await users.revoke_tokens(actor, whose, "revoked with `user token`")
                say(ctx, f"{count} token(s) of {whose!r} revoked")
                return 0
            issued = await users.issue_token(actor, args.label)
    say(ctx, issued.token)
    ctx.stderr.write(
        f"token #{issued.token_id} for {actor!r}: shown once, keep it secret; "
        "use it as CHANWATCH_TOKEN\n"
    )
    return 0
