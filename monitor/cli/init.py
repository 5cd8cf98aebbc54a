"""``chanwatch init ADMIN``: create the database, its first admin and the
evidence ledger's signing key.

The only command that acts without a logged-in user, and only once: as soon
as one user exists it is refused. The signing key (``ledger.signing_key_file``,
mode 0600, named after ``ledger.origin``) is created unless it exists; its
verifier key is printed to stderr (``chanwatch evidence key`` prints it again).
"""

from __future__ import annotations

import argparse
import asyncio

from access.roles import PolicyViolation
from monitor.cli.access_support import add_password_stdin, new_password, refusals, services
from monitor.cli.common import CliContext, CliError, SubParsers, open_store, say
from storage.ledger.keys import KeyFileError, ensure_signing_key


def register(sub: SubParsers) -> None:
    p = sub.add_parser("init", help="create the database and the first admin (once)")
    p.add_argument("username", help="the first admin's username")
    add_password_stdin(p)
    p.add_argument(
        "--token",
        action="store_true",
        help="also issue the admin a personal API token and print it (automation)",
    )
    p.set_defaults(func=cmd_init, quiet=True)


async def cmd_init(args: argparse.Namespace, ctx: CliContext) -> int:
    ledger = ctx.settings.ledger
    async with open_store(ctx) as store:
        users = services(store, ctx).users
        with refusals():
            if await users.any_exist():
                raise PolicyViolation("chanwatch is already initialised: users exist")
            vkey = await _signing_key(ctx)  # before the admin: a failure leaves no user
            password = new_password(args, ctx, args.username)
            admin = await users.init_admin(args.username, password)
            issued = await users.issue_token(admin.username, "init") if args.token else None
    if issued is not None:
        say(ctx, issued.token)
    ctx.stderr.write(f"chanwatch initialised: admin {admin.username!r} created in {store.path}\n")
    ctx.stderr.write(
        f"ledger signing key: {ledger.signing_key_file} (keep it apart from the database's "
        f"backups); verifier key: {vkey}\n"
    )
    ctx.stderr.write("next: `chanwatch user add` for people, `chanwatch user token` for scripts\n")
    return 0


async def _signing_key(ctx: CliContext) -> str:
    ledger = ctx.settings.ledger
    try:
        return await asyncio.to_thread(
            ensure_signing_key, ledger.signing_key_file, ledger.origin
        )
    except (KeyFileError, OSError) as exc:
        raise CliError(f"cannot create the ledger signing key: {exc}") from None
