"""Entities and media from scenario input (tgsim/content.py)."""

from __future__ import annotations

import pytest
from telethon.tl import types

from tgsim.content import entity_from_spec, entity_types


def test_entity_dicts_become_tl_entities() -> None:
    """snake_case types map to MessageEntity classes with their extra fields."""
    text = "see this link and code"
    bold = entity_from_spec({"type": "bold", "offset": 0, "length": 3}, text)
    url = entity_from_spec(
        {"type": "text_url", "offset": 9, "length": 4, "url": "https://e.org"}, text
    )
    pre = entity_from_spec({"type": "pre", "offset": 18, "length": 4}, text)
    assert isinstance(bold, types.MessageEntityBold)
    assert isinstance(url, types.MessageEntityTextUrl) and url.url == "https://e.org"
    assert isinstance(pre, types.MessageEntityPre) and pre.language == ""
    obj = types.MessageEntityItalic(0, 1)
    assert entity_from_spec(obj, text) is obj


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"type": "sparkle", "offset": 0, "length": 1}, "unknown type"),
        ({"type": "bold", "offset": 0, "length": 99}, "outside the text"),
        ({"type": "bold", "offset": 0}, "needs type, offset and length"),
        ("bold", "not a message entity"),
    ],
)
def test_bad_entities_are_refused(spec: object, message: str) -> None:
    """Unknown types, out-of-range offsets and malformed specs raise ValueError."""
    with pytest.raises(ValueError, match=message):
        entity_from_spec(spec, "short")


def test_entity_offsets_count_utf16_units() -> None:
    """Offsets are in UTF-16 code units, as in Telegram (an emoji counts 2)."""
    entity_from_spec({"type": "bold", "offset": 0, "length": 3}, "\U0001f600a")
    with pytest.raises(ValueError):
        entity_from_spec({"type": "bold", "offset": 0, "length": 4}, "\U0001f600a")


def test_entity_types_lists_this_layer() -> None:
    """entity_types names the snake_case entity kinds of the installed layer."""
    kinds = entity_types()
    assert {"bold", "italic", "text_url", "spoiler", "blockquote"} <= set(kinds)
