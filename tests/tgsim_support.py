"""Reusable helpers to drive plain Telethon against tgsim (importable from any
test directory: ``from tgsim_support import ...``; pyproject's pytest
``pythonpath`` includes ``tests``)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from telethon import TelegramClient, errors
from telethon.crypto import rsa
from telethon.network.connection import Connection, ConnectionTcpFull
from telethon.sessions import SQLiteSession
from telethon.tl.functions.auth import SignUpRequest

from tgsim import Server

ClientFactory = Callable[..., Awaitable[TelegramClient]]
"""``await new_client(n, **client_kwargs)`` -> a signed-in client for test phone n."""

API_ID = 1
API_HASH = "0123456789abcdef0123456789abcdef"


def sim_phone(dc_id: int, n: int) -> str:
    """The n-th test phone number of a dc: 99966XYYYY."""
    if not 0 <= n <= 9999:
        raise ValueError("n must be 0..9999")
    return f"99966{dc_id}{n:04d}"


def login_code(dc_id: int) -> str:
    """The login code tgsim (like Telegram's test servers) accepts: dc id x5."""
    return str(dc_id) * 5


def make_client(
    sim: Server | dict[str, Any],
    session_path: Path | str,
    connection: type[Connection] = ConnectionTcpFull,
    **kwargs: Any,
) -> TelegramClient:
    """A Telethon client pointed at a running tgsim (a Server or its info-file dict).

    Registers the server's RSA key with ``rsa.add_key(pem, old=False)`` and
    calls ``session.set_dc``; nothing in Telethon is patched.
    """
    if isinstance(sim, Server):
        host, port, dc_id, pem = sim.host, sim.port, sim.dc_id, sim.public_key_pem
    else:
        host, port, dc_id, pem = sim["host"], int(sim["port"]), int(sim["dc_id"]), sim["public_key"]
    rsa.add_key(pem, old=False)
    session = SQLiteSession(str(session_path))
    session.set_dc(dc_id, host, port)
    kwargs.setdefault("connection_retries", 3)
    kwargs.setdefault("retry_delay", 0)
    kwargs.setdefault("request_retries", 3)
    return TelegramClient(session, API_ID, API_HASH, connection=connection, **kwargs)


async def login(client: TelegramClient, phone: str, first_name: str = "Test") -> Any:
    """Connect and sign in (signing up the number first if it is new); returns get_me().

    Telethon >= 1.29 refuses ``sign_up``, so a new number is registered with a
    raw ``auth.signUp``; the client then reconnects so Telethon initialises its
    update state exactly as after a normal login.
    """
    if not client.is_connected():
        await client.connect()
    if await client.is_user_authorized():
        return await client.get_me()
    dc_id = int(phone[5])
    sent = await client.send_code_request(phone)
    try:
        return await client.sign_in(phone, login_code(dc_id))
    except errors.PhoneNumberUnoccupiedError:
        await client(SignUpRequest(phone, sent.phone_code_hash, first_name, ""))
    await client.disconnect()
    await client.connect()
    return await client.get_me()


async def wait_for(predicate: Any, timeout: float = 10.0, interval: float = 0.02) -> None:
    """Poll ``predicate()`` until true; raises TimeoutError naming the timeout."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise TimeoutError(f"condition not met within {timeout}s")
        await asyncio.sleep(interval)
