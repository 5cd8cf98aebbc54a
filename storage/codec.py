"""How values are written to and read from the database: times and JSON."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def utc_now() -> datetime:
    """The current time, timezone-aware UTC (the store's default clock)."""
    return datetime.now(UTC)


def to_db(value: datetime) -> str:
    """An aware datetime as fixed-width ISO-8601 UTC with microseconds.

    Naive datetimes are refused: a time without a zone is ambiguous evidence.
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value.isoformat()}: the store needs aware UTC times")
    return value.astimezone(UTC).strftime(_FORMAT)


def opt_to_db(value: datetime | None) -> str | None:
    return None if value is None else to_db(value)


def from_db(value: str) -> datetime:
    """Parse a stored time back into an aware UTC datetime."""
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"stored time {value!r} has no zone")
    return parsed.astimezone(UTC)


def opt_from_db(value: str | None) -> datetime | None:
    return None if value is None else from_db(value)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return to_db(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return [_jsonable(v) for v in value]
    if isinstance(value, bytes):
        return value.hex()
    return value


def dumps(value: Any) -> str:
    """Canonical JSON (sorted keys, compact, UTF-8) of a value that may hold
    datetimes, dataclasses, tuples and bytes."""
    return json.dumps(_jsonable(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def opt_dumps(value: Any) -> str | None:
    return None if value is None else dumps(value)
