"""Parse what a user types to name a channel: ``@name``, ``t.me/name``,
``https://t.me/name``, ``t.me/+HASH`` or ``t.me/joinchat/HASH``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from storage.errors import InvalidInput

_USERNAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{2,31}")
_HASH = re.compile(r"[A-Za-z0-9_-]{6,64}")
_HOSTS = ("t.me/", "telegram.me/", "telegram.dog/")


class TargetError(InvalidInput, ValueError):
    """The text does not name a channel in a form chanwatch understands."""


@dataclass(frozen=True, slots=True)
class Target:
    kind: Literal["username", "invite"]
    value: str  # the username without '@', or the invite hash

    def __str__(self) -> str:
        return f"@{self.value}" if self.kind == "username" else f"t.me/+{self.value}"


def parse_target(text: str) -> Target:
    """``@name`` / ``t.me/name`` -> username; ``t.me/+HASH`` / ``t.me/joinchat/HASH`` -> invite."""
    raw = text.strip()
    if not raw:
        raise TargetError("empty channel name: give @name, t.me/name or an invite link t.me/+HASH")
    if raw.startswith("@"):
        return _username(raw[1:], text)
    rest = re.sub(r"^https?://", "", raw, flags=re.IGNORECASE)
    rest = re.sub(r"^www\.", "", rest, flags=re.IGNORECASE)
    for host in _HOSTS:
        if rest.lower().startswith(host):
            path = rest[len(host):].split("?", 1)[0].strip("/")
            if path.startswith("+"):
                return _invite(path[1:], text)
            if path.lower().startswith("joinchat/"):
                return _invite(path[len("joinchat/"):], text)
            if "/" in path:
                raise TargetError(
                    f"{text!r}: a link to a single post is not a channel; use t.me/name"
                )
            return _username(path, text)
    raise TargetError(
        f"{text!r} is not a channel: give @name, t.me/name, t.me/+HASH or t.me/joinchat/HASH"
    )


def _username(name: str, text: str) -> Target:
    if not _USERNAME.fullmatch(name):
        raise TargetError(
            f"{text!r}: {name!r} is not a valid Telegram username "
            "(letters, digits and _, starting with a letter, 3 to 32 characters)"
        )
    return Target("username", name.lower())


def _invite(hash_: str, text: str) -> Target:
    if not _HASH.fullmatch(hash_):
        raise TargetError(f"{text!r}: {hash_!r} is not a valid invite hash")
    return Target("invite", hash_)
