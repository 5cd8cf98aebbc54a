"""The offline verifier of an export bundle (:mod:`storage.ledger.export`).

It says "verified" only when it could check everything against what the user
trusts, and fails closed otherwise. With no database and no network, in this
order (nothing large is inflated before the manifest's signature held):

1. the file: its size, the ZIP's structure (:mod:`storage.ledger.bundle_zip`),
   the expected SHA-256 (``sha256``);
2. ``manifest.sig`` signs ``manifest.json`` under a trusted key (``keys``); with
   no trusted key, under the bundle's own ``public_key.txt``, which anyone can
   make: then the verdict is "not checked" (:data:`UNCHECKED`), whatever else holds;
3. the claims: format, the expected case (``case``), every file's size and
   SHA-256 as the manifest lists them, no file more or less;
4. the checkpoint's signature under the same key, and its size and root as claimed;
5. every record's canonical form, leaf hash and inclusion proof, ledger order
   (:mod:`storage.ledger.verify_records`); that the records are exactly the
   claimed ones (count, first, last and export sequence numbers,
   ``selection_sha256``) and the export record says the same;
6. with ``previous``, consistency with that earlier checkpoint;
7. the RFC 3161 timestamp, when the bundle has one, under ``tsa_roots``.

Every problem names the file and line (or record); limits crossed are problems
too, never exceptions (:class:`~storage.ledger.bundle_zip.BundleLimits`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509

from storage.ledger.bundle import (
    KNOWN,
    MANIFEST,
    MANIFEST_SIG,
    REQUIRED,
    TIMESTAMP,
    Claims,
    manifest_note_text,
    parse_claims,
    selection_digest,
    stamped_note,
)
from storage.ledger.bundle_zip import BundleLimits, BundleRefused, BundleUnreadable, BundleZip
from storage.ledger.findings import Findings
from storage.ledger.jsonlimit import loads as loads_limited
from storage.ledger.ledger import gc_paused
from storage.ledger.note import NoteError, Verifier, open_checkpoint, open_note
from storage.ledger.timestamp import TimestampError, check
from storage.ledger.verify_records import check_previous, check_records, split_lines

#: Exit statuses of ``chanwatch evidence verify`` (README, "Verify").
VERIFIED, NOT_VERIFIED, UNREADABLE, UNCHECKED = 0, 1, 2, 3


@dataclass
class VerifyReport(Findings):
    case: str | None = None
    records: int = 0
    tree_size: int | None = None
    key: str | None = None
    pinned: bool = False
    timestamp: str | None = None
    #: What was checked (however far it got), and what could not be checked
    #: against something the user trusts.
    checked: list[str] = field(default_factory=list)
    unchecked: list[str] = field(default_factory=list)
    #: Why the file could not be read at all (then nothing was checked).
    unreadable: str | None = None

    @property
    def status(self) -> int:
        if self.unreadable is not None:
            return UNREADABLE
        if not self.ok:
            return NOT_VERIFIED
        return UNCHECKED if self.unchecked else VERIFIED


class _Stop(Exception):
    """Nothing further can be checked."""


def _text(data: bytes | None, name: str) -> str:
    try:
        return (data or b"").decode("utf-8")
    except UnicodeDecodeError:
        raise BundleRefused(f"{name}: not UTF-8 text") from None


def _signer(bz: BundleZip, sig: str, trusted: Sequence[Verifier],
            report: VerifyReport) -> Verifier:
    """The key that signed ``manifest.sig``: a trusted one, else the bundle's own."""
    for key in trusted:
        try:
            open_note(sig, key)
        except NoteError:
            continue
        report.pinned, report.key = True, key.vkey()
        return key
    if trusted:
        names = ", ".join(f"{k.name}+{k.key_id.hex()}" for k in trusted)
        report.fail(f"manifest.sig: not signed by a trusted key ({names}): the bundle is not "
                    "from the ledger you trust, or its claims were replaced")
        raise _Stop
    try:
        bundled = Verifier.from_vkey(_text(bz.small("public_key.txt"), "public_key.txt"))
        open_note(sig, bundled)
    except NoteError as exc:
        report.fail(f"manifest.sig / public_key.txt: {exc}")
        raise _Stop from None
    report.key = bundled.vkey()
    report.unchecked.append(
        f"no trusted key: the signatures were checked only with the key shipped in the bundle "
        f"({bundled.name}+{bundled.key_id.hex()}), which anyone can make; pass the key the "
        "issuing unit gave you with --key (or a trusted-keys file)")
    return bundled


