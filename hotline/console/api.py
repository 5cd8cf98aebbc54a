"""The JSON API under ``/api/v1`` (personal tokens: ``Authorization: Bearer``).

Every route parses its input (pydantic: wrong types, sizes and ranges are 422),
calls one action of :mod:`.review`, :mod:`.people` or :mod:`.evidence`, and
returns its JSON. The schema is served at ``/api/v1/openapi.json``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Path, Query, Request, Security
from fastapi.responses import FileResponse
from fastapi.security import HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

from hotline.console import evidence, people, review
from hotline.console.signin import Principal
from hotline.console.state import Console
from hotline.console.views import QueueQuery

ID = Annotated[int, Path(ge=1, le=2**62)]
Ref = Annotated[str, Path(min_length=1, max_length=200)]
Text = Annotated[str, Field(min_length=1, max_length=4000)]
Short = Annotated[str, Field(min_length=1, max_length=200)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class NoteIn(_In):
    note: Text | None = None


class DecisionIn(_In):
    note: Text


class ReasonIn(_In):
    reason: Text


class WhyIn(_In):
    why: Text | None = None


class CaseIn(_In):
    reference: Short
    title: Short
    supervisor: Short
    why: Text | None = None


class AuthorizationIn(_In):
    kind: Literal["court", "prosecutor", "emergency", "public"]
    authority: Short
    document: Short
    valid_from: datetime | None = None
    valid_until: datetime
    scope: Annotated[list[Short], Field(min_length=1, max_length=100)]
    why: Text | None = None


class WatchRequestIn(_In):
    target: Short
    reason: Text


class UserIn(_In):
    username: Annotated[str, Field(min_length=2, max_length=64)]
    roles: Annotated[
        list[Literal["investigator", "supervisor", "operator", "admin"]],
        Field(min_length=1, max_length=4),
    ]
    password: Annotated[str, Field(min_length=12, max_length=1024)]
    why: Text | None = None


class ImportIn(_In):
    content: Annotated[str, Field(min_length=1, max_length=64 * 1024 * 1024)]
    format: Annotated[str, Field(max_length=20)] = "auto"
    skip_invalid: bool = False
    threshold: Annotated[int, Field(ge=0, le=256)] | None = None
    replace: bool = False


def console(request: Request) -> Console:
    c: Console = request.app.state.console
    return c


def router(c: Console) -> APIRouter:
    api = APIRouter(prefix="/api/v1", dependencies=[Security(HTTPBearer(auto_error=False))])
    g = c.guard

    def who(action: str) -> Any:
        return Depends(g.api(action))

    @api.get("/me", summary="Who the token belongs to")
    async def me(p: Principal = who("self")) -> dict[str, Any]:
        return {"username": p.name, "roles": list(p.user.roles)}

    @api.get("/queue", summary="Alerts, most urgent first (keyset pages)")
    async def queue(
        p: Principal = who("queue.read"),
        state: Annotated[str, Query(max_length=20)] = "active",
        overdue: bool = False,
        bank: Annotated[str | None, Query(max_length=200)] = None,
        channel: Annotated[int | None, Query(ge=-(2**62), le=2**62)] = None,
        case: Annotated[str | None, Query(max_length=200)] = None,
        after: Annotated[str | None, Query(max_length=400)] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
    ) -> dict[str, Any]:
        return await review.queue_page(
            c, QueueQuery(state, overdue, bank, channel, case, after, limit)
        )

    @api.get("/alerts/{alert_id}", summary="One alert: metadata, matches, trail (no text)")
    async def alert(alert_id: ID, p: Principal = who("queue.read")) -> dict[str, Any]:
        return await review.alert_detail(c, alert_id)

    @api.get("/alerts/{alert_id}/text", summary="The post's text (each read is audited)")
    async def alert_text(alert_id: ID, p: Principal = who("alert.text")) -> dict[str, Any]:
        return await review.alert_text(c, p, alert_id)

    @api.post("/alerts/{alert_id}/claim", summary="Claim an open alert")
    async def claim(
        alert_id: ID, body: Annotated[NoteIn | None, Body()] = None,
        p: Principal = who("alert.decide"),
    ) -> dict[str, Any]:
        return await review.decide(c, p, alert_id, "claim", body.note if body else None)

    @api.post("/alerts/{alert_id}/confirm", summary="Confirm an alert (note required)")
    async def confirm(
        alert_id: ID, body: DecisionIn, p: Principal = who("alert.decide")
    ) -> dict[str, Any]:
        return await review.decide(c, p, alert_id, "confirm", body.note)

    @api.post("/alerts/{alert_id}/dismiss", summary="Dismiss an alert (note required)")
    async def dismiss(
        alert_id: ID, body: DecisionIn, p: Principal = who("alert.decide")
    ) -> dict[str, Any]:
        return await review.decide(c, p, alert_id, "dismiss", body.note)

    @api.get("/media/{media_id}/spread", summary="Where a medium came from and went")
    async def spread(media_id: ID, p: Principal = who("media.spread")) -> dict[str, Any]:
        return await review.spread(c, media_id)

    @api.get("/requests", summary="Watch requests with their watches' states")
    async def requests(
        p: Principal = who("requests.read"),
        state: Annotated[str | None, Query(max_length=20)] = None, mine: bool = False,
    ) -> list[dict[str, Any]]:
        return await people.requests(c, state, p if mine else None)

    @api.post("/requests/{request_id}/approve", summary="Approve (never your own)")
    async def approve(
        request_id: ID, body: Annotated[NoteIn | None, Body()] = None,
        p: Principal = who("requests.decide"),
    ) -> dict[str, Any]:
        return await people.decide_request(c, p, request_id, True, body.note if body else None)

    @api.post("/requests/{request_id}/refuse", summary="Refuse (never your own)")
    async def refuse(
        request_id: ID, body: DecisionIn, p: Principal = who("requests.decide")
    ) -> dict[str, Any]:
        return await people.decide_request(c, p, request_id, False, body.note)

    @api.get("/cases", summary="Cases with their authorizations")
    async def cases(p: Principal = who("cases.read")) -> list[dict[str, Any]]:
        return await people.cases(c)

    @api.post("/cases", status_code=201, summary="Open a case")
    async def open_case(body: CaseIn, p: Principal = who("cases.write")) -> dict[str, Any]:
        return await people.open_case(c, p, body.reference, body.title, body.supervisor,
                                      body.why)

    @api.get("/cases/{reference}", summary="A case, its authorizations and requests")
    async def case(reference: Ref, p: Principal = who("cases.read")) -> dict[str, Any]:
        return await people.case(c, reference)

    @api.post("/cases/{reference}/authorizations", status_code=201,
              summary="Record a legal authorization")
    async def authorize(
        reference: Ref, body: AuthorizationIn, p: Principal = who("cases.write")
    ) -> dict[str, Any]:
        return await people.authorize(
            c, p, reference, kind=body.kind, authority=body.authority, document=body.document,
            valid_from=body.valid_from or c.clock(), valid_until=body.valid_until,
            scope=body.scope, why=body.why,
        )

    @api.post("/cases/{reference}/requests", status_code=201, summary="Ask to watch a channel")
    async def request_watch(
        reference: Ref, body: WatchRequestIn, p: Principal = who("requests.create")
    ) -> dict[str, Any]:
        return await people.request_watch(c, p, reference, body.target, body.reason)

    @api.post("/cases/{reference}/export", status_code=202,
              summary="Export the case's evidence (a job)")
    async def export(reference: Ref, p: Principal = who("evidence.export")) -> dict[str, Any]:
        return await evidence.start_export(c, p, reference)

    @api.post("/authorizations/{authz_id}/revoke", summary="Revoke an authorization")
    async def revoke(
        authz_id: ID, body: ReasonIn, p: Principal = who("authorization.revoke")
    ) -> dict[str, Any]:
        return await people.revoke(c, p, authz_id, body.reason)

    @api.get("/watches", summary="Watches and their states")
    async def watches(p: Principal = who("watches.read")) -> list[dict[str, Any]]:
        return await people.watches(c)

    @api.get("/jobs/{job_id}", summary="A job of yours (export, import): phase and result")
    async def job(
        job_id: Annotated[str, Path(min_length=1, max_length=64)], p: Principal = who("self")
    ) -> dict[str, Any]:
        return c.jobs.get(job_id, p.name).view(c.clock())

    @api.get("/jobs/{job_id}/bundle", summary="The bundle of a finished export of yours",
             response_class=FileResponse)
    async def bundle(
        job_id: Annotated[str, Path(min_length=1, max_length=64)],
        p: Principal = who("evidence.export"),
    ) -> FileResponse:
        path = evidence.export_file(c, p, job_id)
        return FileResponse(path, media_type="application/zip", filename=path.name)

    @api.get("/ledger", summary="The ledger: size, last signed checkpoint, unsigned records")
    async def ledger(p: Principal = who("ledger.read")) -> dict[str, Any]:
        return await evidence.ledger_status(c)

    @api.get("/users", summary="Users and their roles")
    async def users(p: Principal = who("users.admin")) -> list[dict[str, Any]]:
        return await people.users(c)

    @api.post("/users", status_code=201, summary="Add a user")
    async def add_user(body: UserIn, p: Principal = who("users.admin")) -> dict[str, Any]:
        return await people.add_user(c, p, body.username, body.roles, body.password, body.why)

    def user_switch(active: bool) -> Any:
        async def set_active(
            username: Annotated[str, Path(min_length=1, max_length=64)],
            body: Annotated[WhyIn | None, Body()] = None,
            p: Principal = who("users.admin"),
        ) -> dict[str, Any]:
            return await people.set_active(c, p, username, active, body.why if body else None)

        return set_active

    api.add_api_route("/users/{username}/disable", user_switch(False), methods=["POST"],
                      summary="Disable a user (their sessions end)", name="user_disable")
    api.add_api_route("/users/{username}/enable", user_switch(True), methods=["POST"],
                      summary="Enable a user", name="user_enable")

    @api.get("/accounts", summary="Telegram accounts: state, channels used of the limit")
    async def accounts(p: Principal = who("accounts.read")) -> list[dict[str, Any]]:
        return await people.accounts(c)

    @api.get("/banks", summary="Hash banks with counts and false-positive rate")
    async def banks(p: Principal = who("banks.read")) -> list[dict[str, Any]]:
        return await evidence.banks(c)

    @api.post("/banks/{bank}/import", status_code=202, summary="Import a bank file (a job)")
    async def bank_import(
        bank: Annotated[str, Path(min_length=1, max_length=64)], body: ImportIn,
        p: Principal = who("banks.import"),
    ) -> dict[str, Any]:
        return evidence.start_import(
            c, p, bank, body.content.encode("utf-8"), body.format,
            skip_invalid=body.skip_invalid, threshold=body.threshold, replace=body.replace,
        )

    return api
