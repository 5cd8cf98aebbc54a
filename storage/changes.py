"""An audited change: its audit row and its ledger record, in the change's own
transaction. Every backend and every rule that changes something calls
:func:`audited`; there is no other way to write an audit row."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from storage.codec import opt_dumps, to_db
from storage.ledger.records import mirror_audit
from storage.repos import Transaction
from storage.repos.records import AuditRow


def require_actor(actor: str) -> str:
    if not actor or not actor.strip():
        raise ValueError(
            "every change needs an actor (user or service name); got an empty one"
        )
    return actor


async def audited(
    tx: Transaction,
    *,
    actor: str,
    action: str,
    subject: str,
    before: Any = None,
    after: Any = None,
    why: str | None = None,
    ledger: Mapping[str, Any] | None = None,
    at: datetime | None = None,
) -> int:
    """Insert one audit row and its ledger record; ``ledger``: extra record fields.
    ``at`` defaults to the transaction's time. Returns the audit row's id."""
    require_actor(actor)
    if not action or not subject:
        raise ValueError("an audit row needs an action and a subject")
    when = at or tx.now
    row_id = await tx.audit.insert(
        AuditRow(
            at=to_db(when), actor=actor, action=action, subject=subject,
            before_json=opt_dumps(before), after_json=opt_dumps(after), why=why,
        )
    )
    await mirror_audit(
        tx, at=when, actor=actor, action=action, subject=subject,
        before=before, after=after, why=why, extra=ledger,
    )
    return row_id
