"""The supervisor's export: one case's records with their proofs, as a ZIP.

Bundle files (all at the top level of the ZIP):

- ``records.jsonl``: the selected records, one per line, each line exactly the
  bytes that were hashed into the ledger (canonical JSON), in ledger order. The
  last one is this export's own ``export`` record.
- ``proofs.jsonl``: for each record, in the same order,
  ``{"index": N, "leaf_hash": HEX, "inclusion": [HEX, ...]}`` (RFC 9162 PATH).
- ``checkpoint.txt``: the signed checkpoint (C2SP signed note) the proofs lead to.
- ``public_key.txt``: the verifier key (C2SP vkey) of the ledger.
- ``consistency.jsonl``: consistency proofs from the checkpoints of earlier
  exports to this one, ``{"size": M, "root": HEX, "proof": [HEX, ...]}``, so that
  ``verify --previous`` can check an earlier bundle's checkpoint offline.
- ``records.csv``, ``report.html``, ``report.pdf``: for people.
- ``manifest.json``: case, checkpoint, counts and the SHA-256 of every other file.

The ``export`` record states how many records were selected and the SHA-256
over their leaf hashes, so the verifier can tell a removed record from an
honest selection. The selection and the export record are written in one
transaction; then a checkpoint covering the export record is signed.
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

import structlog

from storage.ledger import canonical
from storage.ledger.checkpoint import StoredCheckpoint, sign_checkpoint
from storage.ledger.ledger import LedgerRow, append_record, gc_paused
from storage.ledger.merkle import MerkleTree
from storage.ledger.note import SIG_PREFIX, Signer
from storage.ledger.report import records_csv, render_html, summarize
from storage.ledger.report_pdf import render_pdf
from storage.ledger.selection import Selection, select_case
from storage.ledger.witness import submit_checkpoint
from storage.repos import Transaction
from storage.repos.transactional import Transactional

log = structlog.get_logger(__name__)

BUNDLE_FORMAT = "chanwatch-evidence-bundle/1"
MANIFEST = "manifest.json"


class ExportError(RuntimeError):
    """Nothing to export, or the bundle cannot be written."""


@dataclass(frozen=True, slots=True)
class ExportResult:
    path: Path
    case: str
    records: int
    export_seq: int
    tree_size: int
    bundle_sha256: str


def selection_digest(rows: list[LedgerRow]) -> str:
    """SHA-256 over the selected records' leaf hashes, in order (hex)."""
    h = hashlib.sha256()
    for row in rows:
        h.update(row.leaf_hash)
    return h.hexdigest()


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


def write_bundle(
    out: Path,
    selection: Selection,
    rows: list[LedgerRow],
    tree: MerkleTree,
    checkpoint: StoredCheckpoint,
    vkey: str,
    earlier: list[tuple[int, bytes]],
    meta: dict[str, str],
) -> str:
    """Write the bundle (blocking: run it in a thread); return the ZIP's SHA-256."""
    tmp = out.with_name(out.name + ".part")
    writer = _ZipWriter(tmp)
    try:
        with gc_paused():
            writer.add("records.jsonl", b"".join(r.record + b"\n" for r in rows))
            writer.add("proofs.jsonl", proofs_jsonl(tree, [r.seq for r in rows]))
            writer.add("checkpoint.txt", checkpoint.note.encode())
            writer.add("public_key.txt", (vkey + "\n").encode())
            writer.add("consistency.jsonl", b"".join(
                json.dumps({"size": size, "root": root.hex(),
                            "proof": [h.hex() for h in tree.consistency_proof(size)]},
                           separators=(",", ":")).encode() + b"\n"
                for size, root in earlier if size < tree.size))
            records = json.loads(b"[" + b",".join(r.record for r in rows) + b"]")
            writer.add("records.csv", records_csv(records))
            summary = summarize(selection.case, records, selection.scopes, meta)
            del records
            writer.add("report.html", render_html(summary))
            writer.add("report.pdf", render_pdf(summary))
        manifest = {"format": BUNDLE_FORMAT, **meta, "records": len(rows),
                    "files": writer.entries()}
        writer.add(MANIFEST, (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode())
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
) -> ExportResult:
    """Select case ``case``, record the export, sign a checkpoint, write ``out``.

    With ``witness_url``, a newly signed checkpoint is first sent to the witness
    and its cosignature lines, if it gives any, are added to ``checkpoint.txt``
    (a signed note may carry several signatures; verifiers ignore keys they do
    not know, so the bundle verifies with or without them).
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
            "records": len(sel.rows), "first_seq": sel.rows[0].seq,
            "last_seq": sel.rows[-1].seq, "selection_sha256": selection_digest(sel.rows),
        })
        return sel, seq

    selection, export_seq = await store.transaction(select_and_record)
    checkpoint, tree, new = await sign_checkpoint(store, signer, origin)
    if new and witness_url:
        status, answer = await submit_checkpoint(store, witness_url, checkpoint.id,
                                                 checkpoint.note, tree)
        cosignatures = signature_lines(answer) if status == 200 else ""
        checkpoint = replace(checkpoint, note=checkpoint.note + cosignatures)
    export_rows = await store.snapshot(lambda tx: tx.ledger.rows(seqs=[export_seq]))
    rows = [*selection.rows, *export_rows]
    earlier = await store.snapshot(_earlier_export_checkpoints)
    meta = {
        "case": case, "origin": origin, "tree_size": str(checkpoint.tree_size),
        "root_hash": checkpoint.root.hex(), "key_id": signer.verifier.key_id.hex(),
        "exported_by": actor, "exported_at": canonical.format_time(datetime.now(UTC)),
        "export_seq": str(export_seq), "from": t_from or "", "to": t_to or "",
    }
    digest = await asyncio.to_thread(
        write_bundle, out, selection, rows, tree, checkpoint, signer.vkey(), earlier, meta
    )
    log.info("ledger.exported", case=case, records=len(rows), path=str(out), sha256=digest,
             tree_size=checkpoint.tree_size)
    return ExportResult(out, case, len(rows), export_seq, checkpoint.tree_size, digest)