def _claims(bz: BundleZip, trusted: Sequence[Verifier], report: VerifyReport,
            ) -> tuple[Claims, Verifier]:
    raw = bz.small(MANIFEST)
    sig = bz.small(MANIFEST_SIG)
    if raw is None or sig is None:
        missing = MANIFEST if raw is None else MANIFEST_SIG
        report.fail(f"{missing}: missing: the bundle's claims are not signed (not a "
                    "chanwatch-evidence-bundle/2)")
        raise _Stop
    signer = _signer(bz, _text(sig, MANIFEST_SIG), trusted, report)
    signed = open_note(_text(sig, MANIFEST_SIG), signer)
    if signed != manifest_note_text(raw):
        report.fail(f"manifest.json: its SHA-256 is {hashlib.sha256(raw).hexdigest()}, but "
                    f"manifest.sig signs {signed.split()[-1]}: the manifest was replaced")
        raise _Stop
    try:
        claims = parse_claims(loads_limited(raw, bz.limits.max_json_depth))
    except ValueError as exc:
        report.fail(f"manifest.json: not a valid manifest ({exc})")
        raise _Stop from None
    report.case = claims.case
    report.checked.append(f"the ZIP's structure within the limits; manifest.sig over "
                          f"manifest.json under key {signer.name}+{signer.key_id.hex()}")
    if claims.key != signer.vkey():
        report.fail(f"manifest.json: names key {claims.key}, but was signed by {signer.vkey()}")
    return claims, signer


def _read_files(bz: BundleZip, claims: Claims, report: VerifyReport) -> dict[str, bytes]:
    """Every listed member checked against its size and SHA-256; the ones the
    verifier reads further are returned."""
    for name in sorted(set(bz.infos) - set(claims.files) - {MANIFEST, MANIFEST_SIG}):
        report.fail(f"{name}: not listed in manifest.json")
    for name in REQUIRED:
        if name not in bz.infos and name not in claims.files:
            report.fail(f"{name}: missing from the bundle")
    files: dict[str, bytes] = {}
    for name, (size, digest) in sorted(claims.files.items()):
        if name not in KNOWN or name in (MANIFEST, MANIFEST_SIG):
            report.fail(f"manifest.json lists {name!r}, which is not a file of a bundle")
            continue
        if name not in bz.infos:
            report.fail(f"{name}: listed in manifest.json but missing from the bundle")
            continue
        try:
            if name in ("records.csv", "report.html", "report.pdf"):
                got = bz.digest(name, size)
            else:
                files[name] = bz.read(name, size)
                got = hashlib.sha256(files[name]).hexdigest()
        except BundleRefused as exc:
            report.fail(str(exc))
            continue
        if got != digest:
            report.fail(f"{name}: SHA-256 is {got}, manifest.json says {digest}")
    report.checked.append(f"{len(claims.files)} files against the manifest's sizes and SHA-256")
    return files


def _check_claimed_records(parsed: list[dict[str, Any] | None], lines: list[bytes],
                           claims: Claims, report: VerifyReport) -> None:
    seqs = [None if r is None else r.get("seq") for r in parsed]
    got = (len(lines), seqs[0] if seqs else None, seqs[-1] if seqs else None)
    want = (claims.records, str(claims.first_seq), str(claims.last_seq))
    if got != want:
        report.fail(f"records.jsonl: {got[0]} records, seq {got[1]} to {got[2]}; the signed "
                    f"manifest claims {want[0]}, seq {want[1]} to {want[2]}: records were "
                    "removed, added or reordered")
    digest = selection_digest(hashlib.sha256(b"\x00" + line).digest() for line in lines[:-1])
    if digest != claims.selection_sha256:
        report.fail(f"records.jsonl: the records before the export record have selection_sha256 "
                    f"{digest}, the signed manifest claims {claims.selection_sha256}: records "
                    "were removed, added, replaced or reordered")
    last = parsed[-1] if parsed else None
    if (last is None or last.get("type") != "export" or last.get("seq") != str(claims.export_seq)
            or last.get("case") != claims.case):
        report.fail(f"records.jsonl: the last record is not this bundle's export record (type "
                    f"export, seq {claims.export_seq}, case {claims.case})")
        return
    for key, value in (("records", str(len(lines) - 1)),
                       ("selection_sha256", claims.selection_sha256),
                       ("from", claims.date_from), ("to", claims.date_to)):
        if last.get(key) != value:
            report.fail(f"records.jsonl: the export record (seq {claims.export_seq}) says {key} "
                        f"{last.get(key)}, the signed manifest {value}")


