"""JSON from an untrusted bundle, parsed only up to a nesting depth.

Python's parser recurses once per level: a document nested a few thousand
levels deep raises ``RecursionError``. Here a text whose count of ``[`` and
``{`` exceeds the limit (the only texts that can be nested that deep) is parsed
with the recursion caught and its depth measured without recursion, so deep
JSON is one clear :class:`JsonDepthError` naming the limit, never a traceback.
Cheap for ordinary input: counting the two characters is all it costs.
"""

from __future__ import annotations

import json
from typing import Any

from storage.errors import InvalidInput


class JsonDepthError(InvalidInput, ValueError):
    """Nested deeper than the limit."""


def openers(data: bytes | str) -> int:
    """``[`` and ``{`` in ``data``: an upper bound of its nesting depth."""
    if isinstance(data, str):
        return data.count("[") + data.count("{")
    return data.count(b"[") + data.count(b"{")


def depth(value: Any) -> int:
    """Nesting depth of a parsed JSON value (a scalar is 0), without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            stack.extend((v, level + 1) for v in item.values())
            deepest = max(deepest, level + 1)
        elif isinstance(item, list):
            stack.extend((v, level + 1) for v in item)
            deepest = max(deepest, level + 1)
    return deepest


def too_deep(limit: int) -> JsonDepthError:
    return JsonDepthError(f"JSON nested more than {limit} levels deep")


def check_depth(data: bytes | str, limit: int) -> None:
    """Raise :class:`JsonDepthError` when ``data`` (JSON text) nests deeper than
    ``limit``; any other problem is left to the parser that reads it next."""
    if openers(data) <= limit:
        return
    try:
        value = json.loads(data)
    except RecursionError:
        raise too_deep(limit) from None
    except ValueError:
        return  # not JSON: the caller's parser says so
    if depth(value) > limit:
        raise too_deep(limit)


def loads(data: bytes | str, limit: int, **kwargs: Any) -> Any:
    """``json.loads`` that refuses nesting deeper than ``limit``."""
    check_depth(data, limit)
    try:
        return json.loads(data, **kwargs)
    except RecursionError:  # not reached after check_depth; kept as the last guard
        raise too_deep(limit) from None
