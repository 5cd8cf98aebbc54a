"""Encrypted messages (tgsim/session.py) against Telethon's MTProtoState."""

from __future__ import annotations

import io
import logging
import os
import struct
from collections import defaultdict
from typing import Any

import pytest
from telethon.crypto import AuthKey as TelethonKey
from telethon.network.mtprotostate import MTProtoState
from telethon.tl import functions, types

from tgsim.session import AuthKey, DecryptError, OutgoingState, decrypt, encrypt, packet_key_id


def _telethon_state(key: bytes) -> MTProtoState:
    loggers: Any = defaultdict(lambda: logging.getLogger("test"))
    return MTProtoState(TelethonKey(key), loggers)


def test_decrypts_what_telethon_encrypts() -> None:
    """A message Telethon encrypts is decrypted with its salt, session, msg_id and body."""
    raw = os.urandom(256)
    key = AuthKey(raw, salt=77)
    state = _telethon_state(raw)
    state.salt = 77
    buf = io.BytesIO()
    body = bytes(functions.PingRequest(ping_id=5))
    msg_id = state.write_data_as_message(buf, body, content_related=True)
    packet = state.encrypt_message_data(buf.getvalue())
    assert packet_key_id(packet) == key.key_id
    inc = decrypt(key, packet)
    assert (inc.salt, inc.session_id, inc.msg_id, inc.seqno) == (77, state.id, msg_id, 1)
    assert inc.body == body


def test_telethon_decrypts_what_we_encrypt() -> None:
    """Telethon accepts our server messages (odd, fresh msg_ids, its session id)."""
    raw = os.urandom(256)
    key = AuthKey(raw, salt=1)
    state = _telethon_state(raw)
    out = OutgoingState(state.id)
    pong = bytes(types.Pong(msg_id=1, ping_id=2))
    for answer in (True, False):
        msg_id = out.next_msg_id(answer)
        assert msg_id % 4 == (1 if answer else 3)
        inner = struct.pack("<qii", msg_id, out.next_seqno(True), len(pong)) + pong
        message = state.decrypt_message_data(encrypt(key, 1, state.id, inner))
        assert message is not None and message.msg_id == msg_id
        assert isinstance(message.obj, types.Pong)


def test_msg_ids_strictly_increase() -> None:
    """Server msg_ids never repeat or go backwards, even within one clock tick."""
    out = OutgoingState(1)
    ids = [out.next_msg_id(answer=True) for _ in range(1000)]
    assert ids == sorted(set(ids))
    assert [out.next_seqno(c) for c in (True, False, True)] == [1, 2, 3]


def test_tampered_packet_is_refused() -> None:
    """A flipped ciphertext bit fails the msg_key check."""
    raw = os.urandom(256)
    state = _telethon_state(raw)
    buf = io.BytesIO()
    state.write_data_as_message(buf, bytes(functions.PingRequest(ping_id=5)), True)
    packet = bytearray(state.encrypt_message_data(buf.getvalue()))
    packet[-1] ^= 1
    with pytest.raises(DecryptError, match="msg_key"):
        decrypt(AuthKey(raw, 0), bytes(packet))
    with pytest.raises(DecryptError):
        decrypt(AuthKey(raw, 0), bytes(packet[:30]))
