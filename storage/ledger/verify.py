"""The offline verifier of an export bundle (:mod:`storage.ledger.export`).

Checks, with no database and no network: the ZIP's member names; the manifest's
SHA-256 of every file; the signer key (the pinned one given by the caller, else
the bundle's own ``public_key.txt``, which is then reported as unpinned); the
checkpoint's signature and form; every record's canonical form, its leaf hash
and its inclusion proof against the checkpoint root, in ledger order; that the
records are complete as selected (the export record's count and digest); and
with a previous checkpoint, consistency with it. Every problem is reported with
the file and line (or record) it is in; the bundle holds only if none is found.
"""

from __future__ import annotations

import binascii
import hashlib
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from storage.ledger import canonical
from storage.ledger.findings import Findings
from storage.ledger.ledger import gc_paused
from storage.ledger.merkle import ProofError, verify_consistency, verify_inclusion_texts
from storage.ledger.note import Checkpoint, NoteError, Verifier, open_checkpoint

REQUIRED = ("records.jsonl", "proofs.jsonl", "checkpoint.txt", "public_key.txt", "records.csv",
            "report.html", "report.pdf", "manifest.json")
MAX_UNCOMPRESSED = 16 * 1024**3


@dataclass
class VerifyReport(Findings):
    case: str | None = None
    records: int = 0
    tree_size: int | None = None
    key: str | None = None
    pinned: bool = False


def _read_members(path: Path, report: VerifyReport) -> dict[str, bytes] | None:
    try:
        zf = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        report.fail(f"{path}: not a readable ZIP file ({exc})")
        return None
    with zf:
        names = [i.filename for i in zf.infolist()]
        dupes = sorted({n for n in names if names.count(n) > 1})
        for name in dupes:
            report.fail(f"{name}: appears more than once in the ZIP")
        if sum(i.file_size for i in zf.infolist()) > MAX_UNCOMPRESSED:
            report.fail(f"{path}: unpacks to more than {MAX_UNCOMPRESSED} bytes")
            return None
        files: dict[str, bytes] = {}
        for info in zf.infolist():
            try:
                files[info.filename] = zf.read(info)
            except (zipfile.BadZipFile, OSError) as exc:  # e.g. a CRC error
                report.fail(f"{info.filename}: cannot be read from the ZIP ({exc})")
    for name in REQUIRED:
        if name not in files:
            report.fail(f"{name}: missing from the bundle")
    return files


def _check_manifest(files: dict[str, bytes], report: VerifyReport) -> dict[str, Any]:
    try:
        manifest = json.loads(files.get("manifest.json", b"{}"))
        listed = manifest["files"]
        if not isinstance(listed, dict):
            raise TypeError("files is not an object")
    except (ValueError, KeyError, TypeError) as exc:
        report.fail(f"manifest.json: not a valid manifest ({exc})")
        return {}
    for name, data in sorted(files.items()):
        if name == "manifest.json":
            continue
        entry = listed.get(name)
        if not isinstance(entry, dict):
            report.fail(f"{name}: not listed in manifest.json")
            continue
        digest = hashlib.sha256(data).hexdigest()
        if entry.get("sha256") != digest:
            report.fail(f"{name}: SHA-256 is {digest}, manifest.json says {entry.get('sha256')}")
    for name in sorted(set(listed) - set(files)):
        report.fail(f"{name}: listed in manifest.json but missing from the bundle")
    report.case = str(manifest.get("case")) if manifest.get("case") is not None else None
    return dict(manifest)


def _verifier(files: dict[str, bytes], pinned: Verifier | None, report: VerifyReport) -> Verifier:
    bundled: Verifier | None = None
    try:
        bundled = Verifier.from_vkey(files.get("public_key.txt", b"").decode("utf-8"))
    except (NoteError, UnicodeDecodeError) as exc:
        report.fail(f"public_key.txt: not a valid verifier key ({exc})")
    if pinned is not None:
        report.pinned, report.key = True, pinned.vkey()
        if bundled is not None and bundled.vkey() != pinned.vkey():
            report.fail(f"public_key.txt: holds key {bundled.name}+{bundled.key_id.hex()}, "
                        f"not the pinned key {pinned.name}+{pinned.key_id.hex()}")
        return pinned
    if bundled is None:
        raise _Stop
    report.key = bundled.vkey()
    report.notes.append(
        f"the signature was checked with the key shipped in the bundle (key id "
        f"{bundled.key_id.hex()}); compare it with the vkey the issuing unit gave you, "
        "or pass it with --key"
    )
    return bundled


