"""Fixtures, markers and guards shared by the whole suite.

* ``clock``: the one test clock (:class:`clocks.TestClock`); packages that need
  a ticking clock override it in their own conftest.
* Markers: every test under ``tests/e2e/`` is marked ``e2e``; the modules in
  :data:`SLOW_MODULES` are marked ``slow`` (``-m "not slow"`` leaves them out).
  ``--strict-markers`` is on (pyproject.toml): an unknown marker is an error.
* The CLI's last-resort handler firing fails the test: a test in which
  :func:`monitor.cli.exits.last_resort` reports an exception outside the error
  vocabulary (a bug) fails, naming the exception, unless it is marked
  ``@pytest.mark.last_resort`` (a test of the handler itself). A CLI run in a
  subprocess shows it as exit status 70, which the tests that run subprocesses
  assert against. See tests/last_resort_guard.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from clocks import TestClock
from last_resort_guard import FIRED, incident_failure

#: Modules whose tests take more than a few seconds each.
SLOW_MODULES = frozenset({
    "test_e2e_sigkill.py",
    "test_e2e_restart.py",
    "test_e2e_faults.py",
    "test_authorization_accounts.py",
    "test_persist.py",
})

_E2E = Path(__file__).parent / "e2e"


@pytest.fixture
def clock() -> TestClock:
    return TestClock()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        path = Path(str(item.fspath))
        if _E2E in path.parents:
            item.add_marker(pytest.mark.e2e)
        if path.name in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def _no_unexpected_errors(request: pytest.FixtureRequest) -> Iterator[None]:
    FIRED.clear()
    yield
    fired, FIRED[:] = list(FIRED), []
    why = incident_failure(fired, request.node.get_closest_marker("last_resort") is not None)
    if why is not None:
        pytest.fail(why, pytrace=False)
