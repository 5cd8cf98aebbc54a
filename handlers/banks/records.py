"""Record-oriented bank formats (JSON): NCMEC-, StopNCII- and TCAP-style.

Input is JSON Lines (one record per line; errors carry the line number) or one
JSON document: a list of records, or an object holding the list under one of
``records``, ``images``, ``videos``, ``hashes``, ``hashRecords``, ``results``,
``data`` (errors carry the line where the record starts when the document is a
top-level list, else the record's position). The fields read are listed in each
parser's docstring and in the README; other fields are ignored.

JSON is read strictly: ``NaN`` and ``Infinity`` are not JSON, and values nest at
most ``json_depth`` deep (setting ``limits.json_depth``), so no input reaches
Python's recursion limit. :mod:`handlers.banks.reader` streams JSON Lines from a
file; a document (a list, or an object holding one) is parsed whole.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from handlers.banks.model import ParseResult, Withdrawal, clean, normalize_hash
from storage.errors import InvalidInput, setting_label
from storage.models import BankEntryIn, HashType

LIST_KEYS = ("records", "images", "videos", "hashes", "hashRecords", "results", "data")
RecordParser = Callable[[dict[str, Any], int | None, ParseResult, str | None], None]
#: Default of the setting ``limits.json_depth``.
DEFAULT_JSON_DEPTH = 32


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


_STRICT = json.JSONDecoder(parse_constant=_no_constant)


def nesting_depth(value: object) -> int:
    """How deep arrays and objects nest in ``value`` (a scalar: 0), without recursion."""
    deepest = 0
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Iterable[object] = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth + 1)
        stack.extend((child, depth + 1) for child in children)
    return deepest


def too_deep(depth: int) -> str:
    return (
        f"JSON nested deeper than {depth} levels; limit {depth} "
        f"({setting_label('limits.json_depth')})"
    )


def loads(text: str, depth: int) -> Any:
    """Strict ``json.loads`` (no NaN, no Infinity) of a value nesting at most
    ``depth`` deep; ValueError (a JSONDecodeError for bad syntax) otherwise."""
    try:
        value = _STRICT.decode(text)
    except RecursionError:
        raise ValueError(too_deep(depth)) from None
    if nesting_depth(value) > depth:
        raise ValueError(too_deep(depth))
    return value


def _raw_decode(text: str, pos: int, depth: int) -> tuple[Any, int]:
    try:
        value, end = _STRICT.raw_decode(text, pos)
    except RecursionError:
        raise ValueError(too_deep(depth)) from None
    if nesting_depth(value) > depth - 1:  # inside the top-level list
        raise ValueError(too_deep(depth))
    return value, end


class DocumentError(InvalidInput, ValueError):
    """The JSON document as a whole cannot be read (``line`` where it breaks)."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


def iter_records(
    text: str | Iterable[str], json_depth: int = DEFAULT_JSON_DEPTH
) -> Iterator[tuple[int | None, int, Any]]:
    """(line, record number, value) for every record (a ValueError value for a bad
    JSON line); raises :class:`DocumentError` when a JSON list cannot be read.
    ``text`` is a whole file, or the lines of a JSON Lines file (streamed)."""
    if not isinstance(text, str):
        yield from _json_lines(enumerate(text, start=1), json_depth)
        return
    stripped = text.lstrip()
    if stripped.startswith("["):
        pos = len(text) - len(stripped) + 1
        n = 0
        while True:
            while pos < len(text) and text[pos] in " \t\r\n,":
                pos += 1
            if pos >= len(text):
                raise DocumentError(text.count("\n") + 1, "JSON list is not closed")
            if text[pos] == "]":
                return
            line = text.count("\n", 0, pos) + 1
            try:
                value, pos = _raw_decode(text, pos, json_depth)
            except json.JSONDecodeError as exc:
                raise DocumentError(exc.lineno, f"invalid JSON: {exc.msg}") from None
            except ValueError as exc:
                raise DocumentError(text.count("\n", 0, pos) + 1, str(exc)) from None
            n += 1
            yield line, n, value
    if stripped.startswith("{"):
        try:
            doc = loads(text, json_depth)
        except json.JSONDecodeError:
            doc = None  # JSON Lines whose first record is an object
        except ValueError as exc:
            raise DocumentError(1, str(exc)) from None
        if isinstance(doc, dict):
            for key in LIST_KEYS:
                if isinstance(doc.get(key), list):
                    for n, value in enumerate(doc[key], start=1):
                        yield None, n, value
                    return
            yield 1, 1, doc  # a single record
            return
    yield from _json_lines(enumerate(text.splitlines(), start=1), json_depth)


