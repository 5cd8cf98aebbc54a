"""``verify-db``: check the whole ledger in place.

Every row: its bytes are canonical JSON, its ``seq`` field and columns agree
with the record, its stored leaf hash is SHA-256(0x00 || record), the sequence
has no gap. Then the tree is rebuilt from the recomputed leaves and every
stored checkpoint is checked: signature (when a verifier key is known), its
tree size and root against the rebuilt tree. Records after the latest
checkpoint are reported as not yet signed (not an error).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from storage.ledger import canonical
from storage.ledger.findings import Findings
from storage.ledger.merkle import MerkleTree, leaf_hash
from storage.ledger.note import NoteError, Verifier, open_checkpoint
from storage.repos import Transaction
from storage.repos.records import LedgerRow, StoredCheckpoint
from storage.repos.transactional import Transactional


@dataclass
class DbReport(Findings):
    records: int = 0
    checkpoints: int = 0
    signed_size: int = 0


def check_rows(rows: list[LedgerRow], report: DbReport) -> list[bytes]:
    """Recompute every leaf; return the recomputed leaf hashes in order."""
    leaves: list[bytes] = []
    for expected, row in enumerate(rows):
        if row.seq != expected:
            report.fail(f"ledger seq {expected} is missing (next row is seq {row.seq})")
        try:
            rec = canonical.loads(row.record)
        except canonical.CanonicalError as exc:
            report.fail(f"ledger seq {row.seq}: record is not canonical JSON: {exc}")
            rec = {}
        if rec and (rec.get("seq"), rec.get("type"), rec.get("actor"), rec.get("at")) != (
            str(row.seq), row.type, row.actor, row.at
        ):
            report.fail(f"ledger seq {row.seq}: the columns seq/type/actor/at disagree with "
                        "the record")
        computed = leaf_hash(row.record)
        if computed != row.leaf_hash:
            report.fail(f"ledger seq {row.seq}: stored leaf hash {row.leaf_hash.hex()} is not "
                        f"the record's hash {computed.hex()}: the record was changed")
        leaves.append(computed)
    return leaves


def check_checkpoints(
    tree: MerkleTree, checkpoints: list[StoredCheckpoint], verifier: Verifier | None,
    report: DbReport,
) -> None:
    for cp in checkpoints:
        name = f"checkpoint {cp.id} (size {cp.tree_size})"
        if verifier is not None:
            try:
                signed = open_checkpoint(cp.note, verifier)
            except NoteError as exc:
                report.fail(f"{name}: {exc}")
                continue
            if (signed.size, signed.root) != (cp.tree_size, cp.root):
                report.fail(f"{name}: the signed note does not match the stored size and root")
        if cp.tree_size > tree.size:
            report.fail(f"{name}: covers {cp.tree_size} records but the ledger has only "
                        f"{tree.size}: records were removed")
            continue
        root = tree.root(cp.tree_size)
        if root != cp.root:
            report.fail(f"{name}: the first {cp.tree_size} records hash to {root.hex()}, not "
                        f"the signed root {cp.root.hex()}: records were changed or reordered")
        report.signed_size = max(report.signed_size, cp.tree_size)


def _check_all(
    rows: list[LedgerRow], checkpoints: list[StoredCheckpoint], verifier: Verifier | None
) -> DbReport:
    report = DbReport(records=len(rows), checkpoints=len(checkpoints))
    tree = MerkleTree(check_rows(rows, report))
    check_checkpoints(tree, checkpoints, verifier, report)
    if verifier is None:
        report.notes.append("no verifier key: checkpoint signatures were not checked")
    if not checkpoints:
        report.notes.append("no checkpoint has been signed yet")
    elif tree.size > report.signed_size:
        report.notes.append(f"{tree.size - report.signed_size} records after the latest "
                            "checkpoint are not signed yet (run `chanwatch evidence checkpoint`)")
    return report


async def verify_db(store: Transactional, verifier: Verifier | None) -> DbReport:
    async def load(tx: Transaction) -> tuple[list[LedgerRow], list[StoredCheckpoint]]:
        return await tx.ledger.rows(), await tx.checkpoints.list()

    rows, checkpoints = await store.snapshot(load)
    return await asyncio.to_thread(_check_all, rows, checkpoints, verifier)
