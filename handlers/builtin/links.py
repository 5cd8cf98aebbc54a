"""The ``links`` handler: URLs, t.me links and @mentions found in a post.

Runs before ``record``, which stores what it finds (``PostRecord.links`` and
``.mentions``). Sources, in order of appearance: ``text_url`` entities (the
hidden target of a link), ``url`` and ``mention`` entities, ``mention_name``
entities (a user without a username, kept as ``tg://user?id=N``), then, for
text Telegram did not mark up, URLs, bare ``t.me/...`` links and ``@names``
found by pattern, in the order they appear. Each value appears once, first
spelling kept (t.me links and mentions compared case-insensitively, as Telegram
usernames are).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from handlers.context import Context
from handlers.post import Entity, Post

_URL = re.compile(r"\b(?:https?://|tg://)[^\s<>\"']+", re.IGNORECASE)
_TME = re.compile(
    r"(?<![\w./@])(?:www\.)?(?:t\.me|telegram\.me|telegram\.dog)/[^\s<>\"']+", re.IGNORECASE
)
_MENTION = re.compile(r"(?<![\w@/.])@([A-Za-z][A-Za-z0-9_]{3,31})\b")
_TRAILING = ".,;:!?)]}'\"»…"
_TME_HOST = re.compile(r"^(?:https?://)?(?:www\.)?(?:t\.me|telegram\.me|telegram\.dog)/", re.I)


def _utf16_slice(text: str, offset: int, length: int) -> str:
    """Telegram's entity offsets count UTF-16 code units."""
    encoded = text.encode("utf-16-le")
    return encoded[offset * 2 : (offset + length) * 2].decode("utf-16-le", errors="replace")


def _clean_url(url: str) -> str:
    url = url.rstrip(_TRAILING)
    if _TME_HOST.match(url) and not url.lower().startswith(("http://", "https://")):
        url = "https://" + url
    return url


def _key(value: str) -> str:
    """Comparison key: t.me links and @names are case-insensitive."""
    if value.startswith("@") or _TME_HOST.match(value):
        return value.lower().replace("http://", "https://", 1)
    return value


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    seen: set[str] = set()
    out: list[str] = []
    for value in values:
        if not value:
            continue
        key = _key(value)
        if key not in seen:
            seen.add(key)
            out.append(value)
    return tuple(out)


def extract(text: str, entities: Iterable[Entity]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``(links, mentions)`` found in ``text`` and its entities."""
    links: list[str] = []
    mentions: list[str] = []
    for ent in entities:
        if ent.type == "text_url" and ent.url:
            links.append(_clean_url(ent.url.strip()))
        elif ent.type == "url":
            links.append(_clean_url(_utf16_slice(text, ent.offset, ent.length).strip()))
        elif ent.type == "mention":
            name = _utf16_slice(text, ent.offset, ent.length).strip()
            if name.startswith("@"):
                mentions.append(name)
        elif ent.type == "mention_name" and ent.url:
            mentions.append(ent.url)
    found = [*_URL.finditer(text), *_TME.finditer(text)]
    links.extend(_clean_url(m.group(0)) for m in sorted(found, key=lambda m: m.start()))
    mentions.extend("@" + m.group(1) for m in _MENTION.finditer(text))
    return _unique(links), _unique(mentions)


async def handle_links(post: Post, ctx: Context) -> None:
    """Put the post's links and @mentions in ``ctx.state`` for ``record``."""
    links, mentions = extract(post.text, post.entities)
    ctx.state.links = links
    ctx.state.mentions = mentions
