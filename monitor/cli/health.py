"""``chanwatch health``: is the monitor of this account running, connected and
not stuck? Exit status 0 and one line when it is; 1 and one error line when
not. Reads only the heartbeat file ``chanwatch run`` writes (see
:mod:`monitor.health`): no login, no database. The container image's
HEALTHCHECK runs it.
"""

from __future__ import annotations

import argparse
from datetime import timedelta

from monitor.cli.common import CliContext, CliError, SubParsers, UsageError, say
from monitor.health import MAX_AGE, Unhealthy, check, heartbeat_path
from monitor.settings import parse_duration


def register(sub: SubParsers) -> None:
    p = sub.add_parser(
        "health",
        help="check that `chanwatch run` of this account is up and connected (exit 0/1)",
        description=(
            "Reads the heartbeat `chanwatch run` writes next to the database "
            "(DATABASE.ACCOUNT.health) every 30s. Unhealthy (exit 1): no heartbeat, an "
            "older one than --max-age, or the monitor not connected to Telegram."
        ),
    )
    p.add_argument(
        "--max-age", default=f"{int(MAX_AGE.total_seconds())}s", metavar="DURATION",
        help="oldest heartbeat that still counts (default: %(default)s)",
    )
    p.set_defaults(func=cmd_health, quiet=True)


def cmd_health(args: argparse.Namespace, ctx: CliContext) -> int:
    max_age = parse_duration(args.max_age)
    if not isinstance(max_age, timedelta) or max_age <= timedelta(0):
        raise UsageError(f"--max-age: not a duration: {args.max_age!r} (e.g. 2m, 90s)")
    try:
        say(ctx, check(heartbeat_path(ctx.settings), max_age))
    except Unhealthy as exc:
        raise CliError(str(exc)) from None
    return 0
