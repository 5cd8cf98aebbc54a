"""``chanwatch bank import|list``: hash banks.

``bank import NAME FILE`` reads a bank file (format detected, or ``--format``),
validates every line, and imports it atomically: with any invalid line nothing
is imported and every bad line is reported with its number, unless
``--skip-invalid`` (then the valid lines are imported and the bad ones listed).
The bank is created on first import (PDQ threshold ``--threshold``, else the
``matching.pdq_threshold`` setting). Re-importing a newer file updates the
bank: new entries are added, entries the file withdraws or deletes are
disabled (never forgotten), and with ``--replace`` the file is the bank's
complete list, so entries missing from it are disabled too. A running monitor
reloads its index when the banks change.

``bank list`` shows each bank with the operators' decisions on its alerts:
``confirmed``, ``false_positives`` (dismissed) and ``fp_rate`` (dismissed share
of the decided alerts), so a noisy bank shows; ``--json`` adds
``disabled_for_media`` (entries disabled for one medium after a dismissal).
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from handlers.banks import FORMATS, ParseResult, UnknownFormatError
from handlers.banks.model import check_bank_name
from handlers.banks.reader import read_bank
from handlers.banks.service import import_parsed
from monitor.cli.common import (
    CliContext,
    SubParsers,
    UsageError,
    acting_user,
    add_json_flag,
    emit_list,
    open_store,
    say,
)
from storage.models import BankFeedback, BankInfo

COLUMNS = ("name", "threshold", "entries", "enabled_entries", "confirmed", "false_positives",
           "fp_rate", "created_at")
#: Invalid lines shown in an error message (all of them go to the log).
SHOW_ERRORS = 20


def register(sub: SubParsers) -> None:
    bank = sub.add_parser("bank", help="hash banks of known content")
    cmds = bank.add_subparsers(dest="bank_command", metavar="ACTION", required=True)

    imp = cmds.add_parser("import", help="import (or update) a bank from a file")
    imp.add_argument("name", help="bank name (created on first import)")
    imp.add_argument("file", type=Path, help="the bank file")
    imp.add_argument(
        "--format",
        choices=("auto", *FORMATS),
        default="auto",
        help="file format (default: detected from the content)",
    )
    imp.add_argument(
        "--skip-invalid",
        action="store_true",
        help="import the valid lines and list the invalid ones (default: refuse the file)",
    )
    imp.add_argument(
        "--threshold",
        type=int,
        help="PDQ Hamming distance for a new bank (0..256; default: matching.pdq_threshold)",
    )
    imp.add_argument(
        "--replace",
        action="store_true",
        help="the file is the bank's complete list: disable entries missing from it",
    )
    imp.add_argument("--category", help="category for entries that carry none")
    imp.add_argument("--source-ref", help="source reference for formats without their own")
    imp.set_defaults(func=cmd_import, quiet=True)

    lst = cmds.add_parser("list", help="the banks with their entry counts")
    add_json_flag(lst)
    lst.set_defaults(func=cmd_list, quiet=True)


def bank_row(info: BankInfo, feedback: BankFeedback | None = None) -> dict[str, Any]:
    """A bank with its operators' decisions: alerts confirmed, alerts dismissed as
    false positives, their rate among the decided ones, and the entries disabled
    for one medium after a dismissal."""
    rate = None if feedback is None else feedback.false_positive_rate
    return {
        "name": info.name,
        "threshold": info.threshold,
        "entries": info.entries,
        "enabled_entries": info.enabled_entries,
        "confirmed": feedback.confirmed if feedback else 0,
        "false_positives": feedback.dismissed if feedback else 0,
        "fp_rate": None if rate is None else f"{rate:.1%}",
        "disabled_for_media": feedback.disabled_for_media if feedback else 0,
        "created_at": info.created_at,
    }


def _errors_line(path: Path, result: ParseResult) -> str:
    shown = "; ".join(str(e) for e in result.errors[:SHOW_ERRORS])
    more = len(result.errors) - SHOW_ERRORS
    return (
        f"{path}: {len(result.errors)} invalid line(s): {shown}"
        + (f" (and {more} more)" if more > 0 else "")
    )


async def cmd_import(args: argparse.Namespace, ctx: CliContext) -> int:
    actor = await acting_user(args, ctx, "admin")  # the role first, then the file
    if args.threshold is not None and not 0 <= args.threshold <= 256:
        raise UsageError(f"--threshold must be a Hamming distance 0..256, not {args.threshold}")
    check_bank_name(args.name, ctx.settings.limits.name_chars)
    try:
        result = await asyncio.to_thread(
            read_bank,
            args.file,
            args.format,
            category=args.category,
            source_ref=args.source_ref,
            limits=ctx.settings.limits.bank(),
        )
    except UnknownFormatError as exc:
        raise UsageError(f"{args.file}: {exc}") from None
    if result.errors and not args.skip_invalid:
        raise UsageError(
            _errors_line(args.file, result)
            + "; nothing was imported (fix the file, or use --skip-invalid)"
        )
    if not result.entries and not result.withdrawals:
        raise UsageError(f"{args.file}: no valid entries; nothing was imported")
    async with open_store(ctx) as store:
        report = await import_parsed(
            store, args.name, result, actor=actor, source=str(args.file),
            threshold=args.threshold, default_threshold=ctx.settings.matching.pdq_threshold,
            replace=args.replace,
        )
    if result.errors:
        ctx.stderr.write("chanwatch: warning: skipped " + _errors_line(args.file, result) + "\n")
    after, added = report.bank, report.added
    say(
        ctx,
        f"bank {args.name}: imported {args.file} ({result.format}): "
        f"{len(result.entries)} entries ({added} new to the bank), {report.withdrawn} withdrawn, "
        f"{result.duplicates} duplicate(s), {len(result.errors)} invalid line(s) skipped; "
        f"now {after.enabled_entries} of {after.entries} entries enabled, "
        f"PDQ threshold {after.threshold}",
    )
    return 0


async def cmd_list(args: argparse.Namespace, ctx: CliContext) -> int:
    async with open_store(ctx) as store:
        banks = await store.list_banks()
        feedback = {f.bank: f for f in await store.bank_feedback()}
    rows = [bank_row(b, feedback.get(b.name)) for b in banks]
    emit_list(args, ctx, rows, COLUMNS, empty="no banks")
    return 0
