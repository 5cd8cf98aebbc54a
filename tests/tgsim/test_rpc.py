"""Request naming, dispatch and input resolution (tgsim/rpc.py)."""

from __future__ import annotations

import pytest
import structlog
from telethon.tl import functions, types

from tgsim.faults import Faults
from tgsim.hub import Hub
from tgsim.rpc import Ctx, qualname
from tgsim.session import AuthKey
from tgsim.tlkit import TLError
from tgsim.world import World


class _Key:
    fingerprint = 0
    public_pem = ""


@pytest.fixture
def hub() -> Hub:
    """A hub without a network."""
    return Hub(World(2, b"s" * 32), Faults(), _Key(), structlog.get_logger())  # type: ignore[arg-type]


def test_qualified_names() -> None:
    """Requests are named by their TL namespace, top-level ones by class only."""
    channel_request = functions.channels.GetMessagesRequest(None, [])
    assert qualname(channel_request) == "channels.GetMessagesRequest"
    assert qualname(functions.messages.GetMessagesRequest([])) == "messages.GetMessagesRequest"
    assert qualname(functions.PingRequest(1)) == "PingRequest"


async def test_unknown_and_unauthorized_requests(hub: Hub) -> None:
    """Unknown methods get 400 INPUT_METHOD_INVALID; private ones need a signed-in key."""
    ctx = Ctx(hub, AuthKey(b"k" * 256, 0), 1)
    with pytest.raises(TLError) as unknown:
        await hub.registry.dispatch(ctx, functions.account.GetPasswordRequest())
    assert (unknown.value.code, unknown.value.message) == (400, "INPUT_METHOD_INVALID")
    with pytest.raises(TLError) as unauth:
        await hub.registry.dispatch(ctx, functions.updates.GetStateRequest())
    assert (unauth.value.code, unauth.value.message) == (401, "AUTH_KEY_UNREGISTERED")


def test_channel_resolution_checks_access_hash(hub: Hub) -> None:
    """A wrong access hash is CHANNEL_INVALID; a private non-member read CHANNEL_PRIVATE."""
    acc = hub.world.create_account("9996620001", "A")
    ctx = Ctx(hub, AuthKey(b"k" * 256, 0, acc.user_id), 1)
    ch = hub.world.create_channel("P", None, True, "")
    with pytest.raises(TLError, match="CHANNEL_INVALID"):
        ctx.channel(types.InputChannel(ch.id, ch.access_hash + 1))
    with pytest.raises(TLError, match="CHANNEL_PRIVATE"):
        ctx.channel(types.InputPeerChannel(ch.id, ch.access_hash))
    assert ctx.channel(types.InputChannel(ch.id, ch.access_hash), readable=False) is ch
    with pytest.raises(TLError, match="PEER_ID_INVALID"):
        ctx.channel(types.InputPeerSelf())
