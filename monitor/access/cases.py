"""Cases, their legal authorizations, and watch requests with their approval.

Each operation checks the actor's role and the lawful limits inside the same
write transaction that makes the change and appends its audit row.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import aiosqlite
import structlog

from monitor.access.clock import Clock, SystemClock
from monitor.access.policy import (
    Limits,
    check_confirmation,
    check_extension,
    check_new,
    parse_kind,
    status_at,
)
from monitor.access.roles import PolicyViolation
from monitor.access.scope import normalize_ref
from monitor.access.store import TxRunner
from monitor.access.users import require
from storage import access as q
from storage import access_authz as qa
from storage.access_models import Authorization, Case
from storage.sqlite.bridge import append as audit

log = structlog.get_logger(__name__)

#: Watch states in which a watch still stands for its channel.
LIVE_STATES = ("requested", "approved", "joining", "active", "waiting")


def need_text(text: str | None, what: str) -> str:
    if text is None or not text.strip():
        raise PolicyViolation(f"{what} is required")
    return text.strip()


async def case_by_ref(conn: aiosqlite.Connection, reference: str) -> Case:
    case = await q.get_case(conn, reference)
    if case is None:
        raise PolicyViolation(f"there is no case {reference!r}")
    return case


async def _authz(conn: aiosqlite.Connection, authz_id: int) -> Authorization:
    found = await qa.get_authorization(conn, authz_id)
    if found is None:
        raise PolicyViolation(f"there is no authorization #{authz_id}")
    return found


class Cases:
    def __init__(self, store: TxRunner, limits: Limits, clock: Clock | None = None) -> None:
        self._store = store
        self._limits = limits
        self._clock = clock or SystemClock()

    # -- reading -------------------------------------------------------------------
    async def all(self) -> list[Case]:
        return await self._store.read(q.list_cases)

    async def get(self, reference: str) -> Case | None:
        return await self._store.read(lambda c: q.get_case(c, reference))

    async def authorizations(self, reference: str | None = None) -> list[Authorization]:
        async def op(conn: aiosqlite.Connection) -> list[Authorization]:
            case_id = None if reference is None else (await case_by_ref(conn, reference)).id
            return await qa.list_authorizations(conn, case_id)

        return await self._store.read(op)

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

        async def op(conn: aiosqlite.Connection) -> Case:
            await require(conn, actor, "investigator")
            await require(conn, sup, "supervisor")
            if sup == actor:
                raise PolicyViolation(
                    "the case's supervisor must be someone else than its investigator"
                )
            if await q.get_case(conn, ref) is not None:
                raise PolicyViolation(f"case {ref!r} exists already")
            case = await q.insert_case(conn, ref, name, actor, sup, at=now, actor=actor)
            await audit(
                conn,
                at=now,
                actor=actor,
                action="case.open",
                subject=f"case:{ref}",
                after=case,
                why=why,
            )
            return case

        return await self._store.write(op)

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

        async def op(conn: aiosqlite.Connection) -> Authorization:
            await require(conn, actor, "investigator")
            case = await case_by_ref(conn, reference)
            authz = await qa.insert_authorization(
                conn,
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
            await audit(
                conn,
                at=now,
                actor=actor,
                action="authorization.create",
                subject=f"authorization:{authz.id}",
                after=authz,
                why=why,
            )
            return authz

        return await self._store.write(op)

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

        async def op(conn: aiosqlite.Connection) -> Authorization:
            await require(conn, actor, "investigator")
            before = await _authz(conn, authz_id)
            check_extension(before, until, now, self._limits)
            await qa.insert_extension(
                conn,
                authz_id,
                previous_until=before.valid_until,
                new_until=until,
                authority=auth_by,
                document_ref=doc,
                at=now,
                actor=actor,
            )
            after = await qa.update_authorization(conn, authz_id, valid_until=until)
            await audit(
                conn,
                at=now,
                actor=actor,
                action="authorization.extend",
                subject=f"authorization:{authz_id}",
                before=before,
                after=after,
                why=why or f"extended by {auth_by}, {doc}",
            )
            return after

        return await self._store.write(op)

    async def confirm(
        self, actor: str, authz_id: int, *, authority: str, document: str, why: str | None = None
    ) -> Authorization:
        """Record the court's confirmation of an emergency measure (within its window)."""
        auth_by, doc = (
            need_text(authority, "the approving authority"),
            need_text(document, "a document reference"),
        )
        now = self._clock.now()

        async def op(conn: aiosqlite.Connection) -> Authorization:
            await require(conn, actor, "investigator")
            before = await _authz(conn, authz_id)
            check_confirmation(before, now, self._limits)
            after = await qa.update_authorization(
                conn,
                authz_id,
                confirmed_at=now,
                confirmed_by=actor,
                confirm_authority=auth_by,
                confirm_document=doc,
            )
            await audit(
                conn,
                at=now,
                actor=actor,
                action="authorization.confirm",
                subject=f"authorization:{authz_id}",
                before=before,
                after=after,
                why=why or f"confirmed by {auth_by}, {doc}",
            )
            return after

        return await self._store.write(op)

    async def revoke(self, actor: str, authz_id: int, why: str) -> Authorization:
        reason = need_text(why, "a reason for the revocation")
        now = self._clock.now()

        async def op(conn: aiosqlite.Connection) -> Authorization:
            await require(conn, actor, "supervisor")
            before = await _authz(conn, authz_id)
            if before.revoked_at is not None:
                raise PolicyViolation(f"authorization #{authz_id} is already revoked")
            after = await qa.update_authorization(
                conn, authz_id, revoked_at=now, revoked_by=actor, revoke_reason=reason
            )
            await audit(
                conn,
                at=now,
                actor=actor,
                action="authorization.revoke",
                subject=f"authorization:{authz_id}",
                before=before,
                after=after,
                why=reason,
            )
            return after

        return await self._store.write(op)
