"""Line-oriented bank formats: chanwatch CSV, HMA signal text, vPDQ hash files."""

from __future__ import annotations

import csv
import io

from handlers.banks.model import ParseResult, clean, normalize_hash
from handlers.hashing.vpdq import VpdqFrame, encode_frames, parse_frame_line
from storage.models import BankEntryIn

CSV_REQUIRED = ("hash_type", "hash_value")
CSV_OPTIONAL = ("category", "source_ref", "note")

#: HMA / ThreatExchange signal type names (and common aliases) to our hash types.
HMA_SIGNAL_TYPES = {
    "pdq": "pdq",
    "md5": "md5",
    "video_md5": "md5",
    "photo_md5": "md5",
    "sha256": "sha256",
    "sha1": "sha1",
    "vpdq": "vpdq",
    "video_vpdq": "vpdq",
}


def _lower(category: str | None) -> str | None:
    return category.lower() if category else None


def parse_csv(text: str, *, category: str | None = None) -> ParseResult:
    """chanwatch CSV: header ``hash_type,hash_value[,category][,source_ref][,note]``.

    Columns are matched by name (any order); ``category`` in a row overrides the
    ``category`` argument. Blank lines are ignored.
    """
    result = ParseResult("csv")
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    end = 0
    for row in reader:
        line, end = end + 1, reader.line_num  # a quoted field may span lines: report the first
        if not any(cell.strip() for cell in row):
            continue
        if header is None:
            header = [c.strip().lower() for c in row]
            unknown = [c for c in header if c not in CSV_REQUIRED + CSV_OPTIONAL]
            missing = [c for c in CSV_REQUIRED if c not in header]
            dupes = {c for c in header if header.count(c) > 1}
            if unknown or missing or dupes:
                problems = []
                if missing:
                    problems.append(f"missing column(s) {', '.join(missing)}")
                if unknown:
                    problems.append(f"unknown column(s) {', '.join(unknown)}")
                if dupes:
                    problems.append(f"repeated column(s) {', '.join(sorted(dupes))}")
                result.error(
                    line,
                    "bad header (" + "; ".join(problems) + "): expected "
                    "hash_type,hash_value[,category][,source_ref][,note]",
                )
                return result
            continue
        result.records += 1
        if len(row) != len(header):
            result.error(line, f"expected {len(header)} fields, got {len(row)}")
            continue
        fields = dict(zip(header, row, strict=True))
        try:
            hash_type, value = normalize_hash(fields["hash_type"], fields["hash_value"])
        except ValueError as exc:
            result.error(line, str(exc))
            continue
        result.add(
            BankEntryIn(
                hash_type,
                value,
                category=_lower(clean(fields.get("category"))) or _lower(category),
                source_ref=clean(fields.get("source_ref")),
                note=clean(fields.get("note")),
            )
        )
    if header is None:
        result.error(1, "empty file: no header hash_type,hash_value[,...]")
    return result


def parse_hma(
    text: str, *, category: str | None = None, source_ref: str | None = None
) -> ParseResult:
    """HMA one-signal-per-line text: ``<signal_type> <value>``, ``#`` comments.

    Signal types: pdq, md5 (also video_md5, photo_md5), sha256, sha1, vpdq.
    """
    result = ParseResult("hma")
    for line, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        result.records += 1
        parts = stripped.split()
        if len(parts) != 2:
            result.error(line, f"expected '<signal_type> <value>', got {len(parts)} field(s)")
            continue
        signal_type = parts[0].lower()
        mapped = HMA_SIGNAL_TYPES.get(signal_type)
        if mapped is None:
            result.error(line, f"unsupported signal type {parts[0]!r}")
            continue
        try:
            hash_type, value = normalize_hash(mapped, parts[1])
        except ValueError as exc:
            result.error(line, str(exc))
            continue
        result.add(BankEntryIn(hash_type, value, category=_lower(category), source_ref=source_ref))
    return result


def parse_vpdq_file(
    text: str, *, category: str | None = None, source_ref: str | None = None
) -> ParseResult:
    """A vPDQ hash file (one video): ``frame,quality,hex,timestamp`` per line.

    Produces one ``vpdq`` entry holding all valid frames; ``#`` comments and
    blank lines are ignored; frame numbers must increase.
    """
    result = ParseResult("vpdq")
    frames: list[VpdqFrame] = []
    for line, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        result.records += 1
        try:
            frame = parse_frame_line(stripped)
        except ValueError as exc:
            result.error(line, str(exc))
            continue
        if frames and frame.frame <= frames[-1].frame:
            result.error(line, f"frame number {frame.frame} does not increase")
            continue
        frames.append(frame)
    if frames:
        result.add(
            BankEntryIn(
                "vpdq", encode_frames(frames), category=_lower(category), source_ref=source_ref
            )
        )
    elif not result.errors:
        result.error(1, "no frames in vPDQ file")
    return result
