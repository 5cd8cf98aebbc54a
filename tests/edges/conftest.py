"""The edge corpus: each class of bad input, generated here, against the real CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from edges_support import Workspace, make_workspace


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    return make_workspace(tmp_path, monkeypatch)
