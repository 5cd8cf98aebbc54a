"""Category to alert priority mapping."""

from __future__ import annotations

import pytest

from handlers.banks.categories import alert_priority, category_priority, parse_priorities


def test_defaults() -> None:
    """csam and ncii are priority 1, terror 2, anything else 3, case-insensitively."""
    assert category_priority("CSAM") == 1
    assert category_priority("ncii") == 1
    assert category_priority("terror") == 2
    assert category_priority("spam") == 3
    assert category_priority(None) == 3


def test_custom_mapping_and_alert_priority() -> None:
    """A settings mapping replaces the defaults; 'default' sets the fallback;
    an alert takes its highest-priority match."""
    mapping = parse_priorities("csam=1, terror=4, default=5")
    assert mapping == {"csam": 1, "terror": 4, "default": 5}
    assert category_priority("ncii", mapping) == 5
    assert alert_priority(["terror", None, "csam"], mapping) == 1
    assert alert_priority([], mapping) == 5
    assert parse_priorities({"NCII": "2"}) == {"ncii": 2}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("csam", "is not category=priority"),
        ("csam=high", "not an integer"),
        ("csam=0", "must be >= 1"),
        ("=1", "empty category name"),
    ],
)
def test_bad_mappings(value: str, message: str) -> None:
    """A bad mapping raises ValueError naming the bad item."""
    with pytest.raises(ValueError, match=message):
        parse_priorities(value)
