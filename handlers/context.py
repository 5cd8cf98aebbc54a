"""What a handler sees: the handler type, the context and per-post state, the
settings handlers read, bank hits and the bank index's protocol.

Its own module so that the pipeline (:mod:`handlers.pipeline`) and the
built-in handlers (:mod:`handlers.builtin`) both import it and not each other.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING, Protocol

import structlog

from handlers.banks.categories import DEFAULT_PRIORITY, category_priority
from handlers.hashing import MediaHashes, VpdqFrame, VpdqVerdict
from handlers.hashing.pdq import DEFAULT_MAX_PIXELS
from handlers.hashing.video import DEFAULT_MAX_FRAMES
from handlers.post import MediaKind, Post
from storage.api import Store
from storage.codec import utc_now
from storage.detection_models import Detection
from storage.models import Alert, HashType, MediaRecord

if TYPE_CHECKING:
    from handlers.detect.frames import MediaInput
    from handlers.detect.stage import DetectorStage

Handler = Callable[[Post, "Context"], Awaitable[None]]



@dataclass(frozen=True, slots=True)
class PipelineConfig:
    """The settings handlers see (built by ``monitor.settings.Settings.pipeline_config``)."""

    media_max_bytes: int
    hash_kinds: frozenset[MediaKind]
    pdq_threshold: int = 31
    pdq_min_quality: int = 50
    alert_due: timedelta = timedelta(hours=24)
    #: Bank entry category -> alert priority; 1 is the most urgent. Compared
    #: case-insensitively (keys are stored lower-case).
    category_priority: Mapping[str, int] = field(
        default_factory=lambda: MappingProxyType({})
    )
    #: Priority for entries without a category or with one not in the mapping.
    default_priority: int = DEFAULT_PRIORITY
    #: When a bank grows, media seen this far back are matched again.
    rematch_window: timedelta = timedelta(days=7)
    #: Images and video frames with more pixels are not decoded.
    media_max_pixels: int = DEFAULT_MAX_PIXELS
    #: vPDQ stops after this many hashed frames.
    media_max_frames: int = DEFAULT_MAX_FRAMES

    def __post_init__(self) -> None:
        lowered = {k.strip().lower(): v for k, v in self.category_priority.items()}
        object.__setattr__(self, "category_priority", MappingProxyType(lowered))

    def priority_of(self, category: str | None) -> int:
        """The alert priority of a bank entry's category."""
        return category_priority(category, self.category_priority, self.default_priority)


@dataclass(frozen=True, slots=True)
class Hit:
    """One bank entry a post's media matched."""

    entry_id: int
    bank: str
    hash_type: HashType
    distance: int  # 0 for exact matches
    category: str | None
    #: PDQ: the dihedral variant of the query that matched ("original", "flipx"...).
    variant: str | None = None
    #: vPDQ: which direction matched (contains / excerpt / both) and both percentages.
    vpdq: VpdqVerdict | None = None


class BankIndex(Protocol):
    """What the match handler asks of the bank index (the monitor adapts
    :class:`handlers.index.BankIndex` to it).

    ``lookup_values`` is CPU work: the match handler runs it in a thread, once
    per medium, with every hash it has: exact hashes (``sha256``, ``md5``,
    ``sha1``), the PDQ and its 8 dihedral variants (``pdq_variants``; entries
    within each bank's own threshold; the caller has applied the quality
    filter), the vPDQ frames (vPDQ's rule in both directions, each bank's
    thresholds; the hit says which direction matched). ``media_key`` names the medium, so
    entries disabled for it (a dismissed false positive) are left out. Each
    entry is reported once, at its closest distance.
    """

    def lookup_values(
        self,
        *,
        sha256: str | None = None,
        md5: str | None = None,
        sha1: str | None = None,
        pdq: str | None = None,
        pdq_quality: int | None = None,
        pdq_variants: Sequence[str] | None = None,
        vpdq: Sequence[VpdqFrame] | None = None,
        media_key: str | None = None,
    ) -> list[Hit]: ...


@dataclass(slots=True)
class PostState:
    """Scratch space for one post, shared by its handlers in order."""

    #: Filled by ``links``; the record handler stores them.
    links: tuple[str, ...] = ()
    mentions: tuple[str, ...] = ()
    #: Set by ``record`` once the store has committed the post.
    committed: bool = False
    #: True when the post was not stored before (False for a replay or an edit).
    new: bool = False
    #: The post's media row, new or found again (set by ``media``).
    media: MediaRecord | None = None
    #: True when the media was already known (no download, no hashing).
    media_reused: bool = False
    #: Every hash of media hashed for this post (SHA-1, PDQ dihedral variants,
    #: vPDQ frames: more than the media row keeps); None when it was reused.
    hashes: MediaHashes | None = None
    #: Bank hits for ``media`` (set by ``match``).
    hits: list[Hit] = field(default_factory=list)
    #: The alert raised or extended for this post (set by ``alert``).
    alert: Alert | None = None
    #: The pictures the detectors get of a medium hashed for this post (set by
    #: ``media`` when detection is on for its kind; ``detect`` lets go of them).
    detect_input: MediaInput | None = None
    #: The stored findings on ``media`` (set by ``detect``).
    detections: list[Detection] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Context:
    """What a handler may use. ``state`` is per post (see :meth:`for_post`)."""

    store: Store
    index: BankIndex
    config: PipelineConfig
    log: structlog.stdlib.BoundLogger
    clock: Callable[[], datetime] = utc_now
    state: PostState = field(default_factory=PostState)
    #: The detector stage (None: no detection; see :mod:`handlers.detect`).
    detectors: DetectorStage | None = None

    def for_post(self, post: Post) -> Context:
        """A copy for one post: fresh state, logger bound to the post's ids."""
        return replace(
            self,
            state=PostState(),
            log=self.log.bind(channel_id=post.channel_id, message_id=post.message_id),
        )