def _check_timestamp(files: dict[str, bytes], claims: Claims,
                     tsa_roots: tuple[x509.Certificate, ...] | None,
                     report: VerifyReport) -> None:
    token = files.get(TIMESTAMP)
    if claims.timestamp is None:
        if TIMESTAMP in claims.files:
            report.fail(f"{TIMESTAMP}: present, but the manifest claims no timestamp")
        else:
            report.notes.append("the checkpoint carries no RFC 3161 timestamp")
        return
    if token is None:
        report.fail(f"{TIMESTAMP}: the manifest claims a timestamp, but the file is missing")
        return
    stamped = stamped_note(files.get("checkpoint.txt", b"").decode("utf-8", "replace"))
    imprint = hashlib.sha256(stamped.encode()).hexdigest()
    if imprint != claims.timestamp["imprint_sha256"]:
        report.fail(f"{TIMESTAMP}: the manifest says it stamps {claims.timestamp['imprint_sha256']}"
                    f", but the signed checkpoint hashes to {imprint}")
    if tsa_roots is None:
        report.unchecked.append(
            f"timestamp: {TIMESTAMP} (by {claims.timestamp['tsa']}) was not checked: no TSA CA "
            "certificate (--tsa-ca or setting ledger.timestamp.ca_file)")
        return
    try:
        info = check(token, stamped.encode(), tsa_roots)
    except TimestampError as exc:
        report.fail(f"{TIMESTAMP}: {exc}")
        return
    report.timestamp = f"{info.time.isoformat()} by {info.tsa}"
    report.checked.append(f"the RFC 3161 timestamp of {report.timestamp}")


def _verify(bz: BundleZip, trusted: Sequence[Verifier], previous: str | None,
            tsa_roots: tuple[x509.Certificate, ...] | None, report: VerifyReport,
            expect_case: str | None) -> None:
    claims, signer = _claims(bz, trusted, report)
    if expect_case is not None and claims.case != expect_case:
        report.fail(f"case: this bundle is for case {claims.case!r}, not the expected "
                    f"{expect_case!r}")
    files = _read_files(bz, claims, report)
    shipped = files.get("public_key.txt")
    if report.pinned and shipped is not None and shipped.decode("utf-8", "replace").strip() != (
            signer.vkey()):
        report.fail(f"public_key.txt: holds {shipped.decode('utf-8', 'replace').strip()[:80]}, "
                    f"not the pinned key {signer.name}+{signer.key_id.hex()}")
    try:
        cp = open_checkpoint(_text(files.get("checkpoint.txt"), "checkpoint.txt"), signer,
                             claims.origin)
    except (NoteError, BundleRefused) as exc:
        report.fail(f"checkpoint.txt: {exc}")
        return
    report.tree_size = cp.size
    report.checked.append(f"checkpoint.txt's signature (tree size {cp.size})")
    if (cp.size, cp.root.hex()) != (claims.checkpoint_size, claims.checkpoint_root):
        report.fail(f"checkpoint.txt: size {cp.size}, root {cp.root.hex()}; the signed manifest "
                    f"claims size {claims.checkpoint_size}, root {claims.checkpoint_root}")
    if "records.jsonl" in files and "proofs.jsonl" in files:
        depth = bz.limits.max_json_depth
        lines = split_lines(files["records.jsonl"], "records.jsonl", report)
        report.records = len(lines)
        with gc_paused():
            parsed = check_records(lines, files["proofs.jsonl"], cp, report, depth)
        _check_claimed_records(parsed, lines, claims, report)
        report.checked.append(f"{len(lines)} records: canonical form, leaf hashes, inclusion "
                              "proofs, ledger order, and that they are the claimed selection")
        if previous is not None:
            check_previous(files.get("consistency.jsonl", b""), cp, previous, signer, report,
                           depth)
            report.checked.append("consistency with the previous checkpoint")
    _check_timestamp(files, claims, tsa_roots, report)


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def verify_bundle(
    path: Path,
    key: Verifier | Sequence[Verifier] | None = None,
    previous: str | None = None,
    *,
    case: str | None = None,
    sha256: str | None = None,
    tsa_roots: tuple[x509.Certificate, ...] | None = None,
    limits: BundleLimits | None = None,
) -> VerifyReport:
    """Check everything in the bundle at ``path`` (blocking: run in a thread).

    ``key``: the trusted ledger key(s); ``case``/``sha256``: what the caller
    expects (the case reference, the ZIP file's SHA-256); ``tsa_roots``: the CA
    certificates a timestamp must chain to.
    """
    report = VerifyReport()
    trusted = [key] if isinstance(key, Verifier) else list(key or ())
    try:
        with BundleZip(path, limits or BundleLimits()) as bz:
            if sha256 is not None:
                got = _file_sha256(path)
                if got != sha256.lower():
                    report.fail(f"{path.name}: SHA-256 is {got}, not the expected {sha256}")
            _verify(bz, trusted, previous, tsa_roots, report, case)
    except BundleUnreadable as exc:
        report.unreadable = str(exc)
    except BundleRefused as exc:
        report.fail(str(exc))
    except _Stop:
        pass
    except OSError as exc:
        report.unreadable = f"{path}: cannot read it ({exc.strerror or exc})"
    if not trusted and not report.unchecked and report.unreadable is None:
        report.unchecked.append("no trusted key: the bundle's signatures were not checked")
    return report
