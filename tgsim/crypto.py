"""Cryptographic primitives of MTProto 2.0, server side.

AES-256-IGE (through ``cryptg`` when installed, else ``cryptography``'s AES-ECB),
the server's RSA key (generated on first start, kept 0600 in the state
directory), its Telegram fingerprint, and the MTProto 2.0 message key / AES key
derivation. See https://core.telegram.org/mtproto/description and
https://core.telegram.org/mtproto/auth_key.
"""

from __future__ import annotations

import hashlib
import os
import struct
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from telethon.tl import TLObject

# A 2048-bit safe prime (p and (p-1)/2 prime) with p mod 24 == 11, so g = 3
# generates the subgroup of order (p-1)/2 as MTProto requires. It is the value
# published in the MTProto documentation.
DH_PRIME = int(
    "C71CAEB9C6B1C9048E6C522F70F13F73980D40238E3E21C14934D037563D930F"
    "48198A0AA7C14058229493D22530F4DBFA336F6E0AC925139543AED44CCE7C37"
    "20FD51F69458705AC68CD4FE6B6B13ABDC9746512969328454F18FAF8C595F64"
    "2477FE96BB2A941D5BCD1D4AC8CC49880708FA9B378E3C4F3A9060BEE67CF9A4"
    "A4A695811051907E162753B56B0F6B410DBA74D8A84B2A14B3144E0EF1284754"
    "FD17ED950D5965B4B9DD46582DB1178D169C6BC465B0D6FF9CA3928FEF5B9AE4"
    "E418FC15E83EBEA0F87FA9FF5EED70050DED2849F47BF959D956850CE929851F"
    "0D8115F635B105EE2E4E15D04B2454BF6F4FADF034B10403119CD8E3B92FCC5B",
    16,
)
DH_G = 3

_cryptg: Any
try:
    import cryptg as _cryptg
except ImportError:  # pragma: no cover - depends on the environment
    _cryptg = None


def _xor(a: bytes, b: bytes) -> bytes:
    return (int.from_bytes(a, "big") ^ int.from_bytes(b, "big")).to_bytes(len(a), "big")


def _ige(data: bytes, key: bytes, iv: bytes, encrypt: bool) -> bytes:
    if len(data) % 16:
        raise ValueError("AES-IGE data must be a multiple of 16 bytes")
    ecb = Cipher(algorithms.AES(key), modes.ECB())  # noqa: S305 - IGE is built on ECB
    op = ecb.encryptor() if encrypt else ecb.decryptor()
    iv1, iv2 = (iv[:16], iv[16:]) if encrypt else (iv[16:], iv[:16])
    out = bytearray()
    for i in range(0, len(data), 16):
        block = data[i : i + 16]
        res = _xor(op.update(_xor(block, iv1)), iv2)
        iv1, iv2 = res, block
        out += res
    return bytes(out)


def encrypt_ige(data: bytes, key: bytes, iv: bytes) -> bytes:
    """AES-256-IGE encryption."""
    if _cryptg is not None:
        return bytes(_cryptg.encrypt_ige(data, key, iv))
    return _ige(data, key, iv, encrypt=True)


def decrypt_ige(data: bytes, key: bytes, iv: bytes) -> bytes:
    """AES-256-IGE decryption."""
    if _cryptg is not None:
        return bytes(_cryptg.decrypt_ige(data, key, iv))
    return _ige(data, key, iv, encrypt=False)


def pure_encrypt_ige(data: bytes, key: bytes, iv: bytes) -> bytes:
    """The pure-``cryptography`` IGE implementation (for tests and benchmarks)."""
    return _ige(data, key, iv, encrypt=True)


def pure_decrypt_ige(data: bytes, key: bytes, iv: bytes) -> bytes:
    """The pure-``cryptography`` IGE implementation (for tests and benchmarks)."""
    return _ige(data, key, iv, encrypt=False)


class ServerKey:
    """The server's RSA key pair and its Telegram fingerprint."""

    def __init__(self, private: rsa.RSAPrivateKey) -> None:
        self._private = private
        numbers = private.private_numbers()
        self.n = numbers.public_numbers.n
        self.e = numbers.public_numbers.e
        self._d = numbers.d
        self.fingerprint = fingerprint(self.n, self.e)
        pem = private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.PKCS1
        )
        self.public_pem = pem.decode("ascii")

    @classmethod
    def load_or_create(cls, state_dir: Path) -> ServerKey:
        """Load ``server_key.pem`` from the state directory, creating it (0600) if absent."""
        state_dir.mkdir(parents=True, exist_ok=True)
        path = state_dir / "server_key.pem"
        if path.exists():
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
            if not isinstance(key, rsa.RSAPrivateKey) or key.key_size != 2048:
                raise ValueError(f"{path}: not a 2048-bit RSA private key")
            return cls(key)
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
        return cls(private)

    def decrypt_raw(self, block: bytes) -> bytes:
        """Textbook RSA decryption of a 256-byte block (MTProto does its own padding)."""
        value = pow(int.from_bytes(block, "big"), self._d, self.n)
        return value.to_bytes(256, "big")


def _bytes_of(value: int) -> bytes:
    return value.to_bytes((value.bit_length() + 7) // 8, "big")


def fingerprint(n: int, e: int) -> int:
    """Telegram's key fingerprint: low 64 bits of SHA1(bytes(n) + bytes(e))."""
    data = TLObject.serialize_bytes(_bytes_of(n)) + TLObject.serialize_bytes(_bytes_of(e))
    return int(struct.unpack("<q", hashlib.sha1(data).digest()[-8:])[0])  # noqa: S324


def auth_key_id(auth_key: bytes) -> int:
    """The 64 lower-order bits of SHA1(auth_key)."""
    return int(struct.unpack("<Q", hashlib.sha1(auth_key).digest()[-8:])[0])  # noqa: S324


def message_keys(auth_key: bytes, msg_key: bytes, from_client: bool) -> tuple[bytes, bytes]:
    """MTProto 2.0 AES key and IV for a message (x = 0 client->server, 8 server->client)."""
    x = 0 if from_client else 8
    sha_a = hashlib.sha256(msg_key + auth_key[x : x + 36]).digest()
    sha_b = hashlib.sha256(auth_key[40 + x : 76 + x] + msg_key).digest()
    key = sha_a[:8] + sha_b[8:24] + sha_a[24:32]
    iv = sha_b[:8] + sha_a[8:24] + sha_b[24:32]
    return key, iv


def msg_key_for(auth_key: bytes, plaintext: bytes, from_client: bool) -> bytes:
    """msg_key = middle 128 bits of SHA256(substr(auth_key, 88+x, 32) + plaintext)."""
    x = 0 if from_client else 8
    return hashlib.sha256(auth_key[88 + x : 120 + x] + plaintext).digest()[8:24]


def tmp_aes_from_nonces(server_nonce: bytes, new_nonce: bytes) -> tuple[bytes, bytes]:
    """The temporary AES key/IV of the DH exchange (both nonces little-endian bytes)."""
    h1 = hashlib.sha1(new_nonce + server_nonce).digest()  # noqa: S324
    h2 = hashlib.sha1(server_nonce + new_nonce).digest()  # noqa: S324
    h3 = hashlib.sha1(new_nonce + new_nonce).digest()  # noqa: S324
    return h1 + h2[:12], h2[12:20] + h3 + new_nonce[:4]
