"""Suite-wide: no test reads beside the repository (see :mod:`repo_guard`)."""

from __future__ import annotations

import pytest
import repo_guard

repo_guard.install()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run when any test read beside the repository, even if the code
    that met the refusal swallowed it."""
    if repo_guard.violations:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line("reads outside the repository (tests/repo_guard.py):", red=True)
            for line in repo_guard.violations:
                reporter.write_line(f"  {line}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
