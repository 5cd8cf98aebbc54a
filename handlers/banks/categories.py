"""Bank entry categories to alert priority (1 is the highest).

The mapping is a setting (``monitor/settings.py`` owns it); these functions take
it as a plain dict. A ``"default"`` key in the mapping overrides the default
priority for categories it does not name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

DEFAULT_PRIORITIES: Mapping[str, int] = {"csam": 1, "ncii": 1, "terror": 2}
DEFAULT_PRIORITY = 3


def category_priority(
    category: str | None,
    mapping: Mapping[str, int] | None = None,
    default: int = DEFAULT_PRIORITY,
) -> int:
    """Priority of one category (case-insensitive); unknown or None: the default."""
    table = DEFAULT_PRIORITIES if mapping is None else mapping
    fallback = table.get("default", default)
    if not category:
        return fallback
    return table.get(category.strip().lower(), fallback)


def alert_priority(
    categories: Iterable[str | None],
    mapping: Mapping[str, int] | None = None,
    default: int = DEFAULT_PRIORITY,
) -> int:
    """An alert's priority: the highest (lowest number) of its matches' categories."""
    priorities = [category_priority(c, mapping, default) for c in categories]
    if not priorities:
        return category_priority(None, mapping, default)
    return min(priorities)


def parse_priorities(value: str | Mapping[str, object]) -> dict[str, int]:
    """A mapping from settings: a dict, or text ``csam=1,ncii=1,terror=2,default=3``.

    Raises ValueError naming the bad item (for the settings' one-line error).
    """
    items: Iterable[tuple[str, object]]
    if isinstance(value, str):
        pairs: list[tuple[str, object]] = []
        for item in (p.strip() for p in value.split(",")):
            if not item:
                continue
            name, sep, text_number = item.partition("=")
            if not sep:
                raise ValueError(f"{item!r} is not category=priority")
            pairs.append((name, text_number))
        items = pairs
    else:
        items = value.items()
    out: dict[str, int] = {}
    for raw_name, number in items:
        key = str(raw_name).strip().lower()
        if not key:
            raise ValueError("empty category name")
        try:
            priority = int(str(number).strip())
        except ValueError:
            raise ValueError(f"priority of {key!r} is not an integer: {number!r}") from None
        if priority < 1:
            raise ValueError(f"priority of {key!r} must be >= 1, got {priority}")
        out[key] = priority
    return out