def _json_lines(
    lines: Iterable[tuple[int, str]], json_depth: int
) -> Iterator[tuple[int | None, int, Any]]:
    n = 0
    for line, raw in lines:
        if not raw.strip():
            continue
        n += 1
        try:
            value = loads(raw, json_depth)
        except json.JSONDecodeError as exc:
            yield line, n, ValueError(f"invalid JSON: {exc.msg}")
            continue
        except ValueError as exc:
            yield line, n, ValueError(f"invalid JSON: {exc}")
            continue
        yield line, n, value


def _parse(
    text: str | Iterable[str],
    fmt: str,
    parse_one: RecordParser,
    category: str | None,
    json_depth: int,
) -> ParseResult:
    result = ParseResult(fmt)
    try:
        for line, n, value in iter_records(text, json_depth):
            result.records += 1
            where = {"line": line, "record": None if line is not None else n}
            if isinstance(value, ValueError):
                result.error(message=str(value), **where)
            elif not isinstance(value, dict):
                result.error(message="record is not a JSON object", **where)
            else:
                before = len(result.errors)
                parse_one(value, line, result, category)
                if line is None:  # attach the record number to errors of this record
                    result.errors[before:] = [
                        type(e)(None, e.message, n) for e in result.errors[before:]
                    ]
    except DocumentError as exc:
        result.error(exc.line, str(exc))
    return result


def _hash(
    result: ParseResult, line: int | None, hash_type: str, value: object
) -> tuple[HashType, str] | None:
    if not isinstance(value, str):
        result.error(line, f"{hash_type} value is not a string")
        return None
    try:
        return normalize_hash(hash_type, value)
    except ValueError as exc:
        result.error(line, str(exc))
        return None


# ---- NCMEC ----------------------------------------------------------------

NCMEC_TYPES = {"md5": "md5", "sha1": "sha1", "pdq": "pdq", "sha256": "sha256"}


def _ncmec_one(
    rec: dict[str, Any], line: int | None, result: ParseResult, category: str | None
) -> None:
    raw_id = rec.get("id")
    if raw_id is not None and (isinstance(raw_id, bool) or not isinstance(raw_id, str | int)):
        result.error(line, f"record id must be a string or a whole number, not {raw_id!r:.40}")
        return
    ref = clean(raw_id)
    if ref is None:
        result.error(line, "record has no id")
        return
    status = str(rec.get("status", "")).strip().lower()
    if rec.get("tombstone") is True or status in ("deleted", "tombstone"):
        result.withdrawals.append(Withdrawal(line, "tombstone", source_ref=ref))
        return
    fps = rec.get("fingerprints")
    pairs: list[tuple[str, object]]
    if isinstance(fps, dict):
        pairs = list(fps.items())
    elif isinstance(fps, list) and all(isinstance(f, dict) for f in fps):
        pairs = [(str(f.get("type", "")), f.get("value")) for f in fps]
    else:
        result.error(line, f"record {ref}: fingerprints missing or not an object/list")
        return
    classification = clean(rec.get("classification"))
    note = f"classification={classification}" if classification else None
    if not pairs:
        result.error(line, f"record {ref}: no fingerprints")
        return
    for kind, value in pairs:
        mapped = NCMEC_TYPES.get(kind.strip().lower())
        if mapped is None:
            result.skipped += 1  # PhotoDNA and other types chanwatch does not compute
            continue
        parsed = _hash(result, line, mapped, value)
        if parsed is not None:
            result.add(BankEntryIn(parsed[0], parsed[1], category or "csam", ref, note))