class _Stop(Exception):
    """Nothing further can be checked."""


def _lines(data: bytes, name: str, report: VerifyReport) -> list[bytes]:
    if data and not data.endswith(b"\n"):
        report.fail(f"{name}: the last line does not end with a newline")
    lines = data.split(b"\n")[:-1] if data.endswith(b"\n") else data.split(b"\n")
    return [] if lines == [b""] else lines


_PREFIX, _LEAF, _INC = b'{"index":', b',"leaf_hash":"', b'","inclusion":['


def _fast_proof(line: bytes) -> tuple[int, bytes, bytes] | None:
    """The exporter's exact line form, split without a JSON parser:
    ``(index, leaf hash, text inside the inclusion array)``; None otherwise."""
    if not (line.startswith(_PREFIX) and line.endswith(b"]}")):
        return None
    comma = line.find(b",", 9)
    digits = line[9:comma]
    if not digits.isdigit() or (len(digits) > 1 and digits.startswith(b"0")):
        return None
    if line[comma : comma + 14] != _LEAF or line[comma + 78 : comma + 93] != _INC:
        return None
    inclusion = line[comma + 93 : -2]
    if inclusion != inclusion.lower():
        return None
    try:
        leaf = binascii.unhexlify(line[comma + 14 : comma + 78])
    except (binascii.Error, ValueError):
        return None
    return int(digits), leaf, inclusion


def _slow_proof(line: bytes) -> tuple[int, bytes, bytes]:
    """Any other valid JSON form of a proof line (spaces, upper-case hex)."""
    obj = json.loads(line)
    if not isinstance(obj, dict):
        raise ValueError("not a JSON object")
    index, leaf, inclusion = obj.get("index"), obj.get("leaf_hash"), obj.get("inclusion")
    if not isinstance(index, int) or isinstance(index, bool):
        raise ValueError("index is not an integer")
    if not isinstance(leaf, str) or len(leaf) != 64:
        raise ValueError("leaf_hash is not 64 hex digits")
    if not isinstance(inclusion, list) or not all(isinstance(h, str) for h in inclusion):
        raise ValueError("inclusion is not a list of hex strings")
    text = b",".join(b'"' + h.lower().encode() + b'"' for h in inclusion)
    return index, bytes.fromhex(leaf), text


def _records_parsed(records: list[bytes], report: VerifyReport) -> list[dict[str, Any] | None]:
    fast = canonical.loads_lines(records)
    if fast is not None:
        return list(fast)
    parsed: list[dict[str, Any] | None] = []
    for n, line in enumerate(records, 1):
        try:
            parsed.append(canonical.loads(line))
        except canonical.CanonicalError as exc:
            report.fail(f"records.jsonl line {n}: {exc}")
            parsed.append(None)
    return parsed


def _check_records(files: dict[str, bytes], cp: Checkpoint, report: VerifyReport) -> None:
    records = _lines(files.get("records.jsonl", b""), "records.jsonl", report)
    proofs = _lines(files.get("proofs.jsonl", b""), "proofs.jsonl", report)
    report.records = len(records)
    if len(records) != len(proofs):
        report.fail(f"records.jsonl has {len(records)} lines but proofs.jsonl has {len(proofs)}")
    parsed = _records_parsed(records, report)
    items: list[tuple[int, bytes, bytes]] = []
    where: list[int] = []
    last_index = -1
    sha = hashlib.sha256
    for n, (line, rec, proof_line) in enumerate(zip(records, parsed, proofs, strict=False), 1):
        split = _fast_proof(proof_line)
        if split is None:
            try:
                split = _slow_proof(proof_line)
            except (ValueError, UnicodeDecodeError) as exc:
                report.fail(f"proofs.jsonl line {n}: not a valid proof line ({exc})")
                continue
        index, leaf, text = split
        if rec is not None and rec.get("seq") != str(index):
            report.fail(f"records.jsonl line {n}: record seq {rec.get('seq')} but proofs.jsonl "
                        f"line {n} (index {index}) is for another position: records were "
                        "reordered, removed or added")
        if index <= last_index:
            report.fail(f"proofs.jsonl line {n} (index {index}): not after index {last_index}: "
                        "the records are not in ledger order")
        last_index = max(last_index, index)
        computed = sha(b"\x00" + line).digest()
        if computed != leaf:
            report.fail(f"records.jsonl line {n}: its leaf hash is {computed.hex()} but "
                        f"proofs.jsonl line {n} (index {index}) says {leaf.hex()}: the record "
                        "was changed")
            continue
        items.append((index, leaf, text))
        where.append(n)
    for item_no, reason in verify_inclusion_texts(cp.size, cp.root, items):
        report.fail(f"proofs.jsonl line {where[item_no]} (index {items[item_no][0]}): {reason}")
    _check_complete(parsed, records, report)


