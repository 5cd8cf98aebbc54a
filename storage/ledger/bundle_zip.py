"""Reading an untrusted bundle ZIP within limits.

A court runs the verifier on a file it received, so nothing in the file decides
how much is read. Before anything is inflated: the file's size is checked, the
ZIP's end record is read by hand (entry count and central directory size, so a
forged directory cannot make the ZIP library build millions of entries), and
every member must be a plain file at the top level (no path, ``..``, directory,
symbolic link or other special file, no duplicate, no encryption, stored or
deflated only). A member is then inflated only up to the size the (signed)
manifest gives for it, after the ZIP header's own size was found to agree, its
compression ratio plausible and the running total within the limit; the bytes
are counted while inflating, so a stream that inflates further than declared is
stopped at once. Every refusal is :class:`BundleRefused` with one line naming the
member, the limit and the setting that holds it.
"""

from __future__ import annotations

import hashlib
import stat
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from storage.errors import InvalidInput

CHUNK = 1 << 20
_EOCD = struct.Struct("<4s4H2LH")
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")
#: Members smaller than this are not held to the compression ratio.
RATIO_FLOOR = 1 << 20


@dataclass(frozen=True, slots=True)
class BundleLimits:
    """How much of an untrusted bundle the verifier reads (settings
    ``ledger.verify.*``; the defaults fit a case of a million records)."""

    max_bundle_bytes: int = 2 * 1024**3
    max_member_bytes: int = 4 * 1024**3
    max_unpacked_bytes: int = 8 * 1024**3
    max_manifest_bytes: int = 1024**2
    max_members: int = 32
    max_ratio: int = 100
    max_json_depth: int = 32
    #: How the settings are named in messages.
    setting_prefix: str = "ledger.verify."

    def limit(self, name: str) -> str:
        return f"{getattr(self, name):,} (setting {self.setting_prefix}{name})"


class BundleRefused(InvalidInput):
    """The bundle is not read further; ``str()`` is the one-line reason."""


class BundleUnreadable(InvalidInput):
    """The file cannot be opened or read at all (missing, no permission, I/O error)."""


def _end_record(fh: object, size: int, limits: BundleLimits) -> None:
    """Refuse a ZIP whose end record declares more entries, or a larger central
    directory, than a bundle can have."""
    assert hasattr(fh, "seek") and hasattr(fh, "read")
    tail_len = min(size, _EOCD.size + 0xFFFF + _ZIP64_LOCATOR.size)
    fh.seek(size - tail_len)
    tail = fh.read(tail_len)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < _EOCD.size:
        raise BundleRefused("not a ZIP file (no end of central directory record)")
    _, _, _, _, entries, cd_size, cd_offset, _ = _EOCD.unpack_from(tail, at)
    if entries == 0xFFFF or 0xFFFFFFFF in (cd_size, cd_offset):
        loc = at - _ZIP64_LOCATOR.size
        if loc < 0 or tail[loc : loc + 4] != b"PK\x06\x07":
            raise BundleRefused("damaged ZIP64 end record (no locator)")
        _, _, offset, _ = _ZIP64_LOCATOR.unpack_from(tail, loc)
        if offset > size - _ZIP64_EOCD.size:
            raise BundleRefused("damaged ZIP64 end record (points outside the file)")
        fh.seek(offset)
        record = fh.read(_ZIP64_EOCD.size)
        if len(record) != _ZIP64_EOCD.size or record[:4] != b"PK\x06\x06":
            raise BundleRefused("damaged ZIP64 end record")
        fields = _ZIP64_EOCD.unpack(record)
        entries, cd_size = fields[7], fields[8]
    if entries > limits.max_members:
        raise BundleRefused(f"the ZIP declares {entries:,} members; a bundle has at most "
                            f"{limits.limit('max_members')}")
    if cd_size > limits.max_members * 4096:
        raise BundleRefused(f"the ZIP's central directory declares {cd_size:,} bytes, far more "
                            f"than {limits.max_members} members need")


def _member_problem(info: zipfile.ZipInfo) -> str | None:
    name = info.filename
    if "\x00" in name:
        return "has a NUL character in its name"
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return "has an absolute path; bundle files are all at the top level"
    parts = name.replace("\\", "/").split("/")
    if ".." in parts:
        return "has a path with '..'; bundle files are all at the top level"
    if info.is_dir():
        return "is a directory; a bundle holds only files"
    if len(parts) > 1:
        return "has a path; bundle files are all at the top level"
    if info.flag_bits & 0x1:
        return "is encrypted; bundle files never are"
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        return (f"uses compression method {info.compress_type}; bundles use only stored (0) "
                "or deflated (8)")
    mode = info.external_attr >> 16
    if info.create_system == 3 and stat.S_IFMT(mode) not in (0, stat.S_IFREG):
        what = "a symbolic link" if stat.S_ISLNK(mode) else "a special file"
        return f"is {what}; a bundle holds only plain files"
    return None


