"""A clone carries everything its tests need: the test data is in the
repository with its licence, and a read beside the repository fails."""

from __future__ import annotations

import csv
import os
import tempfile
from pathlib import Path

import pytest
import repo_guard

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"


def test_guard_refuses_a_read_beside_the_repository() -> None:
    """Opening ../shared/testdata (whether it exists or not) fails at once."""
    if not repo_guard.install():
        pytest.skip("the repository sits directly under /: nothing beside it to watch")
    beside = ROOT.parent / "shared" / "testdata" / "pdq" / "expected.csv"
    before = len(repo_guard.violations)
    with pytest.raises(repo_guard.OutsideRepositoryError, match="outside the repository"):
        beside.open("rb")
    with pytest.raises(repo_guard.OutsideRepositoryError):
        os.listdir(ROOT.parent)
    assert repo_guard.violations[before:] == [f"open {beside}", f"os.listdir {ROOT.parent}"]
    del repo_guard.violations[before:]  # expected here: must not fail the session


def test_guard_allows_the_repository_and_the_temporary_folder(tmp_path: Path) -> None:
    """Files inside the repository, under the temporary folder and of the running
    Python are not beside the repository."""
    assert not repo_guard.outside_repository(str(DATA / "pdq" / "expected.csv"))
    assert not repo_guard.outside_repository(str(tmp_path / "x"))
    assert not repo_guard.outside_repository(os.__file__)
    assert not repo_guard.outside_repository(tempfile.gettempdir())
    if repo_guard.watched_parent() is not None:
        assert repo_guard.outside_repository(str(ROOT.parent / "shared"))
        assert repo_guard.outside_repository(str(ROOT) + "-other/file")


def test_pdq_reference_data_is_complete_and_licensed() -> None:
    """Every image the reference table names is here, next to its BSD licence."""
    pdq = DATA / "pdq"
    licence = (pdq / "LICENSE-ThreatExchange").read_text()
    assert "BSD License" in licence and "Meta Platforms" in licence
    with (pdq / "expected.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 12
    for row in rows:
        assert (pdq / row["file"]).stat().st_size > 0, row["file"]
        assert len(row["pdq_hex"]) == 64


def test_benchmarks_name_no_path_beside_the_repository() -> None:
    """Benchmarks run outside the suite (and its guard): their sources name their
    data inside the repository, never the parent folder."""
    parent = "".join([".", ".", "/"])  # not written out, so this file does not match
    quoted = '"' + ".." + '"'
    offenders = [
        path.name
        for path in sorted((ROOT / "benchmarks").glob("*.py"))
        if parent in (text := path.read_text(encoding="utf-8")) or quoted in text
    ]
    assert offenders == []
