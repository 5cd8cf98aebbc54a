"""The ``chanwatch`` command line.

``chanwatch [--config FILE.toml] [--json] COMMAND ...``. Each subcommand module
listed in :data:`COMMAND_MODULES` exposes ``register(sub)``, which adds its
parsers and sets ``func`` (a plain or ``async`` function of ``(args, ctx)``
returning the exit status) with ``parser.set_defaults(func=...)``. A command
that prints little and should not show INFO log lines sets ``quiet=True``; a
quiet command logs only errors unless a log format or file is asked for
(``--log-format``, ``log.format``, ``log.file``), so its error is one line.
Commands of :data:`LOGIN_TO_READ` read case data: each needs a logged-in user.
Files are created 0600 (the umask is 077 while a command runs).

:func:`main` loads the settings, configures logging, dispatches (async
commands run under ``asyncio.run``) and turns every error into one line on
stderr. Exit statuses come from the error vocabulary's categories through one
table, :data:`monitor.cli.exits.EXIT_STATUS`; an exception outside the
vocabulary is a bug, reported with an incident id by
:func:`monitor.cli.exits.last_resort` (exit status 70).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import inspect
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from access.login import command_name
from monitor.cli.arguments import Parser, check_arguments
from monitor.cli.common import CliContext, acting_user
from monitor.cli.exits import EXIT_INTERRUPTED, PROG, fail, last_resort, report
from monitor.cli.origin import with_ledger_origin
from monitor.logging import configure_logging, open_log_file
from monitor.settings import Settings
from storage.errors import ChanwatchError, InvalidInput

#: Every subcommand module, in the order ``chanwatch --help`` lists them. A
#: module added under monitor/cli/ must be listed here (a test checks it).
COMMAND_MODULES: tuple[str, ...] = (
    "monitor.cli.init",
    "monitor.cli.user",
    "monitor.cli.run",
    "monitor.cli.login",
    "monitor.cli.account",
    "monitor.cli.watch",
    "monitor.cli.case",  # after watch: adds `watch request|approve|refuse|requests`
    "monitor.cli.sweep",
    "monitor.cli.bank",
    "monitor.cli.alerts",
    "monitor.cli.media",
    "monitor.cli.posts",
    "monitor.cli.audit",
    "monitor.cli.evidence",
    "monitor.cli.hash_cmd",
    "monitor.cli.sim",
    "monitor.cli.health",
    "monitor.cli.web",
)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog=PROG,
        description="Lawful monitoring of open Telegram channels against hash banks.",
    )
    parser.add_argument(
        "--config",
        type=Path,
        metavar="FILE.toml",
        help="settings file (environment variables CHANWATCH_* and .env take precedence)",
    )
    parser.add_argument(
        "--json", action="store_true", help="lists as JSON lines (one object per line)"
    )
    parser.add_argument(
        "--log-format",
        choices=("json", "console"),
        help="write log lines to stderr in this format (default for commands other than "
        "run and web: errors only, so an error is one line); settings log.format, log.file",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(
    argv: Sequence[str] | None = None,
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run one command; returns the exit status (the console script exits with it)."""
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        return exc.code if isinstance(exc.code, int) else 2
    if getattr(args, "func", None) is None:
        parser.print_help(err)
        return 2
    try:
        settings = Settings.load(args.config)
    except ChanwatchError as exc:
        return report(err, exc)
    except Exception as exc:  # noqa: BLE001 (not in the vocabulary: a bug, with an incident id)
        configure_logging()
        return last_resort(err, exc, args.command)
    old_umask = os.umask(0o077)  # every file chanwatch creates: 0600, directories 0700
    try:
        return _configured(args, settings, out, err)
    finally:
        os.umask(old_umask)


def _configured(
    args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO
) -> int:
    log = settings.log
    fmt = args.log_format or log.format
    level = log.level
    quiet = getattr(args, "quiet", False)
    if quiet and level in ("DEBUG", "INFO"):
        level = "DEBUG" if level == "DEBUG" else "WARNING"
    asked = fmt != "auto" or log.file is not None or "level" in log.model_fields_set
    if quiet and not asked:
        level = "ERROR"  # nothing asked for: an error is its one line on stderr
    try:
        stream = open_log_file(log.file) if log.file is not None else None
    except OSError as exc:
        return report(err, InvalidInput(f"log.file {log.file}: cannot open it: {exc}"))
    configure_logging(level, fmt, stream)
    try:
        settings = with_ledger_origin(settings)
    except ChanwatchError as exc:
        return report(err, exc)
    ctx = CliContext(settings=settings, stdout=out, stderr=err, config_path=args.config)
    try:
        return _dispatch(args, ctx)
    finally:
        if stream is not None:
            stream.close()


#: Commands that only read case data (alerts, cases, posts, audit...): each needs
#: a logged-in user, whatever their roles (the login is audited). ``hash`` and
#: ``evidence verify`` read only the files they are given.
LOGIN_TO_READ: frozenset[str] = frozenset(
    {
        "user list",
        "account list",
        "watch list",
        "watch requests",
        "case list",
        "case show",
        "bank list",
        "alerts list",
        "alerts show",
        "media spread",
        "posts list",
        "posts show",
        "audit list",
        "evidence verify-db",
        "evidence status",
        "sweep",
    }
)


def _dispatch(args: argparse.Namespace, ctx: CliContext) -> int:
    try:
        check_arguments(args, ctx.settings.limits)
        if command_name(vars(args)) in LOGIN_TO_READ:
            args.login_user = asyncio.run(acting_user(args, ctx, None))
        result = args.func(args, ctx)
        if inspect.isawaitable(result):
            result = asyncio.run(_await(result))
        return int(result or 0)
    except ChanwatchError as exc:
        return report(ctx.stderr, exc)
    except KeyboardInterrupt:
        return fail(ctx.stderr, "interrupted", EXIT_INTERRUPTED)
    except Exception as exc:  # noqa: BLE001 (not in the vocabulary: a bug, with an incident id)
        return last_resort(ctx.stderr, exc, args.command)


async def _await(result: object) -> object:
    assert inspect.isawaitable(result)
    return await result