class BundleZip:
    """The members of a bundle ZIP, read within ``limits``."""

    def __init__(self, path: Path, limits: BundleLimits) -> None:
        self.limits = limits
        self.unpacked = 0
        try:
            self.size = path.stat().st_size
            if not path.is_file():
                raise BundleUnreadable(f"{path}: not a regular file")
            self._fh = path.open("rb")
        except OSError as exc:
            raise BundleUnreadable(f"{path}: cannot read it ({exc.strerror or exc})") from None
        try:
            self._open(path)
        except BaseException:
            self._fh.close()
            raise

    def _open(self, path: Path) -> None:
        if self.size > self.limits.max_bundle_bytes:
            raise BundleRefused(f"{path.name}: {self.size:,} bytes, more than a bundle may have: "
                                f"{self.limits.limit('max_bundle_bytes')}")
        try:
            _end_record(self._fh, self.size, self.limits)
            self._zf = zipfile.ZipFile(self._fh)
        except BundleRefused as exc:
            raise BundleRefused(f"{path.name}: {exc}") from None
        except OSError as exc:
            raise BundleUnreadable(f"{path}: cannot read it ({exc.strerror or exc})") from None
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, struct.error,
                NotImplementedError, RuntimeError, OverflowError) as exc:
            raise BundleRefused(f"{path.name}: not a readable ZIP file ({exc})") from None
        infos = self._zf.infolist()
        seen: set[str] = set()
        for info in infos:
            problem = _member_problem(info)
            if problem is None and info.filename in seen:
                problem = "appears more than once in the ZIP"
            if problem is not None:
                raise BundleRefused(f"ZIP member {info.filename!r} {problem}")
            seen.add(info.filename)
        self.infos = {i.filename: i for i in infos}

    def close(self) -> None:
        self._zf.close()
        self._fh.close()

    def __enter__(self) -> BundleZip:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def small(self, name: str) -> bytes | None:
        """A member that is small by definition (manifest, its signature, the key):
        at most ``max_manifest_bytes``; None when absent."""
        info = self.infos.get(name)
        if info is None:
            return None
        cap = self.limits.max_manifest_bytes
        if info.file_size > cap:
            raise BundleRefused(f"{name}: the ZIP declares {info.file_size:,} bytes; it may have "
                                f"at most {self.limits.limit('max_manifest_bytes')}")
        chunks: list[bytes] = []
        self._inflate(info, cap, f"the limit of {self.limits.limit('max_manifest_bytes')}",
                      chunks.append)
        return b"".join(chunks)

    def check_declared(self, name: str, expected: int) -> None:
        """Refuse member ``name`` before inflating it unless its ZIP header agrees
        with the manifest's ``expected`` size and the limits allow it."""
        info = self.infos[name]
        lim = self.limits
        if info.file_size != expected:
            raise BundleRefused(f"{name}: the ZIP header says it unpacks to {info.file_size:,} "
                                f"bytes, manifest.json says {expected:,}")
        if expected > lim.max_member_bytes:
            raise BundleRefused(f"{name}: {expected:,} bytes, more than one bundle file may "
                                f"have: {lim.limit('max_member_bytes')}")
        if self.unpacked + expected > lim.max_unpacked_bytes:
            raise BundleRefused(f"{name}: the bundle would unpack to more than "
                                f"{lim.limit('max_unpacked_bytes')}")
        if expected > RATIO_FLOOR and expected > lim.max_ratio * max(info.compress_size, 1):
            raise BundleRefused(
                f"{name}: {expected:,} bytes packed into {info.compress_size:,} (more than "
                f"{lim.max_ratio}:1, setting {lim.setting_prefix}max_ratio): a ZIP bomb")

    def read(self, name: str, expected: int) -> bytes:
        """Member ``name``, which must unpack to exactly ``expected`` bytes."""
        self.check_declared(name, expected)
        buf = bytearray()
        self._inflate(self.infos[name], expected, f"the {expected:,} bytes manifest.json gives",
                      buf.extend)
        self._exact(name, len(buf), expected)
        return bytes(buf)

    def digest(self, name: str, expected: int) -> str:
        """SHA-256 (hex) of member ``name``, streamed, never held in memory."""
        self.check_declared(name, expected)
        h = hashlib.sha256()
        count = [0]

        def sink(chunk: bytes) -> None:
            h.update(chunk)
            count[0] += len(chunk)

        self._inflate(self.infos[name], expected, f"the {expected:,} bytes manifest.json gives",
                      sink)
        self._exact(name, count[0], expected)
        return h.hexdigest()

    def _exact(self, name: str, got: int, expected: int) -> None:
        if got != expected:
            raise BundleRefused(f"{name}: unpacks to {got:,} bytes, manifest.json says "
                                f"{expected:,}")
        self.unpacked += got

    def _inflate(self, info: zipfile.ZipInfo, cap: int, what: str,
                 sink: Callable[[bytes], object]) -> None:
        total = 0
        try:
            with self._zf.open(info) as fh:
                while chunk := fh.read(CHUNK):
                    total += len(chunk)
                    if total > cap:
                        raise BundleRefused(f"{info.filename}: inflates past {what}; "
                                            "stopped there")
                    sink(chunk)
        except BundleRefused:
            raise
        except OSError as exc:
            raise BundleUnreadable(f"cannot read the bundle ({exc.strerror or exc})") from None
        except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, struct.error,
                NotImplementedError, RuntimeError, OverflowError) as exc:
            raise BundleRefused(f"{info.filename}: cannot be read from the ZIP ({exc})") from None
