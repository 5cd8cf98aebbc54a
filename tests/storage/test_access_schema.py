"""Migration 0003's guards: the database itself refuses self-approval, a decision
taken back, and an authorization that ends before it starts (storage.sqlite.access_repos)."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from storage.errors import StoreError
from storage.repos import Transaction
from storage.sqlite import SQLiteStore

T0 = datetime(2026, 4, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    s = SQLiteStore(tmp_path / "cw.db")
    await s.open()
    try:
        yield s
    finally:
        await s.close()


async def _case_and_request(tx: Transaction) -> int:
    case = await tx.cases.insert("K-1", "t", "ivan", "sam", at=T0, actor="ivan")
    request = await tx.requests.insert(
        case_id=case.id,
        target="@a_chan",
        channel_ref="@a_chan",
        reason="r",
        at=T0,
        actor="ivan",
    )
    return request.id


async def test_self_approval_refused_by_the_database(store: SQLiteStore) -> None:
    """Even raw SQL cannot record the requester as the decider."""
    request_id = await store.transaction(_case_and_request)

    async def self_approve(tx: Transaction) -> None:
        await tx.requests.decide(request_id, state="approved", by="ivan", at=T0, note=None)

    with pytest.raises((sqlite3.IntegrityError, StoreError)):
        await store.transaction(self_approve)


async def test_a_decision_is_final(store: SQLiteStore) -> None:
    """An approved request cannot be turned into a refused one."""
    request_id = await store.transaction(_case_and_request)

    async def approve(tx: Transaction) -> None:
        await tx.requests.decide(request_id, state="approved", by="sam", at=T0, note=None)

    async def flip(conn: Any) -> None:
        await conn.execute(
            "UPDATE watch_requests SET state = 'refused' WHERE id = ?", (request_id,)
        )

    await store.transaction(approve)
    with pytest.raises((sqlite3.IntegrityError, StoreError), match="decided once"):
        await store.write(flip)


async def test_authorization_must_end_after_it_starts(store: SQLiteStore) -> None:
    """valid_until <= valid_from is refused by a CHECK constraint."""

    async def backwards(tx: Transaction) -> None:
        case = await tx.cases.insert("K-2", "t", "ivan", "sam", at=T0, actor="ivan")
        await tx.authorizations.insert(
            case_id=case.id,
            kind="court",
            authority="AG",
            document_ref="D",
            valid_from=T0,
            valid_until=T0 - timedelta(days=1),
            scope=["@a_chan"],
            at=T0,
            actor="ivan",
        )

    with pytest.raises((sqlite3.IntegrityError, StoreError)):
        await store.transaction(backwards)


async def test_authorization_scope_and_extension_roundtrip(store: SQLiteStore) -> None:
    """Scope entries and extensions are stored and read back with the authorization."""

    async def op(tx: Transaction) -> tuple[Any, list[dict[str, Any]]]:
        case = await tx.cases.insert("K-3", "t", "ivan", "sam", at=T0, actor="ivan")
        a = await tx.authorizations.insert(
            case_id=case.id,
            kind="court",
            authority="AG",
            document_ref="D",
            valid_from=T0,
            valid_until=T0 + timedelta(days=10),
            scope=["@b_chan", "id:5"],
            at=T0,
            actor="ivan",
        )
        await tx.authorizations.add_extension(
            a.id,
            previous_until=a.valid_until,
            new_until=a.valid_until + timedelta(days=5),
            authority="AG",
            document_ref="D2",
            at=T0,
            actor="ivan",
        )
        after = await tx.authorizations.update(
            a.id, valid_until=a.valid_until + timedelta(days=5)
        )
        return after, await tx.authorizations.extensions(a.id)

    after, extensions = await store.transaction(op)
    assert after.scope == ("@b_chan", "id:5")
    assert after.valid_until - after.initial_until == timedelta(days=5)
    assert [e["document_ref"] for e in extensions] == ["D2"]


async def test_unknown_authorization_column_is_refused(store: SQLiteStore) -> None:
    """update_authorization only touches its known columns."""

    async def op(tx: Transaction) -> None:
        await tx.authorizations.update(1, kind="public")

    with pytest.raises(ValueError, match="not an updatable authorization column"):
        await store.transaction(op)


async def test_accounts_and_joins(store: SQLiteStore) -> None:
    """Accounts are unique by name; joins are counted from a time on."""

    async def op(tx: Transaction) -> list[datetime]:
        acc = await tx.accounts.insert("p1", "/s/p1.session", at=T0, actor="root")
        for minutes in (0, 10, 20):
            await tx.accounts.record_join(acc.id, None, at=T0 + timedelta(minutes=minutes))
        return await tx.accounts.joins_since(acc.id, T0 + timedelta(minutes=5))

    assert await store.transaction(op) == [T0 + timedelta(minutes=10), T0 + timedelta(minutes=20)]

    async def again(tx: Transaction) -> None:
        await tx.accounts.insert("p1", "/s/other.session", at=T0, actor="root")

    with pytest.raises((sqlite3.IntegrityError, StoreError)):
        await store.transaction(again)
