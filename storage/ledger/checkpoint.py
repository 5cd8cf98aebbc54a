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
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import aiosqlite
import structlog

from storage.errors import ChanwatchError
from storage.ledger.canonical import format_time
from storage.ledger.db import TxRunner
from storage.ledger.ledger import read_leaf_hashes
from storage.ledger.merkle import MerkleTree, ProofError, verify_consistency
from storage.ledger.note import Checkpoint, Signer
from storage.ledger.witness import submit_checkpoint

log = structlog.get_logger(__name__)


class InconsistentLedger(ChanwatchError, RuntimeError):
    """The stored ledger no longer extends the last signed checkpoint."""


@dataclass(frozen=True, slots=True)
class StoredCheckpoint:
    id: int
    tree_size: int
    root: bytes
    origin: str
    key_id: str
    note: str
    signed_at: str


_COLUMNS = "id, tree_size, root_hash, origin, key_id, note, signed_at"


def _stored(r: Any) -> StoredCheckpoint:
    return StoredCheckpoint(int(r[0]), int(r[1]), bytes(r[2]), str(r[3]), str(r[4]),
                            str(r[5]), str(r[6]))


async def latest_checkpoint(conn: aiosqlite.Connection) -> StoredCheckpoint | None:
    sql = f"SELECT {_COLUMNS} FROM ledger_checkpoints ORDER BY id DESC LIMIT 1"  # noqa: S608
    async with conn.execute(sql) as cur:
        row = await cur.fetchone()
    return None if row is None else _stored(row)


async def list_checkpoints(conn: aiosqlite.Connection) -> list[StoredCheckpoint]:
    async with conn.execute(f"SELECT {_COLUMNS} FROM ledger_checkpoints ORDER BY id") as cur:  # noqa: S608
        rows = await cur.fetchall()
    return [_stored(r) for r in rows]


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


async def _snapshot(conn: aiosqlite.Connection) -> tuple[StoredCheckpoint | None, list[bytes]]:
    return await latest_checkpoint(conn), await read_leaf_hashes(conn)


async def _insert_if_latest(
    conn: aiosqlite.Connection, expected_last: int | None, new: StoredCheckpoint
) -> StoredCheckpoint | None:
    current = await latest_checkpoint(conn)
    if (None if current is None else current.id) != expected_last:
        return None  # someone signed meanwhile: start again from a fresh snapshot
    cur = await conn.execute(
        "INSERT INTO ledger_checkpoints (tree_size, root_hash, origin, key_id, note, signed_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (new.tree_size, new.root, new.origin, new.key_id, new.note, new.signed_at),
    )
    assert cur.lastrowid is not None
    return replace(new, id=cur.lastrowid)


async def sign_checkpoint(
    runner: TxRunner, signer: Signer, origin: str
) -> tuple[StoredCheckpoint, MerkleTree, bool]:
    """Sign the current tree if it grew since the last checkpoint.

    Returns the newest checkpoint, the tree it covers, and whether it is new.
    """
    for _attempt in range(5):
        last, leaves = await runner.read(_snapshot)
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
        insert = partial(_insert_if_latest, expected_last=last_id, new=candidate)
        stored = await runner.write(insert)
        if stored is not None:
            log.info("ledger.checkpoint_signed", id=stored.id, size=tree.size, root=root.hex())
            return stored, tree, True
    raise RuntimeError("could not sign a checkpoint: other checkpoints kept being signed")


async def checkpoint_job(
    runner: TxRunner, signer: Signer, origin: str, witness_url: str | None = None
) -> StoredCheckpoint:
    """The scheduled job: sign when the tree grew, then send a new checkpoint to
    the witness (if one is configured) and record its answer."""
    try:
        stored, tree, new = await sign_checkpoint(runner, signer, origin)
    except InconsistentLedger as exc:
        log.error("ledger.inconsistent_refused_to_sign", error=str(exc))
        raise
    if new and witness_url:
        await submit_checkpoint(runner, witness_url, stored.id, stored.note, tree)
    return stored


def add_checkpoint_job(
    scheduler: Any,
    runner: TxRunner,
    signer: Signer,
    origin: str,
    every: timedelta,
    witness_url: str | None = None,
) -> None:
    """Schedule :func:`checkpoint_job` on an APScheduler 3 ``AsyncIOScheduler``:
    every ``every`` (setting ``ledger.checkpoint_interval``), one run at a time,
    missed runs folded into one."""
    scheduler.add_job(
        checkpoint_job, "interval", seconds=every.total_seconds(),
        kwargs={"runner": runner, "signer": signer, "origin": origin,
                "witness_url": witness_url},
        id="ledger-checkpoint", replace_existing=True, max_instances=1, coalesce=True,
    )
