"""Plain values that cross the storage boundary (no Telethon, no handlers)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

HashType = Literal["sha256", "sha1", "md5", "pdq", "vpdq"]
AlertState = Literal["open", "claimed", "confirmed", "dismissed"]


@dataclass(frozen=True, slots=True)
class ChannelRecord:
    id: int
    access_hash: int | None
    title: str
    username: str | None
    type: str  # "broadcast" | "megagroup" | "gigagroup"


@dataclass(frozen=True, slots=True)
class WatchRecord:
    id: int
    target: str  # what the user typed: @name, t.me/name, t.me/+HASH
    channel_id: int | None  # set once resolved; never resolved again
    state: str  # requested|approved|joining|active|waiting|failed|suspended|expired|revoked|left
    account: str | None
    created_at: datetime
    reason: str | None = None
    wait_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class Authority:
    """The authorization (id) and its case (reference) a capture was made under.

    The monitor's authorization gate answers it for each post; the store writes it
    into the capture's ledger record (``authorization``, ``case``)."""

    authorization_id: int
    case_reference: str


@dataclass(frozen=True, slots=True)
class Capture:
    """The post a media row was hashed for, and its authorization (ledger only)."""

    channel_id: int
    message_id: int
    authority: Authority | None = None


@dataclass(frozen=True, slots=True)
class PostRecord:
    channel_id: int
    message_id: int
    date: datetime
    text: str
    edit_date: datetime | None
    author_signature: str | None
    views: int | None
    forwards: int | None
    fwd_channel_id: int | None
    fwd_message_id: int | None
    fwd_from_name: str | None
    fwd_date: datetime | None
    reply_to: int | None
    grouped_id: int | None
    entities_json: str  # JSON list of {"type","offset","length","url"}
    links: tuple[str, ...]
    mentions: tuple[str, ...]
    captured_at: datetime
    captured_by: str
    has_media: bool = False
    #: The authorization the post was captured under (None: unrestricted run).
    authority: Authority | None = None


@dataclass(frozen=True, slots=True)
class MediaRecord:
    id: int
    file_id: str
    kind: str
    size: int | None
    mime: str | None
    width: int | None
    height: int | None
    duration: float | None
    sha256: str | None
    md5: str | None
    pdq: str | None
    pdq_quality: int | None
    status: str  # "hashed" | "too_large" | "undecodable" | "failed" | "skipped"
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class NewMedia:
    """What the media handler learned about a file, before it has an id."""

    file_id: str
    kind: str
    size: int | None
    mime: str | None
    width: int | None
    height: int | None
    duration: float | None
    sha256: str | None
    md5: str | None
    pdq: str | None
    pdq_quality: int | None
    status: str
    reason: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. {"vpdq": [...]} later


@dataclass(frozen=True, slots=True)
class BankEntryIn:
    hash_type: HashType
    hash_value: str  # lower-case hex
    category: str | None = None
    source_ref: str | None = None
    note: str | None = None
    #: True for a tombstone (the source withdrew or deleted the hash): the entry is
    #: kept, disabled, with the reason, never forgotten.
    withdrawn: bool = False


@dataclass(frozen=True, slots=True)
class BankEntry:
    id: int
    bank: str
    hash_type: HashType
    hash_value: str
    category: str | None
    source_ref: str | None
    enabled: bool


@dataclass(frozen=True, slots=True)
class BankInfo:
    name: str
    threshold: int
    entries: int
    enabled_entries: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class MatchIn:
    bank_entry_id: int
    media_id: int
    hash_type: HashType
    distance: int  # 0 for exact matches


@dataclass(frozen=True, slots=True)
class Alert:
    id: int
    channel_id: int
    message_id: int
    state: AlertState
    priority: int
    created_at: datetime
    due_at: datetime
    claimed_by: str | None
    decided_by: str | None
    decided_at: datetime | None
    note: str | None
    matches: tuple[dict[str, Any], ...] = ()  # bank, entry id, hash type, distance, category


#: Every state a watch can be in (the schema checks it).
WATCH_STATES: tuple[str, ...] = (
    "requested", "approved", "joining", "active", "waiting",
    "failed", "suspended", "expired", "revoked", "left",
)
#: Watch states whose channel is recorded (``Store.watched_channel_ids``).
RECORDING_WATCH_STATES: tuple[str, ...] = ("approved", "joining", "active", "waiting")


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One row of the append-only audit trail (before/after as canonical JSON)."""

    id: int
    at: datetime
    actor: str
    action: str  # e.g. "watch.add", "watch.update", "alert.claim", "bank.import"
    subject: str  # e.g. "watch:3", "alert:12", "bank:demo"
    before_json: str | None
    after_json: str | None
    why: str | None
