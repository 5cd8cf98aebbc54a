"""Helpers for the console tests: a real SQLite store, the console's own wiring
(monitor.console_wiring), users of every role with passwords and tokens, an
ASGI client that signs in like a browser (cookie, CSRF token from the page)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from clocks import TestClock
from fastapi import FastAPI

from access.credentials import fast_hasher
from hotline.console.app import build_app
from hotline.console.services import ConsoleServices
from monitor.console_wiring import console_config, console_services
from monitor.settings import (
    DatabaseSettings,
    LedgerSettings,
    Settings,
    WebSettings,
)
from storage.ledger.keys import ensure_signing_key
from storage.sqlite import SQLiteStore

PASSWORD = "correct horse battery staple"
#: username -> roles
PEOPLE: dict[str, tuple[str, ...]] = {
    "root": ("admin",),
    "olga": ("operator",),
    "otto": ("operator",),
    "sue": ("supervisor", "operator"),
    "sam": ("supervisor",),
    "ivan": ("investigator",),
}
ROLES = ("operator", "supervisor", "investigator", "admin")
BASE = "http://console.test"


def settings_for(tmp: Path, **web: Any) -> Settings:
    return Settings(
        database=DatabaseSettings(path=tmp / "console.db"),
        ledger=LedgerSettings(signing_key_file=tmp / "ledger.key", origin="test.local/ledger"),
        web=WebSettings(**{"cookie_secure": False, "export_dir": tmp / "exports", **web}),
    )


@dataclass
class Env:
    store: SQLiteStore
    settings: Settings
    services: ConsoleServices
    app: FastAPI
    clock: TestClock
    tokens: dict[str, str] = field(default_factory=dict)

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url=BASE)

    def api(self, user: str | None) -> httpx.AsyncClient:
        client = self.client()
        if user is not None:
            client.headers["authorization"] = f"Bearer {self.tokens[user]}"
        return client

    async def audit(self, action: str | None = None) -> list[Any]:
        rows = await self.store.list_audit(limit=10_000)
        return [r for r in rows if action is None or r.action == action]


async def make_env(tmp: Path, clock: TestClock, **web: Any) -> Env:
    settings = settings_for(tmp, **web)
    ensure_signing_key(settings.ledger.signing_key_file, settings.ledger.origin)
    store = SQLiteStore(settings.database.path, clock=clock)
    await store.open()
    services = console_services(store, settings, clock=clock, hasher=fast_hasher())
    env = Env(store, settings, services, build_app(services, console_config(settings)), clock)
    users = services.users
    first = True
    for name, roles in PEOPLE.items():
        if first:
            await users.init_admin(name, PASSWORD)  # type: ignore[attr-defined]
            first = False
        else:
            await users.add("root", name, roles, PASSWORD, "test")
        issued = await users.issue_token(name, "test")  # type: ignore[attr-defined]
        env.tokens[name] = issued.token
    return env


_CSRF = re.compile(r'name="(login_csrf|csrf)" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = _CSRF.findall(html)
    assert found, "no CSRF token on the page"
    return str(found[-1][1])


@dataclass
class Browser:
    """An ASGI client signed in as one user, with the session's CSRF token."""

    http: httpx.AsyncClient
    csrf: str

    async def post(self, url: str, data: dict[str, Any] | None = None,
                   csrf: str | None = "default", **kw: Any) -> httpx.Response:
        form = dict(data or {})
        if csrf == "default":
            form["csrf"] = self.csrf
        elif csrf is not None:
            form["csrf"] = csrf
        return await self.http.post(url, data=form, **kw)


async def sign_in(env: Env, user: str, password: str = PASSWORD) -> Browser:
    http = env.client()
    page = await http.get("/login")
    answer = await http.post("/login", data={
        "username": user, "password": password, "login_csrf": csrf_of(page.text)})
    assert answer.status_code == 303, answer.text
    home = await http.get(answer.headers["location"])
    assert home.status_code == 200, home.text
    return Browser(http, csrf_of(home.text))


async def lawful_case(env: Env, target: str = "@bad_channel") -> int:
    """ivan opens K-1 (supervisor sam) with a court order for ``target`` and
    requests a watch; returns the request's id (not yet decided)."""
    s = env.services
    await s.cases.open("ivan", "K-1", "Market channel", "sam")
    now = env.clock()
    await s.cases.authorize("ivan", "K-1", kind="court", authority="AG Test", document="Gs 1/26",
                            valid_from=now, valid_until=now + timedelta(days=30), scope=[target])
    request = await s.requests.request_watch("ivan", "K-1", target, "offers material")
    return request.id
