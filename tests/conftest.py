"""Fixtures and markers shared by the whole suite.

* ``clock``: the one test clock (:class:`clocks.TestClock`); packages that need
  a ticking clock override it in their own conftest.
* Markers: every test under ``tests/e2e/`` is marked ``e2e``; the modules in
  :data:`SLOW_MODULES` are marked ``slow`` (``-m "not slow"`` leaves them out).
  ``--strict-markers`` is on (pyproject.toml): an unknown marker is an error.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from clocks import TestClock

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
