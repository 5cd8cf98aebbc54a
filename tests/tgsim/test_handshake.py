"""The auth-key exchange (tgsim/handshake.py) driven by Telethon's own authenticator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from telethon.crypto import rsa as telethon_rsa
from telethon.network.authenticator import do_authentication
from telethon.tl import functions

from tgsim.crypto import ServerKey
from tgsim.handshake import Handshake, HandshakeError, frame_plain, unframe_plain
from tgsim.tlkit import parse_object


class _PlainLoop:
    """Stands in for Telethon's MTProtoPlainSender: bytes go through our framing."""

    def __init__(self, handshake: Handshake) -> None:
        self.handshake = handshake

    async def send(self, request: Any) -> Any:
        answer = self.handshake.handle(parse_object(bytes(request)))
        return unframe_plain(frame_plain(bytes(answer)))


@pytest.fixture
def server_key(tmp_path: Path) -> ServerKey:
    """A server key registered with Telethon."""
    key = ServerKey.load_or_create(tmp_path)
    telethon_rsa.add_key(key.public_pem, old=False)
    return key


async def test_telethon_authenticator_agrees_on_the_key(server_key: ServerKey) -> None:
    """Telethon's do_authentication and our handshake derive the same auth key."""
    handshake = Handshake(server_key)
    auth_key, time_offset = await do_authentication(_PlainLoop(handshake))
    assert handshake.result is not None
    assert auth_key.key == handshake.result[0]
    assert abs(time_offset) <= 2


async def test_wrong_nonce_is_refused(server_key: ServerKey) -> None:
    """req_DH_params with a nonce that does not match req_pq is a protocol error."""
    handshake = Handshake(server_key)
    handshake.handle(functions.ReqPqMultiRequest(nonce=12345))
    with pytest.raises(HandshakeError, match="nonce"):
        handshake.handle(
            functions.ReqDHParamsRequest(
                nonce=999, server_nonce=handshake.server_nonce, p=b"\x01", q=b"\x01",
                public_key_fingerprint=server_key.fingerprint, encrypted_data=bytes(256),
            )
        )


async def test_unexpected_plain_message_is_refused(server_key: ServerKey) -> None:
    """An unencrypted message that is not part of the exchange is refused."""
    with pytest.raises(HandshakeError, match="unexpected"):
        Handshake(server_key).handle(functions.PingRequest(ping_id=1))


async def test_client_dh_before_dh_params_is_refused(server_key: ServerKey) -> None:
    """set_client_DH_params without the earlier steps is refused."""
    handshake = Handshake(server_key)
    with pytest.raises(HandshakeError):
        handshake.handle(
            functions.SetClientDHParamsRequest(nonce=0, server_nonce=0, encrypted_data=bytes(32))
        )


def test_short_plain_message_is_refused() -> None:
    """Unencrypted messages shorter than their header are refused."""
    with pytest.raises(HandshakeError, match="short"):
        unframe_plain(b"\x00" * 10)
