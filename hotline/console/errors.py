"""Every exception a route can meet, mapped to ONE HTTP status in ONE table.

The categories are those of the error vocabulary (DESIGN: invalid input, not
found, refused, conflict) plus the web's own two: not signed in (401) and too
many wrong passwords (429). Until ``storage.errors`` has the category classes,
the table is keyed by the existing exception classes (switching to the
categories changes this table only). The first row whose class matches wins,
so subclasses come before their bases.
"""

from __future__ import annotations

from dataclasses import dataclass

from access.roles import AccessDenied, PolicyViolation
from hotline.queue import DecisionRefused
from storage.errors import IllegalTransition, NotFound


class ConsoleError(Exception):
    """A refusal the console itself decides (identity, role, CSRF, input)."""


class Unauthenticated(ConsoleError):
    """No session or token, or an expired, revoked or unknown one."""


class Forbidden(ConsoleError):
    """Signed in, but the role, the CSRF token or the rule says no."""


class Locked(ConsoleError):
    """Too many wrong passwords: the username is locked for a while."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Missing(ConsoleError, LookupError):
    """No such alert, case, request, job... (the console looked it up)."""


class Invalid(ConsoleError, ValueError):
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


#: The table: exception class -> category (first match wins).
TABLE: tuple[tuple[type[BaseException], Category], ...] = (
    (Unauthenticated, UNAUTHENTICATED),
    (Locked, LOCKED),
    (Forbidden, REFUSED),
    (Missing, NOT_FOUND),
    (Invalid, INVALID),
    (AccessDenied, REFUSED),  # identity or role, checked again by the access layer
    (DecisionRefused, REFUSED),  # someone else's claim, a decision without a note
    (PolicyViolation, REFUSED),  # a lawful-use rule (self-approval, limits, scope)
    (NotFound, NOT_FOUND),
    (IllegalTransition, CONFLICT),  # decided already, or lost the race
    (LookupError, NOT_FOUND),
    (ValueError, INVALID),
)


def categorize(exc: BaseException) -> Category | None:
    for cls, category in TABLE:
        if isinstance(exc, cls):
            return category
    return None
