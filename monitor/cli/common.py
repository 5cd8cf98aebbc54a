"""What every ``chanwatch`` subcommand shares: its context, errors, the store,
the acting user, and output (aligned tables for people, JSON lines for scripts).

Command output goes to ``ctx.stdout``; log lines go to stderr (see
:mod:`monitor.logging`), so ``--json`` output can be piped as it is.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TextIO, TypeAlias

from access.login import authenticate, command_name
from monitor.access_control import services_from
from monitor.cli.exits import exit_status
from monitor.settings import Settings
from storage.errors import ChanwatchError, InvalidInput, NotFound
from storage.sqlite import SQLiteStore

#: ``sub`` in each command module's ``register(sub)``.
SubParsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


class CliError(ChanwatchError):
    """A command failed (no category: a failure, exit status 1); ``str(err)`` is
    the one line the user sees."""

    @property
    def exit_code(self) -> int:
        """The exit status :data:`monitor.cli.exits.EXIT_STATUS` gives this error."""
        return exit_status(self)


class UsageError(CliError, InvalidInput):
    """The user's input (arguments, a file, an id) is wrong: exit status 2."""


@dataclass
class CliContext:
    """What a command gets besides its arguments."""

    settings: Settings
    stdout: TextIO
    stderr: TextIO
    config_path: Path | None = None


#: A command: plain or ``async`` function of (args, ctx), returning the exit status.
Command = Callable[[argparse.Namespace, CliContext], "int | Awaitable[int | None] | None"]


class NotInitialised(CliError, NotFound):
    """The database does not exist: only ``chanwatch init`` creates one."""


def require_database(path: Path) -> None:
    """Refuse a database that does not exist (a command run from the wrong folder
    must not create an empty one and report an empty queue)."""
    if not path.exists():
        raise NotInitialised(
            f"no chanwatch database at {path.resolve()}: run `chanwatch init` to create "
            "one, or point CHANWATCH_DATABASE__PATH (database.path) at yours"
        )


@asynccontextmanager
async def open_store(ctx: CliContext, *, create: bool = False) -> AsyncIterator[SQLiteStore]:
    """The store of ``database.path``, migrated, closed (and flushed) on exit.

    Only ``create=True`` (``chanwatch init``) may create the database; every
    other command is refused when it does not exist (:class:`NotInitialised`).
    """
    if not create:
        require_database(ctx.settings.database.path)
    store = SQLiteStore(ctx.settings.database.path)
    await store.open()
    try:
        yield store
    finally:
        await store.close()


async def acting_user(
    args: argparse.Namespace, ctx: CliContext, role: str | tuple[str, ...] | None
) -> str:
    """The actor a state-changing command records, allowed to act as ``role``.

    Every state-changing command gets its actor here and nowhere else. The user
    authenticates with a personal API token (``CHANWATCH_TOKEN``) or, on a
    terminal, with username and password (:mod:`access.login`); a user
    without ``role`` (one of them, when a tuple) is refused with a clear message
    and the refusal is audited. ``None``: any logged-in user (reads of case data).
    """
    async with open_store(ctx) as store:
        user = await authenticate(
            services_from(store, ctx.settings).users,
            role,
            command_name(vars(args)),
            record=store.read_only is None,  # a read-only database: reads still work
        )
    return user.username


# --------------------------------------------------------------------- output


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    """``--json`` on a subcommand (also accepted before it: ``chanwatch --json ...``)."""
    parser.add_argument(
        "--json",
        action="store_true",
        default=argparse.SUPPRESS,
        help="print one JSON object per line instead of a table",
    )


def jsonable(value: Any) -> Any:
    """``value`` with datetimes as RFC 3339 UTC strings, dataclasses as objects."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Path):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    return value


def write_json_line(ctx: CliContext, obj: Any) -> None:
    ctx.stdout.write(
        json.dumps(jsonable(obj), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        + "\n"
    )


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%SZ")
    if isinstance(value, list | tuple):
        return ",".join(_cell(v) for v in value) or "-"
    text = str(value)
    return " ".join(text.split())


def write_table(
    ctx: CliContext,
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    *,
    max_width: int = 60,
) -> None:
    """An aligned text table with a header line."""
    cells = [[_cell(row.get(col)) for col in columns] for row in rows]
    cells = [[c if len(c) <= max_width else c[: max_width - 1] + "…" for c in r] for r in cells]
    widths = [max([len(col), *(len(r[i]) for r in cells)]) for i, col in enumerate(columns)]
    lines = ["  ".join(col.upper().ljust(w) for col, w in zip(columns, widths, strict=True))]
    lines.extend(
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells
    )
    ctx.stdout.write("\n".join(line.rstrip() for line in lines) + "\n")


def emit_list(
    args: argparse.Namespace,
    ctx: CliContext,
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    *,
    empty: str,
) -> None:
    """Rows as JSON lines (``--json``: every field) or a table of ``columns``."""
    if getattr(args, "json", False):
        for row in rows:
            write_json_line(ctx, row)
        return
    if not rows:
        ctx.stdout.write(empty + "\n")
        return
    write_table(ctx, rows, columns)


def emit_object(args: argparse.Namespace, ctx: CliContext, obj: Mapping[str, Any]) -> None:
    """One object: a JSON line (``--json``) or ``key: value`` lines."""
    if getattr(args, "json", False):
        write_json_line(ctx, obj)
        return
    width = max((len(k) for k in obj), default=0)
    for key, value in obj.items():
        if isinstance(value, list | tuple) and value and isinstance(value[0], Mapping):
            ctx.stdout.write(f"{key}:\n")
            for item in value:
                ctx.stdout.write("  - " + ", ".join(f"{k}={_cell(v)}" for k, v in item.items()))
                ctx.stdout.write("\n")
            continue
        ctx.stdout.write(f"{key.ljust(width)}  {_cell(value)}\n")


def say(ctx: CliContext, line: str) -> None:
    """One line of human output."""
    ctx.stdout.write(line.rstrip("\n") + "\n")
