"""Tests for storage.ledger.canonical: the exact bytes a ledger record hashes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from storage.ledger import canonical
from storage.ledger.canonical import CanonicalError


def test_keys_sorted_no_whitespace_integers_as_strings() -> None:
    """Keys are sorted by code point, no spaces, integers become decimal strings."""
    data = canonical.dumps({"b": 1, "a": [True, None, -1001234567890], "é": "ß", "Z": {"y": 0}})
    assert data == '{"Z":{"y":"0"},"a":[true,null,"-1001234567890"],"b":"1","é":"ß"}'.encode()


def test_times_are_utc_with_microseconds() -> None:
    """Aware datetimes in any zone become RFC 3339 UTC with six fraction digits."""
    at = datetime(2026, 11, 21, 23, 0, 0, tzinfo=timezone(timedelta(hours=1)))
    assert canonical.dumps({"at": at}) == b'{"at":"2026-11-21T22:00:00.000000Z"}'
    assert canonical.parse_time("2026-11-21T22:00:00.000000Z") == at.astimezone(UTC)


def test_control_characters_escaped_unicode_kept() -> None:
    """Only quote, backslash and control characters are escaped; other text stays UTF-8."""
    data = canonical.dumps({"t": 'a"b\\c\nd\x01\u0436'})
    assert data == '{"t":"a\\"b\\\\c\\nd\\u0001\u0436"}'.encode()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"x": 1.5}, "float is not allowed"),
        ({"x": b"raw"}, "bytes is not allowed"),
        ({1: "x"}, "is not a string"),
        ({"x": datetime(2026, 1, 1)}, "naive datetime"),
        ({"x": "\ud800"}, "lone surrogate"),
    ],
)
def test_refuses_values_outside_the_model(value: object, message: str) -> None:
    """Floats, bytes, non-string keys, naive times and lone surrogates are refused clearly."""
    with pytest.raises(CanonicalError, match=message):
        canonical.dumps(value)


def test_loads_round_trip() -> None:
    """loads returns the object for canonical bytes."""
    data = canonical.dumps({"seq": 7, "type": "login", "n": None})
    assert canonical.loads(data) == {"seq": "7", "type": "login", "n": None}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"b":"1","a":"2"}', "not in canonical form"),
        (b'{"a": "1"}', "not in canonical form"),
        (b'{"a":"\\u00e9"}', "not in canonical form"),
        (b'{"a":1}', "JSON number"),
        (b'{"a":"1","a":"2"}', "duplicate object key"),
        (b'["a"]', "must be a JSON object"),
        (b'{"a":"1"', "not JSON"),
        (b'{"a":"\xff"}', "not UTF-8"),
    ],
)
def test_loads_refuses_non_canonical_bytes(data: bytes, message: str) -> None:
    """Reordered keys, whitespace, needless escapes, numbers, duplicates and bad bytes fail."""
    with pytest.raises(CanonicalError, match=message):
        canonical.loads(data)
