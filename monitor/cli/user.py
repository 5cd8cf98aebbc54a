"""``chanwatch user add|list|disable|enable|passwd|token``: people and roles.

Adding, disabling and enabling users needs the admin role. ``passwd`` changes
your own password (an admin may set anyone's); ``token`` issues a personal API
token, shown once (only its SHA-256 is stored): your own (``user token NAME
--password-stdin`` logs NAME in with the password on standard input, no
terminal needed), or, as an admin, another user's (``user token NAME``: scripted
setups). ``revoke-tokens`` revokes every token of a user (yours; an admin:
anyone's). Issuing and revoking are audited and so in the evidence ledger.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from access.login import USER_ENV, authenticate, command_name
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
    UsageError,
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
    add.add_argument("username", help="the new user's name (2-64 characters a-z, 0-9, . _ -)")
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
        p.add_argument("username", help="whose account (see `chanwatch user list`)")
        p.add_argument("--reason", required=verb == "disable", help="why (audited)")
        p.set_defaults(func=cmd_disable if verb == "disable" else cmd_enable, quiet=True)

    pw = cmds.add_parser("passwd", help="change your password (admin: anyone's)")
    pw.add_argument("username", nargs="?", help="whose (default: yours)")
    add_password_stdin(pw)
    pw.set_defaults(func=cmd_passwd, quiet=True)

    tok = cmds.add_parser(
        "token",
        help="issue a personal API token (shown once): yours, or as admin another user's",
        description="Print a new personal API token (use it as CHANWATCH_TOKEN). Log in "
        "with CHANWATCH_TOKEN, on a terminal, or with --password-stdin (no terminal).",
    )
    tok.add_argument(
        "username",
        nargs="?",
        help="whose token (a username, see `chanwatch user list`; default: yours); "
        "with --password-stdin: the user who logs in",
    )
    tok.add_argument("--label", default="cli", help="what the token is for (audited)")
    tok.add_argument(
        "--password-stdin",
        action="store_true",
        help="log USERNAME (or CHANWATCH_USER) in with the password on the first line of "
        "standard input, instead of CHANWATCH_TOKEN or a terminal",
    )
    tok.add_argument(
        "--revoke",
        action="store_true",
        help="instead revoke all tokens (as `user revoke-tokens`)",
    )
    tok.add_argument("--user", help=argparse.SUPPRESS)  # old spelling of USERNAME
    tok.set_defaults(func=cmd_token, quiet=True)

    rev = cmds.add_parser(
        "revoke-tokens", help="revoke every API token of a user (yours; admin: anyone's)"
    )
    rev.add_argument(
        "username", nargs="?", help="whose tokens (see `chanwatch user list`; default: yours)"
    )
    rev.add_argument("--reason", help="why (audited)")
    rev.set_defaults(func=cmd_revoke_tokens, quiet=True)


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


async def _token_actor(args: argparse.Namespace, ctx: CliContext, whose: str | None) -> str:
    """Who runs ``user token``: logged in by --password-stdin, a token or a terminal."""
    if getattr(args, "password_stdin", False):
        name = whose or os.environ.get(USER_ENV, "").strip()
        if not name:
            raise UsageError(
                "--password-stdin: say who logs in: `chanwatch user token NAME "
                f"--password-stdin` (or set {USER_ENV})"
            )
        async with open_store(ctx) as store:
            with refusals():
                user = await authenticate(
                    services(store, ctx).users,
                    None,
                    command_name(vars(args)),
                    stdin_login=name,
                )
        return user.username
    async with open_store(ctx) as store:
        return await logged_in(args, store, ctx)


async def cmd_token(args: argparse.Namespace, ctx: CliContext) -> int:
    requested = args.username or args.user
    actor = await _token_actor(args, ctx, requested)
    whose = (requested or actor).strip().lower()
    if whose != actor:  # another user's token is an admin's act
        actor = await acting_user(args, ctx, "admin")
    if args.revoke:
        return await _revoke(ctx, actor, whose, "revoked with `user token --revoke`")
    async with open_store(ctx) as store:
        with refusals():
            issued = await services(store, ctx).users.issue_token(actor, args.label, whose)
    say(ctx, issued.token)
    ctx.stderr.write(
        f"token #{issued.token_id} for {whose!r}: shown once, keep it secret; "
        "use it as CHANWATCH_TOKEN\n"
    )
    return 0


async def cmd_revoke_tokens(args: argparse.Namespace, ctx: CliContext) -> int:
    async with open_store(ctx) as store:
        actor = await logged_in(args, store, ctx)
    whose = (args.username or actor).strip().lower()
    if whose != actor:
        actor = await acting_user(args, ctx, "admin")
    return await _revoke(ctx, actor, whose, args.reason or "revoked with `user revoke-tokens`")


async def _revoke(ctx: CliContext, actor: str, whose: str, why: str) -> int:
    async with open_store(ctx) as store:
        with refusals():
            count = await services(store, ctx).users.revoke_tokens(actor, whose, why)
    say(ctx, f"{count} token(s) of {whose!r} revoked")
    return 0
