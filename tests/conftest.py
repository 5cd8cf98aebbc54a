"""Shared by every test: the CLI's last-resort handler firing fails the test.

A test in which :func:`monitor.cli.exits.last_resort` reports an exception
outside the error vocabulary (a bug) fails, naming the exception, unless it is
marked ``@pytest.mark.last_resort`` (a test of the handler itself). A CLI run in
a subprocess shows it as exit status 70, which the tests that run subprocesses
assert against. See tests/last_resort_guard.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from last_resort_guard import FIRED, incident_failure


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "last_resort: the test expects the CLI's last-resort handler to fire"
    )


@pytest.fixture(autouse=True)
def _no_unexpected_errors(request: pytest.FixtureRequest) -> Iterator[None]:
    FIRED.clear()
    yield
    fired, FIRED[:] = list(FIRED), []
    why = incident_failure(fired, request.node.get_closest_marker("last_resort") is not None)
    if why is not None:
        pytest.fail(why, pytrace=False)
