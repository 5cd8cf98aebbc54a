"""The verifier's checks of a bundle's records, proofs and consistency proofs
(:mod:`storage.ledger.verify` reads the files and calls these).

Every record line's canonical form and leaf hash, its inclusion proof against
the checkpoint root, ledger order, and with a previous checkpoint the
consistency proof to it. Problems name the file and line.
"""

from __future__ import annotations

import binascii
import hashlib
from typing import Any

from storage.ledger import canonical
from storage.ledger.findings import Findings
from storage.ledger.jsonlimit import JsonDepthError, check_depth, openers
from storage.ledger.jsonlimit import loads as loads_limited
from storage.ledger.merkle import ProofError, verify_consistency, verify_inclusion_texts
from storage.ledger.note import Checkpoint, NoteError, Verifier, open_checkpoint


def split_lines(data: bytes, name: str, report: Findings) -> list[bytes]:
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


def _slow_proof(line: bytes, depth: int) -> tuple[int, bytes, bytes]:
    """Any other valid JSON form of a proof line (spaces, upper-case hex)."""
    obj = loads_limited(line, depth)
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


def _records_parsed(
    records: list[bytes], report: Findings, depth: int
) -> list[dict[str, Any] | None]:
    deep: set[int] = set()
    for n, line in enumerate(records, 1):
        if openers(line) > depth:
            try:
                check_depth(line, depth)
            except JsonDepthError as exc:
                report.fail(f"records.jsonl line {n}: {exc}")
                deep.add(n)
    fast = None if deep else canonical.loads_lines(records)
    if fast is not None:
        return list(fast)
    parsed: list[dict[str, Any] | None] = []
    for n, line in enumerate(records, 1):
        if n in deep:
            parsed.append(None)
            continue
        try:
            parsed.append(canonical.loads(line))
        except canonical.CanonicalError as exc:
            report.fail(f"records.jsonl line {n}: {exc}")
            parsed.append(None)
    return parsed


def check_records(
    records: list[bytes], proofs_data: bytes, cp: Checkpoint, report: Findings, depth: int
) -> list[dict[str, Any] | None]:
    """Check every record against its proof and the checkpoint; return the
    parsed records (None where a line is not a canonical record)."""
    proofs = split_lines(proofs_data, "proofs.jsonl", report)
    if len(records) != len(proofs):
        report.fail(f"records.jsonl has {len(records)} lines but proofs.jsonl has {len(proofs)}")
    parsed = _records_parsed(records, report, depth)
    items: list[tuple[int, bytes, bytes]] = []
    where: list[int] = []
    last_index = -1
    sha = hashlib.sha256
    for n, (line, rec, proof_line) in enumerate(zip(records, parsed, proofs, strict=False), 1):
        split = _fast_proof(proof_line)
        if split is None:
            try:
                split = _slow_proof(proof_line, depth)
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
    return parsed


def check_previous(
    consistency: bytes, cp: Checkpoint, previous: str, verifier: Verifier, report: Findings,
    depth: int,
) -> None:
    """The bundle's checkpoint extends ``previous`` (a signed checkpoint)."""
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
    for n, line in enumerate(split_lines(consistency, "consistency.jsonl", report), 1):
        try:
            obj = loads_limited(line, depth)
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

