"""Cases, their legal authorizations, and watch requests with their approval.

Each operation checks the actor's role and the lawful limits inside the same
write transaction that makes the change and appends its audit row.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import aiosqlite
import structlog

from monitor.access import coverage
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
from storage.access_models import Authorization, Case, WatchRequest
from storage.sqlite.audit import append as audit

log = structlog.get_logger(__name__)

#: Watch states in which a watch still stands for its channel.
LIVE_STATES = ("requested", "approved", "joining", "active", "waiting")


def _need(text: str | None, what: str) -> str:
    if text is None or not text.strip():
        raise PolicyViolation(f"{what} is required")
    return text.strip()


async def _case(conn: aiosqlite.Connection, reference: str) -> Case:
    case = await q.get_case(conn, reference)
    if case is None:
        raise PolicyViolation(f"there is no case {reference!r}")
    return case


async def _authz(conn: aiosqlite.Connection, authz_id: int) -> Authorization:
    found = await qa.get_authorization(conn, authz_id)
    if found is None:
        raise PolicyViolation(f"there is no authorization #{authz_id}")
    return found


async def _request(conn: aiosqlite.Connection, request_id: int) -> WatchRequest:
    found = await qa.get_request(conn, request_id)
    if found is None:
        raise PolicyViolation(f"there is no watch request #{request_id}")
    return found


async def activate(
    conn: aiosqlite.Connection, request: WatchRequest, now: datetime, limits: Limits, actor: str
) -> int | None:
    """Give an approved request its watch when an authorization covers it now.

    Another live watch of the same channel is reused. Returns the watch id, or
    None while no authorization is valid (the enforcement job tries again).
    """
    cov = await coverage.load(conn, limits)
    if not cov.valid_for_request(request, None, now):
        return None
    watch_id: int | None = None
    for other in await qa.list_requests(conn, state="approved"):
        linked = cov.watches.get(other.watch_id) if other.watch_id is not None else None
        if other.channel_ref == request.channel_ref and linked and linked.state in LIVE_STATES:
            watch_id = linked.watch_id
            break
    if watch_id is None:
        why = f"case {request.case_reference}, watch request #{request.id}"
        watch_id = await qa.insert_watch(
            conn, target=request.target, state="approved", reason=why, at=now, actor=actor
        )
        await audit(
            conn,
            at=now,
            actor=actor,
            action="watch.create",
            subject=f"watch:{watch_id}",
            after={
                "target": request.target,
                "state": "approved",
                "request": request.id,
                "case": request.case_reference,
            },
            why=why,
        )
    await qa.link_request(conn, request.id, watch_id)
    await audit(
        conn,
        at=now,
        actor=actor,
        action="request.activate",
        subject=f"request:{request.id}",
        after={"watch": watch_id},
    )
    log.info("watch_activated", request_id=request.id, watch_id=watch_id, target=request.target)
    return watch_id


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
            case_id = None if reference is None else (await _case(conn, reference)).id
            return await qa.list_authorizations(conn, case_id)

        return await self._store.read(op)

    async def requests(
        self, reference: str | None = None, state: str | None = None
    ) -> list[WatchRequest]:
        async def op(conn: aiosqlite.Connection) -> list[WatchRequest]:
            case_id = None if reference is None else (await _case(conn, reference)).id
            return await qa.list_requests(conn, case_id=case_id, state=state)

        return await self._store.read(op)

    def status(self, authz: Authorization) -> str:
        return status_at(authz, self._clock.now(), self._limits)

    # -- cases and authorizations --------------------------------------------------
    async def open(
        self, actor: str, reference: str, title: str, supervisor: str, why: str | None = None
    ) -> Case:
        ref, name, sup = _need(reference, "a case reference"), _need(title, "a title"), supervisor
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
            _need(authority, "the approving authority"),
            _need(document, "a document reference"),
        )
        now = self._clock.now()

        async def op(conn: aiosqlite.Connection) -> Authorization:
            await require(conn, actor, "investigator")
            case = await _case(conn, reference)
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
            _need(authority, "the approving authority"),
            _need(document, "a document reference"),
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
            _need(authority, "the approving authority"),
            _need(document, "a document reference"),
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
        reason = _need(why, "a reason for the revocation")
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

    # -- watch requests --------------------------------------------------------------
    async def request_watch(
        self, actor: str, reference: str, target: str, reason: str
    ) -> WatchRequest:
        ref = normalize_ref(target)
        why = _need(reason, "a reason for the watch request")
        now = self._clock.now()

        async def op(conn: aiosqlite.Connection) -> WatchRequest:
            await require(conn, actor, "investigator")
            case = await _case(conn, reference)
            scoped = [
                a
                for a in await qa.list_authorizations(conn, case.id)
                if ref in a.scope and status_at(a, now, self._limits) in ("valid", "pending")
            ]
            if not scoped:
                raise PolicyViolation(
                    f"no current authorization of case {reference!r} names {target!r} in its "
                    "scope; record the authorization first (case authorize)"
                )
            request = await qa.insert_request(
                conn,
                case_id=case.id,
                target=target.strip(),
                channel_ref=ref,
                reason=why,
                at=now,
                actor=actor,
            )
            await audit(
                conn,
                at=now,
                actor=actor,
                action="request.create",
                subject=f"request:{request.id}",
                after=request,
                why=why,
            )
            return request

        return await self._store.write(op)

    async def decide(
        self, actor: str, request_id: int, *, approve: bool, note: str | None = None
    ) -> WatchRequest:
        """A supervisor, never the requester, approves or refuses a request.

        An approved request whose authorization is valid now gets its watch at
        once; otherwise the enforcement job gives it one when it becomes valid.
        """
        now = self._clock.now()

        async def op(conn: aiosqlite.Connection) -> WatchRequest:
            await require(conn, actor, "supervisor")
            before = await _request(conn, request_id)
            if before.state != "requested":
                raise PolicyViolation(f"watch request #{request_id} is already {before.state}")
            if before.requested_by == actor:
                raise PolicyViolation(
                    f"self-approval refused: {actor!r} requested watch request #{request_id}; "
                    "another supervisor must decide it"
                )
            after = await qa.decide_request(
                conn,
                request_id,
                state="approved" if approve else "refused",
                by=actor,
                at=now,
                note=note,
            )
            await audit(
                conn,
                at=now,
                actor=actor,
                action="request.approve" if approve else "request.refuse",
                subject=f"request:{request_id}",
                before=before,
                after=after,
                why=note,
            )
            if approve:
                await activate(conn, after, now, self._limits, actor)
                after = await _request(conn, request_id)
            return after

        return await self._store.write(op)
