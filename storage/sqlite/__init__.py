"""The SQLite store: one writer task with batched commits, pooled readers,
numbered migrations. :class:`SQLiteStore` implements :class:`storage.api.Store`.
"""

from storage.sqlite.store import SQLiteStore

__all__ = ["SQLiteStore"]
