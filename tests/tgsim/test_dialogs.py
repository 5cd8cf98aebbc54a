"""Dialog lists (tgsim/methods/dialogs.py) through Telethon's get_dialogs."""

from __future__ import annotations

from telethon.tl import functions, types
from tgsim_support import ClientFactory

from tgsim import Server


async def test_get_dialogs_lists_joined_channels(sim: Server, new_client: ClientFactory) -> None:
    """get_dialogs returns the joined channels with their last post, newest first."""
    a = await sim.create_channel("Alpha", username="alpha_ch")
    b = await sim.create_channel("Beta", private=True)
    await sim.create_channel("Gamma", username="gamma_ch")  # not joined
    await sim.post(a, text="a1")
    client = await new_client(1)
    await client(functions.channels.JoinChannelRequest(await client.get_entity("alpha_ch")))
    await client(functions.messages.ImportChatInviteRequest(b.invite_hash))
    await sim.post(b, text="b1")
    dialogs = await client.get_dialogs()
    assert [d.name for d in dialogs] == ["Beta", "Alpha"]
    assert [d.message.text for d in dialogs] == ["b1", "a1"]
    assert dialogs[0].dialog.pts == b.pts
    archived = await client.get_dialogs(folder=1)
    assert len(archived) == 0


async def test_get_peer_dialogs(sim: Server, new_client: ClientFactory) -> None:
    """getPeerDialogs answers for the given joined channels."""
    ch = await sim.create_channel("Peer", username="peer_ch")
    client = await new_client(1)
    entity = await client.get_entity("peer_ch")
    await client(functions.channels.JoinChannelRequest(entity))
    result = await client(
        functions.messages.GetPeerDialogsRequest([types.InputDialogPeer(entity)])
    )
    assert [d.peer.channel_id for d in result.dialogs] == [ch.id]
