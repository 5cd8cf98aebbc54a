"""Every injectable fault surfaces in Telethon as the error real Telegram gives
(tgsim/faults.py and their application in tgsim/connection.py)."""

from __future__ import annotations

import os

import pytest
from telethon import errors, events
from telethon.tl import functions
from tgsim_support import ClientFactory, wait_for

from tgsim import Faults, Server


async def test_flood_wait(sim: Server, new_client: ClientFactory) -> None:
    """FLOOD_WAIT_N raises FloodWaitError with seconds == N (above the sleep threshold)."""
    await sim.create_channel("F", username="flood_ch")
    client = await new_client(1, flood_sleep_threshold=0)
    entity = await client.get_entity("flood_ch")
    sim.faults.add(request="GetHistoryRequest", error="FLOOD_WAIT_7")
    with pytest.raises(errors.FloodWaitError) as info:
        await client.get_messages(entity, limit=1)
    assert info.value.seconds == 7


async def test_flood_wait_below_threshold_is_slept_through(
    sim: Server, new_client: ClientFactory
) -> None:
    """A short FLOOD_WAIT is slept through by Telethon and the call then succeeds."""
    ch = await sim.create_channel("F2", username="flood2_ch")
    await sim.post(ch, text="ok")
    client = await new_client(1)
    entity = await client.get_entity("flood2_ch")
    fault = sim.faults.add(request="messages.GetHistoryRequest", error="FLOOD_WAIT_1")
    msgs = await client.get_messages(entity, limit=1)
    assert [m.text for m in msgs] == ["ok"] and fault.fired == 1


async def test_channels_too_much(sim: Server, new_client: ClientFactory) -> None:
    """CHANNELS_TOO_MUCH on join raises ChannelsTooMuchError and does not join."""
    ch = await sim.create_channel("T", username="toomuch_ch")
    client = await new_client(1)
    entity = await client.get_entity("toomuch_ch")
    sim.faults.add(request="JoinChannelRequest", error="CHANNELS_TOO_MUCH")
    with pytest.raises(errors.ChannelsTooMuchError):
        await client(functions.channels.JoinChannelRequest(entity))
    assert not sim.is_member(ch, (await client.get_me()).id)


async def test_channel_private(sim: Server, new_client: ClientFactory) -> None:
    """CHANNEL_PRIVATE raises ChannelPrivateError."""
    await sim.create_channel("P", username="priv_fault_ch")
    client = await new_client(1)
    entity = await client.get_entity("priv_fault_ch")
    sim.faults.add(request="GetFullChannelRequest", error="CHANNEL_PRIVATE")
    with pytest.raises(errors.ChannelPrivateError):
        await client(functions.channels.GetFullChannelRequest(entity))


async def test_invite_hash_expired(sim: Server, new_client: ClientFactory) -> None:
    """INVITE_HASH_EXPIRED raises InviteHashExpiredError on check and import."""
    ch = await sim.create_channel("I", private=True)
    client = await new_client(1)
    sim.faults.add(request="CheckChatInviteRequest", error="INVITE_HASH_EXPIRED")
    sim.faults.add(request="ImportChatInviteRequest", error="INVITE_HASH_EXPIRED")
    with pytest.raises(errors.InviteHashExpiredError):
        await client(functions.messages.CheckChatInviteRequest(ch.invite_hash))
    with pytest.raises(errors.InviteHashExpiredError):
        await client(functions.messages.ImportChatInviteRequest(ch.invite_hash))


async def test_file_reference_expired_photo(
    sim: Server, new_client: ClientFactory, jpeg: bytes
) -> None:
    """FILE_REFERENCE_EXPIRED on a photo download raises FileReferenceExpiredError."""
    ch = await sim.create_channel("R", username="ref_fault_ch")
    msg_id = await sim.post(ch, photo=jpeg)
    client = await new_client(1)
    entity = await client.get_entity("ref_fault_ch")
    msg = await client.get_messages(entity, ids=msg_id)
    sim.faults.add(request="GetFileRequest", error="FILE_REFERENCE_EXPIRED")
    with pytest.raises(errors.FileReferenceExpiredError):
        await client.download_media(msg, bytes)
    fresh = await client.get_messages(entity, ids=msg_id)
    assert await client.download_media(fresh, bytes)


