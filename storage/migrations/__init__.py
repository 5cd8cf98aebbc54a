"""Numbered schema migrations, one folder per SQL dialect (``sqlite/``, and
``postgres/`` for that backend): ``NNNN_name.sql``, applied in order when a store
opens. This module reads and checks the files; each backend's runner applies them
(:mod:`storage.sqlite.migrate`).

Each file runs in one transaction together with its row in ``schema_migrations``.
A file must not contain BEGIN, COMMIT or ROLLBACK of its own. Released files are
never edited: a change to the schema is a new file with the next number.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

from storage.errors import MigrationError

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
# A transaction statement of the file's own would break the one-transaction rule.
# (A trigger's BEGIN is followed by a statement, not by ';', so it does not match.)
_OWN_TRANSACTION = re.compile(
    r"(?im)^\s*(BEGIN(\s+(DEFERRED|IMMEDIATE|EXCLUSIVE))?(\s+TRANSACTION)?\s*;"
    r"|COMMIT\b|ROLLBACK\b|END\s+TRANSACTION\b|SAVEPOINT\b|RELEASE\b)"
)

@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    file: str
    sql: str
    checksum: str  # SHA-256 hex of the file's bytes


def _strip_comments(sql: str) -> str:
    return re.sub(r"--[^\n]*", "", sql)


def load_migrations(
    source: Traversable | Path | None = None, *, dialect: str = "sqlite"
) -> list[Migration]:
    """Read the migration files of ``source`` (default: the package
    ``storage.migrations.<dialect>``).

    Every ``*.sql`` file must be named ``NNNN_name.sql``; numbers are unique.
    """
    folder: Traversable | Path = (
        source if source is not None else resources.files(f"storage.migrations.{dialect}")
    )
    found: dict[int, Migration] = {}
    for entry in folder.iterdir():
        if not entry.name.endswith(".sql"):
            continue
        match = _NAME.match(entry.name)
        if match is None:
            raise MigrationError(
                f"migration file {entry.name!r} is not named NNNN_name.sql "
                "(four digits, underscore, lower-case name)"
            )
        data = entry.read_bytes()
        try:
            sql = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MigrationError(f"migration {entry.name} is not UTF-8: {exc}") from exc
        if _OWN_TRANSACTION.search(_strip_comments(sql)):
            raise MigrationError(
                f"migration {entry.name} manages its own transaction (BEGIN/COMMIT/ROLLBACK/"
                "SAVEPOINT); the runner wraps every file in one transaction"
            )
        version = int(match.group(1))
        if version == 0:
            raise MigrationError(f"migration {entry.name}: numbers start at 0001")
        if version in found:
            raise MigrationError(
                f"two migrations share number {version:04d}: {found[version].file} and {entry.name}"
            )
        found[version] = Migration(
            version, match.group(2), entry.name, sql, hashlib.sha256(data).hexdigest()
        )
    return [found[v] for v in sorted(found)]


