"""``chanwatch login``: log a Telegram account in and write its session file.

Asks for the phone number, the login code Telegram sends, and the two-step
verification password when the account has one. The session file
(``telegram.session_file``) is created with mode 0600; an existing one that
group or others can read is refused. With ``--string`` nothing is written: the
session string is printed, to be kept as ``CHANWATCH_TELEGRAM__SESSION_STRING``
in a secret store.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import getpass
import sys

from monitor.cli.common import CliContext, CliError, SubParsers, acting_user, say
from monitor.telegram.client import SessionError, config_from_settings, session_path
from monitor.telegram.layer import LayerMismatchError
from monitor.telegram.login import LoginError, login


def register(sub: SubParsers) -> None:
    cmd = sub.add_parser(
        "login",
        help="log a Telegram account in (phone, code, 2FA) and write the session file",
    )
    cmd.add_argument("--phone", help="phone number in international format (else asked)")
    cmd.add_argument(
        "--string", action="store_true",
        help="print a session string instead of writing the session file",
    )
    cmd.add_argument(
        "--sign-up", action="store_true",
        help="create the account if the number has none (Telegram's test servers, tgsim)",
    )
    cmd.set_defaults(func=cmd_login, quiet=True)


async def cmd_login(args: argparse.Namespace, ctx: CliContext) -> int:
    # A session is a persona's credential: only an admin creates one.
    await acting_user(args, ctx, "admin")
    config = config_from_settings(ctx.settings)
    if args.string:
        config = dataclasses.replace(config, session_file=None, session_string="")

    async def ask(prompt: str) -> str:
        ctx.stdout.write(prompt)
        ctx.stdout.flush()
        line: str = await asyncio.to_thread(sys.stdin.readline)
        if not line:
            raise CliError("login aborted (end of input)")
        return line.strip()

    async def ask_secret(prompt: str) -> str:
        secret: str = await asyncio.to_thread(getpass.getpass, prompt)
        return secret

    try:
        result = await login(
            config, ask=ask, ask_secret=ask_secret, phone=args.phone,
            allow_sign_up=args.sign_up,
        )
    except (LoginError, SessionError, LayerMismatchError) as exc:
        raise CliError(str(exc)) from None
    state = "already logged in" if result.already else "logged in"
    say(ctx, f"{state} as {result.name or '-'} (user id {result.user_id})")
    if result.session_string is not None:
        say(ctx, "session string (keep it secret, e.g. CHANWATCH_TELEGRAM__SESSION_STRING):")
        say(ctx, result.session_string)
    elif config.session_file is not None:
        say(ctx, f"session file: {session_path(config.session_file)} (mode 0600)")
    return 0
