"""Build the Telethon client the monitor uses.

The session is a session file (SQLite, kept with mode 0600; a group- or
world-readable one is refused) or a session string. A custom server (tgsim, or
Telegram's test servers) is set with ``session.set_dc`` and its RSA public key
registered with ``telethon.crypto.rsa.add_key``; nothing in Telethon is
patched. Telethon uses ``cryptg`` for AES by itself when it is installed.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import structlog
from telethon import TelegramClient
from telethon import __version__ as TELETHON_VERSION
from telethon.crypto import rsa
from telethon.sessions import SQLiteSession, StringSession
from telethon.sessions.abstract import Session
from telethon.sessions.sqlite import CURRENT_VERSION as SESSION_FORMAT

from monitor.settings import Settings
from monitor.telegram.layer import LayerMismatchError, layer_checked
from storage.errors import Refused

log = structlog.get_logger(__name__)

SESSION_SUFFIX = ".session"
ReconnectHook = Callable[[], Awaitable[None]]


class SessionError(Refused):
    """The session cannot be used (unsafe permissions, missing, unreadable)."""


def _is_sqlite_error(exc: BaseException) -> bool:
    """An error of the sqlite3 module (Telethon's session file); named by module so
    that no module outside storage/ imports a database driver."""
    return type(exc).__module__ == "sqlite3"


def unreadable_session(path: Path, exc: BaseException) -> str:
    """One line: the session file, what is wrong with it, and what to do."""
    text = str(exc)
    if _is_sqlite_error(exc) and "not a database" in text:
        why = "it is not a Telethon session file (not an SQLite database)"
    elif _is_sqlite_error(exc) and "malformed" in text:
        why = "it is damaged (truncated or overwritten)"
    elif _is_sqlite_error(exc) and "unable to open" in text:
        why = "it cannot be opened (check that it belongs to the user running chanwatch)"
    elif _is_sqlite_error(exc) and ("readonly" in text or "read-only" in text):
        why = "it cannot be written (read-only file or directory)"
    elif _is_sqlite_error(exc):
        why = f"it is damaged or not a Telethon session file ({text})"
    else:  # the tables are there but laid out differently (unpacking, comparison errors)
        why = (
            f"it is not laid out as Telethon {TELETHON_VERSION} (session format "
            f"{SESSION_FORMAT}) reads it: written by another Telethon version, or not a "
            "session file"
        )
    return (
        f"session file {path} cannot be used: {why}; move it aside and log in again "
        "with `chanwatch login` (using the Telethon that runs the monitor)"
    )


def open_session_file(path: Path) -> SQLiteSession:
    """Telethon's session in ``path``; :class:`SessionError` naming the file when it
    cannot be read (garbage, truncated, another Telethon's format)."""
    try:
        return SQLiteSession(str(path))
    except Exception as exc:  # noqa: BLE001 - an untrusted file: whatever Telethon trips over is named
        raise SessionError(unreadable_session(path, exc)) from None


@dataclass(frozen=True, slots=True)
class ServerSpec:
    """A Telegram server other than production: tgsim or Telegram's test DCs."""

    dc_id: int
    host: str
    port: int
    public_key_pem: str | None = None


@dataclass(frozen=True, slots=True)
class ClientConfig:
    api_id: int
    api_hash: str
    session_file: Path | None = None
    session_string: str | None = None
    server: ServerSpec | None = None
    #: Name of the account in chanwatch (recorded as ``captured_by``).
    account: str = "default"


def session_path(path: Path) -> Path:
    """The file Telethon actually uses: it appends ``.session`` when missing."""
    if path.name.endswith(SESSION_SUFFIX):
        return path
    return path.with_name(path.name + SESSION_SUFFIX)


def ensure_private_file(path: Path, *, create: bool) -> None:
    """Make sure ``path`` is readable by its owner only.

    A missing file is created empty with mode 0600 when ``create`` is true. An
    existing file readable or writable by group or others is refused: a session
    file is an account credential.
    """
    if not path.exists():
        if not create:
            raise SessionError(f"session file {path} does not exist: run `chanwatch login` first")
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        os.close(fd)
        return
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise SessionError(
            f"session file {path} has mode {mode:04o}: it must be readable by its owner only "
            f"(chmod 600 {path})"
        )


def register_server_key(pem: str) -> None:
    """Trust ``pem`` (PKCS#1 RSA public key) for the authorization-key exchange."""
    try:
        rsa.add_key(pem, old=False)
    except (ValueError, TypeError) as exc:
        raise SessionError(f"custom server public key is not a PKCS#1 RSA PEM: {exc}") from exc


def make_session(config: ClientConfig, *, create: bool = False) -> Session:
    """The Telethon session for ``config``, pointed at the custom server if any."""
    session: Session
    if config.session_string is not None:
        try:
            session = StringSession(config.session_string)
        except ValueError as exc:
            raise SessionError(f"session string is not valid: {exc}") from exc
    elif config.session_file is not None:
        path = session_path(config.session_file)
        ensure_private_file(path, create=create)
        session = open_session_file(path)
    else:
        raise SessionError("no Telegram session configured: set a session file or a session string")
    if config.server is not None:
        if config.server.public_key_pem:
            register_server_key(config.server.public_key_pem)
        session.set_dc(config.server.dc_id, config.server.host, config.server.port)
    return session


class MonitorClient(TelegramClient):  # type: ignore[misc]
    """Telethon's client plus hooks run after every automatic reconnection.

    Telethon calls ``_handle_auto_reconnect`` once its sender reconnected (all
    1.x releases we support have it). Updates that never came while the link
    was down are then repaired by history reconciliation, which the hooks start.
    """

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.reconnect_hooks: list[ReconnectHook] = []

    async def connect(self) -> None:
        """Connect; a server that does not speak this Telethon's layer is a
        :class:`LayerMismatchError`, a session file that fails while being
        written a :class:`SessionError` naming it (the client is then disconnected)."""
        try:
            with layer_checked():
                await super().connect()
        except LayerMismatchError:
            await self.disconnect()
            raise
        except Exception as exc:
            if not _is_sqlite_error(exc):
                raise
            with contextlib.suppress(Exception):  # closing the broken file may fail too
                await self.disconnect()
            path = Path(getattr(self.session, "filename", "") or "?")
            raise SessionError(unreadable_session(path, exc)) from None

    async def _handle_auto_reconnect(self) -> None:
        log.warning("telegram_reconnected")
        await super()._handle_auto_reconnect()
        for hook in list(self.reconnect_hooks):
            await hook()


def build_client(config: ClientConfig, *, create_session: bool = False) -> MonitorClient:
    """A not yet connected client for ``config``.

    FloodWait errors are never slept through inside Telethon
    (``flood_sleep_threshold=0``): the monitor reschedules the waiting request
    itself so one wait never stalls the others.
    """
    session = make_session(config, create=create_session)
    client = MonitorClient(
        session,
        config.api_id,
        config.api_hash,
        flood_sleep_threshold=0,
        connection_retries=5,
        retry_delay=1,
        auto_reconnect=True,
        request_retries=3,
        device_model="chanwatch",
        app_version="chanwatch",
    )
    return client


def secure_session_after_login(config: ClientConfig) -> None:
    """Re-assert mode 0600 on the session file (and journal) after Telethon wrote it."""
    if config.session_file is None:
        return
    path = session_path(config.session_file)
    for candidate in (path, path.with_name(path.name + "-journal")):
        if candidate.exists():
            os.chmod(candidate, 0o600)


def config_from_settings(settings: Settings) -> ClientConfig:
    """The client configuration chanwatch's settings describe.

    Raises :class:`monitor.settings.SettingsError` when api id or hash is missing.
    """
    creds = settings.require_telegram()
    tg = settings.telegram
    server = None
    if tg.server is not None:
        server = ServerSpec(
            dc_id=tg.server.dc_id,
            host=tg.server.host,
            port=tg.server.port,
            public_key_pem=tg.server.rsa_pem,
        )
    return ClientConfig(
        api_id=creds.api_id,
        api_hash=creds.api_hash.get_secret_value(),
        session_file=None if tg.session_string else tg.session_file,
        session_string=tg.session_string.get_secret_value() if tg.session_string else None,
        server=server,
        account=tg.account,
    )