def parse_ncmec(
    text: str | Iterable[str],
    *,
    category: str | None = None,
    json_depth: int = DEFAULT_JSON_DEPTH,
) -> ParseResult:
    """NCMEC hash-sharing style records.

    Reads ``id`` (-> source_ref, required), ``classification`` (-> note
    ``classification=<value>``), ``fingerprints`` (object ``{"MD5": hex, "SHA1":
    hex, "PDQ": hex}`` or list of ``{"type", "value"}``; other types such as
    PhotoDNA are counted as skipped), ``tombstone: true`` or ``status:
    "deleted"`` (-> withdrawal of every entry with that id). Category: ``csam``.
    """
    return _parse(text, "ncmec", _ncmec_one, category, json_depth)


# ---- StopNCII -------------------------------------------------------------

STOPNCII_TYPES = {"imagepdq": "pdq", "videomd5": "md5", "imagemd5": "md5"}


def _stopncii_one(
    rec: dict[str, Any], line: int | None, result: ParseResult, category: str | None
) -> None:
    signal = str(rec.get("signalType", "")).strip()
    mapped = STOPNCII_TYPES.get(signal.lower())
    if mapped is None:
        result.error(line, f"unsupported signalType {signal!r} (ImagePDQ, VideoMD5)")
        return
    parsed = _hash(result, line, mapped, rec.get("hashValue"))
    if parsed is None:
        return
    ref = clean(rec.get("hashId"))
    status = str(rec.get("hashStatus", "Active")).strip().lower()
    if status in ("withdrawn", "deleted"):
        result.withdrawals.append(Withdrawal(line, status, parsed[0], parsed[1], ref))
    elif status in ("active", "added", ""):
        result.add(BankEntryIn(parsed[0], parsed[1], category or "ncii", ref))
    else:
        result.error(line, f"unknown hashStatus {rec.get('hashStatus')!r}")


def parse_stopncii(
    text: str | Iterable[str],
    *,
    category: str | None = None,
    json_depth: int = DEFAULT_JSON_DEPTH,
) -> ParseResult:
    """StopNCII style records.

    Reads ``signalType`` (ImagePDQ -> pdq, VideoMD5/ImageMD5 -> md5),
    ``hashValue`` (hex), ``hashStatus`` (Active/Added or missing: an entry;
    Withdrawn/Deleted: a withdrawal of that hash) and optional ``hashId``
    (-> source_ref). Category: ``ncii``.
    """
    return _parse(text, "stopncii", _stopncii_one, category, json_depth)


# ---- TCAP -----------------------------------------------------------------

TCAP_TYPES = {"md5": "md5", "sha1": "sha1", "sha256": "sha256", "pdq": "pdq"}


def _tcap_one(
    rec: dict[str, Any], line: int | None, result: ParseResult, category: str | None
) -> None:
    algorithm = str(rec.get("algorithm", "")).strip()
    mapped = TCAP_TYPES.get(algorithm.lower().replace("-", ""))
    if mapped is None:
        result.error(line, f"unsupported algorithm {algorithm!r} (MD5, SHA1, SHA256, PDQ)")
        return
    parsed = _hash(result, line, mapped, rec.get("hash_digest"))
    if parsed is None:
        return
    ref = clean(rec.get("id"))
    deleted = rec.get("deleted", False)
    if not isinstance(deleted, bool):
        result.error(line, f"deleted must be true or false, got {deleted!r}")
    elif deleted:
        result.withdrawals.append(Withdrawal(line, "deleted", parsed[0], parsed[1], ref))
    else:
        result.add(BankEntryIn(parsed[0], parsed[1], category or "terror", ref))


def parse_tcap(
    text: str | Iterable[str],
    *,
    category: str | None = None,
    json_depth: int = DEFAULT_JSON_DEPTH,
) -> ParseResult:
    """Tech Against Terrorism TCAP style records.

    Reads ``hash_digest`` (hex), ``algorithm`` (MD5, SHA1, SHA256, PDQ),
    ``deleted`` (true: a withdrawal of that hash) and optional ``id``
    (-> source_ref). Category: ``terror``.
    """
    return _parse(text, "tcap", _tcap_one, category, json_depth)
