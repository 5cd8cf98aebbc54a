"""The console's ASGI app: :func:`build_app` (``chanwatch web`` serves it with
uvicorn).

* Every response carries a strict Content-Security-Policy (scripts, styles and
  connections from this origin only; no inline script), ``X-Frame-Options:
  DENY``, ``nosniff``, no referrer, and ``Cache-Control: no-store`` (every page
  but the static files shows case data).
* Every exception a route meets is answered with the status of its category
  (:mod:`.errors`, one table) and a message that says what was wrong; every
  such refusal is audited (``access.refused``, as the CLI's) with who, which
  route and why. Anything else is a 500, logged.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.resources import files
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hotline.console import api, pages
from hotline.console.config import ConsoleConfig
from hotline.console.errors import INVALID, Category, Locked, categorize
from hotline.console.guard import command
from hotline.console.live import LiveFeed
from hotline.console.metrics import CONTENT_TYPE, REQUEST_SECONDS, REQUESTS, render
from hotline.console.services import ConsoleServices
from hotline.console.state import Console
from storage.errors import ChanwatchError

log = structlog.get_logger(__name__)

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
)
OPENAPI = "/api/v1/openapi.json"


class SecurityHeaders:
    """Pure ASGI (streams pass through untouched): the headers above on every
    response, ``no-store`` on all but ``/static``, and request metrics."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")
        started = time.perf_counter()
        status = 500

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [h for h in message.get("headers", []) if h[0] != b"cache-control"]
                headers.extend(HEADERS)
                headers.append((b"cache-control", b"public, max-age=3600" if static
                                else b"no-store"))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            route = getattr(scope.get("route"), "path", None) or (
                "/static" if static else "unmatched")
            REQUESTS.labels(scope["method"], route, str(status)).inc()
            REQUEST_SECONDS.labels(route).observe(time.perf_counter() - started)


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


async def _refused(request: Request, category: Category, message: str) -> Response:
    c: Console = request.app.state.console
    principal = getattr(request.state, "principal", None)
    actor = principal.name if principal is not None else "unknown"
    try:
        await c.services.users.refuse(actor, command(request), f"{category.status}: {message}")
    except Exception:  # the answer still goes out; the failure is logged
        log.exception("console_refusal_not_audited", actor=actor, path=request.url.path)
    if _is_api(request):
        return JSONResponse(
            {"error": category.title, "status": category.status, "detail": message},
            status_code=category.status,
        )
    return pages.error_page(request, category, message)


async def on_error(request: Request, exc: Exception) -> Response:
    c: Console = request.app.state.console
    category = categorize(exc)
    if category is None:  # a bug: logged with its traceback, its text never shown
        incident = secrets.token_hex(4)
        log.error("console_failed", path=request.url.path, incident=incident,
                  error=type(exc).__name__, exc_info=exc)
        detail = f"chanwatch did not expect this error; it is logged under incident {incident}"
        if _is_api(request):
            return JSONResponse({"error": "internal error", "status": 500, "detail": detail},
                                500)
        return PlainTextResponse(detail, 500)
    if category.status == 503:  # a failure of the system (database, peer): no refusal
        log.error("console_failed", path=request.url.path, error=str(exc))
        if _is_api(request):
            return JSONResponse({"error": category.title, "status": 503, "detail": str(exc)},
                                503)
        return PlainTextResponse(f"failed: {exc}", 503)
    response = await _refused(request, category, str(exc) or category.title)
    if isinstance(exc, Locked):
        response.headers["retry-after"] = str(exc.retry_after)
    if category.status == 401 and not _is_api(request):
        response.delete_cookie(c.signin.cookie_name, path="/")
    return response


async def on_invalid(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = []
    for err in exc.errors()[:10]:
        where = ".".join(str(x) for x in err.get("loc", ()))
        problems.append(f"{where}: {err.get('msg')}")
    return await _refused(request, INVALID, "; ".join(problems) or "invalid input")


def build_app(services: ConsoleServices, config: ConsoleConfig) -> FastAPI:
    """The console on ``services`` (the wiring's) with ``config``."""
    c = Console.build(services, config)
    live = LiveFeed(services.store, config.live_interval)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await live.close()

    app = FastAPI(
        title="chanwatch console API",
        version="1",
        description="The hotline console's JSON API. Authenticate with a personal token "
        "(`chanwatch user token`): `Authorization: Bearer <token>`. Errors are "
        '`{"error": category, "status": N, "detail": message}`.',
        openapi_url=OPENAPI, docs_url=None, redoc_url=None, lifespan=lifespan,
    )
    app.state.console = c
    app.state.live = live
    handled: tuple[type[Exception], ...] = (ChanwatchError, ValueError, LookupError)
    for cls in handled:
        app.add_exception_handler(cls, on_error)
    app.add_exception_handler(RequestValidationError, on_invalid)
    app.include_router(api.router(c))
    app.include_router(pages.router(c, live))
    static = files("hotline.console").joinpath("static")
    app.mount("/static", StaticFiles(directory=str(static)), name="static")

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, Any]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> Response:
        try:
            size = await services.store.snapshot(lambda tx: tx.ledger.size())
        except Exception as exc:  # noqa: BLE001 - not ready, whatever the cause
            return JSONResponse({"status": "not ready", "detail": str(exc)}, 503)
        return JSONResponse({"status": "ready", "ledger_records": size})

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(await render(services.store, c.clock()), media_type=CONTENT_TYPE)

    app.add_middleware(SecurityHeaders)
    return app
