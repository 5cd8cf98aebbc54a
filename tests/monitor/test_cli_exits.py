"""monitor.cli.exits: one table from error categories to exit statuses, and the
last-resort handler for exceptions outside the vocabulary."""

from __future__ import annotations

import argparse
import io
import json
import os
from pathlib import Path

import pytest
from last_resort_guard import FIRED, incident_failure

import monitor.cli
from access.roles import AccessDenied, PolicyViolation
from handlers.banks.parse import UnknownFormatError
from hotline.queue import DecisionRefused
from monitor.app import NotLoggedIn
from monitor.cli.common import CliContext, CliError, UsageError
from monitor.cli.exits import EXIT_INTERNAL, EXIT_STATUS, exit_status
from monitor.settings import Settings, SettingsError
from monitor.watches import UnknownChannelError
from storage.errors import (
    CATEGORIES,
    ChanwatchError,
    DatabaseFull,
    IllegalTransition,
    LimitExceeded,
    NotFound,
)


def test_the_table_names_every_category() -> None:
    """Each of the four categories, and the root for failures, has its exit status."""
    assert set(EXIT_STATUS) == {*CATEGORIES, ChanwatchError}


@pytest.mark.parametrize(
    ("exc", "status"),
    [
        (SettingsError("setting x: bad"), 2),
        (UsageError("bad --threshold"), 2),
        (UnknownFormatError("empty file"), 2),
        (LimitExceeded("bank file x line 2", "a line of 2 MiB", "1 MiB", "limits.line_bytes"), 2),
        (PolicyViolation("self-approval refused"), 2),
        (NotFound("no alert with id 99"), 2),
        (UnknownChannelError("no channel named @x"), 2),
        (AccessDenied("refused: lacks the role 'admin'"), 1),
        (DecisionRefused("claimed by otto"), 1),
        (IllegalTransition("confirmed -> dismissed"), 1),
        (NotLoggedIn("run chanwatch login first"), 1),
        (DatabaseFull("database /x is full", "/x"), 1),
        (CliError("login aborted"), 1),
    ],
)
def test_exit_status_by_category(exc: ChanwatchError, status: int) -> None:
    """Today's statuses, now from the one table: 2 invalid input and not found,
    1 refused, conflict and failures."""
    assert exit_status(exc) == status


@pytest.fixture
def ctx(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliContext:
    for key in list(os.environ):
        if key.upper().startswith("CHANWATCH_"):
            monkeypatch.delenv(key)
    settings = Settings(database={"path": tmp_path / "c.db"})
    return CliContext(settings=settings, stdout=io.StringIO(), stderr=io.StringIO())


def _raises(exc: BaseException) -> monitor.cli.common.Command:
    def command(args: argparse.Namespace, ctx: CliContext) -> int:
        raise exc

    return command


def test_an_error_of_the_vocabulary_is_one_line(ctx: CliContext) -> None:
    """Dispatch writes `chanwatch: error: <message>` on one line, status from the table."""
    args = argparse.Namespace(func=_raises(NotFound("no alert\nwith id 9")), command="alerts")
    assert monitor.cli._dispatch(args, ctx) == 2
    assert ctx.stderr.getvalue() == "chanwatch: error: no alert with id 9\n"  # type: ignore[attr-defined]


@pytest.mark.last_resort
def test_last_resort_reports_an_incident(
    ctx: CliContext, capsys: pytest.CaptureFixture[str]
) -> None:
    """An exception outside the vocabulary: exit 70, one line with an incident id and
    no exception text (it may hold a secret); the log has the id and the traceback."""
    monitor.cli.configure_logging("INFO", "json")
    secret = "https://hooks.example/T0KEN"
    args = argparse.Namespace(func=_raises(KeyError(secret)), command="bank")
    assert monitor.cli._dispatch(args, ctx) == EXIT_INTERNAL
    line = ctx.stderr.getvalue()  # type: ignore[attr-defined]
    assert line.count("\n") == 1 and line.startswith("chanwatch: error: internal error (incident ")
    assert secret not in line and "KeyError" not in line
    (logged,) = [json.loads(x) for x in capsys.readouterr().err.splitlines()]
    assert logged["event"] == "unexpected error" and logged["incident"] in line
    assert logged["error_type"] == "KeyError" and "Traceback" in logged["traceback"]
    (incident, command, exc), = FIRED
    assert incident == logged["incident"] and command == "bank" and isinstance(exc, KeyError)


def test_the_suite_fails_a_test_in_which_the_handler_fired() -> None:
    """The root conftest turns a firing into a failure unless the test expects it."""
    fired = [("ab12cd34", "bank", ValueError("x"))]
    why = incident_failure(fired, expected=False)
    assert why is not None and "ab12cd34" in why and "ValueError: x" in why
    assert incident_failure(fired, expected=True) is None
    assert incident_failure([], expected=False) is None
