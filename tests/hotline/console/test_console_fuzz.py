"""The JSON API fuzzed against its own OpenAPI schema (schemathesis, bounded:
a few examples per operation, a fixed seed, a time limit): no 500 anywhere."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from served_support import Served

pytestmark = pytest.mark.slow
ST = Path(sys.executable).with_name("st")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    s = Served(tmp_path_factory.mktemp("console-fuzz"))
    try:
        yield s
    finally:
        s.stop()


@pytest.mark.skipif(not ST.exists() and shutil.which("st") is None, reason="needs schemathesis")
def test_fuzzing_the_api_finds_no_server_error(served: Served) -> None:
    env = served.env
    served.run(env.services.users.add(
        "root", "allround", ["investigator", "supervisor", "operator", "admin"],
        "correct horse battery staple", "fuzz"))
    token = served.run(env.services.users.issue_token("allround", "fuzz")).token
    cmd = [str(ST) if ST.exists() else "st", "run", f"{served.url}/api/v1/openapi.json",
           "--url", served.url, "-H", f"Authorization: Bearer {token}",
           "--checks", "not_a_server_error", "--max-examples", "8", "--seed", "1",
           "--phases", "examples,coverage,fuzzing", "--workers", "1",
           "--generation-database", "none"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=170,
                          env={**os.environ, "NO_COLOR": "1"}, check=False)
    report = done.stdout[-4000:] + done.stderr[-2000:]

    assert done.returncode == 0, report
    assert "500" not in [w for line in done.stdout.splitlines() for w in line.split()
                         if line.startswith(("FAILED", "E "))], report
