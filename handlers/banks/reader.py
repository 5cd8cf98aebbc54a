"""Reading a bank file from disk: streamed where the format allows, within limits.

CSV, HMA text, vPDQ files and JSON Lines are read line by line: memory grows
with the entries, not with the file, and every line is at most
``limits.line_bytes``. A JSON document (a list of records, or an object holding
one) can only be parsed whole: it is read whole, at most
``limits.json_document_bytes``. The whole file is at most
``limits.bank_file_bytes``; a regular file larger than that is refused before
anything is read. Crossing a limit raises :class:`~storage.errors.LimitExceeded`
naming the file, the line, the limit and the setting; nothing is imported.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain
from pathlib import Path

from handlers.banks.model import ParseResult
from handlers.banks.parse import UnknownFormatError, check_format, detect_format, parse_as
from handlers.banks.records import DEFAULT_JSON_DEPTH, LIST_KEYS, loads
from handlers.banks.text import DEFAULT_LINE_BYTES
from handlers.files import BoundedFile, format_size, open_bounded
from storage.errors import LimitExceeded

JSON_FORMATS = ("ncmec", "stopncii", "tcap")
LINE_FORMATS = ("csv", "hma", "vpdq")
_HEAD_LINES = 5  # significant lines format detection looks at
_BLANK = b" \t\r\n\xef\xbb\xbf"  # whitespace, and the UTF-8 BOM


@dataclass(frozen=True, slots=True)
class BankLimits:
    """The ``[limits]`` settings a bank file is read with (defaults: the settings')."""

    file_bytes: int = 1024**3
    json_document_bytes: int = 256 * 1024**2
    line_bytes: int = DEFAULT_LINE_BYTES
    json_depth: int = DEFAULT_JSON_DEPTH


def read_bank(
    path: Path,
    fmt: str = "auto",
    *,
    category: str | None = None,
    source_ref: str | None = None,
    limits: BankLimits | None = None,
) -> ParseResult:
    """Parse the bank file at ``path`` (``fmt``: ``auto`` or a format name).

    Raises :class:`UnknownFormatError` (format unknown, not UTF-8),
    :class:`~storage.errors.LimitExceeded` and, for a file that cannot be
    read, :class:`~storage.errors.InvalidInput`; invalid lines are in
    ``result.errors`` with their numbers.
    """
    check_format(fmt)
    lim = limits or BankLimits()
    with open_bounded(path, lim.file_bytes, "limits.bank_file_bytes", "bank file") as file:
        return _Reading(file, fmt, lim, category, source_ref).parse()


class _Reading:
    def __init__(
        self,
        file: BoundedFile,
        fmt: str,
        limits: BankLimits,
        category: str | None,
        source_ref: str | None,
    ) -> None:
        self.file = file
        self.fmt = fmt
        self.limits = limits
        self.category = category
        self.source_ref = source_ref
        self.number = 0  # lines read so far

    # ------------------------------------------------------------------ lines

    def _raw_line(self) -> bytes:
        """The next line (with its ending), at most ``line_bytes`` long, else the
        start of a longer line (the caller decides)."""
        return self.file.readline(self.limits.line_bytes + 2)

    def _too_long(self) -> LimitExceeded:
        most = self.limits.line_bytes
        return LimitExceeded(
            f"{self.file.name} line {self.number}",
            "a line longer than allowed",
            f"{format_size(most)} per line",
            "limits.line_bytes",
        )

    def _decode(self, raw: bytes) -> str:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise UnknownFormatError(
                f"not UTF-8 text (line {self.number}, byte {exc.start + 1})"
            ) from None
        return text.removeprefix("\ufeff") if self.number == 1 else text

    def _line(self) -> str | None:
        raw = self._raw_line()
        if not raw:
            return None
        self.number += 1
        if len(raw.rstrip(b"\r\n")) > self.limits.line_bytes:
            raise self._too_long()
        return self._decode(raw)

    def _lines(self) -> Iterator[str]:
        while (line := self._line()) is not None:
            yield line

    # ------------------------------------------------------------------ shapes

    def parse(self) -> ParseResult:
        head: list[str] = []
        while True:  # the first line that is not blank says what the file is
            raw = self._raw_line()
            if not raw:
                break
            self.number += 1
            stripped = raw.lstrip(_BLANK)
            json_like = stripped[:1] in (b"[", b"{") and self.fmt not in LINE_FORMATS
            if len(raw.rstrip(b"\r\n")) > self.limits.line_bytes:
                if not json_like:
                    raise self._too_long()
                return self._document(head, raw)  # a long first line: a minified document
            line = self._decode(raw)
            if not stripped.strip():
                head.append(line)
                continue
            if json_like:
                return self._json(head, line)
            head.append(line)
            break
        return self._line_format(head)

    def _line_format(self, head: list[str]) -> ParseResult:
        significant = sum(1 for line in head if _significant(line))
        while significant < _HEAD_LINES and (line := self._line()) is not None:
            head.append(line)
            significant += _significant(line)
        kind = detect_format("".join(head)) if self.fmt == "auto" else self.fmt
        return self._parse_as(kind, chain(head, self._lines()))

    def _json(self, head: list[str], first: str) -> ParseResult:
        if first.lstrip().startswith("["):
            return self._document(head, first.encode("utf-8"))
        try:
            value = loads(first, self.limits.json_depth)
        except json.JSONDecodeError:  # an object over several lines: a document
            return self._document(head, first.encode("utf-8"))
        except ValueError as exc:  # too deep, NaN: the first record is bad
            if self.fmt == "auto":
                raise UnknownFormatError(f"line {self.number}: {exc}") from None
            return self._parse_as(self.fmt, chain(head, [first], self._lines()))
        if isinstance(value, dict) and any(isinstance(value.get(k), list) for k in LIST_KEYS):
            return self._document(head, first.encode("utf-8"))  # a document on one line
        kind = detect_format(first, self.limits.json_depth) if self.fmt == "auto" else self.fmt
        return self._parse_as(kind, chain(head, [first], self._lines()))  # JSON Lines

    def _document(self, head: list[str], start: bytes) -> ParseResult:
        """The rest of the file read whole: one JSON document."""
        most = self.limits.json_document_bytes
        size = self.file.size
        if size is not None and size > most:
            raise LimitExceeded(
                self.file.name,
                f"a JSON document of {format_size(size)} (it is read whole)",
                format_size(most),
                "limits.json_document_bytes",
            )
        before = "".join(head).encode("utf-8")
        data = before + start + self.file.read_rest(most, "limits.json_document_bytes")
        try:
            text = data.decode("utf-8").removeprefix("\ufeff")
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            raise UnknownFormatError(f"not UTF-8 text (line {line})") from None
        kind = detect_format(text, self.limits.json_depth) if self.fmt == "auto" else self.fmt
        return self._parse_as(kind, text)

    def _parse_as(self, kind: str, text: str | Iterator[str]) -> ParseResult:
        try:
            return parse_as(
                kind,
                text,
                category=self.category,
                source_ref=self.source_ref,
                json_depth=self.limits.json_depth,
                line_bytes=self.limits.line_bytes,
            )
        except LimitExceeded as exc:
            if exc.where.startswith(self.file.name):
                raise
            raise exc.at(f"{self.file.name} {exc.where}") from None


def _significant(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")
