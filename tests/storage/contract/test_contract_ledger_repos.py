"""The ledger's repositories of the store contract (``tx.ledger``,
``tx.checkpoints``, ``tx.witness_acks``): what every backend must return, here
on the SQLite store. Written against the contract only, ready to run on
another backend's ``store``."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from storage.api import Store
from storage.ledger.checkpoint import sign_checkpoint
from storage.ledger.ledger import append_records
from storage.ledger.note import Signer
from storage.repos import Transaction
from storage.repos.records import StoredCheckpoint, WitnessAck

AT = datetime(2026, 5, 1, tzinfo=UTC)
ORIGIN = "chanwatch.test/ledger"


async def _append(store: Store, *items: tuple[str, dict[str, Any]]) -> list[int]:
    return await store.transaction(
        lambda tx: append_records(tx, [(t, "x", f) for t, f in items], at=AT)
    )


async def test_rows_by_case_and_exact_type_prefix(store: Store) -> None:
    """type_prefix is an exact prefix (``_`` is no wildcard) and combines with case_ref."""
    await _append(
        store,
        ("authorization.granted", {"case": "K-1", "authorization": "A-1"}),
        ("bank.entry_disable", {"case": "K-1"}),
        ("bank.entryxdisable", {"case": "K-1"}),
        ("authorization.granted", {"case": "K-2", "authorization": "B-1"}),
        ("auth.login", {"case": "K-1"}),
    )

    async def q(tx: Transaction) -> tuple[list[int], list[int], list[int]]:
        auth = await tx.ledger.rows(case_ref="K-1", type_prefix="authorization.")
        entry = await tx.ledger.rows(type_prefix="bank.entry_")
        case = await tx.ledger.rows(case_ref="K-1", newest_first=True, limit=2)
        return [r.seq for r in auth], [r.seq for r in entry], [r.seq for r in case]

    assert await store.snapshot(q) == ([0], [1], [4, 2])


async def test_for_case_candidates_and_their_channel(store: Store) -> None:
    """for_case: rows naming the case, one of the authorizations, or nothing but a
    listed channel; only the last kind come with their channel."""
    await _append(
        store,
        ("watch.approved", {"case": "K-1", "channel": 7}),              # 0: the case
        ("post.captured", {"channel": 7, "message": 1, "authorization": "A-1",
                           "text_sha256": None}),                       # 1: its authorization
        ("media.hashed", {"channel": 7, "sha256": None}),               # 2: channel only
        ("media.hashed", {"channel": 9, "sha256": None}),               # 3: unlisted channel
        ("post.captured", {"channel": 7, "message": 2, "authorization": "B-1",
                           "text_sha256": None}),                       # 4: another authz
        ("watch.left", {"case": "K-2", "channel": 7}),                  # 5: another case
        ("login", {}),                                                  # 6: nothing
    )
    got = await store.snapshot(
        lambda tx: tx.ledger.for_case("K-1", authorizations=["A-1"], channels=["7", "8"])
    )
    assert [(row.seq, channel) for row, channel in got] == [(0, None), (1, None), (2, "7")]
    only_case = await store.snapshot(lambda tx: tx.ledger.for_case("K-1"))
    assert [row.seq for row, _ in only_case] == [0]


async def test_checkpoint_insert_only_after_the_expected_one(store: Store) -> None:
    """insert(after=) appends only when the newest checkpoint is the one expected."""
    cp = StoredCheckpoint(0, 1, b"\x01" * 32, ORIGIN, "0a0b0c0d", "note\n", "2026-05-01")

    first = await store.transaction(lambda tx: tx.checkpoints.insert(cp, after=None))
    assert first is not None and first.id > 0
    stale = await store.transaction(lambda tx: tx.checkpoints.insert(cp, after=None))
    assert stale is None
    second = await store.transaction(lambda tx: tx.checkpoints.insert(cp, after=first.id))
    assert second is not None and second.id > first.id

    async def read(tx: Transaction) -> tuple[StoredCheckpoint | None, list[int]]:
        return await tx.checkpoints.latest(), [c.id for c in await tx.checkpoints.list()]

    assert await store.snapshot(read) == (second, [first.id, second.id])


async def test_concurrent_signers_store_one_checkpoint(store: Store) -> None:
    """Three signers of the same grown tree at once: one checkpoint is stored, the
    others find it and return it."""
    await _append(store, ("login", {}), ("login", {}))
    signer = Signer.generate(ORIGIN)
    results = await asyncio.gather(*(sign_checkpoint(store, signer, ORIGIN) for _ in range(3)))
    stored = await store.snapshot(lambda tx: tx.checkpoints.list())
    assert len(stored) == 1
    assert {r[0] for r in results} == {stored[0]} and sum(r[2] for r in results) == 1


async def test_witness_acks_and_last_acknowledged_size(store: Store) -> None:
    """last_acked_size: the size of the newest checkpoint a witness answered 200 for."""
    url, other = "http://w.test/add", "http://v.test/add"

    async def fill(tx: Transaction) -> None:
        ids: list[int] = []
        for size in (3, 5, 8):
            cp = StoredCheckpoint(0, size, bytes([size]) * 32, ORIGIN, "0a0b0c0d", "n\n", "t")
            stored = await tx.checkpoints.insert(cp, after=ids[-1] if ids else None)
            assert stored is not None
            ids.append(stored.id)
        await tx.witness_acks.insert(WitnessAck(ids[0], url, 200, "sig a", "t1"))
        await tx.witness_acks.insert(WitnessAck(ids[1], url, 200, "sig b", "t2"))
        await tx.witness_acks.insert(WitnessAck(ids[2], url, 409, "5\n", "t3"))
        await tx.witness_acks.insert(WitnessAck(ids[2], other, None, "unreachable", "t4"))

    await store.transaction(fill)

    async def read(tx: Transaction) -> tuple[int, int, int, list[tuple[int | None, str]]]:
        acks = await tx.witness_acks.list()
        return (await tx.witness_acks.last_acked_size(url),
                await tx.witness_acks.last_acked_size(other),
                await tx.witness_acks.last_acked_size("http://none.test/"),
                [(a.status, a.body) for a in acks])

    assert await store.snapshot(read) == (
        5, 0, 0, [(200, "sig a"), (200, "sig b"), (409, "5\n"), (None, "unreachable")])
