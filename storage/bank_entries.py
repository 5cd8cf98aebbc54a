"""Hash banks' changes for every backend: entries checked before anything is
stored, bank creation, imports and disables, each audited."""

from __future__ import annotations

import re
from collections.abc import Sequence

from storage.changes import audited, require_actor
from storage.errors import InvalidBankEntry
from storage.models import BankEntryIn, BankInfo, HashType
from storage.repos import Transaction

#: Hex digits of each fixed-length hash type; vPDQ is a list of frames.
HEX_LENGTHS: dict[str, int] = {"sha256": 64, "sha1": 40, "md5": 32, "pdq": 64}
HASH_TYPES: tuple[HashType, ...] = ("sha256", "sha1", "md5", "pdq", "vpdq")
_HEX = re.compile(r"^[0-9a-f]+$")


def validate_entry(index: int, entry: BankEntryIn) -> tuple[str, str]:
    """(hash_type, normalized hash value), or InvalidBankEntry naming entry ``index``."""
    if entry.hash_type not in HASH_TYPES:
        raise InvalidBankEntry(
            f"entry {index}: unknown hash type {entry.hash_type!r} "
            f"(one of {', '.join(HASH_TYPES)}); nothing was imported"
        )
    value = entry.hash_value.strip().lower()
    if not value:
        raise InvalidBankEntry(
            f"entry {index}: empty {entry.hash_type} value; nothing was imported"
        )
    length = HEX_LENGTHS.get(entry.hash_type)
    if length is not None and (len(value) != length or not _HEX.match(value)):
        raise InvalidBankEntry(
            f"entry {index}: {entry.hash_type} must be {length} hex digits, got "
            f"{entry.hash_value[:80]!r}; nothing was imported"
        )
    return entry.hash_type, value




async def create_bank(tx: Transaction, name: str, threshold: int, actor: str) -> BankInfo:
    require_actor(actor)
    if not name or not name.strip() or name != name.strip():
        raise ValueError(f"a bank name must be non-empty without surrounding spaces: {name!r}")
    if not 0 <= threshold <= 256:
        raise ValueError(f"a PDQ threshold is a Hamming distance 0..256, not {threshold}")
    info = await tx.banks.create(name, threshold, actor, tx.now)
    await audited(tx, actor=actor, action="bank.create", subject=f"bank:{name}", after=info)
    return info


async def import_entries(
    tx: Transaction,
    bank: str,
    entries: Sequence[BankEntryIn],
    actor: str,
    source: str,
    *,
    replace: bool = False,
) -> int:
    """Import atomically (every entry checked first: one bad entry and nothing is
    imported); the number of entries new to the bank. Entries already in it are
    updated (and re-enabled unless a person disabled them); ``withdrawn`` ones
    are disabled, never deleted; with ``replace`` the entries absent from this
    import are disabled too. Audited as ``bank.import``."""
    require_actor(actor)
    rows = [(*validate_entry(i + 1, e), e) for i, e in enumerate(entries)]
    counts = await tx.banks.import_entries(bank, rows, actor, source, replace, tx.now)
    await audited(
        tx, actor=actor, action="bank.import", subject=f"bank:{bank}",
        after={"import_id": counts.import_id, "source": source, "replace": replace,
               "entries_in_file": len(entries), "added": counts.added,
               "withdrawn": counts.withdrawn, "absent": counts.absent},
    )
    return counts.added


async def disable_entry(tx: Transaction, entry_id: int, actor: str, reason: str) -> None:
    """Disable one entry by hand (audited); a re-import does not re-enable it."""
    require_actor(actor)
    if not reason.strip():
        raise ValueError("disabling a bank entry needs a reason")
    before = await tx.banks.disable_entry(entry_id, reason, tx.now)
    await audited(
        tx, actor=actor, action="bank_entry.disable", subject=f"bank_entry:{entry_id}",
        before={"enabled": before.enabled, "disabled_reason": before.disabled_reason},
        after={"enabled": False, "disabled_reason": reason}, why=reason,
    )
