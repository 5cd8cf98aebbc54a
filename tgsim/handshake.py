"""The authorization-key exchange (https://core.telegram.org/mtproto/auth_key),
server side: req_pq_multi -> req_DH_params -> set_client_DH_params.

Unencrypted messages are framed as ``auth_key_id = 0 | msg_id | length | body``.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import struct
import time
from dataclasses import dataclass, field
from typing import Any

from telethon.extensions import BinaryReader
from telethon.tl import types as tl

from tgsim.crypto import (
    DH_G,
    DH_PRIME,
    ServerKey,
    decrypt_ige,
    encrypt_ige,
    tmp_aes_from_nonces,
)
from tgsim.tlkit import mk

SAFETY = 2 ** (2048 - 64)


class HandshakeError(Exception):
    """The client broke the key-exchange protocol; the connection is dropped."""


def _random_prime(bits: int) -> int:
    while True:
        n = secrets.randbits(bits) | (1 << (bits - 1)) | 1
        if all(pow(a, n - 1, n) == 1 for a in (2, 3, 5, 7, 11, 13, 17, 19, 23)):
            return n


def _int128(value: int) -> bytes:
    return value.to_bytes(16, "little", signed=True)


def _int256(value: int) -> bytes:
    return value.to_bytes(32, "little", signed=True)


def _bytes_of(value: int) -> bytes:
    return value.to_bytes((value.bit_length() + 7) // 8, "big")


def new_plain_msg_id() -> int:
    """A server message id for an unencrypted answer (time-based, ``% 4 == 1``)."""
    now = time.time()
    return (int(now) << 32) | ((int((now % 1) * 2**30) << 2) & 0xFFFFFFFC) | 1


def frame_plain(body: bytes) -> bytes:
    """Frame an unencrypted message."""
    return struct.pack("<qqi", 0, new_plain_msg_id(), len(body)) + body


def unframe_plain(packet: bytes) -> Any:
    """Read the TL object from an unencrypted message."""
    if len(packet) < 20:
        raise HandshakeError("unencrypted message too short")
    _key_id, _msg_id, length = struct.unpack("<qqi", packet[:20])
    with BinaryReader(packet[20 : 20 + length]) as reader:
        return reader.tgread_object()


@dataclass
class Handshake:
    """State of one key exchange on one connection."""

    key: ServerKey
    nonce: int = 0
    server_nonce: int = 0
    new_nonce: int = 0
    pq: tuple[int, int] = (0, 0)
    a: int = 0
    tmp: tuple[bytes, bytes] = (b"", b"")
    result: tuple[bytes, int] | None = field(default=None)

    def handle(self, obj: Any) -> Any:
        """Answer one plaintext request; sets ``result`` when a key was made."""
        name = type(obj).__name__
        if name in ("ReqPqMultiRequest", "ReqPqRequest"):
            return self._res_pq(obj)
        if name == "ReqDHParamsRequest":
            return self._dh_params(obj)
        if name == "SetClientDHParamsRequest":
            return self._client_dh(obj)
        raise HandshakeError(f"unexpected unencrypted {name}")

    def _res_pq(self, req: Any) -> Any:
        self.nonce = req.nonce
        self.server_nonce = int.from_bytes(os.urandom(16), "little", signed=True)
        p, q = sorted((_random_prime(31), _random_prime(31)))
        self.pq = (p, q)
        return mk(
            tl.ResPQ,
            nonce=self.nonce,
            server_nonce=self.server_nonce,
            pq=_bytes_of(p * q),
            server_public_key_fingerprints=[self.key.fingerprint],
        )

    def _check_nonces(self, req: Any) -> None:
        if req.nonce != self.nonce or req.server_nonce != self.server_nonce:
            raise HandshakeError("nonce mismatch")

    def _decrypt_inner(self, block: bytes) -> bytes:
        plain = self.key.decrypt_raw(block)
        # Telethon's scheme: sha1(data) + data + random padding, 255 bytes.
        body = plain[1:]
        with BinaryReader(body[20:]) as reader:
            try:
                reader.tgread_object()
                consumed = reader.tell_position()
            except Exception:  # noqa: BLE001 - not this scheme, try RSA_PAD below
                consumed = -1
        if plain[0] == 0 and consumed > 0:
            data = body[20 : 20 + consumed]
            if hashlib.sha1(data).digest() == body[:20]:  # noqa: S324
                return data
        # RSA_PAD (https://core.telegram.org/mtproto/auth_key#presenting-proof-of-work-server-authentication)
        temp_key_xor, aes_encrypted = plain[:32], plain[32:]
        aes_hash = hashlib.sha256(aes_encrypted).digest()
        temp_key = bytes(x ^ y for x, y in zip(temp_key_xor, aes_hash, strict=True))
        data_with_hash = decrypt_ige(aes_encrypted, temp_key, bytes(32))
        padded = data_with_hash[:192][::-1]
        if hashlib.sha256(temp_key + padded).digest() != data_with_hash[192:]:
            raise HandshakeError("cannot decrypt p_q_inner_data")
        return padded

    def _dh_params(self, req: Any) -> Any:
        self._check_nonces(req)
        if req.public_key_fingerprint != self.key.fingerprint:
            raise HandshakeError("unknown public key fingerprint")
        inner_bytes = self._decrypt_inner(req.encrypted_data)
        with BinaryReader(inner_bytes) as reader:
            inner = reader.tgread_object()
        if inner.nonce != self.nonce or inner.server_nonce != self.server_nonce:
            raise HandshakeError("inner nonce mismatch")
        p, q = self.pq
        if int.from_bytes(inner.p, "big") != p or int.from_bytes(inner.q, "big") != q:
            raise HandshakeError("wrong p/q")
        self.new_nonce = inner.new_nonce
        while True:
            self.a = secrets.randbits(2048)
            g_a = pow(DH_G, self.a, DH_PRIME)
            if SAFETY <= g_a <= DH_PRIME - SAFETY:
                break
        answer = bytes(
            mk(
                tl.ServerDHInnerData,
                nonce=self.nonce,
                server_nonce=self.server_nonce,
                g=DH_G,
                dh_prime=_bytes_of(DH_PRIME),
                g_a=_bytes_of(g_a),
                server_time=int(time.time()),
            )
        )
        with_hash = hashlib.sha1(answer).digest() + answer  # noqa: S324
        with_hash += os.urandom(-len(with_hash) % 16)
        self.tmp = tmp_aes_from_nonces(_int128(self.server_nonce), _int256(self.new_nonce))
        return mk(
            tl.ServerDHParamsOk,
            nonce=self.nonce,
            server_nonce=self.server_nonce,
            encrypted_answer=encrypt_ige(with_hash, *self.tmp),
        )

    def _client_dh(self, req: Any) -> Any:
        self._check_nonces(req)
        if not self.a:
            raise HandshakeError("set_client_DH_params before req_DH_params")
        plain = decrypt_ige(req.encrypted_data, *self.tmp)
        with BinaryReader(plain[20:]) as reader:
            inner = reader.tgread_object()
            length = reader.tell_position()
        if hashlib.sha1(plain[20 : 20 + length]).digest() != plain[:20]:  # noqa: S324
            raise HandshakeError("client_DH_inner_data hash mismatch")
        g_b = int.from_bytes(inner.g_b, "big")
        if not SAFETY <= g_b <= DH_PRIME - SAFETY:
            raise HandshakeError("g_b out of range")
        # Telethon keeps the key as the minimal big-endian byte string of g^ab
        # (rsa.get_byte_array); mirror that so both sides hold the same bytes.
        auth_key = _bytes_of(pow(g_b, self.a, DH_PRIME))
        aux_hash = hashlib.sha1(auth_key).digest()[:8]  # noqa: S324
        nn = _int256(self.new_nonce)
        nnh1 = hashlib.sha1(nn + b"\x01" + aux_hash).digest()[4:20]  # noqa: S324
        salt = int.from_bytes(
            bytes(x ^ y for x, y in zip(nn[:8], _int128(self.server_nonce)[:8], strict=True)),
            "little",
            signed=True,
        )
        self.result = (auth_key, salt)
        return mk(
            tl.DhGenOk,
            nonce=self.nonce,
            server_nonce=self.server_nonce,
            new_nonce_hash1=int.from_bytes(nnh1, "little", signed=True),
        )
