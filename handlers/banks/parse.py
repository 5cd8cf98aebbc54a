"""One entry point for every bank format: :func:`parse_bank` (with detection)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable

from handlers.banks.model import ParseResult
from handlers.banks.records import (
    DEFAULT_JSON_DEPTH,
    loads,
    parse_ncmec,
    parse_stopncii,
    parse_tcap,
)
from handlers.banks.text import (
    DEFAULT_LINE_BYTES,
    HMA_SIGNAL_TYPES,
    parse_csv,
    parse_hma,
    parse_vpdq_file,
)
from storage.errors import InvalidInput

FORMATS = ("csv", "hma", "vpdq", "ncmec", "stopncii", "tcap")


class UnknownFormatError(InvalidInput, ValueError):
    """The format could not be detected or is not one of :data:`FORMATS`."""


def _first_lines(text: str, n: int = 5) -> list[str]:
    out = []
    for raw in text.splitlines():
        s = raw.strip()
        if s and not s.startswith("#"):
            out.append(s)
            if len(out) >= n:
                break
    return out


def _first_record(text: str, json_depth: int) -> dict[str, object] | None:
    """The first record of a JSON document or JSON Lines text (None: not JSON);
    UnknownFormatError for JSON chanwatch refuses to read (too deep, NaN)."""
    stripped = text.lstrip()
    candidates: list[object] = []
    try:
        try:
            candidates.append(loads(stripped, json_depth))
        except json.JSONDecodeError:  # not one document: JSON Lines?
            first = stripped.splitlines()[0] if stripped else ""
            try:
                candidates.append(loads(first, json_depth))
            except json.JSONDecodeError:
                return None
    except ValueError as exc:
        raise UnknownFormatError(str(exc)) from None
    while candidates:
        value = candidates.pop(0)
        if isinstance(value, list) and value:
            candidates.append(value[0])
        elif isinstance(value, dict):
            lists = [v for v in value.values() if isinstance(v, list) and v]
            if lists and not {"fingerprints", "signalType", "hash_digest"} & value.keys():
                candidates.append(lists[0])
            else:
                return value
    return None


def detect_format(text: str, json_depth: int = DEFAULT_JSON_DEPTH) -> str:
    """Guess the format from the first lines / first record. Raises UnknownFormatError."""
    stripped = text.lstrip()
    if stripped.startswith(("[", "{")):
        rec = _first_record(text, json_depth)
        if rec is not None:
            if "signalType" in rec or "hashValue" in rec:
                return "stopncii"
            if "hash_digest" in rec or "algorithm" in rec:
                return "tcap"
            if "fingerprints" in rec or "classification" in rec or "tombstone" in rec:
                return "ncmec"
        raise UnknownFormatError("JSON records of an unknown kind (not NCMEC, StopNCII or TCAP)")
    lines = _first_lines(text)
    if not lines:
        raise UnknownFormatError("empty file")
    first = lines[0]
    cells = [c.strip().strip('"').lower() for c in first.split(",")]
    if cells[0] in ("hash_type", "hash_value") or {"hash_type", "hash_value"} <= set(cells):
        return "csv"  # the header; its columns in any order, others ignored
    parts = first.split(",")
    if len(parts) == 4 and parts[0].strip().isdigit() and len(parts[2].strip()) == 64:
        return "vpdq"
    token = first.split()[0].lower()
    if token in HMA_SIGNAL_TYPES:
        return "hma"
    raise UnknownFormatError(
        f"cannot tell the format from the first line; give it explicitly ({', '.join(FORMATS)})"
    )


def parse_bank(
    data: bytes | str,
    fmt: str = "auto",
    *,
    category: str | None = None,
    source_ref: str | None = None,
) -> ParseResult:
    """Parse a bank file in memory. ``fmt``: ``auto`` or one of :data:`FORMATS`.

    ``category`` is the default category (formats with their own: csam for
    NCMEC, ncii for StopNCII, terror for TCAP; a CSV row's category wins);
    ``source_ref`` is recorded on entries of formats that have no reference of
    their own (HMA text, vPDQ files). Undecodable bytes and an unknown format
    raise :class:`UnknownFormatError`; invalid lines are in ``result.errors``.
    Files are read with :func:`handlers.banks.reader.read_bank`, which streams
    them within the limits of the settings.
    """
    check_format(fmt)
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise UnknownFormatError(f"not UTF-8 text (byte {exc.start})") from None
    else:
        text = data.removeprefix("\ufeff")
    kind = detect_format(text) if fmt == "auto" else fmt
    return parse_as(kind, text, category=category, source_ref=source_ref)


def check_format(fmt: str) -> None:
    """Raise :class:`UnknownFormatError` unless ``fmt`` is ``auto`` or one of :data:`FORMATS`."""
    if fmt != "auto" and fmt not in FORMATS:
        raise UnknownFormatError(
            f"unknown format {fmt!r} (expected auto or {', '.join(FORMATS)})"
        )


def parse_as(
    kind: str,
    text: str | Iterable[str],
    *,
    category: str | None = None,
    source_ref: str | None = None,
    json_depth: int = DEFAULT_JSON_DEPTH,
    line_bytes: int = DEFAULT_LINE_BYTES,
) -> ParseResult:
    """Parse ``text`` (the whole file, or its lines) as format ``kind``."""
    check_format(kind)
    cat = category.lower() if category else None
    if kind == "csv":
        return parse_csv(text, category=cat, line_bytes=line_bytes)
    if kind == "hma":
        return parse_hma(text, category=cat, source_ref=source_ref)
    if kind == "vpdq":
        return parse_vpdq_file(text, category=cat, source_ref=source_ref)
    if kind == "ncmec":
        return parse_ncmec(text, category=cat, json_depth=json_depth)
    if kind == "stopncii":
        return parse_stopncii(text, category=cat, json_depth=json_depth)
    return parse_tcap(text, category=cat, json_depth=json_depth)


async def parse_bank_async(
    data: bytes | str,
    fmt: str = "auto",
    *,
    category: str | None = None,
    source_ref: str | None = None,
) -> ParseResult:
    """:func:`parse_bank` in a worker thread (big files take seconds)."""
    return await asyncio.to_thread(parse_bank, data, fmt, category=category, source_ref=source_ref)
