"""``chanwatch init ADMIN``: create the database, its first admin and the
evidence ledger's signing key.

The only command that acts without a logged-in user, and only once: as soon
as one user exists it is refused. The signing key (``ledger.signing_key_file``,
mode 0600) is named after the ledger's origin: ``--origin``, else asked on a
terminal (the ``ledger.origin`` setting is the default), else the setting; it
never changes afterwards (:mod:`monitor.cli.origin`). The verifier key is
printed to stderr (``chanwatch evidence key`` prints it again).

A failed ``init`` (no password, no terminal, a key that cannot be written...)
leaves nothing behind: the database and the key it created are removed.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
from pathlib import Path

from access.roles import PolicyViolation
from monitor.cli.access_support import add_password_stdin, new_password, refusals, services
from monitor.cli.common import CliContext, CliError, SubParsers, UsageError, open_store, say
from monitor.cli.origin import key_origin
from storage.ledger.keys import KeyFileError, ensure_signing_key

_ORIGIN = re.compile(r"^[^\s+]+$")


def register(sub: SubParsers) -> None:
    p = sub.add_parser("init", help="create the database and the first admin (once)")
    p.add_argument("username", help="the first admin's username (you choose it)")
    add_password_stdin(p)
    p.add_argument(
        "--origin",
        help="the ledger's name in its checkpoints, e.g. hotline.example.org/chanwatch "
        "(asked on a terminal; default: the ledger.origin setting); it never changes",
    )
    p.add_argument(
        "--token",
        action="store_true",
        help="also issue the admin a personal API token and print it (automation)",
    )
    p.set_defaults(func=cmd_init, quiet=True)


def _origin(args: argparse.Namespace, ctx: CliContext) -> str:
    default = ctx.settings.ledger.origin
    origin = args.origin
    if origin is None and sys.stdin.isatty() and not args.password_stdin:
        ctx.stderr.write(f"ledger origin (its name in checkpoints) [{default}]: ")
        ctx.stderr.flush()
        origin = sys.stdin.readline().strip() or default
    origin = (origin or default).strip()
    if not _ORIGIN.match(origin):
        raise UsageError(f"--origin {origin[:60]!r}: no spaces and no '+' allowed")
    if "origin" in ctx.settings.ledger.model_fields_set and origin != default:
        raise UsageError(
            f"--origin {origin!r} contradicts ledger.origin {default!r} "
            "(CHANWATCH_LEDGER__ORIGIN): give one of them"
        )
    existing = key_origin(ctx.settings.ledger.signing_key_file)
    if existing is not None and existing != origin:
        raise UsageError(
            f"the signing key {ctx.settings.ledger.signing_key_file} is for origin "
            f"{existing!r}, not {origin!r}: the origin of a ledger never changes"
        )
    return origin


async def cmd_init(args: argparse.Namespace, ctx: CliContext) -> int:
    ledger = ctx.settings.ledger
    db = ctx.settings.database.path
    origin = _origin(args, ctx)
    password = new_password(args, ctx, args.username)  # before anything is created
    made_db = not db.exists()
    made_key = not ledger.signing_key_file.exists()
    try:
        async with open_store(ctx, create=True) as store:
            users = services(store, ctx).users
            with refusals():
                if await users.any_exist():
                    raise PolicyViolation("chanwatch is already initialised: users exist")
                vkey = await _signing_key(ctx, origin)  # before the admin
                admin = await users.init_admin(args.username, password)
                issued = await users.issue_token(admin.username, "init") if args.token else None
    except BaseException:
        if made_db:
            _remove(db, Path(f"{db}-wal"), Path(f"{db}-shm"), Path(f"{db}-journal"))
        if made_key:
            _remove(ledger.signing_key_file)
        raise
    if issued is not None:
        say(ctx, issued.token)
    ctx.stderr.write(f"chanwatch initialised: admin {admin.username!r} created in {store.path}\n")
    ctx.stderr.write(
        f"ledger origin: {origin!r}; signing key: {ledger.signing_key_file} (keep it apart "
        f"from the database's backups); verifier key: {vkey}\n"
    )
    ctx.stderr.write(
        "next: `chanwatch user add` for people, `chanwatch user token NAME` for their "
        "scripts\n"
    )
    return 0


def _remove(*paths: Path) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


async def _signing_key(ctx: CliContext, origin: str) -> str:
    ledger = ctx.settings.ledger
    try:
        return await asyncio.to_thread(ensure_signing_key, ledger.signing_key_file, origin)
    except (KeyFileError, OSError) as exc:
        raise CliError(f"cannot create the ledger signing key: {exc}") from None
