"""Who is asking: server-side sessions for the pages, personal tokens for the API.

* **Sessions.** Signing in with username and password (Argon2id, checked by the
  access layer) creates a random 256-bit session id; the cookie holds it, the
  database only its SHA-256 (migration 0010), with a CSRF token, the absolute
  end (``session_lifetime``) and the last request (``idle_timeout``). Every
  request reads the session and the user again: a logout, an expiry or a
  disabled user ends it at once (a disabled user's sessions are revoked).
  The cookie is ``HttpOnly``, ``SameSite=Strict`` and, unless switched off
  for plain-HTTP loopback, ``Secure`` with the ``__Host-`` prefix.
* **CSRF.** Every form carries the session's token; a POST without it, or with
  another, is refused (403) and audited.
* **Back-off.** ``max_failures`` wrong passwords for one username within
  ``failure_window`` lock it for ``lockout``, doubled at each further lockout
  up to ``lockout_max``; a locked username is refused (429, ``Retry-After``)
  without its password being checked. The lock is audited here; every
  refusal (this one too) by the app's error handler (:mod:`.app`). A
  successful sign-in clears the count.
* **Tokens.** ``Authorization: Bearer cwt_...``: the user's personal API token
  (``chanwatch user token``), checked by the access layer (unknown or revoked
  tokens are audited there).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

import structlog

from access.roles import AccessDenied
from hotline.console.config import ConsoleConfig
from hotline.console.errors import Forbidden, Locked, Unauthenticated
from hotline.console.services import ConsoleServices
from storage.access_models import User
from storage.changes import audited
from storage.repos import Transaction
from storage.repos.console import SigninFailures, WebSession

log = structlog.get_logger(__name__)

SECURE_COOKIE = "__Host-chanwatch"
PLAIN_COOKIE = "chanwatch_session"
#: A session's last request is written at most this often.
TOUCH_EVERY = timedelta(seconds=60)
MAX_USERNAME = 64
MAX_PASSWORD = 1024


def digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Principal:
    """The signed-in user of one request and how they proved it."""

    user: User
    via: Literal["session", "token"]
    session: WebSession | None = None

    @property
    def name(self) -> str:
        return self.user.username

    def has(self, *roles: str) -> bool:
        return any(r in self.user.roles for r in roles)


class Signin:
    def __init__(
        self, services: ConsoleServices, config: ConsoleConfig, clock: Callable[[], datetime]
    ) -> None:
        self._s = services
        self._config = config
        self._clock = clock

    @property
    def cookie_name(self) -> str:
        return SECURE_COOKIE if self._config.cookie_secure else PLAIN_COOKIE

    # -- password sign-in -----------------------------------------------------------
    async def sign_in(self, username: str, password: str) -> tuple[str, WebSession]:
        """(session id for the cookie, the stored session); Locked or Unauthenticated."""
        name = username.strip().lower()[:MAX_USERNAME]
        if not name or not password or len(password) > MAX_PASSWORD:
            raise Unauthenticated("give a username and a password")
        now = self._clock()
        state = await self._s.store.snapshot(lambda tx: tx.web_sessions.failures(name))
        if state is not None and state.locked_until is not None and state.locked_until > now:
            wait = math.ceil((state.locked_until - now).total_seconds())
            raise Locked(
                f"too many wrong passwords: sign-in for {name!r} is locked for {wait} more "
                "seconds", wait,
            )
        try:
            user = await self._s.users.by_password(name, password)
        except AccessDenied:
            locked = await self._s.store.transaction(lambda tx: self._failed(tx, name))
            if locked is not None:
                wait = math.ceil((locked - now).total_seconds())
                raise Locked(
                    f"wrong username or password; too many wrong passwords: sign-in for {name!r}"
                    f" is locked for {wait} seconds", wait,
                ) from None
            raise Unauthenticated("wrong username or password") from None
        session_id = secrets.token_urlsafe(32)
        session = WebSession(
            digest=digest(session_id), username=user.username,
            csrf_token=secrets.token_urlsafe(32), created_at=now, last_seen=now,
            expires_at=now + self._config.session_lifetime,
        )

        async def create(tx: Transaction) -> None:
            await tx.web_sessions.clear_failures(user.username)
            await tx.web_sessions.create(session)

        await self._s.store.transaction(create)
        await self._s.users.logged_in(user.username, "password", "web sign-in")
        log.info("web_signed_in", user=user.username)
        return session_id, session

    async def _failed(self, tx: Transaction, name: str) -> datetime | None:
        """Count one wrong password; the lock's end when this one locks the name."""
        cfg, now = self._config, tx.now
        state = await tx.web_sessions.failures(name)
        if state is None or now - state.first_at > cfg.failure_window:
            lockouts = 0 if state is None else state.lockouts
            state = SigninFailures(name, 0, lockouts, now, now)
        state = replace(state, failures=state.failures + 1, last_at=now, locked_until=None)
        until = None
        if state.failures >= cfg.max_failures:
            length = min(cfg.lockout * (2 ** min(state.lockouts, 20)), cfg.lockout_max)
            until = now + length
            await audited(
                tx, actor="service:console", action="auth.lockout", subject=f"user:{name}",
                after={"failures": state.failures, "locked_until": until,
                       "lockout": state.lockouts + 1},
                why=f"{state.failures} wrong passwords within {cfg.failure_window}",
            )
            state = SigninFailures(name, 0, state.lockouts + 1, now, now, until)
        await tx.web_sessions.set_failures(state)
        return until

    async def sign_out(self, principal: Principal) -> None:
        session = principal.session
        if session is None:
            return

        async def end(tx: Transaction) -> None:
            if await tx.web_sessions.revoke(session.digest, tx.now, "logout"):
                await audited(tx, actor=principal.name, action="auth.logout",
                              subject=f"user:{principal.name}", after={"via": "web"})

        await self._s.store.transaction(end)

    # -- each request -----------------------------------------------------------------
    async def from_session(self, session_id: str) -> Principal:
        now = self._clock()
        key = digest(session_id)
        session = await self._s.store.snapshot(lambda tx: tx.web_sessions.get(key))
        why = None
        if session is None:
            why = "unknown session"
        elif session.revoked_at is not None:
            why = f"session ended ({session.revoke_reason})"
        elif now >= session.expires_at:
            why = "session expired"
        elif now - session.last_seen > self._config.idle_timeout:
            why = "session idle for too long"
        if session is None or why is not None:
            raise Unauthenticated(f"{why}: sign in again")
        user = await self._s.users.get(session.username)
        if user is None or not user.active:
            await self._s.store.transaction(
                lambda tx: tx.web_sessions.revoke_user(session.username, tx.now, "user disabled")
            )
            raise Unauthenticated(f"user {session.username!r} is disabled")
        if now - session.last_seen >= TOUCH_EVERY:
            await self._s.store.transaction(lambda tx: tx.web_sessions.touch(key, tx.now))
        return Principal(user, "session", session)

    async def from_token(self, token: str) -> Principal:
        try:
            user = await self._s.users.by_token(token)  # audits an unknown token
        except AccessDenied as exc:
            raise Unauthenticated(str(exc).removeprefix("refused: ")) from None
        return Principal(user, "token")

    def check_csrf(self, principal: Principal, given: str | None) -> None:
        """A form's CSRF token must be the session's (token requests carry none)."""
        session = principal.session
        if session is None:
            return
        if not given or not hmac.compare_digest(given.encode(), session.csrf_token.encode()):
            why = "CSRF token missing" if not given else "CSRF token wrong"
            raise Forbidden(f"{why}: reload the page and try again")
