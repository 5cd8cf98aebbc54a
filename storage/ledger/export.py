"""The supervisor's export: one case's records with their proofs, as a ZIP.

Bundle files (all at the top level of the ZIP; byte-level definitions in
:mod:`storage.ledger.bundle`):

- ``records.jsonl``: the selected records, one per line, each line exactly the
  bytes that were hashed into the ledger (canonical JSON), in ledger order. The
  last one is this export's own ``export`` record.
- ``proofs.jsonl``: for each record, in the same order,
  ``{"index": N, "leaf_hash": HEX, "inclusion": [HEX, ...]}`` (RFC 9162 PATH).
- ``checkpoint.txt``: the signed checkpoint (C2SP signed note) the proofs lead
  to, followed by any witness cosignature lines.
- ``checkpoint.tsr``: the checkpoint's RFC 3161 timestamp, when a TSA gave one.
- ``public_key.txt``: the verifier key (C2SP vkey) of the ledger.
- ``consistency.jsonl``: consistency proofs from the checkpoints of earlier
  exports to this one, ``{"size": M, "root": HEX, "proof": [HEX, ...]}``, so that
  ``verify --previous`` can check an earlier bundle's checkpoint offline.
- ``records.csv``, ``report.html``, ``report.pdf``: for people.
- ``manifest.json``: what the bundle claims (case, selection rule, record count
  and range, ``selection_sha256``, the checkpoint, the timestamp) and the size
  and SHA-256 of every other file; ``manifest.sig``: its signature by the
  ledger key (a C2SP signed note).

The ``export`` record states how many records were selected and the SHA-256
over their leaf hashes, so the verifier can tell a removed record from an
honest selection. The selection and the export record are written in one
transaction; then a checkpoint covering the export record is signed (and
timestamped, with a TSA).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import zipfile
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog

from storage.errors import InvalidInput
from storage.ledger import canonical
from storage.ledger.bundle import (
    BUNDLE_FORMAT,
    MANIFEST,
    MANIFEST_SIG,
    TIMESTAMP,
    manifest_bytes,
    manifest_note_text,
)
from storage.ledger.bundle import selection_digest as _digest
from storage.ledger.checkpoint import StoredCheckpoint, sign_checkpoint
from storage.ledger.ledger import LedgerRow, append_record, gc_paused
from storage.ledger.merkle import MerkleTree
from storage.ledger.note import SIG_PREFIX, Signer
from storage.ledger.report import records_csv, render_html, summarize
from storage.ledger.report_pdf import render_pdf
from storage.ledger.selection import SELECTION_RULE, Selection, select_case
from storage.ledger.timestamp import Tsa
from storage.ledger.timestamping import stamp
from storage.ledger.witness import submit_checkpoint
from storage.repos import Transaction
from storage.repos.records import TimestampAttempt
from storage.repos.transactional import Transactional

log = structlog.get_logger(__name__)

class ExportError(InvalidInput, RuntimeError):
    """Nothing to export, or the bundle cannot be written."""


@dataclass(frozen=True, slots=True)
class ExportResult:
    path: Path
    case: str
    records: int
    export_seq: int
    tree_size: int
    bundle_sha256: str
    #: The TSA's time of the checkpoint's timestamp; else why there is none
    #: (``timestamp_error``), or both None when no TSA is configured.
    timestamp: str | None = None
    timestamp_error: str | None = None


def selection_digest(rows: list[LedgerRow]) -> str:
    """SHA-256 over the selected records' leaf hashes, in order (hex)."""
    return _digest(r.leaf_hash for r in rows)


def proofs_jsonl(tree: MerkleTree, seqs: list[int]) -> bytes:
    """One proof line per seq (RFC 9162 PATH against the whole tree).

    Neighbouring leaves share the upper part of their paths, so the text of the
    path above each level is kept for the last node seen there and reused: a
    million proof lines take about a second instead of twenty million list steps.
    """
    levels = tree.hex_levels()
    top = len(levels) - 1
    frontier_idx = [-1] * (top + 1)
    frontier_txt = [""] * (top + 1)
    out: list[str] = []
    for seq in seqs:
        level = 1
        while level < top and frontier_idx[level] != seq >> level:
            level += 1
        tail = frontier_txt[level] if level < top else ""
        for lv in range(level - 1, -1, -1):
            idx = seq >> lv
            sib = idx ^ 1
            hashes = levels[lv]
            if sib < len(hashes):
                tail = f'{hashes[sib]}","{tail}' if tail else hashes[sib]
            if lv:
                frontier_idx[lv], frontier_txt[lv] = idx, tail
        inclusion = f'"{tail}"' if tail else ""
        out.append(f'{{"index":{seq},"leaf_hash":"{levels[0][seq]}","inclusion":[{inclusion}]}}\n')
    return "".join(out).encode()


