"""Tests for storage.ledger.selection: which records belong to a case."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from storage.ledger import canonical
from storage.ledger.ledger import append_record
from storage.ledger.selection import select_case
from storage.repos import Transaction
from storage.sqlite import SQLiteStore

D = [datetime(2026, 3, d, tzinfo=UTC) for d in range(1, 31)]


async def fill(tx: Transaction) -> None:
    async def add(rtype: str, at: datetime, **fields: object) -> None:
        await append_record(tx, rtype, "x", fields, at=at)

    await add("authorization.granted", D[1], case="K-1", authorization="A-1", channels=[7],
              valid_from=D[2], valid_until=D[20])
    await add("authorization.revoked", D[10], case="K-1", authorization="A-1")
    await add("authorization.granted", D[1], case="K-2", authorization="B-1", channels=[7])
    await add("media.hashed", D[1], channel=7, sha256=None)   # before the window
    await add("media.hashed", D[5], channel=7, sha256=None)   # inside
    await add("media.hashed", D[15], channel=7, sha256=None)  # after the revocation
    await add("match", D[5], channel=8, message=1)           # another channel
    await add("post.captured", D[5], channel=7, message=2, authorization="B-1",
              text_sha256=None)                               # the other case's capture
    await add("watch.left", D[6], case="K-1", channel=7)
    await add("login", D[5])


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    async with SQLiteStore(tmp_path / "ledger.db") as s:
        await s.transaction(fill)
        yield s


async def _selected(store: SQLiteStore, case: str, **kw: str) -> list[tuple[str, str]]:
    sel = await store.snapshot(lambda tx: select_case(tx, case, **kw))
    out = []
    for row in sel.rows:
        rec = canonical.loads(row.record)
        out.append((row.type, str(rec["at"])[:10]))
    return out


async def test_window_and_revocation(store: SQLiteStore) -> None:
    """Channel records count only inside the authorization's window, cut by its revocation;
    records naming another case, another channel, or none are left out."""
    assert await _selected(store, "K-1") == [
        ("authorization.granted", "2026-03-02"), ("authorization.revoked", "2026-03-11"),
        ("media.hashed", "2026-03-06"), ("watch.left", "2026-03-07"),
    ]


async def test_shared_channel_other_case(store: SQLiteStore) -> None:
    """K-2 (no window) gets every record of channel 7 naming no case, its own capture,
    never K-1's records."""
    types = [t for t, _ in await _selected(store, "K-2")]
    assert types == ["authorization.granted", "media.hashed", "media.hashed", "media.hashed",
                     "post.captured"]


async def test_period_keeps_authorizations(store: SQLiteStore) -> None:
    """--from/--to cut other records by time but never the case's authorization records."""
    got = await _selected(store, "K-1", date_from=canonical.format_time(D[6]),
                          date_to=canonical.format_time(D[29]))
    assert got == [("authorization.granted", "2026-03-02"),
                   ("authorization.revoked", "2026-03-11"), ("watch.left", "2026-03-07")]


async def test_unknown_case_is_empty(store: SQLiteStore) -> None:
    """A case with no records selects nothing."""
    assert await _selected(store, "nope") == []



async def legal_basis(tx: Transaction) -> None:
    """Watch 5 started by K-1's request, later reused by K-2's; watch 6 is K-2's alone."""
    async def add(rtype: str, day: int, **fields: object) -> None:
        await append_record(tx, rtype, "x", fields, at=D[day])

    await add("authorization.create", 1, case="K-1", authorization="1", channels=["@a"])
    await add("authorization.create", 1, case="K-2", authorization="2", channels=["@b"])
    await add("watch.create", 2, case="K-1", watch="5", subject="watch:5")
    await add("request.activate", 2, case="K-1", request="3", watch="5")
    await add("watch.update", 3, watch="5", subject="watch:5", channel=900)   # join
    await add("watch.create", 4, case="K-2", watch="6", subject="watch:6")
    await add("watch.update", 5, watch="6", subject="watch:6", channel=901)
    await add("request.activate", 6, case="K-2", request="4", watch="5")      # reuse
    await add("watch.assign", 7, watch="5", subject="watch:5")
    await add("watch.expired", 20, subject="watch:5")                         # old form
    await add("post.captured", 8, channel=900, message=1, authorization="1", text_sha256=None)


async def test_the_legal_basis_travels_with_the_case(tmp_path: Path) -> None:
    """Rule 4: a watch's own records (naming no case) follow the case whose request or
    watch.create linked it, from that link on; even outside --from/--to; never another
    case's watch.create."""
    r = SQLiteStore(tmp_path / "basis.db")
    await r.open()
    await r.transaction(legal_basis)
    try:
        one = await _selected(r, "K-1")
        assert [t for t, _ in one] == [
            "authorization.create", "watch.create", "request.activate", "watch.update",
            "watch.assign", "watch.expired", "post.captured"]
        two = await _selected(r, "K-2")
        assert [t for t, _ in two] == [
            "authorization.create", "watch.create", "watch.update", "request.activate",
            "watch.assign", "watch.expired"]  # watch 5 from K-2's link (day 6) on only
        late = await _selected(r, "K-1", date_from=canonical.format_time(D[8]),
                               date_to=canonical.format_time(D[8]))
        assert [t for t, _ in late] == [t for t, _ in one]  # the legal basis is kept
    finally:
        await r.close()
