"""Hash banks: atomic imports, provenance, re-imports that disable, never forget."""

from __future__ import annotations

import json

import pytest
from backends import DatabaseRefused, RawDB

from storage.api import Store
from storage.errors import InvalidBankEntry, NotFound, StoreError
from storage.models import BankEntry, BankEntryIn


def _pdq(n: int) -> str:
    return f"{n:064x}"


def _entries(count: int, start: int = 0, **kw: object) -> list[BankEntryIn]:
    return [BankEntryIn("pdq", _pdq(i), **kw) for i in range(start, start + count)]  # type: ignore[arg-type]


async def _all_entries(store: Store, enabled_only: bool = False) -> list[BankEntry]:
    return [e async for e in store.iter_bank_entries(enabled_only=enabled_only)]


def _row(raw: RawDB, value: str) -> tuple[object, ...]:
    rows = raw.query(
        "SELECT enabled, disabled_via, disabled_reason, category, imported_by "
        "FROM bank_entries WHERE hash_value = ?",
        (value,),
    )
    assert len(rows) == 1
    return rows[0]


async def test_create_and_list_banks(store: Store) -> None:
    """A bank is created once (audited), listed with its entry counts."""
    info = await store.create_bank("demo", 31, actor="admin")
    assert (info.name, info.threshold, info.entries, info.enabled_entries) == ("demo", 31, 0, 0)
    with pytest.raises(StoreError, match="already exists"):
        await store.create_bank("demo", 20, actor="admin")
    await store.create_bank("other", 10, actor="admin")
    assert [b.name for b in await store.list_banks()] == ["demo", "other"]
    assert await store.get_bank("missing") is None
    assert [r.action for r in await store.list_audit(subject="bank:demo")] == ["bank.create"]


@pytest.mark.parametrize(("name", "threshold"), [("", 31), (" x", 31), ("x", 257), ("x", -1)])
async def test_bad_bank_parameters(store: Store, name: str, threshold: int) -> None:
    """Empty or padded names and thresholds outside 0..256 are refused."""
    with pytest.raises(ValueError):
        await store.create_bank(name, threshold, actor="admin")


async def test_import_keeps_provenance(store: Store, raw: RawDB) -> None:
    """Entries carry category, source ref, note, who imported them and when;
    upper-case hex is normalised."""
    await store.create_bank("demo", 31, actor="admin")
    added = await store.import_bank_entries(
        "demo",
        [
            BankEntryIn("sha256", "AB" * 32, category="A1", source_ref="ref-1", note="n"),
            BankEntryIn("md5", "cd" * 16),
            BankEntryIn("pdq", _pdq(1)),
        ],
        actor="admin",
        source="demo.csv",
    )
    assert added == 3
    entries = await _all_entries(store)
    assert [(e.bank, e.hash_type, e.hash_value, e.category, e.source_ref) for e in entries] == [
        ("demo", "sha256", "ab" * 32, "A1", "ref-1"),
        ("demo", "md5", "cd" * 16, None, None),
        ("demo", "pdq", _pdq(1), None, None),
    ]
    assert _row(raw, "ab" * 32) == (1, None, None, "A1", "admin")
    audit = (await store.list_audit(subject="bank:demo"))[0]
    assert audit.action == "bank.import"
    assert json.loads(audit.after_json or "")["added"] == 3


async def test_import_is_atomic(store: Store) -> None:
    """One bad entry deep in a large import rolls the whole import back and the
    error names the entry."""
    await store.create_bank("demo", 31, actor="admin")
    entries = [*_entries(2500), BankEntryIn("pdq", "xyz"), *_entries(10, start=5000)]
    with pytest.raises(InvalidBankEntry, match="entry 2501: pdq must be 64 hex digits"):
        await store.import_bank_entries("demo", entries, actor="admin", source="bad.csv")
    assert await _all_entries(store) == []
    info = await store.get_bank("demo")
    assert info is not None and info.entries == 0
    assert [r.action for r in await store.list_audit(subject="bank:demo")] == ["bank.create"]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (BankEntryIn("sha512", "ab"), "unknown hash type"),  # type: ignore[arg-type]
        (BankEntryIn("md5", "ab" * 15), "md5 must be 32 hex digits"),
        (BankEntryIn("sha1", "zz" * 20), "sha1 must be 40 hex digits"),
        (BankEntryIn("vpdq", "  "), "empty vpdq"),
    ],
)
async def test_invalid_entries_are_named(
    store: Store, entry: BankEntryIn, message: str
) -> None:
    """Each kind of malformed entry gets a message naming it; nothing is imported."""
    await store.create_bank("demo", 31, actor="admin")
    with pytest.raises(InvalidBankEntry, match=message):
        await store.import_bank_entries("demo", [entry], actor="admin", source="x")
    assert await _all_entries(store) == []


