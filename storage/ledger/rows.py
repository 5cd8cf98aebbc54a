"""Small helpers for reading many ledger rows (backend-neutral)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while building many small objects at once
    (a million rows or records: collections would rescan them again and again)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def blob(value: Any) -> bytes:
    """A BLOB column; a row edited by hand may hold TEXT (or NULL) instead."""
    if isinstance(value, bytes):
        return value
    return b"" if value is None else str(value).encode("utf-8")
