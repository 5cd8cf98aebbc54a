"""Re-importing a newer bank file: what to add, disable and re-enable (pure).

The store applies the plan in one transaction. Nothing is deleted: withdrawn
entries are disabled, so past matches keep their provenance.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from handlers.banks.model import ParseResult
from storage.models import BankEntry, BankEntryIn


@dataclass(slots=True)
class UpdatePlan:
    """Changes that bring a bank in line with a newer file."""

    add: list[BankEntryIn] = field(default_factory=list)
    disable: list[int] = field(default_factory=list)  # entry ids
    enable: list[int] = field(default_factory=list)  # entry ids back in the file
    unchanged: int = 0


def plan_update(
    existing: Iterable[BankEntry], parsed: ParseResult, *, snapshot: bool = False
) -> UpdatePlan:
    """Compare a bank's entries with a parsed file.

    - an entry of the file not in the bank is added; one already there is
      unchanged, or re-enabled if it was disabled;
    - a withdrawal disables the entries with its hash, or with its source
      reference when it names no hash (NCMEC tombstones);
    - with ``snapshot`` (the file is the complete list, e.g. CSV or HMA text),
      enabled entries missing from the file are disabled.
    """
    by_hash: dict[tuple[str, str], list[BankEntry]] = defaultdict(list)
    by_ref: dict[str, list[BankEntry]] = defaultdict(list)
    for e in existing:
        by_hash[(e.hash_type, e.hash_value)].append(e)
        if e.source_ref:
            by_ref[e.source_ref].append(e)
    plan = UpdatePlan()
    withdrawn: set[int] = set()
    for w in parsed.withdrawals:
        if w.hash_type and w.hash_value:
            targets = by_hash.get((w.hash_type, w.hash_value), [])
        else:
            targets = by_ref.get(w.source_ref or "", [])
        withdrawn.update(e.id for e in targets)
    in_file: set[int] = set()
    for entry in parsed.entries:
        known = by_hash.get((entry.hash_type, entry.hash_value))
        if not known:
            plan.add.append(entry)
            continue
        for e in known:
            in_file.add(e.id)
            if e.id in withdrawn:
                continue
            if e.enabled:
                plan.unchanged += 1
            else:
                plan.enable.append(e.id)
    disable = {i for i in withdrawn}
    if snapshot:
        for entries in by_hash.values():
            disable.update(e.id for e in entries if e.id not in in_file)
    enabled_ids = {e.id for entries in by_hash.values() for e in entries if e.enabled}
    plan.disable = sorted(i for i in disable if i in enabled_ids)
    return plan
