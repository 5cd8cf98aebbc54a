"""Cases, their legal authorizations, and watch requests with their approval.

Each operation checks the actor's role and the lawful limits inside the same
write transaction that makes the change and appends its audit row.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import structlog

from access.clock import Clock, SystemClock
from access.policy import (
    Limits,
    check_confirmation,
    check_extension,
    check_new,
    parse_kind,
    status_at,
)
from access.roles import PolicyViolation
from access.scope import normalize_ref
from access.store import Store
from access.users import require
from storage.access_models import Authorization, Case
from storage.changes import audited
from storage.repos import Transaction

log = structlog.get_logger(__name__)

#: Watch states in which a watch still stands for its channel.
LIVE_STATES = ("requested", "approved", "joining", "active", "waiting")


def need_text(text: str | None, what: str) -> str:
    if text is None or not text.strip():
        raise PolicyViolation(f"{what} is required")
    return text.strip()


async def case_by_ref(tx: Transaction, reference: str) -> Case:
    case = await tx.cases.get(reference)
    if case is None:
        raise PolicyViolation(f"there is no case {reference!r}")
    return case


async def _authz(tx: Transaction, authz_id: int) -> Authorization:
    found = await tx.authorizations.get(authz_id)
    if found is None:
        raise PolicyViolation(f"there is no authorization #{authz_id}")
    return found


class Cases:
    def __init__(self, store: Store, limits: Limits, clock: Clock | None = None) -> None:
        self._store = store
        self._limits = limits
        self._clock = clock or SystemClock()

    # -- reading -------------------------------------------------------------------
    async def all(self) -> list[Case]:
        return await self._store.snapshot(lambda tx: tx.cases.list())

    async def get(self, reference: str) -> Case | None:
        return await self._store.snapshot(lambda tx: tx.cases.get(reference))

    async def authorizations(self, reference: str | None = None) -> list[Authorization]:
        async def op(tx: Transaction) -> list[Authorization]:
            case_id = None if reference is None else (await case_by_ref(tx, reference)).id
            return await tx.authorizations.list(case_id)

        return await self._store.snapshot(op)

    @property
    def limits(self) -> Limits:
        return self._limits

    def status(self, authz: Authorization) -> str:
        return status_at(authz, self._clock.now(), self._limits)

    # -- cases and authorizations --------------------------------------------------
    async def open(
        self, actor: str, reference: str, title: str, supervisor: str, why: str | None = None
    ) -> Case:
        ref, name, sup = (
            need_text(reference, "a case reference"),
            need_text(title, "a title"),
            supervisor,
        )
        now = self._clock.now()

        async def op(tx: Transaction) -> Case:
            await require(tx, actor, "investigator")
            await require(tx, sup, "supervisor")
            if sup == actor:
                raise PolicyViolation(
                    "the case's supervisor must be someone else than its investigator"
                )
            if await tx.cases.get(ref) is not None:
                raise PolicyViolation(f"case {ref!r} exists already")
            case = await tx.cases.insert(ref, name, actor, sup, at=now, actor=actor)
            await audited(
                tx,
                at=now,
                actor=actor,
                action="case.open",
                subject=f"case:{ref}",
                after=case,
                why=why,
            )
            return case

        return await self._store.transaction(op)

    async def authorize(
        self,
        actor: str,
        reference: str,
        *,
        kind: str,
        authority: str,
        document: str,
        valid_from: datetime,
        valid_until: datetime,
        scope: Sequence[str],
        why: str | None = None,
    ) -> Authorization:
        """Record a legal authorization of the case for the channels in ``scope``."""
        the_kind = parse_kind(kind)
        refs = sorted({normalize_ref(s) for s in scope})
        if not refs:
            raise PolicyViolation("an authorization needs a scope: at least one channel")
        check_new(the_kind, valid_from, valid_until, self._limits)
        auth_by, doc = (
            need_text(authority, "the approving authority"),
            need_text(document, "a document reference"),
        )
        now = self._clock.now()

        async def op(tx: Transaction) -> Authorization:
            await require(tx, actor, "investigator")
            case = await case_by_ref(tx, reference)
            authz = await tx.authorizations.insert(
                case_id=case.id,
                kind=the_kind,
                authority=auth_by,
                document_ref=doc,
                valid_from=valid_from,
                valid_until=valid_until,
                scope=refs,
                at=now,
                actor=actor,
            )
            await audited(
                tx,
                at=now,
                actor=actor,
                action="authorization.create",
                subject=f"authorization:{authz.id}",
                after=authz,
                why=why,
            )
            return authz

        return await self._store.transaction(op)

    async def extend(
        self,
        actor: str,
        authz_id: int,
        *,
        until: datetime,
        authority: str,
        document: str,
        why: str | None = None,
    ) -> Authorization:
        auth_by, doc = (
            need_text(authority, "the approving authority"),
            need_text(document, "a document reference"),
        )
        now = self._clock.now()

        async def op(tx: Transaction) -> Authorization:
            await require(tx, actor, "investigator")
            before = await _authz(tx, authz_id)
            check_extension(before, until, now, self._limits)
            await tx.authorizations.add_extension(
                authz_id,
                previous_until=before.valid_until,
                new_until=until,
                authority=auth_by,
                document_ref=doc,
                at=now,
                actor=actor,
            )
            after = await tx.authorizations.update(authz_id, valid_until=until)
            await audited(
                tx,
                at=now,
                actor=actor,
                action="authorization.extend",
                subject=f"authorization:{authz_id}",
                before=before,
                after=after,
                why=why or f"extended by {auth_by}, {doc}",
            )
            return after

        return await self._store.transaction(op)

    async def confirm(
        self, actor: str, authz_id: int, *, authority: str, document: str, why: str | None = None
    ) -> Authorization:
        """Record the court's confirmation of an emergency measure (within its window)."""
        auth_by, doc = (
            need_text(authority, "the approving authority"),
            need_text(document, "a document reference"),
        )
        now = self._clock.now()

        async def op(tx: Transaction) -> Authorization:
            await require(tx, actor, "investigator")
            before = await _authz(tx, authz_id)
            check_confirmation(before, now, self._limits)
            after = await tx.authorizations.update(
                authz_id,
                confirmed_at=now,
                confirmed_by=actor,
                confirm_authority=auth_by,
                confirm_document=doc,
            )
            await audited(
                tx,
                at=now,
                actor=actor,
                action="authorization.confirm",
                subject=f"authorization:{authz_id}",
                before=before,
                after=after,
                why=why or f"confirmed by {auth_by}, {doc}",
            )
            return after

        return await self._store.transaction(op)

    async def revoke(self, actor: str, authz_id: int, why: str) -> Authorization:
        reason = need_text(why, "a reason for the revocation")
        now = self._clock.now()

        async def op(tx: Transaction) -> Authorization:
            await require(tx, actor, "supervisor")
            before = await _authz(tx, authz_id)
            if before.revoked_at is not None:
                raise PolicyViolation(f"authorization #{authz_id} is already revoked")
            after = await tx.authorizations.update(
                authz_id, revoked_at=now, revoked_by=actor, revoke_reason=reason
            )
            await audited(
                tx,
                at=now,
                actor=actor,
                action="authorization.revoke",
                subject=f"authorization:{authz_id}",
                before=before,
                after=after,
                why=reason,
            )
            return after

        return await self._store.transaction(op)
