"""The console's pages (Jinja2, server-rendered; one small static script for
the countdowns and the live queue). Forms post with the session's CSRF token
and redirect (303) to the page that shows the result; a refusal renders the
error page with its status. Each route parses, calls one action, renders."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from importlib.resources import files
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from fastapi.templating import Jinja2Templates

from hotline.console import evidence, people, review
from hotline.console.errors import Category, Invalid, Unauthenticated
from hotline.console.live import LiveFeed
from hotline.console.signin import Principal
from hotline.console.state import Console
from hotline.console.views import QueueQuery, timeline

ID = Annotated[int, Path(ge=1, le=2**62)]
Ref = Annotated[str, Path(min_length=1, max_length=200)]
LOGIN_CSRF = "chanwatch_login"
TEMPLATES = Jinja2Templates(directory=str(files("hotline.console").joinpath("templates")))


def _when(value: Any) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return "-" if value is None else str(value)


TEMPLATES.env.filters["when"] = _when
TEMPLATES.env.filters["iso"] = lambda v: v.isoformat() if isinstance(v, datetime) else ""


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    principal = getattr(request.state, "principal", None)
    context.setdefault("me", principal)
    context.setdefault("csrf", principal.session.csrf_token
                       if principal is not None and principal.session else "")
    return TEMPLATES.TemplateResponse(request, name, context, status_code=status)


def error_page(request: Request, category: Category, message: str) -> HTMLResponse:
    if category.status == 401:
        return login_page(request, message, 401)
    return render(request, "error.html", category.status, category=category, message=message)


def login_page(request: Request, message: str | None = None, status: int = 200) -> HTMLResponse:
    token = secrets.token_urlsafe(32)
    c: Console = request.app.state.console
    response = render(request, "login.html", status, message=message, login_csrf=token, me=None)
    response.set_cookie(LOGIN_CSRF, token, httponly=True, samesite="strict", path="/login",
                        secure=c.config.cookie_secure, max_age=3600)
    return response


def home_of(p: Principal) -> str:
    for role, page in (("operator", "/queue"), ("supervisor", "/supervisor"),
                       ("investigator", "/investigator"), ("admin", "/admin")):
        if p.has(role):
            return page
    return "/login"


def see(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def router(c: Console, live: LiveFeed) -> APIRouter:
    r = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
    g = c.guard

    def page(action: str) -> Any:
        return Depends(g.page(action))

    def form(action: str) -> Any:
        return Depends(g.page(action, form=True))

    # -- signing in ------------------------------------------------------------------
    @r.get("/")
    async def root(request: Request) -> Response:
        try:
            principal = await g.session(request)
        except Unauthenticated:
            return see("/login")
        return see(home_of(principal))

    @r.get("/login")
    async def login_form(request: Request) -> Response:
        return login_page(request)

    @r.post("/login")
    async def login(
        request: Request,
        username: Annotated[str, Form(max_length=200)] = "",
        password: Annotated[str, Form(max_length=1024)] = "",
        login_csrf: Annotated[str, Form(max_length=200)] = "",
    ) -> Response:
        cookie = request.cookies.get(LOGIN_CSRF, "")
        if not cookie or not secrets.compare_digest(cookie, login_csrf):
            raise Unauthenticated("the sign-in form expired: sign in again")
        session_id, session = await c.signin.sign_in(username, password)
        user = await c.services.users.get(session.username)
        assert user is not None
        response = see(home_of(Principal(user, "session", session)))
        response.set_cookie(
            c.signin.cookie_name, session_id, httponly=True, samesite="strict", path="/",
            secure=c.config.cookie_secure,
            max_age=int(c.config.session_lifetime.total_seconds()),
        )
        response.delete_cookie(LOGIN_CSRF, path="/login")
        return response

    @r.post("/logout")
    async def logout(p: Principal = form("self")) -> Response:
        await c.signin.sign_out(p)
        response = see("/login")
        response.delete_cookie(c.signin.cookie_name, path="/")
        return response

    # -- the operators' queue --------------------------------------------------------
    def queue_query(
        state: Annotated[str, Query(max_length=20)] = "active",
        overdue: Annotated[str | None, Query(max_length=5)] = None,
        bank: Annotated[str | None, Query(max_length=200)] = None,
        channel: Annotated[str | None, Query(max_length=30)] = None,
        case: Annotated[str | None, Query(max_length=200)] = None,
        after: Annotated[str | None, Query(max_length=400)] = None,
    ) -> QueueQuery:
        try:
            channel_id = int(channel) if channel else None
        except ValueError:
            raise Invalid(f"channel must be a channel id, not {channel!r}") from None
        return QueueQuery(state, bool(overdue), bank or None, channel_id, case or None,
                          after or None, c.config.page_size)

    @r.get("/queue")
    async def queue(
        request: Request, q: QueueQuery = Depends(queue_query), p: Principal = page("queue.read")
    ) -> Response:
        data = await review.queue_page(c, q)
        return render(request, "queue.html", q=q, data=data,
                      choices=await review.queue_choices(c))

    @r.get("/queue/rows")
    async def queue_rows(
        request: Request, q: QueueQuery = Depends(queue_query), p: Principal = page("queue.read")
    ) -> Response:
        return render(request, "queue_rows.html", q=q, data=await review.queue_page(c, q))

    @r.get("/queue/events")
    async def queue_events(p: Principal = page("queue.read")) -> Response:
        return StreamingResponse(live.stream(), media_type="text/event-stream",
                                 headers={"x-accel-buffering": "no"})

    # -- one alert ---------------------------------------------------------------------
    async def alert_view(request: Request, alert_id: int, text: str | None) -> Response:
        detail = await review.alert_detail(c, alert_id)
        spreads = []
        for media_id in detail["media_ids"]:
            try:
                s = await review.spread(c, media_id)
            except LookupError:
                continue
            spreads.append((s, timeline(s.get("sightings") or [])))
        return render(request, "alert.html", a=detail, text=text, spreads=spreads)

    @r.get("/alerts/{alert_id}")
    async def alert(request: Request, alert_id: ID, p: Principal = page("queue.read")) -> Response:
        return await alert_view(request, alert_id, None)

    @r.post("/alerts/{alert_id}/text")
    async def alert_text(
        request: Request, alert_id: ID, p: Principal = form("alert.text")
    ) -> Response:
        shown = await review.alert_text(c, p, alert_id)
        return await alert_view(request, alert_id, shown["text"])

    for verb in review.DECISIONS:
        def decision(verb: str = verb) -> Any:
            async def decide(
                alert_id: ID, note: Annotated[str, Form(max_length=4000)] = "",
                p: Principal = form("alert.decide"),
            ) -> Response:
                await review.decide(c, p, alert_id, verb, note.strip() or None)
                return see(f"/alerts/{alert_id}")
            return decide

        r.add_api_route(f"/alerts/{{alert_id}}/{verb}", decision(), methods=["POST"],
                        name=f"alert_{verb}")

    # -- supervisors -----------------------------------------------------------------
    @r.get("/supervisor")
    async def supervisor(request: Request, p: Principal = page("requests.decide")) -> Response:
        return render(
            request, "supervisor.html",
            pending=await people.requests(c, "requested"), cases=await people.cases(c),
            ledger=await evidence.ledger_status(c),
            jobs=[j.view(c.clock()) for j in c.jobs.mine(p.name)],
        )

    for verb in ("approve", "refuse"):
        def request_decision(approve: bool = verb == "approve") -> Any:
            async def decide_request(
                request_id: ID, note: Annotated[str, Form(max_length=4000)] = "",
                p: Principal = form("requests.decide"),
            ) -> Response:
                await people.decide_request(c, p, request_id, approve, note.strip() or None)
                return see("/supervisor")
            return decide_request

        r.add_api_route(f"/requests/{{request_id}}/{verb}", request_decision(),
                        methods=["POST"], name=f"request_{verb}")

    @r.post("/authorizations/{authz_id}/revoke")
    async def revoke(
        authz_id: ID, reason: Annotated[str, Form(max_length=4000)] = "",
        p: Principal = form("authorization.revoke"),
    ) -> Response:
        await people.revoke(c, p, authz_id, reason)
        return see("/supervisor")

    @r.post("/cases/{reference}/export")
    async def export(reference: Ref, p: Principal = form("evidence.export")) -> Response:
        job = await evidence.start_export(c, p, reference)
        return see(f"/jobs/{job['id']}")

    @r.get("/jobs/{job_id}")
    async def job(
        request: Request, job_id: Annotated[str, Path(max_length=64)],
        p: Principal = page("self"),
    ) -> Response:
        return render(request, "job.html", job=c.jobs.get(job_id, p.name).view(c.clock()))

    @r.get("/jobs/{job_id}/bundle")
    async def bundle(
        job_id: Annotated[str, Path(max_length=64)], p: Principal = page("evidence.export")
    ) -> Response:
        path = evidence.export_file(c, p, job_id)
        return FileResponse(path, media_type="application/zip", filename=path.name)

    # -- investigators -----------------------------------------------------------------
    @r.get("/investigator")
    async def investigator(request: Request, p: Principal = page("cases.write")) -> Response:
        mine = [k for k in await people.cases(c) if k["investigator"] == p.name]
        return render(request, "investigator.html", cases=mine,
                      requests=await people.requests(c, None, p))

    @r.post("/cases")
    async def open_case(
        reference: Annotated[str, Form(max_length=200)] = "",
        title: Annotated[str, Form(max_length=200)] = "",
        supervisor: Annotated[str, Form(max_length=64)] = "",
        p: Principal = form("cases.write"),
    ) -> Response:
        await people.open_case(c, p, reference, title, supervisor, None)
        return see("/investigator")

    @r.post("/cases/{reference}/authorize")
    async def authorize(
        reference: Ref,
        kind: Annotated[str, Form(max_length=20)] = "",
        authority: Annotated[str, Form(max_length=200)] = "",
        document: Annotated[str, Form(max_length=200)] = "",
        valid_until: Annotated[str, Form(max_length=40)] = "",
        scope: Annotated[str, Form(max_length=4000)] = "",
        p: Principal = form("cases.write"),
    ) -> Response:
        try:
            until = datetime.fromisoformat(valid_until)
        except ValueError:
            raise Invalid(f"valid until must be a date (2026-06-30), not {valid_until!r}") from None
        until = until.replace(tzinfo=UTC) if until.tzinfo is None else until
        await people.authorize(
            c, p, reference, kind=kind, authority=authority, document=document,
            valid_from=c.clock(), valid_until=until, scope=scope.replace(",", " ").split(),
            why=None,
        )
        return see("/investigator")

    @r.post("/cases/{reference}/request")
    async def request_watch(
        reference: Ref, target: Annotated[str, Form(max_length=200)] = "",
        reason: Annotated[str, Form(max_length=4000)] = "",
        p: Principal = form("requests.create"),
    ) -> Response:
        await people.request_watch(c, p, reference, target, reason)
        return see("/investigator")

    # -- admins -------------------------------------------------------------------------
    @r.get("/admin")
    async def admin(request: Request, p: Principal = page("users.admin")) -> Response:
        return render(
            request, "admin.html", users=await people.users(c),
            accounts=await people.accounts(c), banks=await evidence.banks(c),
            formats=("auto", *c.services.bank_formats),
            jobs=[j.view(c.clock()) for j in c.jobs.mine(p.name)],
        )

    @r.post("/admin/users")
    async def add_user(
        username: Annotated[str, Form(max_length=64)] = "",
        roles: Annotated[list[str] | None, Form()] = None,
        password: Annotated[str, Form(max_length=1024)] = "",
        p: Principal = form("users.admin"),
    ) -> Response:
        await people.add_user(c, p, username, roles or [], password, "added in the console")
        return see("/admin")

    for verb in ("disable", "enable"):
        def user_switch(active: bool = verb == "enable") -> Any:
            async def switch(
                username: Annotated[str, Path(max_length=64)],
                p: Principal = form("users.admin"),
            ) -> Response:
                await people.set_active(c, p, username, active, "in the console")
                return see("/admin")
            return switch

        r.add_api_route(f"/admin/users/{{username}}/{verb}", user_switch(), methods=["POST"],
                        name=f"admin_user_{verb}")

    @r.post("/admin/banks/import")
    async def bank_import(
        file: Annotated[UploadFile, File()],
        bank: Annotated[str, Form(max_length=64)] = "",
        format: Annotated[str, Form(max_length=20)] = "auto",
        skip_invalid: Annotated[str | None, Form(max_length=5)] = None,
        threshold: Annotated[str, Form(max_length=5)] = "",
        p: Principal = form("banks.import"),
    ) -> Response:
        data = await file.read(c.config.max_upload_bytes + 1)
        if len(data) > c.config.max_upload_bytes:
            raise Invalid(f"the bank file is larger than {c.config.max_upload_bytes} bytes")
        try:
            wanted = int(threshold) if threshold.strip() else None
        except ValueError:
            raise Invalid(f"threshold must be a number 0..256, not {threshold!r}") from None
        job = evidence.start_import(c, p, bank, data, format, skip_invalid=bool(skip_invalid),
                                    threshold=wanted, replace=False)
        return see(f"/jobs/{job['id']}")

    return r
