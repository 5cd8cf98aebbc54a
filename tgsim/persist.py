"""What tgsim keeps in its state directory (every file mode 0600).

- ``server_key.pem``: the RSA private key (see :mod:`tgsim.crypto`);
- ``secret.key``: 32 random bytes from which access hashes and file references
  are derived, so they stay valid across restarts;
- ``accounts.json``: registered accounts and the auth keys bound to them, so a
  saved Telethon session reconnects without a new login after a restart.

Channels and posts are not persisted: a scenario recreates them.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

from tgsim.session import AuthKey
from tgsim.world import Account, World


def _write_private(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def load_secret(state_dir: Path) -> bytes:
    """The server secret, created on first start."""
    path = state_dir / "secret.key"
    if path.exists():
        data = path.read_bytes()
        if len(data) != 32:
            raise ValueError(f"{path}: expected 32 bytes, found {len(data)}")
        return data
    data = secrets.token_bytes(32)
    _write_private(path, data)
    return data


def load_accounts(state_dir: Path, world: World) -> dict[int, AuthKey]:
    """Restore accounts into ``world``; return the saved auth keys by key id."""
    path = state_dir / "accounts.json"
    if not path.exists():
        return {}
    try:
        doc: dict[str, Any] = json.loads(path.read_text("utf-8"))
        for item in doc.get("accounts", []):
            acc = Account(
                user_id=int(item["user_id"]),
                access_hash=int(item["access_hash"]),
                phone=str(item["phone"]),
                first_name=str(item["first_name"]),
                last_name=str(item.get("last_name", "")),
                username=item.get("username"),
            )
            world.accounts[acc.user_id] = acc
            world.by_phone[acc.phone] = acc.user_id
        keys: dict[int, AuthKey] = {}
        for item in doc.get("auth_keys", []):
            key = AuthKey(bytes.fromhex(item["key"]), int(item["salt"]), item.get("user_id"))
            keys[key.key_id] = key
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{path}: unreadable tgsim state: {exc}") from exc
    return keys


def accounts_doc(world: World, keys: dict[int, AuthKey]) -> bytes:
    """The ``accounts.json`` content for the current accounts and auth keys."""
    doc = {
        "accounts": [
            {
                "user_id": a.user_id,
                "access_hash": a.access_hash,
                "phone": a.phone,
                "first_name": a.first_name,
                "last_name": a.last_name,
                "username": a.username,
            }
            for a in world.accounts.values()
        ],
        "auth_keys": [
            {"key": k.key.hex(), "salt": k.salt, "user_id": k.user_id} for k in keys.values()
        ],
    }
    return json.dumps(doc, indent=1).encode("utf-8")


def save_accounts(state_dir: Path, data: bytes) -> None:
    """Write ``accounts.json`` atomically with mode 0600 (blocking: run in a thread)."""
    _write_private(state_dir / "accounts.json", data)
