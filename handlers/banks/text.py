"""Line-oriented bank formats: chanwatch CSV, HMA signal text, vPDQ hash files.

Each parser takes the whole text or its lines (:mod:`handlers.banks.reader`
streams them from a file, with the length of every line already checked).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from handlers.banks.model import ParseResult, clean, normalize_hash
from handlers.hashing.vpdq import VpdqFrame, encode_frames, parse_frame_line
from storage.errors import LimitExceeded
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


def _lines(text: str | Iterable[str]) -> Iterable[str]:
    """The lines of ``text`` (kept as they are when already lines)."""
    return io.StringIO(text, newline="") if isinstance(text, str) else text


#: Default of the setting ``limits.line_bytes``: the longest line of a bank file.
DEFAULT_LINE_BYTES = 1024 * 1024


def parse_csv(
    text: str | Iterable[str],
    *,
    category: str | None = None,
    line_bytes: int = DEFAULT_LINE_BYTES,
) -> ParseResult:
    """chanwatch CSV: header ``hash_type,hash_value[,category][,source_ref][,note]``.

    Columns are matched by name (any order); other columns are ignored;
    ``category`` in a row overrides the ``category`` argument. Blank lines are
    ignored. A field longer than ``line_bytes`` (a quoted field spanning lines)
    raises :class:`~storage.errors.LimitExceeded`.
    """
    result = ParseResult("csv")
    # csv's own field limit (128 KiB by default) is process-wide; only bank files
    # are read with the csv module, so it is set to this file's line limit.
    csv.field_size_limit(line_bytes)
    reader = csv.reader(_lines(text))
    header: list[str] | None = None
    end = 0
    rows = iter(reader)
    while True:
        try:
            row = next(rows)
        except StopIteration:
            break
        except csv.Error as exc:
            if "field limit" in str(exc):
                raise LimitExceeded(
                    f"line {end + 1}",
                    "a field longer than allowed (a quoted field spanning lines?)",
                    f"{line_bytes} bytes per line",
                    "limits.line_bytes",
                ) from None
            result.error(end + 1, f"not CSV: {exc}")
            return result
        line, end = end + 1, reader.line_num  # a quoted field may span lines: report the first
        if not any(cell.strip() for cell in row):
            continue
        if header is None:
            header = [c.strip().lower() for c in row]
            unknown = [c for c in header if c not in CSV_REQUIRED + CSV_OPTIONAL]
            missing = [c for c in CSV_REQUIRED if c not in header]
            dupes = {c for c in header if c and header.count(c) > 1}
            if missing or dupes:  # other columns are ignored, named only as a hint
                problems = []
                if missing:
                    problems.append(f"missing column(s) {', '.join(missing)}")
                if unknown and missing:
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
        fields = {
            name: cell
            for name, cell in zip(header, row, strict=True)
            if name in CSV_REQUIRED + CSV_OPTIONAL
        }
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
    text: str | Iterable[str], *, category: str | None = None, source_ref: str | None = None
) -> ParseResult:
    """HMA one-signal-per-line text: ``<signal_type> <value>``, ``#`` comments.

    Signal types: pdq, md5 (also video_md5, photo_md5), sha256, sha1, vpdq.
    """
    result = ParseResult("hma")
    for line, raw in enumerate(_lines(text), start=1):
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
    text: str | Iterable[str], *, category: str | None = None, source_ref: str | None = None
) -> ParseResult:
    """A vPDQ hash file (one video): ``frame,quality,hex,timestamp`` per line.

    Produces one ``vpdq`` entry holding all valid frames; ``#`` comments and
    blank lines are ignored; frame numbers must increase.
    """
    result = ParseResult("vpdq")
    frames: list[VpdqFrame] = []
    for line, raw in enumerate(_lines(text), start=1):
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
