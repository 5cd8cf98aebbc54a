"""What bank-file parsers return: entries, withdrawals, and errors with line numbers."""

from __future__ import annotations

from dataclasses import dataclass, field

from handlers.hashing.vpdq import decode_frames, encode_frames
from storage.bank_entries import HASH_TYPES, HEX_LENGTHS
from storage.errors import InvalidInput, LimitExceeded
from storage.models import BankEntryIn, HashType

_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True, slots=True)
class LineError:
    """One invalid line or record. ``line`` is 1-based; ``record`` is set for JSON
    documents (1-based position in the record list) when no line is known."""

    line: int | None
    message: str
    record: int | None = None

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line is not None else f"record {self.record}"
        return f"{where}: {self.message}"


@dataclass(frozen=True, slots=True)
class Withdrawal:
    """An instruction to disable entries: by hash, by source reference, or both."""

    line: int | None
    reason: str  # "withdrawn", "deleted", "tombstone"
    hash_type: HashType | None = None
    hash_value: str | None = None
    source_ref: str | None = None


@dataclass(slots=True)
class ParseResult:
    """A parsed bank file. Entries are valid and de-duplicated; errors say where."""

    format: str
    entries: list[BankEntryIn] = field(default_factory=list)
    withdrawals: list[Withdrawal] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)
    records: int = 0  # lines or records read (comments and blanks not counted)
    duplicates: int = 0  # entries repeated in the file (kept once)
    skipped: int = 0  # fingerprints of types chanwatch does not use (e.g. PhotoDNA)
    _seen: set[tuple[str, str]] = field(default_factory=set, repr=False)

    @property
    def ok(self) -> bool:
        """True when no line was invalid."""
        return not self.errors

    def add(self, entry: BankEntryIn) -> None:
        """Keep an entry unless the same hash was already in the file."""
        key = (entry.hash_type, entry.hash_value)
        if key in self._seen:
            self.duplicates += 1
            return
        self._seen.add(key)
        self.entries.append(entry)

    def error(self, line: int | None, message: str, record: int | None = None) -> None:
        """Record an invalid line or record."""
        self.errors.append(LineError(line, message, record))

    def raise_for_errors(self, limit: int = 20) -> None:
        """Raise :class:`BankFormatError` when any line was invalid."""
        if self.errors:
            raise BankFormatError(self.errors, limit=limit)


class BankFormatError(InvalidInput, ValueError):
    """A bank file with invalid lines; the message lists them with line numbers."""

    def __init__(self, errors: list[LineError], *, limit: int = 20) -> None:
        self.errors = errors
        shown = "; ".join(str(e) for e in errors[:limit])
        more = f" (and {len(errors) - limit} more)" if len(errors) > limit else ""
        super().__init__(f"{len(errors)} invalid line(s): {shown}{more}")


def normalize_hash(hash_type: str, value: str) -> tuple[HashType, str]:
    """Validate a hash and return it canonical (lower-case hex; vPDQ re-encoded).

    Raises ValueError with a message naming what is wrong.
    """
    ht = hash_type.strip().lower()
    if ht not in HASH_TYPES:
        raise ValueError(
            f"unknown hash type {hash_type.strip()!r} (expected one of {', '.join(HASH_TYPES)})"
        )
    v = value.strip()
    if ht == "vpdq":
        try:
            frames = decode_frames(v)
        except ValueError as exc:
            raise ValueError(f"invalid vpdq value: {exc}") from None
        if not frames:
            raise ValueError("empty vpdq value")
        return "vpdq", encode_frames(frames)
    v = v.lower()
    expected = HEX_LENGTHS[ht]
    if len(v) != expected or not set(v) <= _HEX:
        raise ValueError(f"{ht} must be {expected} hex digits, got {value.strip()[:80]!r}")
    return ht, v


def check_bank_name(name: str, max_chars: int) -> None:
    """A bank's name: 1..``max_chars`` printable characters, no surrounding spaces.

    Raises :class:`~storage.errors.LimitExceeded` (too long, setting
    ``limits.name_chars``) or :class:`BankNameError`.
    """
    if len(name) > max_chars:
        raise LimitExceeded(
            "bank name",
            f"{len(name)} characters",
            f"{max_chars} characters",
            "limits.name_chars",
        )
    if not name or name != name.strip() or not name.isprintable():
        raise BankNameError(
            f"bank name {name[:40]!r}: must be printable, not empty, without "
            "surrounding spaces"
        )


class BankNameError(InvalidInput, ValueError):
    """A bank name chanwatch does not accept."""


def clean(value: object) -> str | None:
    """A text field: stripped, None when empty or missing."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None
