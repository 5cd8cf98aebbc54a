"""Service messages and wrappers on a live connection (tgsim/connection.py)."""

from __future__ import annotations

import asyncio
import io
import logging
import struct
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from telethon import errors
from telethon.crypto import rsa as telethon_rsa
from telethon.network.authenticator import do_authentication
from telethon.network.connection import ConnectionTcpFull
from telethon.network.mtprotoplainsender import MTProtoPlainSender
from telethon.network.mtprotostate import MTProtoState
from telethon.tl import TLRequest, functions, types
from tgsim_support import ClientFactory, login, make_client, sim_phone, wait_for

from tgsim import Server


async def test_ping_future_salts_and_destroy_session(
    sim: Server, new_client: ClientFactory
) -> None:
    """ping, get_future_salts and destroy_session get their bare answers."""
    client = await new_client(1)
    pong = await client(functions.PingRequest(ping_id=4242))
    assert isinstance(pong, types.Pong) and pong.ping_id == 4242
    delayed = await client(functions.PingDelayDisconnectRequest(ping_id=7, disconnect_delay=75))
    assert delayed.ping_id == 7
    salts = await client(functions.GetFutureSaltsRequest(num=3))
    assert isinstance(salts, types.FutureSalts) and len(salts.salts) == 3
    gone = await client(functions.DestroySessionRequest(session_id=123))
    assert isinstance(gone, types.DestroySessionOk)


async def test_gzipped_request_and_container(sim: Server, new_client: ClientFactory) -> None:
    """Telethon's gzip-packed requests and containers of several requests are served."""
    ch = await sim.create_channel("Z", username="zip_ch")
    for i in range(5):
        await sim.post(ch, text=f"m{i}")
    client = await new_client(1)
    entity = await client.get_entity("zip_ch")
    # 300 ids make a request big enough for Telethon to gzip it
    got = await client.get_messages(entity, ids=list(range(1, 301)))
    assert [m.text for m in got if m is not None] == [f"m{i}" for i in range(5)]
    # several requests sent at once travel in one msg_container
    results = await client(
        [functions.PingRequest(ping_id=i) for i in range(3)]
        + [functions.channels.GetFullChannelRequest(entity)]
    )
    assert [r.ping_id for r in results[:3]] == [0, 1, 2]
    assert results[3].full_chat.id == ch.id


async def test_invoke_without_updates_gets_no_pushes(sim: Server, tmp_path: Path) -> None:
    """A client created with receive_updates=False wraps its init in invokeWithoutUpdates."""
    ch = await sim.create_channel("N", username="noupd_ch")
    client = make_client(sim, tmp_path / "n.session", receive_updates=False)
    try:
        await login(client, sim_phone(sim.dc_id, 5))
        entity = await client.get_entity("noupd_ch")
        await client(functions.channels.JoinChannelRequest(entity))
        conns = list(sim.hub.connections)
        await wait_for(lambda: any(c.no_updates for c in conns))
        assert all(c.no_updates for c in sim.hub.connections)
        await sim.post(ch, text="quiet")  # must not be pushed, and must not fail
    finally:
        await client.disconnect()


class _Bogus(TLRequest):  # type: ignore[misc]
    """A request with a constructor no layer defines."""

    CONSTRUCTOR_ID = 0x0BADC0DE
    SUBCLASS_OF_ID = 0x0BADC0DE

    def _bytes(self) -> bytes:
        return struct.pack("<I", self.CONSTRUCTOR_ID)


async def test_unknown_constructor_gets_an_error(sim: Server, new_client: ClientFactory) -> None:
    """A request the server cannot even parse gets 400 INPUT_CONSTRUCTOR_INVALID."""
    client = await new_client(1)
    with pytest.raises(errors.InputConstructorInvalidError):
        await client(_Bogus())
    assert (await client(functions.PingRequest(ping_id=1))).ping_id == 1


async def _raw_session(sim: Server) -> tuple[Any, MTProtoState]:
    """A Telethon transport + MTProto state with a fresh auth key, no TelegramClient."""
    loggers: Any = defaultdict(lambda: logging.getLogger("tgsim-test"))
    telethon_rsa.add_key(sim.public_key_pem, old=False)
    conn = ConnectionTcpFull(sim.host, sim.port, sim.dc_id, loggers=loggers)
    await conn.connect(timeout=10)
    auth_key, _ = await do_authentication(MTProtoPlainSender(conn, loggers=loggers))
    return conn, MTProtoState(auth_key, loggers)


def _packet(state: MTProtoState, request: Any) -> tuple[bytes, int]:
    buf = io.BytesIO()
    msg_id = state.write_data_as_message(buf, bytes(request), content_related=True)
    return state.encrypt_message_data(buf.getvalue()), msg_id


async def _next_of(conn: Any, state: MTProtoState, kind: type) -> Any:
    while True:
        message = state.decrypt_message_data(await asyncio.wait_for(conn.recv(), 10))
        if message is not None and isinstance(message.obj, kind):
            return message.obj


async def test_salt_check_and_replay_protection(sim: Server) -> None:
    """A wrong salt gets bad_server_salt; a replayed packet is not executed twice."""
    conn, state = await _raw_session(sim)
    try:
        packet, bad_id = _packet(state, functions.PingRequest(ping_id=1))
        await conn.send(packet)
        bad = await _next_of(conn, state, types.BadServerSalt)
        assert bad.bad_msg_id == bad_id
        state.salt = bad.new_server_salt
        packet, ping_id = _packet(state, functions.PingRequest(ping_id=2))
        await conn.send(packet)
        assert (await _next_of(conn, state, types.Pong)).msg_id == ping_id
        await conn.send(packet)  # the same bytes again: must be ignored
        packet3, third_id = _packet(state, functions.PingRequest(ping_id=3))
        await conn.send(packet3)
        assert (await _next_of(conn, state, types.Pong)).msg_id == third_id
    finally:
        await conn.disconnect()
