"""Encrypted MTProto 2.0 messages of one client session, server side.

Decrypts and checks what the client sends (auth_key_id, msg_key, session id,
msg_id parity and freshness) and encrypts what the server sends, generating
server msg_ids (``% 4 == 1`` for answers, ``% 4 == 3`` for server-initiated
messages) and seqnos. https://core.telegram.org/mtproto/description
"""

from __future__ import annotations

import hashlib
import os
import struct
import time
from dataclasses import dataclass

from tgsim.crypto import auth_key_id, decrypt_ige, encrypt_ige, message_keys, msg_key_for


class DecryptError(Exception):
    """The client's packet cannot be decrypted with the key it names."""


@dataclass(frozen=True)
class Incoming:
    """One decrypted client message."""

    salt: int
    session_id: int
    msg_id: int
    seqno: int
    body: bytes


@dataclass
class AuthKey:
    """An authorization key the server agreed with a client."""

    key: bytes
    salt: int
    user_id: int | None = None
    layer: int = 0

    @property
    def key_id(self) -> int:
        """The key's 64-bit id."""
        return auth_key_id(self.key)


def packet_key_id(packet: bytes) -> int:
    """The auth_key_id a packet starts with (0 for unencrypted messages)."""
    if len(packet) < 8:
        raise DecryptError("packet shorter than an auth_key_id")
    return int(struct.unpack("<Q", packet[:8])[0])


def decrypt(key: AuthKey, packet: bytes) -> Incoming:
    """Decrypt and check one client packet."""
    if len(packet) < 24 + 32 or (len(packet) - 24) % 16:
        raise DecryptError("bad encrypted packet length")
    msg_key = packet[8:24]
    aes_key, aes_iv = message_keys(key.key, msg_key, from_client=True)
    plain = decrypt_ige(packet[24:], aes_key, aes_iv)
    if msg_key_for(key.key, plain, from_client=True) != msg_key:
        raise DecryptError("msg_key mismatch")
    salt, session_id, msg_id, seqno, length = struct.unpack("<qqqii", plain[:32])
    if length < 0 or length > len(plain) - 32 or length % 4:
        raise DecryptError("bad inner message length")
    padding = len(plain) - 32 - length
    if not 12 <= padding <= 1024:
        raise DecryptError("bad padding length")
    if msg_id % 4 != 0:
        raise DecryptError("client msg_id must be divisible by 4")
    return Incoming(salt, session_id, msg_id, seqno, plain[32 : 32 + length])


class OutgoingState:
    """Server-side msg_id and seqno generation for one client session."""

    def __init__(self, session_id: int) -> None:
        self.session_id = session_id
        self._last_id = 0
        self._content_count = 0

    def next_msg_id(self, answer: bool) -> int:
        """A fresh, strictly increasing server msg_id."""
        now = time.time()
        msg_id = (int(now) << 32) | (int((now % 1) * 2**32) & 0xFFFFFFFC)
        if msg_id <= self._last_id:
            msg_id = (self._last_id & ~3) + 4
        self._last_id = msg_id
        return msg_id | (1 if answer else 3)

    def next_seqno(self, content_related: bool) -> int:
        """The seqno for the next message."""
        if content_related:
            seqno = self._content_count * 2 + 1
            self._content_count += 1
            return seqno
        return self._content_count * 2


def encrypt(key: AuthKey, salt: int, session_id: int, inner: bytes) -> bytes:
    """Encrypt one server message (``inner`` = msg_id | seqno | length | body)."""
    plain = struct.pack("<qq", salt, session_id) + inner
    plain += os.urandom(12 + (-(len(plain) + 12) % 16))
    msg_key = msg_key_for(key.key, plain, from_client=False)
    aes_key, aes_iv = message_keys(key.key, msg_key, from_client=False)
    return struct.pack("<Q", key.key_id) + msg_key + encrypt_ige(plain, aes_key, aes_iv)


def unique_id() -> int:
    """A random 64-bit id for new_session_created."""
    return int.from_bytes(hashlib.sha256(os.urandom(16)).digest()[:8], "little", signed=True)
