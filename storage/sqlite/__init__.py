"""The SQLite store: one writer task with batched commits, pooled readers,
numbered migrations. :class:`SQLiteStore` implements :class:`storage.api.Store`.
"""

from storage.sqlite.store import SQLiteStore

#: Standard-library loggers of the driver (the monitor sets their level).
DRIVER_LOGGERS: tuple[str, ...] = ("aiosqlite",)

__all__ = ["DRIVER_LOGGERS", "SQLiteStore"]