def _check_complete(
    parsed: list[dict[str, Any] | None], lines: list[bytes], report: VerifyReport
) -> None:
    last = parsed[-1] if parsed else None
    if last is None or last.get("type") != "export" or last.get("case") != report.case:
        report.fail("records.jsonl: the last record is not this bundle's export record (type "
                    f"export, case {report.case}); completeness cannot be checked")
        return
    selected = lines[:-1]
    digest = hashlib.sha256()
    for line in selected:
        digest.update(hashlib.sha256(b"\x00" + line).digest())
    if last.get("records") != str(len(selected)):
        report.fail(f"records.jsonl: {len(selected)} records before the export record (seq "
                    f"{last.get('seq')}), which says {last.get('records')} were selected: "
                    "records were removed or added")
    elif last.get("selection_sha256") != digest.hexdigest():
        report.fail(f"records.jsonl: the records before the export record (seq "
                    f"{last.get('seq')}) are not the ones selected at export "
                    "(selection_sha256 differs): records were replaced or reordered")


def _check_previous(
    files: dict[str, bytes], cp: Checkpoint, previous: str, verifier: Verifier,
    report: VerifyReport,
) -> None:
    try:
        prev = open_checkpoint(previous, verifier, cp.origin)
    except NoteError as exc:
        report.fail(f"previous checkpoint: {exc}")
        return
    if prev.size > cp.size:
        report.fail(f"previous checkpoint: size {prev.size} is larger than this bundle's "
                    f"{cp.size}; verify the newer bundle against the older checkpoint")
        return
    if prev.size == cp.size or prev.size == 0:
        try:
            verify_consistency(prev.size, cp.size, prev.root, cp.root, [])
        except ProofError as exc:
            report.fail(f"previous checkpoint: {exc}")
        return
    for n, line in enumerate(_lines(files.get("consistency.jsonl", b""), "consistency.jsonl",
                                     report), 1):
        try:
            obj = json.loads(line)
            if obj["size"] != prev.size:
                continue
            proof = [bytes.fromhex(h) for h in obj["proof"]]
        except (ValueError, KeyError, TypeError) as exc:
            report.fail(f"consistency.jsonl line {n}: not a valid proof line ({exc})")
            continue
        try:
            verify_consistency(prev.size, cp.size, prev.root, cp.root, proof)
        except ProofError as exc:
            report.fail(f"consistency.jsonl line {n}: the ledger is not consistent with the "
                        f"previous checkpoint (size {prev.size}): {exc}")
        else:
            report.notes.append(f"consistent with the previous checkpoint of size {prev.size}")
        return
    report.fail(f"consistency.jsonl: no proof from the previous checkpoint's size {prev.size}; "
                "ask the issuing unit for a bundle exported after that checkpoint's export")


def verify_bundle(
    path: Path, key: Verifier | None = None, previous: str | None = None
) -> VerifyReport:
    """Check everything in the bundle at ``path`` (blocking: run in a thread)."""
    report = VerifyReport()
    files = _read_members(path, report)
    if files is None:
        return report
    _check_manifest(files, report)
    try:
        verifier = _verifier(files, key, report)
    except _Stop:
        return report
    try:
        cp = open_checkpoint(files.get("checkpoint.txt", b"").decode("utf-8"), verifier)
    except (NoteError, UnicodeDecodeError) as exc:
        report.fail(f"checkpoint.txt: {exc}")
        return report
    report.tree_size = cp.size
    with gc_paused():
        _check_records(files, cp, report)
    if previous is not None:
        _check_previous(files, cp, previous, verifier, report)
    return report
