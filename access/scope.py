"""Channel references in an authorization's scope, in one normal form.

A scope names channels the way people do: ``@name``, ``t.me/name``,
``https://t.me/+HASH``, ``t.me/joinchat/HASH`` or a numeric channel id. They are
normalised to ``@name`` (lower case), ``+HASH`` (case kept: invite hashes are
case-sensitive) or ``id:123`` so that a scope entry and a watch target compare
equal when they name the same channel.
"""

from __future__ import annotations

import re

_USERNAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{3,31}$")
_HASH = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_PREFIX = re.compile(r"^(?:https?://)?(?:www\.)?(?:t\.me|telegram\.me|telegram\.dog)/", re.I)


def normalize_ref(text: str) -> str:
    """The normal form of a channel reference; ValueError names what is wrong."""
    raw = text.strip()
    if not raw:
        raise ValueError("empty channel reference")
    if raw.lstrip("-").isdigit():
        return f"id:{abs(int(raw))}"
    if raw.startswith("id:") and raw[3:].isdigit():
        return raw
    if raw.startswith("@"):
        name = raw[1:]
    elif _PREFIX.match(raw):
        path = _PREFIX.sub("", raw).split("?", 1)[0].strip("/")
        if path.startswith("+"):
            return _invite(path[1:], text)
        if path.lower().startswith("joinchat/"):
            return _invite(path[len("joinchat/") :], text)
        name = path.split("/", 1)[0]
    elif raw.startswith("+"):
        return _invite(raw[1:], text)
    else:
        name = raw
    if not _USERNAME.match(name):
        raise ValueError(
            f"not a channel reference: {text!r} (use @name, t.me/name, t.me/+HASH or an id)"
        )
    return "@" + name.lower()


def _invite(invite_hash: str, original: str) -> str:
    if not _HASH.match(invite_hash):
        raise ValueError(f"not a valid invite link: {original!r}")
    return "+" + invite_hash


def channel_refs(channel_id: int | None, username: str | None, target_ref: str | None) -> set[str]:
    """Every normal form under which a scope entry may name this channel."""
    refs: set[str] = set()
    if channel_id is not None:
        refs.add(f"id:{abs(channel_id)}")
    if username:
        refs.add("@" + username.lower())
    if target_ref:
        refs.add(target_ref)
    return refs
