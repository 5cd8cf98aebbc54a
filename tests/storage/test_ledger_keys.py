"""Tests for storage.ledger.keys: the signing key file (mode 0600, never replaced)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from storage.ledger.keys import KeyFileError, generate_signing_key, load_signing_key
from storage.ledger.note import Verifier


def test_generate_writes_0600_and_loads(tmp_path: Path) -> None:
    """The key file is created with mode 0600 and loads to the same vkey."""
    path = tmp_path / "keys" / "ledger.key"
    vkey = generate_signing_key(path, "chanwatch.test/ledger")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_signing_key(path).vkey() == vkey
    assert Verifier.from_vkey(vkey).name == "chanwatch.test/ledger"
    assert path.read_text().startswith("PRIVATE+KEY+chanwatch.test/ledger+")


def test_existing_key_is_never_replaced(tmp_path: Path) -> None:
    """A second generate refuses and leaves the first key intact."""
    path = tmp_path / "ledger.key"
    vkey = generate_signing_key(path, "a.test/l")
    with pytest.raises(KeyFileError, match="already exists"):
        generate_signing_key(path, "a.test/l")
    assert load_signing_key(path).vkey() == vkey


def test_readable_by_others_is_refused(tmp_path: Path) -> None:
    """A group- or world-readable key file is refused with the chmod to run."""
    path = tmp_path / "ledger.key"
    generate_signing_key(path, "a.test/l")
    path.chmod(0o644)
    with pytest.raises(KeyFileError, match="chmod 600"):
        load_signing_key(path)


def test_missing_and_garbage_files(tmp_path: Path) -> None:
    """A missing file points to `chanwatch init`; a garbage file is named as invalid."""
    with pytest.raises(KeyFileError, match="chanwatch init"):
        load_signing_key(tmp_path / "none.key")
    bad = tmp_path / "bad.key"
    bad.write_text("hello")
    bad.chmod(0o600)
    with pytest.raises(KeyFileError, match="not a valid signer key"):
        load_signing_key(bad)
