"""Command-line arguments at the edge: one-line usage errors, id ranges, and the
length limit every argument shares.

* :class:`Parser` reports a usage error as one line (``chanwatch alerts show:
  error: argument ID: ...; see --help``) with exit status 2, like every other
  error of the command line.
* :func:`row_id` is the type of every id argument: a whole number from 1 to
  2^63-1, the range of a database row id (fixed, not a setting).
* :func:`check_arguments` refuses an argument longer than
  ``limits.argument_chars`` before the command runs.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from pathlib import Path
from typing import NoReturn

from monitor.settings import LimitSettings
from storage.errors import InvalidInput, LimitExceeded

#: Ids are SQLite INTEGER row ids: 1 .. 2^63-1.
MAX_ROW_ID = 2**63 - 1
_MAX_ID_DIGITS = len(str(MAX_ROW_ID))
#: Attributes of the parsed namespace that are not arguments.
_NOT_ARGUMENTS = frozenset({"func", "quiet", "command"})


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line on stderr (exit status 2)."""

    def error(self, message: str) -> NoReturn:
        line = " ".join(message.split())
        self.exit(2, f"{self.prog}: error: {line}; see {self.prog} --help\n")


def row_id(text: str) -> int:
    """argparse type of an id: a whole number 1 .. 2^63-1."""
    stripped = text.strip()
    digits = stripped.lstrip("+-")
    if not digits.isdigit():
        raise argparse.ArgumentTypeError(f"{_shown(text)} is not a whole number")
    if len(digits) > _MAX_ID_DIGITS or not 1 <= int(stripped) <= MAX_ROW_ID:
        raise argparse.ArgumentTypeError(
            f"{_shown(text)} is out of range: ids run from 1 to {MAX_ROW_ID}"
        )
    return int(stripped)


def _shown(text: str, most: int = 40) -> str:
    return repr(text if len(text) <= most else text[:most] + "...")


def check_arguments(args: argparse.Namespace, limits: LimitSettings) -> None:
    """Refuse any argument longer than ``limits.argument_chars`` (LimitExceeded),
    and text that is not UTF-8 (a file name may be any bytes; a name or a note not)."""
    limit = limits.argument_chars
    for name, value in vars(args).items():
        if name in _NOT_ARGUMENTS:
            continue
        for text in _texts(value):
            if len(str(text)) > limit:
                raise LimitExceeded(
                    f"argument {name}",
                    f"{len(str(text))} characters",
                    f"{limit} characters",
                    "limits.argument_chars",
                )
            if isinstance(text, str):
                try:
                    text.encode("utf-8")
                except UnicodeEncodeError as exc:
                    raise InvalidInput(
                        f"argument {name}: not UTF-8 text (byte {exc.start + 1})"
                    ) from None


def _texts(value: object) -> Iterable[str | Path]:
    if isinstance(value, str | Path):
        yield value
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _texts(item)
