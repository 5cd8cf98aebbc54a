"""C2SP ``signed-note`` with Ed25519 keys and the C2SP ``tlog-checkpoint`` body.

- A note is UTF-8 text ending in a newline, a blank line, then signature lines
  ``— <key name> <base64(key id || signature)>``; the signature covers the text
  including its final newline.
- Key id (Ed25519, signature type 0x01): the first 4 bytes of
  ``SHA-256(key name || 0x0A || 0x01 || public key)``.
- Verifier key (vkey): ``<name>+<hex key id>+<base64(0x01 || public key)>``;
  signer key (skey): ``PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 || seed)>``.
- Checkpoint body: ``<origin>\\n<tree size>\\n<base64 root hash>\\n`` followed by
  optional extension lines.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from storage.errors import InvalidInput

ALG_ED25519 = 0x01
SIG_PREFIX = "\u2014 "  # em dash and a space
_NAME = re.compile(r"^[^\s+]+$")


class NoteError(InvalidInput, ValueError):
    """A malformed note or key, or a signature that does not verify."""


def key_id(name: str, public: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([ALG_ED25519]) + public).digest()[:4]


def _check_name(name: str) -> None:
    if not _NAME.match(name):
        raise NoteError(f"key name {name!r} must be non-empty, without spaces or '+'")


def _b64decode(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error as exc:
        raise NoteError(f"{what} is not valid base64") from exc


class Verifier:
    """An Ed25519 verifier key with its name and key id."""

    def __init__(self, name: str, public: bytes) -> None:
        _check_name(name)
        if len(public) != 32:
            raise NoteError(f"Ed25519 public key must be 32 bytes, got {len(public)}")
        self.name = name
        self.public = public
        self.key_id = key_id(name, public)
        self._key = Ed25519PublicKey.from_public_bytes(public)

    @classmethod
    def from_vkey(cls, vkey: str) -> Verifier:
        parts = vkey.strip().split("+", 2)  # base64 may contain "+"
        if len(parts) != 3:
            raise NoteError("verifier key must look like NAME+KEYID+BASE64")
        name, hex_id, b64 = parts
        raw = _b64decode(b64, "verifier key")
        if not raw or raw[0] != ALG_ED25519:
            raise NoteError("verifier key is not an Ed25519 (type 0x01) key")
        verifier = cls(name, raw[1:])
        if verifier.key_id.hex() != hex_id.lower():
            raise NoteError(f"verifier key id {hex_id} does not match the key (expected "
                            f"{verifier.key_id.hex()})")
        return verifier

    def vkey(self) -> str:
        b64 = base64.b64encode(bytes([ALG_ED25519]) + self.public).decode()
        return f"{self.name}+{self.key_id.hex()}+{b64}"

    def verify(self, text: bytes, signature: bytes) -> bool:
        try:
            self._key.verify(signature, text)
        except InvalidSignature:
            return False
        return True


class Signer:
    """An Ed25519 signing key for notes."""

    def __init__(self, name: str, seed: bytes) -> None:
        _check_name(name)
        if len(seed) != 32:
            raise NoteError(f"Ed25519 private key must be 32 bytes, got {len(seed)}")
        self.name = name
        self._key = Ed25519PrivateKey.from_private_bytes(seed)
        public = self._key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.verifier = Verifier(name, public)

    @classmethod
    def generate(cls, name: str) -> Signer:
        key = Ed25519PrivateKey.generate()
        return cls(name, key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()))

    @classmethod
    def from_skey(cls, skey: str) -> Signer:
        parts = skey.strip().split("+", 4)
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
            raise NoteError("signer key must look like PRIVATE+KEY+NAME+KEYID+BASE64")
        _, _, name, hex_id, b64 = parts
        raw = _b64decode(b64, "signer key")
        if not raw or raw[0] != ALG_ED25519:
            raise NoteError("signer key is not an Ed25519 (type 0x01) key")
        signer = cls(name, raw[1:])
        if signer.verifier.key_id.hex() != hex_id.lower():
            raise NoteError("signer key id does not match the key")
        return signer

    def skey(self) -> str:
        seed = self._key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        b64 = base64.b64encode(bytes([ALG_ED25519]) + seed).decode()
        return f"PRIVATE+KEY+{self.name}+{self.verifier.key_id.hex()}+{b64}"

    def vkey(self) -> str:
        return self.verifier.vkey()

    def sign(self, text: str) -> str:
        """The signed note: ``text``, a blank line, this key's signature line."""
        if not text.endswith("\n") or "\n\n" in text:
            raise NoteError("note text must end with a newline and contain no blank line")
        sig = self._key.sign(text.encode())
        b64 = base64.b64encode(self.verifier.key_id + sig).decode()
        return f"{text}\n{SIG_PREFIX}{self.name} {b64}\n"


def open_note(note: str, verifier: Verifier) -> str:
    """Return the note's text if it carries a valid signature by ``verifier``.

    Signatures by other keys are ignored (as the spec says); a signature by this
    key that does not verify rejects the note.
    """
    if not note.endswith("\n"):
        raise NoteError("note does not end with a newline")
    cut = note.rfind("\n\n")
    if cut < 0:
        raise NoteError("note has no blank line before its signatures")
    text, sigs = note[: cut + 1], note[cut + 2 :]
    found = False
    for n, line in enumerate(sigs.splitlines(), 1):
        if not line.startswith(SIG_PREFIX) or line.count(" ") != 2:
            raise NoteError(f"signature line {n} is malformed: {line[:60]!r}")
        name, b64 = line[len(SIG_PREFIX) :].split(" ")
        raw = _b64decode(b64, f"signature line {n}")
        if len(raw) < 5:
            raise NoteError(f"signature line {n} is too short")
        if name != verifier.name or raw[:4] != verifier.key_id:
            continue
        if not verifier.verify(text.encode(), raw[4:]):
            raise NoteError(f"signature by {name} (key id {raw[:4].hex()}) does not verify: "
                            "the note text was changed or was signed by another key")
        found = True
    if not found:
        raise NoteError(f"note is not signed by key {verifier.name}+{verifier.key_id.hex()}")
    return text


@dataclass(frozen=True, slots=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def body(self) -> str:
        root = base64.b64encode(self.root).decode()
        lines = [self.origin, str(self.size), root, *self.extensions]
        return "\n".join(lines) + "\n"

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        lines = text.split("\n")
        if len(lines) < 4 or lines[-1] != "":
            raise NoteError("checkpoint must have origin, size and root hash lines")
        origin, size_s, root_s, *ext = lines[:-1]
        if not origin:
            raise NoteError("checkpoint origin line is empty")
        if not size_s.isdigit() or (size_s != "0" and size_s.startswith("0")):
            raise NoteError(f"checkpoint tree size {size_s!r} is not a decimal number")
        root = _b64decode(root_s, "checkpoint root hash")
        if len(root) != 32:
            raise NoteError(f"checkpoint root hash has {len(root)} bytes, expected 32")
        if any(not e for e in ext):
            raise NoteError("checkpoint has an empty extension line")
        return cls(origin, int(size_s), root, tuple(ext))


def open_checkpoint(note: str, verifier: Verifier, origin: str | None = None) -> Checkpoint:
    """Verify a signed checkpoint and parse it; optionally require its origin."""
    checkpoint = Checkpoint.parse(open_note(note, verifier))
    if origin is not None and checkpoint.origin != origin:
        raise NoteError(f"checkpoint origin {checkpoint.origin!r} is not {origin!r}")
    return checkpoint