async def _earlier_export_checkpoints(tx: Transaction) -> list[tuple[int, bytes]]:
    """(size, root) of each checkpoint an earlier export handed out."""
    exports = [r.seq for r in await tx.ledger.rows(types=["export"])]
    checkpoints = await tx.checkpoints.list()
    found: dict[int, bytes] = {}
    for seq in exports:
        cover = next((c for c in checkpoints if c.tree_size > seq), None)
        if cover is not None:
            found[cover.tree_size] = cover.root
    return sorted(found.items())


class _ZipWriter:
    """Writes members in one worker thread (zlib and SHA-256 release the GIL), so
    compressing one file overlaps with building the next."""

    def __init__(self, path: Path) -> None:
        self._zf = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bundle-zip")
        self._entries: dict[str, Future[dict[str, object]]] = {}

    def add(self, name: str, data: bytes) -> None:
        self._entries[name] = self._pool.submit(self._write, name, data)

    def _write(self, name: str, data: bytes) -> dict[str, object]:
        digest = hashlib.sha256(data).hexdigest()
        info = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        self._zf.writestr(info, data, compresslevel=1)
        return {"sha256": digest, "bytes": len(data)}

    def entries(self) -> dict[str, dict[str, object]]:
        return {name: fut.result() for name, fut in sorted(self._entries.items())}

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self._zf.close()


@dataclass(frozen=True, slots=True)
class BundleParts:
    """What :func:`write_bundle` puts into a bundle besides the records."""

    tree: MerkleTree
    checkpoint: StoredCheckpoint
    signer: Signer
    earlier: list[tuple[int, bytes]]
    claims: dict[str, Any]
    token: TimestampAttempt | None = None


def write_bundle(out: Path, selection: Selection, rows: list[LedgerRow], parts: BundleParts) -> str:
    """Write the bundle (blocking: run it in a thread); return the ZIP's SHA-256."""
    tree, checkpoint, claims = parts.tree, parts.checkpoint, parts.claims
    tmp = out.with_name(out.name + ".part")
    writer = _ZipWriter(tmp)
    try:
        with gc_paused():
            writer.add("records.jsonl", b"".join(r.record + b"\n" for r in rows))
            writer.add("proofs.jsonl", proofs_jsonl(tree, [r.seq for r in rows]))
            writer.add("checkpoint.txt", checkpoint.note.encode())
            if parts.token is not None and parts.token.response is not None:
                writer.add(TIMESTAMP, parts.token.response)
            writer.add("public_key.txt", (parts.signer.vkey() + "\n").encode())
            writer.add("consistency.jsonl", b"".join(
                json.dumps({"size": size, "root": root.hex(),
                            "proof": [h.hex() for h in tree.consistency_proof(size)]},
                           separators=(",", ":")).encode() + b"\n"
                for size, root in parts.earlier if size < tree.size))
            records = json.loads(b"[" + b",".join(r.record for r in rows) + b"]")
            writer.add("records.csv", records_csv(records))
            summary = summarize(selection.case, records, selection.scopes, report_meta(claims))
            del records
            writer.add("report.html", render_html(summary))
            writer.add("report.pdf", render_pdf(summary))
        manifest = manifest_bytes({**claims, "files": writer.entries()})
        writer.add(MANIFEST, manifest)
        writer.add(MANIFEST_SIG, parts.signer.sign(manifest_note_text(manifest)).encode())
        writer.entries()
    except BaseException:
        writer.close()
        tmp.unlink(missing_ok=True)
        raise
    writer.close()
    digest = hashlib.sha256()
    with tmp.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    tmp.replace(out)
    return digest.hexdigest()


def report_meta(claims: dict[str, Any]) -> dict[str, str]:
    """The claims the report prints at its top, in reading order, empty ones left out."""
    selection = claims.get("selection") or {}
    checkpoint = claims.get("checkpoint") or {}
    stamp_info = claims.get("timestamp") or {}
    pairs = [
        ("case", claims.get("case")), ("exported by", claims.get("exported_by")),
        ("exported at", claims.get("exported_at")), ("from", selection.get("from")),
        ("to", selection.get("to")), ("selection rule", selection.get("rule")),
        ("records", claims.get("records")),
        ("sequence numbers", f"{claims.get('first_seq')} to {claims.get('last_seq')}"),
        ("export record", claims.get("export_seq")),
        ("selection_sha256", claims.get("selection_sha256")),
        ("ledger", claims.get("origin")), ("checkpoint size", checkpoint.get("size")),
        ("checkpoint root", checkpoint.get("root")),
        ("timestamp", f"{stamp_info.get('time')} by {stamp_info.get('tsa')}"
         if stamp_info else None),
        ("verifier key", claims.get("key")),
    ]
    return {k: str(v) for k, v in pairs if v not in (None, "")}


