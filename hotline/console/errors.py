"""Every exception a route can meet, mapped to ONE HTTP status.

The statuses of the error vocabulary's categories (invalid input 422, not found
404, refused 403, conflict 409, a failure of the system 503) come from the web's
one table, :data:`hotline.http_errors.HTTP_STATUS`; the console adds only its
own two: not signed in (401) and too many wrong passwords (429). The refusals
the console itself decides (identity, role, CSRF, input) are classes of those
categories.
"""

from __future__ import annotations

from dataclasses import dataclass

from hotline.http_errors import http_status
from storage.errors import ChanwatchError, InvalidInput, NotFound, Refused


class Unauthenticated(Refused):
    """No session or token, or an expired, revoked or unknown one."""


class Forbidden(Refused):
    """Signed in, but the role, the CSRF token or the rule says no."""


class Locked(Refused):
    """Too many wrong passwords: the username is locked for a while."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Missing(NotFound):
    """No such alert, case, request, job... (the console looked it up)."""


class Invalid(InvalidInput, ValueError):
    """The request's input is malformed (type, range, size)."""


@dataclass(frozen=True, slots=True)
class Category:
    status: int
    title: str  # the category's name in a JSON error body


UNAUTHENTICATED = Category(401, "not signed in")
REFUSED = Category(403, "refused")
NOT_FOUND = Category(404, "not found")
CONFLICT = Category(409, "conflict")
INVALID = Category(422, "invalid input")
LOCKED = Category(429, "locked")


UNAVAILABLE = Category(503, "failed")
_BY_STATUS = {c.status: c for c in (REFUSED, NOT_FOUND, CONFLICT, INVALID, UNAVAILABLE)}


def categorize(exc: BaseException) -> Category | None:
    """The category of ``exc``; None for an exception outside the vocabulary (a
    bug: the caller answers 500 without its text)."""
    if isinstance(exc, Unauthenticated):
        return UNAUTHENTICATED
    if isinstance(exc, Locked):
        return LOCKED
    if isinstance(exc, ChanwatchError):
        return _BY_STATUS[http_status(exc)]
    if isinstance(exc, LookupError):
        return NOT_FOUND
    if isinstance(exc, ValueError):  # input a library refused (a date, a number)
        return INVALID
    return None
