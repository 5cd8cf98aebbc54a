"""vPDQ frame records, their text forms, and vPDQ's match rule (pure, no decoding).

A vPDQ hash is the list of PDQ hashes of one frame per second of a video. Meta's
vPDQ writes one frame per line as ``frame_number,quality,pdq_hex,timestamp``;
chanwatch stores a video's frames in one bank entry value, the same records
joined with ``;`` (see :func:`encode_frames`).

Match rule (vPDQ's ``match_two_hash_brute`` with its defaults): drop frames of
quality < 50 on both sides and de-duplicate identical hashes; a query frame is
matched when some target frame is within distance 31; the videos match when at
least 80 % of the query's frames are matched (and >= 0 % of the target's).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

VPDQ_DISTANCE = 31
VPDQ_QUALITY = 50
VPDQ_QUERY_MATCH_PERCENT = 80.0
VPDQ_TARGET_MATCH_PERCENT = 0.0


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
    """How much of each side matched, in percent."""

    query_percent: float
    target_percent: float

    def is_match(
        self,
        query_threshold: float = VPDQ_QUERY_MATCH_PERCENT,
        target_threshold: float = VPDQ_TARGET_MATCH_PERCENT,
    ) -> bool:
        """vPDQ's decision: both percentages reach their thresholds."""
        return self.query_percent >= query_threshold and self.target_percent >= target_threshold


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
