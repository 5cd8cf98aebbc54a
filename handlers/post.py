"""The plain values the pipeline works on: :class:`Post` and :class:`MediaRef`.

``monitor`` builds them from Telethon messages; handlers only read them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from storage.errors import InvalidInput
from storage.models import Authority

MediaKind = Literal[
    "photo", "video", "animation", "document", "audio", "voice", "sticker", "round", "other"
]

#: ``fetch(max_bytes)`` returns the whole file in memory, or raises
#: :class:`MediaTooLarge` when the file is larger than ``max_bytes``.
Fetcher = Callable[[int], Awaitable[bytes]]


class MediaTooLarge(InvalidInput):
    """The file is larger than the cap the caller gave to ``fetch``."""


@dataclass(frozen=True, slots=True)
class MediaRef:
    """A post's media, described but not yet downloaded."""

    kind: MediaKind
    #: Stable id of the file on Telegram (``"<kind>:<id>"``): the same file
    #: reposted or forwarded keeps it.
    file_id: str
    size: int | None
    mime: str | None = None
    width: int | None = None
    height: int | None = None
    duration: float | None = None
    file_name: str | None = None
    fetch: Fetcher | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Entity:
    """A text entity (bold, url, mention, text link...), offsets in UTF-16 units."""

    type: str
    offset: int
    length: int
    url: str | None = None


@dataclass(frozen=True, slots=True)
class ForwardOrigin:
    """Where a forwarded post came from (Telegram's ``fwd_from``)."""

    date: datetime
    channel_id: int | None = None
    message_id: int | None = None
    user_id: int | None = None
    from_name: str | None = None
    post_author: str | None = None


@dataclass(frozen=True, slots=True)
class Post:
    """One channel post as Telegram delivered it, frozen at capture."""

    channel_id: int
    message_id: int
    date: datetime
    text: str = ""
    edit_date: datetime | None = None
    author_signature: str | None = None
    views: int | None = None
    forwards: int | None = None
    forward: ForwardOrigin | None = None
    reply_to: int | None = None
    grouped_id: int | None = None
    entities: tuple[Entity, ...] = ()
    media: MediaRef | None = None
    #: Which Telegram account captured it (the account's name in chanwatch).
    account: str = ""
    #: The authorization (and case) it is recorded under: set by the monitor's
    #: authorization gate; the store writes it into the capture's ledger records.
    #: None only in an unrestricted run (tests of the monitor's mechanics).
    authority: Authority | None = None
