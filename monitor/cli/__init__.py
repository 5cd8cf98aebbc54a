"""The ``chanwatch`` command line.

``chanwatch [--config FILE.toml] [--json] COMMAND ...``. Each subcommand module
listed in :data:`COMMAND_MODULES` exposes ``register(sub)``, which adds its
parsers and sets ``func`` (a plain or ``async`` function of ``(args, ctx)``
returning the exit status) with ``parser.set_defaults(func=...)``. A command
that prints little and should not show INFO log lines sets ``quiet=True``.

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
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from monitor.cli.arguments import Parser, check_arguments
from monitor.cli.common import CliContext
from monitor.cli.exits import EXIT_INTERRUPTED, PROG, fail, last_resort, report
from monitor.logging import configure_logging
from monitor.settings import Settings
from storage.errors import ChanwatchError

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
    level = settings.log.level
    if getattr(args, "quiet", False) and level in ("DEBUG", "INFO"):
        level = "DEBUG" if level == "DEBUG" else "WARNING"
    configure_logging(level, settings.log.format)
    ctx = CliContext(settings=settings, stdout=out, stderr=err, config_path=args.config)
    return _dispatch(args, ctx)


def _dispatch(args: argparse.Namespace, ctx: CliContext) -> int:
    try:
        check_arguments(args, ctx.settings.limits)
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
