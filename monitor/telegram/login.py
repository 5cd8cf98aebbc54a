"""Interactive login: phone number, login code, two-step password.

Writes the session file with mode 0600 (created private before Telethon opens
it; an existing group- or world-readable one is refused). Prompts go through
the injected ``ask``/``ask_secret`` so the CLI uses the terminal and tests use
a script.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

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

from monitor.telegram.client import ClientConfig, build_client, secure_session_after_login
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
    """Log the configured session in, asking for what Telegram wants."""
    client = build_client(config, create_session=True)
    await client.connect()
    try:
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
    finally:
        await client.disconnect()
        secure_session_after_login(config)


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