async def test_file_reference_expired_document_refetched_by_telethon(
    sim: Server, new_client: ClientFactory
) -> None:
    """For documents Telethon itself re-fetches the message and finishes the download."""
    payload = os.urandom(300_000)
    ch = await sim.create_channel("R2", username="ref2_ch")
    msg_id = await sim.post(ch, document=(payload, "x.bin", "application/octet-stream"))
    client = await new_client(1)
    msg = await client.get_messages(await client.get_entity("ref2_ch"), ids=msg_id)
    sim.faults.add(request="GetFileRequest", error="FILE_REFERENCE_EXPIRED")
    assert await client.download_media(msg, bytes) == payload


async def test_dropped_connection_is_survived(sim: Server, new_client: ClientFactory) -> None:
    """'drop' closes the TCP connection; Telethon reconnects, resends, and gets the answer."""
    ch = await sim.create_channel("D", username="drop_ch")
    await sim.post(ch, text="still here")
    client = await new_client(1)
    entity = await client.get_entity("drop_ch")
    fault = sim.faults.add(request="GetHistoryRequest", error="drop")
    msgs = await client.get_messages(entity, limit=1)
    assert fault.fired == 1 and [m.text for m in msgs] == ["still here"]
    # updates still flow on the new connection
    got: list[str] = []

    async def on_new(event: events.NewMessage.Event) -> None:
        got.append(event.raw_text)

    client.add_event_handler(on_new, events.NewMessage())
    await client(functions.channels.JoinChannelRequest(entity))
    await sim.post(ch, text="after reconnect")
    await wait_for(lambda: got == ["after reconnect"])


async def test_drop_mid_download_is_survived(sim: Server, new_client: ClientFactory) -> None:
    """A connection dropped in the middle of a download: the download still completes exactly."""
    payload = os.urandom(3 * 1024 * 1024 + 17)
    ch = await sim.create_channel("M", username="mid_ch")
    msg_id = await sim.post(ch, document=(payload, "big.bin", "application/octet-stream"))
    client = await new_client(1)
    msg = await client.get_messages(await client.get_entity("mid_ch"), ids=msg_id)
    fault = sim.faults.add(request="GetFileRequest", error="drop_mid_download")
    assert await client.download_media(msg, bytes) == payload
    assert fault.fired == 1


async def test_slow_response_still_answers(sim: Server, new_client: ClientFactory) -> None:
    """('slow', s) delays the answer; the request still succeeds."""
    await sim.create_channel("S", username="slow_ch")
    client = await new_client(1)
    fault = sim.faults.add(request="ResolveUsernameRequest", error=("slow", 0.3))
    entity = await client.get_entity("slow_ch")
    assert entity.title == "S" and fault.fired == 1


async def test_fault_only_for_one_client(sim: Server, new_client: ClientFactory) -> None:
    """A fault bound to one client (by phone) does not affect another."""
    await sim.create_channel("C", username="client_ch")
    first = await new_client(1)
    second = await new_client(2)
    phone = (await first.get_me()).phone
    sim.faults.add(request="*", error="CHANNEL_PRIVATE", client=phone, times=None)
    assert (await second.get_entity("client_ch")).title == "C"
    with pytest.raises(errors.ChannelPrivateError):
        await first.get_entity("client_ch")
    sim.faults.clear()
    assert (await first.get_entity("client_ch")).title == "C"


def test_bad_fault_kinds_are_refused() -> None:
    """Malformed fault kinds and counts get a clear ValueError."""
    faults = Faults()
    with pytest.raises(ValueError, match="slow"):
        faults.add(error=("fast", 1))
    with pytest.raises(ValueError, match="RPC error name"):
        faults.add(error="not an error")
    with pytest.raises(ValueError, match="times"):
        faults.add(error="drop", times=0)
    assert len(faults) == 0
    faults.add(error="FLOOD_WAIT_3", times=2)
    assert faults.take(("GetHistoryRequest",), None) == "FLOOD_WAIT_3"
    assert faults.take(("GetHistoryRequest",), None) == "FLOOD_WAIT_3"
    assert faults.take(("GetHistoryRequest",), None) is None


async def test_unknown_method_gets_an_error(sim: Server, new_client: ClientFactory) -> None:
    """A request tgsim does not implement gets an RPC error, never a hang."""
    client = await new_client(1)
    with pytest.raises(errors.InputMethodInvalidError):
        await client(functions.account.GetPasswordRequest())
