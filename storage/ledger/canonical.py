"""Canonical JSON for ledger records: the exact bytes that are hashed.

The form (documented here because a verifier in another language must be able to
reproduce it byte for byte):

- UTF-8, no byte order mark, no insignificant whitespace (``,`` and ``:`` only);
- object keys sorted by Unicode code point (Python's ``str`` order), no duplicates;
- values are only strings, ``true``/``false``, ``null``, objects and arrays;
  there are no JSON numbers: integers (Telegram ids, sizes, counts) are written
  as decimal strings, times as RFC 3339 UTC strings with microseconds
  (``2026-11-21T22:48:07.123456Z``);
- strings escape only ``"``, ``\\`` and the control characters U+0000..U+001F
  (as ``\\b \\f \\n \\r \\t`` or ``\\u00xx``, lower-case hex); everything else,
  including non-ASCII text, is written as itself in UTF-8. Lone surrogates are
  refused.

For the value types allowed here this is the same byte string that RFC 8785
(JCS) produces for ASCII keys.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from storage.errors import InvalidInput

JsonValue = str | bool | None | dict[str, "JsonValue"] | list["JsonValue"]


class CanonicalError(InvalidInput, ValueError):
    """A value cannot be put into, or bytes are not in, the canonical form."""


def format_time(at: datetime) -> str:
    """RFC 3339 UTC with microseconds: ``YYYY-MM-DDTHH:MM:SS.ffffffZ``."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise CanonicalError(
            f"naive datetime {at.isoformat()} (ledger times must be timezone-aware)"
        )
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str) -> datetime:
    """Parse a time written by :func:`format_time` (strictly that form)."""
    try:
        parsed = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ")
    except ValueError as exc:
        raise CanonicalError(f"not an RFC 3339 UTC time with microseconds: {text!r}") from exc
    return parsed.replace(tzinfo=UTC)


def normalize(value: Any, path: str = "$") -> JsonValue:
    """Turn a Python value into the restricted JSON model (ints become strings)."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        return format_time(value)
    if isinstance(value, Mapping):
        out: dict[str, JsonValue] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise CanonicalError(f"{path}: object key {key!r} is not a string")
            out[key] = normalize(item, f"{path}.{key}")
        return out
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        return [normalize(item, f"{path}[{i}]") for i, item in enumerate(value)]
    raise CanonicalError(
        f"{path}: {type(value).__name__} is not allowed in a ledger record "
        "(use strings, booleans, null, objects, arrays; integers and datetimes are converted)"
    )


def dumps(value: Any) -> bytes:
    """Canonical bytes of ``value`` (normalized first)."""
    return _encode(normalize(value))


def _encode(value: JsonValue) -> bytes:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise CanonicalError(f"string is not valid Unicode (lone surrogate): {exc.reason}") from exc


def _no_numbers(text: str) -> Any:
    raise CanonicalError(f"JSON number {text} is not allowed (integers are written as strings)")


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, item in pairs:
        if key in out:
            raise CanonicalError(f"duplicate object key {key!r}")
        out[key] = item
    return out


def loads(data: bytes) -> dict[str, JsonValue]:
    """Parse canonical record bytes; raise :class:`CanonicalError` unless they
    are exactly the canonical form of a JSON object."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CanonicalError(f"not UTF-8 at byte {exc.start}") from exc
    try:
        value = json.loads(
            text,
            object_pairs_hook=_pairs,
            parse_int=_no_numbers,
            parse_float=_no_numbers,
            parse_constant=_no_numbers,
        )
    except json.JSONDecodeError as exc:
        raise CanonicalError(f"not JSON: {exc.msg} at character {exc.pos}") from exc
    if not isinstance(value, dict):
        raise CanonicalError("a record must be a JSON object")
    if _encode(value) != data:
        raise CanonicalError("not in canonical form (key order, whitespace or escaping differs)")
    return value


def loads_lines(lines: list[bytes]) -> list[dict[str, JsonValue]] | None:
    """All ``lines`` parsed at once when every one is a canonical object, else
    None (then check them one by one with :func:`loads` for the reason).

    One parse and one encode of the whole array instead of one per line: the
    canonical encoding of an array is its elements' encodings joined by ``,``.
    """
    joined = b"[" + b",".join(lines) + b"]"
    try:
        values = json.loads(joined.decode("utf-8"), parse_int=_no_numbers,
                            parse_float=_no_numbers, parse_constant=_no_numbers)
    except (UnicodeDecodeError, ValueError):  # CanonicalError is a ValueError
        return None
    if len(values) != len(lines) or not all(isinstance(v, dict) for v in values):
        return None
    try:
        if _encode(values) != joined:
            return None
    except CanonicalError:
        return None
    out: list[dict[str, JsonValue]] = values
    return out