def signature_lines(text: str) -> str:
    """The well-formed signed-note signature lines in a witness's answer."""
    lines = [ln for ln in text.splitlines()
             if ln.startswith(SIG_PREFIX) and ln.count(" ") == 2 and "\n" not in ln]
    return "".join(f"{ln}\n" for ln in lines)


def check_output_path(out: Path) -> None:
    if out.exists():
        raise ExportError(f"{out} already exists; choose a new file name")
    if not out.parent.is_dir():
        raise ExportError(f"directory {out.parent} does not exist")


async def export_case(
    store: Transactional,
    signer: Signer,
    origin: str,
    *,
    case: str,
    actor: str,
    out: Path,
    date_from: datetime | None = None,
    date_to: datetime | None = None,
    witness_url: str | None = None,
    tsa: Tsa | None = None,
) -> ExportResult:
    """Select case ``case``, record the export, sign a checkpoint, write ``out``.

    With ``witness_url``, a newly signed checkpoint is first sent to the witness
    and its cosignature lines, if it gives any, are added to ``checkpoint.txt``
    (a signed note may carry several signatures; verifiers ignore keys they do
    not know, so the bundle verifies with or without them). With ``tsa``, the
    checkpoint is timestamped (one attempt); a TSA that does not answer leaves
    the bundle without ``checkpoint.tsr`` and the result says why.
    """
    t_from = canonical.format_time(date_from) if date_from else None
    t_to = canonical.format_time(date_to) if date_to else None
    await asyncio.to_thread(check_output_path, out)

    async def select_and_record(tx: Transaction) -> tuple[Selection, int]:
        sel = await select_case(tx, case, t_from, t_to)
        if not sel.rows:
            raise ExportError(f"case {case!r} has no records in the ledger"
                              + (" in that period" if t_from or t_to else ""))
        seq = await append_record(tx, "export", actor, {
            "case": case, "from": t_from, "to": t_to, "file": out.name,
            "selection": SELECTION_RULE, "records": len(sel.rows),
            "first_seq": sel.rows[0].seq, "last_seq": sel.rows[-1].seq,
            "selection_sha256": selection_digest(sel.rows),
        })
        return sel, seq

    selection, export_seq = await store.transaction(select_and_record)
    checkpoint, tree, new = await sign_checkpoint(store, signer, origin)
    token = None if tsa is None else await stamp(store, tsa, checkpoint.id, checkpoint.note)
    if new and witness_url:
        status, answer = await submit_checkpoint(store, witness_url, checkpoint.id,
                                                 checkpoint.note, tree)
        cosignatures = signature_lines(answer) if status == 200 else ""
        checkpoint = replace(checkpoint, note=checkpoint.note + cosignatures)
    export_rows = await store.snapshot(lambda tx: tx.ledger.rows(seqs=[export_seq]))
    rows = [*selection.rows, *export_rows]
    earlier = await store.snapshot(_earlier_export_checkpoints)
    stamped = token is not None and token.response is not None
    claims: dict[str, Any] = {
        "format": BUNDLE_FORMAT, "origin": origin, "key": signer.vkey(), "case": case,
        "selection": {"rule": SELECTION_RULE, "from": t_from, "to": t_to},
        "records": len(rows), "first_seq": rows[0].seq, "last_seq": rows[-1].seq,
        "export_seq": export_seq, "selection_sha256": selection_digest(selection.rows),
        "checkpoint": {"size": checkpoint.tree_size, "root": checkpoint.root.hex()},
        "timestamp": {"file": TIMESTAMP, "imprint_sha256": token.imprint.hex(),
                      "time": token.gen_time, "tsa": token.tsa_name}
        if stamped and token is not None else None,
        "exported_by": actor, "exported_at": canonical.format_time(datetime.now(UTC)),
    }
    parts = BundleParts(tree, checkpoint, signer, earlier, claims, token)
    digest = await asyncio.to_thread(write_bundle, out, selection, rows, parts)
    log.info("ledger.exported", case=case, records=len(rows), path=str(out), sha256=digest,
             tree_size=checkpoint.tree_size, timestamped=stamped)
    return ExportResult(out, case, len(rows), export_seq, checkpoint.tree_size, digest,
                        token.gen_time if token is not None else None,
                        token.error if token is not None else None)
