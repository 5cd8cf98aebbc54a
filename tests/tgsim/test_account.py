"""Sign-up, sign-in and saved sessions against tgsim (tgsim/methods/account.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from telethon import errors
from telethon.tl.functions.auth import SignInRequest
from tgsim_support import login, login_code, make_client, sim_phone

from tgsim import Server


async def test_sign_up_new_number_then_get_me(sim: Server, tmp_path: Path) -> None:
    """A new 99966X number is signed up through auth.signUp and get_me returns it."""
    client = make_client(sim, tmp_path / "a.session")
    try:
        me = await login(client, sim_phone(sim.dc_id, 7), first_name="Alice")
        assert me.phone == sim_phone(sim.dc_id, 7)
        assert me.first_name == "Alice"
        assert me.is_self
        assert sim.user_id(me.phone) == me.id
    finally:
        await client.disconnect()


async def test_existing_account_signs_in_with_start(sim: Server, tmp_path: Path) -> None:
    """A registered number signs in with Telethon's own start() and the dc-id code."""
    first = make_client(sim, tmp_path / "one.session")
    phone = sim_phone(sim.dc_id, 8)
    try:
        me = await login(first, phone)
    finally:
        await first.disconnect()
    second = make_client(sim, tmp_path / "two.session")
    try:
        await second.start(phone=phone, code_callback=lambda: login_code(sim.dc_id))
        again = await second.get_me()
        assert again.id == me.id
    finally:
        await second.disconnect()


async def test_wrong_code_is_rejected(sim: Server, tmp_path: Path) -> None:
    """A wrong login code raises PhoneCodeInvalidError."""
    client = make_client(sim, tmp_path / "c.session")
    phone = sim_phone(sim.dc_id, 9)
    try:
        await client.connect()
        await client.send_code_request(phone)
        with pytest.raises(errors.PhoneCodeInvalidError):
            await client.sign_in(phone, "12345")
    finally:
        await client.disconnect()


async def test_number_of_another_dc_is_invalid(sim: Server, tmp_path: Path) -> None:
    """Only 99966X numbers with X = the server's dc id are accepted."""
    client = make_client(sim, tmp_path / "d.session")
    try:
        await client.connect()
        with pytest.raises(errors.PhoneNumberInvalidError):
            await client.send_code_request("9996651234")
    finally:
        await client.disconnect()


async def test_saved_session_reconnects_without_login(sim: Server, tmp_path: Path) -> None:
    """A saved session file is authorized again after reconnecting, without a code."""
    session = tmp_path / "saved.session"
    client = make_client(sim, session)
    me = await login(client, sim_phone(sim.dc_id, 10))
    await client.disconnect()
    again = make_client(sim, session)
    try:
        await again.connect()
        assert await again.is_user_authorized()
        assert (await again.get_me()).id == me.id
    finally:
        await again.disconnect()


async def test_saved_session_survives_server_restart(tmp_path: Path) -> None:
    """Auth keys and accounts persist in the state dir: a restarted tgsim knows the session."""
    state = tmp_path / "state"
    session = tmp_path / "s.session"
    sim = await Server.start(state)
    try:
        client = make_client(sim, session)
        me = await login(client, sim_phone(sim.dc_id, 11))
        await client.disconnect()
    finally:
        await sim.stop()
    sim2 = await Server.start(state)
    try:
        client = make_client(sim2, session)
        await client.connect()
        assert await client.is_user_authorized()
        assert (await client.get_me()).id == me.id
        await client.disconnect()
    finally:
        await sim2.stop()
    assert (state / "accounts.json").stat().st_mode & 0o777 == 0o600
    assert (state / "server_key.pem").stat().st_mode & 0o777 == 0o600


async def test_unauthorized_request_gets_error_not_hang(sim: Server, tmp_path: Path) -> None:
    """Before sign-in, get_me returns None (AUTH_KEY_UNREGISTERED), and does not hang."""
    client = make_client(sim, tmp_path / "u.session")
    try:
        await client.connect()
        assert await client.get_me() is None
        assert not await client.is_user_authorized()
    finally:
        await client.disconnect()


async def test_login_code_works_once(sim: Server, tmp_path: Path) -> None:
    """After a successful sign-in the same code hash is expired (PhoneCodeExpiredError)."""
    phone = sim_phone(sim.dc_id, 12)
    first = make_client(sim, tmp_path / "x.session")
    await login(first, phone)
    await first.disconnect()
    client = make_client(sim, tmp_path / "y.session")
    try:
        await client.connect()
        sent = await client.send_code_request(phone)
        await client(SignInRequest(phone, sent.phone_code_hash, login_code(sim.dc_id)))
        other = make_client(sim, tmp_path / "z.session")
        try:
            await other.connect()
            with pytest.raises(errors.PhoneCodeExpiredError):
                await other(SignInRequest(phone, sent.phone_code_hash, login_code(sim.dc_id)))
        finally:
            await other.disconnect()
    finally:
        await client.disconnect()
