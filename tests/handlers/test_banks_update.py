"""plan_update: re-importing a newer file adds, disables (never deletes), re-enables."""

from __future__ import annotations

from pathlib import Path

from handlers.banks.parse import parse_bank
from handlers.banks.update import plan_update
from storage.models import BankEntry, BankEntryIn

DATA = Path(__file__).resolve().parent / "data" / "banks"


def _stored(entries: list[BankEntryIn], enabled: bool = True, start: int = 1) -> list[BankEntry]:
    """The entries as the store would hold them after an import."""
    return [
        BankEntry(start + i, "bank", e.hash_type, e.hash_value, e.category, e.source_ref, enabled)
        for i, e in enumerate(entries)
    ]


def test_csv_snapshot_update() -> None:
    """v2 of a CSV adds its new row and disables the row it dropped (as a snapshot)."""
    v1 = parse_bank((DATA / "v1.csv").read_bytes())
    v2 = parse_bank((DATA / "v2.csv").read_bytes())
    stored = _stored(v1.entries)
    plan = plan_update(stored, v2, snapshot=True)
    assert [e.hash_type for e in plan.add] == ["sha1"]
    assert plan.disable == [2]  # the md5 row is gone from v2
    assert plan.unchanged == 2 and plan.enable == []
    additive = plan_update(stored, v2, snapshot=False)
    assert additive.disable == [] and len(additive.add) == 1


def test_ncmec_tombstone_update() -> None:
    """A tombstone disables every entry of that NCMEC id; new records are added."""
    stored = _stored(parse_bank((DATA / "ncmec-v1.jsonl").read_bytes()).entries)
    plan = plan_update(stored, parse_bank((DATA / "ncmec-v2.jsonl").read_bytes()))
    assert plan.disable == [1, 2, 3]  # MD5, SHA1 and PDQ of N-1
    assert [(e.source_ref, e.hash_type) for e in plan.add] == [("N-3", "pdq")]
    assert plan.unchanged == 1


def test_withdrawn_by_hash_and_reenabled() -> None:
    """StopNCII withdrawals disable by hash; a disabled entry present again is re-enabled."""
    parsed = parse_bank((DATA / "stopncii.json").read_bytes())
    stored = [
        BankEntry(1, "ncii", "pdq", parsed.entries[0].hash_value, "ncii", "s-1", False),
        BankEntry(2, "ncii", "md5", parsed.withdrawals[0].hash_value or "", "ncii", "s-2", True),
        BankEntry(3, "ncii", "pdq", parsed.withdrawals[1].hash_value or "", "ncii", None, False),
    ]
    plan = plan_update(stored, parsed)
    assert plan.enable == [1]
    assert plan.disable == [2]  # entry 3 is already disabled
    assert plan.add == []
