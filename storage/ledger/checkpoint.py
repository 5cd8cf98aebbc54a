"""Signing checkpoints of the ledger tree, never two inconsistent ones.

:func:`sign_checkpoint` reads the leaf hashes in one read transaction, builds
the tree in a worker thread, checks that the last signed checkpoint is a prefix
of this tree (its root recomputed from the stored leaves, and an RFC 9162
consistency proof between the two verified), signs, and stores the note. If the
check fails the ledger was changed behind the service's back: it refuses to sign
and raises :class:`InconsistentLedger`, so no signature ever vouches for a
rewritten history.

:func:`checkpoint_job` is the APScheduler job (every few minutes; it signs only
when the tree grew) and also what ``chanwatch evidence checkpoint`` runs.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import structlog

from storage.errors import ChanwatchError
from storage.ledger.canonical import format_time
from storage.ledger.merkle import MerkleTree, ProofError, verify_consistency
from storage.ledger.note import Checkpoint, Signer
from storage.ledger.timestamp import Tsa
from storage.ledger.timestamping import stamp_pending
from storage.ledger.witness import submit_checkpoint
from storage.repos import Transaction
from storage.repos.records import StoredCheckpoint
from storage.repos.transactional import Transactional

__all__ = [
    "InconsistentLedger", "StoredCheckpoint", "add_checkpoint_job", "check_extends",
    "checkpoint_job", "latest_checkpoint", "list_checkpoints", "sign_checkpoint",
]

log = structlog.get_logger(__name__)


class InconsistentLedger(ChanwatchError, RuntimeError):
    """The stored ledger no longer extends the last signed checkpoint."""


async def latest_checkpoint(tx: Transaction) -> StoredCheckpoint | None:
    return await tx.checkpoints.latest()


async def list_checkpoints(tx: Transaction) -> list[StoredCheckpoint]:
    return await tx.checkpoints.list()


def check_extends(tree: MerkleTree, last: StoredCheckpoint, origin: str) -> None:
    """Raise :class:`InconsistentLedger` unless ``tree`` extends ``last``."""
    if last.origin != origin:
        raise InconsistentLedger(
            f"last checkpoint has origin {last.origin!r}, not {origin!r}: "
            "the origin of a ledger never changes"
        )
    if tree.size < last.tree_size:
        raise InconsistentLedger(
            f"ledger has {tree.size} records but checkpoint {last.id} already "
            f"covers {last.tree_size}: records were removed"
        )
    recomputed = tree.root(last.tree_size)
    if recomputed != last.root:
        raise InconsistentLedger(
            f"the first {last.tree_size} records no longer hash to the root signed in "
            f"checkpoint {last.id} ({last.root.hex()} != {recomputed.hex()}): "
            "records were changed or reordered"
        )
    try:
        verify_consistency(last.tree_size, tree.size, last.root, tree.root(),
                           tree.consistency_proof(last.tree_size))
    except ProofError as exc:  # cannot happen when the roots agree; checked anyway
        raise InconsistentLedger(f"consistency with checkpoint {last.id} fails: {exc}") from exc


async def _snapshot(tx: Transaction) -> tuple[StoredCheckpoint | None, list[bytes]]:
    return await tx.checkpoints.latest(), await tx.ledger.leaf_hashes()


async def _insert(
    tx: Transaction, checkpoint: StoredCheckpoint, after: int | None
) -> StoredCheckpoint | None:
    """Store ``checkpoint`` unless another was signed after ``after`` meanwhile
    (then None: start again from a fresh snapshot)."""
    return await tx.checkpoints.insert(checkpoint, after=after)

async def sign_checkpoint(
    store: Transactional, signer: Signer, origin: str
) -> tuple[StoredCheckpoint, MerkleTree, bool]:
    """Sign the current tree if it grew since the last checkpoint.

    Returns the newest checkpoint, the tree it covers, and whether it is new.
    """
    for _attempt in range(5):
        last, leaves = await store.snapshot(_snapshot)
        tree = await asyncio.to_thread(MerkleTree, leaves)
        if last is not None:
            check_extends(tree, last, origin)
            if tree.size == last.tree_size:
                return last, tree, False
        root = tree.root()
        candidate = StoredCheckpoint(
            0, tree.size, root, origin, signer.verifier.key_id.hex(),
            signer.sign(Checkpoint(origin, tree.size, root).body()),
            format_time(datetime.now(UTC)),
        )
        last_id = None if last is None else last.id
        stored = await store.transaction(partial(_insert, checkpoint=candidate, after=last_id))
        if stored is not None:
            log.info("ledger.checkpoint_signed", id=stored.id, size=tree.size, root=root.hex())
            return stored, tree, True
    raise RuntimeError("could not sign a checkpoint: other checkpoints kept being signed")


async def checkpoint_job(
    store: Transactional, signer: Signer, origin: str, witness_url: str | None = None,
    tsa: Tsa | None = None,
) -> StoredCheckpoint:
    """The scheduled job: sign when the tree grew, then send a new checkpoint to
    the witness (if one is configured) and record its answer; with a TSA, get the
    newest checkpoint its RFC 3161 timestamp and retry the earlier ones that
    have none yet (:mod:`storage.ledger.timestamping`)."""
    try:
        stored, tree, new = await sign_checkpoint(store, signer, origin)
    except InconsistentLedger as exc:
        log.error("ledger.inconsistent_refused_to_sign", error=str(exc))
        raise
    if new and witness_url:
        await submit_checkpoint(store, witness_url, stored.id, stored.note, tree)
    if tsa is not None:
        await stamp_pending(store, tsa, stored.id, stored.note)
    return stored


def add_checkpoint_job(
    scheduler: Any,
    store: Transactional,
    signer: Signer,
    origin: str,
    every: timedelta,
    witness_url: str | None = None,
    tsa: Tsa | None = None,
) -> None:
    """Schedule :func:`checkpoint_job` on an APScheduler 3 ``AsyncIOScheduler``:
    every ``every`` (setting ``ledger.checkpoint_interval``), one run at a time,
    missed runs folded into one."""
    scheduler.add_job(
        checkpoint_job, "interval", seconds=every.total_seconds(),
        kwargs={"store": store, "signer": signer, "origin": origin,
                "witness_url": witness_url, "tsa": tsa},
        id="ledger-checkpoint", replace_existing=True, max_instances=1, coalesce=True,
    )
