"""The test suite's watch on the CLI's last-resort handler (used by tests/conftest.py).

The handler (:func:`monitor.cli.exits.last_resort`) reports an exception that
is not in the error vocabulary, i.e. a bug, and raises the audit event
``chanwatch.unexpected_error``; :data:`FIRED` collects those events, and
:func:`incident_failure` says why a test fails because of one.
"""

from __future__ import annotations

import sys
from typing import Any

from monitor.cli.exits import INCIDENT_AUDIT_EVENT

Firing = tuple[str, "str | None", BaseException]

#: (incident, command, exception) of every firing since the current test began.
FIRED: list[Firing] = []


def _listen(event: str, args: tuple[Any, ...]) -> None:
    if event == INCIDENT_AUDIT_EVENT:
        incident, command, exc = args
        FIRED.append((incident, command, exc))


sys.addaudithook(_listen)  # once per process: this module is imported once


def incident_failure(fired: list[Firing], expected: bool) -> str | None:
    """Why a test fails because the handler fired (None: it did not, or was expected to)."""
    if not fired or expected:
        return None
    incident, command, exc = fired[0]
    return (
        f"the CLI's last-resort handler fired (incident {incident}, command {command}): "
        f"{type(exc).__name__}: {exc} -- put this error in the vocabulary "
        "(storage/errors.py) or fix the bug"
    )
