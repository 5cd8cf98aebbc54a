"""Signing in: sessions in the database, cookie flags, logout, expiry, a
disabled user's sessions ending, and the audited lockout after wrong passwords."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from clocks import TestClock
from console_support import PASSWORD, Env, csrf_of, make_env, sign_in

from hotline.console.signin import SECURE_COOKIE


async def try_password(env: Env, user: str, password: str) -> int:
    async with env.client() as http:
        page = await http.get("/login")
        r = await http.post("/login", data={"username": user, "password": password,
                                            "login_csrf": csrf_of(page.text)})
        return r.status_code


async def test_session_cookie_logout_and_audit(env: Env) -> None:
    b = await sign_in(env, "olga")
    cookie = next(c for c in b.http.cookies.jar if c.name == "chanwatch_session")
    assert cookie.has_nonstandard_attr("HttpOnly")
    assert cookie.get_nonstandard_attr("SameSite") in ("Strict", "strict")
    logins = await env.audit("auth.login")
    assert logins[0].actor == "olga" and "web sign-in" in (logins[0].after_json or "")
    r = await b.post("/logout", {})
    assert r.status_code == 303
    assert (await env.audit("auth.logout"))[0].actor == "olga"
    again = env.client()
    again.cookies.set("chanwatch_session", cookie.value or "")
    r = await again.get("/queue")
    assert r.status_code == 401 and "session ended (logout)" in r.text


async def test_secure_cookie_has_the_host_prefix(tmp_path: Path, clock: TestClock) -> None:
    env = await make_env(tmp_path, clock, cookie_secure=True)
    try:
        async with env.client() as http:
            page = await http.get("/login")
            r = await http.post("/login", data={"username": "olga", "password": PASSWORD,
                                                "login_csrf": csrf_of(page.text)})
            # the login form's cookie is Secure: over plain http the client does not send it
            set_cookie = page.headers.get_list("set-cookie")
            assert any("Secure" in c for c in set_cookie)
            assert r.status_code == 401
        env.app.state.console.config  # noqa: B018
        assert env.app.state.console.signin.cookie_name == SECURE_COOKIE
    finally:
        await env.store.close()


async def test_idle_and_lifetime_end_a_session(env: Env) -> None:
    b = await sign_in(env, "olga")
    env.clock.advance(timedelta(minutes=29))
    assert (await b.http.get("/queue")).status_code == 200  # touches the session
    env.clock.advance(timedelta(minutes=31))
    r = await b.http.get("/queue")
    assert r.status_code == 401 and "idle" in r.text


async def test_disabling_a_user_ends_their_sessions_at_once(env: Env) -> None:
    b = await sign_in(env, "otto")
    admin = await sign_in(env, "root")
    r = await admin.post("/admin/users/otto/disable", {})
    assert r.status_code == 303
    r = await b.http.get("/queue")
    assert r.status_code == 401 and "session ended (user disabled)" in r.text
    async with env.api("otto") as api:  # the access layer revoked the tokens too
        assert (await api.get("/api/v1/me")).status_code == 401


async def test_wrong_passwords_lock_the_username_with_back_off(env: Env) -> None:
    for _ in range(4):
        assert await try_password(env, "olga", "wrong password!") == 401
    assert not await env.audit("auth.lockout")
    assert await try_password(env, "olga", "wrong password!") == 429
    lock = await env.audit("auth.lockout")
    assert len(lock) == 1 and lock[0].subject == "user:olga"
    # locked: even the right password is refused, without being checked
    refused = len(await env.audit("auth.password_refused"))
    async with env.client() as http:
        page = await http.get("/login")
        r = await http.post("/login", data={"username": "olga", "password": PASSWORD,
                                            "login_csrf": csrf_of(page.text)})
    assert r.status_code == 429 and int(r.headers["retry-after"]) <= 60
    assert "locked" in r.text
    assert len(await env.audit("auth.password_refused")) == refused
    assert "locked" in ((await env.audit("access.refused"))[0].why or "")
    # the lock ends; the next lockout lasts twice as long
    env.clock.advance(timedelta(seconds=61))
    for _ in range(5):
        status = await try_password(env, "olga", "wrong password!")
    assert status == 429
    lock = await env.audit("auth.lockout")
    assert len(lock) == 2 and '"lockout":2' in (lock[0].after_json or "")
    env.clock.advance(timedelta(seconds=61))
    assert await try_password(env, "olga", PASSWORD) == 429  # 2 minutes this time
    env.clock.advance(timedelta(seconds=60))
    assert await try_password(env, "olga", PASSWORD) == 303
    state = await env.store.snapshot(lambda tx: tx.web_sessions.failures("olga"))
    assert state is None  # a success clears the count


async def test_sign_in_form_needs_its_own_csrf_cookie(env: Env) -> None:
    async with env.client() as http:
        r = await http.post("/login", data={"username": "olga", "password": PASSWORD,
                                            "login_csrf": "made-up"})
    assert r.status_code == 401 and "expired" in r.text
