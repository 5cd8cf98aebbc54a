"""The suite reads nothing beside the repository.

A clone must carry everything its tests need (issue 18): the test data lives in
``tests/data``. :func:`install` adds an audit hook (PEP 578) to the test
process that refuses every ``open``, ``os.listdir`` and ``os.scandir`` of a
path in the repository's parent folder but outside the repository, such as
``../shared/testdata``, before the file system is touched: so the check holds
whether or not such files exist on this machine. Each refusal is also kept in
:data:`violations`, and ``tests/conftest.py`` fails the session when any is
left, even if the code that met it swallowed the error.

Paths of the running Python (its prefixes, so a virtualenv beside the
repository) and the temporary folder are allowed, unless they hold the
repository's parent (a clone in /tmp is still watched). When the repository sits
directly under ``/`` there is no "beside" to watch, and the guard stays off;
``.ci/run`` covers that case by running the suite in a fresh clone.
"""

from __future__ import annotations

import os
import sys
import sysconfig
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

#: What the hook refused, as "event path" strings, in order.
violations: list[str] = []

_state: dict[str, Any] = {"installed": False}


class OutsideRepositoryError(PermissionError):
    """A test opened a file beside the repository instead of inside it."""


def _prefix(path: str | Path) -> str:
    return os.path.abspath(path).rstrip(os.sep) + os.sep


def _allowed_prefixes() -> tuple[str, ...]:
    """The allowed places inside the watched parent (the others do not matter;
    one that holds the parent, such as /tmp for a clone in /tmp, must not open
    the whole parent)."""
    parent = watched_parent()
    places = {sys.prefix, sys.base_prefix, sys.exec_prefix, tempfile.gettempdir(), ROOT}
    places.update(p for p in sysconfig.get_paths().values() if p)
    found = (_prefix(p) for p in places)
    return tuple(p for p in found if parent is None or (p.startswith(parent) and p != parent))


def watched_parent() -> str | None:
    """The folder whose contents outside the repository are off limits, or None."""
    parent = ROOT.parent
    if parent == Path(parent.anchor):
        return None
    return _prefix(parent)


def outside_repository(path: str) -> bool:
    """Whether ``path`` lies beside the repository (in its parent, not in it)."""
    parent = watched_parent()
    if parent is None:
        return False
    full = _prefix(path)
    return full.startswith(parent) and not full.startswith(_state["allowed"])


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if event not in ("open", "os.listdir", "os.scandir") or not args:
        return
    target = args[0]
    if not isinstance(target, str | bytes | os.PathLike):
        return  # a file descriptor
    path = os.fsdecode(target)
    if outside_repository(path):
        violations.append(f"{event} {path}")
        raise OutsideRepositoryError(
            f"a test read {path!r}, outside the repository {str(ROOT)!r}: "
            "copy what tests need into tests/data (with its licence)"
        )


def install() -> bool:
    """Install the hook once; returns whether it watches anything."""
    if not _state["installed"]:
        _state["allowed"] = _allowed_prefixes()
        _state["installed"] = True
        sys.addaudithook(_hook)
    return watched_parent() is not None
