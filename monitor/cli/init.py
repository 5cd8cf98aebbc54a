"""``chanwatch init ADMIN``: create the database and its first admin.

The only command that acts without a logged-in user, and only once: as soon
as one user exists it is refused.
"""

from __future__ import annotations

import argparse

from monitor.cli.access_support import add_password_stdin, new_password, refusals, services
from monitor.cli.common import CliContext, SubParsers, open_store, say


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
    async with open_store(ctx) as store:
        users = services(store, ctx).users
        with refusals():
            if await users.any_exist():
                raise ValueError("chanwatch is already initialised: users exist")
            password = new_password(args, ctx, args.username)
            admin = await users.init_admin(args.username, password)
            issued = await users.issue_token(admin.username, "init") if args.token else None
    if issued is not None:
        say(ctx, issued.token)
    ctx.stderr.write(f"chanwatch initialised: admin {admin.username!r} created in {store.path}\n")
    ctx.stderr.write("next: `chanwatch user add` for people, `chanwatch user token` for scripts\n")
    return 0
