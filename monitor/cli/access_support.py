"""What the access commands (init, user, case, watch request/approve/refuse,
account) share: the services on an open store, error translation, times and
new passwords."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from access.login import authenticate, command_name
from access.roles import AccessDenied, PolicyViolation
from access.services import Services
from monitor.access_control import services_from
from monitor.cli.common import CliContext, CliError, UsageError
from monitor.settings import parse_duration
from storage.sqlite import SQLiteStore


def services(store: SQLiteStore, ctx: CliContext) -> Services:
    """The access services on ``store`` (the one factory, with the settings' limits)."""
    return services_from(store, ctx.settings)


@contextmanager
def refusals() -> Iterator[None]:
    """Policy and input errors -> exit 2; access refusals -> exit 1; one clear line."""
    try:
        yield
    except AccessDenied as exc:
        raise CliError(str(exc)) from None
    except (PolicyViolation, ValueError) as exc:
        raise UsageError(str(exc)) from None


async def logged_in(args: argparse.Namespace, store: SQLiteStore, ctx: CliContext) -> str:
    """The authenticated user, whatever their roles (self-service commands)."""
    with refusals():
        user = await authenticate(services(store, ctx).users, None, command_name(vars(args)))
    return user.username


def parse_when(text: str, now: datetime | None = None) -> datetime:
    """``2026-06-30``, ``2026-06-30T12:00Z`` (UTC if no zone), ``now`` or ``+90d``."""
    value = text.strip()
    base = now or datetime.now(UTC)
    if value == "now":
        return base
    if value.startswith("+"):
        delta = parse_duration(value[1:])
        if not isinstance(delta, timedelta):
            raise UsageError(f"not a duration: {text!r}")
        return base + delta
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"not a time: {text!r} (use 2026-06-30, 2026-06-30T12:00Z, now or +90d)"
        ) from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def new_password(args: argparse.Namespace, ctx: CliContext, whose: str) -> str:
    """A new password: one line of stdin with --password-stdin, else typed twice."""
    if getattr(args, "password_stdin", False):
        line = sys.stdin.readline().rstrip("\n")
        if not line:
            raise UsageError("--password-stdin: no password on standard input")
        return line
    if not sys.stdin.isatty():
        raise UsageError("no terminal to ask for a password: use --password-stdin")
    first = getpass.getpass(f"new password for {whose}: ")
    if getpass.getpass("again: ") != first:
        raise UsageError("the two passwords differ")
    return first


def add_password_stdin(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the new password from the first line of standard input (scripts)",
    )
