"""The simulated Telegram world: accounts, channels, posts and their update logs.

Plain data only (no TL objects except message entities and document
attributes, which are stored as given); :mod:`tgsim.render` turns it into the
installed layer's TL objects. Every change to a channel's posts advances the
channel's ``pts`` the way Telegram does: a new post by 1, an edit by 1, a
deletion of N posts by N, and is appended to the channel's event log, from which
``updates.getChannelDifference`` is answered.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
import struct
from dataclasses import dataclass, field
from typing import Any, Literal

from tgsim.media import StoredFile
from tgsim.quirks import Quirks

USER_ID_BASE = 7_100_000_000
CHANNEL_ID_BASE = 1_900_000_000
PHONE_RE = re.compile(r"^99966(\d)\d{4}$")


def utcnow() -> dt.datetime:
    """The current time, UTC, whole seconds (Telegram dates have no fraction)."""
    return dt.datetime.now(tz=dt.UTC).replace(microsecond=0)


@dataclass
class Account:
    """A registered user."""

    user_id: int
    access_hash: int
    phone: str
    first_name: str
    last_name: str = ""
    username: str | None = None


@dataclass
class Post:
    """One message in a channel."""

    id: int
    date: dt.datetime
    text: str = ""
    entities: list[Any] = field(default_factory=list)
    media: StoredFile | None = None
    fwd_from: tuple[int, int, dt.datetime, str | None] | None = None
    author: str | None = None
    grouped_id: int | None = None
    edit_date: dt.datetime | None = None
    views: int = 1


@dataclass(frozen=True)
class ChannelEvent:
    """One pts-advancing change in a channel."""

    pts: int
    pts_count: int
    kind: Literal["new", "edit", "delete"]
    msg_ids: tuple[int, ...]


@dataclass
class Channel:
    """A broadcast channel. Private channels have no username, only an invite hash."""

    id: int
    access_hash: int
    title: str
    username: str | None
    private: bool
    about: str
    invite_hash: str
    date: dt.datetime
    pts: int = 1
    next_msg_id: int = 1  # this channel's id counter (``message_ids = "per_channel"``)
    top_msg_id: int = 0  # the highest id a post of this channel ever had
    last_activity: int = 0
    posts: dict[int, Post] = field(default_factory=dict)
    members: set[int] = field(default_factory=set)
    banned: set[int] = field(default_factory=set)
    log: list[ChannelEvent] = field(default_factory=list)

    @property
    def invite_link(self) -> str:
        """The ``t.me/+HASH`` invite link."""
        return f"https://t.me/+{self.invite_hash}"

    def add_event(
        self, kind: Literal["new", "edit", "delete"], ids: tuple[int, ...]
    ) -> ChannelEvent:
        """Advance pts for a change and log it."""
        count = len(ids) if kind == "delete" else 1
        self.pts += count
        event = ChannelEvent(self.pts, count, kind, ids)
        self.log.append(event)
        return event

    def events_after(self, pts: int) -> list[ChannelEvent]:
        """The logged changes with a pts above ``pts``, oldest first."""
        lo, hi = 0, len(self.log)
        while lo < hi:
            mid = (lo + hi) // 2
            if self.log[mid].pts <= pts:
                lo = mid + 1
            else:
                hi = mid
        return self.log[lo:]


class World:
    """All state of one simulated data centre."""

    def __init__(self, dc_id: int, secret: bytes, quirks: Quirks | None = None) -> None:
        self.dc_id = dc_id
        self.secret = secret
        self.quirks = quirks if quirks is not None else Quirks()
        self.next_shared_id = 1  # the one counter of ``message_ids = "shared"``
        self.accounts: dict[int, Account] = {}
        self.by_phone: dict[str, int] = {}
        self.channels: dict[int, Channel] = {}
        self.by_username: dict[str, int] = {}
        self.by_invite: dict[str, int] = {}
        self.events: list[tuple[str, int, int]] = []
        self.account_pts = 1
        self.code_hashes: dict[str, str] = {}
        self.activity = 0  # orders channels by their latest post (dialogs)

    def access_hash(self, kind: str, ident: int) -> int:
        """A stable access hash for an object (same across restarts with one state dir)."""
        digest = hmac.new(self.secret, f"{kind}:{ident}".encode(), hashlib.sha256).digest()
        return int(struct.unpack("<q", digest[:8])[0])

    # accounts

    def phone_ok(self, phone: str) -> bool:
        """Whether ``phone`` is a test number (99966XYYYY) of this dc."""
        match = PHONE_RE.match(phone)
        return bool(match) and int(match.group(1)) == self.dc_id if match else False

    def create_account(self, phone: str, first_name: str, last_name: str = "") -> Account:
        """Register a new account for ``phone``."""
        user_id = USER_ID_BASE + len(self.accounts) + 1
        acc = Account(user_id, self.access_hash("user", user_id), phone, first_name, last_name)
        self.accounts[user_id] = acc
        self.by_phone[phone] = user_id
        return acc

    def resolve_user(self, who: int | str) -> int | None:
        """A user id from a user id or a phone number (None if unknown)."""
        if isinstance(who, int) and who in self.accounts:
            return who
        phone = str(who).lstrip("+").replace(" ", "")
        return self.by_phone.get(phone)

    # channels

    def create_channel(
        self,
        title: str,
        username: str | None,
        private: bool,
        about: str,
        invite_hash: str | None = None,
    ) -> Channel:
        """Create a broadcast channel."""
        if username is not None:
            if private:
                raise ValueError("a private channel has no username")
            if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{3,31}", username):
                raise ValueError(f"invalid channel username {username!r}")
            if username.lower() in self.by_username:
                raise ValueError(f"username {username!r} is taken")
        if invite_hash is not None:
            if not re.fullmatch(r"[A-Za-z0-9_-]{6,64}", invite_hash):
                raise ValueError(f"invalid invite hash {invite_hash!r}")
            if invite_hash in self.by_invite:
                raise ValueError(f"invite hash {invite_hash!r} is taken")
        cid = CHANNEL_ID_BASE + len(self.channels) + 1
        invite = invite_hash or secrets.token_urlsafe(12).replace("-", "A").replace("_", "B")
        ch = Channel(
            id=cid,
            access_hash=self.access_hash("channel", cid),
            title=title,
            username=username,
            private=private,
            about=about,
            invite_hash=invite,
            date=utcnow(),
        )
        self.channels[cid] = ch
        if username:
            self.by_username[username.lower()] = cid
        self.by_invite[invite] = cid
        return ch

    def join(self, ch: Channel, user_id: int) -> bool:
        """Make ``user_id`` a member; False if it already was."""
        if user_id in ch.members:
            return False
        ch.members.add(user_id)
        self.events.append(("join", ch.id, user_id))
        return True

    def leave(self, ch: Channel, user_id: int) -> bool:
        """Remove ``user_id`` from the members; False if it was not one."""
        if user_id not in ch.members:
            return False
        ch.members.discard(user_id)
        self.events.append(("leave", ch.id, user_id))
        return True

    def can_read(self, ch: Channel, user_id: int) -> bool:
        """Whether the user may read the channel (members, or anyone for public ones)."""
        if user_id in ch.banned:
            return False
        return user_id in ch.members or not ch.private

    def add_post(self, ch: Channel, post: Post) -> ChannelEvent:
        """Store a new post (its id must come from :meth:`next_id`)."""
        ch.posts[post.id] = post
        self.activity += 1
        ch.last_activity = self.activity
        return ch.add_event("new", (post.id,))

    def next_id(self, ch: Channel) -> int:
        """Reserve the next message id of a channel: from its own counter, or from
        the one shared by all channels (quirk ``message_ids``), ``id_stride`` apart."""
        stride = self.quirks.id_stride
        if self.quirks.message_ids == "shared":
            msg_id = max(self.next_shared_id, ch.top_msg_id + 1)
            self.next_shared_id = msg_id + stride
        else:
            msg_id = max(ch.next_msg_id, ch.top_msg_id + 1)
            ch.next_msg_id = msg_id + stride
        ch.top_msg_id = msg_id
        return msg_id

    def edit_post(self, ch: Channel, msg_id: int, text: str, entities: list[Any]) -> ChannelEvent:
        """Change a post's text."""
        post = ch.posts.get(msg_id)
        if post is None:
            raise KeyError(f"channel {ch.id} has no message {msg_id}")
        post.text = text
        post.entities = entities
        post.edit_date = utcnow()
        return ch.add_event("edit", (msg_id,))

    def delete_posts(self, ch: Channel, ids: list[int]) -> ChannelEvent | None:
        """Delete posts; unknown ids are ignored. None if nothing was deleted."""
        gone = tuple(i for i in ids if ch.posts.pop(i, None) is not None)
        if not gone:
            return None
        return ch.add_event("delete", gone)
