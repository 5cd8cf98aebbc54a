"""Every exception a route can meet, mapped to ONE HTTP status in ONE table.

The categories are those of the error vocabulary (DESIGN: invalid input, not
found, refused, conflict) plus the web's own two: not signed in (401) and too
many wrong passwords (429). Until ``storage.errors`` has the category classes,
the table is keyed by the existing exception classes; the access layer's
refusals are named by :class:`~.services.ConsoleServices`. The first row whose
class matches wins, so subclasses come before their bases.
"""

from __future__ import annotations

from dataclasses import dataclass

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


def status_table(
    refused: tuple[type[Exception], ...] = (), policy: tuple[type[Exception], ...] = ()
) -> tuple[tuple[type[BaseException], Category], ...]:
    """The table: exception class -> category (first match wins)."""
    return (
        (Unauthenticated, UNAUTHENTICATED),
        (Locked, LOCKED),
        (Forbidden, REFUSED),
        (Missing, NOT_FOUND),
        (Invalid, INVALID),
        *((cls, REFUSED) for cls in refused),  # AccessDenied: identity or role
        (DecisionRefused, REFUSED),  # someone else's claim
        *((cls, REFUSED) for cls in policy),  # PolicyViolation: a lawful-use rule
        (NotFound, NOT_FOUND),
        (IllegalTransition, CONFLICT),  # decided already, or lost the race
        (LookupError, NOT_FOUND),
        (ValueError, INVALID),
    )


def categorize(
    exc: BaseException, table: tuple[tuple[type[BaseException], Category], ...]
) -> Category | None:
    for cls, category in table:
        if isinstance(exc, cls):
            return category
    return None
