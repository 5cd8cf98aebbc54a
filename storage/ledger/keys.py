"""The checkpoint signing key on disk: created once (``chanwatch init``), kept
outside the database and the repository, file mode 0600.

The file holds one line, the C2SP signer key
``PRIVATE+KEY+<name>+<key id>+<base64>``. Loading refuses a file that other
users could read, and a missing file gives one clear message saying how to
create it. The key never reaches a log line; only its public vkey does.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import structlog

from storage.errors import ChanwatchError
from storage.ledger.note import NoteError, Signer

log = structlog.get_logger(__name__)


class KeyFileError(ChanwatchError, RuntimeError):
    """The signing key file is missing, unsafe or malformed."""


def generate_signing_key(path: Path, name: str) -> str:
    """Create a new Ed25519 signing key at ``path`` (mode 0600, never
    overwriting an existing file) and return its verifier key (vkey)."""
    signer = Signer.generate(name)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise KeyFileError(
            f"signing key {path} already exists; refusing to replace it "
            "(a new key makes earlier checkpoints unverifiable with the new vkey)"
        ) from exc
    try:
        os.fchmod(fd, 0o600)  # whatever the umask was
        os.write(fd, (signer.skey() + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    log.info("ledger.key_generated", path=str(path), vkey=signer.vkey())
    return signer.vkey()


def load_signing_key(path: Path) -> Signer:
    """Read the signing key; refuse a group- or world-accessible file."""
    try:
        st = path.stat()
    except FileNotFoundError as exc:
        raise KeyFileError(
            f"signing key {path} does not exist (create it with `chanwatch init`)"
        ) from exc
    if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyFileError(
            f"signing key {path} has mode {stat.S_IMODE(st.st_mode):04o}; "
            f"it must be readable by its owner only (chmod 600 {path})"
        )
    try:
        return Signer.from_skey(path.read_text("utf-8"))
    except (NoteError, UnicodeDecodeError) as exc:
        raise KeyFileError(f"signing key {path} is not a valid signer key: {exc}") from exc


def ensure_signing_key(path: Path, name: str) -> str:
    """For ``chanwatch init``: create the key unless it exists; return the vkey."""
    if path.exists():
        return load_signing_key(path).vkey()
    return generate_signing_key(path, name)
