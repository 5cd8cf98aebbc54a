"""Plain values that cross the storage boundary (no Telethon, no handlers)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

HashType = Literal["sha256", "sha1", "md5", "pdq", "vpdq"]
AlertState = Literal["open", "claimed", "confirmed", "dismissed"]
#: What raised an alert first: a bank match, or a detector's finding (set once).
AlertKind = Literal["match", "detected"]


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
    #: Why it matched, as strings (vPDQ: ``direction``, ``banked_found``,
    #: ``posted_found``); written into the match's ledger record, shown with the alert.
    detail: Mapping[str, str] | None = None


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
    # bank, entry id, hash type, distance, category, detail (vPDQ: direction, percentages)
    matches: tuple[dict[str, Any], ...] = ()
    #: What raised it first: ``match`` (a bank entry) or ``detected`` (a detector).
    kind: AlertKind = "match"
    #: Detections it carries (``storage.detection_models.Detection.summary``):
    #: detector, model, version, signal, labels and scores; never the image.
    detections: tuple[dict[str, Any], ...] = ()


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


@dataclass(frozen=True, slots=True)
class StoredHashes:
    """The hashes a medium has beyond its media row (table ``media_hashes``)."""

    media_id: int
    sha1: str | None = None
    #: The 8 dihedral PDQ variants, original first (empty when not an image).
    pdq_dihedral: tuple[str, ...] = ()
    #: vPDQ frames, encoded as ``handlers.hashing.encode_frames`` writes them.
    vpdq: str | None = None


@dataclass(frozen=True, slots=True)
class MediaDisable:
    """A bank entry disabled for one medium (a dismissed false positive)."""

    bank_entry_id: int
    media_id: int
    sha256: str | None
    alert_id: int | None
    disabled_by: str
    disabled_at: datetime


@dataclass(frozen=True, slots=True)
class BankFeedback:
    """Operators' decisions on the alerts a bank's entries raised."""

    bank: str
    confirmed: int  # decided alerts with a match in this bank: confirmed
    dismissed: int  # ... dismissed as false positives
    disabled_for_media: int  # (entry, media) pairs disabled after a dismissal

    @property
    def false_positive_rate(self) -> float | None:
        """Dismissed share of the decided alerts (None before any decision)."""
        decided = self.confirmed + self.dismissed
        return None if decided == 0 else self.dismissed / decided


@dataclass(frozen=True, slots=True)
class Sighting:
    """One post a medium was seen in, with the post's metadata (spread, re-matching)."""

    media_id: int
    channel_id: int
    message_id: int
    seen_at: datetime
    post_date: datetime | None
    channel_title: str | None
    channel_username: str | None
    fwd_channel_id: int | None
    fwd_message_id: int | None
    fwd_date: datetime | None
    alert_id: int | None
    alert_state: AlertState | None


@dataclass(frozen=True, slots=True)
class BankColumns:
    """A chunk of one bank's enabled entries of one hash type, as columns (bulk loading)."""

    bank: str
    hash_type: HashType
    ids: list[int]
    values: list[str]
    categories: list[str | None]


@dataclass(frozen=True, slots=True)
class SweepProgress:
    """Where the history sweep of one channel stands (monitor/sweep.py).

    A pass checks the channel's stored, not deleted posts from the newest down;
    ``below`` is the message id it continues under (None: a new pass starts at
    the newest post). ``last_pass_*`` describe the previous complete pass.
    """

    channel_id: int
    pass_no: int
    below: int | None
    checked: int
    deleted: int
    pass_started_at: datetime
    updated_at: datetime
    last_pass_at: datetime | None = None
    last_pass_checked: int | None = None
    last_pass_deleted: int | None = None
