"""MTProto crypto primitives (tgsim/crypto.py), cross-checked against Telethon's."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest
import rsa as rsa_lib
from telethon.crypto import AES
from telethon.crypto import rsa as telethon_rsa
from telethon.network.mtprotostate import MTProtoState

from tgsim import crypto


def test_ige_matches_telethon_and_pure_fallback() -> None:
    """cryptg-backed and pure IGE agree with Telethon's AES and round-trip."""
    key, iv, data = os.urandom(32), os.urandom(32), os.urandom(16 * 37)
    encrypted = crypto.encrypt_ige(data, key, iv)
    assert encrypted == crypto.pure_encrypt_ige(data, key, iv) == AES.encrypt_ige(data, key, iv)
    assert crypto.decrypt_ige(encrypted, key, iv) == data
    assert crypto.pure_decrypt_ige(encrypted, key, iv) == data


def test_ige_rejects_partial_blocks() -> None:
    """The pure IGE refuses data that is not a whole number of blocks."""
    with pytest.raises(ValueError, match="multiple of 16"):
        crypto.pure_encrypt_ige(b"x" * 15, bytes(32), bytes(32))


def test_server_key_is_created_private_and_reloaded(tmp_path: Path) -> None:
    """The RSA key is generated once (mode 0600) and reloaded with the same fingerprint."""
    first = crypto.ServerKey.load_or_create(tmp_path)
    path = tmp_path / "server_key.pem"
    assert path.stat().st_mode & 0o777 == 0o600
    again = crypto.ServerKey.load_or_create(tmp_path)
    assert again.fingerprint == first.fingerprint
    assert again.public_pem == first.public_pem


def test_fingerprint_matches_telethon(tmp_path: Path) -> None:
    """Our fingerprint is the one Telethon computes for the PEM we publish."""
    key = crypto.ServerKey.load_or_create(tmp_path)
    public = rsa_lib.PublicKey.load_pkcs1(key.public_pem.encode())
    assert telethon_rsa._compute_fingerprint(public) == key.fingerprint


def test_corrupt_key_file_is_a_clear_error(tmp_path: Path) -> None:
    """A state dir with a broken key file fails with an error, not a silent new key."""
    (tmp_path / "server_key.pem").write_bytes(b"not a key")
    with pytest.raises(ValueError):
        crypto.ServerKey.load_or_create(tmp_path)


def test_rsa_raw_round_trip(tmp_path: Path) -> None:
    """Telethon's RSA encryption of a 255-byte block decrypts to it."""
    key = crypto.ServerKey.load_or_create(tmp_path)
    telethon_rsa.add_key(key.public_pem, old=False)
    data = os.urandom(100)
    block = telethon_rsa.encrypt(key.fingerprint, data)
    plain = key.decrypt_raw(block)
    assert plain[0] == 0 and plain[21:121] == data


def test_dh_prime_is_a_safe_prime() -> None:
    """DH_PRIME and (DH_PRIME-1)/2 pass Miller-Rabin, and g=3 is a valid generator."""
    rng = random.Random(1)

    def probable_prime(n: int) -> bool:
        d, s = n - 1, 0
        while d % 2 == 0:
            d, s = d // 2, s + 1
        for _ in range(16):
            x = pow(rng.randrange(2, n - 2), d, n)
            if x in (1, n - 1):
                continue
            for _ in range(s - 1):
                x = pow(x, 2, n)
                if x == n - 1:
                    break
            else:
                return False
        return True

    p = crypto.DH_PRIME
    assert p.bit_length() == 2048
    assert probable_prime(p) and probable_prime((p - 1) // 2)
    assert p % 3 == 2  # the MTProto condition for g = 3


def test_message_keys_match_telethon() -> None:
    """AES key/IV derivation equals Telethon's for both directions."""
    auth_key, msg_key = os.urandom(256), os.urandom(16)
    for client in (True, False):
        assert crypto.message_keys(auth_key, msg_key, client) == MTProtoState._calc_key(
            auth_key, msg_key, client
        )
