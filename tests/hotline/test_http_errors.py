"""hotline.http_errors: the web's one table from error categories to HTTP statuses."""

from __future__ import annotations

import pytest

from access.roles import AccessDenied, PolicyViolation
from handlers.banks.parse import UnknownFormatError
from hotline.http_errors import HTTP_STATUS, http_status, problem
from hotline.queue import DecisionRefused
from storage.errors import (
    CATEGORIES,
    AlreadyExists,
    ChanwatchError,
    DatabaseFull,
    IllegalTransition,
    LimitExceeded,
    NotFound,
    StoreError,
)


def test_every_category_has_a_status() -> None:
    """The table names each of the four categories and the root (failures)."""
    assert set(HTTP_STATUS) == {*CATEGORIES, ChanwatchError}


@pytest.mark.parametrize(
    ("exc", "status"),
    [
        (UnknownFormatError("empty file"), 422),
        (LimitExceeded("bank file x", "a line of 2 MiB", "1 MiB", "limits.line_bytes"), 422),
        (PolicyViolation("self-approval refused"), 422),
        (NotFound("no alert with id 9"), 404),
        (AccessDenied("refused: user 'otto' lacks the role 'admin'"), 403),
        (DecisionRefused("alert 1 is claimed by otto"), 403),
        (IllegalTransition("confirmed -> claimed"), 409),
        (AlreadyExists("a hash bank named 'b' already exists"), 409),
        (DatabaseFull("database /x is full", "/x"), 503),
        (StoreError("the store cannot do this"), 503),
        (KeyError("a bug"), 500),
    ],
)
def test_status_by_category(exc: BaseException, status: int) -> None:
    """A category decides the status, however deep the class sits below it."""
    assert http_status(exc) == status


def test_problem_object() -> None:
    """An RFC 9457 object: the error's own one-line text, or for a bug only the incident."""
    body = problem(NotFound("no alert\nwith id 9"))
    assert body == {
        "type": "about:blank", "title": "Not found", "status": 404, "detail": "no alert with id 9",
    }
    secret = "https://hooks.example/T0KEN"
    bug = problem(ValueError(f"cannot post to {secret}"), incident="ab12cd34")
    assert bug["status"] == 500 and bug["incident"] == "ab12cd34"
    assert secret not in str(bug) and "ab12cd34" in str(bug["detail"])
