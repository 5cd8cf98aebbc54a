"""State directory persistence (tgsim/persist.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tgsim.persist import accounts_doc, load_accounts, load_secret, save_accounts
from tgsim.session import AuthKey
from tgsim.world import World


def test_accounts_and_keys_round_trip(tmp_path: Path) -> None:
    """Accounts and bound auth keys are written 0600 and read back."""
    world = World(2, b"s" * 32)
    acc = world.create_account("9996620001", "Ann", "Lee")
    key = AuthKey(b"\x01" * 256, salt=42, user_id=acc.user_id)
    save_accounts(tmp_path, accounts_doc(world, {key.key_id: key}))
    assert (tmp_path / "accounts.json").stat().st_mode & 0o777 == 0o600
    fresh = World(2, b"s" * 32)
    keys = load_accounts(tmp_path, fresh)
    assert fresh.accounts[acc.user_id].last_name == "Lee"
    assert fresh.by_phone["9996620001"] == acc.user_id
    assert keys[key.key_id].user_id == acc.user_id and keys[key.key_id].salt == 42


def test_corrupt_accounts_file(tmp_path: Path) -> None:
    """A damaged accounts.json is a clear error naming the file."""
    (tmp_path / "accounts.json").write_text('{"accounts": [{"phone": 1}]}')
    with pytest.raises(ValueError, match=r"accounts\.json"):
        load_accounts(tmp_path, World(2, b"s" * 32))


def test_secret_created_once(tmp_path: Path) -> None:
    """The secret is 32 random bytes, kept 0600, and a wrong-sized one is refused."""
    first = load_secret(tmp_path)
    assert len(first) == 32 and load_secret(tmp_path) == first
    assert (tmp_path / "secret.key").stat().st_mode & 0o777 == 0o600
    (tmp_path / "secret.key").write_bytes(b"short")
    with pytest.raises(ValueError, match="32 bytes"):
        load_secret(tmp_path)
