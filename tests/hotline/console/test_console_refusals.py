"""Every route, tried by each wrong role, without a session or token, with an
expired session, a missing or wrong CSRF token, malformed input and unknown
ids: the right status (401/403/404/422) with a clear message, nothing changed,
the refusal audited."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from console_support import PEOPLE, Env, sign_in
from hotline_support import make_alert
from routes_table import API, OPEN, PAGES, Route
from starlette.routing import Mount

from storage.sqlite import SQLiteStore


async def fingerprint(env: Env) -> tuple[Any, ...]:
    """What a refused request must not change (the audit trail and ledger grow)."""
    s = env.services
    store: SQLiteStore = env.store
    return (
        [(a.id, a.state, a.claimed_by) for a in await store.list_alerts()],
        [(r.id, r.state) for r in await s.requests.list()],
        [(u.username, u.active, u.roles) for u in await s.users.all()],
        [k.reference for k in await s.cases.all()],
        [(a.id, a.revoked_at) for a in await s.cases.authorizations()],
        [(b.name, b.entries) for b in await store.list_banks()],
        await store.snapshot(lambda tx: tx.alert_pages.count(
            __import__("storage.repos.console", fromlist=["QueueFilter"]).QueueFilter(
                states=("open", "claimed", "confirmed", "dismissed")))),
    )


async def setup(env: Env) -> dict[str, str]:
    from console_support import lawful_case

    alert = await make_alert(env.store, 1)
    request_id = await lawful_case(env)
    authz = (await env.services.cases.authorizations())[0]
    return {"alert_id": str(alert.id), "media_id": str(alert.matches[0]["media_id"]),
            "request_id": str(request_id), "reference": "K-1", "authz_id": str(authz.id),
            "username": "otto", "job_id": "nojob", "bank": "demo"}


def wrong_users(route: Route) -> list[str]:
    return [u for u, roles in PEOPLE.items() if not set(roles) & set(route.roles)]


async def refused_rows(env: Env) -> int:
    return len(await env.audit("access.refused"))


def _flat(routes: list[Any]) -> list[Any]:
    """The app's routes, with included routers opened up (FastAPI includes lazily)."""
    out = []
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            out.extend(_flat(inner.routes))  # their paths carry the prefix
        elif not isinstance(route, Mount):
            out.append(_Seen(route.path, getattr(route, "methods", None)))
    return out


class _Seen:
    def __init__(self, path: str, methods: Any) -> None:
        self.path, self.methods = path, methods


def test_the_table_names_every_route(env: Env) -> None:
    declared = {(r.method, r.path) for r in (*API, *PAGES)}
    app_routes = set()
    for route in _flat(env.app.routes):
        for method in getattr(route, "methods", ()) or ():
            if method != "HEAD" and route.path not in OPEN:
                app_routes.add((method, route.path))
    assert app_routes == declared


async def test_api_wrong_role_is_403_audited_and_changes_nothing(env: Env) -> None:
    ids = await setup(env)
    before = await fingerprint(env)
    for route in API:
        for user in wrong_users(route):
            count = await refused_rows(env)
            async with env.api(user) as api:
                r = await api.request(route.method, route.url(ids), json=route.body)
            where = f"{route.method} {route.path} as {user}"
            assert r.status_code == 403, f"{where}: {r.status_code} {r.text}"
            body = r.json()
            assert body["error"] == "refused" and "lacks the role" in body["detail"], where
            rows = await env.audit("access.refused")
            assert len(rows) == count + 1, where
            assert rows[0].actor == user and route.path in rows[0].subject, where
    assert await fingerprint(env) == before


