"""The access actions: watch requests and their approval, cases and their
authorizations, watches, users and accounts. Each calls one service of the
access layer, which checks the roles and the lawful limits again in its own
transaction; an unknown id is looked up first so that it answers 404."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from hotline.console.errors import Invalid, Missing
from hotline.console.signin import Principal
from hotline.console.state import Console
from storage.access_models import Authorization, WatchRequest
from storage.models import WatchRecord

REQUEST_STATES = ("requested", "approved", "refused")


def plain(value: Any) -> dict[str, Any]:
    return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}


def request_row(r: WatchRequest, watches: dict[int, WatchRecord]) -> dict[str, Any]:
    row = plain(r)
    watch = watches.get(r.watch_id) if r.watch_id is not None else None
    row["watch_state"] = watch.state if watch else None
    row["channel_id"] = watch.channel_id if watch else None
    return row


def authz_row(c: Console, a: Authorization) -> dict[str, Any]:
    row = plain(a)
    row["status"] = c.services.cases.status(a)
    return row


async def _watches(c: Console) -> dict[int, WatchRecord]:
    return {w.id: w for w in await c.services.store.list_watches()}


async def requests(
    c: Console, state: str | None = None, mine: Principal | None = None
) -> list[dict[str, Any]]:
    if state is not None and state not in REQUEST_STATES:
        raise Invalid(f"unknown request state {state!r}; one of: {', '.join(REQUEST_STATES)}")
    found = await c.services.requests.list(None, state)
    if mine is not None:
        found = [r for r in found if r.requested_by == mine.name]
    watches = await _watches(c)
    return [request_row(r, watches) for r in found]


async def decide_request(
    c: Console, p: Principal, request_id: int, approve: bool, note: str | None
) -> dict[str, Any]:
    if not any(r.id == request_id for r in await c.services.requests.list()):
        raise Missing(f"no watch request #{request_id}")
    after = await c.services.requests.decide(p.name, request_id, approve=approve, note=note)
    return request_row(after, await _watches(c))


async def request_watch(
    c: Console, p: Principal, case: str, target: str, reason: str
) -> dict[str, Any]:
    await _case(c, case)
    made = await c.services.requests.request_watch(p.name, case, target, reason)
    return request_row(made, {})


async def _case(c: Console, reference: str) -> None:
    if await c.services.cases.get(reference) is None:
        raise Missing(f"no case {reference!r}")


async def cases(c: Console) -> list[dict[str, Any]]:
    found = await c.services.cases.all()
    authz = await c.services.cases.authorizations()
    by_case: dict[str, list[dict[str, Any]]] = {}
    for a in authz:
        by_case.setdefault(a.case_reference, []).append(authz_row(c, a))
    return [{**plain(k), "authorizations": by_case.get(k.reference, [])} for k in found]


async def case(c: Console, reference: str) -> dict[str, Any]:
    found = await c.services.cases.get(reference)
    if found is None:
        raise Missing(f"no case {reference!r}")
    authz = await c.services.cases.authorizations(reference)
    reqs = await c.services.requests.list(reference)
    watches = await _watches(c)
    return {**plain(found), "authorizations": [authz_row(c, a) for a in authz],
            "requests": [request_row(r, watches) for r in reqs]}


async def open_case(
    c: Console, p: Principal, reference: str, title: str, supervisor: str, why: str | None
) -> dict[str, Any]:
    return plain(await c.services.cases.open(p.name, reference, title, supervisor, why))


async def authorize(
    c: Console, p: Principal, reference: str, *, kind: str, authority: str, document: str,
    valid_from: datetime, valid_until: datetime, scope: Sequence[str], why: str | None,
) -> dict[str, Any]:
    await _case(c, reference)
    made = await c.services.cases.authorize(
        p.name, reference, kind=kind, authority=authority, document=document,
        valid_from=valid_from, valid_until=valid_until, scope=scope, why=why,
    )
    return authz_row(c, made)


async def revoke(c: Console, p: Principal, authz_id: int, reason: str) -> dict[str, Any]:
    if not any(a.id == authz_id for a in await c.services.cases.authorizations()):
        raise Missing(f"no authorization #{authz_id}")
    return authz_row(c, await c.services.cases.revoke(p.name, authz_id, reason))


async def watches(c: Console) -> list[dict[str, Any]]:
    return [plain(w) for w in await c.services.store.list_watches()]


async def users(c: Console) -> list[dict[str, Any]]:
    return [plain(u) for u in await c.services.users.all()]


async def add_user(
    c: Console, p: Principal, username: str, roles: Sequence[str], password: str,
    why: str | None,
) -> dict[str, Any]:
    return plain(await c.services.users.add(p.name, username, roles, password, why))


async def set_active(
    c: Console, p: Principal, username: str, active: bool, why: str | None
) -> dict[str, Any]:
    if await c.services.users.get(username) is None:
        raise Missing(f"no user {username!r}")
    user = await c.services.users.set_active(p.name, username, active, why)
    if not active:  # a disabled user's sessions end now (each request checks it too)
        await c.services.store.transaction(
            lambda tx: tx.web_sessions.revoke_user(user.username, tx.now, "user disabled")
        )
    return plain(user)


async def accounts(c: Console) -> list[dict[str, Any]]:
    out = []
    for view in await c.services.accounts.views():
        a = view.account
        limit = a.channel_limit if a.channel_limit is not None else c.config.channel_limit
        out.append({
            "name": a.name, "status": a.status, "status_reason": a.status_reason,
            "channels": view.owned, "channel_limit": limit, "joins_24h": view.joins_24h,
            "next_join_at": view.next_join_at, "flood_until": a.flood_until,
        })
    return out
