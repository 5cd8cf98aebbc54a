"""The bank import flow, once for every interface (CLI today, the console
next): create the bank if missing, refuse a threshold that differs from the
bank's, resolve withdrawals (by hash, or by source reference to the bank's
entries), and import everything in ONE transaction, so no other change can
slip between the checks and the import."""

from __future__ import annotations

from dataclasses import dataclass

from handlers.banks.model import ParseResult
from storage import bank_entries
from storage.api import Store
from storage.errors import InvalidInput
from storage.models import BankEntryIn, BankInfo
from storage.repos import Transaction


class ThresholdMismatch(InvalidInput, ValueError):
    """An import named a PDQ threshold other than the existing bank's."""


@dataclass(frozen=True, slots=True)
class ImportReport:
    bank: BankInfo  # after the import
    added: int  # entries new to the bank
    withdrawn: int  # entries the import disables as withdrawn
    created: bool  # the bank was created by this import


async def _withdrawn(tx: Transaction, bank: str, result: ParseResult) -> list[BankEntryIn]:
    """Withdrawals as entries to disable in the same import. A withdrawal names
    a hash, or (NCMEC tombstones) only a source reference: those are resolved to
    the bank's entries with that reference."""
    out: list[BankEntryIn] = []
    by_ref: set[str] = set()
    for w in result.withdrawals:
        if w.hash_type and w.hash_value:
            out.append(
                BankEntryIn(w.hash_type, w.hash_value, source_ref=w.source_ref, withdrawn=True)
            )
        elif w.source_ref:
            by_ref.add(w.source_ref)
    if by_ref:
        for entry in await tx.banks.entries_by_source_ref(bank, sorted(by_ref)):
            out.append(
                BankEntryIn(entry.hash_type, entry.hash_value, category=entry.category,
                            source_ref=entry.source_ref, withdrawn=True)
            )
    return out


async def import_parsed(
    store: Store,
    name: str,
    result: ParseResult,
    *,
    actor: str,
    source: str,
    threshold: int | None,
    default_threshold: int,
    replace: bool = False,
) -> ImportReport:
    """Import a parsed bank file into bank ``name`` (created with ``threshold``,
    or ``default_threshold`` when None). Atomic: all or nothing."""
    if threshold is not None and not 0 <= threshold <= 256:
        raise ValueError(f"a PDQ threshold is a Hamming distance 0..256, not {threshold}")

    async def run(tx: Transaction) -> ImportReport:
        info = await tx.banks.get(name)
        created = info is None
        if info is None:
            wanted = threshold if threshold is not None else default_threshold
            await bank_entries.create_bank(tx, name, wanted, actor)
        elif threshold is not None and threshold != info.threshold:
            raise ThresholdMismatch(
                f"bank {name} exists with threshold {info.threshold}; an import does not change it"
            )
        withdrawn = await _withdrawn(tx, name, result)
        added = await bank_entries.import_entries(
            tx, name, [*result.entries, *withdrawn], actor, source, replace=replace
        )
        after = await tx.banks.get(name)
        assert after is not None
        return ImportReport(bank=after, added=added, withdrawn=len(withdrawn), created=created)

    return await store.transaction(run)
