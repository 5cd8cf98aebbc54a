"""Appending to and reading the ledger table (migration ``0002_ledger.sql``).

:func:`append_record` is called by the store *inside* its writer's transaction,
so a record commits or rolls back together with the change it records. The
next ``seq`` is read in that same transaction; with the single SQLite writer
this is race-free (the PostgreSQL store must take an advisory lock first).

Every record is a canonical JSON object (:mod:`storage.ledger.canonical`) with
``v`` (format version), ``seq`` (its leaf index, decimal string), ``type``,
``at`` (RFC 3339 UTC, microseconds), ``actor`` (user name or ``service:NAME``)
and the caller's fields. Field names the exporter understands:

- ``case``: the case reference; ``authorization``: the authorization id. A
  record carrying either belongs to that case.
- ``channel``, ``message``: Telegram ids. Records with neither ``case`` nor
  ``authorization`` (for example ``media.hashed``) are selected for a case when
  their ``channel`` is covered by one of the case's authorizations at ``at``.
- ``authorization.*`` records carry ``case``, ``authorization`` and, to define
  the scope, ``channels`` (list of ids), ``valid_from`` and ``valid_until``.

Captures must carry ``channel``, ``message`` and ``authorization`` (null only
when no authorization applies, which the access layer should never allow) and
the text hash ``text_sha256``; ``post.deleted`` carries ``channel`` and
``message``; ``media.hashed`` carries ``sha256`` (null when not hashed);
``media.seen`` (a medium seen in a post) carries ``channel``, ``message``,
``authorization`` and ``sha256``; ``detection`` (a detector's finding on a
medium, found in a post) carries ``channel``, ``message``, ``authorization``,
``media``, ``detector``, ``model``, ``version`` and ``scores``.

Who appends what: :mod:`storage.ledger.records` (every capture,
match, alert change and audited change), :mod:`storage.ledger.export` (``export``),
:mod:`monitor.ledger` (``setting.change``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from functools import partial
from typing import Any

import structlog

from storage.errors import InvalidInput
from storage.ledger import canonical
from storage.ledger.merkle import leaf_hash
from storage.ledger.rows import blob, gc_paused
from storage.repos import Transaction
from storage.repos.records import LedgerInsert, LedgerRow

__all__ = [
    "RECORD_VERSION", "LedgerError", "LedgerRow", "append_record", "append_records", "blob",
    "build_record", "check_type", "gc_paused",
]

log = structlog.get_logger(__name__)

RECORD_VERSION = "1"
RESERVED = ("v", "seq", "type", "at", "actor")

_FIXED_TYPES = frozenset(
    {
        "post.captured",
        "post.edited",
        "post.deleted",
        "media.hashed",
        "media.seen",
        "match",
        "detection",
        "bank.import",
        "login",
        "export",
        "setting.change",
    }
)
# Administrative changes mirrored from the audit trail (storage.ledger.records).
_OPEN_TYPES = re.compile(
    r"^(alert|watch|authorization|case|request|bank|account|user|token|access|auth|record)"
    r"\.[a-z][a-z0-9_]*$"
)
_ACTOR = re.compile(r"^\S(.*\S)?$")

REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    "post.captured": ("channel", "message", "authorization", "text_sha256"),
    "post.edited": ("channel", "message", "authorization", "text_sha256"),
    "post.deleted": ("channel", "message"),
    "media.hashed": ("sha256",),
    "media.seen": ("channel", "message", "authorization", "sha256"),
    "match": ("channel", "message"),
    "detection": ("channel", "message", "authorization", "media", "detector", "model",
                  "version", "scores"),
    "export": ("case",),
}


class LedgerError(InvalidInput, ValueError):
    """A record that cannot be appended; the message says which field is wrong."""


def check_type(rtype: str) -> None:
    if rtype not in _FIXED_TYPES and not _OPEN_TYPES.match(rtype):
        raise LedgerError(
            f"unknown ledger record type {rtype!r} (known: {', '.join(sorted(_FIXED_TYPES))}, "
            "and <area>.<change> for the areas alert, watch, authorization, case, request, bank, "
            "account, user, token, access, auth, record)"
        )


def build_record(
    seq: int, rtype: str, actor: str, fields: Mapping[str, Any], at: datetime
) -> bytes:
    """The canonical bytes of record ``seq`` (no database access)."""
    check_type(rtype)
    if not isinstance(actor, str) or not _ACTOR.match(actor):
        raise LedgerError(f"actor {actor!r} must be a non-empty name without surrounding spaces")
    clash = sorted(set(fields) & set(RESERVED))
    if clash:
        raise LedgerError(f"fields {clash} are set by the ledger, not by the caller")
    missing = [k for k in REQUIRED_FIELDS.get(rtype, ()) if k not in fields]
    if missing:
        raise LedgerError(f"{rtype} record needs the fields {missing}")
    record: dict[str, Any] = dict(fields)
    record.update(v=RECORD_VERSION, seq=seq, type=rtype, at=at, actor=actor)
    try:
        return canonical.dumps(record)
    except canonical.CanonicalError as exc:
        raise LedgerError(f"{rtype} record: {exc}") from exc


def _column(fields: Mapping[str, Any], key: str) -> str | None:
    value = fields.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise LedgerError(
            f"field {key!r} must be a string or an integer, not {type(value).__name__}"
        )
    return str(value)


def _insert(
    seq: int, rtype: str, actor: str, fields: Mapping[str, Any], at: datetime
) -> LedgerInsert:
    data = build_record(seq, rtype, actor, fields, at)
    return LedgerInsert(
        seq=seq,
        type=rtype,
        at=canonical.format_time(at),
        actor=actor,
        case_ref=_column(fields, "case"),
        authz=_column(fields, "authorization"),
        channel=_column(fields, "channel"),
        record=data,
        leaf_hash=leaf_hash(data),
    )


async def append_record(
    tx: Transaction,
    rtype: str,
    actor: str,
    fields: Mapping[str, Any],
    *,
    at: datetime | None = None,
) -> int:
    """Append one record inside the caller's transaction; return its ``seq``.

    Raises :class:`LedgerError` for a bad type, actor or field (nothing is
    written). ``at`` defaults to the transaction's time.
    """
    when = at or tx.now
    build_record(0, rtype, actor, fields, when)  # refuse a bad record before taking a seq
    build = partial(_insert, rtype=rtype, actor=actor, fields=fields, at=when)
    seq = await tx.ledger.append(build)
    log.debug("ledger.append", seq=seq, type=rtype, actor=actor)
    return seq


async def append_records(
    tx: Transaction,
    items: Iterable[tuple[str, str, Mapping[str, Any]]],
    *,
    at: datetime | None = None,
) -> list[int]:
    """Append several ``(type, actor, fields)`` records in one round trip."""
    when = at or tx.now
    builds = [partial(_insert, rtype=t, actor=a, fields=f, at=when) for t, a, f in items]
    seqs = await tx.ledger.append_many(builds)
    log.debug("ledger.append_many", first=seqs[0] if seqs else None, count=len(seqs))
    return seqs