async def test_api_without_token_or_with_a_bad_one_is_401(env: Env) -> None:
    ids = await setup(env)
    before = await fingerprint(env)
    for route in API:
        for header in (None, "Bearer cwt_not-a-token", "Basic abc"):
            count = await refused_rows(env)
            async with env.api(None) as api:
                headers = {"authorization": header} if header else {}
                r = await api.request(route.method, route.url(ids), json=route.body,
                                      headers=headers)
            where = f"{route.method} {route.path} with {header}"
            assert r.status_code == 401, f"{where}: {r.status_code} {r.text}"
            assert r.json()["error"] == "not signed in", where
            assert await refused_rows(env) == count + 1, where
    assert await fingerprint(env) == before


async def test_pages_wrong_role_no_session_expired_session_and_csrf(env: Env) -> None:
    ids = await setup(env)
    before = await fingerprint(env)
    browsers = {u: await sign_in(env, u) for u in PEOPLE}
    anonymous = env.client()
    for route in PAGES:
        url = route.url(ids)
        # no session: 401 (the sign-in form), audited
        count = await refused_rows(env)
        r = await anonymous.request(route.method, url, data=route.body)
        assert r.status_code == 401, f"anonymous {route.method} {url}: {r.status_code}"
        assert 'name="login_csrf"' in r.text
        assert await refused_rows(env) == count + 1
        for user in wrong_users(route):
            b = browsers[user]
            count = await refused_rows(env)
            if route.method == "GET":
                r = await b.http.get(url)
            else:
                r = await b.post(url, route.body)
            where = f"{route.method} {url} as {user}"
            assert r.status_code == 403, f"{where}: {r.status_code}"
            assert "lacks the role" in r.text and "Nothing was changed" in r.text, where
            assert await refused_rows(env) == count + 1, where
        if route.method == "POST":
            allowed = next(u for u, roles in PEOPLE.items() if set(roles) & set(route.roles))
            b = browsers[allowed]
            for token, why in ((None, "CSRF token missing"), ("forged" * 8, "CSRF token wrong")):
                count = await refused_rows(env)
                r = await b.post(url, route.body, csrf=token)
                assert r.status_code == 403, f"{route.path} {why}: {r.status_code}"
                assert why in r.text
                rows = await env.audit("access.refused")
                assert len(rows) == count + 1 and why in (rows[0].why or "")
    assert await fingerprint(env) == before
    # an expired session: 401 on every page, audited
    name = env.app.state.console.signin.cookie_name
    cookie = browsers["sue"].http.cookies[name]
    env.clock.advance(timedelta(hours=9))
    for route in PAGES:
        count = await refused_rows(env)
        async with env.client() as http:
            http.cookies.set(name, cookie)
            data = {**(route.body or {}), "csrf": browsers["sue"].csrf}
            r = await (http.get(route.url(ids)) if route.method == "GET"
                       else http.post(route.url(ids), data=data))
        assert r.status_code == 401, route.path
        assert "session expired: sign in again" in r.text
        assert await refused_rows(env) == count + 1
    assert await fingerprint(env) == before


async def test_unknown_ids_are_404(env: Env) -> None:
    await setup(env)
    cases = [
        ("olga", "GET", "/api/v1/alerts/999", None),
        ("olga", "GET", "/api/v1/alerts/999/text", None),
        ("olga", "POST", "/api/v1/alerts/999/claim", {}),
        ("olga", "POST", "/api/v1/alerts/999/confirm", {"note": "n"}),
        ("olga", "GET", "/api/v1/media/999/spread", None),
        ("sam", "POST", "/api/v1/requests/999/approve", {}),
        ("sam", "POST", "/api/v1/requests/999/refuse", {"note": "n"}),
        ("sam", "GET", "/api/v1/cases/NOPE", None),
        ("sam", "POST", "/api/v1/cases/NOPE/export", None),
        ("sam", "POST", "/api/v1/authorizations/999/revoke", {"reason": "r"}),
        ("sam", "GET", "/api/v1/jobs/nojob", None),
        ("sam", "GET", "/api/v1/jobs/nojob/bundle", None),
        ("ivan", "POST", "/api/v1/cases/NOPE/requests", {"target": "@some_channel", "reason": "r"}),
        ("ivan", "POST", "/api/v1/cases/NOPE/authorizations",
         {"kind": "court", "authority": "a", "document": "d", "scope": ["@some_channel"],
          "valid_until": "2099-01-01T00:00:00Z"}),
        ("root", "POST", "/api/v1/users/nobody/disable", {}),
    ]
    before = await fingerprint(env)
    for user, method, url, body in cases:
        count = await refused_rows(env)
        async with env.api(user) as api:
            r = await api.request(method, url, json=body)
        assert r.status_code == 404, f"{method} {url}: {r.status_code} {r.text}"
        assert r.json()["error"] == "not found" and r.json()["detail"]
        assert await refused_rows(env) == count + 1, url
    assert await fingerprint(env) == before
    b = await sign_in(env, "sue")
    assert (await b.http.get("/alerts/999")).status_code == 404
    assert (await b.post("/alerts/999/claim", {})).status_code == 404


