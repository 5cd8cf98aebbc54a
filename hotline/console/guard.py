"""Which roles each thing needs, in ONE table, and the FastAPI dependencies that
check them before a route runs (so a request from the wrong person is refused
before its input is even read: 401 without a valid session or token, 403 for
a missing role or a bad CSRF token).

The rules of the access layer (``monitor.access``, later ``access``) check the
roles again inside the transaction that makes a change; the alert queue's
rules (:mod:`hotline.queue`) are checked there too. The roles here are the
CLI's (``alerts claim`` needs operator, ``watch approve`` supervisor...), so a
person may do the same things from both.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Final

from fastapi import Request

from hotline.console.errors import Forbidden, Unauthenticated
from hotline.console.signin import Principal, Signin

#: action -> the roles that may do it (any one of them).
ROLES: Final[dict[str, tuple[str, ...]]] = {
    "queue.read": ("operator", "supervisor"),
    "alert.decide": ("operator",),  # as `alerts claim|confirm|dismiss`; a supervisor
    # overrules someone else's claim when they are an operator too (hotline.queue)
    "alert.text": ("operator", "supervisor"),
    "media.spread": ("operator", "supervisor", "investigator"),
    "requests.read": ("supervisor", "investigator"),
    "requests.decide": ("supervisor",),
    "requests.create": ("investigator",),
    "cases.read": ("supervisor", "investigator"),
    "cases.write": ("investigator",),
    "authorization.revoke": ("supervisor",),
    "evidence.export": ("supervisor",),
    "ledger.read": ("supervisor", "admin"),
    "watches.read": ("supervisor", "investigator", "admin"),
    "users.admin": ("admin",),
    "accounts.read": ("admin",),
    "banks.read": ("admin", "supervisor", "operator"),
    "banks.import": ("admin",),
    "self": ("investigator", "supervisor", "operator", "admin"),
}

BEARER = "bearer "


def command(request: Request) -> str:
    """How the audit trail names a request: ``web POST /alerts/{alert_id}/claim``."""
    route = request.scope.get("route")
    path = getattr(route, "path", request.url.path)
    return f"web {request.method} {path}"


class Guard:
    def __init__(self, signin: Signin) -> None:
        self.signin = signin

    def _check_role(self, principal: Principal, action: str) -> None:
        roles = ROLES[action]
        if not principal.has(*roles):
            raise Forbidden(
                f"user {principal.name!r} lacks the role for this ({' or '.join(roles)}; "
                f"has: {', '.join(principal.user.roles) or 'none'})"
            )

    def api(self, action: str) -> Callable[[Request], Awaitable[Principal]]:
        """A JSON API route: a personal token (``Authorization: Bearer``)."""
        ROLES[action]  # an unknown action fails when the route is declared

        async def dependency(request: Request) -> Principal:
            header = request.headers.get("authorization", "")
            if not header.lower().startswith(BEARER) or not header[len(BEARER):].strip():
                raise Unauthenticated(
                    "this API needs a personal token: Authorization: Bearer <token> "
                    "(`chanwatch user token`)"
                )
            principal = await self.signin.from_token(header[len(BEARER):].strip())
            request.state.principal = principal
            self._check_role(principal, action)
            return principal

        return dependency

    def page(self, action: str, *, form: bool = False) -> Callable[[Request], Awaitable[Principal]]:
        """A page (GET) or a form (POST, ``form=True``: its CSRF token is checked)."""
        ROLES[action]

        async def dependency(request: Request) -> Principal:
            principal = await self.session(request)
            self._check_role(principal, action)
            if form:
                given = (await request.form()).get("csrf")
                self.signin.check_csrf(principal, given if isinstance(given, str) else None)
            return principal

        return dependency

    async def session(self, request: Request) -> Principal:
        session_id = request.cookies.get(self.signin.cookie_name)
        if not session_id:
            raise Unauthenticated("not signed in")
        principal = await self.signin.from_session(session_id)
        request.state.principal = principal
        return principal
