"""Interactive login: phone number, login code, two-step password.

Writes the session file with mode 0600 (created private before Telethon opens
it; an existing group- or world-readable one is refused). Prompts go through
the injected ``ask``/``ask_secret`` so the CLI uses the terminal and tests use
a script.

A login never leaves a half-made session file: it is made in a hidden file
beside the configured one (``.NAME.login-PID.session``) that replaces it only
once logged in, and is removed if the login fails for any reason (a wrong
code, a server of another layer, Ctrl-C). A configured file that is not logged
in (half-made by an older chanwatch, or logged out) is removed when the login
fails, and replaced when it succeeds; a logged-in one is never touched.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path

import structlog
from telethon.errors import (
    PasswordHashInvalidError,
    PhoneCodeExpiredError,
    PhoneCodeInvalidError,
    PhoneNumberInvalidError,
    PhoneNumberUnoccupiedError,
    SessionPasswordNeededError,
)
from telethon.sessions import StringSession
from telethon.tl import functions

from monitor.telegram.client import (
    ClientConfig,
    MonitorClient,
    build_client,
    ensure_private_file,
    secure_session_after_login,
    session_path,
)
from monitor.telegram.layer import layer_checked
from storage.errors import Refused

log = structlog.get_logger(__name__)

Ask = Callable[[str], Awaitable[str]]
ATTEMPTS = 3


class LoginError(Refused):
    """Login did not succeed; the message says why."""


@dataclass(frozen=True, slots=True)
class LoginResult:
    user_id: int
    name: str
    already: bool
    #: Set when the config asked for a string session (print it for the user).
    session_string: str | None = None


async def login(
    config: ClientConfig,
    *,
    ask: Ask,
    ask_secret: Ask,
    phone: str | None = None,
    allow_sign_up: bool = False,
) -> LoginResult:
    """Log the configured session in, asking for what Telegram wants.

    Raises :class:`LoginError`, :class:`~monitor.telegram.client.SessionError`
    (the session file is unsafe or unreadable) or
    :class:`~monitor.telegram.layer.LayerMismatchError`.
    """
    if config.session_file is None:  # a session string: nothing on disk
        return await _login(config, ask, ask_secret, phone, allow_sign_up)
    target = session_path(config.session_file)
    if target.exists():
        ensure_private_file(target, create=False)
        if target.stat().st_size > 0:
            done = await _already(config)
            if done is not None:
                return done
    stale = target.exists()  # there, but not logged in
    fresh = target.with_name(f".{target.stem}.login-{os.getpid()}{target.suffix}")
    _remove(fresh)
    try:
        result = await _login(
            replace(config, session_file=fresh), ask, ask_secret, phone, allow_sign_up
        )
    except BaseException:
        _remove(fresh)
        if stale:  # no half-made file stays
            log.info("login_failed_session_removed", path=str(target))
            _remove(target)
        raise
    os.replace(fresh, target)
    secure_session_after_login(config)
    return result


def _remove(path: Path) -> None:
    for candidate in (path, path.with_name(path.name + "-journal")):
        with contextlib.suppress(FileNotFoundError):
            candidate.unlink()


async def _already(config: ClientConfig) -> LoginResult | None:
    """The account the existing session file is logged in as, or None."""
    client = build_client(config)
    try:
        await client.connect()
        with layer_checked():
            if not await client.is_user_authorized():
                return None
            me = await client.get_me()
        return LoginResult(int(me.id), _name(me), already=True)
    finally:
        await client.disconnect()


async def _login(
    config: ClientConfig, ask: Ask, ask_secret: Ask, phone: str | None, allow_sign_up: bool
) -> LoginResult:
    client = build_client(config, create_session=True)
    try:
        await client.connect()
        with layer_checked():
            return await _converse(client, config, ask, ask_secret, phone, allow_sign_up)
    finally:
        await client.disconnect()
        secure_session_after_login(config)


async def _converse(
    client: MonitorClient,
    config: ClientConfig,
    ask: Ask,
    ask_secret: Ask,
    phone: str | None,
    allow_sign_up: bool,
) -> LoginResult:
    """The conversation with Telegram on a connected client."""
    if await client.is_user_authorized():
        me = await client.get_me()
        return LoginResult(int(me.id), _name(me), already=True,
                           session_string=_string(client, config))
    phone = (phone or (await ask("Phone number (international format, e.g. +4917...): ")))
    phone = phone.strip().replace(" ", "")
    try:
        sent = await client.send_code_request(phone)
    except PhoneNumberInvalidError as exc:
        raise LoginError(f"Telegram says {phone!r} is not a valid phone number") from exc
    me = None
    for attempt in range(1, ATTEMPTS + 1):
        code = (await ask("Login code Telegram sent you: ")).strip()
        try:
            me = await client.sign_in(phone=phone, code=code,
                                      phone_code_hash=sent.phone_code_hash)
            break
        except (PhoneCodeInvalidError, PhoneCodeExpiredError) as exc:
            if attempt == ATTEMPTS:
                raise LoginError("login code refused three times; start again") from exc
            log.warning("login_code_refused", attempt=attempt)
        except SessionPasswordNeededError:
            me = await _password(client, ask_secret)
            break
        except PhoneNumberUnoccupiedError as exc:
            if not allow_sign_up:
                raise LoginError(
                    f"{phone} has no Telegram account (sign-up is only offered on test "
                    "servers, with --sign-up)"
                ) from exc
            first = (await ask("First name for the new account: ")).strip() or "chanwatch"
            result = await client(functions.auth.SignUpRequest(
                phone_number=phone, phone_code_hash=sent.phone_code_hash,
                first_name=first, last_name="",
            ))
            me = await client._on_login(result.user)
            break
    if me is None:
        raise LoginError("login did not complete")
    log.info("login_ok", user_id=int(me.id))
    return LoginResult(int(me.id), _name(me), already=False,
                       session_string=_string(client, config))


async def _password(client: object, ask_secret: Ask) -> object:
    for attempt in range(1, ATTEMPTS + 1):
        password = await ask_secret("Two-step verification password: ")
        try:
            return await client.sign_in(password=password)  # type: ignore[attr-defined]
        except PasswordHashInvalidError as exc:
            if attempt == ATTEMPTS:
                raise LoginError("two-step password refused three times") from exc
            log.warning("login_password_refused", attempt=attempt)
    raise LoginError("two-step password refused")


def _name(me: object) -> str:
    parts = [getattr(me, "first_name", None), getattr(me, "last_name", None)]
    return " ".join(p for p in parts if p) or str(getattr(me, "username", "") or "")


def _string(client: object, config: ClientConfig) -> str | None:
    if config.session_file is not None:
        return None
    session = client.session  # type: ignore[attr-defined]
    return str(StringSession.save(session))
