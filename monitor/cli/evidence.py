"""``chanwatch evidence export|verify|verify-db|status|key|checkpoint``: the evidence ledger.

- ``export --case REF [--from DATE] [--to DATE] -o BUNDLE.zip`` (supervisor):
  the case's records (its legal basis included), their inclusion proofs, a
  fresh signed (and, with a TSA, timestamped) checkpoint, the verifier key, a
  CSV, an HTML and a PDF report, and the signed manifest. The export is itself
  recorded in the ledger.
- ``verify BUNDLE.zip [--key VKEY|FILE] [--case REF] [--sha256 HEX] ...``:
  checks the bundle offline (no database, no network), failing closed
  (:mod:`monitor.cli.evidence_verify`).
- ``verify-db``: checks the whole ledger of ``database.path`` in place.
- ``status``: the ledger's size, its latest checkpoint, and its timestamps and
  the gaps in them (exit status 1 while a checkpoint lacks its timestamp).
- ``key [--generate]``: prints the verifier key (C2SP vkey); ``--generate``
  creates the signing key first if there is none (``chanwatch init`` does too).
- ``checkpoint``: signs a checkpoint now if the ledger grew, sends it to the
  witness and the TSA when configured (retrying earlier timestamps), prints it.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime
from pathlib import Path

from monitor.cli import evidence_verify
from monitor.cli.common import (
    CliContext,
    CliError,
    SubParsers,
    UsageError,
    acting_user,
    open_store,
    say,
)
from monitor.ledger import timestamp_authority
from monitor.settings import Settings
from storage.ledger.checkpoint import InconsistentLedger, checkpoint_job
from storage.ledger.export import ExportError, export_case
from storage.ledger.keys import KeyFileError, generate_signing_key, load_signing_key
from storage.ledger.note import Signer, Verifier
from storage.ledger.status import ledger_status, status_lines
from storage.ledger.timestamp import TimestampError, Tsa
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
    exp.add_argument("-o", "--output", required=True, type=Path, metavar="BUNDLE.zip",
                     help="the bundle file to write (created 0600)")
    exp.set_defaults(func=cmd_export, quiet=True)

    evidence_verify.add_parser(cmds)

    vdb = cmds.add_parser("verify-db", help="check the whole ledger in the database")
    vdb.add_argument("--key", metavar="VKEY|FILE", help="verifier key (default: the signing key's)")
    vdb.set_defaults(func=cmd_verify_db, quiet=True)

    key = cmds.add_parser("key", help="print the verifier key (C2SP vkey)")
    key.add_argument("--generate", action="store_true",
                     help="create the signing key first if it does not exist (admin)")
    key.set_defaults(func=cmd_key, quiet=True)

    cp = cmds.add_parser("checkpoint", help="sign a checkpoint now (if the ledger grew)")
    cp.set_defaults(func=cmd_checkpoint, quiet=True)

    st = cmds.add_parser("status", help="checkpoints, timestamps and their gaps")
    st.set_defaults(func=cmd_status, quiet=True)


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
    tsa = await asyncio.to_thread(_tsa, ctx.settings)
    async with open_store(ctx) as store:
        try:
            result = await export_case(store, signer, ctx.settings.ledger.origin,
                                       case=args.case, actor=actor, out=args.output,
                                       date_from=date_from, date_to=date_to,
                                       witness_url=ctx.settings.ledger.witness_url, tsa=tsa)
        except ExportError as exc:
            raise UsageError(str(exc)) from None
    say(ctx, f"exported case {result.case}: {result.records} records to {result.path}")
    say(ctx, f"bundle SHA-256 {result.bundle_sha256}")
    say(ctx, f"checkpoint: tree size {result.tree_size}, key {signer.vkey()}")
    if result.timestamp is not None:
        say(ctx, f"timestamp: {result.timestamp}")
    elif result.timestamp_error is not None:
        say(ctx, f"timestamp: none ({result.timestamp_error}); the bundle holds none; the "
                 "checkpoint job retries (see `chanwatch evidence status`)")
    say(ctx, "hand over the ZIP and, separately, the key line above; the receiver runs "
             f"`chanwatch evidence verify {result.path.name} --key '<vkey>' --case "
             f"{result.case} --sha256 {result.bundle_sha256}`")
    return 0


async def cmd_verify_db(args: argparse.Namespace, ctx: CliContext) -> int:
    verifier: Verifier | None
    if args.key:
        verifier = await asyncio.to_thread(evidence_verify.read_vkey, args.key)
    else:
        verifier = await asyncio.to_thread(evidence_verify.own_key, ctx)
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
    tsa = await asyncio.to_thread(_tsa, ctx.settings)
    async with open_store(ctx) as store:
        try:
            stored = await checkpoint_job(store, signer, ctx.settings.ledger.origin,
                                          ctx.settings.ledger.witness_url, tsa)
        except InconsistentLedger as exc:
            raise CliError(f"refusing to sign: {exc}") from None
    ctx.stdout.write(stored.note)
    return 0


def _tsa(settings: Settings) -> Tsa | None:
    try:
        return timestamp_authority(settings.ledger)
    except TimestampError as exc:
        raise CliError(f"setting ledger.timestamp.ca_file: {exc}") from None


async def cmd_status(args: argparse.Namespace, ctx: CliContext) -> int:
    async with open_store(ctx) as store:
        status = await store.snapshot(ledger_status)
    timestamps = ctx.settings.ledger.timestamp.url
    for line in status_lines(status, timestamps):
        say(ctx, line)
    return 1 if timestamps and (status.gaps or status.unstamped_latest) else 0
