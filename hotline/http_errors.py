"""The web's table from the error vocabulary (:mod:`storage.errors`) to HTTP.

The console and the intake page answer every error with :func:`problem`: an RFC
9457 problem object whose status comes from the error's category through
:data:`HTTP_STATUS`, the one table, as the CLI's exit statuses come from
``monitor/cli/exits.py``. An exception outside the vocabulary is a bug: 500,
with a generic detail (its text may hold anything) and the incident id the
caller logs it under.
"""

from __future__ import annotations

from typing import Final

from storage.errors import (
    ChanwatchError,
    Conflict,
    InvalidInput,
    NotFound,
    Refused,
    lookup,
)

#: Category (or, for a failure, the root) -> HTTP status. The one table.
HTTP_STATUS: Final[dict[type[ChanwatchError], int]] = {
    InvalidInput: 422,  # Unprocessable Content: the request is well-formed, its content is not
    NotFound: 404,
    Refused: 403,
    Conflict: 409,
    ChanwatchError: 503,  # a failure of chanwatch or what it runs on (database, a peer)
}
INTERNAL: Final = 500

_TITLES: Final[dict[int, str]] = {
    422: "Invalid input",
    404: "Not found",
    403: "Refused",
    409: "Conflict",
    503: "Service unavailable",
    500: "Internal error",
}


def http_status(exc: BaseException) -> int:
    """The HTTP status of ``exc``: by its category, 500 outside the vocabulary."""
    status = lookup(HTTP_STATUS, exc)
    return INTERNAL if status is None else status


def problem(exc: BaseException, *, incident: str | None = None) -> dict[str, object]:
    """An RFC 9457 problem object (``application/problem+json``) for ``exc``."""
    status = http_status(exc)
    if isinstance(exc, ChanwatchError):
        detail = " ".join(str(exc).split()) or type(exc).__name__
    else:
        detail = "chanwatch did not expect this error" + (
            f"; it is logged under incident {incident}" if incident else ""
        )
    body: dict[str, object] = {
        "type": "about:blank",
        "title": _TITLES[status],
        "status": status,
        "detail": detail,
    }
    if incident is not None:
        body["incident"] = incident
    return body