async def test_malformed_input_is_422(env: Env) -> None:
    ids = await setup(env)
    huge = "x" * 5000
    cases = [
        ("olga", "GET", "/api/v1/alerts/abc", None),
        ("olga", "GET", f"/api/v1/alerts/{2**70}", None),
        ("olga", "GET", "/api/v1/alerts/-1", None),
        ("olga", "GET", "/api/v1/queue?limit=0", None),
        ("olga", "GET", "/api/v1/queue?limit=100000000", None),
        ("olga", "GET", "/api/v1/queue?state=burnt", None),
        ("olga", "GET", "/api/v1/queue?after=garbage", None),
        ("olga", "GET", "/api/v1/queue?channel=many", None),
        ("olga", "POST", f"/api/v1/alerts/{ids['alert_id']}/confirm", {}),
        ("olga", "POST", f"/api/v1/alerts/{ids['alert_id']}/confirm", {"note": 123}),
        ("olga", "POST", f"/api/v1/alerts/{ids['alert_id']}/confirm", {"note": huge}),
        ("olga", "POST", f"/api/v1/alerts/{ids['alert_id']}/confirm", {"note": "n", "x": 1}),
        ("olga", "POST", f"/api/v1/alerts/{ids['alert_id']}/dismiss", {"note": ""}),
        ("sam", "GET", "/api/v1/requests?state=maybe", None),
        ("ivan", "POST", "/api/v1/cases", {"reference": "K-2"}),
        ("ivan", "POST", "/api/v1/cases/K-1/authorizations",
         {"kind": "magic", "authority": "a", "document": "d", "scope": ["@some_channel"],
          "valid_until": "2099-01-01T00:00:00Z"}),
        ("ivan", "POST", "/api/v1/cases/K-1/authorizations",
         {"kind": "court", "authority": "a", "document": "d", "scope": [],
          "valid_until": "not a time"}),
        ("root", "POST", "/api/v1/users", {"username": "x", "roles": ["king"], "password": "p"}),
        ("root", "POST", "/api/v1/banks/demo/import", {"content": "x", "threshold": 999}),
        ("root", "POST", "/api/v1/banks/demo/import", {"content": "x", "format": "weird"}),
    ]
    before = await fingerprint(env)
    for user, method, url, body in cases:
        count = await refused_rows(env)
        async with env.api(user) as api:
            r = await api.request(method, url, json=body)
        assert r.status_code == 422, f"{method} {url} {body!r:.80}: {r.status_code} {r.text}"
        assert r.json()["error"] == "invalid input" and r.json()["detail"]
        assert await refused_rows(env) == count + 1, url
    assert await fingerprint(env) == before
    b = await sign_in(env, "olga")
    r = await b.post(f"/alerts/{ids['alert_id']}/confirm", {"note": ""})
    assert r.status_code == 403 and "needs a note" in r.text  # the queue's rule
    r = await b.http.get("/queue?channel=many")
    assert r.status_code == 422