async def test_import_into_unknown_bank(store: Store) -> None:
    """Importing into a bank that does not exist is a NotFound naming the bank."""
    with pytest.raises(NotFound, match="no hash bank named 'nope'"):
        await store.import_bank_entries("nope", _entries(1), actor="admin", source="x")


async def test_reimport_updates_and_counts_only_new(store: Store) -> None:
    """Re-importing known entries updates their metadata and adds only the new ones."""
    await store.create_bank("demo", 31, actor="admin")
    assert await store.import_bank_entries("demo", _entries(3), actor="a", source="v1") == 3
    newer = _entries(4, category="B2")
    assert await store.import_bank_entries("demo", newer, actor="a", source="v2") == 1
    entries = await _all_entries(store)
    assert len(entries) == 4 and {e.category for e in entries} == {"B2"}


async def test_withdrawn_entries_are_disabled_not_forgotten(
    store: Store, raw: RawDB
) -> None:
    """A tombstone disables the entry with a reason; matching no longer sees it,
    the row stays; a later import that lists it again re-enables it."""
    await store.create_bank("demo", 31, actor="admin")
    await store.import_bank_entries("demo", _entries(2), actor="a", source="v1")
    gone = BankEntryIn("pdq", _pdq(1), withdrawn=True)
    await store.import_bank_entries("demo", [gone], actor="a", source="v2")
    assert [e.hash_value for e in await _all_entries(store, enabled_only=True)] == [_pdq(0)]
    enabled, via, reason, _, _ = _row(raw, _pdq(1))
    assert (enabled, via) == (0, "import") and "withdrawn" in str(reason) and "v2" in str(reason)
    info = await store.get_bank("demo")
    assert info is not None and (info.entries, info.enabled_entries) == (2, 1)
    await store.import_bank_entries("demo", _entries(2), actor="a", source="v3")
    assert len(await _all_entries(store, enabled_only=True)) == 2


async def test_full_reimport_disables_absent_entries(store: Store, raw: RawDB) -> None:
    """With replace=True, entries missing from the new full list are disabled, kept."""
    await store.create_bank("demo", 31, actor="admin")
    await store.import_bank_entries("demo", _entries(3), actor="a", source="v1")
    await store.import_bank_entries(
        "demo", _entries(2, start=1), actor="a", source="v2", replace=True
    )
    assert [e.hash_value for e in await _all_entries(store, enabled_only=True)] == [
        _pdq(1),
        _pdq(2),
    ]
    enabled, via, reason, _, _ = _row(raw, _pdq(0))
    assert (enabled, via) == (0, "import") and "absent" in str(reason)
    assert len(await _all_entries(store)) == 3


async def test_manual_disable_survives_reimport(store: Store, raw: RawDB) -> None:
    """An entry a person disabled (audited) stays disabled when a feed re-lists it."""
    await store.create_bank("demo", 31, actor="admin")
    await store.import_bank_entries("demo", _entries(1), actor="a", source="v1")
    entry = (await _all_entries(store))[0]
    await store.disable_bank_entry(entry.id, actor="op", reason="false positive")
    await store.import_bank_entries("demo", _entries(1), actor="a", source="v2")
    assert _row(raw, _pdq(0))[:3] == (0, "manual", "false positive")
    assert (await store.list_audit(subject=f"bank_entry:{entry.id}"))[0].why == "false positive"
    with pytest.raises(NotFound):
        await store.disable_bank_entry(999, actor="op", reason="x")


async def test_database_refuses_duplicate_entries(store: Store, raw: RawDB) -> None:
    """(bank, hash_type, hash_value) is UNIQUE in the schema itself."""
    await store.create_bank("demo", 31, actor="admin")
    await store.import_bank_entries("demo", _entries(1), actor="a", source="v1")
    with pytest.raises(DatabaseRefused, match="UNIQUE"):
        raw.execute(
            "INSERT INTO bank_entries (bank_id, hash_type, hash_value, added_at, imported_by) "
            "VALUES (1, 'pdq', ?, 'x', 'x')",
            (_pdq(0),),
        )


async def test_iterating_a_large_bank_streams_every_entry(store: Store) -> None:
    """iter_bank_entries yields every entry of a bank larger than one fetch chunk,
    in id order, across banks."""
    await store.create_bank("big", 31, actor="admin")
    await store.create_bank("small", 31, actor="admin")
    await store.import_bank_entries("big", _entries(12000), actor="a", source="big")
    await store.import_bank_entries("small", _entries(3, start=20000), actor="a", source="s")
    entries = await _all_entries(store, enabled_only=True)
    assert len(entries) == 12003
    assert [e.id for e in entries] == sorted(e.id for e in entries)
    assert {e.bank for e in entries[-3:]} == {"small"}
