"""``chanwatch evidence verify``: check a bundle offline, failing closed.

Exit status (README, "Verify"): 0 VERIFIED: every check held under a key you
trust; 1 NOT VERIFIED: something is wrong (each problem named); 2 the bundle
(or a key or CA file given) could not be read, or the arguments are wrong;
3 NOT VERIFIED because something could not be checked against what you trust
(no trusted key; a timestamp without the TSA's CA certificate), though nothing
wrong was found: the output says what was and was not checked.

Trusted keys: every ``--key`` (a vkey or a file holding one), the keys in
``--trusted-keys FILE`` or ``ledger.trusted_keys_file`` (one vkey per line,
``#`` comments), and this installation's own ledger key when it has one.
"""

from __future__ import annotations

import argparse
import asyncio
import re
from pathlib import Path

from cryptography import x509

from monitor.cli.common import CliContext, SubParsers, UsageError, say
from monitor.settings_ledger import bundle_limits
from storage.ledger.keys import KeyFileError, load_signing_key
from storage.ledger.note import NoteError, Verifier
from storage.ledger.timestamp import TimestampError, load_roots
from storage.ledger.verify import NOT_VERIFIED, UNCHECKED, VERIFIED, VerifyReport, verify_bundle

_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")


def add_parser(cmds: SubParsers) -> None:
    ver = cmds.add_parser(
        "verify", help="check a bundle offline; exit 0 only if all holds under a trusted key")
    ver.add_argument("bundle", type=Path, metavar="BUNDLE.zip",
                     help="a bundle made by `chanwatch evidence export`")
    ver.add_argument("--key", action="append", default=[], metavar="VKEY|FILE",
                     help="a ledger verifier key you trust (or a file holding it); repeatable")
    ver.add_argument("--trusted-keys", type=Path, metavar="FILE",
                     help="a file of trusted verifier keys, one per line "
                          "(default: setting ledger.trusted_keys_file)")
    ver.add_argument("--case", metavar="REF", help="the case the bundle must be for")
    ver.add_argument("--sha256", metavar="HEX",
                     help="the SHA-256 the bundle file must have (from the handover record)")
    ver.add_argument("--previous", type=Path, metavar="CHECKPOINT.txt",
                     help="an earlier signed checkpoint: check the ledger still extends it")
    ver.add_argument("--tsa-ca", type=Path, metavar="PEM",
                     help="CA certificate(s) of the timestamp authority "
                          "(default: setting ledger.timestamp.ca_file)")
    ver.set_defaults(func=cmd_verify, quiet=True)


def read_vkey(value: str) -> Verifier:
    """A vkey given inline or as a file holding it."""
    text = value
    path = Path(value)
    if "+" not in value or path.is_file():
        try:
            text = path.read_text("utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            why = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
            raise UsageError(f"--key {value}: not a verifier key and not a readable file "
                             f"({why})") from None
    try:
        return Verifier.from_vkey(text)
    except NoteError as exc:
        raise UsageError(f"--key: {exc}") from None


def read_trusted_keys(path: Path, what: str) -> list[Verifier]:
    """The vkeys of a trusted-keys file (one per line, ``#`` comments)."""
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise UsageError(f"{what} {path}: cannot read it ({why})") from None
    keys: list[Verifier] = []
    for n, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            keys.append(Verifier.from_vkey(line))
        except NoteError as exc:
            raise UsageError(f"{what} {path} line {n}: {exc}") from None
    if not keys:
        raise UsageError(f"{what} {path}: holds no verifier key")
    return keys


def trusted_keys(args: argparse.Namespace, ctx: CliContext) -> list[Verifier]:
    keys = [read_vkey(value) for value in args.key]
    if args.trusted_keys is not None:
        keys += read_trusted_keys(args.trusted_keys, "--trusted-keys")
    elif ctx.settings.ledger.trusted_keys_file is not None:
        keys += read_trusted_keys(ctx.settings.ledger.trusted_keys_file,
                                  "setting ledger.trusted_keys_file")
    own = own_key(ctx)
    if own is not None and all(k.vkey() != own.vkey() for k in keys):
        keys.append(own)
    return keys


def own_key(ctx: CliContext) -> Verifier | None:
    """This installation's own ledger key, when there is one (a unit checking
    its own bundles)."""
    try:
        return load_signing_key(ctx.settings.ledger.signing_key_file).verifier
    except (KeyFileError, OSError):
        return None


def tsa_roots(args: argparse.Namespace, ctx: CliContext) -> tuple[x509.Certificate, ...] | None:
    path = args.tsa_ca if args.tsa_ca is not None else ctx.settings.ledger.timestamp.ca_file
    if path is None:
        return None
    try:
        return load_roots(path)
    except TimestampError as exc:
        raise UsageError(str(exc)) from None


def write_report(ctx: CliContext, report: VerifyReport) -> None:
    what = (f"case {report.case}, {report.records} records, checkpoint size {report.tree_size}, "
            f"key {report.key}")
    if report.timestamp:
        what += f", timestamp {report.timestamp}"
    problems = len(report.problems) + report.more
    if not problems:
        for note in report.notes:
            say(ctx, f"note: {note}")
    if problems > 1:
        for problem in report.problems:
            say(ctx, f"FAIL: {problem}")
        if report.more:
            say(ctx, f"FAIL: ... and {report.more} more problems")
    if report.status == UNCHECKED:
        for item in report.checked:
            say(ctx, f"checked: {item}")
        for item in report.unchecked:
            say(ctx, f"not checked: {item}")
    if report.status == VERIFIED:
        say(ctx, f"VERIFIED: {what}")
    elif report.status == NOT_VERIFIED and problems == 1:
        say(ctx, f"NOT VERIFIED: {report.problems[0]}")
    elif report.status == NOT_VERIFIED:
        say(ctx, f"NOT VERIFIED: {problems} problems (listed above); {what}")
    else:
        say(ctx, f"NOT VERIFIED: nothing wrong was found, but not everything could be checked "
                 f"(see 'not checked' above); {what}")


async def cmd_verify(args: argparse.Namespace, ctx: CliContext) -> int:
    if args.sha256 is not None and not _HEX64.match(args.sha256):
        raise UsageError(f"--sha256 {args.sha256!r}: not 64 hex digits")
    keys = await asyncio.to_thread(trusted_keys, args, ctx)
    roots = await asyncio.to_thread(tsa_roots, args, ctx)
    previous = None
    if args.previous is not None:
        try:
            previous = await asyncio.to_thread(args.previous.read_text, "utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"--previous {args.previous}: cannot read it ({exc})") from None
    report = await asyncio.to_thread(
        verify_bundle, args.bundle, keys, previous, case=args.case, sha256=args.sha256,
        tsa_roots=roots, limits=bundle_limits(ctx.settings.ledger.verify))
    if report.unreadable is not None:
        raise UsageError(report.unreadable)
    write_report(ctx, report)
    return report.status if report.status in (VERIFIED, NOT_VERIFIED, UNCHECKED) else 1
