"""The enforcement job (APScheduler, every minute).

Each run, against the injected clock:

1. every live watch that no valid authorization covers any more is ended:
   ``revoked`` when all its authorizations were revoked, ``expired`` when they
   ran out (an unconfirmed emergency measure included), ``suspended`` when it
   never had an approved request or an authorization in scope. The monitor is
   then asked to leave (``on_change``); the gate forgets its snapshot as each
   watch ends, so recording stops at once;
2. approved requests whose authorization came into force get their watch;
3. each authorization that ended is written to the audit trail once, and the
   case's investigator and supervisor are told;
4. reminders go to them before an authorization ends (``reminder_before``);
5. the gate's count of refused posts is written to the audit trail.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

import structlog
from apscheduler.schedulers.base import BaseScheduler

from access import coverage
from access.cases import LIVE_STATES
from access.clock import Clock, SystemClock
from access.gate import AuthorizationGate
from access.notify import Notifier, tell
from access.policy import Limits, effective_until, status_at
from access.requests import activate
from access.roles import SERVICE_ACTOR
from access.store import Store
from storage.access_models import Authorization
from storage.changes import audited
from storage.repos import Transaction

log = structlog.get_logger(__name__)

OnChange = Callable[[], Awaitable[None]]


@dataclass(slots=True)
class Report:
    ended: dict[int, str] = field(default_factory=dict)  # watch id -> new state
    activated: list[int] = field(default_factory=list)  # request ids
    authorizations_ended: list[int] = field(default_factory=list)
    reminders: list[int] = field(default_factory=list)  # authorization ids
    refusals_flushed: int = 0


class Enforcer:
    def __init__(
        self,
        store: Store,
        limits: Limits,
        gate: AuthorizationGate,
        *,
        clock: Clock | None = None,
        notifier: Notifier | None = None,
        on_change: OnChange | None = None,
    ) -> None:
        self._store = store
        self._limits = limits
        self._gate = gate
        self._clock = clock or SystemClock()
        self._notifier = notifier
        self._on_change = on_change

    def set_on_change(self, on_change: OnChange | None) -> None:
        self._on_change = on_change

    async def run_once(self) -> Report:
        now = self._clock.now()
        report = Report()
        view = await self._store.snapshot(lambda tx: coverage.load(tx, self._limits))
        for watch in view.watches.values():
            if watch.state in LIVE_STATES and not view.covering(watch.watch_id, now):
                state, why = view.end_reason(watch.watch_id, now)
                await self._end_watch(watch.watch_id, watch.state, state, why, now)
                self._gate.invalidate()  # recording stops now, not when the cache ages
                report.ended[watch.watch_id] = state
        for request in view.unlinked:
            if view.valid_for_request(request, None, now):
                watch_id = await self._store.transaction(
                    partial(
                        activate, request=request, now=now, limits=self._limits, actor=SERVICE_ACTOR
                    )
                )
                if watch_id is not None:
                    self._gate.invalidate()
                    report.activated.append(request.id)
        for authz in [a for auths in view.by_case.values() for a in auths]:
            status = status_at(authz, now, self._limits)
            if status in ("expired", "lapsed", "revoked") and authz.ended_noted_at is None:
                await self._note_end(authz, status, now)
                report.authorizations_ended.append(authz.id)
            elif status == "valid" and self._reminder_due(authz, now):
                await self._remind(authz, now)
                report.reminders.append(authz.id)
        report.refusals_flushed = await self._gate.flush_refusals()
        if (report.ended or report.activated) and self._on_change is not None:
            await self._on_change()
        if report.ended or report.activated or report.authorizations_ended:
            log.info(
                "enforcement",
                ended=report.ended,
                activated=report.activated,
                authorizations_ended=report.authorizations_ended,
            )
        return report

    async def _end_watch(
        self, watch_id: int, before: str, state: str, why: str, now: datetime
    ) -> None:
        async def op(tx: Transaction) -> None:
            current = await tx.watches.link(watch_id)
            if current is None or current.state != before:
                return  # someone else changed it meanwhile; the next run looks again
            await tx.watches.update(
                watch_id, now=now, state=state, channel_id=None, account=None, reason=why,
                wait_until=None,
            )
            await audited(
                tx,
                at=now,
                actor=SERVICE_ACTOR,
                action=f"watch.{state}",
                subject=f"watch:{watch_id}",
                before={"state": before},
                after={"state": state},
                why=why,
            )

        await self._store.transaction(op)
        log.warning("watch_ended", watch_id=watch_id, state=state, why=why)

    def _reminder_due(self, authz: Authorization, now: datetime) -> bool:
        end = effective_until(authz, self._limits)
        return end - now <= self._limits.reminder_before and authz.reminded_until != end

    async def _recipients(self, case_id: int) -> list[str]:
        case = await self._store.snapshot(lambda tx: tx.cases.by_id(case_id))
        return [] if case is None else [case.investigator, case.supervisor]

    async def _remind(self, authz: Authorization, now: datetime) -> None:
        end = effective_until(authz, self._limits)
        pending = authz.kind == "emergency" and authz.confirmed_at is None
        subject = "emergency measure needs confirmation" if pending else "authorization ends soon"
        details = {
            "authorization": authz.id,
            "case": authz.case_reference,
            "ends_at": end.isoformat(),
            "left": str(max(end - now, timedelta(0))),
        }

        async def op(tx: Transaction) -> None:
            await tx.authorizations.update(authz.id, reminded_until=end)
            await audited(
                tx,
                at=now,
                actor=SERVICE_ACTOR,
                action="authorization.reminder",
                subject=f"authorization:{authz.id}",
                after=details,
                why=subject,
            )

        await self._store.transaction(op)
        await tell(self._notifier, await self._recipients(authz.case_id), subject, details)

    async def _note_end(self, authz: Authorization, status: str, now: datetime) -> None:
        end = authz.revoked_at if status == "revoked" else effective_until(authz, self._limits)
        details = {
            "authorization": authz.id,
            "case": authz.case_reference,
            "status": status,
            "ended_at": end.isoformat() if end else None,
        }

        async def op(tx: Transaction) -> None:
            await tx.authorizations.update(authz.id, ended_noted_at=now)
            await audited(
                tx,
                at=now,
                actor=SERVICE_ACTOR,
                action=f"authorization.{status}",
                subject=f"authorization:{authz.id}",
                after=details,
                why=f"authorization {status}",
            )

        await self._store.transaction(op)
        await tell(
            self._notifier,
            await self._recipients(authz.case_id),
            f"authorization {status}",
            details,
        )


def schedule(scheduler: BaseScheduler, enforcer: Enforcer, every: timedelta) -> None:
    """Add the job to an APScheduler scheduler (one run at a time)."""
    scheduler.add_job(
        enforcer.run_once,
        "interval",
        seconds=every.total_seconds(),
        id="access-enforcement",
        coalesce=True,
        max_instances=1,
    )
