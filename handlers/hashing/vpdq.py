"""vPDQ frame records, their text forms, and vPDQ's match rule (pure, no decoding).

A vPDQ hash is the list of PDQ hashes of one frame per second of a video. Meta's
vPDQ writes one frame per line as ``frame_number,quality,pdq_hex,timestamp``;
chanwatch stores a video's frames in one bank entry value, the same records
joined with ``;`` (see :func:`encode_frames`).

Comparison (vPDQ's ``match_two_hash_brute``): drop frames of quality < 50 on
both sides and de-duplicate identical hashes; a frame of one video is found in
the other when some frame of the other is within distance 31. That gives two
percentages: the share of the posted (query) video's frames found in the banked
one, and the share of the banked (target) video's frames found in the posted one.

Match rule (:class:`VpdqThresholds`), in both directions:

- **contains**: at least ``contains_percent`` (default 80) of the *banked*
  video's frames are found in the posted one: the post contains the banked clip
  (a compilation, a longer re-upload);
- **excerpt**: at least ``excerpt_percent`` (default 80, Meta's query default)
  of the *posted* video's frames are found in the banked one: the post is an
  excerpt of the banked video.

Either is a match; the verdict (:class:`VpdqVerdict`) says which (``contains``,
``excerpt`` or ``both``) and the two percentages. A threshold of 0 switches its
direction off; both off is refused. Thresholds are settings with per-bank
overrides (:class:`VpdqPolicy`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

import numpy as np
import numpy.typing as npt

VPDQ_DISTANCE = 31
VPDQ_QUALITY = 50
#: Default share (percent) of the banked video's frames found in the post ("contains").
VPDQ_CONTAINS_PERCENT = 80.0
#: Default share (percent) of the posted video's frames found in the banked one ("excerpt").
VPDQ_EXCERPT_PERCENT = 80.0

Direction = Literal["contains", "excerpt", "both"]


@dataclass(frozen=True, slots=True)
class VpdqFrame:
    """One hashed frame: number in decode order, PDQ quality, hex, seconds."""

    frame: int
    quality: int
    hex: str
    timestamp: float

    def line(self) -> str:
        """The frame as a vPDQ file line ``frame,quality,hex,timestamp``."""
        return f"{self.frame},{self.quality},{self.hex},{self.timestamp:.3f}"


@dataclass(frozen=True, slots=True)
class VpdqMatch:
    """How much of each side matched, in percent: ``query_percent`` of the posted
    (query) video's frames were found in the banked (target) video, and
    ``target_percent`` of the banked video's frames were found in the posted one."""

    query_percent: float
    target_percent: float

    def verdict(self, thresholds: VpdqThresholds | None = None) -> VpdqVerdict | None:
        """The match in either direction (default thresholds), or None."""
        return (thresholds or DEFAULT_THRESHOLDS).decide(self)

    def is_match(self, thresholds: VpdqThresholds | None = None) -> bool:
        """True when :meth:`verdict` finds a match in either direction."""
        return self.verdict(thresholds) is not None


