"""``chanwatch evidence export|verify|verify-db|key|checkpoint``: the evidence ledger.

- ``export --case REF [--from DATE] [--to DATE] -o BUNDLE.zip`` (supervisor):
  the case's records, their inclusion proofs, a fresh signed checkpoint, the
  verifier key, a CSV, an HTML and a PDF report and a manifest. The export is
  itself recorded in the ledger.
- ``verify BUNDLE.zip [--key VKEY|FILE] [--previous CHECKPOINT.txt]``: checks
  the bundle offline (no database, no network); exit status 0 only when all
  holds, 1 when anything is wrong. The signature is checked under ``--key``, else
  under this installation's own key (pinned) if it has one, else under the
  bundle's ``public_key.txt`` (reported as not pinned).
- ``verify-db``: checks the whole ledger of ``database.path`` in place.
- ``key [--generate]``: prints the verifier key (C2SP vkey); ``--generate``
  creates the signing key first if there is none (``chanwatch init`` does too).
- ``checkpoint``: signs a checkpoint now if the ledger grew, sends it to the
  witness when one is configured, prints it.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime
from pathlib import Path

from monitor.cli.common import (
    CliContext,
    CliError,
    SubParsers,
    UsageError,
    acting_user,
    open_store,
    say,
)
from monitor.settings import Settings
from storage.ledger.checkpoint import InconsistentLedger, checkpoint_job
from storage.ledger.export import ExportError, export_case
from storage.ledger.keys import KeyFileError, generate_signing_key, load_signing_key
from storage.ledger.note import NoteError, Signer, Verifier
from storage.ledger.verify import VerifyReport, verify_bundle
from storage.ledger.verify_db import verify_db


def register(sub: SubParsers) -> None:
    ev = sub.add_parser("evidence", help="the evidence ledger: export, verify, keys, checkpoints")
    cmds = ev.add_subparsers(dest="evidence_command", metavar="ACTION", required=True)

    exp = cmds.add_parser("export", help="export one case as a verifiable bundle (supervisor)")
    exp.add_argument("--case", required=True, metavar="REF", help="the case reference")
    exp.add_argument("--from", dest="date_from", metavar="DATE",
                     help="only records at or after (YYYY-MM-DD or RFC 3339; UTC if no zone)")
    exp.add_argument("--to", dest="date_to", metavar="DATE",
                     help="only records at or before (a bare date means to its end)")
    exp.add_argument("-o", "--output", required=True, type=Path, metavar="BUNDLE.zip")
    exp.set_defaults(func=cmd_export, quiet=True)

    ver = cmds.add_parser("verify", help="check a bundle offline; exit 0 only if all holds")
    ver.add_argument("bundle", type=Path, metavar="BUNDLE.zip")
    ver.add_argument("--key", metavar="VKEY|FILE",
                     help="the ledger's verifier key (or a file holding it) you trust; default: "
                          "this installation's own key if it has one, else the bundle's (unpinned)")
    ver.add_argument("--previous", type=Path, metavar="CHECKPOINT.txt",
                     help="an earlier signed checkpoint: check the ledger still extends it")
    ver.set_defaults(func=cmd_verify, quiet=True)

    vdb = cmds.add_parser("verify-db", help="check the whole ledger in the database")
    vdb.add_argument("--key", metavar="VKEY|FILE", help="verifier key (default: the signing key's)")
    vdb.set_defaults(func=cmd_verify_db, quiet=True)

    key = cmds.add_parser("key", help="print the verifier key (C2SP vkey)")
    key.add_argument("--generate", action="store_true",
                     help="create the signing key first if it does not exist (admin)")
    key.set_defaults(func=cmd_key, quiet=True)

    cp = cmds.add_parser("checkpoint", help="sign a checkpoint now (if the ledger grew)")
    cp.set_defaults(func=cmd_checkpoint, quiet=True)


def parse_when(text: str, *, end_of_day: bool = False) -> datetime:
    """``YYYY-MM-DD`` or an ISO 8601 / RFC 3339 time; UTC when no zone is given."""
    try:
        if len(text) == 10:
            day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
            if end_of_day:  # the last microsecond of the day, without leaving year 9999
                return day.replace(hour=23, minute=59, second=59, microsecond=999999)
            return day
        when = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"not a date or time: {text[:40]!r} (use YYYY-MM-DD or RFC 3339)"
        ) from None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def read_vkey(value: str) -> Verifier:
    """A vkey given inline or as a file holding it."""
    text = value
    path = Path(value)
    if "+" not in value or path.is_file():
        try:
            text = path.read_text("utf-8").strip()
        except OSError as exc:
            raise UsageError(f"--key {value}: not a verifier key and not a readable file "
                             f"({exc.strerror})") from None
    try:
        return Verifier.from_vkey(text)
    except NoteError as exc:
        raise UsageError(f"--key: {exc}") from None


def _signer(settings: Settings) -> Signer:
    try:
        return load_signing_key(settings.ledger.signing_key_file)
    except KeyFileError as exc:
        raise CliError(str(exc)) from None


async def cmd_export(args: argparse.Namespace, ctx: CliContext) -> int:
    actor = await acting_user(args, ctx, "supervisor")
    date_from = parse_when(args.date_from) if args.date_from else None
    date_to = parse_when(args.date_to, end_of_day=True) if args.date_to else None
    if date_from and date_to and date_from > date_to:
        raise UsageError("--from is after --to")
    signer = await asyncio.to_thread(_signer, ctx.settings)
    async with open_store(ctx) as store:
        try:
            result = await export_case(store, signer, ctx.settings.ledger.origin,
                                       case=args.case, actor=actor, out=args.output,
                                       date_from=date_from, date_to=date_to,
                                       witness_url=ctx.settings.ledger.witness_url)
        except ExportError as exc:
            raise UsageError(str(exc)) from None
    say(ctx, f"exported case {result.case}: {result.records} records to {result.path}")
    say(ctx, f"bundle SHA-256 {result.bundle_sha256}")
    say(ctx, f"checkpoint: tree size {result.tree_size}, key {signer.vkey()}")
    say(ctx, "hand over the ZIP and, separately, the key line above; the receiver runs "
             f"`chanwatch evidence verify {result.path.name} --key '<vkey>'`")
    return 0


def write_report(ctx: CliContext, report: VerifyReport) -> None:
    for note in report.notes:
        say(ctx, f"note: {note}")
    for problem in report.problems:
        say(ctx, f"FAIL: {problem}")
    if report.more:
        say(ctx, f"FAIL: ... and {report.more} more problems")
    what = (f"case {report.case}, {report.records} records, checkpoint size {report.tree_size}, "
            f"key {report.key}")
    if report.ok:
        pin = "" if report.pinned else " (key NOT pinned: see the note above)"
        say(ctx, f"VERIFIED: {what}{pin}")
    else:
        say(ctx, f"NOT VERIFIED: {len(report.problems) + report.more} problem(s); {what}")


def pinned_key(ctx: CliContext) -> Verifier | None:
    """This installation's own ledger key, when there is one (a unit checking
    its own bundles); None on a machine without it (then the bundle's key is
    used and the verdict says it was not pinned)."""
    try:
        return load_signing_key(ctx.settings.ledger.signing_key_file).verifier
    except (KeyFileError, OSError):
        return None


async def cmd_verify(args: argparse.Namespace, ctx: CliContext) -> int:
    key = await asyncio.to_thread(read_vkey, args.key) if args.key else None
    if key is None:
        key = await asyncio.to_thread(pinned_key, ctx)
    previous = None
    if args.previous is not None:
        try:
            previous = await asyncio.to_thread(args.previous.read_text, "utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"--previous {args.previous}: cannot read it ({exc})") from None
    report = await asyncio.to_thread(verify_bundle, args.bundle, key, previous)
    write_report(ctx, report)
    return 0 if report.ok else 1


async def cmd_verify_db(args: argparse.Namespace, ctx: CliContext) -> int:
    verifier: Verifier | None
    if args.key:
        verifier = await asyncio.to_thread(read_vkey, args.key)
    else:
        verifier = await asyncio.to_thread(pinned_key, ctx)
    async with open_store(ctx) as store:
        report = await verify_db(store, verifier)
    for note in report.notes:
        say(ctx, f"note: {note}")
    for problem in report.problems:
        say(ctx, f"FAIL: {problem}")
    summary = (f"{report.records} records, {report.checkpoints} checkpoints, signed up to "
               f"size {report.signed_size}")
    say(ctx, f"LEDGER VERIFIED: {summary}" if report.ok else f"LEDGER NOT VERIFIED: {summary}")
    return 0 if report.ok else 1


async def cmd_key(args: argparse.Namespace, ctx: CliContext) -> int:
    path = ctx.settings.ledger.signing_key_file
    if args.generate and not await asyncio.to_thread(path.exists):
        await acting_user(args, ctx, "admin")
        try:
            vkey = await asyncio.to_thread(generate_signing_key, path, ctx.settings.ledger.origin)
        except KeyFileError as exc:
            raise CliError(str(exc)) from None
        say(ctx, vkey)
        return 0
    say(ctx, (await asyncio.to_thread(_signer, ctx.settings)).vkey())
    return 0


async def cmd_checkpoint(args: argparse.Namespace, ctx: CliContext) -> int:
    await acting_user(args, ctx, "supervisor")
    signer = await asyncio.to_thread(_signer, ctx.settings)
    async with open_store(ctx) as store:
        try:
            stored = await checkpoint_job(store, signer, ctx.settings.ledger.origin,
                                          ctx.settings.ledger.witness_url)
        except InconsistentLedger as exc:
            raise CliError(f"refusing to sign: {exc}") from None
    ctx.stdout.write(stored.note)
    return 0
