"""The package map of ../shared/DESIGN.md, checked on the code itself.

Dependencies point one way: ``monitor -> hotline -> access -> storage`` and
``monitor -> handlers -> storage``; ``tgsim`` imports only Telethon's TL layer
and itself. Outside ``storage/sqlite/`` no module imports the database driver
or holds SQL. The pipeline and its built-in handlers do not import each other
in a circle.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("storage", "access", "handlers", "hotline", "monitor", "tgsim")
#: What each package may import of the others.
ALLOWED: dict[str, frozenset[str]] = {
    "storage": frozenset(),
    "access": frozenset({"storage"}),
    "handlers": frozenset({"storage"}),
    "hotline": frozenset({"access", "storage"}),
    "monitor": frozenset({"hotline", "access", "handlers", "storage", "tgsim"}),  # demo, sim
    "tgsim": frozenset(),
}
DRIVERS = ("aiosqlite", "sqlite3", "asyncpg", "psycopg")
_SQL = re.compile(
    r"\b(SELECT\s+[\w*(]|INSERT\s+INTO\s|UPDATE\s+\w+\s+SET\s|DELETE\s+FROM\s|CREATE\s+TABLE\s)"
)


def _modules() -> Iterator[tuple[str, Path]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            yield package, path


def _imports(path: Path) -> Iterator[str]:
    tree = ast.parse(path.read_text("utf-8"), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def _db_layer(path: Path) -> bool:
    rel = path.relative_to(ROOT).as_posix()
    return rel.startswith(("storage/sqlite/", "storage/postgres/"))


def test_packages_exist() -> None:
    for package in PACKAGES:
        assert (ROOT / package / "__init__.py").is_file(), package


@pytest.mark.parametrize("package", PACKAGES)
def test_imports_point_one_way(package: str) -> None:
    wrong = []
    for owner, path in _modules():
        if owner != package:
            continue
        for name in _imports(path):
            top = name.split(".")[0]
            if top in PACKAGES and top != package and top not in ALLOWED[package]:
                wrong.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not wrong, "\n".join(wrong)


def test_tgsim_imports_only_telethons_tl_layer() -> None:
    allowed = ("telethon.tl", "telethon.extensions", "telethon.errors", "telethon.crypto")
    wrong = [
        f"{path.relative_to(ROOT)} imports {name}"
        for owner, path in _modules()
        if owner == "tgsim"
        for name in _imports(path)
        if name.split(".")[0] == "telethon" and not name.startswith(allowed)
    ]
    assert not wrong, "\n".join(wrong)


def test_handlers_never_import_telethon() -> None:
    wrong = [
        f"{path.relative_to(ROOT)} imports {name}"
        for owner, path in _modules()
        if owner == "handlers"
        for name in _imports(path)
        if name.split(".")[0] == "telethon"
    ]
    assert not wrong, "\n".join(wrong)


def test_only_the_database_layer_imports_a_driver() -> None:
    wrong = [
        f"{path.relative_to(ROOT)} imports {name}"
        for _, path in _modules()
        if not _db_layer(path)
        for name in _imports(path)
        if name.split(".")[0] in DRIVERS
    ]
    assert not wrong, "\n".join(wrong)


def test_only_the_database_layer_holds_sql() -> None:
    wrong = []
    for _, path in _modules():
        if _db_layer(path) or path.parts[-2:-1] == ("tgsim",):
            continue
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            if _SQL.search(line):
                wrong.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not wrong, "\n".join(wrong)


def test_pipeline_and_builtins_do_not_import_each_other_in_a_circle() -> None:
    for path in sorted((ROOT / "handlers" / "builtin").glob("*.py")):
        assert "handlers.pipeline" not in set(_imports(path)), path
    assert "handlers.builtin" in set(_imports(ROOT / "handlers" / "pipeline.py"))


def test_no_import_cycle_between_packages() -> None:
    edges: dict[str, set[str]] = {p: set() for p in PACKAGES}
    for owner, path in _modules():
        for name in _imports(path):
            top = name.split(".")[0]
            if top in PACKAGES and top != owner:
                edges[owner].add(top)

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for nxt in edges[start]:
            if nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt})):
                return True
        return False

    cycles = [p for p in PACKAGES if reaches(p, p, {p})]
    assert not cycles, f"packages in an import cycle: {cycles}"
