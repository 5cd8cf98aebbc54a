"""The ``chanwatch`` command line.

``chanwatch [--config FILE.toml] [--json] COMMAND ...``. Each subcommand module
listed in :data:`COMMAND_MODULES` exposes ``register(sub)``, which adds its
parsers and sets ``func`` (a plain or ``async`` function of ``(args, ctx)``
returning the exit status) with ``parser.set_defaults(func=...)``. A command
that prints little and should not show INFO log lines sets ``quiet=True``.

:func:`main` loads the settings, configures logging, dispatches (async
commands run under ``asyncio.run``) and turns every error into one line on
stderr. Exit status: 0 success; 2 bad settings or bad input (arguments, files,
unknown ids); 1 anything else that failed.
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

import structlog

from handlers.pipeline import HandlerLoadError
from monitor.cli.common import CliContext, CliError
from monitor.logging import configure_logging
from monitor.settings import Settings, SettingsError
from storage.errors import NotFound, StoreError

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
    "monitor.cli.bank",
    "monitor.cli.alerts",
    "monitor.cli.media",
    "monitor.cli.evidence",
    "monitor.cli.hash_cmd",
    "monitor.cli.web",
)

PROG = "chanwatch"
HANDLERS_ENV = "CHANWATCH_HANDLERS__EXTRA"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
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


def _fail(stderr: TextIO, message: str, code: int) -> int:
    stderr.write(f"{PROG}: error: {' '.join(message.split())}\n")
    return code


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
    except SettingsError as exc:
        return _fail(err, str(exc), 2)
    level = settings.log.level
    if getattr(args, "quiet", False) and level in ("DEBUG", "INFO"):
        level = "DEBUG" if level == "DEBUG" else "WARNING"
    configure_logging(level, settings.log.format)
    ctx = CliContext(settings=settings, stdout=out, stderr=err, config_path=args.config)
    return _dispatch(args, ctx)


def _dispatch(args: argparse.Namespace, ctx: CliContext) -> int:
    log = structlog.get_logger(__name__)
    try:
        result = args.func(args, ctx)
        if inspect.isawaitable(result):
            result = asyncio.run(_await(result))
        return int(result or 0)
    except CliError as exc:
        return _fail(ctx.stderr, str(exc), exc.exit_code)
    except SettingsError as exc:
        return _fail(ctx.stderr, str(exc), 2)
    except HandlerLoadError as exc:
        return _fail(ctx.stderr, f"setting handlers.extra ({HANDLERS_ENV}): {exc}", 2)
    except NotFound as exc:
        return _fail(ctx.stderr, str(exc), 2)
    except StoreError as exc:
        return _fail(ctx.stderr, str(exc), 1)
    except KeyboardInterrupt:
        return _fail(ctx.stderr, "interrupted", 130)
    except Exception as exc:  # last resort: one line; the traceback at DEBUG
        log.debug("command_failed", command=args.command, exc_info=True)
        return _fail(ctx.stderr, f"{type(exc).__name__}: {exc}", 1)


async def _await(result: object) -> object:
    assert inspect.isawaitable(result)
    return await result
