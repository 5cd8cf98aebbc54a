"""The audit trail is append-only, enforced by the database."""

from __future__ import annotations

import json

import pytest
from backends import DatabaseRefused, RawDB
from sqlite_support import T0

from storage.api import Store


async def test_audit_rows_are_written_and_listed(store: Store) -> None:
    """store.audit appends who/what/subject/before/after/why; listing is newest first."""
    await store.audit("alice", "setting.change", "setting:x", before={"v": 1}, after={"v": 2})
    await store.audit("bob", "login", "user:bob", why="morning shift")
    rows = await store.list_audit()
    assert [(r.actor, r.action) for r in rows] == [("bob", "login"), ("alice", "setting.change")]
    assert json.loads(rows[1].before_json or "") == {"v": 1}
    assert rows[0].why == "morning shift" and rows[0].before_json is None
    assert rows[0].at > T0 and rows[0].at.tzinfo is not None
    assert [r.action for r in await store.list_audit(subject="setting:x")] == ["setting.change"]


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit SET actor = 'mallory'", "DELETE FROM audit", "DELETE FROM audit WHERE id = 1"],
)
async def test_database_refuses_update_and_delete(
    store: Store, raw: RawDB, statement: str
) -> None:
    """Raw SQL cannot change or remove an audit row: the triggers abort it."""
    await store.audit("alice", "login", "user:alice")
    with pytest.raises(DatabaseRefused, match="append-only"):
        raw.execute(statement)
    assert raw.query("SELECT actor FROM audit") == [("alice",)]


async def test_audit_needs_an_actor(store: Store) -> None:
    """Everything is attributable: an empty actor is refused."""
    with pytest.raises(ValueError, match="actor"):
        await store.audit(" ", "login", "user:x")
    assert await store.list_audit() == []
