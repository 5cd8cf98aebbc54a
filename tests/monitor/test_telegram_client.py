"""The client factory: session files kept private, custom servers, clear errors."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa as crypto_rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from monitor.telegram.client import (
    ClientConfig,
    ServerSpec,
    SessionError,
    build_client,
    ensure_private_file,
    make_session,
    session_path,
)


def _pem() -> str:
    key = crypto_rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.public_key().public_bytes(Encoding.PEM, PublicFormat.PKCS1).decode()


def test_new_session_file_is_created_0600(tmp_path: Path) -> None:
    """A session file that does not exist yet is created readable by its owner only."""
    cfg = ClientConfig(api_id=1, api_hash="0" * 32, session_file=tmp_path / "acct")
    session = make_session(cfg, create=True)
    path = session_path(tmp_path / "acct")
    assert path.name == "acct.session"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    session.close()


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o666])
def test_readable_session_file_is_refused(tmp_path: Path, mode: int) -> None:
    """A group- or world-accessible session file is refused, naming the fix."""
    path = tmp_path / "x.session"
    path.write_bytes(b"")
    os.chmod(path, mode)
    with pytest.raises(SessionError, match="chmod 600"):
        ensure_private_file(path, create=False)


def test_missing_session_file_without_create(tmp_path: Path) -> None:
    """`chanwatch run` without a session says to log in first."""
    cfg = ClientConfig(api_id=1, api_hash="0" * 32, session_file=tmp_path / "none.session")
    with pytest.raises(SessionError, match="chanwatch login"):
        make_session(cfg)


def test_no_session_configured() -> None:
    """Neither a file nor a string is a clear error."""
    with pytest.raises(SessionError, match="no Telegram session"):
        make_session(ClientConfig(api_id=1, api_hash="0" * 32))


def test_bad_session_string() -> None:
    """A malformed session string is a clear error, not a traceback from Telethon."""
    with pytest.raises(SessionError, match="session string"):
        make_session(ClientConfig(api_id=1, api_hash="0" * 32, session_string="1garbage"))


async def test_custom_server_points_session(tmp_path: Path) -> None:
    """A custom server sets the session's DC address and port (built in a running
    loop, as Telethon 1.36 requires)."""
    cfg = ClientConfig(
        api_id=1, api_hash="0" * 32,
        session_file=tmp_path / "s.session",
        server=ServerSpec(dc_id=2, host="127.0.0.1", port=4433, public_key_pem=_pem()),
    )
    client = build_client(cfg, create_session=True)
    assert (client.session.dc_id, client.session.server_address, client.session.port) == (
        2, "127.0.0.1", 4433,
    )
    assert client.flood_sleep_threshold == 0


def test_bad_server_key_is_refused(tmp_path: Path) -> None:
    """A server key that is not an RSA PEM is a clear error."""
    cfg = ClientConfig(
        api_id=1, api_hash="0" * 32, session_file=tmp_path / "s.session",
        server=ServerSpec(dc_id=2, host="127.0.0.1", port=1, public_key_pem="not a key"),
    )
    with pytest.raises(SessionError, match="public key"):
        make_session(cfg, create=True)


def _valid_session_bytes(tmp_path: Path) -> bytes:
    cfg = ClientConfig(api_id=1, api_hash="0" * 32, session_file=tmp_path / "good.session")
    make_session(cfg, create=True).close()
    return (tmp_path / "good.session").read_bytes()


def _newer_format(path: Path) -> None:
    """A session as a later Telethon might write it: format 9, one more column."""
    import sqlite3

    conn = sqlite3.connect(path)
    conn.execute("UPDATE version SET version = 9")
    conn.execute("ALTER TABLE sessions ADD COLUMN extra BLOB")
    conn.execute("INSERT INTO sessions VALUES (2, '127.0.0.1', 443, x'00', NULL, NULL, NULL)")
    conn.commit()
    conn.close()


def _older_format(path: Path) -> None:
    """A session table with fewer columns than this Telethon reads."""
    import sqlite3

    conn = sqlite3.connect(path)
    conn.execute("DROP TABLE sessions")
    conn.execute("CREATE TABLE sessions (dc_id INTEGER PRIMARY KEY, server_address TEXT)")
    conn.execute("INSERT INTO sessions VALUES (2, '127.0.0.1')")
    conn.commit()
    conn.close()


@pytest.mark.parametrize(
    ("damage", "said"),
    [
        ("garbage", "not a Telethon session file (not an SQLite database)"),
        ("text", "not a Telethon session file (not an SQLite database)"),
        ("truncated", "damaged (truncated or overwritten)"),
        ("header_only", "damaged (truncated or overwritten)"),
        ("newer", "written by another Telethon version"),
        ("older", "written by another Telethon version"),
    ],
)
def test_unreadable_session_file_is_named(tmp_path: Path, damage: str, said: str) -> None:
    """A session file Telethon cannot read is one error naming the file, what is
    wrong and what to do, never an unpacking error or a bare sqlite message."""
    good = _valid_session_bytes(tmp_path)
    path = tmp_path / "acct.session"
    if damage == "garbage":
        path.write_bytes(bytes((i * 7919) % 251 for i in range(5000)))
    elif damage == "text":
        path.write_bytes(b"api_id=12345\n")
    elif damage == "truncated":
        path.write_bytes(good[: len(good) // 2])
    elif damage == "header_only":
        path.write_bytes(good[:100])
    else:
        path.write_bytes(good)
        (_newer_format if damage == "newer" else _older_format)(path)
    os.chmod(path, 0o600)
    cfg = ClientConfig(api_id=1, api_hash="0" * 32, session_file=path)
    with pytest.raises(SessionError) as caught:
        make_session(cfg)
    message = str(caught.value)
    assert message.startswith(f"session file {path} cannot be used: ")
    assert said in message
    assert "move it aside and log in again with `chanwatch login`" in message
    assert "\n" not in message and "unpack" not in message