def _check_percent(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a number of percent 0..100, not {value!r}")
    if not math.isfinite(value) or not 0 <= value <= 100:
        raise ValueError(f"{name} must be 0..100 percent (0 switches it off), not {value!r}")
    return float(value)


@dataclass(frozen=True, slots=True)
class VpdqThresholds:
    """When a posted video matches a banked one (see the module doc). Each value is
    a percentage 0..100; 0 switches that direction off. Raises ValueError naming
    the bad value."""

    #: Share of the banked video's frames that must be found in the posted one.
    contains_percent: float = VPDQ_CONTAINS_PERCENT
    #: Share of the posted video's frames that must be found in the banked one.
    excerpt_percent: float = VPDQ_EXCERPT_PERCENT

    def __post_init__(self) -> None:
        contains = _check_percent("contains_percent", self.contains_percent)
        excerpt = _check_percent("excerpt_percent", self.excerpt_percent)
        if contains == 0 and excerpt == 0:
            raise ValueError(
                "contains_percent and excerpt_percent are both 0: no video could match "
                "(0 switches one direction off, not both)"
            )
        object.__setattr__(self, "contains_percent", contains)
        object.__setattr__(self, "excerpt_percent", excerpt)

    def decide(self, match: VpdqMatch) -> VpdqVerdict | None:
        """The verdict for ``match``, or None when neither direction reaches its threshold."""
        contains = 0 < self.contains_percent <= match.target_percent
        excerpt = 0 < self.excerpt_percent <= match.query_percent
        if not (contains or excerpt):
            return None
        direction: Direction = "both" if contains and excerpt else (
            "contains" if contains else "excerpt")
        return VpdqVerdict(direction, match.target_percent, match.query_percent)


DEFAULT_THRESHOLDS = VpdqThresholds()


@dataclass(frozen=True, slots=True)
class VpdqVerdict:
    """Why a posted video matched a banked one."""

    direction: Direction
    #: Percent of the banked video's frames found in the posted video.
    banked_found: float
    #: Percent of the posted video's frames found in the banked video.
    posted_found: float

    def detail(self) -> dict[str, str]:
        """The verdict as a match record's detail: strings, one decimal."""
        return {
            "direction": self.direction,
            "banked_found": f"{self.banked_found:.1f}",
            "posted_found": f"{self.posted_found:.1f}",
        }


@dataclass(frozen=True, slots=True)
class VpdqPolicy:
    """Thresholds for every bank: ``default``, or the bank's entry in ``banks``."""

    default: VpdqThresholds = DEFAULT_THRESHOLDS
    banks: Mapping[str, VpdqThresholds] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        object.__setattr__(self, "banks", MappingProxyType(dict(self.banks)))

    def for_bank(self, bank: str) -> VpdqThresholds:
        """The thresholds of ``bank``."""
        return self.banks.get(bank, self.default)


def parse_frame_line(line: str) -> VpdqFrame:
    """Parse ``frame,quality,hex,timestamp``; raises ValueError naming the bad field."""
    parts = [p.strip() for p in line.split(",")]
    if len(parts) != 4:
        raise ValueError(f"expected 4 fields frame,quality,hex,timestamp, got {len(parts)}")
    frame_s, quality_s, hex_s, ts_s = parts
    try:
        frame = int(frame_s)
    except ValueError:
        raise ValueError(f"frame number is not an integer: {frame_s!r}") from None
    try:
        quality = int(quality_s)
    except ValueError:
        raise ValueError(f"quality is not an integer: {quality_s!r}") from None
    try:
        timestamp = float(ts_s)
    except ValueError:
        raise ValueError(f"timestamp is not a number: {ts_s!r}") from None
    if frame < 0:
        raise ValueError(f"frame number is negative: {frame}")
    if not 0 <= quality <= 100:
        raise ValueError(f"quality out of range 0..100: {quality}")
    if not timestamp >= 0:
        raise ValueError(f"timestamp is negative or not a number: {ts_s!r}")
    hex_l = hex_s.lower()
    if len(hex_l) != 64 or any(c not in "0123456789abcdef" for c in hex_l):
        raise ValueError(f"not a 64-digit PDQ hex: {hex_s!r}")
    return VpdqFrame(frame, quality, hex_l, timestamp)


def encode_frames(frames: Iterable[VpdqFrame]) -> str:
    """Frames as one string, ``;``-separated vPDQ lines (a bank entry's value)."""
    return ";".join(f.line() for f in frames)


def decode_frames(value: str) -> list[VpdqFrame]:
    """Inverse of :func:`encode_frames`. Raises ValueError on a malformed value."""
    if not value.strip():
        return []
    return [parse_frame_line(part) for part in value.split(";")]


def frames_to_array(frames: Sequence[VpdqFrame]) -> npt.NDArray[np.uint64]:
    """Frame hashes as an (N, 4) uint64 array (big-endian words), for distances."""
    if not frames:
        return np.zeros((0, 4), dtype=np.uint64)
    raw = bytes.fromhex("".join(f.hex for f in frames))
    return np.frombuffer(raw, dtype=">u8").astype(np.uint64).reshape(-1, 4)


def prepare(frames: Sequence[VpdqFrame], quality: int = VPDQ_QUALITY) -> list[VpdqFrame]:
    """vPDQ's pre-filter: keep frames of quality >= ``quality``, first of each hash."""
    seen: set[str] = set()
    out: list[VpdqFrame] = []
    for f in frames:
        if f.quality >= quality and f.hex not in seen:
            seen.add(f.hex)
            out.append(f)
    return out


def distance_matrix(a: npt.NDArray[np.uint64], b: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint16]:
    """All pairwise Hamming distances between (N, 4) and (M, 4) hash arrays."""
    x = a[:, np.newaxis, :] ^ b[np.newaxis, :, :]
    out: npt.NDArray[np.uint16] = np.bitwise_count(x).sum(axis=2, dtype=np.uint16)
    return out


def match_frames(
    query: Sequence[VpdqFrame],
    target: Sequence[VpdqFrame],
    *,
    distance: int = VPDQ_DISTANCE,
    quality: int = VPDQ_QUALITY,
) -> VpdqMatch:
    """vPDQ brute-force comparison of two videos' frames."""
    q = prepare(query, quality)
    t = prepare(target, quality)
    if not q or not t:
        return VpdqMatch(0.0, 0.0)
    close = distance_matrix(frames_to_array(q), frames_to_array(t)) <= distance
    q_hit = int(close.any(axis=1).sum())
    t_hit = int(close.any(axis=0).sum())
    return VpdqMatch(100.0 * q_hit / len(q), 100.0 * t_hit / len(t))
