"""Reading untrusted files within limits.

:func:`open_bounded` opens a file for reading at most ``max_bytes``: a regular
file larger than that is refused before anything is read (its size is known),
anything else (a pipe, ``/dev/zero``) as soon as more arrives. Lines are read
with a length limit, so one endless line never has to fit in memory. Crossing
a limit raises :class:`~storage.errors.LimitExceeded`: one line naming the file
(and line), the limit and the setting; a file that cannot be opened is
:class:`~storage.errors.InvalidInput` naming it.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from storage.errors import InvalidInput, LimitExceeded

_CHUNK = 1024 * 1024


def format_size(n: int) -> str:
    """``3221225472`` -> ``3221225472 bytes (3.0 GiB)``; small sizes in bytes only."""
    if n < 1024:
        return f"{n} bytes"
    value = float(n)
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        value /= 1024
        if value < 1024 or unit == "TiB":
            return f"{n} bytes ({value:.1f} {unit})"
    raise AssertionError("unreachable")


class BoundedFile:
    """A binary file that refuses to yield more than ``max_bytes`` in total."""

    def __init__(
        self, file: BinaryIO, name: str, max_bytes: int, setting: str, size: int | None
    ) -> None:
        self._file = file
        self.name = name
        self.max_bytes = max_bytes
        self.setting = setting
        #: The file's size when it is a regular file (known before reading).
        self.size = size
        self.consumed = 0

    def _count(self, data: bytes, max_bytes: int, setting: str) -> bytes:
        self.consumed += len(data)
        if self.consumed > max_bytes:
            limit = format_size(max_bytes)
            raise LimitExceeded(self.name, "more bytes than allowed", limit, setting)
        return data

    def readline(self, limit: int) -> bytes:
        """One line with its ending, at most ``limit`` bytes (b"" at the end)."""
        return self._count(self._file.readline(limit), self.max_bytes, self.setting)

    def read_rest(self, max_bytes: int | None = None, setting: str | None = None) -> bytes:
        """Everything left, refused past ``max_bytes`` in total (default: the file's limit)."""
        most = self.max_bytes if max_bytes is None else min(max_bytes, self.max_bytes)
        which = setting if max_bytes is not None and max_bytes < self.max_bytes else self.setting
        parts: list[bytes] = []
        while True:
            chunk = self._file.read(min(_CHUNK, most - self.consumed + 1))
            if not chunk:
                return b"".join(parts)
            parts.append(self._count(chunk, most, which or self.setting))


@contextmanager
def open_bounded(path: Path, max_bytes: int, setting: str, what: str) -> Iterator[BoundedFile]:
    """``path`` opened for at most ``max_bytes`` (``what``: "bank file", "file"...)."""
    name = f"{what} {path}"
    try:
        file = path.open("rb")
    except OSError as exc:
        raise InvalidInput(f"cannot read {name}: {exc.strerror or exc}") from None
    with file:
        mode = os.fstat(file.fileno())
        if stat.S_ISDIR(mode.st_mode):
            raise InvalidInput(f"cannot read {name}: it is a directory")
        size = mode.st_size if stat.S_ISREG(mode.st_mode) else None
        if size is not None and size > max_bytes:
            raise LimitExceeded(name, f"{format_size(size)}", format_size(max_bytes), setting)
        yield BoundedFile(file, name, max_bytes, setting, size)


def read_bounded(path: Path, max_bytes: int, setting: str, what: str) -> bytes:
    """The whole of ``path``, at most ``max_bytes`` (LimitExceeded past it)."""
    with open_bounded(path, max_bytes, setting, what) as file:
        try:
            return file.read_rest()
        except OSError as exc:
            raise InvalidInput(f"cannot read {file.name}: {exc.strerror or exc}") from None
